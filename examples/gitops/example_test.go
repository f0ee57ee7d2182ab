package gitops

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"path"
	"regexp"
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

// exampleCatalog loads the example catalog (examples/catalog).
func exampleCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: "../catalog"}}
	cat, err := catalog.Load(context.Background(), cfg, catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

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
	cat := exampleCatalog(t)
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
	for p := range databaseFiles(t, cat, got) {
		want[p] = true
	}
	for p := range got {
		if strings.HasPrefix(p, "services/") {
			want[p] = true // the services' Helm charts: chart_test.go
		}
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
		if !strings.HasPrefix(p, "teams/") {
			continue // the databases' claims: databaseFiles
		}
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

// databaseFiles checks the example databases' folders
// (databases/<db>/) and returns their files: each database of the example
// catalog that new-db made has the catalog entry new-db wrote (the same
// entity as the catalog's), numbered migrations starting at 0001_init.sql
// and, per environment, a PostgresInstance and an ExternalSecret in
// <team>-<environment>; every file under databases/ belongs to one.
func databaseFiles(t *testing.T, cat *catalog.Catalog, got map[string][]byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	dbs := 0
	for _, e := range cat.List(catalog.KindResource) {
		if e.Annotation("platbot.dev/golden-path") != "new-db" {
			continue
		}
		dbs++
		dir := path.Join("databases", e.Metadata.Name)
		var entry catalog.Entity
		decodeStrict(t, got, path.Join(dir, "catalog-info.yaml"), &entry)
		if entry.Ref() != e.Ref() || entry.Owner() != e.Owner() || entry.Type() != "database" || entry.Annotation("backstage.io/source-template") != "template:default/new-db" {
			t.Errorf("%s/catalog-info.yaml is %s (owner %s, type %s), want the catalog's %s", dir, entry.Ref(), entry.Owner(), entry.Type(), e.Ref())
		}
		team := strings.TrimPrefix(e.Owner(), "group:default/")
		envs := map[string]bool{}
		migrations := 0
		for p := range got {
			rel, ok := strings.CutPrefix(p, dir+"/")
			if !ok {
				continue
			}
			out[p] = true
			switch d, f := path.Split(rel); {
			case rel == "catalog-info.yaml" || rel == "migrations/README.md":
			case d == "migrations/":
				if !migrationName.MatchString(f) {
					t.Errorf("%s: not a migration file name (NNNN_name.sql)", p)
				}
				migrations++
			case f == "postgres-instance.yaml" || f == "external-secret.yaml":
				env := strings.TrimSuffix(d, "/")
				envs[env] = true
				var u map[string]any
				if err := sigsyaml.UnmarshalStrict(got[p], &u); err != nil {
					t.Errorf("%s: %v", p, err)
					continue
				}
				meta, _ := u["metadata"].(map[string]any)
				wantKind := map[string]string{"postgres-instance.yaml": "PostgresInstance", "external-secret.yaml": "ExternalSecret"}[f]
				if u["kind"] != wantKind || meta["namespace"] != team+"-"+env {
					t.Errorf("%s: %v in %v, want a %s in %s-%s", p, u["kind"], meta["namespace"], wantKind, team, env)
				}
			default:
				t.Errorf("%s is not a file new-db writes", p)
			}
		}
		if _, ok := got[path.Join(dir, "migrations", "0001_init.sql")]; !ok || migrations < 2 {
			t.Errorf("%s: %d migrations, want 0001_init.sql and one after it", dir, migrations)
		}
		for env := range envs {
			for _, f := range []string{"postgres-instance.yaml", "external-secret.yaml"} {
				if _, ok := got[path.Join(dir, env, f)]; !ok {
					t.Errorf("%s/%s/%s is missing", dir, env, f)
				}
			}
		}
	}
	if dbs == 0 {
		t.Error("the example catalog has no database new-db made")
	}
	return out
}

var migrationName = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+\.sql$`)
