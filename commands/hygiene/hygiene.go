// Package hygiene is the catalog hygiene feature: a scan on a cron
// (quarterly by default), `/plat catalog hygiene` and `platbot hygiene
// --now` find what nobody curates (orphans, owners that do not resolve or
// left, components with no deploy in a year, deprecated components still
// used, missing conventions) and post it to the platform channel and each
// affected team's channel. Nothing is removed: Keep snoozes a finding for
// a quarter with a reason, Deprecate and Delete open pull requests on the
// entity's own file once approved (bot/approval). The live catalog changes
// only when such a pull request is merged and the catalog refreshes.
// docs/hygiene.md has the whole picture.
package hygiene

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// Job kinds.
const (
	// JobScan is the scheduled scan (Config.Schedule).
	JobScan = "hygiene.scan"
	// JobPR opens the pull request of an approved decision.
	JobPR = "hygiene.pr"
	// JobLapse lapses an undecided proposal.
	JobLapse = "hygiene.lapse"
)

// Record kinds.
const (
	KindFinding  = "hygiene.finding"
	KindDecision = "hygiene.decision"
	KindPosted   = "hygiene.posted"
)

// ActionPrefix is the prefix of the feature's buttons.
const ActionPrefix = "hygiene"

// Config is the hygiene section of platbot.yaml.
type Config struct {
	// Schedule is the robfig/cron spec of the scan (default quarterly:
	// 09:00 on the first day of January, April, July and October).
	Schedule string `yaml:"schedule"`
	// PlatformChannel gets every report; default the platform team's
	// channel (the first admin group's slack.com/channel).
	PlatformChannel string `yaml:"platformChannel"`
	// NoDeployAfter flags a Component with no deploy for this long.
	NoDeployAfter time.Duration `yaml:"noDeployAfter"`
	// SnoozeFor is how long Keep snoozes a finding (a quarter).
	SnoozeFor time.Duration `yaml:"snoozeFor"`
	// RequiredAnnotations must be set on every Component.
	RequiredAnnotations []string `yaml:"requiredAnnotations"`
	// OnCallAnnotations: a Component must set at least one of them.
	OnCallAnnotations []string `yaml:"onCallAnnotations"`
	// PendingTTL is how long a Deprecate or Delete proposal waits for a
	// decision before it lapses.
	PendingTTL time.Duration `yaml:"pendingTTL"`
	// MaxListed caps the findings listed with buttons per channel and
	// report; the rest are counted (the CLI prints them all).
	MaxListed int `yaml:"maxListed"`
}

// DefaultConfig is the configuration without a hygiene section.
func DefaultConfig() Config {
	return Config{
		Schedule:            "0 9 1 1,4,7,10 *",
		NoDeployAfter:       365 * 24 * time.Hour,
		SnoozeFor:           91 * 24 * time.Hour,
		RequiredAnnotations: []string{catalog.AnnotationCostTag},
		OnCallAnnotations:   []string{catalog.AnnotationPagerDuty},
		PendingTTL:          14 * 24 * time.Hour,
		MaxListed:           60,
	}
}

// Validate checks the configuration; errors name the camelCase key.
func (c Config) Validate() error {
	switch {
	case c.Schedule == "":
		return errors.New("schedule is empty: give a cron spec like \"0 9 1 1,4,7,10 *\" (quarterly)")
	case c.NoDeployAfter <= 0:
		return errors.New("noDeployAfter must be a positive duration, like 8760h (a year)")
	case c.SnoozeFor <= 0:
		return errors.New("snoozeFor must be a positive duration, like 2184h (a quarter)")
	case c.PendingTTL <= 0:
		return errors.New("pendingTTL must be a positive duration, like 336h")
	case c.MaxListed < 1:
		return errors.New("maxListed must be at least 1")
	}
	return nil
}

// Catalog is what hygiene reads of the catalog (*catalog.Catalog).
type Catalog interface {
	List(kind string) []*catalog.Entity
	Orphans() []*catalog.Entity
	LocationStatuses() []catalog.LocationStatus
	Get(ref string) (*catalog.Entity, bool)
	Lookup(ref, defaultKind string) (*catalog.Entity, bool)
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
}

// Accounts says whether a chat account is deactivated. cmd/platbot adapts
// Slack's users.info (deleted: true) to it.
type Accounts interface {
	Deactivated(ctx context.Context, userID string) (bool, error)
}

// Deploys says when an entity was last deployed; known is false when no
// source can say (which is never "no deploy"). cmd/platbot adapts the
// scorecard's deploy facts (Argo CD, GitHub Deployments) to it.
type Deploys interface {
	LastDeployed(ctx context.Context, e *catalog.Entity) (at time.Time, known bool, err error)
}

// UsageSource says how much traffic and cost an entity had in the last 30
// days. cmd/platbot adapts the cost feature (OpenCost, Prometheus) to it.
type UsageSource interface {
	Usage(ctx context.Context, e *catalog.Entity) (Usage, error)
}

// Files reads and proposes changes to the file an entity was read from
// (Entity.Source.File: a local path or a GitHub URL). cmd/platbot adapts
// the GitHub client and local git repositories to it.
type Files interface {
	// Read returns the file's content on its base branch.
	Read(ctx context.Context, file string) ([]byte, error)
	// Propose opens a pull request changing (or deleting) the file, or
	// finds the one of an earlier attempt by its branch.
	Propose(ctx context.Context, file string, c Change) (*PullRequest, error)
}

// Change is one pull request on one file.
type Change struct {
	Branch, Title, Body, CommitMessage string
	// Content is the file's new content.
	Content string
	// Delete removes the file instead (Content is empty).
	Delete bool
}

// PullRequest is an opened (or found again) pull request.
type PullRequest struct {
	Number int    `json:"number,omitempty"`
	URL    string `json:"url"`
	Branch string `json:"branch"`
}

// Deps are what hygiene needs from the rest of platbot.
type Deps struct {
	// Store and Catalog are required.
	Store   store.Records
	Catalog Catalog
	// Accounts, Deploys and Usage are optional: without one, its facts
	// are unknown and nothing is flagged for them.
	Accounts Accounts
	Deploys  Deploys
	Usage    UsageSource
	// Files is optional: without it Deprecate and Delete say how to make
	// the change by hand.
	Files  Files
	Logger *slog.Logger
	Now    func() time.Time
	// Sleep paces posts to one channel (tests); bot.SleepContext when nil.
	Sleep func(context.Context, time.Duration) error
}

// Hygiene is the feature.
type Hygiene struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	now      func() time.Time
	findings store.Typed[findingState]
	posted   store.Typed[postedState]
	flow     *approval.Flow[Decision]
	pacer    *bot.Pacer
	router   atomic.Pointer[bot.Router]
}

var _ bot.Feature = (*Hygiene)(nil)

// New checks the configuration and builds the feature.
func New(cfg Config, deps Deps) (*Hygiene, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Catalog == nil {
		return nil, errors.New("hygiene needs the store and the catalog")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	h := &Hygiene{
		cfg: cfg, deps: deps, log: deps.Logger.With("feature", "hygiene"), now: deps.Now,
		findings: store.RecordsOf[findingState](deps.Store, KindFinding),
		posted:   store.RecordsOf[postedState](deps.Store, KindPosted),
		pacer:    bot.NewPacer(bot.PostInterval, deps.Now, deps.Sleep),
	}
	flow, err := approval.New(h.approvalConfig(), approval.Deps{Store: deps.Store, Logger: h.log, Now: deps.Now})
	if err != nil {
		return nil, fmt.Errorf("hygiene approvals: %w", err)
	}
	h.flow = flow
	return h, nil
}

// Name is the feature's name and configuration section.
func (h *Hygiene) Name() string { return "hygiene" }

// Register adds `/plat catalog hygiene`, its Keep form, the buttons, the
// jobs and the schedule.
func (h *Hygiene) Register(reg *bot.Registry) error {
	h.router.Store(reg.Router())
	h.flow.SetRouter(reg.Router())
	reg.Commands(h.commands()...)
	reg.Action(ActionPrefix, h.act)
	reg.Job(JobScan, h.scanJob)
	reg.Job(JobPR, h.prJob)
	reg.Job(JobLapse, h.flow.RunLapse)
	reg.HomeSection(h.flow.HomeSection(33, "Catalog hygiene proposals"))
	return reg.Every(h.cfg.Schedule, nil, JobScan, func(at time.Time) any { return scanPayload{At: at} })
}

// Resume has nothing to pick up: scans, pull requests and lapses are
// durable jobs, and decisions are records.
func (h *Hygiene) Resume(context.Context) error { return nil }

// Config returns the configuration.
func (h *Hygiene) Config() Config { return h.cfg }

func (h *Hygiene) getRouter() *bot.Router { return h.router.Load() }
