package kube

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

func argoApp(name, phase, finishedAt string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   map[string]any{"name": name, "namespace": "argocd"},
	}}
	if finishedAt != "" {
		u.Object["status"] = map[string]any{"operationState": map[string]any{"phase": phase, "finishedAt": finishedAt}}
	}
	return u
}

func vulnReport(ns, name string, labels map[string]any, critical, high int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aquasecurity.github.io/v1alpha1",
		"kind":       "VulnerabilityReport",
		"metadata":   map[string]any{"name": name, "namespace": ns, "labels": labels},
		"report": map[string]any{"summary": map[string]any{
			"criticalCount": critical, "highCount": high, "mediumCount": int64(1), "lowCount": int64(0),
		}},
	}}
}

func newFakeDynamic(objs ...runtime.Object) *dynfake.FakeDynamicClient {
	return dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		ArgoApplicationGVR:     "ApplicationList",
		VulnerabilityReportGVR: "VulnerabilityReportList",
	}, objs...)
}

func TestArgoLastSync(t *testing.T) {
	dyn := newFakeDynamic(
		argoApp("checkout", "Succeeded", "2026-11-20T12:00:00Z"),
		argoApp("reports", "Failed", "2026-11-21T12:00:00Z"),
		argoApp("fresh", "", ""),
	)
	r := NewFactsReader(dyn)
	ctx := context.Background()
	at, ok, err := r.ArgoLastSync(ctx, "checkout")
	if err != nil || !ok || !at.Equal(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("checkout: %v %v %v", at, ok, err)
	}
	for _, name := range []string{"reports", "fresh", "missing"} {
		if _, ok, err := r.ArgoLastSync(ctx, name); ok || err != nil {
			t.Fatalf("%s: ok=%v err=%v, want no sync and no error", name, ok, err)
		}
	}
}

func TestVulnerabilitySummary(t *testing.T) {
	dyn := newFakeDynamic(
		vulnReport("reports", "replicaset-reports-api", map[string]any{"app": "reports"}, 2, 3),
		vulnReport("reports", "replicaset-reports-worker", map[string]any{"app": "worker"}, 0, 1),
		vulnReport("checkout", "replicaset-checkout", map[string]any{"app": "checkout"}, 0, 0),
	)
	r := NewFactsReader(dyn)
	ctx := context.Background()
	s, err := r.VulnerabilitySummary(ctx, "reports", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Critical != 2 || s.High != 4 || s.Medium != 2 || s.Reports != 2 {
		t.Fatalf("reports summary = %+v", s)
	}
	s, err = r.VulnerabilitySummary(ctx, "reports", "app=worker")
	if err != nil || s.Critical != 0 || s.Reports != 1 {
		t.Fatalf("selector: %+v %v", s, err)
	}
	s, err = r.VulnerabilitySummary(ctx, "empty", "")
	if err != nil || s.Reports != 0 {
		t.Fatalf("empty namespace: %+v %v", s, err)
	}
}

func TestFactsReaderAPIError(t *testing.T) {
	dyn := newFakeDynamic()
	dyn.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	r := NewFactsReader(dyn)
	if _, _, err := r.ArgoLastSync(context.Background(), "x"); err == nil {
		t.Fatal("argo: want an error when the API server is down")
	}
	if _, err := r.VulnerabilitySummary(context.Background(), "x", ""); err == nil {
		t.Fatal("trivy: want an error when the API server is down")
	}
}
