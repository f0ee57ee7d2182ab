// Package goldentest checks the manifests golden paths write against a
// real kube-apiserver (integrations/testenv), started once per test binary,
// with the CustomResourceDefinitions they need installed from fixture
// files: each manifest is applied with a server-side dry run, unknown
// fields refused, as `kubectl apply --server-side --dry-run=server` would.
// It is for tests only.
//
//	func TestMain(m *testing.M) { code := m.Run(); goldentest.Stop(); os.Exit(code) }
//	goldentest.InstallCRDs(t, "testdata/crds/prometheus-operator/prometheusrules.yaml")
//	goldentest.DryRun(t, manifestYAML)
package goldentest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/integrations/testenv"
)

var (
	mu      sync.Mutex
	kube    *testenv.Kube
	kubeErr error
	started bool
	crds    = map[string]bool{}
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Kube is the test binary's API server, started on first use; when it
// cannot run here the test is skipped (or failed under CI, see testenv).
func Kube(t testing.TB) *testenv.Kube {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		kube, kubeErr = testenv.StartKube(ctx)
		cancel()
	}
	testenv.SkipOrFail(t, kubeErr)
	return kube
}

// Stop stops the API server if one was started (call it from TestMain).
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if kube != nil {
		if err := kube.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "goldentest: stop kube:", err)
		}
		kube = nil
	}
}

// InstallCRDs creates the CRDs of the fixture files (once per file) and
// waits until the API server serves each.
func InstallCRDs(t testing.TB, files ...string) {
	t.Helper()
	k := Kube(t)
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, f := range files {
		mu.Lock()
		done := crds[f]
		mu.Unlock()
		if done {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read CRD fixture: %v", err)
		}
		for _, u := range decodeAll(t, raw) {
			if _, err := dyn.Resource(crdGVR).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("create CRD %s from %s: %v", u.GetName(), f, err)
			}
			waitServed(ctx, t, dyn, u)
		}
		mu.Lock()
		crds[f] = true
		mu.Unlock()
	}
}

// waitServed waits until the CRD's resource can be listed.
func waitServed(ctx context.Context, t testing.TB, dyn dynamic.Interface, crd *unstructured.Unstructured) {
	t.Helper()
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	version := ""
	for _, v := range versions {
		if m, ok := v.(map[string]any); ok && m["served"] == true {
			version, _ = m["name"].(string)
			break
		}
	}
	gvr := schema.GroupVersionResource{Group: group, Version: version, Resource: plural}
	for {
		_, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("CRD %s not served: %v", crd.GetName(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DryRun applies every document of manifest with a server-side dry run
// (the namespaces they name are created for real first) and fails the test
// naming each object the API server refuses.
func DryRun(t testing.TB, manifest string) {
	t.Helper()
	for _, err := range Check(t, manifest) {
		t.Error(err)
	}
}

// Check is DryRun returning the refusals instead of failing.
func Check(t testing.TB, manifest string) []error {
	t.Helper()
	k := Kube(t)
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, u := range decodeAll(t, []byte(manifest)) {
		gvk := u.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: the API server does not know it: %w", gvk.Kind, u.GetName(), err))
			continue
		}
		var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := u.GetNamespace()
			if ns == "" {
				ns = "default"
			}
			ensureNamespace(ctx, t, dyn, ns)
			ri = dyn.Resource(mapping.Resource).Namespace(ns)
		}
		body, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		force := true
		if _, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
			FieldManager: "platbot-golden-test", Force: &force,
			DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict,
		}); err != nil {
			errs = append(errs, fmt.Errorf("%s %s refused by the API server: %w", gvk.Kind, u.GetName(), err))
		}
	}
	return errs
}

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

func ensureNamespace(ctx context.Context, t testing.TB, dyn dynamic.Interface, ns string) {
	t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	if _, err := dyn.Resource(namespaceGVR).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
}

// decodeAll reads every non-empty YAML document.
func decodeAll(t testing.TB, raw []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufioReader(raw))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read YAML: %v", err)
		}
		if len(strings.TrimSpace(stripComments(string(doc)))) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := sigsyaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("decode YAML: %v\n%s", err, doc)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
