package cost

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

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

// exampleCatalog reads the entities of examples/catalog.
func exampleCatalog(t *testing.T) *fakeCatalog {
	t.Helper()
	cat := &fakeCatalog{}
	err := filepath.WalkDir("../../examples/catalog", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var e catalog.Entity
			if err := dec.Decode(&e); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return err
			}
			if e.Kind != "" {
				e.Source = catalog.Source{File: path}
				cat.entities = append(cat.entities, &e)
			}
		}
		return nil
	})
	if err != nil {
		t.Skipf("example catalog not readable: %v", err)
	}
	if len(cat.entities) == 0 {
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
	w.cat = cat
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
	if err := c.Register(w.router, nil); err != nil {
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
