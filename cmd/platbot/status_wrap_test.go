package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/prometheus"
	"github.com/platbot/platbot/integrations/vault"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
)

// codeServer answers every request with the status its first path element
// names ("/503/…" → 503, no retry wait), with a JSON error body.
func codeServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		code, err := strconv.Atoi(first)
		if err != nil {
			code = http.StatusTeapot
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"message":"answered %d","status":"error","errorType":"execution","error":"answered %d"}`, code, code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// refusingAddr is a loopback address nothing listens on.
func refusingAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Only an error saying the system could not answer (refused connection,
// timeout, 5xx, 429) is marked as the integration's; an answer (401, 403,
// 404, 422, a file that is not there) keeps its own error, as the clients
// of each integration report them.
func TestIntegrationErrMarksOnlyOutages(t *testing.T) {
	ctx := context.Background()
	base := codeServer(t)

	ghAt := func(c context.Context, code int) error {
		ghc, err := github.New(base+"/"+strconv.Itoa(code), "t", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ghc.GetFile(c, "acme", "repo", "README.md", "main")
		return err
	}
	ocAt := func(code int) error {
		c, err := opencost.New(base+"/"+strconv.Itoa(code), opencost.WithRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Allocation(ctx, opencost.Query{Window: "1h"})
		return err
	}
	promAt := func(code int) error {
		c, err := prometheus.New(base+"/"+strconv.Itoa(code), prometheus.WithRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Query(ctx, "vector(1)", time.Time{})
		return err
	}

	fv := vaultfake.New()
	defer fv.Close()
	vc, err := vault.New(vault.Config{Addr: fv.URL, Token: fv.Token, MaxRetries: -1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	vaultAt := func(code int) error {
		fv.FailNext(1, code)
		_, err := vc.ListKV(ctx, "secret", "team/svc")
		return err
	}
	refused, err := vault.New(vault.Config{Addr: "http://" + refusingAddr(t), Token: "t", MaxRetries: -1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, vaultRefused := refused.ListKV(ctx, "secret", "team/svc")
	_, dialRefused := net.Dial("tcp", refusingAddr(t))
	deadline, cancel := context.WithTimeout(ctx, 0)
	defer cancel()
	<-deadline.Done()
	cancelled, cancelNow := context.WithCancel(ctx)
	cancelNow()
	ghCancelled := ghAt(cancelled, 500)

	gr := schema.GroupResource{Resource: "serviceaccounts"}
	for _, c := range []struct {
		name string
		err  error
		down bool
	}{
		{"github 500", ghAt(ctx, 500), true},
		{"github 502", ghAt(ctx, 502), true},
		{"github 429", ghAt(ctx, 429), true},
		{"github 404", ghAt(ctx, 404), false},
		{"github 403", ghAt(ctx, 403), false},
		{"github 422", ghAt(ctx, 422), false},
		{"github cancelled", ghCancelled, false},
		{"vault refused", vaultRefused, true},
		{"vault 503", vaultAt(503), true},
		{"vault 500", vaultAt(500), true},
		{"vault 429", vaultAt(429), true},
		{"vault 403", vaultAt(403), false},
		{"vault 400", vaultAt(400), false},
		{"prometheus 503", promAt(503), true},
		{"prometheus 429", promAt(429), true},
		{"prometheus 400", promAt(400), false},
		{"kubernetes 500", apierrors.NewInternalError(errors.New("etcd")), true},
		{"kubernetes 503", apierrors.NewServiceUnavailable("restarting"), true},
		{"kubernetes 429", apierrors.NewTooManyRequests("slow down", 1), true},
		{"kubernetes 504", apierrors.NewTimeoutError("slow", 1), true},
		{"kubernetes 404", apierrors.NewNotFound(gr, "x"), false},
		{"kubernetes 403", apierrors.NewForbidden(gr, "x", errors.New("rbac")), false},
		{"kubernetes 422", apierrors.NewInvalid(schema.GroupKind{Kind: "ServiceAccount"}, "x", nil), false},
		{"opencost 503", ocAt(503), true},
		{"opencost 500", ocAt(500), true},
		{"opencost 400", ocAt(400), false},
		{"connection refused", fmt.Errorf("request: %w", dialRefused), true},
		{"deadline", fmt.Errorf("call: %w", deadline.Err()), true},
		{"not there", fmt.Errorf("read: %w", fs.ErrNotExist), false},
		{"plain", errors.New("the name is taken"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("the call did not fail")
			}
			got := integrationErr("x", c.err)
			var ie *status.IntegrationError
			if marked := errors.As(got, &ie); marked != c.down {
				t.Fatalf("marked = %v, want %v: %v", marked, c.down, c.err)
			}
			if c.down && (ie.Integration != "x" || got.Error() != c.err.Error() || !errors.Is(got, c.err)) {
				t.Fatalf("marked as %q, text %q, wraps the cause %v", ie.Integration, got, errors.Is(got, c.err))
			}
			if !c.down && got != c.err {
				t.Fatalf("an answer was changed: %v", got)
			}
		})
	}
	if integrationErr("x", nil) != nil {
		t.Fatal("nil is not nil")
	}
}

// Each access environment's issuer names its outages after its kubeconfig
// context ("kube:<context>", the probe's name); a refusal (403) keeps its
// own error, and an environment on the current context (no kubeContext,
// no probe of its own) names none.
func TestAccessIssuersNameTheirContext(t *testing.T) {
	base := codeServer(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user: {token: t}\ncurrent-context: down\nclusters:\n"
	contexts := "contexts:\n"
	for name, server := range map[string]string{"down": "http://" + refusingAddr(t), "busy": base + "/503", "denied": base + "/403"} {
		cfg += fmt.Sprintf("- name: %s\n  cluster: {server: %q}\n", name, server)
		contexts += fmt.Sprintf("- name: %s\n  context: {cluster: %s, user: u}\n", name, name)
	}
	if err := os.WriteFile(kubeconfig, []byte(cfg+contexts), 0o600); err != nil {
		t.Fatal(err)
	}
	acfg := access.Config{Kubeconfig: kubeconfig, Environments: []access.Environment{
		{Name: "prod-down", KubeContext: "down"}, {Name: "prod-busy", KubeContext: "busy"},
		{Name: "prod-denied", KubeContext: "denied"}, {Name: "prod-current"},
	}}
	issuers, err := kubeIssuers(acfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	issuers = namedIssuers(acfg, issuers)
	g := kube.Grant{Name: "ar-1", Namespace: "payments"}
	for env, want := range map[string]string{"prod-down": "kube:down", "prod-busy": "kube:busy", "prod-denied": "", "prod-current": ""} {
		err := issuers[env].Revoke(context.Background(), g)
		if err == nil {
			t.Fatalf("%s: revoke did not fail", env)
		}
		var ie *status.IntegrationError
		switch marked := errors.As(err, &ie); {
		case want == "" && marked:
			t.Errorf("%s: marked as %s: %v", env, ie.Integration, err)
		case want != "" && (!marked || ie.Integration != want):
			t.Errorf("%s: not marked as %s: %v", env, want, err)
		}
	}
}

// The cost feature's OpenCost and Prometheus name their outages only when
// the cost section reads them, not over the example data.
func TestCostSourcesNamedOnlyWhenConfigured(t *testing.T) {
	examples := os.DirFS("../../examples/cost")
	cc := cost.DefaultConfig()
	var example cost.Source = costExampleStandIn{}
	if s, r := namedCostSources(cc, example, nil); s != example || r != nil {
		t.Fatalf("the example data is named: %T %T", s, r)
	}
	base := codeServer(t)
	cc.OpenCost.URL, cc.Prometheus.URL = base+"/503", base+"/503"
	zero := 0
	cc.OpenCost.Retries = &zero
	src, _, err := cost.NewSource(cc, examples, nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := cost.NewRequestCounter(cc, examples)
	if err != nil {
		t.Fatal(err)
	}
	src, reqs = namedCostSources(cc, src, reqs)
	_, err = src.Allocation(context.Background(), opencost.Query{Window: "1h"})
	var ie *status.IntegrationError
	if !errors.As(err, &ie) || ie.Integration != "opencost" {
		t.Fatalf("OpenCost answering 503: %v", err)
	}
	now := time.Now()
	_, _, err = reqs.Requests(context.Background(), &cost.Service{Name: "checkout-service"}, now.Add(-time.Hour), now)
	if !errors.As(err, &ie) || ie.Integration != "prometheus" {
		t.Fatalf("Prometheus answering 503: %v", err)
	}
}

// costExampleStandIn stands for the example data (no OpenCost configured).
type costExampleStandIn struct{ cost.Source }
