package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/testenv"
)

// startArgoCD starts a real API server with Argo CD's CRDs installed and
// apps applied, stopped when the test ends, and returns its kubeconfig
// file. It skips the test when the server binaries are not built.
func startArgoCD(t *testing.T, apps ...argocdtest.App) string {
	t.Helper()
	kube, err := testenv.StartKube(context.Background())
	if err != nil {
		testenv.SkipOrFail(t, err)
		return ""
	}
	t.Cleanup(func() { kube.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dyn, err := argocdtest.Install(ctx, kube.Config, "argocd")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if err := argocdtest.Apply(ctx, dyn, a); err != nil {
			t.Fatalf("apply Application %s: %v", a.Name, err)
		}
	}
	return kube.Kubeconfig
}

// TestServeArgoCDLiveStatusOnCard: with an argocd section, the served bot
// watches the Applications of a real API server and the service card
// answering a signed slash command shows their live status.
func TestServeArgoCDLiveStatusOnCard(t *testing.T) {
	kubeconfig := startArgoCD(t, argocdtest.App{
		Namespace: "argocd", Name: "checkout-prod-us",
		Labels: map[string]string{argocd.LabelService: "checkout-service", argocd.LabelEnvironment: "prod-us"},
		Sync:   "Synced", Health: "Healthy", Revision: "0123456789abcdef0123456789abcdef01234567",
	})
	b := startServeWith(t, fmt.Sprintf(`
argocd:
  kubeconfig: %q
  grace: 15m
  controlPlanes:
    - context: platbot-test
      uiURL: https://argocd.acme.example
placement:
  clusters:
    - {name: use1-prod-a, server: "https://use1-prod-a.k8s.acme.example", region: us-east-1, tiers: [tier1]}
    - {name: use1-shared, server: "https://use1-shared.k8s.acme.example", region: us-east-1, tiers: [standard]}
    - {name: euw1-prod-a, server: "https://euw1-prod-a.k8s.acme.example", region: eu-west-1, tiers: [tier1]}
  rules:
    - {name: standard, match: {tier: standard}, clusters: [use1-shared]}
    - {name: tier1-us, match: {tier: tier1, region: us-east-1}, clusters: [use1-prod-a]}
    - {name: tier1-eu, match: {tier: tier1, region: eu-west-1}, clusters: [euw1-prod-a]}
`, kubeconfig))

	// The informer lists the Applications once the bot has started.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := b.reply(b.command("U0CHKCARLOS", "service checkout-service"))
		if strings.Contains(out, "prod-us* — Synced · Healthy · `0123456`") {
			if !strings.Contains(out, "https://argocd.acme.example/applications/argocd/checkout-prod-us") {
				t.Fatalf("card does not link Argo CD:\n%s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("card without live status after 20s:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// /plat where shows the same live status beside each placement.
	out := b.reply(b.command("U0CHKCARLOS", "where checkout-service"))
	if !strings.Contains(out, "use1-prod-a") || !strings.Contains(out, "Synced") || !strings.Contains(out, "Healthy") || strings.Contains(out, "Argo CD not configured") {
		t.Fatalf("where without live status:\n%s", out)
	}
}

// TestArgoCDConfigErrors: a bad argocd section stops the start naming the
// key; without one nothing is built.
func TestArgoCDConfigErrors(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: argo, context: {cluster: c, user: u}}]
current-context: argo
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ yaml, want string }{
		{"argocd:\n  grase: 5m\n", `argocd.grase: unknown key "grase"; did you mean "grace"?`},
		{fmt.Sprintf("argocd:\n  kubeconfig: %q\n  controlPlanes: [{context: nope}]\n", kubeconfig), `argocd.controlPlanes[0].context: cannot load context "nope"`},
		{fmt.Sprintf("argocd:\n  kubeconfig: %q\n  grace: soon\n  controlPlanes: [{context: argo}]\n", kubeconfig), `argocd: grace "soon" is not a positive duration`},
	} {
		p := filepath.Join(t.TempDir(), "platbot.yaml")
		if err := os.WriteFile(p, []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(env(testEnv(t, map[string]string{"PLATBOT_CONFIG": p})))
		if err == nil {
			var app *App
			app, err = buildApp(context.Background(), cfg, newLogger(cfg, io.Discard, 0))
			if err == nil {
				app.Close()
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
	}

	cfg, err := LoadConfig(env(testEnv(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	app, err := buildApp(context.Background(), cfg, newLogger(cfg, io.Discard, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if app.feats.argocd != nil || app.feats.argoLive != nil {
		t.Fatal("argocd built without control planes")
	}
	for _, f := range app.feats.list() {
		if f.Name() == "argocd" {
			t.Fatal("argocd installed without control planes")
		}
	}
}
