package gitopsstatus_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
)

// TestLiveFactAndApplicationLinks: a service's summary says how each of
// its environments runs, from the informer; a link to an Application's
// page in Argo CD (or a page below it) resolves to the service it deploys,
// so it previews as the service's summary.
func TestLiveFactAndApplicationLinks(t *testing.T) {
	e := newEnv(t, "argocd-home")
	e.apply(app("checkout-prod-us", "checkout-service", "prod-us", "Synced", "Healthy", sha1))
	e.apply(app("checkout-staging", "checkout-service", "staging", "OutOfSync", "Degraded", "v2"))
	e.await("checkout-service", "prod-us", health("Healthy"))
	e.await("checkout-service", "staging", health("Degraded"))

	svc, ok := e.cat.Get("component:default/checkout-service")
	if !ok {
		t.Fatal("no checkout-service in the test catalog")
	}
	p, ok := e.feat.ServiceFact(context.Background(), svc)
	if !ok || p.Label != "Live" || p.Value != "🟢 prod-us Healthy, 🔴 staging Degraded" {
		t.Fatalf("live fact = %+v, %v", p, ok)
	}
	if other, ok := e.cat.Get("component:default/reports-service"); ok {
		if p, ok := e.feat.ServiceFact(context.Background(), other); ok {
			t.Fatalf("a service Argo CD does not deploy has a live fact: %+v", p)
		}
	}

	for _, link := range []string{
		"https://argocd.example.com/applications/argocd-home/checkout-prod-us",
		"https://ArgoCD.example.com/applications/argocd-home/checkout-staging/",
		"https://argocd.example.com/applications/argocd-home/checkout-prod-us?view=tree&resource=",
	} {
		if ref, ok := e.feat.ServiceForLink(link); !ok || ref != "component:default/checkout-service" {
			t.Errorf("%s resolves to %q, %v", link, ref, ok)
		}
	}
	for _, link := range []string{
		"https://argocd.example.com/applications/argocd-home/checkout-prod-usx",
		"https://argocd.example.com/applications",
		"https://other.example.com/applications/argocd-home/checkout-prod-us",
	} {
		if ref, ok := e.feat.ServiceForLink(link); ok {
			t.Errorf("%s resolves to %q", link, ref)
		}
	}

	// Through the catalog's unfurler, as cmd/platbot wires it.
	e.cat.AddSummaryFact(e.feat, true)
	e.cat.AddLinkResolver(e.feat)
	link := "https://argocd.example.com/applications/argocd-home/checkout-prod-us"
	msg, ok := e.h.Router.Previews(context.Background(), &bot.Request{ID: "ev", User: bot.User{ID: "U1"}}, []string{link})[link]
	if !ok {
		t.Fatal("no preview of the Application's page")
	}
	if text := bot.PlainText(msg); !strings.Contains(text, "Live: 🟢 prod-us Healthy, 🔴 staging Degraded") || !strings.Contains(text, "component:default/checkout-service") {
		t.Fatalf("preview:\n%s", text)
	}
}

// TestLiveChangeTellsTheOwningTeam: a check after a service's live status
// changed names its owning team for their Homes; the first check only
// remembers, and a check with nothing changed names nobody.
func TestLiveChangeTellsTheOwningTeam(t *testing.T) {
	e := newEnv(t, "argocd-home-live")
	var mu sync.Mutex
	var told []string
	e.h.Router.OnHomeTeamsChanged(func(_ context.Context, teams []string) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, strings.Join(teams, ","))
	})
	taken := func() string {
		mu.Lock()
		defer mu.Unlock()
		out := strings.Join(told, " ")
		told = nil
		return out
	}
	e.apply(app("ledger-prod-us", "ledger-service", "prod-us", "Synced", "Healthy", sha1))
	e.await("ledger-service", "prod-us", health("Healthy"))
	e.check()
	if got := taken(); got != "" {
		t.Fatalf("the first check told %q", got)
	}
	e.check()
	if got := taken(); got != "" {
		t.Fatalf("a check with nothing changed told %q", got)
	}
	e.apply(app("ledger-prod-us", "ledger-service", "prod-us", "Synced", "Degraded", sha1))
	e.await("ledger-service", "prod-us", health("Degraded"))
	e.check()
	if got := taken(); got != "group:default/ledger" {
		t.Fatalf("after ledger-service degraded: told %q, want its team", got)
	}
}
