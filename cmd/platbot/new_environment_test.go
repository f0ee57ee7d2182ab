package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/placement"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/testenv"
)

// newEnvironmentForm answers the new-environment form in the shell:
// service, environment name, tier (1 standard, 2 tier1), region (1
// us-east-1, 2 eu-west-1), replicas, image tag.
func newEnvironmentForm(service, name, tier, region, replicas, tag string) string {
	return strings.Join([]string{service, name, tier, region, replicas, tag}, "\n") + "\n"
}

// The shell on the embedded defaults (demo mode: the example catalog,
// templates and placement configuration): /plat new-environment --dry-run
// shows the placement decision and both files; a name the service already
// has and another team's service are refused on their fields; a real run
// opens the pull request in the local GitOps repository with the values
// overlay and the placed Application, which a real API server with Argo
// CD's CRD accepts.
func TestShellNewEnvironment(t *testing.T) {
	e := testEnv(t, nil)
	script := "/plat new-environment --dry-run\n" + newEnvironmentForm("checkout-service", "prod-eu2", "2", "2", "3", "1.4.2") +
		// Another team's service (the picker has none: asked again),
		// then its own; a name it already has (asked again), then a new
		// one.
		"/plat new-environment\n" + "payments-service\n" + newEnvironmentForm("checkout-service", "prod-eu", "1", "2", "", "") +
		"perf\n"
	shellAs(t, e, "erik.lund", script,
		// The dry run: the decision, the files.
		"Dry run of New environment",
		"place prod-eu2 of checkout-service: prod-eu2 → cluster euw1-prod-a: rule `tier1-eu` matched tier=tier1, region=eu-west-1",
		"add services/checkout-service/chart/values-prod-eu2.yaml (the Helm values of prod-eu2)",
		"add apps/checkout/checkout-service/prod-eu2.yaml (the Argo CD Application deploying prod-eu2 to euw1-prod-a)",
		"replicaCount: 3", "tag: 1.4.2", "- values-prod-eu2.yaml", "name: euw1-prod-a",
		// The refusals, on their fields.
		`! nothing matches "payments-service"`,
		"! Environment name: checkout-service already has an environment prod-eu (tier1, eu-west-1, in spec.deployment); pick another name",
		"New environment is ready for review",
	)

	repo := filepath.Join(e["PLATBOT_DATA_DIR"], "gitops")
	branches := gitLines(t, repo, "branch", "--list", "plat/*")
	if len(branches) != 1 {
		t.Fatalf("branches %q, want the one pull request of the run (the dry run and the refusals create nothing)", branches)
	}
	files := withoutLineage(gitLines(t, repo, "diff", "--name-only", "main", branches[0]))
	if strings.Join(files, ",") != "apps/checkout/checkout-service/perf.yaml,services/checkout-service/chart/values-perf.yaml" {
		t.Fatalf("pull request files %q", files)
	}
	values := gitShow(t, repo, branches[0]+":services/checkout-service/chart/values-perf.yaml")
	var v struct {
		ReplicaCount int64 `yaml:"replicaCount"`
	}
	strictYAML(t, values, &v)
	if v.ReplicaCount != 2 {
		t.Errorf("values:\n%s", values)
	}
	manifest := gitShow(t, repo, branches[0]+":apps/checkout/checkout-service/perf.yaml")
	var app placement.Application
	strictYAML(t, manifest, &app)
	if app.Spec.Destination.Name != "euw1-shared" || app.Metadata.Labels[placement.LabelCluster] != "euw1-shared" ||
		app.Spec.Source.Path != "services/checkout-service/chart" || app.Spec.Source.Helm == nil ||
		strings.Join(app.Spec.Source.Helm.ValueFiles, ",") != "values-perf.yaml" {
		t.Errorf("Application:\n%s", manifest)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kube, err := testenv.StartKube(ctx)
	testenv.SkipOrFail(t, err)
	t.Cleanup(func() {
		if err := kube.Stop(); err != nil {
			t.Errorf("stop kube: %v", err)
		}
	})
	dyn, err := argocdtest.Install(ctx, kube.Config, "argocd")
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := sigsyaml.Unmarshal(manifest, &u.Object); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(argocd.ApplicationGVR).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{
		DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict",
	}); err != nil {
		t.Errorf("the Application is refused by the API server: %v\n%s", err, manifest)
	}
}

// With platbot.yaml's own placement section, a region none of its
// clusters runs in and an intent whose only cluster is cordoned are
// refused on the region field, with the reason.
func TestShellNewEnvironmentPlacementRefusals(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "platbot.yaml")
	if err := os.WriteFile(cfg, []byte(`placement:
  clusters:
    - name: use1-a
      server: https://use1-a.k8s.example
      region: us-east-1
      tiers: [standard, tier1]
      cordoned: true
    - name: use1-b
      server: https://use1-b.k8s.example
      region: us-east-1
      tiers: [standard]
  rules:
    - name: tier1-us
      match: {tier: tier1}
      clusters: [use1-a]
    - name: standard
      match: {tier: standard}
      clusters: [use1-b]
  argocd:
    repoURL: https://github.com/acme/deploy
`), 0o600); err != nil {
		t.Fatal(err)
	}
	e := testEnv(t, map[string]string{"PLATBOT_CONFIG": cfg})
	script := "/plat new-environment\n" + newEnvironmentForm("checkout-service", "perf", "1", "2", "", "") +
		"1\n" + "/plat new-environment\n" + newEnvironmentForm("checkout-service", "prod-x", "2", "1", "", "") + "cancel\n"
	shellAs(t, e, "erik.lund", script,
		// The form offers only the region where a cluster runs: 2
		// (eu-west-1 in the template) is not there.
		"Region *\n  1) US East (us-east-1)\n —",
		"! choose a number from 1 to 1",
		"! Region: prod-x of checkout-service: rule `tier1-us` (line 13) matched, but none of its clusters can take it: use1-a (cordoned",
		"New environment is ready for review",
	)
	repo := filepath.Join(e["PLATBOT_DATA_DIR"], "gitops")
	branches := gitLines(t, repo, "branch", "--list", "plat/*")
	if len(branches) != 1 {
		t.Fatalf("branches %q, want only the run placed on us-east-1", branches)
	}
	if m := gitShow(t, repo, branches[0]+":apps/checkout/checkout-service/perf.yaml"); !bytes.Contains(m, []byte("server: https://use1-b.k8s.example")) {
		t.Errorf("Application:\n%s", m)
	}
}

func gitLines(t *testing.T, repo string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "* ")); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func gitShow(t *testing.T, repo, obj string) []byte {
	t.Helper()
	out, err := exec.Command("git", "-C", repo, "show", obj).Output()
	if err != nil {
		t.Fatalf("git show %s: %v", obj, err)
	}
	return out
}

// strictYAML decodes data into v, refusing unknown keys.
func strictYAML(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
}

// platbot template render new-environment places with the example
// configuration (platbot.yaml has no placement section, which it says),
// writes both files, and refuses an environment whose Application the
// GitOps repository (PLATBOT_GITOPS_REPO) already has.
func TestRenderNewEnvironment(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	repo, err := gitlocal.Open(ctx, dir, gitlocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := repo.OpenPullRequest(ctx, gitlocal.PullRequestSpec{Branch: "seed", Title: "seed", Files: []gitlocal.File{
		{Path: "apps/checkout/checkout-service/perf.yaml", Content: []byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\n")},
		// the chart the Application deploys
		{Path: "services/checkout-service/chart/Chart.yaml", Content: []byte("apiVersion: v2\nname: checkout-service\nversion: 0.1.0\n")},
	}}); err != nil {
		t.Fatal(err)
	}
	gitLines(t, dir, "update-ref", "refs/heads/main", "seed")
	e := testEnv(t, map[string]string{"PLATBOT_GITOPS_REPO": dir})

	out := t.TempDir()
	set := func(name string) []string {
		return []string{"template", "render", "new-environment", "--as", "erik.lund", "--out", out,
			"--set", "service=checkout-service", "--set", "environment=" + name, "--set", "tier=tier1", "--set", "region=eu-west-1"}
	}
	code, stdout, stderr := runBot(t, e, "", set("prod-eu2")...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "prod-eu2 → cluster euw1-prod-a: rule `tier1-eu` matched tier=tier1, region=eu-west-1") ||
		!strings.Contains(stderr, "platbot.yaml has no placement section") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	manifest, err := os.ReadFile(filepath.Join(out, "apps/checkout/checkout-service/prod-eu2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var app placement.Application
	strictYAML(t, manifest, &app)
	if app.Spec.Destination.Name != "euw1-prod-a" {
		t.Errorf("Application:\n%s", manifest)
	}
	if _, err := os.Stat(filepath.Join(out, "services/checkout-service/chart/values-prod-eu2.yaml")); err != nil {
		t.Error(err)
	}

	code, stdout, stderr = runBot(t, e, "", set("perf")...)
	if code != 1 || !strings.Contains(stderr, "checkout-service already has an environment perf: the GitOps repository has its Application apps/checkout/checkout-service/perf.yaml") {
		t.Errorf("exit %d: %s\n%s", code, stderr, stdout)
	}
}
