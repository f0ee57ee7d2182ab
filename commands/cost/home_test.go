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

// TestCostRefreshTellsTheTeamsWhoseCostsChanged: a fetch that replaces
// the cached cost data names, for their Homes, the teams owning a service
// whose cost fact changed, and no other; the first fetch only fills the
// cache.
func TestCostRefreshTellsTheTeamsWhoseCostsChanged(t *testing.T) {
	w := newWorld(t, Config{})
	ctx := context.Background()
	var told []string
	w.h.Router.OnHomeTeamsChanged(func(_ context.Context, teams []string) {
		told = append(told, strings.Join(teams, ","))
	})
	checkout, _ := w.cat.Get("component:default/checkout")
	if _, ok := w.costs.ServiceFact(ctx, checkout); !ok {
		t.Fatal("no cost fact for checkout")
	}
	if len(told) != 0 {
		t.Fatalf("the first fetch told %v", told)
	}
	// checkout's workload doubles; payments' stays as it was.
	ds := baseDataset(testNow)
	from := testNow.Truncate(24*time.Hour).AddDate(0, 0, -90)
	ds.Add(opencosttest.Workload{Cluster: "prod", Namespace: "shop", Kind: "deployment", Name: "checkout-canary",
		Labels: map[string]string{"service": "checkout"}, CPU: 60}.Rows(from, 91+40, nil)...)
	w.srv.SetDataset(ds)
	w.clock.Advance(11 * time.Minute) // past the cache TTL, the same day
	if _, ok := w.costs.ServiceFact(ctx, checkout); !ok {
		t.Fatal("no cost fact for checkout after the change")
	}
	if strings.Join(told, " ") != "group:default/shop" {
		t.Fatalf("after checkout's cost changed: told %v, want its team only", told)
	}
	w.clock.Advance(11 * time.Minute) // nothing changed meanwhile
	w.costs.ServiceFact(ctx, checkout)
	if len(told) != 1 {
		t.Fatalf("a fetch that changed nothing told %v", told[1:])
	}
}
