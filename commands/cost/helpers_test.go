package cost

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
	"github.com/platbot/platbot/store"
)

// problemLog records reported catalog problems.
type problemLog struct {
	mu sync.Mutex
	ps []catalog.Problem
}

// ReportProblem ignores repeats, as the catalog does.
func (p *problemLog) ReportProblem(pr catalog.Problem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range p.ps {
		if x == pr {
			return
		}
	}
	p.ps = append(p.ps, pr)
}

func (p *problemLog) all() []catalog.Problem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]catalog.Problem(nil), p.ps...)
}

func component(name, owner, costTag string, annotations ...string) *catalog.Entity {
	e := &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindComponent,
		Metadata: catalog.Metadata{Name: name, Annotations: map[string]string{}},
		Spec:     map[string]any{"type": "service", "lifecycle": "production", "owner": owner},
	}
	if costTag != "" {
		e.Metadata.Annotations[catalog.AnnotationCostTag] = costTag
	}
	for i := 0; i+1 < len(annotations); i += 2 {
		e.Metadata.Annotations[annotations[i]] = annotations[i+1]
	}
	return e
}

func group(name, channel string, annotations ...string) *catalog.Entity {
	e := &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindGroup,
		Metadata: catalog.Metadata{Name: name, Annotations: map[string]string{}},
		Spec:     map[string]any{"type": "team", "children": []any{}},
	}
	if channel != "" {
		e.Metadata.Annotations[catalog.AnnotationSlackChannel] = channel
	}
	for i := 0; i+1 < len(annotations); i += 2 {
		e.Metadata.Annotations[annotations[i]] = annotations[i+1]
	}
	return e
}

// The test clock: 20 May 2026, 10:00 UTC — 19 complete days of the month.
var testNow = time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)

// world is a test installation: fake OpenCost and catalog, and the kit's
// harness (real store, fake clock, recording messenger and auditor).
type world struct {
	t        *testing.T
	h        *bottest.Harness
	clock    *bottest.Clock
	srv      *opencosttest.Server
	cat      *catalogtest.Catalog
	store    *store.Store
	problems *problemLog
	audit    *bottest.Auditor
	msgr     *bottest.Messenger
	cfg      Config
	requests RequestCounter
	costs    *Costs
	router   *bot.Router
	// policy, when set, is the router's policy (else it allows all).
	policy bot.Policy
	// catalog, when set, replaces cat (the example catalog, for instance).
	catalog Catalog
	// examples, when set, is the example cost data NewSource falls back to.
	examples fs.FS
	// logger, when set, receives the feature's logs (else discarded).
	logger *slog.Logger

	mu     sync.Mutex
	sleeps []time.Duration // the pacer's waits, in order
}

// sleep records a pacing wait instead of waiting.
func (w *world) sleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	w.sleeps = append(w.sleeps, d)
	w.mu.Unlock()
	return nil
}

// waits returns the pacing waits so far.
func (w *world) waits() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.sleeps...)
}

// baseDataset is the standard scenario, days counted back from testNow:
//   - checkout (service=checkout, team shop): $100/day until 30 days ago,
//     $120/day since; CPU 60%, RAM 30%, storage 10%; efficiency CPU 50%, RAM 80%.
//   - payments (service=payments, team money): $50/day flat, efficiency 20%.
//   - an unlabelled daemonset in kube-system ($10/day) and a batch job ($5/day):
//     __unallocated__.
//   - service=legacy in namespace legacy ($7/day): a label no entity claims.
func baseDataset(now time.Time) *opencost.Dataset {
	from := now.Truncate(24*time.Hour).AddDate(0, 0, -90)
	days := 91 + 40 // 40 days past now, for tests that move the clock on
	ds := opencost.NewDataset()
	checkout := opencosttest.Workload{Cluster: "prod", Namespace: "shop", Kind: "deployment", Name: "checkout",
		Labels: map[string]string{"service": "checkout"}, CPU: 60, RAM: 30, PV: 10, CPUEff: 0.5, RAMEff: 0.8}
	ds.Add(checkout.Rows(from, days, func(i int) float64 {
		if i >= 60 {
			return 1.2
		}
		return 1
	})...)
	payments := opencosttest.Workload{Cluster: "prod", Namespace: "pay", Kind: "deployment", Name: "payments",
		Labels: map[string]string{"service": "payments"}, CPU: 25, RAM: 25, CPUEff: 0.2, RAMEff: 0.2}
	ds.Add(payments.Rows(from, days, nil)...)
	ds.Add(opencosttest.Workload{Cluster: "prod", Namespace: "kube-system", Kind: "daemonset", Name: "fluent-bit", CPU: 6, RAM: 4}.Rows(from, days, nil)...)
	ds.Add(opencosttest.Workload{Cluster: "prod", Namespace: "batch", Kind: "job", Name: "nightly", CPU: 5}.Rows(from, days, nil)...)
	ds.Add(opencosttest.Workload{Cluster: "prod", Namespace: "legacy", Kind: "deployment", Name: "old-billing",
		Labels: map[string]string{"service": "legacy"}, CPU: 7}.Rows(from, days, nil)...)
	return ds
}

// baseCatalog is a real catalog holding the standard scenario's entities.
func baseCatalog(t testing.TB) *catalogtest.Catalog {
	return catalogtest.FromEntities(t,
		component("checkout", "shop", "service=checkout"),
		component("payments", "money", "service=payments"),
		component("search", "shop", ""),
		group("shop", "#team-shop"),
		group("money", ""),
	)
}

func newWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	h := bottest.NewHarness(t, bottest.HarnessOptions{Start: testNow})
	w := &world{t: t, h: h, clock: h.Clock, cat: baseCatalog(t), store: h.Store, problems: &problemLog{}, audit: h.Audit, msgr: h.Messenger, cfg: cfg}
	w.srv = opencosttest.New(baseDataset(testNow), "", w.clock.Now)
	t.Cleanup(w.srv.Close)
	if w.cfg.PlatformChannel == "" {
		w.cfg.PlatformChannel = "#platform"
	}
	if w.cfg.OpenCost.URL == "" {
		w.cfg.OpenCost.URL = w.srv.Base()
	}
	w.start()
	return w
}

// start builds a Costs and router over the world's store: calling it again
// is a restart.
func (w *world) start() {
	w.t.Helper()
	zero := 0
	cfg := w.cfg
	if cfg.OpenCost.Retries == nil {
		cfg.OpenCost.Retries = &zero
	}
	src, _, err := NewSource(cfg, w.examples, w.clock.Now)
	if err != nil {
		w.t.Fatal(err)
	}
	var cat Catalog = w.cat
	if w.catalog != nil {
		cat = w.catalog
	}
	log := w.logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c, err := New(cfg, Deps{
		Source: src, Catalog: cat, Store: w.store, Requests: w.requests, Problems: w.problems,
		Logger: log, Now: w.clock.Now, Sleep: w.sleep,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if w.policy != nil {
		w.h.Options = bottest.HarnessOptions{Policy: w.policy, PolicyAudits: true, Denial: policy.DenialMessage}
	}
	r := w.h.Restart()
	if err := c.Register(bot.NewRegistry(r, nil)); err != nil {
		w.t.Fatal(err)
	}
	w.costs, w.router = c, r
}

// run sends "/plat <text>" through the router the way a transport would and
// returns what was answered.
func (w *world) run(text string) string {
	w.t.Helper()
	return w.h.Run("U1", text)
}

// record returns a stored record, failing the test when it is missing.
func (w *world) record(kind, id string) store.Record {
	w.t.Helper()
	r, err := w.store.GetRecord(context.Background(), kind, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return *r
}

// alerts runs the alert job and returns the posts it made.
func (w *world) alerts() []bottest.Sent {
	w.t.Helper()
	before := len(w.msgr.Sent())
	if _, err := w.costs.RunAlerts(context.Background(), "", nil); err != nil {
		w.t.Fatalf("RunAlerts: %v", err)
	}
	return w.msgr.Sent()[before:]
}

// click presses a button of a recorded message as user.
func (w *world) click(user string, sent bottest.Sent, text string) string {
	w.t.Helper()
	return w.h.Click(user, sent, text)
}

// checkPNG decodes a PNG and checks it is not blank.
func checkPNG(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bounds := img.Bounds()
	if bounds.Dx() < 100 || bounds.Dy() < 30 {
		t.Fatalf("PNG too small: %v", bounds)
	}
	first := img.At(bounds.Min.X, bounds.Min.Y)
	r0, g0, b0, _ := first.RGBA()
	distinct := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			if r != r0 || g != g0 || b != b0 {
				distinct++
			}
		}
	}
	if distinct < 50 {
		t.Fatalf("PNG looks blank: %d pixels differ from the background", distinct)
	}
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}
