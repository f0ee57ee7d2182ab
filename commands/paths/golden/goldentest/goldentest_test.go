package goldentest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// A valid manifest passes; an unknown field, a wrong type and an unknown
// kind are each refused by the API server, named.
func TestDryRunRefusesWhatTheAPIServerWould(t *testing.T) {
	DryRun(t, `# a comment
apiVersion: v1
kind: ConfigMap
metadata: {name: ok, namespace: golden-a}
data: {k: v}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: golden-a}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: job, image: busybox:1.36}]
`)
	errs := Check(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: bad, namespace: golden-a}
dataa: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec: {replicas: "three"}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
`)
	if len(errs) != 3 || !strings.Contains(errs[0].Error(), "ConfigMap bad") || !strings.Contains(errs[2].Error(), "does not know it") {
		t.Fatalf("refusals: %v", errs)
	}
	// Once its CRD is installed, the custom kind is checked like the rest.
	crd := filepath.Join(t.TempDir(), "widgets.yaml")
	if err := os.WriteFile(crd, []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	InstallCRDs(t, crd)
	DryRun(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: golden-a}\nspec: {size: 3}\n")
	if errs := Check(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: golden-a}\nspec: {size: 3, colour: red}\n"); len(errs) != 1 {
		t.Fatalf("unknown field of a custom kind: %v", errs)
	}
}
