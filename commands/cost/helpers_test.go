package cost

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
	"github.com/platbot/platbot/store"
)

// memStore is an in-memory Store with the real store's semantics:
// PutRecord is create-if-absent, UpdateRecord compare-and-swaps Version.
type memStore struct {
	mu   sync.Mutex
	recs map[string]store.Record
	now  func() time.Time
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{recs: map[string]store.Record{}, now: now}
}

func (m *memStore) PutRecord(_ context.Context, r store.Record) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := r.Kind + "/" + r.ID
	if _, ok := m.recs[k]; ok {
		return false, nil
	}
	r.Version, r.Created, r.Updated = 1, m.now(), m.now()
	r.Data = slices.Clone(r.Data)
	m.recs[k] = r
	return true, nil
}

func (m *memStore) GetRecord(_ context.Context, kind, id string) (*store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[kind+"/"+id]
	if !ok {
		return nil, fmt.Errorf("get record %s/%s: %w", kind, id, store.ErrNotFound)
	}
	r.Data = slices.Clone(r.Data)
	return &r, nil
}

func (m *memStore) UpdateRecord(_ context.Context, r store.Record) (*store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := r.Kind + "/" + r.ID
	cur, ok := m.recs[k]
	if !ok {
		return nil, fmt.Errorf("update record %s: %w", k, store.ErrNotFound)
	}
	if cur.Version != r.Version {
		return nil, fmt.Errorf("update record %s: version %d is stale: %w", k, r.Version, store.ErrConflict)
	}
	cur.State, cur.Owner, cur.Key, cur.Data = r.State, r.Owner, r.Key, slices.Clone(r.Data)
	cur.Version++
	cur.Updated = m.now()
	m.recs[k] = cur
	out := cur
	return &out, nil
}

func (m *memStore) ListRecords(_ context.Context, q store.Query) ([]store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Record
	for _, r := range m.recs {
		if r.Kind != q.Kind || (len(q.States) > 0 && !slices.Contains(q.States, r.State)) || (q.Owner != "" && r.Owner != q.Owner) || (q.Key != "" && r.Key != q.Key) {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) get(t *testing.T, kind, id string) store.Record {
	t.Helper()
	r, err := m.GetRecord(context.Background(), kind, id)
	if err != nil {
		t.Fatal(err)
	}
	return *r
}

// fakeCatalog serves a fixed set of entities.
type fakeCatalog struct{ entities []*catalog.Entity }

func (f *fakeCatalog) Get(ref string) (*catalog.Entity, bool) {
	want := catalog.NormalizeRef(ref, catalog.KindComponent, catalog.DefaultNamespace)
	for _, e := range f.entities {
		if e.Ref() == want {
			return e, true
		}
	}
	if !strings.Contains(ref, ":") {
		var hits []*catalog.Entity
		for _, e := range f.entities {
			if strings.EqualFold(e.Metadata.Name, ref) {
				hits = append(hits, e)
			}
		}
		if len(hits) == 1 {
			return hits[0], true
		}
	}
	return nil, false
}

func (f *fakeCatalog) List(kind string) []*catalog.Entity {
	var out []*catalog.Entity
	for _, e := range f.entities {
		if kind == "" || e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func (f *fakeCatalog) OwnedBy(group string) []*catalog.Entity {
	ref := catalog.NormalizeRef(group, catalog.KindGroup, catalog.DefaultNamespace)
	var out []*catalog.Entity
	for _, e := range f.entities {
		if e.Owner() == ref {
			out = append(out, e)
		}
	}
	return out
}

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

// auditLog records audit events.
type auditLog struct {
	mu  sync.Mutex
	evs []store.Event
}

func (a *auditLog) Audit(_ context.Context, ev store.Event) error {
	a.mu.Lock()
	a.evs = append(a.evs, ev)
	a.mu.Unlock()
	return nil
}

func (a *auditLog) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.evs {
		out = append(out, e.Action)
	}
	return out
}

func component(name, owner, costTag string, annotations ...string) *catalog.Entity {
	e := &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindComponent,
		Metadata: catalog.Metadata{Name: name, Annotations: map[string]string{}},
		Spec:     map[string]any{"type": "service", "lifecycle": "production", "owner": owner},
		Source:   catalog.Source{Location: "file:test", File: "test/" + name + ".yaml", Line: 1},
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
		Spec:     map[string]any{"type": "team"},
		Source:   catalog.Source{File: "test/org.yaml", Line: 3},
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

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a test installation: fake OpenCost, catalog, store, router.
type world struct {
	t        *testing.T
	clock    *clock
	srv      *opencosttest.Server
	cat      *fakeCatalog
	store    *memStore
	problems *problemLog
	audit    *auditLog
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

func baseCatalog() *fakeCatalog {
	return &fakeCatalog{entities: []*catalog.Entity{
		component("checkout", "shop", "service=checkout"),
		component("payments", "money", "service=payments"),
		component("search", "shop", ""),
		group("shop", "#team-shop"),
		group("money", ""),
	}}
}

func newWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	w := &world{t: t, clock: &clock{t: testNow}, cat: baseCatalog(), problems: &problemLog{}, audit: &auditLog{}, msgr: bottest.NewMessenger(), cfg: cfg}
	w.store = newMemStore(w.clock.Now)
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
	ropts := bot.RouterOptions{Audit: w.audit, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: w.clock.Now}
	if w.policy != nil {
		ropts.Policy, ropts.PolicyAudits, ropts.Denial = w.policy, true, policy.DenialMessage
	}
	r := bot.NewRouter(ropts)
	r.SetMessenger(bot.TransportShell, w.msgr)
	if err := c.Register(r, nil); err != nil {
		w.t.Fatal(err)
	}
	w.costs, w.router = c, r
}

// run sends "/plat <text>" through the router the way a transport would and
// returns what was answered.
func (w *world) run(text string) string {
	w.t.Helper()
	before := len(w.msgr.Sent())
	req := w.msgr.NewRequest("U1", "")
	req.Text, req.Command, req.Args = text, "", nil
	if err := w.router.Run(context.Background(), req); err != nil {
		w.t.Fatalf("run %q: %v", text, err)
	}
	var b strings.Builder
	for _, s := range w.msgr.Sent()[before:] {
		b.WriteString(s.Text() + "\n")
	}
	return b.String()
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
	var btn *bot.Button
	for _, b := range sent.Msg.Blocks {
		if a, ok := b.(bot.Actions); ok {
			for i := range a.Buttons {
				if a.Buttons[i].Text == text {
					btn = &a.Buttons[i]
				}
			}
		}
	}
	if btn == nil {
		w.t.Fatalf("no %q button on %q", text, sent.Text())
	}
	before := len(w.msgr.Sent())
	req := w.msgr.NewRequest(user, "")
	if err := w.router.Act(context.Background(), req, bot.Action{ID: btn.ActionID, Value: btn.Value, Message: sent.Ref}); err != nil {
		w.t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range w.msgr.Sent()[before:] {
		b.WriteString(s.Op + ": " + s.Text() + "\n")
	}
	return b.String()
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
