package cost

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/store"
)

// The real store and catalog satisfy the interfaces this package declares.
var (
	_ store.Records = (*store.Store)(nil)
	_ Catalog       = (*catalog.Catalog)(nil)
	_ Problems      = (*catalog.Catalog)(nil)
	_ Source        = (*opencost.Client)(nil)
	_ Source        = (*opencost.Recorded)(nil)
	// The scorecard digest's optional cost hook.
	_ interface {
		CostSummary(ctx context.Context, team string) (bot.Section, bool)
	} = (*Costs)(nil)
)

// exampleCatalog is the real catalog over examples/catalog.
func exampleCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: "../../examples/catalog"}}
	cat, err := catalog.New(cfg, catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err == nil {
		_, err = cat.Refresh(context.Background())
	}
	if err != nil {
		t.Skipf("example catalog not readable: %v", err)
	}
	if cat.Len() == 0 {
		t.Skip("example catalog is empty")
	}
	return cat
}

// TestShellDefaultExampleData runs the shell's default wiring: no
// OPENCOST_URL, so the recorded responses in examples/cost, joined to the
// example catalog.
func TestShellDefaultExampleData(t *testing.T) {
	cat := exampleCatalog(t)
	if _, ok := cat.Get("checkout-service"); !ok {
		t.Skip("example catalog has no checkout-service yet")
	}
	examples := os.DirFS("../../examples/cost")
	w := newWorld(t, Config{})
	w.catalog = cat
	w.cfg.OpenCost.URL = ""
	src, desc, err := NewSource(w.cfg, examples, w.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, desc, "example allocation data (62 recorded days")
	req, err := NewRequestCounter(w.cfg, examples)
	if err != nil || req == nil {
		t.Fatalf("example requests: %v %v", req, err)
	}
	c, err := New(w.cfg, Deps{Source: src, Catalog: cat, Store: w.store, Requests: req, Now: w.clock.Now, Logger: w.costs.log, Sleep: w.sleep})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Register(bot.NewRegistry(w.router, nil)); err != nil {
		t.Fatal(err)
	}
	w.costs = c

	out := w.run("cost checkout-service")
	mustContain(t, out, "== 💰 checkout-service — cost ==", "Month to date: $", "Last 30 days: $", "Efficiency: ", "Per 1,000 requests: $",
		"• CPU $", "• Load balancer $", "`checkout/deployment:checkout-service`", "`checkout/statefulset:checkout-db`",
		"Monthly budget: $4,000", "cost tag `service=checkout-service`")
	ups := w.msgr.Ops("upload")
	if len(ups) != 1 {
		t.Fatalf("uploads = %d", len(ups))
	}
	checkPNG(t, ups[0].File.Content)

	mustContain(t, w.run("cost team payments"), "== 💰 payments — cost ==", "*payments-service*", "*fraud-scoring*", "• GPU $")
	mustContain(t, w.run("cost top 5"), "Top 5 services by spend", "maps to no service")
	mustContain(t, w.run("cost unallocated"), "`service=search-indexer`, which no catalog entity claims", "kube-system", "monitoring", "ingress-nginx")
	mustContain(t, w.run("cost checkout-db"), "shared with checkout-service")

	w.cfg.Alerts = []AlertRule{
		{Type: RuleChange, Service: "*", Window: 7, Threshold: 50, MinSpend: 50},
		{Type: RuleEfficiency, Service: "*", Window: 7, Below: 25, MinSpend: 50},
	}
	c, err = New(w.cfg, Deps{Source: src, Catalog: cat, Store: w.store, Now: w.clock.Now, Logger: w.costs.log, Sleep: w.sleep})
	if err != nil {
		t.Fatal(err)
	}
	c.router = w.router
	c.deps.Messenger = w.msgr
	w.costs = c
	posts := w.alerts()
	all := ""
	for _, p := range posts {
		all += p.Channel + " " + p.Text() + "\n"
	}
	mustContain(t, all, "#team-checkout == 📈 promotions-service: spend changed", "legacy-checkout: low efficiency", "legacy-reports-batch: low efficiency")

	// Shifting the clock by a day still finds data (the profile is replayed).
	w.clock.Advance(24 * time.Hour)
	mustContain(t, w.run("cost checkout-service"), "Last 30 days: $")
}
