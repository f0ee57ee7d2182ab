package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

func TestRefreshMarksOrphans(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"org.yaml":      group("payments"),
		"services.yaml": component("payments-service", "payments") + "---\n" + component("old-service", "payments"),
	})
	snaps := &MemorySnapshots{}
	c := newTestCatalog(t, []LocationConfig{{Target: dir}}, WithSnapshots(snaps))
	if c.Len() != 3 {
		t.Fatalf("%d entities", c.Len())
	}

	// old-service is deleted from its file.
	if err := os.WriteFile(filepath.Join(dir, "services.yaml"), []byte(component("payments-service", "payments")), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Orphaned, []string{"component:default/old-service"}) || rep.Entities != 2 {
		t.Errorf("report = %+v", rep)
	}
	e, ok := c.Get("old-service")
	if !ok || !e.Orphan {
		t.Fatalf("old-service = %v, %v; want kept as an orphan", e, ok)
	}
	if slices.ContainsFunc(c.List(KindComponent), func(x *Entity) bool { return x.Orphan }) ||
		slices.ContainsFunc(c.OwnedBy("payments"), func(x *Entity) bool { return x.Orphan }) ||
		len(c.Search("old-service", 10)) != 0 {
		t.Error("orphans must not be served by List, OwnedBy or Search")
	}
	if got := c.Orphans(); len(got) != 1 || got[0].Ref() != "component:default/old-service" {
		t.Errorf("Orphans() = %v", got)
	}
	if !slices.ContainsFunc(c.Errors(), func(p Problem) bool {
		return p.Severity == SeverityWarning && p.Entity == "component:default/old-service" && strings.HasPrefix(p.Message, "orphaned")
	}) {
		t.Errorf("no orphan warning:\n%s", problemsText(c.Errors()))
	}

	// A second refresh keeps it orphaned without reporting it as new.
	rep, err = c.Refresh(context.Background())
	if err != nil || len(rep.Orphaned) != 0 {
		t.Errorf("second refresh: %+v, %v", rep, err)
	}
	if e, ok := c.Get("old-service"); !ok || !e.Orphan {
		t.Error("orphan lost on the second refresh")
	}

	// Only orphans can be removed, and removal is persisted.
	if err := c.Remove(context.Background(), "payments-service"); err == nil || !strings.Contains(err.Error(), "still in") {
		t.Errorf("Remove(live) = %v", err)
	}
	var nf *NotFoundError
	if err := c.Remove(context.Background(), "nope"); !errors.As(err, &nf) {
		t.Errorf("Remove(unknown) = %v", err)
	}
	if err := c.Remove(context.Background(), "old-service"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("old-service"); ok {
		t.Error("orphan still there after Remove")
	}
	restored, _ := New(DefaultConfig(), WithSnapshots(snaps), WithLogger(quiet))
	if err := restored.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := restored.Get("old-service"); ok || restored.Len() != 2 {
		t.Errorf("removal not persisted: %d entities", restored.Len())
	}

	// The entity comes back: it is live again.
	if err := os.WriteFile(filepath.Join(dir, "services.yaml"), []byte(component("payments-service", "payments")+"---\n"+component("old-service", "payments")), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err = c.Refresh(context.Background()); err != nil || !slices.Contains(rep.Added, "component:default/old-service") {
		t.Errorf("re-added: %+v, %v", rep, err)
	}
}

func TestRefreshKeepsLastGoodOnBrokenFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"org.yaml": group("payments"),
		"a.yaml":   component("a-service", "payments") + "---\n" + component("b-service", "payments", "  system: x"),
		"c.yaml":   component("c-service", "payments"),
	})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	if c.Len() != 4 {
		t.Fatalf("%d entities:\n%s", c.Len(), problemsText(c.Errors()))
	}
	a, _ := c.Get("a-service")
	if a.SpecString("system") != "" {
		t.Fatal("unexpected system")
	}

	// a.yaml: b-service's document is no longer YAML, a-service's turns
	// invalid (owner removed). c.yaml becomes unreadable.
	broken := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a-service\nspec:\n  type: service\n  lifecycle: production\n" +
		"---\nkind: [oops\n"
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "c.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("c.yaml", filepath.Join(dir, "c.yaml")); err != nil { // a loop: unreadable, not missing
		t.Fatal(err)
	}
	rep, err := c.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"component:default/a-service", "component:default/b-service", "component:default/c-service"} {
		e, ok := c.Get(ref)
		if !ok || e.Orphan {
			t.Errorf("%s: last good version not kept (%v %v)", ref, e, ok)
		}
	}
	if len(rep.Orphaned) != 0 || len(rep.Kept) != 3 || rep.Failed != 1 {
		t.Errorf("report = %+v", rep)
	}
	if a, _ := c.Get("a-service"); a.Owner() != "group:default/payments" {
		t.Error("a-service is not the last good version")
	}
	msgs := problemsText(c.Errors())
	for _, want := range []string{"spec.owner is required", "invalid YAML", "serving its last good version", "too many levels of symbolic links; keeping its 1 entities"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("problems lack %q:\n%s", want, msgs)
		}
	}
}

func TestRefreshFailureKeepsLastGoodState(t *testing.T) {
	dir := writeFiles(t, map[string]string{"org.yaml": group("payments") + "---\n" + component("svc", "payments")})
	c := newTestCatalog(t, []LocationConfig{{Target: filepath.Join(dir, "org.yaml")}})
	before := c.Refreshed()
	if err := os.Remove(filepath.Join(dir, "org.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), "serving the last good state (2 entities)") {
		t.Fatalf("err = %v", err)
	}
	if e, ok := c.Get("svc"); !ok || e.Orphan || c.Len() != 2 || !c.Refreshed().Equal(before) {
		t.Error("a failed refresh changed the served state")
	}
}

func TestFailedRefreshIsKeptAndShown(t *testing.T) {
	dir := writeFiles(t, map[string]string{"org.yaml": group("payments") + "---\n" + component("svc", "payments")})
	failedAt := time.Date(2025, 3, 4, 5, 6, 0, 0, time.UTC)
	now := time.Date(2025, 3, 4, 4, 0, 0, 0, time.UTC)
	c := newTestCatalog(t, []LocationConfig{{Target: filepath.Join(dir, "org.yaml")}}, WithClock(func() time.Time { return now }))
	if at, err := c.LastRefreshError(); err != nil || !at.IsZero() {
		t.Fatalf("after a good refresh: %v, %v", at, err)
	}
	if err := os.Remove(filepath.Join(dir, "org.yaml")); err != nil {
		t.Fatal(err)
	}
	// The scheduled refresh fails: not only returned to the worker, but kept.
	now = failedAt
	if err := c.RefreshJob(context.Background(), nil); err == nil {
		t.Fatal("the refresh job succeeded without its file")
	}
	at, err := c.LastRefreshError()
	if err == nil || !at.Equal(failedAt) || !strings.Contains(err.Error(), "none of 1 files could be read") {
		t.Fatalf("LastRefreshError = %v, %v", at, err)
	}

	// /plat catalog errors says so first, with what is still served.
	m := bottest.NewMessenger()
	if err := run(t, c, m, "U0PLATPRIYA", "catalog errors"); err != nil {
		t.Fatal(err)
	}
	text := m.AllText()
	want := "Last refresh failed at 2025-03-04 05:06 UTC: catalog refresh: none of 1 files could be read"
	if !strings.Contains(text, want) || !strings.Contains(text, "serving the state of 2025-03-04 04:00 UTC") ||
		!strings.Contains(text, "The served catalog has no problems") {
		t.Errorf("errors output:\n%s", text)
	}
	if i := strings.Index(text, "Last refresh failed"); i < 0 || strings.Index(text, "no problems") < i {
		t.Errorf("the failure is not at the top:\n%s", text)
	}

	// A refresh cancelled on shutdown is not a failure of the locations.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	now = failedAt.Add(time.Hour)
	if _, err := c.Refresh(ctx); err == nil {
		t.Fatal("a cancelled refresh succeeded")
	}
	if at, _ := c.LastRefreshError(); !at.Equal(failedAt) {
		t.Errorf("a cancelled refresh replaced the failure: %v", at)
	}

	// The next good refresh clears it.
	if err := writeFile(dir, "org.yaml", group("payments")+"---\n"+component("svc", "payments", "  system: nowhere")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if at, err := c.LastRefreshError(); err != nil || !at.IsZero() {
		t.Errorf("after recovery: %v, %v", at, err)
	}
	m.Reset()
	_ = run(t, c, m, "U0PLATPRIYA", "catalog errors")
	if text := m.AllText(); strings.Contains(text, "refresh failed") || !strings.Contains(text, "0 errors, 1 warnings") {
		t.Errorf("errors output after recovery:\n%s", text)
	}
}

func TestFailedRefreshOfARestoredCatalog(t *testing.T) {
	snaps := &MemorySnapshots{}
	_ = newTestCatalog(t, []LocationConfig{{Target: examplesDir}}, WithSnapshots(snaps))
	c, err := Load(context.Background(), DefaultConfigWith(filepath.Join(t.TempDir(), "missing")), WithSnapshots(snaps), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Restored() {
		t.Fatal("Restored() = false after loading a snapshot")
	}
	if _, err := c.Refresh(context.Background()); err == nil {
		t.Fatal("refresh of a missing location succeeded")
	}
	if !c.Restored() {
		t.Error("a failed refresh ended Restored()")
	}
	m := bottest.NewMessenger()
	_ = run(t, c, m, "U0PLATPRIYA", "catalog errors")
	if text := m.AllText(); !strings.Contains(text, "(restored from the saved snapshot)") || !strings.Contains(text, "Last refresh failed at") {
		t.Errorf("errors output:\n%s", text)
	}

	// Never loaded at all: says the catalog served is empty.
	empty, err := Load(context.Background(), DefaultConfigWith(filepath.Join(t.TempDir(), "missing")), WithLogger(quiet))
	if err == nil || empty.Restored() {
		t.Fatalf("load of a missing location: %v, restored %v", err, empty.Restored())
	}
	m.Reset()
	_ = run(t, empty, m, "U0PLATPRIYA", "catalog errors")
	if text := m.AllText(); !strings.Contains(text, "serving an empty catalog") {
		t.Errorf("errors output:\n%s", text)
	}
}

func TestRestartServesSavedSnapshot(t *testing.T) {
	snaps := &MemorySnapshots{}
	first := newTestCatalog(t, []LocationConfig{{Target: examplesDir}}, WithSnapshots(snaps))
	want := first.Len()

	// The restarted process cannot read its locations yet, but serves at
	// once from the saved state, identities included.
	cfg := DefaultConfig()
	cfg.Locations = []LocationConfig{{Target: filepath.Join(t.TempDir(), "missing")}}
	c, err := Load(context.Background(), cfg, WithSnapshots(snaps), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != want || !c.Restored() {
		t.Fatalf("restored %d entities, want %d (Restored %v)", c.Len(), want, c.Restored())
	}
	e, ok := c.Get("payments-service")
	if !ok || e.Source.Line != 3 || len(e.Relations) == 0 {
		t.Errorf("restored payments-service = %+v", e)
	}
	if got := c.OwnedBy("payments"); len(got) != len(first.OwnedBy("payments")) {
		t.Errorf("OwnedBy after restore: %d", len(got))
	}
	if len(c.Errors()) != len(first.Errors()) {
		t.Errorf("problems not restored")
	}

	// A corrupt snapshot falls back to reading the locations.
	_ = snaps.SaveSnapshot(context.Background(), []byte("{not json"))
	c2, err := Load(context.Background(), DefaultConfigWith(examplesDir), WithSnapshots(snaps), WithLogger(quiet))
	if err != nil || c2.Len() != want || c2.Restored() {
		t.Errorf("fallback load: %d entities, %v (Restored %v)", c2.Len(), err, c2.Restored())
	}
}

// DefaultConfigWith is DefaultConfig reading one location.
func DefaultConfigWith(target string) Config {
	cfg := DefaultConfig()
	cfg.Locations = []LocationConfig{{Target: target}}
	return cfg
}

// TestRegisterSchedulesRefresh: the catalog registers its commands, the
// refresh job and its schedule through the registry, and a bad schedule is
// refused with the job named.
func TestRegisterSchedulesRefresh(t *testing.T) {
	c := examples(t)
	r := bot.NewRouter(bot.RouterOptions{})
	reg := bot.NewRegistry(r, nil)
	if err := reg.Install(c); err != nil {
		t.Fatal(err)
	}
	if got := reg.Schedules(); len(got) != 1 || got[0].Kind != JobRefresh || got[0].Spec != DefaultRefresh || got[0].Feature != "catalog" {
		t.Errorf("schedules = %+v", got)
	}
	var names []string
	for _, cmd := range r.Commands() {
		names = append(names, cmd.Name)
	}
	if !slices.Contains(names, "service") || !slices.Contains(names, "catalog reload") || !slices.Contains(names, "whoami") {
		t.Errorf("commands = %v", names)
	}
	c.cfg.Refresh = "every ten minutes"
	err := c.Register(bot.NewRegistry(bot.NewRouter(bot.RouterOptions{}), nil))
	if err == nil || !strings.Contains(err.Error(), JobRefresh) || !strings.Contains(err.Error(), "bad cron spec") {
		t.Errorf("bad schedule: %v", err)
	}
}

// TestStartRefreshesRestoredSnapshot: a catalog served from a saved
// snapshot refreshes from its locations on Start; one refreshed by this
// process does not; a refresh that fails keeps the snapshot, is logged and
// does not fail the start.
func TestStartRefreshesRestoredSnapshot(t *testing.T) {
	ctx := context.Background()
	snaps := &MemorySnapshots{}
	_ = newTestCatalog(t, []LocationConfig{{Target: examplesDir}}, WithSnapshots(snaps))
	c, err := Load(ctx, DefaultConfigWith(examplesDir), WithSnapshots(snaps), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Restored() {
		t.Fatal("not served from the snapshot")
	}
	before := c.Refreshed()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Restored() || c.Refreshed().Equal(before) {
		t.Error("Start did not refresh a restored catalog")
	}
	after := c.Refreshed()
	if err := c.Start(ctx); err != nil || !c.Refreshed().Equal(after) {
		t.Errorf("Start refreshed a catalog this process refreshed: %v", err)
	}

	var logs bottest.LogBuffer
	gone, err := Load(ctx, DefaultConfigWith(filepath.Join(t.TempDir(), "missing")), WithSnapshots(snaps), WithLogger(logs.Logger()))
	if err != nil || !gone.Restored() {
		t.Fatalf("load from the snapshot: %v", err)
	}
	n := gone.Len()
	if err := gone.Start(ctx); err != nil {
		t.Fatalf("a failed refresh failed the start: %v", err)
	}
	if !gone.Restored() || gone.Len() != n || n == 0 {
		t.Errorf("the saved snapshot is no longer served: restored %v, %d of %d entities", gone.Restored(), gone.Len(), n)
	}
	if !strings.Contains(logs.String(), "refresh at start failed; serving the saved snapshot") {
		t.Errorf("failure not logged:\n%s", logs.String())
	}
}

func TestConcurrentReadsDuringRefresh(t *testing.T) {
	c := examples(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if e, ok := c.Get("checkout-service"); !ok || e.Owner() == "" {
					t.Error("checkout-service vanished during a refresh")
					return
				}
				_ = c.Search("pay", 5)
				_ = c.Members("payments")
				_, _ = c.Identify(ctx, botUser("U0PAYALICE"))
			}
		}()
	}
	for i := 0; i < 5; i++ {
		if _, err := c.Refresh(ctx); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestReportedProblems(t *testing.T) {
	c := examples(t)
	p := Problem{Location: "file:x", File: "examples/catalog/checkout.yaml", Line: 12, Entity: "component:default/checkout-service", Message: "annotation finops/monthly-budget: not a number"}
	c.ReportProblem(p)
	c.ReportProblem(p)
	ps := c.Errors()
	if len(ps) != 1 || ps[0].Severity != SeverityWarning || ps[0].Message != p.Message {
		t.Fatalf("Errors() = %v", ps)
	}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.Errors()) != 0 {
		t.Errorf("reported problems outlive a refresh: %v", c.Errors())
	}
}
