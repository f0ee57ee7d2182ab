// Package cost is platbot's cost visibility feature: OpenCost (or Kubecost)
// allocation data joined to the catalog through each entity's
// finops/cost-tag annotation; `/plat cost <service>`, `/plat cost team
// <team>`, `/plat cost top [n]` and `/plat cost unallocated`; budget, spend
// change and efficiency alerts on a cron, posted to the owning team's
// channel with Snooze and Acknowledge buttons and de-duplicated through
// persisted records; a weekly hygiene report of cost no service claims; and
// a team summary for the scorecard digest.
//
// Days and months are UTC, as OpenCost's daily allocation sets are; "the
// last 30 days" are the 30 complete days before today, and month to date
// includes today up to the time of the query.
package cost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/store"
)

// Source is where allocation data comes from: *opencost.Client for OpenCost
// or Kubecost, *opencost.Recorded for the offline example data.
type Source interface {
	Allocation(ctx context.Context, q opencost.Query) ([]opencost.AllocationSet, error)
}

// RequestCounter counts a service's requests in [start, end), for cost per
// 1,000 requests; ok is false when it knows no count for the service.
type RequestCounter interface {
	Requests(ctx context.Context, s *Service, start, end time.Time) (n float64, ok bool, err error)
}

// Deps are what the cost feature needs from the rest of platbot.
type Deps struct {
	// Source is required.
	Source Source
	// Catalog is required.
	Catalog Catalog
	// Store is required: alert de-duplication and snoozes live there
	// (*store.Store).
	Store store.Records
	// Requests, when set, enables cost per 1,000 requests.
	Requests RequestCounter
	// Problems, when set, receives malformed cost annotations.
	Problems Problems
	// Messenger is where scheduled jobs post; by default the router's
	// Slack messenger, else its shell messenger.
	Messenger bot.Messenger
	Logger    *slog.Logger
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// Sleep waits between posts to one channel (tests); a timer when nil.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Costs is the cost feature. Create it with New and Register it.
type Costs struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time
	loc  *time.Location

	router *bot.Router
	pacer  *bot.Pacer

	fetchMu sync.Mutex // one fetch at a time
	mu      sync.Mutex
	cached  *Ledger
	key     string
	fetched time.Time
	down    *UnavailableError
	probs   map[string]bool
}

// New validates cfg and returns the feature.
func New(cfg Config, deps Deps) (*Costs, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Source == nil || deps.Catalog == nil || deps.Store == nil {
		return nil, errors.New("cost: Source, Catalog and Store are required")
	}
	cfg = cfg.withDefaults()
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("cost: timezone: %w", err)
	}
	c := &Costs{cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now, loc: loc, probs: map[string]bool{}}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("feature", "cost")
	if c.now == nil {
		c.now = time.Now
	}
	c.pacer = bot.NewPacer(bot.PostInterval, c.now, deps.Sleep)
	return c, nil
}

// Config returns the configuration with defaults filled in.
func (c *Costs) Config() Config { return c.cfg }

// directory reads the catalog's services and reports the problems found in
// their cost annotations. Every read reports them again (the catalog keeps
// reported problems until its next refresh and ignores repeats); each is
// logged once.
func (c *Costs) directory() *directory {
	d := newDirectory(c.deps.Catalog)
	for _, p := range d.problems {
		if c.deps.Problems != nil {
			c.deps.Problems.ReportProblem(p)
		}
		key := p.Entity + "\x00" + p.Message
		c.mu.Lock()
		seen := c.probs[key]
		c.probs[key] = true
		c.mu.Unlock()
		if !seen {
			c.log.Warn("catalog problem", "entity", p.Entity, "problem", p.Message)
		}
	}
	return d
}

// UnavailableError says cost data could not be read, and since when.
type UnavailableError struct {
	Since  time.Time
	Reason string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("cost data unavailable since %s: %s", e.Since.UTC().Format("2006-01-02 15:04 MST"), e.Reason)
}

// Record kinds the feature keeps in the store.
const (
	kindAlert  = "cost.alert"
	kindSource = "cost.source"
	// kindHygiene records the weekly hygiene report, one per ISO week.
	kindHygiene = "cost.hygiene"
	sourceID    = "allocation"
)

// sourceState is the persisted health of the allocation source, so "since"
// and the one-notice-per-outage rule survive restarts.
type sourceState struct {
	Since    time.Time `json:"since"`
	Reason   string    `json:"reason"`
	Notified bool      `json:"notified"`
}

// lookbackDays is how many complete days a ledger must hold: 60 for the
// 30-day trend, more when a rule's window and baseline need it.
func (c *Costs) lookbackDays() int {
	n := 60
	for _, r := range c.cfg.Alerts {
		r = r.normalized(c.cfg)
		n = max(n, int(r.Window)+int(r.Baseline))
	}
	return n
}

// ledger returns cost data for the directory's tags, fetched at most once
// per cache TTL. A failure is returned as *UnavailableError.
func (c *Costs) ledger(ctx context.Context, d *directory) (*Ledger, error) {
	aggs := d.aggregates("label:" + c.cfg.DefaultTagKey)
	lookback := c.lookbackDays()
	key := fmt.Sprintf("%s|%d", strings.Join(aggs, ","), lookback)
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	now := c.now().UTC()
	c.mu.Lock()
	if c.fresh(now) && c.key == key {
		l := c.cached
		c.mu.Unlock()
		return l, nil
	}
	c.mu.Unlock()

	today := now.Truncate(day)
	start := today.AddDate(0, 0, -lookback)
	l := newLedger(start, now, lookback+1)
	for _, agg := range aggs {
		sets, err := c.deps.Source.Allocation(ctx, opencost.Query{
			Start: start, End: now, Step: day,
			Aggregate:   []string{agg, "namespace", "controller"},
			IncludeIdle: c.cfg.OpenCost.IncludeIdle, ShareIdle: c.cfg.OpenCost.ShareIdle,
			Filter: c.cfg.OpenCost.Filter,
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("fetch allocations: %w", ctx.Err())
			}
			return nil, c.noteFailure(ctx, err)
		}
		l.addSets(agg, sets)
	}
	c.noteSuccess(ctx)
	c.mu.Lock()
	prev := c.cached
	c.cached, c.key, c.fetched = l, key, now
	c.mu.Unlock()
	c.costsChanged(ctx, d, prev, l)
	return l, nil
}

// fresh reports whether the cached ledger may still be served at now: it
// is younger than the cache TTL and of today. The caller holds c.mu.
func (c *Costs) fresh(now time.Time) bool {
	return c.cached != nil && now.Sub(c.fetched) < time.Duration(c.cfg.CacheTTL) && now.Truncate(day).Equal(c.cached.AsOf.Truncate(day))
}

// noteFailure records an outage (keeping its first time) and returns it.
func (c *Costs) noteFailure(ctx context.Context, cause error) *UnavailableError {
	now := c.now().UTC()
	c.mu.Lock()
	since := now
	if c.down != nil {
		since = c.down.Since
	}
	c.mu.Unlock()
	rec, st, err := c.sourceRecord(ctx)
	if err == nil && rec != nil && rec.State == "down" && st.Since.Before(since) {
		since = st.Since
	}
	ue := &UnavailableError{Since: since, Reason: cause.Error()}
	c.mu.Lock()
	c.down = ue
	c.mu.Unlock()
	c.log.Error("cost data unavailable", "since", since, "err", cause)
	if err == nil && (rec == nil || rec.State != "down") {
		st = sourceState{Since: since, Reason: ue.Reason}
		c.saveSource(ctx, rec, "down", st)
	}
	return ue
}

// noteSuccess clears an outage. An outage that was announced stays
// recorded until the alert job announces the recovery.
func (c *Costs) noteSuccess(ctx context.Context) {
	c.mu.Lock()
	wasDown := c.down != nil
	c.down = nil
	c.mu.Unlock()
	if !wasDown {
		// After a restart the store may still say down; the alert job checks it.
		return
	}
	if rec, st, err := c.sourceRecord(ctx); err == nil && rec != nil && rec.State == "down" && !st.Notified {
		c.saveSource(ctx, rec, "up", sourceState{})
	}
}

// sources are the allocation source's health records, typed (one, sourceID).
func (c *Costs) sources() store.Typed[sourceState] {
	return store.RecordsOf[sourceState](c.deps.Store, kindSource)
}

// sourceRecord reads the source's recorded health: nil when none is recorded.
func (c *Costs) sourceRecord(ctx context.Context) (*store.Item[sourceState], sourceState, error) {
	it, err := c.sources().Get(ctx, sourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, sourceState{}, nil
	}
	if err != nil {
		return nil, sourceState{}, fmt.Errorf("read cost source state: %w", err)
	}
	return it, it.Value, nil
}

// saveSource writes the source state if the record is still as read (rec);
// losing a race is fine (the winner wrote the same news).
func (c *Costs) saveSource(ctx context.Context, rec *store.Item[sourceState], state string, st sourceState) bool {
	_, err := c.sources().Modify(ctx, sourceID, asRead(rec, func(it *store.Item[sourceState]) {
		it.State, it.Value = state, st
	}))
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			c.log.Error("save cost source state", "err", err)
		}
		return false
	}
	return true
}

// asRead is a store.Modify change that applies edit only while the record
// is as the caller read it (still absent when read is nil). A writer that
// lost the race gets store.ErrConflict instead of a retry: its decision was
// made on a record that is no longer there.
func asRead[T any](read *store.Item[T], edit func(it *store.Item[T])) func(it *store.Item[T], exists bool) error {
	return func(it *store.Item[T], exists bool) error {
		if exists != (read != nil) || exists && it.Version != read.Version {
			return store.ErrConflict
		}
		edit(it)
		return nil
	}
}

// messenger is where scheduled posts go.
func (c *Costs) messenger() bot.Messenger {
	if c.deps.Messenger != nil {
		return c.deps.Messenger
	}
	return c.router.Outbound("")
}

// teamChannel is where a team's alerts go: the configured channel, the
// group's slack.com/channel annotation, else the platform channel.
func (c *Costs) teamChannel(team string) string {
	if team != "" {
		if ch := c.cfg.team(team).Channel; ch != "" {
			return ch
		}
		if g, ok := c.deps.Catalog.Get(team); ok {
			if ch := g.Annotation(catalog.AnnotationSlackChannel); ch != "" {
				return ch
			}
		}
	}
	return c.cfg.PlatformChannel
}

// teamLocation is the team's time zone (the default when none is configured).
func (c *Costs) teamLocation(team string) *time.Location {
	if tz := c.cfg.team(team).Timezone; tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return c.loc
}

// dashboard renders the dashboard link for a subject ("" when none is
// configured). When the URL uses a placeholder the subject has no value for
// (a team's link with {tag}), the link stops before its query.
func (c *Costs) dashboard(service, tag, team string) string {
	u := c.cfg.DashboardURL
	if u == "" {
		return ""
	}
	teamName := ""
	if team != "" {
		_, _, teamName = catalog.ParseRef(team, catalog.KindGroup, catalog.DefaultNamespace)
	}
	values := map[string]string{"{service}": service, "{tag}": tag, "{team}": teamName}
	for ph, v := range values {
		if v == "" && strings.Contains(u, ph) {
			root, _, _ := strings.Cut(u, "?")
			if strings.Contains(root, "{") {
				return ""
			}
			return root
		}
	}
	return strings.NewReplacer("{service}", service, "{tag}", tag, "{team}", teamName).Replace(u)
}

func (c *Costs) money(v float64) string { return formatMoney(c.cfg.Currency, v) }

func (c *Costs) audit(ctx context.Context, ev store.Event) {
	if c.router != nil {
		c.router.Audit(ctx, ev)
	}
}
