// Package argocd watches Argo CD Application objects on one or more Argo CD
// control planes (client-go dynamic informers, one per kube context:
// listed, watched, resynced, and re-listed after a dropped watch) and keeps
// the live status of every service's environments: sync status, health,
// revision, last sync, last deploy and the current operation's phase.
//
// # Which service and environment an Application is
//
// An Application says which service and environment it deploys with labels
// (or, when a label value cannot hold the name, annotations of the same
// keys):
//
//	metadata:
//	  labels:
//	    platbot.dev/service: checkout-service
//	    platbot.dev/environment: prod-us
//	    platbot.dev/tier: tier1        # optional
//
// An Application without them is found by its name, <service>-<environment>
// ("checkout-service-prod-us"): Status and Statuses look the name up for the
// service asked about. Labels are preferred: a name alone cannot tell the
// service "checkout" with environment "service-prod" from
// "checkout-service" in "prod".
package argocd

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ApplicationGVR is Argo CD's Application resource.
var ApplicationGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// Labels (or annotations) that tie an Application to a catalog service.
const (
	LabelService     = "platbot.dev/service"
	LabelEnvironment = "platbot.dev/environment"
	LabelTier        = "platbot.dev/tier"
)

// Argo CD's sync and health status values this package compares against.
const (
	SyncSynced    = "Synced"
	SyncOutOfSync = "OutOfSync"

	HealthHealthy  = "Healthy"
	HealthDegraded = "Degraded"
)

// Status is the live state of one Application: one environment of one
// service on one Argo CD control plane.
type Status struct {
	// Context is the kube context of the Argo CD control plane it was read
	// from; Namespace and Name identify the Application there.
	Context   string
	Namespace string
	Name      string

	// Service and Environment come from the platbot.dev labels (or the
	// Application's name, see the package comment); Labelled says which.
	Service     string
	Environment string
	Labelled    bool
	// Tier is the platbot.dev/tier label ("" when absent).
	Tier string

	// Sync is status.sync.status (Synced, OutOfSync, Unknown; "" before
	// Argo CD first reconciled it).
	Sync string
	// Health is status.health.status (Healthy, Progressing, Degraded,
	// Suspended, Missing, Unknown).
	Health string
	// Revision is status.sync.revision (the first of status.sync.revisions
	// for a multi-source Application).
	Revision string
	// OperationPhase is status.operationState.phase (Running, Succeeded,
	// Failed, Error, Terminating; "" when no operation ran).
	OperationPhase string
	// LastSyncedAt is when the last operation finished
	// (status.operationState.finishedAt; zero when none did).
	LastSyncedAt time.Time
	// LastDeployedAt is the newest successful deploy: the newest
	// status.history[].deployedAt, or the last operation's finishedAt when
	// it succeeded and is newer. Zero when none is known.
	LastDeployedAt time.Time
	// ReconciledAt is status.reconciledAt.
	ReconciledAt time.Time
	// URL is the Application's page in the Argo CD UI ("" when no UI URL
	// is configured for its control plane).
	URL string
}

// Degraded reports whether the Application is Degraded or OutOfSync.
func (s Status) Degraded() bool { return s.Health == HealthDegraded || s.Sync == SyncOutOfSync }

// Problem names what is wrong ("Degraded", "OutOfSync", "Degraded,
// OutOfSync"), "" when neither.
func (s Status) Problem() string {
	var p []string
	if s.Health == HealthDegraded {
		p = append(p, HealthDegraded)
	}
	if s.Sync == SyncOutOfSync {
		p = append(p, SyncOutOfSync)
	}
	return strings.Join(p, ", ")
}

// ShortRevision is the revision cut to 7 characters when it is a commit
// SHA (a tag or chart version is kept whole).
func (s Status) ShortRevision() string {
	if len(s.Revision) == 40 && strings.Trim(s.Revision, "0123456789abcdef") == "" {
		return s.Revision[:7]
	}
	return s.Revision
}

// AppURL is the page of Application namespace/name in the Argo CD UI at
// base ("" when base is empty).
func AppURL(base, namespace, name string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/applications/" + url.PathEscape(namespace) + "/" + url.PathEscape(name)
}

// Parse reads an Application's status. Fields Argo CD has not written yet
// are left empty; a timestamp that is not RFC 3339 is an error naming the
// field. Context and URL are left to the caller.
func Parse(u *unstructured.Unstructured) (Status, error) {
	s := Status{Namespace: u.GetNamespace(), Name: u.GetName()}
	meta := func(key string) string {
		if v := u.GetLabels()[key]; v != "" {
			return v
		}
		return u.GetAnnotations()[key]
	}
	s.Service, s.Environment, s.Tier = meta(LabelService), meta(LabelEnvironment), meta(LabelTier)
	s.Labelled = s.Service != "" && s.Environment != ""
	if !s.Labelled {
		s.Service, s.Environment = "", ""
	}
	str := func(fields ...string) string {
		v, _, _ := unstructured.NestedString(u.Object, fields...)
		return v
	}
	tm := func(fields ...string) (time.Time, error) {
		v := str(fields...)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("argocd: application %s/%s: %s %q: %w", s.Namespace, s.Name, strings.Join(fields, "."), v, err)
		}
		return t, nil
	}
	s.Sync = str("status", "sync", "status")
	s.Health = str("status", "health", "status")
	s.Revision = str("status", "sync", "revision")
	if s.Revision == "" {
		if revs, _, _ := unstructured.NestedStringSlice(u.Object, "status", "sync", "revisions"); len(revs) > 0 {
			s.Revision = revs[0]
		}
	}
	s.OperationPhase = str("status", "operationState", "phase")
	var err error
	if s.LastSyncedAt, err = tm("status", "operationState", "finishedAt"); err != nil {
		return s, err
	}
	if s.ReconciledAt, err = tm("status", "reconciledAt"); err != nil {
		return s, err
	}
	if s.OperationPhase == "Succeeded" {
		s.LastDeployedAt = s.LastSyncedAt
	}
	history, _, _ := unstructured.NestedSlice(u.Object, "status", "history")
	for i, h := range history {
		m, ok := h.(map[string]any)
		if !ok {
			continue
		}
		v, _ := m["deployedAt"].(string)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return s, fmt.Errorf("argocd: application %s/%s: status.history[%d].deployedAt %q: %w", s.Namespace, s.Name, i, v, err)
		}
		if t.After(s.LastDeployedAt) {
			s.LastDeployedAt = t
		}
	}
	return s, nil
}
