package golden

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

const serviceMonitorCRD = "testdata/crds/prometheus-operator/monitoring.coreos.com_servicemonitors.yaml"

// seedPlacer places the seed's four environments; without eu-west-1 no
// cluster runs in that region.
func seedPlacer(euWest bool) *rulePlacer {
	p := &rulePlacer{clusters: map[string]string{
		"standard/": "use1-dev-a", "tier1/us-east-1": "use1-prod-a",
	}}
	if euWest {
		p.clusters["tier1/eu-west-1"] = "euw1-prod-a"
	}
	return p
}

func serviceAction(t *testing.T, pl actions.Placer) serviceManifests {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("payments"),
		catalogtest.Component("checkout-service", "payments"),
	)
	return serviceManifests{d: actions.Deps{Catalog: cat, Placer: pl}}
}

// serviceStep is the step as the new-service template fills it.
func serviceStep(over map[string]any) *actions.StepContext {
	in := map[string]any{
		"name": "ledger-api", "owner": "group:default/payments",
		"environments": []any{"dev", "staging", "prod-us", "prod-eu"},
	}
	for k, v := range over {
		in[k] = v
	}
	raw := map[string]any{}
	for _, k := range []string{"name", "owner", "environments", "image"} {
		raw[k] = "${{ parameters." + k + " }}"
	}
	return &actions.StepContext{Run: actions.Run{ID: "r1", Owner: "group:default/payments"}, StepKey: "manifests",
		Input: in, RawInput: raw, Files: map[string]string{}, Executable: map[string]bool{}}
}

// strict decodes one manifest into its Go type, refusing unknown fields.
func strict(t *testing.T, name, content string, into any) {
	t.Helper()
	if err := sigsyaml.UnmarshalStrict([]byte(content), into); err != nil {
		t.Fatalf("%s does not decode strictly: %v", name, err)
	}
}

func TestServiceManifestsPerEnvironmentDecodeAndDryRun(t *testing.T) {
	pl := seedPlacer(true)
	a := serviceAction(t, pl)
	sc := serviceStep(nil)
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out["files"].([]any)); got != 4*7 {
		t.Fatalf("files: %d, want 28: %v", got, out["files"])
	}
	// Every environment is placed by the rules as a new service of its
	// owner, its Application deploying the environment's folder.
	if len(pl.asked) != 4 {
		t.Fatalf("placed %d environments, want 4: %+v", len(pl.asked), pl.asked)
	}
	for _, r := range pl.asked {
		if r.Service != "ledger-api" || r.Owner != "group:default/payments" || r.SourcePath != "teams/payments/ledger-api/"+r.Environment {
			t.Errorf("place request %+v", r)
		}
		if _, ok := sc.Files["apps/checkout/ledger-api/"+r.Environment+".yaml"]; !ok {
			t.Errorf("no Application of %s in the files", r.Environment)
		}
	}
	if pl.asked[3].Environment != "prod-eu" || pl.asked[3].Tier != "tier1" || pl.asked[3].Region != "eu-west-1" {
		t.Errorf("prod-eu's intent %+v", pl.asked[3])
	}
	if got := out["placements"].([]any); len(got) != 4 || !strings.Contains(got[3].(string), "prod-eu → cluster euw1-prod-a") {
		t.Errorf("placements %v", got)
	}
	goldentest.InstallCRDs(t, serviceMonitorCRD)
	for _, env := range []string{"dev", "staging", "prod-us", "prod-eu"} {
		dir := path.Join("teams/payments/ledger-api", env)
		file := func(n string) string {
			c, ok := sc.Files[path.Join(dir, n)]
			if !ok {
				t.Fatalf("no %s/%s in %v", dir, n, out["files"])
			}
			return c
		}
		var dep appsv1.Deployment
		strict(t, "deployment", file("deployment.yaml"), &dep)
		var svc corev1.Service
		strict(t, "service", file("service.yaml"), &svc)
		var hpa autoscalingv2.HorizontalPodAutoscaler
		strict(t, "hpa", file("hpa.yaml"), &hpa)
		var pdb policyv1.PodDisruptionBudget
		strict(t, "pdb", file("pdb.yaml"), &pdb)
		var cm corev1.ConfigMap
		strict(t, "dashboard", file("dashboard.yaml"), &cm)

		wantMin := int32(1)
		if strings.HasPrefix(env, "prod") {
			wantMin = 3
		}
		if *hpa.Spec.MinReplicas != wantMin || *dep.Spec.Replicas != wantMin {
			t.Errorf("%s: minReplicas %d, replicas %d, want %d", env, *hpa.Spec.MinReplicas, *dep.Spec.Replicas, wantMin)
		}
		if hpa.Spec.ScaleTargetRef.Name != dep.Name || svc.Spec.Selector["app.kubernetes.io/name"] != dep.Spec.Template.Labels["app.kubernetes.io/name"] {
			t.Errorf("%s: the HPA or Service does not point at the Deployment", env)
		}
		if dep.Spec.Template.Spec.Containers[0].Image != "ghcr.io/payments/ledger-api:latest" {
			t.Errorf("%s: image %q", env, dep.Spec.Template.Spec.Containers[0].Image)
		}
		if cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("%s: dashboard labels %v, want grafana_dashboard=1", env, cm.Labels)
		}
		var dash grafanaDashboard
		if len(cm.Data) != 1 {
			t.Fatalf("%s: dashboard data %v", env, cm.Data)
		}
		for _, j := range cm.Data {
			dec := json.NewDecoder(strings.NewReader(j))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&dash); err != nil {
				t.Fatalf("%s: dashboard JSON: %v", env, err)
			}
		}
		if len(dash.Panels) != 5 || !strings.Contains(dash.Panels[0].Targets[0].Expr, `namespace="ledger-api"`) {
			t.Errorf("%s: dashboard panels %+v", env, dash.Panels)
		}
		for _, n := range []string{"deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml", "servicemonitor.yaml", "dashboard.yaml"} {
			goldentest.DryRun(t, file(n))
		}
	}
	// A retry writes the same files again.
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestServiceManifestsRefuseBadInputOnItsField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		over  map[string]any
		field string
		want  string
	}{
		{"name clash", map[string]any{"name": "checkout-service"}, "name", "already has a component checkout-service"},
		{"bad name", map[string]any{"name": "Ledger_API"}, "name", "is not a service name"},
		{"unknown environment", map[string]any{"environments": []any{"dev", "prod-ap"}}, "environments", `"prod-ap" is not an environment`},
		{"no environment", map[string]any{"environments": []any{}}, "environments", "at least one"},
		{"a region with no cluster", nil, "environments", "prod-eu (tier tier1, eu-west-1): no placement rule matches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := serviceAction(t, seedPlacer(tc.over != nil))
			sc := serviceStep(tc.over)
			_, err := a.Plan(context.Background(), sc)
			var fe bot.FieldErrors
			if !errors.As(err, &fe) || !strings.Contains(fe[tc.field], tc.want) {
				t.Fatalf("error %v, want a field error on %s containing %q", err, tc.field, tc.want)
			}
			if len(sc.Files) != 0 {
				t.Errorf("files written on bad input: %v", sc.Files)
			}
		})
	}
}

func TestServiceMonitorRefusedWithoutItsCRDShape(t *testing.T) {
	// The dry run is a real check: the ServiceMonitor with a field the
	// CRD's schema lacks is refused.
	goldentest.InstallCRDs(t, serviceMonitorCRD)
	s := &serviceSpec{name: "ledger-api", team: "payments", image: "x"}
	u := serviceMonitor(s, serviceEnvs["dev"])
	u.Object["spec"].(map[string]any)["endpoints"].([]any)[0].(map[string]any)["scrapeEvery"] = "30s"
	b, err := sigsyaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	if errs := goldentest.Check(t, string(b)); len(errs) == 0 {
		t.Fatal("a ServiceMonitor with an unknown field passed the dry run")
	}
}
