package cost

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
)

// TestServiceCost: any service's cost over the last 30 days, from the
// allocation data the team summaries use (no query of its own while it is
// cached), including a service outside its team's top three; a workload
// carrying two of a service's tags counts once; what nothing measures is
// unknown, never 0; OpenCost down is an *UnavailableError.
func TestServiceCost(t *testing.T) {
	w := newWorld(t, Config{})
	from := testNow.AddDate(0, 0, -70)
	add := func(name string, labels map[string]string, cpu float64) {
		w.srv.Dataset().Add(opencosttest.Workload{Cluster: "prod", Namespace: "shop", Kind: "deployment", Name: name, Labels: labels, CPU: cpu}.Rows(from, 80, nil)...)
	}
	// shop: checkout $120/day (the base data), cart $10, search-api $8,
	// worker $1 (labelled by both of its tags), old-search $2.
	add("cart", map[string]string{"service": "cart"}, 10)
	add("search-api", map[string]string{"service": "search-api"}, 8)
	add("worker", map[string]string{"service": "worker", "app": "worker"}, 1)
	add("old-search", map[string]string{"service": "old-search"}, 2)
	w.cat.AddEntities(
		component("cart", "shop", "service=cart"),
		component("search-api", "shop", "service=search-api"),
		component("worker", "shop", "service=worker,app=worker"),
		component("old-search", "shop", "service=old-search"),
		component("ghost", "shop", "service=ghost"),
		component("broken", "shop", "service"),
	)
	ctx := context.Background()

	sum, err := w.costs.TeamSummary(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sum.Top {
		if s.Name == "old-search" || s.Name == "worker" {
			t.Fatalf("%s is among the top three, so this test shows nothing: %+v", s.Name, sum.Top)
		}
	}
	fetched := len(w.srv.Queries())

	for _, tc := range []struct {
		ref    string
		known  bool
		amount float64
	}{
		{"old-search", true, 60},
		{"component:default/checkout", true, 3600},
		{"worker", true, 30},  // not 60: one workload, two tags
		{"ghost", true, 0},    // OpenCost answered: nothing carries service=ghost
		{"search", false, 0},  // no cost tag
		{"broken", false, 0},  // a malformed cost tag
		{"shop", false, 0},    // a team
		{"nothing", false, 0}, // not in the catalog
	} {
		got, err := w.costs.ServiceCost(ctx, tc.ref)
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		if got.Known != tc.known || !near(got.Amount, tc.amount) || got.Currency != "$" {
			t.Errorf("%s: %+v, want known %v, %v", tc.ref, got, tc.known, tc.amount)
		}
		if got.Known && !got.AsOf.Equal(testNow) {
			t.Errorf("%s: as of %v", tc.ref, got.AsOf)
		}
	}
	if got, _ := w.costs.ServiceCost(ctx, "old-search"); got.Ref != "component:default/old-search" {
		t.Errorf("ref = %q", got.Ref)
	}
	if n := len(w.srv.Queries()); n != fetched {
		t.Errorf("ServiceCost sent %d queries of its own; the cached data answers", n-fetched)
	}

	// After the cache TTL, concurrent askers share one fetch.
	w.clock.Advance(11 * time.Minute)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := w.costs.ServiceCost(ctx, "old-search"); err != nil || !got.Known || !near(got.Amount, 60) {
				t.Errorf("concurrent: %+v, %v", got, err)
			}
		}()
	}
	wg.Wait()
	if n := len(w.srv.Queries()); n != 2*fetched {
		t.Errorf("%d queries after the TTL, want one fetch more (%d)", n, 2*fetched)
	}

	// OpenCost down, nothing cached: an error, not a known 0.
	w.clock.Advance(11 * time.Minute)
	w.srv.SetMode(opencosttest.Down)
	got, err := w.costs.ServiceCost(ctx, "old-search")
	var ue *UnavailableError
	if !errors.As(err, &ue) || got.Known {
		t.Errorf("OpenCost down: %+v, %v", got, err)
	}
}

// TestServiceCostKinds: a Resource's cost is known like a Component's,
// also when it shares its tag with the Component that owns the tag.
func TestServiceCostKinds(t *testing.T) {
	w := newWorld(t, Config{})
	db := component("checkout-db", "shop", "service=checkout")
	db.Kind = catalog.KindResource
	db.Spec["type"] = "database"
	w.cat.AddEntities(db)
	got, err := w.costs.ServiceCost(context.Background(), "resource:default/checkout-db")
	if err != nil || !got.Known || !near(got.Amount, 3600) {
		t.Errorf("resource sharing checkout's tag: %+v, %v", got, err)
	}
}
