package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/gitopsstatus"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/store"
)

// TestServeArgoCDNoticesFollowPlacementProduction: the served bot tells a
// team about a Degraded environment by the placement section's production
// rule. Here only staging is production; checkout-service's prod-us, tier1
// in its intent and production by the default rule, is not, so it never
// becomes an incident.
func TestServeArgoCDNoticesFollowPlacementProduction(t *testing.T) {
	ctx := context.Background()
	var apps []argocdtest.App
	for _, env := range []string{"prod-us", "staging"} {
		apps = append(apps, argocdtest.App{
			Namespace: "argocd", Name: "checkout-" + env,
			Labels: map[string]string{argocd.LabelService: "checkout-service", argocd.LabelEnvironment: env},
			Sync:   "Synced", Health: "Degraded", Revision: "0123456789abcdef0123456789abcdef01234567",
		})
	}
	kubeconfig := startArgoCD(t, apps...)
	// Both Applications exist before the bot starts, so the first check
	// after the watcher's list sees both; the notice comes a check later.
	b := startServeWith(t, fmt.Sprintf(`
argocd:
  kubeconfig: %q
  grace: 1ms
  checkEvery: 50ms
  controlPlanes:
    - context: platbot-test
placement:
  clusters:
    - {name: use1-prod-a, server: "https://use1-prod-a.k8s.acme.example", region: us-east-1, tiers: [tier1]}
    - {name: use1-shared, server: "https://use1-shared.k8s.acme.example", region: us-east-1, tiers: [standard]}
  rules:
    - {name: standard, match: {tier: standard}, clusters: [use1-shared]}
    - {name: tier1, match: {tier: tier1}, clusters: [use1-prod-a]}
  production:
    environments: [staging]
    tiers: []
`, kubeconfig))

	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	var notice string
	for notice == "" {
		for _, c := range b.slack.Calls("chat.postMessage") {
			if strings.Contains(c.Text(), "checkout-service") {
				notice = c.Text()
			}
		}
		if notice != "" {
			break
		}
		select {
		case <-wctx.Done():
			t.Fatal("no notice for checkout-service within 30s")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(notice, "checkout-service staging is Degraded") {
		t.Fatalf("notice %q, want staging's", notice)
	}
	incidents := store.RecordsOf[map[string]any](b.app.Store, gitopsstatus.KindIncident)
	if _, err := incidents.Get(ctx, "checkout-service/prod-us"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("prod-us, not production by the placement section, has an incident: %v", err)
	}
	for _, c := range b.slack.Calls("chat.postMessage") {
		if strings.Contains(c.Text(), "prod-us") {
			t.Fatalf("notice for prod-us: %q", c.Text())
		}
	}
}
