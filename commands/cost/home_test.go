package cost

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
)

// TestServiceFact: a service's summary fact is its last 30 days' cost and
// trend, as the team roll-up counts it; an untagged service has none; when
// cost data is unavailable the fact says so.
func TestServiceFact(t *testing.T) {
	w := newWorld(t, Config{})
	ctx := context.Background()
	sum, err := w.costs.TeamSummary(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, s := range sum.Top {
		if s.Name == "checkout" {
			want = formatMoney(sum.Currency, s.Last30) + " " + s.Trend.String()
		}
	}
	if want == "" || !strings.Contains(want, "↑") {
		t.Fatalf("checkout in the team summary: %q (the base data grows by 20%%)", want)
	}
	checkout, _ := w.cat.Get("component:default/checkout")
	p, ok := w.costs.ServiceFact(ctx, checkout)
	if !ok || p.Label != "Cost 30d" || p.Value != want {
		t.Fatalf("fact = %+v, %v; want %q", p, ok, want)
	}
	search, _ := w.cat.Get("component:default/search")
	if p, ok := w.costs.ServiceFact(ctx, search); ok {
		t.Fatalf("untagged service has a cost fact: %+v", p)
	}

	// A database sharing checkout's tag is counted with checkout.
	db := component("checkout-db", "shop", "service=checkout")
	db.Kind = catalog.KindResource
	db.Spec["type"] = "database"
	w.cat.AddEntities(db)
	dbe, _ := w.cat.Get("resource:default/checkout-db")
	if p, ok := w.costs.ServiceFact(ctx, dbe); !ok || !strings.HasPrefix(p.Value, "counted with ") || !strings.Contains(p.Value, "checkout") {
		t.Fatalf("shared fact = %+v, %v", p, ok)
	}

	w.srv.SetMode(opencosttest.Down)
	w.clock.Advance(24 * time.Hour) // the next day: the cache is stale
	if p, ok := w.costs.ServiceFact(ctx, checkout); !ok || p.Value != "unavailable" {
		t.Fatalf("fact while OpenCost is down = %+v, %v", p, ok)
	}
}
