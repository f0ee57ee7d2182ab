package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/testenv"
)

// probeConfig loads a configuration from env and YAML as serve does.
func probeConfig(t *testing.T, yaml string, extra map[string]string) *Config {
	t.Helper()
	e := testEnv(t, extra)
	if yaml != "" {
		p := filepath.Join(t.TempDir(), "platbot.yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		e["PLATBOT_CONFIG"] = p
	}
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The Kubernetes probe asks a real API server for its version with the
// context's credentials; the Argo CD probe lists one Application where the
// watcher reads them, so a control plane without Argo CD's CRD is down.
func TestKubeAndArgoCDProbesOnARealAPIServer(t *testing.T) {
	ctx := context.Background()
	kube, err := testenv.StartKube(ctx)
	if err != nil {
		testenv.SkipOrFail(t, err)
		return
	}
	defer kube.Stop()

	p, err := kubeVersionProbe("kube:platbot-test", "Kubernetes platbot-test", kube.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(ctx); err != nil {
		t.Fatalf("kube probe: %v", err)
	}
	const canary = "CANARYkubeToken0123456789"
	bad := rest.CopyConfig(kube.Config)
	bad.BearerToken = canary
	p, err = kubeVersionProbe("kube:bad", "Kubernetes bad", bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(ctx); err == nil || !strings.Contains(err.Error(), "Unauthorized") || strings.Contains(err.Error(), canary) {
		t.Fatalf("kube probe with a wrong token = %v", err)
	}

	cfg := probeConfig(t, fmt.Sprintf("argocd:\n  kubeconfig: %q\n  controlPlanes:\n    - context: platbot-test\n", kube.Kubeconfig), nil)
	f := &features{}
	argos, err := f.argoProbes(&App{Cfg: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(argos) != 1 || argos[0].Name != "argocd:platbot-test" || !argos[0].Configured {
		t.Fatalf("argocd probes: %+v", argos)
	}
	if err := argos[0].Check(ctx); err == nil {
		t.Fatal("the Argo CD probe passed on a cluster without Argo CD")
	}
	ictx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := argocdtest.Install(ictx, kube.Config, "argocd"); err != nil {
		t.Fatal(err)
	}
	if err := argos[0].Check(ctx); err != nil {
		t.Fatalf("argocd probe with the CRD installed: %v", err)
	}

	// Without an argocd section: listed, not configured.
	none, err := f.argoProbes(&App{Cfg: probeConfig(t, "", nil)})
	if err != nil || len(none) != 1 || none[0].Configured {
		t.Fatalf("argocd probes without a section: %+v %v", none, err)
	}
}

// OpenCost and Prometheus are probed at the cost section's addresses, once
// per probe (no retries), and report a failing server.
func TestCostProbes(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/allocation" && r.URL.Query().Get("window") == "1h":
			w.Write([]byte(`{"code":200,"data":[{}]}`))
		case r.URL.Path == "/api/v1/query" && r.URL.Query().Get("query") == "vector(1)":
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	off, err := costProbes(probeConfig(t, "", nil))
	if err != nil || len(off) != 2 || off[0].Configured || off[1].Configured {
		t.Fatalf("without addresses: %+v %v", off, err)
	}
	probes, err := costProbes(probeConfig(t, "", map[string]string{"OPENCOST_URL": srv.URL, "PROMETHEUS_URL": srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]status.Probe{}
	for _, p := range probes {
		byName[p.Name] = p
	}
	for _, name := range []string{"opencost", "prometheus"} {
		p := byName[name]
		if !p.Configured {
			t.Fatalf("%s not configured", name)
		}
		if err := p.Check(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fail.Store(true)
		calls.Store(0)
		if err := p.Check(ctx); err == nil {
			t.Fatalf("%s passed on a failing server", name)
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("%s: %d requests for one probe, want 1", name, n)
		}
		fail.Store(false)
	}
}

// The status section is checked like every other: an unknown key is
// refused with the key probably meant, an owner of no integration with the
// integration probably meant.
func TestStatusSectionRefused(t *testing.T) {
	e := testEnv(t, nil)
	p := filepath.Join(t.TempDir(), "platbot.yaml")
	if err := os.WriteFile(p, []byte("status:\n  grac: 5m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e["PLATBOT_CONFIG"] = p
	if _, err := LoadConfig(env(e)); err == nil || !strings.Contains(err.Error(), "grac") || !strings.Contains(err.Error(), "grace") {
		t.Fatalf("unknown key: %v", err)
	}
	if err := os.WriteFile(p, []byte("status:\n  owners:\n    githb: group:default/platform\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	_, err = buildApp(context.Background(), cfg, newLogger(cfg, io.Discard, 0))
	if err == nil || !strings.Contains(err.Error(), `owners: no integration "githb" (did you mean "github"?)`) || !strings.Contains(err.Error(), p) {
		t.Fatalf("unknown integration: %v", err)
	}
}
