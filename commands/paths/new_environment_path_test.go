package paths

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// tablePlacer places like a placement configuration with one rule per
// (tier, region) and one cluster each, and knows the environments the
// services already have; it records the requests. (The real placer is
// the placement feature, wired in cmd/platbot and tested there end to end.)
type tablePlacer struct {
	clusters map[string]string // "tier/region" → cluster
	existing map[string]bool   // "service ref/env"
	mu       sync.Mutex
	asked    []actions.PlaceRequest
}

func (p *tablePlacer) PlaceEnvironment(_ context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	p.mu.Lock()
	p.asked = append(p.asked, r)
	p.mu.Unlock()
	if p.existing[r.Service+"/"+r.Environment] {
		return nil, &actions.PlaceError{Input: "environment", Err: errors.New("orders-service already has an environment " + r.Environment)}
	}
	c, ok := p.clusters[r.Tier+"/"+r.Region]
	if !ok {
		return nil, &actions.PlaceError{Input: "region", Err: errors.New("no placement rule matches tier=" + r.Tier + ", region=" + r.Region)}
	}
	rule := r.Tier + "-" + r.Region
	manifest, err := yaml.Marshal(map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "orders-service-" + r.Environment, "namespace": "argocd"},
		"spec": map[string]any{
			"project":     "payments",
			"source":      map[string]any{"repoURL": "https://github.com/acme/deploy", "path": r.SourcePath, "helm": map[string]any{"valueFiles": r.ValueFiles}},
			"destination": map[string]any{"name": c, "namespace": "orders"},
		},
	})
	if err != nil {
		return nil, err
	}
	return &actions.Placed{
		Cluster: c, Explain: r.Environment + " → cluster " + c + ": rule `" + rule + "` matched tier=" + r.Tier + ", region=" + r.Region,
		Team: "payments", Path: "apps/payments/orders-service/" + r.Environment + ".yaml", Manifest: string(manifest),
	}, nil
}

// Regions are the regions of the clusters (actions.RegionLister).
func (p *tablePlacer) Regions() []string {
	var out []string
	for k := range p.clusters {
		if _, r, _ := strings.Cut(k, "/"); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

func newEnvironmentValues(service, name, tier, region, tag string) bot.Values {
	v := bot.Values{"service": {service}, "environment": {name}, "tier": {tier}, "region": {region}, "replicas": {"4"}}
	if tag != "" {
		v["imageTag"] = []string{tag}
	}
	return v
}

// /plat new-environment, from the form to the pull request in local git:
// the Helm values overlay and the placed Application; bad input gets a
// field error and creates nothing.
// ordersChart is the Chart.yaml of orders-service's Helm chart, where the
// template's Applications point (services/<service>/chart).
const ordersChart = "apiVersion: v2\nname: orders-service\nversion: 0.1.0\ntype: application\n"

// seedGitOps makes files the GitOps repository's base branch: orders-
// service's chart and extra.
func seedGitOps(t *testing.T, repo string, extra ...gitlocal.File) {
	t.Helper()
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	files := append([]gitlocal.File{{Path: "services/orders-service/chart/Chart.yaml", Content: []byte(ordersChart)}}, extra...)
	if _, _, err := lr.OpenPullRequest(context.Background(), gitlocal.PullRequestSpec{Branch: "seed", Title: "seed", CommitMessage: "seed", Files: files}); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "update-ref", "refs/heads/main", "seed")
}

func TestNewEnvironmentPath(t *testing.T) {
	pl := &tablePlacer{
		clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a", "standard/us-east-1": "use1-shared"},
		existing: map[string]bool{"component:default/orders-service/staging": true},
	}
	cat := newCatalog(t)
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl})
	repo := filepath.Join(e.dir, "gitops")
	seedGitOps(t, repo)
	e.approve(t, "new-environment")

	// The dry run shows the decision and creates nothing.
	preview := e.form(userJane, "new-environment --dry-run")
	if errs := e.submit(userJane, preview, newEnvironmentValues("orders-service", "prod-eu", "tier1", "eu-west-1", "2.0.1")); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	if out := e.msgr.Last().Text(); !strings.Contains(out, "place prod-eu of orders-service: prod-eu → cluster euw1-prod-a: rule `tier1-eu-west-1` matched tier=tier1, region=eu-west-1") {
		t.Fatalf("dry run:\n%s", out)
	}
	if len(e.runs()) != 0 {
		t.Fatal("the dry run started a run")
	}

	if errs := e.submit(userJane, e.form(userJane, "new-environment"), newEnvironmentValues("orders-service", "prod-eu", "tier1", "eu-west-1", "2.0.1")); errs != nil {
		t.Fatalf("valid environment refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-environment"
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != "apps/payments/orders-service/prod-eu.yaml\nservices/orders-service/chart/values-prod-eu.yaml" {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	var values struct {
		ReplicaCount int64 `yaml:"replicaCount"`
		Image        struct {
			Tag string `yaml:"tag"`
		} `yaml:"image"`
	}
	dec := yaml.NewDecoder(bytes.NewReader([]byte(git(t, repo, "show", branch+":services/orders-service/chart/values-prod-eu.yaml"))))
	dec.KnownFields(true)
	if err := dec.Decode(&values); err != nil || values.ReplicaCount != 4 || values.Image.Tag != "2.0.1" {
		t.Fatalf("values %+v: %v", values, err)
	}
	if app := git(t, repo, "show", branch+":apps/payments/orders-service/prod-eu.yaml"); !strings.Contains(app, "name: euw1-prod-a") ||
		!strings.Contains(app, "- values-prod-eu.yaml") {
		t.Fatalf("Application:\n%s", app)
	}
	last := pl.asked[len(pl.asked)-1]
	if last.Service != "component:default/orders-service" || last.SourcePath != "services/orders-service/chart" {
		t.Fatalf("asked %+v", last)
	}

	// Bad input: a field error on the field that holds it, and nothing created.
	e.refusedOnFields(t, "new-environment", repo, []fieldRefusal{
		{newEnvironmentValues("orders-service", "staging", "standard", "us-east-1", ""), "environment", "orders-service already has an environment staging"},
		{newEnvironmentValues("orders-service", "perf", "standard", "eu-west-1", ""), "region", "no placement rule matches tier=standard, region=eu-west-1"},
		{newEnvironmentValues("nope-service", "perf", "standard", "us-east-1", ""), "service", "is not one of the choices"},
		{newEnvironmentValues("orders-service", "Perf EU", "standard", "us-east-1", ""), "environment", "lower-case letters"},
		{newEnvironmentValues("orders-service", "perf", "standard", "us-east-1", "v1 beta"), "imageTag", "letters, digits"},
	})

	// A service of the team without a chart where the Application would
	// point: refused on the service, naming the path.
	cat.AddEntities(catalogtest.Component("ledger-service", "group:default/payments"))
	e.refusedOnFields(t, "new-environment", repo, []fieldRefusal{
		{newEnvironmentValues("ledger-service", "perf", "standard", "us-east-1", ""), "service",
			"ledger-service has no Helm chart at services/ledger-service/chart in the GitOps repository (no services/ledger-service/chart/Chart.yaml)"},
	})

	// Another team's service: checkout owns it, jane is in payments.
	cat.AddEntities(catalogtest.Component("carts-service", "group:default/checkout"))
	errs := e.submit(userJane, e.form(userJane, "new-environment"), newEnvironmentValues("carts-service", "perf", "standard", "us-east-1", ""))
	if want := `"carts-service" is not one of the choices`; !strings.Contains(errs["service"], want) {
		t.Errorf("field errors %v, want service: %q", errs, want)
	}
}

// inRepoCatalog is the test catalog with orders-service declaring its
// intent in a catalog file inside the GitOps repository (file), as the
// catalog reports an entity read from a file location there.
type inRepoCatalog struct {
	*catalogtest.Catalog
	file string
}

func (c *inRepoCatalog) List(kind string) []*catalog.Entity {
	out := c.Catalog.List(kind)
	for i, e := range out {
		if e.Kind == catalog.KindComponent && e.Metadata.Name == "orders-service" {
			cp := *e
			cp.Spec = maps.Clone(e.Spec)
			cp.Spec["deployment"] = map[string]any{"environments": []any{
				map[string]any{"name": "dev", "tier": "standard"}, map[string]any{"name": "staging", "tier": "standard"}}}
			cp.Source = catalog.Source{Location: "file:" + c.file, File: c.file, Line: 2}
			out[i] = &cp
		}
	}
	return out
}

const ordersCatalogFile = `# orders-service, owned by payments
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: orders-service
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  deployment:
    environments:
      - {name: dev, tier: standard}     # shared
      - {name: staging, tier: standard}
`

// /plat new-environment for a service whose catalog file is in the GitOps
// repository: the same pull request adds the environment to its
// spec.deployment.environments (comments and style kept), and its
// description says so; for a service whose file lives elsewhere the
// description says what to add where.
func TestNewEnvironmentPathAddsToIntent(t *testing.T) {
	pl := &tablePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	cat := &inRepoCatalog{Catalog: newCatalog(t)}
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl})
	repo := filepath.Join(e.dir, "gitops")
	cat.file = filepath.Join(repo, "catalog", "orders-service.yaml")
	ctx := context.Background()
	lr, err := gitlocal.Open(ctx, repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lr.OpenPullRequest(ctx, gitlocal.PullRequestSpec{Branch: "seed", Title: "seed", CommitMessage: "seed",
		Files: []gitlocal.File{{Path: "catalog/orders-service.yaml", Content: []byte(ordersCatalogFile)},
			{Path: "services/orders-service/chart/Chart.yaml", Content: []byte(ordersChart)}}}); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "update-ref", "refs/heads/main", "seed")
	e.approve(t, "new-environment")

	// The dry run shows the edit.
	if errs := e.submit(userJane, e.form(userJane, "new-environment --dry-run"), newEnvironmentValues("orders-service", "prod-eu", "tier1", "eu-west-1", "")); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	if out := e.msgr.Last().Text(); !strings.Contains(out, "edit catalog/orders-service.yaml: add prod-eu to the spec.deployment.environments of orders-service") {
		t.Fatalf("dry run:\n%s", out)
	}

	if errs := e.submit(userJane, e.form(userJane, "new-environment"), newEnvironmentValues("orders-service", "prod-eu", "tier1", "eu-west-1", "")); errs != nil {
		t.Fatalf("valid environment refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-environment"
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != "apps/payments/orders-service/prod-eu.yaml\ncatalog/orders-service.yaml\nservices/orders-service/chart/values-prod-eu.yaml" {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	want := ordersCatalogFile + "      - {name: prod-eu, tier: tier1, region: eu-west-1}\n"
	if got := git(t, repo, "show", branch+":catalog/orders-service.yaml") + "\n"; got != want {
		t.Fatalf("catalog file on %s:\n%s\nwant\n%s", branch, got, want)
	}
	// What the catalog reads back from the edited file is the new intent.
	edited := catalogtest.New(t, want)
	ent, ok := edited.Get("component:default/orders-service")
	if !ok {
		t.Fatal("the edited file has no orders-service")
	}
	in, has, err := catalog.IntentOf(ent)
	if err != nil || !has || strings.Join(in.Names(), ",") != "dev,staging,prod-eu" {
		t.Fatalf("intent read back: %+v %v %v", in, has, err)
	}
	pr, err := lr.FindPullRequest(ctx, branch)
	if err != nil || pr == nil {
		t.Fatalf("pull request record: %v", err)
	}
	if !strings.Contains(pr.Body, "This pull request also adds `{name: prod-eu, tier: tier1, region: eu-west-1}` to the spec.deployment.environments of orders-service in its catalog file, `catalog/orders-service.yaml`") {
		t.Fatalf("pull request body:\n%s", pr.Body)
	}
}

// The same path for a service whose catalog file is outside the GitOps
// repository: no catalog file in the pull request, and its description
// says what to add where.
func TestNewEnvironmentPathIntentElsewhere(t *testing.T) {
	pl := &tablePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	cat := &inRepoCatalog{Catalog: newCatalog(t), file: filepath.Join(t.TempDir(), "catalog-info.yaml")}
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl})
	repo := filepath.Join(e.dir, "gitops")
	seedGitOps(t, repo)
	e.command(userAdmin, "template approve new-environment")
	if errs := e.submit(userJane, e.form(userJane, "new-environment"), newEnvironmentValues("orders-service", "prod-eu", "tier1", "eu-west-1", "")); errs != nil {
		t.Fatalf("valid environment refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-environment"
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != "apps/payments/orders-service/prod-eu.yaml\nservices/orders-service/chart/values-prod-eu.yaml" {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := lr.FindPullRequest(context.Background(), branch)
	if err != nil || pr == nil {
		t.Fatalf("pull request record: %v", err)
	}
	if want := "The catalog entity of orders-service is read from " + cat.file + ", outside the GitOps repository this pull request targets: add `{name: prod-eu, tier: tier1, region: eu-west-1}` to `spec.deployment.environments` of orders-service there"; !strings.Contains(pr.Body, want) {
		t.Fatalf("pull request body:\n%s\nwant %q", pr.Body, want)
	}
}
