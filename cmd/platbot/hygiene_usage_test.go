package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/hygiene"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
)

// TestHygieneUsageCost: a deprecated service's cost comes from OpenCost
// (a loopback fake) whatever its rank in its team: the cheapest of five
// services is flagged with its cost. An untagged deprecated service is not
// flagged, and with OpenCost down the cost is unknown (not 0).
func TestHygieneUsageCost(t *testing.T) {
	now := time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)
	h := bottest.NewHarness(t, bottest.HarnessOptions{Start: now})
	ds := opencost.NewDataset()
	from := now.Truncate(24*time.Hour).AddDate(0, 0, -70)
	tag := func(name string) string { return catalog.AnnotationCostTag + "=service=" + name }
	ents := []*catalog.Entity{catalogtest.Group("shop")}
	for i, name := range []string{"checkout", "cart", "search-api", "reviews", "old-search"} {
		daily := float64(50 - 10*i) // $50/day down to $10/day
		ds.Add(opencosttest.Workload{Cluster: "prod", Namespace: "shop", Kind: "deployment", Name: name,
			Labels: map[string]string{"service": name}, CPU: daily}.Rows(from, 80, nil)...)
		ents = append(ents, catalogtest.Component(name, "shop", tag(name)))
	}
	old := ents[len(ents)-1]
	old.Spec["lifecycle"] = "deprecated"
	untagged := catalogtest.Component("old-cart", "shop")
	untagged.Spec["lifecycle"] = "deprecated"
	cat := catalogtest.FromEntities(t, append(ents, untagged)...)
	srv := opencosttest.New(ds, "", h.Clock.Now)
	t.Cleanup(srv.Close)

	zero := 0
	cfg := cost.Config{}
	cfg.OpenCost.URL, cfg.OpenCost.Retries = srv.Base(), &zero
	src, _, err := cost.NewSource(cfg, nil, h.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	costs, err := cost.New(cfg, cost.Deps{Source: src, Catalog: cat, Store: h.Store, Logger: h.Logs.Logger(), Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sum, err := costs.TeamSummary(ctx, "shop")
	if err != nil || len(sum.Top) != 3 || sum.Top[2].Name != "search-api" {
		t.Fatalf("old-search must be outside shop's top three for this test: %+v, %v", sum, err)
	}

	usage := hygieneUsage{costs: costs, now: h.Clock.Now}
	feat, err := hygiene.New(hygiene.DefaultConfig(), hygiene.Deps{Store: h.Store, Catalog: cat, Usage: usage, Logger: h.Logs.Logger(), Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	res, err := feat.Scan(ctx, hygiene.ScanOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, f := range res.Findings {
		if f.Kind == hygiene.KindDeprecatedInUse {
			flagged = append(flagged, f.Entity+": "+f.Why)
		}
	}
	want := "component:default/old-search: deprecated, but $300 of cost in the last 30 days"
	if len(flagged) != 1 || flagged[0] != want {
		t.Errorf("deprecated services in use: %q, want %q", flagged, want)
	}

	if u, err := usage.Usage(ctx, untagged); err != nil || u.CostKnown {
		t.Errorf("untagged: %+v, %v", u, err)
	}
	h.Clock.Advance(time.Hour) // past the cost data's cache
	srv.SetMode(opencosttest.Down)
	u, err := usage.Usage(ctx, old)
	if err != nil || u.CostKnown || u.Cost != 0 {
		t.Errorf("OpenCost down: %+v, %v (want the cost unknown)", u, err)
	}
	if !strings.Contains(h.Logs.String(), "cost data unavailable") {
		t.Errorf("the outage is not logged:\n%s", h.Logs.String())
	}
}
