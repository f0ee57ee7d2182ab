package catalog

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A location registered at run time (a golden path's catalog:register) is
// a team source of its owner: from the next refresh its entities owned by
// that team are in the catalog and another team's are refused. Registering
// it again changes nothing, for another team is an error, and it survives
// a restart through the saved snapshot.
func TestRegisterLocation(t *testing.T) {
	org := writeFiles(t, map[string]string{"org.yaml": group("payments") + "---\n" + group("checkout")})
	repo := writeFiles(t, map[string]string{"catalog-info.yaml": component("orders", "group:default/payments") + "---\n" + component("sneaky", "checkout")})
	target := "file://" + filepath.Join(repo, "catalog-info.yaml")
	snaps := &MemorySnapshots{}
	c := newTestCatalog(t, []LocationConfig{{Target: org}}, WithSnapshots(snaps))
	ctx := context.Background()

	created, err := c.RegisterLocation(ctx, target, "payments")
	if err != nil || !created {
		t.Fatalf("register: %v, %v", created, err)
	}
	if _, ok := c.Get("component:default/orders"); ok {
		t.Fatal("entities appeared before a refresh")
	}
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e, ok := c.Get("component:default/orders")
	if !ok || e.Owner() != "group:default/payments" {
		t.Fatalf("orders: %v %+v\n%s", ok, e, problemsText(c.Errors()))
	}
	if _, ok := c.Get("component:default/sneaky"); ok || !strings.Contains(problemsText(c.Errors()), "sneaky") {
		t.Errorf("another team's entity from the registered file:\n%s", problemsText(c.Errors()))
	}

	if created, err := c.RegisterLocation(ctx, target, "group:default/payments"); err != nil || created {
		t.Errorf("again: %v, %v", created, err)
	}
	if _, err := c.RegisterLocation(ctx, target, "checkout"); err == nil || !strings.Contains(err.Error(), "already a location of group:default/payments") {
		t.Errorf("for another team: %v", err)
	}
	if _, err := c.RegisterLocation(ctx, "https://evil.example/a/b/blob/main/c.yaml", "payments"); err == nil {
		t.Error("a URL on another host was registered")
	}
	if _, err := c.RegisterLocation(ctx, "file://"+filepath.Join(org, "org.yaml"), ""); err == nil {
		t.Error("a location without an owner was registered")
	}

	cfg := DefaultConfig()
	cfg.Locations = []LocationConfig{{Target: org}}
	restarted, err := Load(ctx, cfg, WithLogger(quiet), WithSnapshots(snaps))
	if err != nil {
		t.Fatal(err)
	}
	if got := restarted.Registered(); len(got) != 1 || got[0].Owner != "group:default/payments" {
		t.Fatalf("registered after restart: %+v", got)
	}
	repo2 := filepath.Dir(strings.TrimPrefix(target, "file://"))
	if err := writeFile(repo2, "catalog-info.yaml", component("orders-v2", "payments")); err != nil {
		t.Fatal(err)
	}
	if _, err := restarted.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := restarted.Get("component:default/orders-v2"); !ok {
		t.Errorf("the registered location was not read after the restart:\n%s", problemsText(restarted.Errors()))
	}
}
