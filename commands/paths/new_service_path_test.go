package paths

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/integrations/gitops"
)

// newServicePlacer places a new service's environments by (tier, region)
// as one rule per pair would, refusing a region no cluster runs in; it
// records the requests. (The real placer is the placement feature, wired
// in cmd/platbot and tested in commands/placement.)
type newServicePlacer struct {
	clusters map[string]string // "tier/region" → cluster
	mu       sync.Mutex
	asked    []actions.PlaceRequest
}

func (p *newServicePlacer) PlaceEnvironment(_ context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	p.mu.Lock()
	p.asked = append(p.asked, r)
	p.mu.Unlock()
	c, ok := p.clusters[r.Tier+"/"+r.Region]
	if !ok {
		return nil, &actions.PlaceError{Input: "region", Err: errors.New("no cluster of the platform runs in region " + r.Region)}
	}
	manifest, err := sigsyaml.Marshal(map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": r.Service + "-" + r.Environment, "namespace": "argocd"},
		"spec": map[string]any{
			"project":     "payments",
			"source":      map[string]any{"repoURL": "https://github.com/acme/deploy", "path": r.SourcePath},
			"destination": map[string]any{"name": c, "namespace": r.Service},
		},
	})
	if err != nil {
		return nil, err
	}
	return &actions.Placed{
		Cluster: c, Explain: r.Environment + " → cluster " + c + ": rule `" + r.Tier + "` matched tier=" + r.Tier,
		Team: "payments", Path: "apps/payments/" + r.Service + "/" + r.Environment + ".yaml", Manifest: string(manifest),
	}, nil
}

func newServiceValues(name, language string, envs ...string) bot.Values {
	return bot.Values{
		"name": {name}, "description": {"Keeps the ledger."}, "owner": {"group:default/payments"},
		"system": {"system:default/orders"}, "language": {language},
		"repoUrl.owner": {"acme"}, "repoUrl.repo": {name}, "environments": envs,
	}
}

// newServiceEnv is an environment with new-service approved, its
// repositories local git under reposDir.
func newServiceEnv(t testing.TB, pl actions.Placer) (*env, string, *catalogtest.Catalog) {
	reposDir := filepath.Join(t.TempDir(), "repos")
	cat := newCatalog(t)
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl,
		repos: e2eRepos{gitops.LocalRepositories(reposDir)}})
	e.approve(t, "new-service")
	return e, reposDir, cat
}

var seedEnvironments = []string{"dev", "staging", "prod-us", "prod-eu"}

func seedClusters() map[string]string {
	return map[string]string{"standard/": "use1-shared", "tier1/us-east-1": "use1-prod-a", "tier1/eu-west-1": "euw1-prod-a"}
}

// /plat new-service, from the form to the new repository and the GitOps
// pull request in local git: every file decodes with its real type; bad
// input gets a field error and creates nothing.
func TestNewServicePath(t *testing.T) {
	pl := &newServicePlacer{clusters: seedClusters()}
	e, reposDir, cat := newServiceEnv(t, pl)
	gitopsRepo := filepath.Join(e.dir, "gitops")

	// The dry run shows every placement decision and creates nothing.
	if errs := e.submit(userJane, e.form(userJane, "new-service --dry-run"), newServiceValues("ledger-api", "go", seedEnvironments...)); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	e.drain()
	last := e.msgr.Last()
	preview := last.Text()
	if last.File != nil {
		preview += "\n" + string(last.File.Content)
	}
	for _, want := range []string{
		"place dev → cluster use1-shared", "place prod-us → cluster use1-prod-a", "place prod-eu → cluster euw1-prod-a: rule `tier1` matched tier=tier1",
		"add catalog-info.yaml to the new repository",
	} {
		if !strings.Contains(preview, want) {
			t.Errorf("dry run lacks %q:\n%s", want, preview)
		}
	}
	if len(e.runs()) != 0 {
		t.Fatal("the dry run started a run")
	}

	if errs := e.submit(userJane, e.form(userJane, "new-service"), newServiceValues("ledger-api", "go", seedEnvironments...)); errs != nil {
		t.Fatalf("valid service refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}

	// (a) The repository, from the Go skeleton.
	repo := filepath.Join(reposDir, "acme/ledger-api")
	wantRepo := "\n.github/workflows/ci.yml\n.platbot/lineage/ledger-api/new-service.yaml\nCODEOWNERS\nDockerfile\nREADME.md\ncatalog-info.yaml\ngo.mod\nmain.go\nmain_test.go\n"
	if got := "\n" + git(t, repo, "ls-files") + "\n"; got != wantRepo {
		t.Fatalf("repository files:%s\nwant:%s", got, wantRepo)
	}
	if readme := git(t, repo, "show", "main:README.md"); !strings.Contains(readme, "\n## Runbook\n") || !strings.Contains(readme, "/plat where ledger-api") {
		t.Errorf("README:\n%s", readme)
	}
	if co := git(t, repo, "show", "main:CODEOWNERS"); !strings.Contains(co, "* @acme/payments") {
		t.Errorf("CODEOWNERS:\n%s", co)
	}
	var ent catalog.Entity
	dec := yaml.NewDecoder(bytes.NewReader([]byte(git(t, repo, "show", "main:catalog-info.yaml"))))
	dec.KnownFields(true)
	if err := dec.Decode(&ent); err != nil || ent.Owner() != "group:default/payments" || ent.Spec["system"] != "system:default/orders" {
		t.Fatalf("catalog entry %+v: %v", ent, err)
	}
	if df := git(t, repo, "show", "main:Dockerfile"); !strings.Contains(df, "go build -o /out/ledger-api") {
		t.Errorf("Dockerfile:\n%s", df)
	}

	// (b) One GitOps pull request with every environment's files.
	branch := "plat/" + r.ID + "-new-service"
	var want []string
	for _, env := range seedEnvironments {
		want = append(want, "apps/payments/ledger-api/"+env+".yaml")
	}
	for _, env := range []string{"dev", "prod-eu", "prod-us", "staging"} {
		for _, f := range []string{"dashboard", "deployment", "hpa", "pdb", "service", "servicemonitor"} {
			want = append(want, "teams/payments/ledger-api/"+env+"/"+f+".yaml")
		}
	}
	if got := withoutLineage(git(t, gitopsRepo, "diff", "--name-only", "main", branch)); got != strings.Join(sortedCopy(want), "\n") {
		t.Fatalf("files on %s:\n%s", branch, got)
	}
	show := func(p string) []byte { return []byte(git(t, gitopsRepo, "show", branch+":"+p)) }
	for _, env := range seedEnvironments {
		dir := "teams/payments/ledger-api/" + env + "/"
		for f, into := range map[string]any{
			"deployment": &appsv1.Deployment{}, "service": &corev1.Service{}, "hpa": &autoscalingv2.HorizontalPodAutoscaler{},
			"pdb": &policyv1.PodDisruptionBudget{}, "dashboard": &corev1.ConfigMap{},
		} {
			if err := sigsyaml.UnmarshalStrict(show(dir+f+".yaml"), into); err != nil {
				t.Errorf("%s%s.yaml: %v", dir, f, err)
			}
		}
		if app := string(show("apps/payments/ledger-api/" + env + ".yaml")); !strings.Contains(app, "path: "+dir[:len(dir)-1]) {
			t.Errorf("Application of %s:\n%s", env, app)
		}
	}
	prod := pl.asked[len(pl.asked)-1]
	if prod.Service != "ledger-api" || prod.Owner != "group:default/payments" || prod.Environment != "prod-eu" || prod.Region != "eu-west-1" {
		t.Errorf("placed %+v", prod)
	}

	// The other skeletons: each language's files and its CI workflow.
	for lang, files := range map[string]string{
		"node":   ".github/workflows/ci.yml CODEOWNERS Dockerfile README.md catalog-info.yaml index.js index.test.js package-lock.json package.json",
		"python": ".github/workflows/ci.yml CODEOWNERS Dockerfile README.md app.py catalog-info.yaml requirements.txt test_app.py",
	} {
		name := "ledger-" + lang
		if errs := e.submit(userJane, e.form(userJane, "new-service"), newServiceValues(name, lang, "dev")); errs != nil {
			t.Fatalf("%s service refused: %v", lang, errs)
		}
		e.drain()
		dir := filepath.Join(reposDir, "acme", name)
		if got := strings.Join(strings.Fields(withoutLineage(git(t, dir, "ls-files"))), " "); got != files {
			t.Errorf("%s repository files: %s\nwant: %s", lang, got, files)
		}
		if ci := git(t, dir, "show", "main:.github/workflows/ci.yml"); !strings.Contains(ci, "setup-"+lang) {
			t.Errorf("%s CI workflow:\n%s", lang, ci)
		}
	}
	for _, r := range e.runs() {
		if r.State != RunSucceeded {
			t.Fatalf("run %s of %s: %s %s", r.ID, r.Name, r.State, r.Error)
		}
	}

	// Bad input: a field error, and nothing created.
	cat.AddEntities(catalogtest.Component("billing-api", "group:default/checkout"))
	delete(pl.clusters, "tier1/eu-west-1")
	e.refusedOnFields(t, "new-service", gitopsRepo, []fieldRefusal{
		{newServiceValues("billing-api", "go", "dev"), "name", "billing-api"},
		{newServiceValues("search-api", "python", "dev", "prod-eu"), "environments", "prod-eu (tier tier1, eu-west-1): no cluster of the platform runs in region eu-west-1"},
		{newServiceValues("Search_API", "go", "dev"), "name", "letters"},
	})
	if entries, _ := filepath.Glob(filepath.Join(reposDir, "acme", "*")); len(entries) != 3 {
		t.Fatalf("repositories after the refusals: %v", entries)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// BenchmarkNewService is /plat new-service end to end in local mode: the
// form submitted, the run's jobs done, the new repository and the GitOps
// pull request branch holding every file (goal: ≤ 2 s on 2 cores).
func BenchmarkNewService(b *testing.B) {
	e, reposDir, _ := newServiceEnv(b, &newServicePlacer{clusters: seedClusters()})
	gitopsRepo := filepath.Join(e.dir, "gitops")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		if errs := e.submit(userJane, e.form(userJane, "new-service"), newServiceValues(name, "go", seedEnvironments...)); errs != nil {
			b.Fatalf("refused: %v", errs)
		}
		e.drain()
		b.StopTimer()
		var r *Run
		for _, x := range e.runs() {
			if x.Name == name {
				r = x
			}
		}
		if r == nil || r.State != RunSucceeded {
			b.Fatalf("run of %s: %+v", name, r)
		}
		files := gitTB(b, gitopsRepo, "ls-tree", "-r", "--name-only", "plat/"+r.ID+"-new-service", "teams/payments/"+name, "apps/payments/"+name)
		if n := len(strings.Split(files, "\n")); n != 28 {
			b.Fatalf("%s: %d files on the branch:\n%s", name, n, files)
		}
		if got := gitTB(b, filepath.Join(reposDir, "acme", name), "ls-files"); len(strings.Split(got, "\n")) != 8 {
			b.Fatalf("%s: repository files:\n%s", name, got)
		}
		e.msgr.Reset()
		b.StartTimer()
	}
}

func gitTB(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
