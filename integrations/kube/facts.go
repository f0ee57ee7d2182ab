// Package kube is platbot's Kubernetes adapter: what features need from
// clusters, through client-go.
package kube

// This file reads the scorecard's cluster facts through client-go's dynamic
// client: when an Argo CD Application last finished a sync, and what the
// Trivy Operator's VulnerabilityReports say about a namespace.

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// ArgoApplicationGVR is Argo CD's Application resource.
var ArgoApplicationGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// VulnerabilityReportGVR is the Trivy Operator's VulnerabilityReport resource.
var VulnerabilityReportGVR = schema.GroupVersionResource{Group: "aquasecurity.github.io", Version: "v1alpha1", Resource: "vulnerabilityreports"}

// DefaultArgoNamespace is where Argo CD keeps Applications unless told otherwise.
const DefaultArgoNamespace = "argocd"

// FactsReader reads scorecard facts from one cluster.
type FactsReader struct {
	dyn dynamic.Interface
	// ArgoNamespace is where Applications live (DefaultArgoNamespace when empty).
	ArgoNamespace string
}

// NewFactsReader returns a reader over a dynamic client (dynamic.NewForConfig
// for a real cluster, k8s.io/client-go/dynamic/fake in tests).
func NewFactsReader(dyn dynamic.Interface) *FactsReader {
	return &FactsReader{dyn: dyn, ArgoNamespace: DefaultArgoNamespace}
}

// ArgoLastSync returns when the Argo CD Application name last finished an
// operation that succeeded (status.operationState.finishedAt with phase
// Succeeded). ok is false when the Application does not exist or has never
// finished a successful sync.
func (r *FactsReader) ArgoLastSync(ctx context.Context, name string) (at time.Time, ok bool, err error) {
	ns := r.ArgoNamespace
	if ns == "" {
		ns = DefaultArgoNamespace
	}
	app, err := r.dyn.Resource(ArgoApplicationGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("kube: get argo cd application %s/%s: %w", ns, name, err)
	}
	phase, _, _ := unstructured.NestedString(app.Object, "status", "operationState", "phase")
	finished, found, err := unstructured.NestedString(app.Object, "status", "operationState", "finishedAt")
	if err != nil {
		return time.Time{}, false, fmt.Errorf("kube: argo cd application %s/%s: finishedAt: %w", ns, name, err)
	}
	if !found || finished == "" || (phase != "" && phase != "Succeeded") {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339, finished)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("kube: argo cd application %s/%s: finishedAt %q: %w", ns, name, finished, err)
	}
	return t, true, nil
}

// VulnSummary adds up the summaries of VulnerabilityReports.
type VulnSummary struct {
	Critical int
	High     int
	Medium   int
	Low      int
	// Reports is how many reports were read; zero means the Trivy Operator
	// has not scanned anything there (yet).
	Reports int
}

// VulnerabilitySummary lists the VulnerabilityReports of a namespace
// (optionally narrowed by a label selector) and adds up each report's
// report.summary counts.
func (r *FactsReader) VulnerabilitySummary(ctx context.Context, namespace, labelSelector string) (VulnSummary, error) {
	var s VulnSummary
	list, err := r.dyn.Resource(VulnerabilityReportGVR).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: labelSelector})
	if err != nil {
		return s, fmt.Errorf("kube: list vulnerability reports in %s: %w", namespace, err)
	}
	for _, it := range list.Items {
		s.Reports++
		for _, c := range []struct {
			field string
			into  *int
		}{{"criticalCount", &s.Critical}, {"highCount", &s.High}, {"mediumCount", &s.Medium}, {"lowCount", &s.Low}} {
			n, _, err := unstructured.NestedInt64(it.Object, "report", "summary", c.field)
			if err != nil {
				// Some producers write counts as floats; accept those too.
				f, _, ferr := unstructured.NestedFloat64(it.Object, "report", "summary", c.field)
				if ferr != nil {
					return s, fmt.Errorf("kube: vulnerability report %s/%s: %s: %w", namespace, it.GetName(), c.field, err)
				}
				n = int64(f)
			}
			*c.into += int(n)
		}
	}
	return s, nil
}
