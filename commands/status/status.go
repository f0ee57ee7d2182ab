// Package status keeps the health of every outside system platbot talks to
// (Slack, GitHub, Vault, each Kubernetes context, each Argo CD control
// plane, OpenCost, Prometheus, PagerDuty, the catalog locations, the
// template sources) and who owns each one. It runs the probes cmd/platbot
// builds from the shared clients on a schedule (every replica probes; each
// probe is one cheap authenticated call under a short timeout), keeps each
// integration's state in a store record, shows it with /plat status, tells
// the owning team once when one stays down longer than a grace (the
// resolution in the notice's thread), exports platbot_integration_up, and
// phrases the errors features hit on a down integration ("GitHub is down
// since 10:42 UTC (owned by #platform)").
//
// The package never builds a client: a Probe is a function, and the errors
// of integration calls reach Explain wrapped by Wrap at the adapters in
// cmd/platbot.
package status

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// KindIntegration is the record kind of integration states, one record per
// integration (id: the probe's Name).
const KindIntegration = "status.integration"

// Health values, also the records' State.
const (
	Healthy       = "healthy"
	Degraded      = "degraded"
	Down          = "down"
	NotConfigured = "not configured"
)

// postLease is how long a claimed notice (or resolution) may be under way
// before another check takes it over (the process that claimed it died).
const postLease = 2 * time.Minute

// Probe is one integration's health check, built by cmd/platbot from the
// shared client.
type Probe struct {
	// Name identifies the integration: the owners key, the record id and
	// the metric label ("github", "kube:prod-us", "argocd:mgmt").
	Name string
	// Title is how people read it ("GitHub", "Kubernetes prod-us").
	Title string
	// Configured is false for an integration this platbot does not use: it
	// is listed as not configured and never checked.
	Configured bool
	// Check makes one cheap authenticated call: nil is healthy, an error
	// made with Degrade is degraded, any other error is down.
	Check func(ctx context.Context) error
}

// degraded marks a probe error as degraded rather than down.
type degraded struct{ err error }

func (d degraded) Error() string { return d.err.Error() }
func (d degraded) Unwrap() error { return d.err }

// Degrade marks err as a degraded answer (the integration works, partly:
// some catalog locations failed, some templates cannot be loaded).
func Degrade(err error) error {
	if err == nil {
		return nil
	}
	return degraded{err}
}

// Teams is what the feature reads of the catalog: the owning group, for
// its name and Slack channel.
type Teams interface {
	Get(ref string) (*catalog.Entity, bool)
}

// Leadership says who runs the schedules when several replicas serve;
// *bot.Leadership satisfies it.
type Leadership interface {
	// Identity names this replica, Mechanism how the leader is chosen.
	Identity() string
	Mechanism() string
	// Leading reports whether this replica leads; Err is the last error
	// of its campaign ("" when it works).
	Leading() bool
	Err() string
	// Leader is the leader's record (nil: none yet); older than Stale, no
	// replica is taken to lead.
	Leader(ctx context.Context) (*bot.LeaderInfo, error)
	Stale() time.Duration
}

// Deps are what New needs besides the configuration.
type Deps struct {
	Probes []Probe
	// Leadership, when set, adds who leads to /plat status.
	Leadership Leadership
	// Store keeps the integrations' states; *store.Store satisfies it.
	Store store.Records
	Teams Teams
	// Messenger posts the notices; the router's outbound messenger when nil.
	Messenger bot.Messenger
	// Metrics registers platbot_integration_up (nil: not registered).
	Metrics prometheus.Registerer
	// Secrets are values that must never be shown (the configured tokens):
	// each is replaced in the errors kept.
	Secrets []string
	// Logger is slog.Default() when nil; Now is time.Now when nil.
	Logger *slog.Logger
	Now    func() time.Time
}

// Feature is the status feature.
type Feature struct {
	cfg     Config
	every   time.Duration
	grace   time.Duration
	timeout time.Duration
	probes  []Probe
	d       Deps
	log     *slog.Logger
	now     func() time.Time
	up      *prometheus.GaugeVec

	mu     sync.Mutex
	router *bot.Router
	// stop ends the loop Resume started; done is closed when it has.
	stop func()
	done chan struct{}
	// checkMu serialises checks in this process.
	checkMu sync.Mutex
}

var _ bot.Feature = (*Feature)(nil)

// New checks cfg against the probes (an owner for an integration there is
// no probe of is an error naming it) and builds the feature.
func New(cfg Config, d Deps) (*Feature, error) {
	every, grace, timeout, err := cfg.durations()
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if d.Store == nil {
		return nil, errors.New("status: need a store")
	}
	names := make([]string, 0, len(d.Probes))
	seen := map[string]bool{}
	for _, p := range d.Probes {
		if p.Name == "" || seen[p.Name] {
			return nil, fmt.Errorf("status: probe name %q is empty or listed twice", p.Name)
		}
		if p.Configured && p.Check == nil {
			return nil, fmt.Errorf("status: the %s probe has no check", p.Name)
		}
		seen[p.Name] = true
		names = append(names, p.Name)
	}
	var errs []error
	keys := make([]string, 0, len(cfg.Owners))
	for k := range cfg.Owners {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !seen[k] {
			msg := fmt.Sprintf("owners: no integration %q", k)
			if s := bot.Closest(k, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, errors.New(msg+"; the integrations are "+strings.Join(names, ", ")))
		}
		if strings.TrimSpace(cfg.Owners[k]) == "" {
			errs = append(errs, fmt.Errorf("owners.%s: name the owning team (group:default/<team>)", k))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	f := &Feature{cfg: cfg, every: every, grace: grace, timeout: timeout, probes: d.Probes, d: d, log: d.Logger, now: d.Now}
	if f.log == nil {
		f.log = slog.Default()
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.up = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "platbot_integration_up",
		Help: "1 when the integration's last health probe answered (healthy or degraded), 0 when it is down; configured integrations only.",
	}, []string{"integration"})
	if d.Metrics != nil {
		if err := d.Metrics.Register(f.up); err != nil {
			return nil, fmt.Errorf("status: register metrics: %w", err)
		}
	}
	return f, nil
}

// Name is the feature's configuration section.
func (f *Feature) Name() string { return "status" }

// Register adds /plat status and keeps the router for posting.
func (f *Feature) Register(reg *bot.Registry) error {
	f.mu.Lock()
	f.router = reg.Router()
	f.mu.Unlock()
	reg.Commands(&bot.Command{
		Name: "status", Summary: "the integrations platbot uses: health, last success, last error and owning team",
		Action: bot.ActionRead, Handle: f.handleStatus,
	})
	return nil
}

// Resume has nothing to resume: every replica checks (Start).
func (f *Feature) Resume(context.Context) error { return nil }

// Start checks at once and then every checkEvery, until ctx ends or Stop.
// Every replica checks (bot.Starter); notices are claimed by
// compare-and-swap, so each is posted once.
func (f *Feature) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	f.mu.Lock()
	f.stop, f.done = cancel, done
	f.mu.Unlock()
	go func() {
		defer close(done)
		f.loop(ctx)
	}()
	return nil
}

// Stop ends the checks Start started and waits for a running one to end
// (before the store closes).
func (f *Feature) Stop() {
	f.mu.Lock()
	stop, done := f.stop, f.done
	f.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	<-done
}

func (f *Feature) loop(ctx context.Context) {
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		if err := f.Check(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("status: checking integrations failed; retried at the next check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (f *Feature) messenger() bot.Messenger {
	if f.d.Messenger != nil {
		return f.d.Messenger
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.router == nil {
		return nil
	}
	return f.router.Outbound("")
}

// Owner is the owning team of integration name: owners.<name>, else
// defaultOwner.
func (f *Feature) Owner(name string) string {
	if o := strings.TrimSpace(f.cfg.Owners[name]); o != "" {
		return o
	}
	return f.cfg.DefaultOwner
}

// channel is where the owner team is told: its slack.com/channel, else the
// configured channel.
func (f *Feature) channel(owner string) string {
	if f.d.Teams != nil && owner != "" {
		if g, ok := f.d.Teams.Get(owner); ok {
			if ch := g.Annotation(catalog.AnnotationSlackChannel); ch != "" {
				return ch
			}
		}
	}
	return f.cfg.Channel
}

// ownerLabel names the owner for people: its channel when it has one
// ("#platform"), else its name.
func (f *Feature) ownerLabel(owner string) string {
	ch := f.channel(owner)
	switch {
	case strings.HasPrefix(ch, "#"):
		return ch
	case ch != "":
		return "<#" + ch + ">"
	case owner == "":
		return "nobody (set status.owners)"
	}
	if _, name, ok := strings.Cut(owner, "/"); ok {
		return name
	}
	return owner
}

// title is the probe's title, else its name.
func (p Probe) title() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Name
}
