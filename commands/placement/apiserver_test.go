package placement

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/testenv"
)

// The Applications a move proposes — a new one, and one rewritten in place
// — are accepted by a real kube-apiserver with Argo CD's own Application
// CRD installed (server-side dry run, unknown fields refused), so what
// merges is what Argo CD can apply.
func TestMovedApplicationsPassTheAPIServer(t *testing.T) {
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
	const existing = "apps/checkout/checkout-service/dev.yaml"
	files := mapFiles{existing: `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: checkout-service-dev
  namespace: argocd
spec:
  project: checkout
  source:
    repoURL: https://github.com/acme/checkout-deploy
    path: dev
  destination:
    name: euw1-shared
    namespace: checkout-dev
`}
	e := newEnv(t, options{files: files})
	e.h.Run("U-alice", "move checkout-service staging --to euw1-shared")
	e.h.Run("U-bob", "move checkout-service dev --auto")
	changes := e.pub.Changes()
	if len(changes) != 2 {
		t.Fatalf("%d pull requests, want 2", len(changes))
	}
	for _, c := range changes {
		for path, manifest := range c.Files {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			_, err := dyn.Resource(argocd.ApplicationGVR).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{
				DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict",
			})
			if err != nil {
				t.Errorf("%s refused by the API server: %v\n%s", path, err, manifest)
			}
		}
	}
}
