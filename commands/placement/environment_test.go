package placement

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/placement/place"
	examplegitops "github.com/platbot/platbot/examples/gitops"
	exampleplacement "github.com/platbot/platbot/examples/placement"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/testenv"
)

func newEnvironments(t *testing.T, files FileReader, edit func(*Config)) *Environments {
	t.Helper()
	cfg, err := LoadFile(exampleplacement.Config, exampleplacement.File)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	envs, err := NewEnvironments(cfg, catalogtest.New(t, testCatalog), files)
	if err != nil {
		t.Fatal(err)
	}
	return envs
}

// decodeApplication reads an Application strictly (unknown keys refused).
func decodeApplication(t *testing.T, manifest []byte) Application {
	t.Helper()
	var app Application
	dec := yaml.NewDecoder(bytes.NewReader(manifest))
	dec.KnownFields(true)
	if err := dec.Decode(&app); err != nil {
		t.Fatalf("decode Application: %v\n%s", err, manifest)
	}
	return app
}

// A new environment is placed by the rules, never by the caller, and its
// Application says where, why, and which Helm value files it deploys.
func TestNewEnvironmentPlacedByTheRules(t *testing.T) {
	envs := newEnvironments(t, mapFiles{}, nil)
	got, err := envs.Place(context.Background(), NewEnvironment{
		Service: "component:default/checkout-service", Env: Environment{Name: "prod-eu2", Tier: "tier1", Region: "eu-west-1"},
		SourcePath: "services/checkout-service/chart", ValueFiles: []string{"values-prod-eu2.yaml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "prod-eu2 → cluster euw1-prod-a: rule `tier1-eu` matched tier=tier1, region=eu-west-1"; got.Explain != want {
		t.Errorf("explain %q, want %q", got.Explain, want)
	}
	if got.Cluster != "euw1-prod-a" || got.Path != "apps/checkout/checkout-service/prod-eu2.yaml" || got.Team != "checkout" {
		t.Errorf("placed %+v", got)
	}
	app := decodeApplication(t, got.Manifest)
	if app.Metadata.Name != "checkout-service-prod-eu2" || app.Metadata.Namespace != "argocd" {
		t.Errorf("metadata %+v", app.Metadata)
	}
	for k, v := range map[string]string{LabelService: "checkout-service", LabelTeam: "checkout", LabelEnvironment: "prod-eu2",
		LabelTier: "tier1", LabelRegion: "eu-west-1", LabelCluster: "euw1-prod-a"} {
		if app.Metadata.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, app.Metadata.Labels[k], v)
		}
	}
	if a := app.Metadata.Annotations[AnnotationPlacement]; a != "rule `tier1-eu` matched tier=tier1, region=eu-west-1" {
		t.Errorf("placement annotation %q", a)
	}
	src := app.Spec.Source
	if src.Path != "services/checkout-service/chart" || src.RepoURL != "https://github.com/acme/deploy" || src.TargetRevision != "main" ||
		src.Helm == nil || len(src.Helm.ValueFiles) != 1 || src.Helm.ValueFiles[0] != "values-prod-eu2.yaml" {
		t.Errorf("source %+v", src)
	}
	if d := app.Spec.Destination; d.Name != "euw1-prod-a" || d.Server != "" || d.Namespace != "checkout" {
		t.Errorf("destination %+v", d)
	}
	if app.Spec.Project != "checkout" || app.Spec.SyncPolicy == nil || app.Spec.SyncPolicy.Automated == nil {
		t.Errorf("spec %+v", app.Spec)
	}

	// Without a source path the configured one is used, and no helm section.
	plain, err := envs.Place(context.Background(), NewEnvironment{Service: "cart-service", Env: Environment{Name: "qa", Tier: "standard"}})
	if err != nil {
		t.Fatal(err)
	}
	if a := decodeApplication(t, plain.Manifest); a.Spec.Source.Path != "teams/checkout/cart-service/qa" || a.Spec.Source.Helm != nil {
		t.Errorf("source %+v", a.Spec.Source)
	}
	if !strings.HasPrefix(plain.Explain, "qa → cluster use1-shared: rule `standard` matched tier=standard") {
		t.Errorf("explain %q", plain.Explain)
	}
}

// What cannot be placed is refused with the reason.
func TestNewEnvironmentRefusals(t *testing.T) {
	files := mapFiles{"apps/checkout/checkout-service/qa.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"}
	envs := newEnvironments(t, files, func(c *Config) {
		for i := range c.Clusters {
			if c.Clusters[i].Name == "euw1-prod-a" {
				c.Clusters[i].Cordoned = true
			}
		}
	})
	cases := []struct {
		name string
		n    NewEnvironment
		what string
		want string
	}{
		{"in the intent", NewEnvironment{Service: "checkout-service", Env: Environment{Name: "prod-eu", Tier: "tier1", Region: "eu-west-1"}}, "environment",
			"checkout-service already has an environment prod-eu (tier1, eu-west-1, in spec.deployment)"},
		{"in the compact intent", NewEnvironment{Service: "cart-service", Env: Environment{Name: "dev", Tier: "standard"}}, "environment",
			"cart-service already has an environment dev"},
		{"in the GitOps repository", NewEnvironment{Service: "checkout-service", Env: Environment{Name: "qa", Tier: "standard"}}, "environment",
			"the GitOps repository has its Application apps/checkout/checkout-service/qa.yaml"},
		{"unknown region", NewEnvironment{Service: "checkout-service", Env: Environment{Name: "prod-ap", Tier: "tier1", Region: "ap-south-1"}}, "region",
			"no cluster of the platform runs in region ap-south-1 (the regions are eu-west-1, us-east-1)"},
		{"unknown tier", NewEnvironment{Service: "checkout-service", Env: Environment{Name: "perf", Tier: "gold"}}, "tier",
			"no cluster of the platform takes tier gold (the tiers are standard, tier1)"},
		{"every cluster of the rule cordoned", NewEnvironment{Service: "checkout-service", Env: Environment{Name: "prod-eu2", Tier: "tier1", Region: "eu-west-1"}}, "region",
			"rule `tier1-eu` (line 49) matched, but none of its clusters can take it: euw1-prod-a (cordoned"},
		{"unknown service", NewEnvironment{Service: "nope-service", Env: Environment{Name: "dev"}}, "service", "there is no service nope-service"},
		{"bad name", NewEnvironment{Service: "checkout-service", Env: Environment{Name: "Prod EU"}}, "environment", "must be lower-case letters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := envs.Place(context.Background(), c.n)
			if err == nil {
				t.Fatalf("placed %+v, want an error", got)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
			var ee *EnvironmentError
			if !errors.As(err, &ee) || ee.What != c.what {
				t.Errorf("error %#v is not about the %s", err, c.what)
			}
		})
	}
	var nm *place.NoMatchError
	if _, err := envs.Place(context.Background(), cases[5].n); !errors.As(err, &nm) {
		t.Errorf("cordoned: %v is not a NoMatchError", err)
	}

	// Not configured: says how to configure it.
	none, err := NewEnvironments(DefaultConfig(), catalogtest.New(t, testCatalog), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Place(context.Background(), cases[0].n); err == nil || !strings.Contains(err.Error(), "placement is not configured") {
		t.Errorf("not configured: %v", err)
	}
}

// The feature hands out the same placer (its configuration, catalog and
// GitOps files).
func TestPlacementEnvironmentsUsesTheFeature(t *testing.T) {
	e := newEnv(t, options{files: mapFiles{"apps/checkout/checkout-service/qa.yaml": "kind: Application\n"}})
	_, err := e.p.Environments().Place(context.Background(), NewEnvironment{Service: "checkout-service", Env: Environment{Name: "qa", Tier: "standard"}})
	if err == nil || !strings.Contains(err.Error(), "apps/checkout/checkout-service/qa.yaml") {
		t.Errorf("error %v, want the existing Application named", err)
	}
	if got := e.p.Environments().Regions(); strings.Join(got, ",") != "eu-west-1,us-east-1" {
		t.Errorf("regions %v", got)
	}
}

// The Application of a new environment (Helm source with value files) is
// accepted by a real kube-apiserver with Argo CD's Application CRD
// installed: server-side dry run, unknown fields refused.
func TestNewEnvironmentApplicationPassesTheAPIServer(t *testing.T) {
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
	envs := newEnvironments(t, nil, nil)
	for _, n := range []NewEnvironment{
		{Service: "checkout-service", Env: Environment{Name: "prod-eu2", Tier: "tier1", Region: "eu-west-1"},
			SourcePath: "services/checkout-service/chart", ValueFiles: []string{"values-prod-eu2.yaml"}},
		{Service: "checkout-service", Env: Environment{Name: "perf", Tier: "standard", Region: "us-east-1"}},
	} {
		got, err := envs.Place(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := sigsyaml.Unmarshal(got.Manifest, &u.Object); err != nil {
			t.Fatal(err)
		}
		if _, err := dyn.Resource(argocd.ApplicationGVR).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{
			DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict",
		}); err != nil {
			t.Errorf("%s refused by the API server: %v\n%s", got.Path, err, got.Manifest)
		}
	}
}

// A service a golden path is creating (new-service) is not in the catalog
// yet: with its owner it is placed by the same rules, into its team's
// project and its own namespace; a name the catalog has is refused.
func TestNewServiceEnvironmentPlacedBeforeTheCatalogHasIt(t *testing.T) {
	envs := newEnvironments(t, mapFiles{}, nil)
	got, err := envs.Place(context.Background(), NewEnvironment{
		Service: "ledger-api", Owner: "group:default/payments",
		Env: Environment{Name: "prod-eu", Tier: "tier1", Region: "eu-west-1"}, SourcePath: "teams/payments/ledger-api/prod-eu",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Cluster != "euw1-prod-a" || got.Team != "payments" || got.Path != "apps/payments/ledger-api/prod-eu.yaml" {
		t.Errorf("placed %+v", got)
	}
	app := decodeApplication(t, got.Manifest)
	if d := app.Spec.Destination; d.Name != "euw1-prod-a" || d.Namespace != "ledger-api" {
		t.Errorf("destination %+v", d)
	}
	if app.Spec.Project != "payments" || app.Spec.Source.Path != "teams/payments/ledger-api/prod-eu" || app.Spec.Source.Helm != nil {
		t.Errorf("spec %+v", app.Spec)
	}

	_, err = envs.Place(context.Background(), NewEnvironment{
		Service: "checkout-service", Owner: "group:default/payments", Env: Environment{Name: "dev", Tier: "standard"},
	})
	var ee *EnvironmentError
	if !errors.As(err, &ee) || ee.What != "service" || !strings.Contains(err.Error(), "the catalog already has a service checkout-service") {
		t.Fatalf("a new service named like an existing one: %v", err)
	}
}

// A new environment is placed by the same load as where and move: the
// GitOps repository's Applications, and the clusters the same request
// placed its other new environments on.
func TestNewEnvironmentHonoursCapacity(t *testing.T) {
	files := mapFiles{"apps/checkout/cart-service/dev.yaml": appOn("dev", "server: https://use1-shared.k8s.acme.example")}
	envs := newEnvironments(t, files, func(c *Config) {
		for i := range c.Clusters {
			if n := c.Clusters[i].Name; n == "use1-shared" || n == "euw1-shared" {
				c.Clusters[i].Capacity = 1
			}
		}
	})
	qa := NewEnvironment{Service: "checkout-service", Env: Environment{Name: "qa", Tier: "standard"}}
	got, err := envs.Place(context.Background(), qa)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cluster != "euw1-shared" || !strings.Contains(got.Explain, "passed over use1-shared (full: 1 of 1 placements, it takes no new ones)") {
		t.Errorf("placed on %s: %s; want euw1-shared, use1-shared full", got.Cluster, got.Explain)
	}
	qa.Adding = []string{"euw1-shared"} // the request's other new environment went there
	_, err = envs.Place(context.Background(), qa)
	var ee *EnvironmentError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "euw1-shared (full: 1 of 1 placements, it takes no new ones)") {
		t.Errorf("both clusters full: %v", err)
	}
}

// The example configuration's Applications point at folders the example
// GitOps repository has: every environment folder of examples/gitops is
// the source path the example places there.
func TestExampleSourcePathsExistInTheExampleGitOps(t *testing.T) {
	cfg, err := LoadFile(exampleplacement.Config, exampleplacement.File)
	if err != nil {
		t.Fatal(err)
	}
	files, err := examplegitops.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range [][3]string{{"checkout", "checkout-service", "prod-us"}, {"checkout", "cart-service", "dev"}, {"payments", "payments-service", "staging"}} {
		dir := cfg.sourcePath(env[0], env[1], env[2]) + "/"
		found := false
		for p := range files {
			found = found || strings.HasPrefix(p, dir)
		}
		if !found {
			t.Errorf("the example's source path %s has no files in the example GitOps repository", dir)
		}
	}
}
