package catalog

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocationStatuses: a location whose files cannot be read is marked
// failed, another stays healthy, and a Location entity's target that is
// gone is no failure (its entities become orphans).
func TestLocationStatuses(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"org.yaml":  group("payments") + "---\n" + ownedLocation("team", "payments", "./team.yaml"),
		"team.yaml": component("checkout", "payments"),
	})
	fake, gh := newGitHub(t, map[string]string{
		"acme/search/catalog-info.yaml@main": component("search", "payments"),
	})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}, {Repo: "acme/search", Path: "catalog-info.yaml", Ref: "main"}}, WithGitHub(gh))
	if got := c.LocationStatuses(); len(got) != 2 || got[0].Failed || got[1].Failed {
		t.Fatalf("after a good refresh: %+v", got)
	}

	// GitHub fails, and the team file vanishes.
	fake.fail(http.StatusInternalServerError)
	if err := os.Remove(filepath.Join(dir, "team.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := c.LocationStatuses()
	if len(got) != 2 {
		t.Fatalf("statuses: %+v", got)
	}
	if got[0].Location != "file:"+dir || got[0].Failed {
		t.Errorf("local location: %+v, want healthy (a vanished target orphans, it does not fail)", got[0])
	}
	if !got[1].Failed || !strings.HasPrefix(got[1].Location, "url:https://github.com/acme/search/") || got[1].Error == "" {
		t.Errorf("GitHub location: %+v, want failed with its error", got[1])
	}
	if e, ok := c.Get("checkout"); !ok || !e.Orphan {
		t.Errorf("checkout = %+v, want an orphan", e)
	}
	if e, ok := c.Get("search"); !ok || e.Orphan {
		t.Errorf("search = %+v, want kept from the last good read", e)
	}

	// Before its first refresh a catalog knows no status; a refresh that
	// fails whole fails every location.
	cfg := DefaultConfig()
	cfg.Locations = []LocationConfig{{Repo: "acme/search", Path: "catalog-info.yaml", Ref: "main"}}
	c2, err := New(cfg, WithLogger(quiet), WithGitHub(gh))
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.LocationStatuses(); got != nil {
		t.Fatalf("statuses before any refresh: %+v", got)
	}
	if _, err := c2.Refresh(t.Context()); err == nil {
		t.Fatal("refresh with GitHub down succeeded")
	}
	if got := c2.LocationStatuses(); len(got) != 1 || !got[0].Failed || !strings.Contains(got[0].Error, "none of 1 files") {
		t.Errorf("statuses after a failed refresh: %+v", got)
	}
}
