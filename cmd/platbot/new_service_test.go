package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/placement"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/testenv"
)

// newServiceForm answers the new-service form in the shell: name,
// description, owner (default), system (none), language (default Go),
// repository owner (default) and name, environments (default: the four).
func newServiceForm(name, repo string) string {
	return strings.Join([]string{name, "Keeps the ledger.", "", "", "", "", repo, ""}, "\n") + "\n"
}

// The shell on the embedded defaults: /plat new-service --dry-run shows
// the placement rules' decision for each of the seed's environments; a
// name the catalog has is asked again; a real run creates the repository
// and the GitOps pull request, whose Applications a real API server with
// Argo CD's CRD accepts.
func TestShellNewService(t *testing.T) {
	e := testEnv(t, nil)
	script := "/plat new-service --dry-run\n" + newServiceForm("ledger-api", "ledger-api") +
		// A name the catalog has: the name is asked again.
		"/plat new-service\n" + newServiceForm("checkout-service", "ledger-api") + "ledger-api\n"
	shellAs(t, e, "erik.lund", script,
		"Dry run of New service `ledger-api`",
		"place dev → cluster use1-shared: rule `standard` matched tier=standard",
		"place prod-us → cluster use1-prod-a: rule `tier1-us` matched tier=tier1, region=us-east-1",
		"place prod-eu → cluster euw1-prod-a: rule `tier1-eu` matched tier=tier1, region=eu-west-1",
		"! Name: checkout-service already exists in the catalog",
		"New service `ledger-api` is ready for review",
	)

	repo := filepath.Join(e["PLATBOT_DATA_DIR"], "gitops")
	branches := gitLines(t, repo, "branch", "--list", "plat/*")
	if len(branches) != 1 {
		t.Fatalf("branches %q, want the one pull request of the run", branches)
	}
	if files := withoutLineage(gitLines(t, repo, "diff", "--name-only", "main", branches[0])); len(files) != 28 {
		t.Fatalf("pull request files %q", files)
	}
	if readme := gitShow(t, filepath.Join(e["PLATBOT_DATA_DIR"], "repos", "acme", "ledger-api"), "main:README.md"); !strings.Contains(string(readme), "## Runbook") {
		t.Fatalf("README:\n%s", readme)
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
	for env, cluster := range map[string]string{"dev": "use1-shared", "staging": "use1-shared", "prod-us": "use1-prod-a", "prod-eu": "euw1-prod-a"} {
		manifest := gitShow(t, repo, branches[0]+":apps/checkout/ledger-api/"+env+".yaml")
		var app placement.Application
		strictYAML(t, manifest, &app)
		if app.Metadata.Labels[placement.LabelCluster] != cluster || app.Spec.Destination.Namespace != "ledger-api" || app.Spec.Source.Path != "teams/checkout/ledger-api/"+env {
			t.Errorf("Application of %s:\n%s", env, manifest)
		}
		u := &unstructured.Unstructured{}
		if err := sigsyaml.Unmarshal(manifest, &u.Object); err != nil {
			t.Fatal(err)
		}
		if _, err := dyn.Resource(argocd.ApplicationGVR).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{
			DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict",
		}); err != nil {
			t.Errorf("the Application of %s is refused by the API server: %v\n%s", env, err, manifest)
		}
	}
}
