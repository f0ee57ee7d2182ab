package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Snapshots persists the catalog's last good state, so that a restart
// serves at once from it. The store satisfies it; MemorySnapshots is an
// in-memory one for tests.
type Snapshots interface {
	// SaveSnapshot replaces the saved state with data.
	SaveSnapshot(ctx context.Context, data []byte) error
	// LoadSnapshot returns the saved state, or (nil, nil) when there is none.
	LoadSnapshot(ctx context.Context) ([]byte, error)
}

// MemorySnapshots keeps the saved state in memory. It is safe for
// concurrent use.
type MemorySnapshots struct {
	mu   sync.Mutex
	data []byte
}

// SaveSnapshot keeps a copy of data.
func (m *MemorySnapshots) SaveSnapshot(_ context.Context, data []byte) error {
	m.mu.Lock()
	m.data = append([]byte(nil), data...)
	m.mu.Unlock()
	return nil
}

// LoadSnapshot returns the kept data.
func (m *MemorySnapshots) LoadSnapshot(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data...), nil
}

// Catalog is the software catalog: entities read from their locations,
// validated and indexed. Reads are lock-free against an immutable snapshot
// that a refresh replaces atomically, so every method is safe for
// concurrent use. Entities returned are shared: treat them as read-only.
//
// Orphans (entities that vanished from their location) are kept and
// reported, reachable through Get and Orphans, but List, OwnedBy, Members,
// Search and Identify serve live entities only.
type Catalog struct {
	cfg       Config
	gh        GitHubContents
	snapshots Snapshots
	audit     Auditor
	log       *slog.Logger
	now       func() time.Time

	snap atomic.Pointer[snapshot]
	// restored is true while the state comes from a saved snapshot, not
	// from a refresh of this process.
	restored  atomic.Bool
	refreshMu sync.Mutex

	// lastErr is the error of the last refresh while no refresh has
	// succeeded since, lastErrAt when it failed (see LastRefreshError).
	lastErrMu sync.Mutex
	lastErr   error
	lastErrAt time.Time

	// reported are problems other features found in catalog data (see
	// ReportProblem), until the next refresh.
	reportedMu sync.Mutex
	reported   map[string]Problem

	// registered are the locations RegisterLocation added (refreshMu).
	registered []LocationConfig

	// cardSections add blocks to service cards (AddCardSection).
	cardSections atomic.Pointer[[]CardSection]
	// summaryFacts add facts to service summaries (AddSummaryFact).
	summaryFacts atomic.Pointer[[]summaryFact]
	// linkResolvers name the service a link points at (AddLinkResolver).
	linkResolvers atomic.Pointer[[]LinkResolver]

	// locStatus is how the last refresh went per location (LocationStatuses).
	locStatus atomic.Pointer[[]LocationStatus]
}

// Option configures a Catalog.
type Option func(*Catalog)

// WithGitHub sets the client that GitHub locations are read through.
func WithGitHub(gh GitHubContents) Option { return func(c *Catalog) { c.gh = gh } }

// WithSnapshots sets where the last good state is persisted.
func WithSnapshots(s Snapshots) Option { return func(c *Catalog) { c.snapshots = s } }

// WithLogger sets the logger (slog.Default() otherwise).
func WithLogger(l *slog.Logger) Option { return func(c *Catalog) { c.log = l } }

// WithClock sets the time source (for tests).
func WithClock(now func() time.Time) Option { return func(c *Catalog) { c.now = now } }

// New returns an empty catalog; call Load (or Refresh) to fill it.
func New(cfg Config, opts ...Option) (*Catalog, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Catalog{cfg: cfg, log: slog.Default(), now: time.Now}
	for _, o := range opts {
		o(c)
	}
	c.log = c.log.With("component", "catalog")
	c.snap.Store(emptySnapshot())
	return c, nil
}

// Load makes a new catalog and loads it (see (*Catalog).Load). When only
// the loading fails, the catalog is returned with the error: it is empty
// but usable, and a scheduled refresh may fill it later.
func Load(ctx context.Context, cfg Config, opts ...Option) (*Catalog, error) {
	c, err := New(cfg, opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Load(ctx); err != nil {
		return c, err
	}
	return c, nil
}

// Load serves the last good state persisted in Snapshots when there is one
// (returning at once: Resume then refreshes it), and
// otherwise refreshes from the locations now.
func (c *Catalog) Load(ctx context.Context) error {
	if c.snapshots != nil {
		data, err := c.snapshots.LoadSnapshot(ctx)
		if err != nil {
			c.log.Error("catalog: cannot load the saved snapshot; refreshing from the locations", "err", err)
		} else if len(data) > 0 {
			if err := c.restore(data); err != nil {
				c.log.Error("catalog: saved snapshot is unreadable; refreshing from the locations", "err", err)
			} else {
				return nil
			}
		}
	}
	_, err := c.Refresh(ctx)
	return err
}

// savedState is the persisted form of a snapshot.
type savedState struct {
	Version   int       `json:"version"`
	Refreshed time.Time `json:"refreshed"`
	Entities  []*Entity `json:"entities"`
	Problems  []Problem `json:"problems"`
	// Registered are the locations added at run time (RegisterLocation).
	Registered []LocationConfig `json:"registered,omitempty"`
}

const savedVersion = 1

func (c *Catalog) restore(data []byte) error {
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("decode catalog snapshot: %w", err)
	}
	if st.Version != savedVersion {
		return fmt.Errorf("catalog snapshot version %d, want %d", st.Version, savedVersion)
	}
	c.snap.Store(buildSnapshot(st.Entities, st.Problems, st.Refreshed))
	c.refreshMu.Lock()
	c.registered = st.Registered
	c.refreshMu.Unlock()
	c.restored.Store(true)
	c.log.Info("catalog: serving the saved snapshot", "entities", len(st.Entities), "refreshed", st.Refreshed)
	return nil
}

func (c *Catalog) save(ctx context.Context, s *snapshot) error {
	if c.snapshots == nil {
		return nil
	}
	st := savedState{Version: savedVersion, Refreshed: s.refreshed, Problems: s.problems, Registered: c.registered}
	st.Entities = make([]*Entity, 0, len(s.all))
	st.Entities = append(st.Entities, s.live...)
	st.Entities = append(st.Entities, s.orphans...)
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode catalog snapshot: %w", err)
	}
	if err := c.snapshots.SaveSnapshot(ctx, data); err != nil {
		return fmt.Errorf("save catalog snapshot: %w", err)
	}
	return nil
}

// Config returns the catalog's configuration (defaults filled).
func (c *Catalog) Config() Config { return c.cfg }

// Get returns the entity a reference names. Short forms are accepted: a
// bare name means a Component in the default namespace
// ("checkout-service" → component:default/checkout-service) and, when there
// is no such Component, the one entity of another kind with that name.
// Orphans are returned too (Entity.Orphan is set).
func (c *Catalog) Get(ref string) (*Entity, bool) {
	s := c.snap.Load()
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, false
	}
	if e := s.all[NormalizeRef(ref, KindComponent, DefaultNamespace)]; e != nil {
		return e, true
	}
	if strings.Contains(ref, ":") {
		return nil, false
	}
	_, ns, name := ParseRef(ref, "", DefaultNamespace)
	if cands := s.byName[strings.ToLower(ns+"/"+name)]; len(cands) == 1 {
		return cands[0], true
	}
	return nil, false
}

// Lookup is Get with a default kind for short refs: Lookup("payments",
// KindGroup) finds group:default/payments.
func (c *Catalog) Lookup(ref, defaultKind string) (*Entity, bool) {
	e := c.snap.Load().all[NormalizeRef(ref, defaultKind, DefaultNamespace)]
	return e, e != nil
}

// List returns the live entities of a kind (any kind when kind is ""),
// sorted by ref.
func (c *Catalog) List(kind string) []*Entity {
	s := c.snap.Load()
	if kind == "" {
		return append([]*Entity(nil), s.live...)
	}
	return append([]*Entity(nil), s.byKind[canonicalKind(kind)]...)
}

// Orphans returns the entities that vanished from their locations.
func (c *Catalog) Orphans() []*Entity { return append([]*Entity(nil), c.snap.Load().orphans...) }

// OwnedBy returns the live entities whose spec.owner is the group (or user)
// ref; a bare name means a Group.
func (c *Catalog) OwnedBy(groupRef string) []*Entity {
	return append([]*Entity(nil), c.snap.Load().ownedBy[NormalizeRef(groupRef, KindGroup, DefaultNamespace)]...)
}

// Members returns the live users who are direct members of the group
// (through their spec.memberOf or the group's spec.members), sorted by ref.
func (c *Catalog) Members(groupRef string) []*Entity {
	return append([]*Entity(nil), c.snap.Load().members[NormalizeRef(groupRef, KindGroup, DefaultNamespace)]...)
}

// Children returns the refs of a group's direct sub-groups.
func (c *Catalog) Children(groupRef string) []string {
	return append([]string(nil), c.snap.Load().children[NormalizeRef(groupRef, KindGroup, DefaultNamespace)]...)
}

// Parents returns the refs of a group's direct parent groups.
func (c *Catalog) Parents(groupRef string) []string {
	return append([]string(nil), c.snap.Load().parents[NormalizeRef(groupRef, KindGroup, DefaultNamespace)]...)
}

// Errors returns the problems of the last refresh and those reported by
// other features since, errors first, then by file and line.
func (c *Catalog) Errors() []Problem {
	ps := append([]Problem(nil), c.snap.Load().problems...)
	c.reportedMu.Lock()
	n := len(ps)
	for _, p := range c.reported {
		ps = append(ps, p)
	}
	c.reportedMu.Unlock()
	if len(ps) > n {
		sortProblems(ps)
	}
	return ps
}

// ReportProblem records a problem another feature found in catalog data
// (a malformed annotation it reads, say), so /plat catalog errors lists it
// with the catalog's own. Reporting the same problem again is a no-op.
// Reported problems last until the next refresh: a feature reports again
// what it still finds in the refreshed data.
func (c *Catalog) ReportProblem(p Problem) {
	if p.Severity == "" {
		p.Severity = SeverityWarning
	}
	key := p.Severity + "\x00" + p.String()
	c.reportedMu.Lock()
	defer c.reportedMu.Unlock()
	if c.reported == nil {
		c.reported = map[string]Problem{}
	}
	if _, dup := c.reported[key]; !dup {
		c.reported[key] = p
		c.log.Warn("catalog: problem reported", "problem", p.String(), "severity", p.Severity)
	}
}

func (c *Catalog) clearReported() {
	c.reportedMu.Lock()
	c.reported = nil
	c.reportedMu.Unlock()
}

// Refreshed returns when the served entities were read from their
// locations (zero before the first refresh).
func (c *Catalog) Refreshed() time.Time { return c.snap.Load().refreshed }

// Len returns the number of live entities.
func (c *Catalog) Len() int { return len(c.snap.Load().live) }

// Remove deletes an orphaned entity for good. Live entities cannot be
// removed here: delete them from their location file.
func (c *Catalog) Remove(ctx context.Context, ref string) error {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	s := c.snap.Load()
	e, ok := c.Get(ref)
	if !ok {
		return &NotFoundError{Ref: ref}
	}
	if !e.Orphan {
		return fmt.Errorf("remove %s: it is still in %s; delete it there and it becomes an orphan at the next refresh", e.Ref(), e.Source)
	}
	entities := make([]*Entity, 0, len(s.all)-1)
	for _, x := range s.live {
		cp := *x
		entities = append(entities, &cp)
	}
	for _, x := range s.orphans {
		if x != e {
			entities = append(entities, x)
		}
	}
	var problems []Problem
	for _, p := range s.problems {
		if p.Entity != e.Ref() {
			problems = append(problems, p)
		}
	}
	ns := buildSnapshot(entities, problems, s.refreshed)
	c.snap.Store(ns)
	c.log.Info("catalog: removed orphan", "entity", e.Ref())
	if err := c.save(ctx, ns); err != nil {
		return fmt.Errorf("remove %s: %w", e.Ref(), err)
	}
	return nil
}

// NotFoundError says no entity has the ref.
type NotFoundError struct{ Ref string }

// Error says which ref is missing.
func (e *NotFoundError) Error() string { return "no entity " + e.Ref + " in the catalog" }

// sortProblems orders problems errors first, then by file and line.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Severity != b.Severity {
			return a.Severity == SeverityError
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}
