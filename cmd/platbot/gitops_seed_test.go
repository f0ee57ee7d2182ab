package main

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/placement"
	examplegitops "github.com/platbot/platbot/examples/gitops"
)

// TestShellNewCacheAndAddRegionOnEmbeddedDefaults: the shell on the
// embedded defaults creates its local GitOps repository with the example
// services' manifests (examples/gitops) as the first commit, so
// /plat new-cache and /plat add-region run: each dry run shows its plan
// after a value it refuses is asked again (an environment without the
// Deployment, a region without a cluster), and each real run opens its
// pull request. A second session leaves the repository's base branch as it
// is; outside demo mode the repository starts empty and new-cache says the
// Deployment is missing.
func TestShellNewCacheAndAddRegionOnEmbeddedDefaults(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	e := testEnv(t, nil)
	script := strings.Join([]string{
		// service, name, environment (dev: refused, asked again; 2 =
		// staging), size, high availability, eviction policy.
		"/plat new-cache --dry-run", "payments-service", "sessions", "", "", "", "", "2",
		"/plat new-cache", "payments-service", "sessions", "2", "2", "n", "",
		// service, environment, region (the form offers the regions
		// where a cluster runs, us-east-1 and eu-west-1: us-west-2 is
		// refused and asked again; 2 = eu-west-1), tier, from, hostname,
		// routing, databases.
		"/plat add-region --dry-run", "payments-service", "prod-eu", "us-west-2", "2", "", "prod-us", "payments.acme.example", "", "",
		"/plat add-region", "payments-service", "prod-eu", "2", "", "prod-us", "payments.acme.example", "", "",
	}, "\n") + "\n"
	out := shellAs(t, e, "alice.moreau", script,
		"! Environment: payments-service has no Deployment in dev (teams/payments/payments-service/dev/deployment.yaml is not in the GitOps repository)",
		"Dry run of New Redis cache `sessions`",
		"edit teams/payments/payments-service/staging/deployment.yaml: the container reads SESSIONS_REDIS_HOST, _PORT and _PASSWORD from payments-service-sessions-redis",
		"New Redis cache `sessions` is ready for review",
		// only the regions where a cluster runs
		"Region *\n  1) us-east-1\n  2) eu-west-1\n —",
		`! "us-west-2" is not one of the choices`,
		"Dry run of Add a region",
		"copy 2 manifest file(s) of prod-us into teams/payments/payments-service/prod-eu",
		"Add a region is ready for review",
	)

	repo := e["PLATBOT_DATA_DIR"] + "/gitops"
	seed, err := examplegitops.Files()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := gitLines(t, repo, "ls-tree", "-r", "--name-only", "main"), slices.Sorted(maps.Keys(seed)); !slices.Equal(got, want) {
		t.Fatalf("main holds %q, want the example state %q", got, want)
	}
	if n := gitLines(t, repo, "rev-list", "--count", "main"); n[0] != "1" {
		t.Fatalf("main has %s commits, want the seed alone", n[0])
	}
	head := gitLines(t, repo, "rev-parse", "main")[0]

	branches := gitLines(t, repo, "branch", "--list", "plat/*")
	if len(branches) != 2 {
		t.Fatalf("branches %q, want the two runs' pull requests (the dry runs and refusals create nothing)", branches)
	}
	var cache, region string
	for _, b := range branches {
		switch {
		case strings.HasSuffix(b, "-new-cache"):
			cache = b
		case strings.HasSuffix(b, "-add-region"):
			region = b
		}
	}
	if cache == "" || region == "" {
		t.Fatalf("branches %q", branches)
	}
	var dep appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict(gitShow(t, repo, cache+":teams/payments/payments-service/staging/deployment.yaml"), &dep); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(dep.Spec.Template.Spec.Containers[0].Env, func(v corev1.EnvVar) bool {
		return v.Name == "SESSIONS_REDIS_PASSWORD" && v.ValueFrom != nil && v.ValueFrom.SecretKeyRef != nil && v.ValueFrom.SecretKeyRef.Name == "payments-service-sessions-redis"
	}) {
		t.Errorf("the Deployment does not read the cache's password: %+v", dep.Spec.Template.Spec.Containers[0].Env)
	}
	files := gitLines(t, repo, "diff", "--name-only", "main", region)
	if !slices.Contains(files, "apps/payments/payments-service/prod-eu.yaml") || !slices.Contains(files, "teams/payments/payments-service/prod-eu/dnsendpoint.yaml") {
		t.Fatalf("add-region files %q", files)
	}
	var app placement.Application
	strictYAML(t, gitShow(t, repo, region+":apps/payments/payments-service/prod-eu.yaml"), &app)
	if app.Spec.Destination.Name != "euw1-prod-a" || app.Spec.Source.Path != "teams/payments/payments-service/prod-eu" {
		t.Errorf("Application %+v", app)
	}

	// A second session opens the repository as it is.
	if code, out, errOut := runBot(t, e, "/plat ping\n", "shell", "--as", "alice.moreau"); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if now := gitLines(t, repo, "rev-parse", "main")[0]; now != head {
		t.Fatalf("a second session moved main from %s to %s", head, now)
	}

	// Outside demo mode nothing is seeded.
	off := testEnv(t, map[string]string{"PLATBOT_DEMO": "0"})
	code, out, errOut := runBot(t, off, "/plat template approve new-cache\n", "shell", "--as", "priya.raman")
	if code != 0 || !strings.Contains(out, "Approved template") {
		t.Fatalf("approve: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, errOut = runBot(t, off, "/plat new-cache --dry-run\npayments-service\nsessions\n2\n\n\n\ncancel\n", "shell", "--as", "alice.moreau")
	if code != 0 || !strings.Contains(out, "! Environment: payments-service has no Deployment in staging") {
		t.Fatalf("demo mode off: exit %d: %s\n%s", code, errOut, out)
	}
	if files := gitLines(t, off["PLATBOT_DATA_DIR"]+"/gitops", "ls-tree", "-r", "--name-only", "main"); len(files) != 0 {
		t.Fatalf("outside demo mode the repository holds %q", files)
	}
}

// TestRenderNewCacheAndAddRegionOnEmbeddedDefaults: platbot template
// render on the embedded defaults, before any shell has created the local
// GitOps repository, plans against the example services' manifests the
// shell would start it with, and creates no repository; with demo mode
// off it cannot find the Deployment.
func TestRenderNewCacheAndAddRegionOnEmbeddedDefaults(t *testing.T) {
	e := testEnv(t, nil)
	out := t.TempDir()
	code, stdout, stderr := runBot(t, e, "", "template", "render", "new-cache", "--as", "alice.moreau", "--out", out,
		"--set", "service=payments-service", "--set", "name=sessions", "--set", "environment=staging")
	if code != 0 || !strings.Contains(stdout, "edit teams/payments/payments-service/staging/deployment.yaml: the container reads SESSIONS_REDIS_HOST") {
		t.Fatalf("render new-cache: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var dep appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(mustRead(t, out+"/teams/payments/payments-service/staging/deployment.yaml")), &dep); err != nil {
		t.Fatal(err)
	}
	if env := dep.Spec.Template.Spec.Containers[0].Env; !slices.ContainsFunc(env, func(v corev1.EnvVar) bool { return v.Name == "SESSIONS_REDIS_HOST" }) {
		t.Errorf("rendered Deployment env %+v", env)
	}

	code, stdout, stderr = runBot(t, e, "", "template", "render", "add-region", "--as", "alice.moreau", "--out", out,
		"--set", "service=payments-service", "--set", "environment=prod-eu", "--set", "region=eu-west-1", "--set", "from=prod-us", "--set", "hostname=payments.acme.example")
	if code != 0 || !strings.Contains(stdout, "copy 2 manifest file(s) of prod-us into teams/payments/payments-service/prod-eu") {
		t.Fatalf("render add-region: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var app placement.Application
	strictYAML(t, []byte(mustRead(t, out+"/apps/payments/payments-service/prod-eu.yaml")), &app)
	if app.Spec.Destination.Name != "euw1-prod-a" {
		t.Errorf("Application %+v", app)
	}
	if _, err := os.Stat(e["PLATBOT_DATA_DIR"] + "/gitops"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("render created the GitOps repository: %v", err)
	}

	e["PLATBOT_DEMO"] = "0"
	code, _, stderr = runBot(t, e, "", "template", "render", "new-cache", "--as", "alice.moreau", "--out", t.TempDir(),
		"--set", "service=payments-service", "--set", "name=sessions", "--set", "environment=staging")
	if code != 1 || !strings.Contains(stderr, "platbot cannot read the GitOps repository here") {
		t.Fatalf("render outside demo mode: exit %d\n%s", code, stderr)
	}
}
