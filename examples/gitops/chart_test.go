package gitops

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"text/template"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

// chartMeta is a Chart.yaml (Helm's apiVersion v2), decoded strictly.
type chartMeta struct {
	APIVersion  string `json:"apiVersion"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	Version     string `json:"version"`
	AppVersion  string `json:"appVersion"`
}

// TestExampleCharts: each example Helm chart (services/<service>/chart,
// where new-environment's Applications point) is embedded, belongs to a
// service of the example catalog with a deployment intent, has a valid
// Chart.yaml, a values.yaml with the keys new-environment's overlay sets
// (replicaCount, image.tag) and templates; rendered with an overlay as
// new-environment writes it, every manifest decodes strictly with its
// Kubernetes type, carries the overlay's values, and the API server
// accepts it (server-side dry run). The templates use only Go
// text/template's built-in functions, so text/template renders them as
// Helm does.
func TestExampleCharts(t *testing.T) {
	embedded, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	cat := exampleCatalog(t)
	disk := os.DirFS(".")
	charts, err := fs.Glob(disk, "services/*/chart/Chart.yaml")
	if err != nil || len(charts) == 0 {
		t.Fatalf("no example chart (%v)", err)
	}
	for _, c := range charts {
		dir := path.Dir(c)
		service := path.Base(path.Dir(dir))
		t.Run(service, func(t *testing.T) {
			// Every file of the chart is in the embedded state.
			err := fs.WalkDir(disk, dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := fs.ReadFile(disk, p)
				if err != nil {
					return err
				}
				if !bytes.Equal(embedded[p], b) {
					t.Errorf("%s/%s is not embedded as it is", Dir, p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			ent, ok := cat.Lookup(service, catalog.KindComponent)
			if !ok {
				t.Fatalf("%s: no service %s in the example catalog", Dir, service)
			}
			if _, has, err := catalog.IntentOf(ent); err != nil || !has {
				t.Errorf("%s declares no deployment intent (%v)", service, err)
			}
			var meta chartMeta
			decodeStrict(t, embedded, c, &meta)
			if meta.APIVersion != "v2" || meta.Name != service || meta.Type != "application" || meta.Version == "" || meta.AppVersion == "" {
				t.Errorf("%s: %+v", c, meta)
			}
			var defaults struct {
				ReplicaCount int64 `json:"replicaCount"`
				Image        struct {
					Repository string `json:"repository"`
					Tag        string `json:"tag"`
				} `json:"image"`
				Service struct {
					Port int32 `json:"port"`
				} `json:"service"`
			}
			decodeStrict(t, embedded, path.Join(dir, "values.yaml"), &defaults)
			if defaults.ReplicaCount < 1 || defaults.Image.Repository == "" || defaults.Image.Tag == "" || defaults.Service.Port == 0 {
				t.Errorf("%s/values.yaml: %+v", dir, defaults)
			}

			// Render as Argo CD's Helm source would, with values.yaml and
			// an environment's overlay (new-environment's helmValues).
			var values map[string]any
			if err := sigsyaml.Unmarshal(embedded[path.Join(dir, "values.yaml")], &values); err != nil {
				t.Fatal(err)
			}
			overlay := map[string]any{"replicaCount": 3, "image": map[string]any{"tag": "2.0.1"}}
			ns := ent.Annotation("backstage.io/kubernetes-namespace")
			data := map[string]any{
				"Values":  merge(values, overlay),
				"Chart":   map[string]any{"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion},
				"Release": map[string]any{"Name": service + "-perf", "Namespace": ns, "Service": "Helm"},
			}
			tpls, _ := fs.Glob(disk, path.Join(dir, "templates", "*.yaml"))
			if len(tpls) == 0 {
				t.Fatalf("%s has no templates", dir)
			}
			kinds := map[string]bool{}
			for _, p := range tpls {
				tpl, err := template.New(path.Base(p)).Option("missingkey=error").Parse(string(embedded[p]))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				var out bytes.Buffer
				if err := tpl.Execute(&out, data); err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				var tm struct {
					Kind string `json:"kind"`
				}
				if err := utilyaml.Unmarshal(out.Bytes(), &tm); err != nil {
					t.Fatalf("%s renders no manifest: %v\n%s", p, err, out.String())
				}
				kinds[tm.Kind] = true
				switch tm.Kind {
				case "Deployment":
					var d appsv1.Deployment
					if err := sigsyaml.UnmarshalStrict(out.Bytes(), &d); err != nil {
						t.Fatalf("%s: %v\n%s", p, err, out.String())
					}
					if *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].Image != defaults.Image.Repository+":2.0.1" || d.Namespace != ns {
						t.Errorf("%s renders replicas %d, image %s, namespace %s", p, *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image, d.Namespace)
					}
				case "Service":
					var s corev1.Service
					if err := sigsyaml.UnmarshalStrict(out.Bytes(), &s); err != nil {
						t.Fatalf("%s: %v\n%s", p, err, out.String())
					}
				default:
					t.Errorf("%s renders a %s", p, tm.Kind)
				}
				for _, err := range goldentest.Check(t, out.String()) {
					t.Errorf("%s: %v", p, err)
				}
			}
			if got := slices.Sorted(maps.Keys(kinds)); strings.Join(got, ",") != "Deployment,Service" {
				t.Errorf("%s renders %v", dir, got)
			}
		})
	}
}

// merge is b over a, as Helm merges value files.
func merge(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = merge(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
