package placement

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
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

var (
	crdGVR            = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	applicationSetGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applicationsets"}
)

// installApplicationSetCRD creates Argo CD's ApplicationSet CRD (the
// fixture in testdata, from the Argo CD release of the Application CRD)
// and waits until the API server serves ApplicationSets in ns.
func installApplicationSetCRD(ctx context.Context, t *testing.T, dyn dynamic.Interface, ns string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "applicationset-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &crd.Object); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create the ApplicationSet CRD: %v", err)
	}
	for {
		_, err := dyn.Resource(applicationSetGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("wait for the ApplicationSet CRD to be served: %v (last error: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// The ApplicationSets platbot writes — a new one with several
// environments (one with Helm value files), and a hand-written one with
// an element moved and one added — are accepted by a real kube-apiserver
// with Argo CD's own ApplicationSet CRD (server-side dry run, unknown
// fields refused), and so is every Application they generate.
func TestApplicationSetsPassTheAPIServer(t *testing.T) {
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
	installApplicationSetCRD(ctx, t, dyn, "argocd")
	dryRun := func(gvr schema.GroupVersionResource, what string, manifest []byte) {
		t.Helper()
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(manifest, &u.Object); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if _, err := dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{
			DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict",
		}); err != nil {
			t.Errorf("%s refused by the API server: %v\n%s", what, err, manifest)
		}
	}

	// A new service's environments, placed in one run.
	envs := newEnvironments(t, mapFiles{}, useApplicationSet)
	var file []byte
	for i, n := range []NewEnvironment{
		{Service: "ledger-api", Owner: "group:default/payments", Env: Environment{Name: "dev", Tier: "standard"}},
		{Service: "ledger-api", Owner: "group:default/payments", Env: Environment{Name: "prod-eu", Tier: "tier1", Region: "eu-west-1"},
			SourcePath: "teams/payments/ledger-api/chart", ValueFiles: []string{"values-prod-eu.yaml"}},
	} {
		got, err := envs.Place(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			file = got.Manifest
		} else if file, err = got.Add(file); err != nil {
			t.Fatal(err)
		}
	}

	// A hand-written one: staging moved, prod-us added.
	files := mapFiles{appSetPath: checkoutSet}
	e := newEnv(t, options{files: files, cfg: func(c *Config) {
		useApplicationSet(c)
		c.Production = ProductionConfig{Environments: []string{"live"}}
		for i := range c.Clusters {
			c.Clusters[i].Cordoned = false
		}
	}})
	e.h.Run("U-alice", "move checkout-service staging --auto")
	files[appSetPath] = e.pub.Changes()[0].Files[appSetPath]
	e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a")
	changes := e.pub.Changes()
	if len(changes) != 2 {
		t.Fatalf("%d pull requests, want 2", len(changes))
	}
	for what, manifest := range map[string][]byte{"the new ApplicationSet": file, "the edited ApplicationSet": []byte(changes[1].Files[appSetPath])} {
		dryRun(applicationSetGVR, what, manifest)
		apps := renderApplications(t, decodeApplicationSet(t, manifest))
		if len(apps) < 2 {
			t.Errorf("%s generates %d Applications", what, len(apps))
		}
		for env, app := range apps {
			b, err := yaml.Marshal(app)
			if err != nil {
				t.Fatal(err)
			}
			dryRun(argocd.ApplicationGVR, what+": the Application of "+env, b)
		}
	}
}
