package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/store"
)

// Elector is what decides which replica leads: a Kubernetes Lease, a
// PostgreSQL session advisory lock, or SingleProcess on SQLite. cmd/platbot
// builds one from the configuration.
type Elector interface {
	// Campaign competes for leadership until ctx ends. Each time this
	// replica wins it calls lead with a context that ends the moment
	// leadership is lost (or ctx ends), and waits for lead to return
	// before competing again. report receives every error of the
	// mechanism (a refused Lease update, a lost database session) and
	// nil once it works again.
	Campaign(ctx context.Context, lead func(ctx context.Context), report func(error))
	// Describe names the mechanism for people: "Kubernetes Lease
	// platbot/platbot-leader".
	Describe() string
}

// SingleProcess is the Elector of a store only one process may open (a
// SQLite file, locked by serve): that process leads from start to stop.
type SingleProcess struct{}

// Campaign leads at once until ctx ends.
func (SingleProcess) Campaign(ctx context.Context, lead func(ctx context.Context), report func(error)) {
	report(nil)
	lead(ctx)
}

// Describe names the mechanism.
func (SingleProcess) Describe() string { return "single process (SQLite)" }

// KindLeader is the record kind of the leader's record (one record,
// LeaderRecordID): who leads, since when, last seen leading.
const KindLeader = "bot.leader"

// LeaderRecordID is the id of the one leader record.
const LeaderRecordID = "leader"

// LeaderInfo is the leader record: written by a replica when it becomes
// leader and renewed while it leads, read by every replica for /plat status
// and by the next leader to catch up the cron ticks it may have missed.
type LeaderInfo struct {
	Identity  string    `json:"identity"`
	Mechanism string    `json:"mechanism"`
	Since     time.Time `json:"since"`
	Renewed   time.Time `json:"renewed"`
}

// LeadershipOptions configure a Leadership.
type LeadershipOptions struct {
	Elector Elector
	// Identity names this replica (the Lease's holderIdentity).
	Identity string
	// Records keeps the leader record.
	Records store.Records
	// Registerer gets platbot_leader (nil: not registered).
	Registerer prometheus.Registerer
	// Renew is how often the leader renews its record (default 5 s); a
	// record older than three renewals is stale.
	Renew time.Duration
	// CatchUp bounds how far back a new leader enqueues missed cron
	// ticks (default 1 h).
	CatchUp time.Duration
	Logger  *slog.Logger
	Now     func() time.Time
}

// Leadership runs the work only one replica may do while this replica
// leads: the cron schedules, resuming interrupted work. Every replica
// serves requests and works jobs whoever leads.
type Leadership struct {
	o      LeadershipOptions
	info   store.Typed[LeaderInfo]
	gauge  prometheus.Gauge
	mu     sync.Mutex
	onLead []func(ctx context.Context, prev *LeaderInfo)

	leading atomic.Bool
	lastErr atomic.Pointer[string]
}

// NewLeadership returns a Leadership; Run campaigns.
func NewLeadership(o LeadershipOptions) *Leadership {
	if o.Elector == nil {
		o.Elector = SingleProcess{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Renew <= 0 {
		o.Renew = 5 * time.Second
	}
	if o.CatchUp <= 0 {
		o.CatchUp = time.Hour
	}
	l := &Leadership{o: o, info: store.RecordsOf[LeaderInfo](o.Records, KindLeader)}
	l.gauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "platbot_leader", Help: "1 while this replica leads (runs the cron schedules and resumes interrupted work), else 0.",
	})
	if o.Registerer != nil {
		o.Registerer.MustRegister(l.gauge)
	}
	return l
}

// OnLead adds work the leader does while it leads. Each time this replica
// becomes leader every f runs in its own goroutine with a context that
// ends when leadership is lost; prev is the record of the previous leader
// (nil when there was none). f may block until its context ends.
func (l *Leadership) OnLead(f func(ctx context.Context, prev *LeaderInfo)) {
	l.mu.Lock()
	l.onLead = append(l.onLead, f)
	l.mu.Unlock()
}

// Identity names this replica.
func (l *Leadership) Identity() string { return l.o.Identity }

// Mechanism names how the leader is chosen.
func (l *Leadership) Mechanism() string { return l.o.Elector.Describe() }

// Leading reports whether this replica leads now. A single process
// (SingleProcess) always does, also where it runs its leader's work
// without campaigning (the shell).
func (l *Leadership) Leading() bool {
	if _, single := l.o.Elector.(SingleProcess); single {
		return true
	}
	return l.leading.Load()
}

// Err is the last error of this replica's campaign ("" when it works).
func (l *Leadership) Err() string {
	if p := l.lastErr.Load(); p != nil {
		return *p
	}
	return ""
}

// Stale is how old a leader record may be before no replica is taken to
// lead.
func (l *Leadership) Stale() time.Duration { return 3 * l.o.Renew }

// Leader reads the leader record; nil when no replica has led yet.
func (l *Leadership) Leader(ctx context.Context) (*LeaderInfo, error) {
	it, err := l.info.Get(ctx, LeaderRecordID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the leader record: %w", err)
	}
	v := it.Value
	return &v, nil
}

// Run campaigns until ctx ends; it returns after this replica has stopped
// leading (its work stopped, the Lease or lock given up).
func (l *Leadership) Run(ctx context.Context) {
	l.o.Elector.Campaign(ctx, l.lead, l.report)
	l.gauge.Set(0)
}

func (l *Leadership) report(err error) {
	if err == nil {
		if l.lastErr.Swap(nil) != nil {
			l.o.Logger.Info("leader election works again", "mechanism", l.Mechanism())
		}
		return
	}
	msg := err.Error()
	if old := l.lastErr.Swap(&msg); old == nil || *old != msg {
		l.o.Logger.Error("leader election failed; this replica does not lead until it works", "mechanism", l.Mechanism(), "err", err)
	}
}

// lead is one term: record it, start the work, renew the record until
// leadership ends, then stop the work before returning.
func (l *Leadership) lead(ctx context.Context) {
	now := l.o.Now()
	prev, err := l.Leader(ctx)
	if err != nil {
		l.o.Logger.Warn("leader: reading the previous leader failed; no missed ticks are caught up", "err", err)
	}
	l.leading.Store(true)
	l.gauge.Set(1)
	l.o.Logger.Info("this replica leads", "identity", l.o.Identity, "mechanism", l.Mechanism())
	l.write(ctx, LeaderInfo{Identity: l.o.Identity, Mechanism: l.Mechanism(), Since: now, Renewed: now})

	l.mu.Lock()
	work := append([]func(context.Context, *LeaderInfo){}, l.onLead...)
	l.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range work {
		wg.Go(func() { f(ctx, prev) })
	}
	t := time.NewTicker(l.o.Renew)
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-t.C:
			l.renew(ctx)
		}
	}
	t.Stop()
	// Lost or given up: no new work from here on, at once.
	l.leading.Store(false)
	l.gauge.Set(0)
	l.o.Logger.Info("this replica no longer leads", "identity", l.o.Identity)
	wg.Wait()
}

// write replaces the leader record.
func (l *Leadership) write(ctx context.Context, v LeaderInfo) {
	_, err := l.info.Modify(ctx, LeaderRecordID, func(it *store.Item[LeaderInfo], _ bool) error {
		it.Value = v
		return nil
	})
	if err != nil && ctx.Err() == nil {
		l.o.Logger.Warn("leader: writing the leader record failed", "err", err)
	}
}

// renew marks the record as seen now; a record another replica wrote
// after this one (it leads by the mechanism, the record is only
// informative) is taken back.
func (l *Leadership) renew(ctx context.Context) {
	now := l.o.Now()
	_, err := l.info.Modify(ctx, LeaderRecordID, func(it *store.Item[LeaderInfo], exists bool) error {
		if !exists || it.Value.Identity != l.o.Identity {
			it.Value = LeaderInfo{Identity: l.o.Identity, Mechanism: l.Mechanism(), Since: now}
		}
		it.Value.Renewed = now
		return nil
	})
	if err != nil && ctx.Err() == nil {
		l.o.Logger.Warn("leader: renewing the leader record failed", "err", err)
	}
}

// CatchUpSince is the time from which a new leader enqueues the cron ticks
// its predecessor may have missed: a little before the predecessor was
// last seen leading, at most CatchUp ago; zero when there was none.
func (l *Leadership) CatchUpSince(prev *LeaderInfo, now time.Time) time.Time {
	if prev == nil || prev.Renewed.IsZero() {
		return time.Time{}
	}
	since := prev.Renewed.Add(-2 * l.o.Renew)
	if floor := now.Add(-l.o.CatchUp); since.Before(floor) {
		since = floor
	}
	return since
}

// Elector is the mechanism this Leadership campaigns with.
func (l *Leadership) Elector() Elector { return l.o.Elector }
