package argocd_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/testenv"
)

// One real control plane (etcd + kube-apiserver on loopback) with Argo
// CD's Application CRD for the package.
var (
	realKube    *testenv.Kube
	realKubeErr error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	realKube, realKubeErr = testenv.StartKube(ctx)
	cancel()
	code := m.Run()
	if err := realKube.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the kube control plane:", err)
	}
	os.Exit(code)
}

// install installs the CRD and the namespaces and returns a client.
func install(t *testing.T, namespaces ...string) dynamic.Interface {
	t.Helper()
	testenv.SkipOrFail(t, realKubeErr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var dyn dynamic.Interface
	for _, ns := range namespaces {
		var err error
		if dyn, err = argocdtest.Install(ctx, realKube.Config, ns); err != nil {
			t.Fatal(err)
		}
	}
	return dyn
}

// eventually polls cond until it holds or the deadline passes, then fails
// with cond's last explanation.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s: %s", what, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func apply(t *testing.T, dyn dynamic.Interface, a argocdtest.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := argocdtest.Apply(ctx, dyn, a); err != nil {
		t.Fatal(err)
	}
}

func startWatcher(t *testing.T, planes []argocd.ControlPlane, onChange func()) *argocd.Watcher {
	t.Helper()
	w, err := argocd.NewWatcher(planes, argocd.Options{OnChange: onChange})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w.Run(ctx)
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := w.WaitForSync(sctx); err != nil {
		t.Fatal(err)
	}
	return w
}

var (
	t0   = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	t1   = time.Date(2026, 12, 3, 14, 30, 0, 0, time.UTC)
	t2   = time.Date(2026, 12, 7, 8, 15, 0, 0, time.UTC)
	sha1 = "0123456789abcdef0123456789abcdef01234567"
	sha2 = "fedcba9876543210fedcba9876543210fedcba98"
)

func labels(service, env string) map[string]string {
	return map[string]string{argocd.LabelService: service, argocd.LabelEnvironment: env}
}

// TestWatcherFollowsApplications drives the informer with Applications on
// a real API server: created, their status updated as Argo CD's controller
// does, deleted; and Applications on two control planes.
func TestWatcherFollowsApplications(t *testing.T) {
	dyn := install(t, "argocd", "argocd-eu")
	changes := make(chan struct{}, 1000)
	w := startWatcher(t, []argocd.ControlPlane{
		{Context: "cp-us", Client: dyn, Namespace: "argocd", UIURL: "https://argocd.us.example.com/"},
		{Context: "cp-eu", Client: dyn, Namespace: "argocd-eu"},
	}, func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	})

	app := argocdtest.App{
		Namespace: "argocd", Name: "checkout-prod-us", Labels: labels("checkout-service", "prod-us"),
		Sync: "Synced", Health: "Healthy", Revision: sha1,
		OperationPhase: "Succeeded", FinishedAt: t1, History: []time.Time{t0, t1},
	}
	app.Labels[argocd.LabelTier] = "tier1"
	apply(t, dyn, app)
	eventually(t, "informer sees the new application", func() (bool, string) {
		s, ok := w.Status("checkout-service", "prod-us")
		return ok && s.Revision == sha1, fmt.Sprintf("%+v %v", s, ok)
	})
	s, _ := w.Status("checkout-service", "prod-us")
	want := argocd.Status{
		Context: "cp-us", Namespace: "argocd", Name: "checkout-prod-us",
		Service: "checkout-service", Environment: "prod-us", Labelled: true, Tier: "tier1",
		Sync: "Synced", Health: "Healthy", Revision: sha1, OperationPhase: "Succeeded",
		LastSyncedAt: t1, LastDeployedAt: t1,
		URL: "https://argocd.us.example.com/applications/argocd/checkout-prod-us",
	}
	if s != want {
		t.Fatalf("status =\n%+v\nwant\n%+v", s, want)
	}
	if s.ShortRevision() != "0123456" || s.Degraded() {
		t.Fatalf("short revision %q, degraded %v", s.ShortRevision(), s.Degraded())
	}
	if len(changes) == 0 {
		t.Fatal("OnChange was not called")
	}

	// Argo CD starts a sync of a new revision, and the app degrades.
	app.Sync, app.Health, app.Revision, app.OperationPhase, app.FinishedAt = "OutOfSync", "Degraded", sha2, "Running", time.Time{}
	apply(t, dyn, app)
	eventually(t, "informer sees the update", func() (bool, string) {
		s, _ := w.Status("checkout-service", "prod-us")
		return s.Revision == sha2, fmt.Sprintf("%+v", s)
	})
	s, _ = w.Status("checkout-service", "prod-us")
	if s.Sync != "OutOfSync" || s.Health != "Degraded" || s.OperationPhase != "Running" || !s.LastSyncedAt.IsZero() ||
		!s.LastDeployedAt.Equal(t1) || !s.Degraded() || s.Problem() != "Degraded, OutOfSync" {
		t.Fatalf("after update: %+v (problem %q)", s, s.Problem())
	}

	// The sync finishes: a newer history entry is the last deploy.
	app.Sync, app.Health, app.OperationPhase, app.FinishedAt, app.History = "Synced", "Healthy", "Succeeded", t2, []time.Time{t0, t1, t2}
	apply(t, dyn, app)
	eventually(t, "informer sees the finished sync", func() (bool, string) {
		at, ok := w.LastDeployedAt("checkout-service", "")
		return ok && at.Equal(t2), fmt.Sprintf("%v %v", at, ok)
	})

	// An unlabelled Application on the second control plane, found by name.
	apply(t, dyn, argocdtest.App{Namespace: "argocd-eu", Name: "checkout-service-prod-eu", Sync: "Synced", Health: "Progressing", Revision: "v1.4.0",
		History: []time.Time{t0}})
	eventually(t, "informer sees the second control plane", func() (bool, string) {
		all := w.Statuses("checkout-service")
		return len(all) == 2, fmt.Sprintf("%+v", all)
	})
	all := w.Statuses("checkout-service")
	if all[0].Environment != "prod-eu" || all[0].Context != "cp-eu" || all[0].Labelled || all[0].URL != "" || all[0].ShortRevision() != "v1.4.0" ||
		all[1].Environment != "prod-us" || all[1].Context != "cp-us" {
		t.Fatalf("statuses = %+v", all)
	}
	if s, ok := w.Status("checkout-service", "prod-eu"); !ok || s.Health != "Progressing" || s.Service != "checkout-service" {
		t.Fatalf("unlabelled by name: %+v %v", s, ok)
	}
	// The last deploy of one environment is its own Application's; of the
	// service, the newest of all.
	for env, want := range map[string]time.Time{"prod-eu": t0, "prod-us": t2, "": t2} {
		if at, ok := w.LastDeployedAt("checkout-service", env); !ok || !at.Equal(want) {
			t.Errorf("last deploy to %q = %v %v, want %v", env, at, ok, want)
		}
	}
	if at, ok := w.LastDeployedAt("checkout-service", "staging"); ok {
		t.Errorf("last deploy to an environment without an Application = %v", at)
	}
	if got := w.Services(); strings.Join(got, ",") != "checkout-service" {
		t.Fatalf("services = %v (only labelled ones)", got)
	}
	if _, ok := w.Status("checkout", "service-prod-eu"); !ok {
		t.Fatal("by-name fallback should find <service>-<env> for any split of the name")
	}
	if _, ok := w.Status("payments", "prod-us"); ok {
		t.Fatal("status of an unknown service")
	}

	// A relabel moves the Application to another environment.
	app.Labels = labels("checkout-service", "prod-us-2")
	apply(t, dyn, app)
	eventually(t, "informer sees the relabel", func() (bool, string) {
		_, old := w.Status("checkout-service", "prod-us")
		_, moved := w.Status("checkout-service", "prod-us-2")
		return !old && moved, fmt.Sprintf("old %v new %v", old, moved)
	})

	// Deleted Applications are forgotten.
	ctx := context.Background()
	if err := argocdtest.Delete(ctx, dyn, "argocd", "checkout-prod-us"); err != nil {
		t.Fatal(err)
	}
	if err := argocdtest.Delete(ctx, dyn, "argocd-eu", "checkout-service-prod-eu"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "informer forgets deleted applications", func() (bool, string) {
		all := w.Statuses("checkout-service")
		return len(all) == 0 && len(w.Services()) == 0, fmt.Sprintf("%+v", all)
	})
	if _, ok := w.LastDeployedAt("checkout-service", ""); ok {
		t.Fatal("last deploy of a service without applications")
	}
}

// TestWatcherListsExisting: Applications that exist before the watcher
// starts are in its view once it has synced.
func TestWatcherListsExisting(t *testing.T) {
	dyn := install(t, "argocd-pre")
	apply(t, dyn, argocdtest.App{Namespace: "argocd-pre", Name: "ledger-prod", Labels: labels("ledger", "prod"), Sync: "Synced", Health: "Healthy", Revision: sha1})
	w := startWatcher(t, []argocd.ControlPlane{{Context: "cp", Client: dyn, Namespace: "argocd-pre"}}, nil)
	if s, ok := w.Status("ledger", "prod"); !ok || s.Health != "Healthy" {
		t.Fatalf("after sync: %+v %v", s, ok)
	}
}

func TestNewWatcherRefusesBadPlanes(t *testing.T) {
	dyn := install(t, "argocd")
	for _, planes := range [][]argocd.ControlPlane{
		{{Client: dyn}},
		{{Context: "a"}},
		{{Context: "a", Client: dyn}, {Context: "a", Client: dyn}},
	} {
		if _, err := argocd.NewWatcher(planes, argocd.Options{}); err == nil {
			t.Errorf("%+v: want an error", planes)
		}
	}
}

func TestParse(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{
			"name": "x", "namespace": "argocd",
			"annotations": map[string]any{argocd.LabelService: "svc", argocd.LabelEnvironment: "prod"},
		},
		"status": map[string]any{
			"sync":           map[string]any{"status": "Synced", "revisions": []any{"abc", "def"}},
			"operationState": map[string]any{"phase": "Failed", "finishedAt": "2026-12-01T10:00:00Z"},
			"reconciledAt":   "2026-12-01T10:05:00Z",
		},
	}}
	s, err := argocd.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if s.Service != "svc" || s.Environment != "prod" || !s.Labelled || s.Revision != "abc" || s.OperationPhase != "Failed" ||
		!s.LastDeployedAt.IsZero() || !s.LastSyncedAt.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) ||
		!s.ReconciledAt.Equal(time.Date(2026, 12, 1, 10, 5, 0, 0, time.UTC)) {
		t.Fatalf("parse = %+v (annotations name it; a failed sync is no deploy)", s)
	}
	// Only one of the two labels is no attribution.
	u.SetAnnotations(map[string]string{argocd.LabelService: "svc"})
	if s, _ := argocd.Parse(u); s.Labelled || s.Service != "" {
		t.Fatalf("half-labelled = %+v", s)
	}
	_ = unstructured.SetNestedField(u.Object, "yesterday", "status", "reconciledAt")
	if _, err := argocd.Parse(u); err == nil || !strings.Contains(err.Error(), "status.reconciledAt") {
		t.Fatalf("bad time: %v", err)
	}
	_ = unstructured.SetNestedField(u.Object, "2026-12-01T10:05:00Z", "status", "reconciledAt")
	_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"deployedAt": "soon"}}, "status", "history")
	if _, err := argocd.Parse(u); err == nil || !strings.Contains(err.Error(), "status.history[0].deployedAt") {
		t.Fatalf("bad history time: %v", err)
	}
	if got := argocd.AppURL("", "argocd", "x"); got != "" {
		t.Fatalf("no UI: %q", got)
	}
	if got := argocd.AppURL("https://cd.example.com", "team a", "x/y"); got != "https://cd.example.com/applications/team%20a/x%2Fy" {
		t.Fatalf("escaped URL: %q", got)
	}
}

// cutProxy forwards TCP connections to the API server and can cut all of
// them at once, as a network failure or an API server restart does.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

// cut closes every open connection; new ones are accepted.
func (p *cutProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.conns)
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	return n
}

// TestWatcherReconnects: when the connection to the API server drops, the
// informer watches again and sees what changed meanwhile.
func TestWatcherReconnects(t *testing.T) {
	dyn := install(t, "argocd-cut")
	u, err := url.Parse(realKube.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	rc := rest.CopyConfig(realKube.Config)
	rc.Host = "https://" + proxy.ln.Addr().String()
	viaProxy, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	w := startWatcher(t, []argocd.ControlPlane{{Context: "cp", Client: viaProxy, Namespace: "argocd-cut"}}, nil)
	a := argocdtest.App{Namespace: "argocd-cut", Name: "ledger-prod", Labels: labels("ledger", "prod"), Sync: "Synced", Health: "Healthy", Revision: sha1}
	apply(t, dyn, a)
	eventually(t, "informer sees the application", func() (bool, string) {
		s, ok := w.Status("ledger", "prod")
		return ok && s.Revision == sha1, fmt.Sprintf("%+v", s)
	})

	if n := proxy.cut(); n == 0 {
		t.Fatal("no connection to cut: the informer does not go through the proxy")
	}
	a.Revision, a.Health = sha2, "Degraded"
	apply(t, dyn, a)
	eventually(t, "informer sees the change made while it was cut off", func() (bool, string) {
		s, _ := w.Status("ledger", "prod")
		return s.Revision == sha2 && s.Health == "Degraded", fmt.Sprintf("%+v", s)
	})
}
