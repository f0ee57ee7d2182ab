// Package argocdtest installs Argo CD's Application CRD (the fixture in
// integrations/argocd/testdata, Argo CD's own manifest) on a test
// kube-apiserver (integrations/testenv) and writes Application objects
// with the status Argo CD's controller would write. It is for tests only.
package argocdtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/platbot/platbot/integrations/argocd"
)

var (
	crdGVR       = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// CRDPath is the path of the Application CRD fixture.
func CRDPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "application-crd.yaml")
}

// Install creates the Application CRD (unless it exists) and namespace ns,
// and waits until the API server serves Applications.
func Install(ctx context.Context, rc *rest.Config, ns string) (dynamic.Interface, error) {
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	raw, err := os.ReadFile(CRDPath())
	if err != nil {
		return nil, fmt.Errorf("read the CRD fixture: %w", err)
	}
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &crd.Object); err != nil {
		return nil, fmt.Errorf("parse the CRD fixture: %w", err)
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create the Application CRD: %w", err)
	}
	nsObj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}
	if _, err := dyn.Resource(namespaceGVR).Create(ctx, nsObj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create namespace %s: %w", ns, err)
	}
	// The CRD is served once established; until then a list fails.
	for {
		_, err := dyn.Resource(argocd.ApplicationGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			return dyn, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the Application CRD to be served: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// App is an Application to write: metadata, and the status fields Argo
// CD's controller fills in.
type App struct {
	Namespace, Name string
	Labels          map[string]string
	Annotations     map[string]string

	Sync, Health, Revision string
	// OperationPhase and FinishedAt make status.operationState.
	OperationPhase string
	FinishedAt     time.Time
	// History are the deployedAt times of status.history, oldest first.
	History []time.Time
}

// Object renders the Application (spec as Argo CD requires, status as set).
func (a App) Object() *unstructured.Unstructured {
	meta := map[string]any{"name": a.Name, "namespace": a.Namespace}
	if len(a.Labels) > 0 {
		meta["labels"] = stringMap(a.Labels)
	}
	if len(a.Annotations) > 0 {
		meta["annotations"] = stringMap(a.Annotations)
	}
	status := map[string]any{}
	if a.Sync != "" || a.Revision != "" {
		status["sync"] = map[string]any{"status": a.Sync, "revision": a.Revision}
	}
	if a.Health != "" {
		status["health"] = map[string]any{"status": a.Health}
	}
	if a.OperationPhase != "" {
		op := map[string]any{
			"phase":     a.OperationPhase,
			"startedAt": a.FinishedAt.Add(-time.Minute).UTC().Format(time.RFC3339),
			"operation": map[string]any{"sync": map[string]any{"revision": a.Revision}},
		}
		if !a.FinishedAt.IsZero() {
			op["finishedAt"] = a.FinishedAt.UTC().Format(time.RFC3339)
		}
		status["operationState"] = op
	}
	if len(a.History) > 0 {
		var h []any
		for i, t := range a.History {
			h = append(h, map[string]any{
				"id": int64(i), "revision": a.Revision, "deployedAt": t.UTC().Format(time.RFC3339),
				"deployStartedAt": t.Add(-time.Minute).UTC().Format(time.RFC3339),
				"source":          map[string]any{"repoURL": "https://github.com/acme/gitops", "path": a.Name},
			})
		}
		status["history"] = h
	}
	obj := map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   meta,
		"spec": map[string]any{
			"project":     "default",
			"source":      map[string]any{"repoURL": "https://github.com/acme/gitops", "path": a.Name, "targetRevision": "main"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": a.Name},
		},
	}
	if len(status) > 0 {
		obj["status"] = status
	}
	return &unstructured.Unstructured{Object: obj}
}

// Apply creates the Application or replaces the existing one's labels,
// annotations and status (the CRD has no status subresource: Argo CD's
// controller writes status through the object itself, as this does).
func Apply(ctx context.Context, dyn dynamic.Interface, a App) error {
	res := dyn.Resource(argocd.ApplicationGVR).Namespace(a.Namespace)
	want := a.Object()
	cur, err := res.Get(ctx, a.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err := res.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create application %s/%s: %w", a.Namespace, a.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get application %s/%s: %w", a.Namespace, a.Name, err)
	}
	want.SetResourceVersion(cur.GetResourceVersion())
	if _, err := res.Update(ctx, want, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update application %s/%s: %w", a.Namespace, a.Name, err)
	}
	return nil
}

// Delete removes the Application.
func Delete(ctx context.Context, dyn dynamic.Interface, namespace, name string) error {
	err := dyn.Resource(argocd.ApplicationGVR).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete application %s/%s: %w", namespace, name, err)
	}
	return nil
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
