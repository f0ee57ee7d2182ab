package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/store"
)

// TestStatusCatalogLocationFailures: the catalog probe reads each
// location's last refresh, not only the refresh as a whole: one failed
// location of two is degraded, both failed is down, and the error names
// them. Health is read back through the status feature (its metric: 1
// for healthy or degraded, 0 for down).
func TestStatusCatalogLocationFailures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	org := filepath.Join(dir, "org.yaml")
	team := filepath.Join(dir, "team.yaml")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(org, "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: platform\nspec:\n  type: team\n  children: []\n")
	write(team, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: api\nspec:\n  type: service\n  lifecycle: production\n  owner: platform\n")
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: org}, {Target: team}}
	cfg.AdminGroups = []string{"platform"}
	cat, err := catalog.New(cfg, catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "platbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &features{catalog: cat}
	reg := prometheus.NewRegistry()
	sf, err := status.New(status.Config{}, status.Deps{Store: st, Metrics: reg,
		Probes: []status.Probe{{Name: "catalog", Title: "Catalog locations", Configured: true, Check: f.catalogHealth}}})
	if err != nil {
		t.Fatal(err)
	}
	up := func() float64 {
		t.Helper()
		if err := sf.Check(ctx); err != nil {
			t.Fatal(err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "platbot_integration_up" && len(mf.GetMetric()) == 1 {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no platbot_integration_up{integration=\"catalog\"}")
		return 0
	}
	refresh := func() {
		t.Helper()
		if _, err := cat.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}

	refresh()
	if err := f.catalogHealth(ctx); err != nil {
		t.Fatalf("both locations read: %v", err)
	}

	// The team file is gone: its location failed, the other did not.
	if err := os.Remove(team); err != nil {
		t.Fatal(err)
	}
	refresh()
	err = f.catalogHealth(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 locations failed") || !strings.Contains(err.Error(), "file:"+team) || strings.Contains(err.Error(), "file:"+org) {
		t.Fatalf("one location failed: %v", err)
	}
	if u := up(); u != 1 {
		t.Fatalf("one location failed: up = %v, want 1 (degraded, not down)", u)
	}

	// Both gone: the refresh as a whole failed, down.
	if err := os.Remove(org); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Refresh(ctx); err == nil {
		t.Fatal("a refresh that read nothing succeeded")
	}
	err = f.catalogHealth(ctx)
	if err == nil || !strings.Contains(err.Error(), "failed") || !strings.Contains(err.Error(), "file:"+org) {
		t.Fatalf("every location failed: %v", err)
	}
	if u := up(); u != 0 {
		t.Fatalf("every location failed: up = %v, want 0 (down)", u)
	}
}
