package gitops

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

func TestMain(m *testing.M) { code := m.Run(); goldentest.Stop(); os.Exit(code) }

// TestExampleStateMatchesTheCatalog: every service of the example catalog
// with a deployment intent has, in each of its environments, a Deployment
// and a Service in new-service's layout, in the service's namespace
// (backstage.io/kubernetes-namespace), decoded strictly with their
// Kubernetes types; there is nothing else; and the API server accepts
// every manifest (server-side dry run).
func TestExampleStateMatchesTheCatalog(t *testing.T) {
	got, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: "../catalog"}}
	cat, err := catalog.Load(context.Background(), cfg, catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	services := 0
	for _, e := range cat.List(catalog.KindComponent) {
		in, ok, err := catalog.IntentOf(e)
		if err != nil {
			t.Fatalf("%s: %v", e.Metadata.Name, err)
		}
		if !ok {
			continue
		}
		services++
		name, team, ns := e.Metadata.Name, strings.TrimPrefix(e.Owner(), "group:default/"), e.Annotation("backstage.io/kubernetes-namespace")
		for _, env := range in.Environments {
			dir := path.Join("teams", team, name, env.Name)
			want[path.Join(dir, "deployment.yaml")], want[path.Join(dir, "service.yaml")] = true, true

			var dep appsv1.Deployment
			decodeStrict(t, got, path.Join(dir, "deployment.yaml"), &dep)
			if dep.Kind != "Deployment" || dep.Name != name || dep.Namespace != ns || len(dep.Spec.Template.Spec.Containers) != 1 ||
				dep.Labels["platbot.io/environment"] != env.Name || dep.Labels["platbot.io/tier"] != env.Tier || dep.Labels["platbot.io/team"] != team {
				t.Errorf("%s: Deployment %s/%s labels %v, want %s in %s, environment %s, tier %s, team %s", dir, dep.Namespace, dep.Name, dep.Labels, name, ns, env.Name, env.Tier, team)
			}
			if c := dep.Spec.Template.Spec.Containers; len(c) == 1 && !slices.Contains(c[0].Env, corev1.EnvVar{Name: "ENVIRONMENT", Value: env.Name}) {
				t.Errorf("%s: the container's env %v lacks ENVIRONMENT=%s", dir, c[0].Env, env.Name)
			}
			var svc corev1.Service
			decodeStrict(t, got, path.Join(dir, "service.yaml"), &svc)
			if svc.Kind != "Service" || svc.Name != name || svc.Namespace != ns || svc.Spec.Selector["app.kubernetes.io/name"] != dep.Spec.Selector.MatchLabels["app.kubernetes.io/name"] {
				t.Errorf("%s: Service %s/%s selecting %v, want %s in %s selecting the Deployment's pods", dir, svc.Namespace, svc.Name, svc.Spec.Selector, name, ns)
			}
		}
	}
	if services < 3 {
		t.Fatalf("the example catalog has %d services with a deployment intent", services)
	}
	for p := range got {
		if !want[p] {
			t.Errorf("%s/%s belongs to no environment of the example catalog", Dir, p)
		}
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("%s/%s is missing", Dir, p)
		}
	}
	if t.Failed() {
		return
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if errs := goldentest.Check(t, string(got[p])); len(errs) > 0 {
			t.Errorf("%s: %v", p, errs)
		}
	}
}

func decodeStrict(t *testing.T, files map[string][]byte, p string, v any) {
	t.Helper()
	b, ok := files[p]
	if !ok {
		t.Errorf("%s/%s is missing", Dir, p)
		return
	}
	if err := sigsyaml.UnmarshalStrict(b, v); err != nil {
		t.Errorf("%s/%s: %v", Dir, p, err)
	}
}
