package golden

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
)

// rulePlacer places by a table of (tier, region) → cluster, refusing the
// environments the table lists as existing, as the placement feature's
// rules would; it records what it was asked.
type rulePlacer struct {
	clusters map[string]string // "tier/region" → cluster
	existing map[string]bool   // "service/env"
	mu       sync.Mutex
	asked    []actions.PlaceRequest
}

func (p *rulePlacer) PlaceEnvironment(_ context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	p.mu.Lock()
	p.asked = append(p.asked, r)
	p.mu.Unlock()
	if p.existing[r.Service+"/"+r.Environment] {
		return nil, &actions.PlaceError{Input: "environment", Err: errors.New(r.Service + " already has an environment " + r.Environment)}
	}
	c, ok := p.clusters[r.Tier+"/"+r.Region]
	if !ok {
		return nil, &actions.PlaceError{Input: "region", Err: errors.New("no placement rule matches tier=" + r.Tier + ", region=" + r.Region)}
	}
	name := strings.TrimPrefix(r.Service, "component:default/")
	return &actions.Placed{
		Cluster: c, Explain: r.Environment + " → cluster " + c + ": rule `" + r.Tier + "` matched tier=" + r.Tier, Team: "checkout",
		Path:     "apps/checkout/" + name + "/" + r.Environment + ".yaml",
		Manifest: "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: " + name + "-" + r.Environment + "}\n",
	}, nil
}

func environmentDeps(t *testing.T, pl actions.Placer) actions.Deps {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("checkout"), catalogtest.Group("reports"),
		catalogtest.User("erik", "U-erik", "checkout"), catalogtest.User("grace", "U-grace", "reports"),
		catalogtest.Component("checkout-service", "group:default/checkout"),
		catalogtest.Component("report-builder", "group:default/reports"),
	)
	return actions.Deps{Catalog: cat, Placer: pl, GitOpsFiles: cacheRepo{checkoutChartFile: checkoutChart}}
}

// checkoutChart is the Chart.yaml of checkout-service's Helm chart, the
// one new-environment's Applications deploy.
const (
	checkoutChartFile = "services/checkout-service/chart/Chart.yaml"
	checkoutChart     = "apiVersion: v2\nname: checkout-service\nversion: 0.1.0\ntype: application\n"
)

// environmentStep is a step filled from the template's parameters, as
// examples/templates/new-environment writes it.
func environmentStep(input map[string]any) *actions.StepContext {
	raw := map[string]any{}
	for k := range input {
		raw[k] = "${{ parameters." + k + " }}"
	}
	raw["chartPath"] = "services/${{ parameters.service | parseEntityRef | pick('name') }}/chart"
	if _, ok := input["chartPath"]; !ok {
		input["chartPath"] = "services/checkout-service/chart"
	}
	return &actions.StepContext{Run: actions.Run{ID: "r1", RequesterRef: "user:default/erik", Owner: "group:default/checkout"},
		StepKey: "environment", Input: input, RawInput: raw, Files: map[string]string{}, Executable: map[string]bool{}}
}

func validInput() map[string]any {
	return map[string]any{
		"service": "component:default/checkout-service", "environment": "prod-eu2", "tier": "tier1", "region": "eu-west-1",
		"replicas": int64(3), "imageTag": "1.4.2",
	}
}

// The values overlay is a typed tree: exactly replicaCount and image.tag.
type valuesOverlay struct {
	ReplicaCount int64 `yaml:"replicaCount"`
	Image        *struct {
		Tag string `yaml:"tag"`
	} `yaml:"image"`
}

func decodeValues(t *testing.T, s string) valuesOverlay {
	t.Helper()
	var v valuesOverlay
	dec := yaml.NewDecoder(bytes.NewReader([]byte(s)))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode values: %v\n%s", err, s)
	}
	return v
}

func TestEnvironmentAddsValuesAndPlacedApplication(t *testing.T) {
	pl := &rulePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	a := newEnvironmentActions(environmentDeps(t, pl))[ActionEnvironment]
	sc := environmentStep(validInput())
	plan, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Files) != 2 {
		t.Errorf("the plan added %d files, want the values and the Application: %v", len(sc.Files), sc.Files)
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "place prod-eu2 of checkout-service: prod-eu2 → cluster euw1-prod-a: rule `tier1`") ||
		!strings.Contains(got, "add services/checkout-service/chart/values-prod-eu2.yaml") ||
		!strings.Contains(got, "add apps/checkout/checkout-service/prod-eu2.yaml (the Argo CD Application deploying prod-eu2 to euw1-prod-a)") {
		t.Errorf("effects:\n%s", got)
	}
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if out["cluster"] != "euw1-prod-a" || out["valuesPath"] != "services/checkout-service/chart/values-prod-eu2.yaml" ||
		out["applicationPath"] != "apps/checkout/checkout-service/prod-eu2.yaml" {
		t.Errorf("output %v", out)
	}
	v := decodeValues(t, sc.Files["services/checkout-service/chart/values-prod-eu2.yaml"])
	if v.ReplicaCount != 3 || v.Image == nil || v.Image.Tag != "1.4.2" {
		t.Errorf("values %+v", v)
	}
	if !strings.HasPrefix(sc.Files["apps/checkout/checkout-service/prod-eu2.yaml"], "apiVersion: argoproj.io/v1alpha1") {
		t.Errorf("application %q", sc.Files["apps/checkout/checkout-service/prod-eu2.yaml"])
	}
	// The placer was asked for the intent, with the chart and its value file.
	r := pl.asked[len(pl.asked)-1]
	if r.Service != "component:default/checkout-service" || r.Environment != "prod-eu2" || r.Tier != "tier1" || r.Region != "eu-west-1" ||
		r.SourcePath != "services/checkout-service/chart" || len(r.ValueFiles) != 1 || r.ValueFiles[0] != "values-prod-eu2.yaml" {
		t.Errorf("asked %+v", r)
	}
	// A retried step writes the same files again.
	before := len(sc.Files)
	if _, err := a.Run(context.Background(), sc); err != nil || len(sc.Files) != before {
		t.Errorf("retry: %v, %d files", err, len(sc.Files))
	}

	// Defaults: two replicas and no image tag (the chart's stays).
	in := validInput()
	delete(in, "replicas")
	delete(in, "imageTag")
	sc = environmentStep(in)
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	if v := decodeValues(t, sc.Files["services/checkout-service/chart/values-prod-eu2.yaml"]); v.ReplicaCount != 2 || v.Image != nil {
		t.Errorf("default values %+v", v)
	}
}

// Every refusal names the form field that holds the value (a
// bot.FieldErrors in the error's chain) and writes nothing.
func TestEnvironmentRefusalsNameTheirField(t *testing.T) {
	pl := &rulePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a", "standard/us-east-1": "use1-shared"},
		existing: map[string]bool{"component:default/checkout-service/staging": true}}
	a := newEnvironmentActions(environmentDeps(t, pl))[ActionEnvironment]
	cases := []struct {
		name  string
		edit  func(map[string]any)
		field string
		want  string
	}{
		{"existing environment", func(in map[string]any) { in["environment"] = "staging" }, "environment", "already has an environment staging"},
		{"no matching cluster", func(in map[string]any) { in["region"] = "us-east-1" }, "region", "no placement rule matches tier=tier1, region=us-east-1"},
		{"another team's service", func(in map[string]any) { in["service"] = "component:default/report-builder" }, "service",
			"report-builder is owned by group:default/reports, not one of your teams (group:default/checkout)"},
		{"unknown service", func(in map[string]any) { in["service"] = "component:default/nope" }, "service", "component:default/nope is not in the catalog"},
		{"bad image tag", func(in map[string]any) { in["imageTag"] = "v1 beta" }, "imageTag", "is not an image tag"},
		{"too many replicas", func(in map[string]any) { in["replicas"] = int64(500) }, "replicas", "must be between 1 and 50, not 500"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput()
			c.edit(in)
			sc := environmentStep(in)
			_, err := a.Plan(context.Background(), sc)
			if err == nil || len(sc.Files) != 0 {
				t.Fatalf("planned (files %v), want a refusal", sc.Files)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q", err, c.want)
			}
			var fe bot.FieldErrors
			if !errors.As(err, &fe) || !strings.Contains(fe[c.field], c.want) || len(fe) != 1 {
				t.Errorf("field errors %v, want %s: %s", fe, c.field, c.want)
			}
			if _, err := a.Run(context.Background(), sc); err == nil || len(sc.Files) != 0 {
				t.Errorf("run: %v, files %v", err, sc.Files)
			}
		})
	}

	// A value the template does not take straight from a parameter is
	// refused without a field.
	in := validInput()
	in["environment"] = "staging"
	sc := environmentStep(in)
	sc.RawInput["environment"] = "${{ parameters.environment | lower }}"
	_, err := a.Plan(context.Background(), sc)
	var fe bot.FieldErrors
	if err == nil || errors.As(err, &fe) {
		t.Errorf("error %v, field errors %v", err, fe)
	}

	// While planning, a value left out blames nothing: the form requires it.
	in = validInput()
	delete(in, "environment")
	if _, err := a.Plan(context.Background(), environmentStep(in)); err != nil {
		t.Errorf("plan without a name: %v", err)
	}
	if _, err := a.Run(context.Background(), environmentStep(in)); err == nil {
		t.Error("ran without a name")
	}
	in = validInput()
	delete(in, "service")
	if _, err := a.Plan(context.Background(), environmentStep(in)); err == nil || !strings.Contains(err.Error(), "names no service") {
		t.Errorf("plan without a service: %v", err)
	}
}

// A service without a Helm chart at the chart path (or with a Chart.yaml
// that is not one) is refused on the service field, naming the path, and
// nothing is written; a chart an earlier step of the run wrote counts;
// without the GitOps repository the step cannot check and says so.
func TestEnvironmentRefusesAServiceWithoutItsChart(t *testing.T) {
	pl := &rulePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	for _, c := range []struct {
		what string
		repo actions.GitOpsFiles
		want string
	}{
		{"no chart", cacheRepo{"services/checkout-service/values.yaml": "replicaCount: 1\n"},
			"checkout-service has no Helm chart at services/checkout-service/chart in the GitOps repository (no services/checkout-service/chart/Chart.yaml)"},
		{"not a chart", cacheRepo{checkoutChartFile: "name: checkout-service\n"},
			"services/checkout-service/chart/Chart.yaml is not a Helm chart's Chart.yaml (it needs apiVersion v2, name and version)"},
		{"not YAML", cacheRepo{checkoutChartFile: "apiVersion: [v2\n"}, "services/checkout-service/chart/Chart.yaml is not a Helm chart's Chart.yaml"},
	} {
		d := environmentDeps(t, pl)
		d.GitOpsFiles = c.repo
		sc := environmentStep(validInput())
		_, err := newEnvironmentActions(d)[ActionEnvironment].Plan(context.Background(), sc)
		var fe bot.FieldErrors
		if !errors.As(err, &fe) || !strings.Contains(fe["service"], c.want) {
			t.Errorf("%s: %v, want service: %q", c.what, err, c.want)
		}
		if len(sc.Files) != 0 {
			t.Errorf("%s: wrote %v", c.what, cacheFileNames(sc.Files))
		}
	}

	d := environmentDeps(t, pl)
	d.GitOpsFiles = cacheRepo{}
	sc := environmentStep(validInput())
	sc.Files[checkoutChartFile] = checkoutChart // an earlier step's
	if _, err := newEnvironmentActions(d)[ActionEnvironment].Plan(context.Background(), sc); err != nil {
		t.Errorf("a chart of the run: %v", err)
	}

	d.GitOpsFiles = nil
	_, err := newEnvironmentActions(d)[ActionEnvironment].Plan(context.Background(), environmentStep(validInput()))
	if err == nil || !strings.Contains(err.Error(), "cannot check the Helm chart of checkout-service (services/checkout-service/chart)") {
		t.Errorf("without the GitOps repository: %v", err)
	}
}

func TestEnvironmentWithoutPlacer(t *testing.T) {
	a := newEnvironmentActions(environmentDeps(t, nil))[ActionEnvironment]
	_, err := a.Plan(context.Background(), environmentStep(validInput()))
	if err == nil || !strings.Contains(err.Error(), "placement is not available here") {
		t.Errorf("error %v", err)
	}
}

func TestEnvironmentCheck(t *testing.T) {
	a := newEnvironmentActions(actions.Deps{})[ActionEnvironment]
	probs := a.Check(nil, template.StepSpec{Input: map[string]any{"service": "x"}})
	if strings.Join(probs, "; ") != "input.environment is missing; input.chartPath is missing" {
		t.Errorf("problems %v", probs)
	}
	if _, ok := Actions(actions.Deps{})[ActionEnvironment]; !ok {
		t.Error("platbot:environment is not registered")
	}
}

// gitopsCatalog is a GitOps repository's base branch holding catalog
// files: it reads them and says which entity sources are in it, as
// integrations/gitops.Publisher does.
type gitopsCatalog struct {
	files map[string]string
	// blobs maps an entity's Source.File to its path in the repository.
	blobs map[string]string
	// reads counts the reads of other files than the chart's.
	reads int
}

func (g *gitopsCatalog) ReadFile(_ context.Context, p string) ([]byte, error) {
	if p == checkoutChartFile {
		return []byte(checkoutChart), nil
	}
	g.reads++
	s, ok := g.files[p]
	if !ok {
		return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
	}
	return []byte(s), nil
}

func (g *gitopsCatalog) ListDir(context.Context, string) ([]string, error) { return nil, nil }

func (g *gitopsCatalog) RepoPath(file string) (string, bool) {
	p, ok := g.blobs[file]
	return p, ok
}

const checkoutCatalogFile = `# checkout's catalog entry
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-service
spec:
  type: service
  owner: group:checkout
  deployment:
    environments:
      - name: dev   # shared cluster
        tier: standard
`

// intentDeps are environmentDeps whose checkout-service (svc) declares
// its intent, over GitOps repository g; source is the file the catalog
// read svc from, for g.blobs.
func intentDeps(t *testing.T, pl actions.Placer, svc *catalog.Entity, g actions.GitOpsFiles) (d actions.Deps, source string) {
	cat := catalogtest.FromEntities(t, catalogtest.Group("checkout"), catalogtest.User("erik", "U-erik", "checkout"), svc)
	e, ok := cat.Get("component:default/checkout-service")
	if !ok || e.Source.File == "" {
		t.Fatalf("no checkout-service with a source in the catalog: %+v", e)
	}
	return actions.Deps{Catalog: cat, Placer: pl, GitOpsFiles: g}, e.Source.File
}

// checkoutWithSpecIntent is checkout-service declaring dev in
// spec.deployment.
func checkoutWithSpecIntent() *catalog.Entity {
	svc := catalogtest.Component("checkout-service", "group:default/checkout")
	svc.Spec["deployment"] = map[string]any{"environments": []any{map[string]any{"name": "dev", "tier": "standard"}}}
	return svc
}

// TestEnvironmentAddsToIntentInTheGitOpsRepository: the service's catalog
// file is in the GitOps repository, so the same pull request adds the
// environment to its spec.deployment.environments, comments kept; a file
// an earlier step of the run wrote is edited as that step left it.
func TestEnvironmentAddsToIntentInTheGitOpsRepository(t *testing.T) {
	pl := &rulePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	g := &gitopsCatalog{files: map[string]string{"catalog/checkout.yaml": checkoutCatalogFile}, blobs: map[string]string{}}
	d, source := intentDeps(t, pl, checkoutWithSpecIntent(), g)
	g.blobs[source] = "catalog/checkout.yaml"
	a := newEnvironmentActions(d)[ActionEnvironment]
	sc := environmentStep(validInput())
	plan, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "edit catalog/checkout.yaml: add prod-eu2 to the spec.deployment.environments of checkout-service") {
		t.Errorf("effects:\n%s", got)
	}
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	want := checkoutCatalogFile + "      - name: prod-eu2\n        tier: tier1\n        region: eu-west-1\n"
	if got := sc.Files["catalog/checkout.yaml"]; got != want {
		t.Fatalf("catalog file:\n%s\nwant\n%s", got, want)
	}
	if out["catalogPath"] != "catalog/checkout.yaml" ||
		out["intent"] != "This pull request also adds `{name: prod-eu2, tier: tier1, region: eu-west-1}` to the spec.deployment.environments of checkout-service in its catalog file, `catalog/checkout.yaml`, so that /plat where shows prod-eu2 once merged." {
		t.Errorf("output %v", out)
	}
	if len(sc.Files) != 3 {
		t.Errorf("files %v, want the values, the Application and the catalog file", sc.Files)
	}
	// A retry edits the run's own copy: the environment is there once.
	reads := g.reads
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	if sc.Files["catalog/checkout.yaml"] != want || g.reads != reads {
		t.Errorf("retry: %d more reads, file\n%s", g.reads-reads, sc.Files["catalog/checkout.yaml"])
	}

	// The compact annotation, when the entity uses that form.
	g.files["catalog/checkout.yaml"] = "kind: Component\nmetadata:\n  name: checkout-service\n  annotations:\n    platbot.dev/environments: dev:standard\n"
	d, source = intentDeps(t, pl, catalogtest.Component("checkout-service", "group:default/checkout", catalog.AnnotationEnvironments+"=dev:standard"), g)
	g.blobs[source] = "catalog/checkout.yaml"
	sc = environmentStep(validInput())
	if out, err = newEnvironmentActions(d)[ActionEnvironment].Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	if got := sc.Files["catalog/checkout.yaml"]; !strings.Contains(got, `platbot.dev/environments: "dev:standard, prod-eu2:tier1@eu-west-1"`) ||
		!strings.Contains(out["intent"].(string), "`prod-eu2:tier1@eu-west-1` to the annotation platbot.dev/environments") {
		t.Errorf("annotation: file\n%s\noutput %v", got, out)
	}
}

// TestEnvironmentIntentElsewhere: a catalog file outside the GitOps
// repository (or missing from its base branch, or one platbot cannot edit
// safely) is left alone, and the pull request's description says what to
// add where.
func TestEnvironmentIntentElsewhere(t *testing.T) {
	pl := &rulePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	for _, c := range []struct {
		name   string
		files  map[string]string
		inRepo bool
		want   string
	}{
		{"another repository", nil, false,
			", outside the GitOps repository this pull request targets: add `{name: prod-eu2, tier: tier1, region: eu-west-1}` to `spec.deployment.environments` of checkout-service there"},
		{"not on the base branch", nil, true,
			"is read from catalog-info.yaml, which the GitOps repository's base branch does not have: add"},
		{"flow-style list", map[string]string{"catalog-info.yaml": "kind: Component\nmetadata: {name: checkout-service}\nspec:\n  deployment:\n    environments: [{name: dev}]\n"}, true,
			"platbot could not edit catalog-info.yaml safely (yamledit: Component checkout-service: spec.deployment.environments is not a block list"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := &gitopsCatalog{files: c.files, blobs: map[string]string{}}
			d, source := intentDeps(t, pl, checkoutWithSpecIntent(), g)
			want := c.want
			if c.inRepo {
				g.blobs[source] = "catalog-info.yaml"
			} else {
				want = "The catalog entity of checkout-service is read from " + source + want
			}
			sc := environmentStep(validInput())
			out, err := newEnvironmentActions(d)[ActionEnvironment].Run(context.Background(), sc)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out["intent"].(string), want) || out["catalogPath"] != "" || len(sc.Files) != 2 {
				t.Errorf("output %v, files %v; want intent %q", out, sc.Files, want)
			}
		})
	}
}

// setPlacer places every environment of a service into one shared file,
// as the placement feature does when the platform writes one ApplicationSet
// per service: Add puts the environment into what the run planned.
type setPlacer struct{}

func (setPlacer) PlaceEnvironment(_ context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	line := "  - env: " + r.Environment + "\n"
	return &actions.Placed{
		Cluster: "euw1-prod-a", Explain: r.Environment + " → cluster euw1-prod-a", Team: "checkout",
		Path: "apps/checkout/checkout-service.yaml", Manifest: "kind: ApplicationSet\nelements:\n" + line,
		Add: func(planned string) (string, error) {
			if strings.Contains(planned, line) {
				return planned, nil
			}
			return planned + line, nil
		},
	}, nil
}

// TestEnvironmentSharedApplicationSet: two environments added by one run
// end up in the service's one ApplicationSet file, and a retried step
// adds nothing twice.
func TestEnvironmentSharedApplicationSet(t *testing.T) {
	a := newEnvironmentActions(environmentDeps(t, setPlacer{}))[ActionEnvironment]
	sc := environmentStep(validInput())
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	sc.Input["environment"] = "perf"
	for range 2 {
		if _, err := a.Run(context.Background(), sc); err != nil {
			t.Fatalf("second environment in the same file: %v", err)
		}
	}
	if got, want := sc.Files["apps/checkout/checkout-service.yaml"], "kind: ApplicationSet\nelements:\n  - env: prod-eu2\n  - env: perf\n"; got != want {
		t.Fatalf("ApplicationSet:\n%s\nwant\n%s", got, want)
	}
}
