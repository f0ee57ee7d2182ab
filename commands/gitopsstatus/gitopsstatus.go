// Package gitopsstatus brings Argo CD's live status back into chat: it
// shows each environment's sync status, health and revision on the service
// card (/plat service), feeds the last deploy into scorecards, and tells
// the owning team when an environment of a production service stays
// Degraded or OutOfSync longer than a grace: one message per incident in
// the team's channel, the resolution in its thread. Incidents are store
// records, so a restart neither repeats a notice nor forgets to resolve it.
//
// The live status comes from integrations/argocd's Watcher (one informer
// per Argo CD control plane); this package declares the part it reads
// (Live) and never watches clusters itself.
package gitopsstatus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/store"
)

// Live is the live status of Argo CD Applications; *argocd.Watcher
// satisfies it.
type Live interface {
	// Statuses are the environments of a service, sorted by environment.
	Statuses(service string) []argocd.Status
	// LastDeployedAt is the service's newest deploy to environment, or to
	// any environment when it is "" (ok false when none is known).
	LastDeployedAt(service, environment string) (time.Time, bool)
	// HasSynced reports whether every control plane was listed once.
	HasSynced() bool
}

// Catalog is what the feature needs from the software catalog.
type Catalog interface {
	Get(ref string) (*catalog.Entity, bool)
	List(kind string) []*catalog.Entity
}

// Deps are what New needs besides the configuration.
type Deps struct {
	Live    Live
	Catalog Catalog
	// Store keeps the incidents; *store.Store satisfies it.
	Store store.Records
	// Messenger posts the notices; the router's outbound messenger when nil.
	Messenger bot.Messenger
	// Production says whether an environment of a tier is production: the
	// placement section's rule (placement.production, docs/placement.md),
	// which cmd/platbot passes in. Required.
	Production func(environment, tier string) bool
	// Start runs the watcher (Resume calls it with the process's context);
	// nil when the caller runs it.
	Start func(ctx context.Context)
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Feature is the argocd feature.
type Feature struct {
	cfg   Config
	grace time.Duration
	every time.Duration
	d     Deps
	log   *slog.Logger
	now   func() time.Time

	mu     sync.Mutex
	router *bot.Router
	// checkMu serialises checks in this process.
	checkMu sync.Mutex
	// lastLive is each service's live status as the previous check saw it
	// (nil before the first), to tell the Homes of what changed.
	lastLive map[string]string
}

var _ bot.Feature = (*Feature)(nil)

// New returns the feature over cfg (validated here).
func New(cfg Config, d Deps) (*Feature, error) {
	grace, every, err := cfg.Validate()
	if err != nil {
		return nil, fmt.Errorf("argocd: %w", err)
	}
	if d.Live == nil || d.Catalog == nil || d.Store == nil || d.Production == nil {
		return nil, errors.New("argocd: need the live status, a catalog, a store and the production rule")
	}
	f := &Feature{cfg: cfg, grace: grace, every: every, d: d, log: d.Logger, now: d.Now}
	if f.log == nil {
		f.log = slog.Default()
	}
	if f.now == nil {
		f.now = time.Now
	}
	return f, nil
}

// Name is the feature's configuration section.
func (f *Feature) Name() string { return "argocd" }

// Register keeps the router for posting; the feature has no commands.
func (f *Feature) Register(reg *bot.Registry) error {
	f.mu.Lock()
	f.router = reg.Router()
	f.mu.Unlock()
	return nil
}

// Resume has nothing to resume: the watcher runs on every replica (Start).
func (f *Feature) Resume(context.Context) error { return nil }

// Start starts the watcher and the periodic check; both stop with ctx. Every
// replica watches (bot.Starter): each serves service cards from its own
// informer cache, and a notice is claimed by compare-and-swap, so replicas
// post each once.
func (f *Feature) Start(ctx context.Context) error {
	if f.d.Start != nil {
		f.d.Start(ctx)
	}
	go f.loop(ctx)
	return nil
}

func (f *Feature) loop(ctx context.Context) {
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := f.Check(ctx); err != nil && ctx.Err() == nil {
				f.log.Warn("argocd: checking environments failed; retried at the next check", "err", err)
			}
		}
	}
}

func (f *Feature) messenger() bot.Messenger {
	if f.d.Messenger != nil {
		return f.d.Messenger
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.router.Outbound("")
}

// LastDeployedAt is the service's newest deploy to environment as Argo CD
// recorded it (status.history, or the last successful sync); when
// environment is "", the newest deploy to any of its production
// environments (the production rule, as for notices, whatever the
// service's lifecycle). ok is false when Argo CD knows of none. The
// scorecard's deploy facts read it
// (commands/scorecard/facts.NewLiveDeployProvider).
func (f *Feature) LastDeployedAt(service, environment string) (time.Time, bool) {
	if environment != "" {
		return f.d.Live.LastDeployedAt(service, environment)
	}
	e, _ := f.d.Catalog.Get(catalog.NormalizeRef(service, catalog.KindComponent, catalog.DefaultNamespace))
	var at time.Time
	var ok bool
	for _, s := range f.d.Live.Statuses(service) {
		if f.productionEnvironment(e, s) && s.LastDeployedAt.After(at) {
			at, ok = s.LastDeployedAt, true
		}
	}
	return at, ok
}

// production reports whether environment s of service e counts as
// production for notices: the service's lifecycle is neither deprecated nor
// experimental, and the production rule (Deps.Production) holds for the
// environment's name with its tier, the Application's platbot.dev/tier
// label or the tier the service's deployment intent gives it
// (spec.deployment or the platbot.dev/environments annotation, read by
// catalog.IntentOf as placement reads it).
func (f *Feature) production(e *catalog.Entity, s argocd.Status) bool {
	if slices.Contains(nonProductionLifecycles, strings.ToLower(e.Lifecycle())) {
		return false
	}
	return f.productionEnvironment(e, s)
}

// productionEnvironment reports whether the production rule holds for
// environment s of service e (nil when the catalog does not have it: the
// Application's name and label alone decide).
func (f *Feature) productionEnvironment(e *catalog.Entity, s argocd.Status) bool {
	if f.d.Production(s.Environment, s.Tier) {
		return true
	}
	if e == nil {
		return false
	}
	in, ok, err := catalog.IntentOf(e)
	if err != nil {
		// /plat where and the catalog show the intent's error to the team;
		// here the environment is judged by its name and label alone.
		f.log.Debug("argocd: deployment intent unreadable", "service", e.Ref(), "err", err)
		return false
	}
	if !ok {
		return false
	}
	env, ok := in.Env(s.Environment)
	return ok && env.Tier != "" && f.d.Production(s.Environment, env.Tier)
}

// nonProductionLifecycles are the spec.lifecycle values of components that
// get no notices, whatever their environments.
var nonProductionLifecycles = []string{"deprecated", "experimental"}

// teamChannel is the owning group's slack.com/channel, else the
// configured channel.
func (f *Feature) teamChannel(e *catalog.Entity) string {
	if g, ok := f.d.Catalog.Get(e.Owner()); ok && e.Owner() != "" {
		if ch := g.Annotation(catalog.AnnotationSlackChannel); ch != "" {
			return ch
		}
	}
	return f.cfg.Channel
}
