package scorecard

// The feature as the bot wires it: its dependencies, New, the bot.Feature
// methods, and what Register puts on the router and the scheduler.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/store"
)

// Catalog is what scorecards read from the software catalog
// (*catalog.Catalog satisfies it).
type Catalog interface {
	// Get returns an entity by canonical ref ("component:default/checkout-service").
	Get(ref string) (*catalog.Entity, bool)
	// List returns the entities of a kind ("Component", "Group").
	List(kind string) []*catalog.Entity
	// Identify returns what the catalog knows about a chat user.
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
}

// Store is the part of *store.Store scorecards use: records for waivers and
// digest progress, points for grade history.
type Store interface {
	// approval.Store keeps the waivers' records.
	approval.Store
	TransitionRecord(ctx context.Context, kind, id string, from []string, to string, mutate func(*store.Record) error) (*store.Record, error)
	ListRecords(ctx context.Context, q store.Query) ([]store.Record, error)
	AppendPoint(ctx context.Context, p store.Point) error
	LatestPoints(ctx context.Context, series string, before time.Time) ([]store.Point, error)
}

// GateGitHub is the GitHub access of the production gate
// (integrations/github.Client satisfies it).
type GateGitHub interface {
	PullRequestFiles(ctx context.Context, owner, repo string, number int) ([]github.PRFile, error)
	GetFile(ctx context.Context, owner, repo, path, ref string) ([]byte, error)
	CreateCommitStatus(ctx context.Context, owner, repo, sha string, st github.CommitStatus) error
}

// CostSummarizer adds a cost section to a team's digest (the cost feature
// implements it). ok is false when there is nothing to say. It is called
// for several teams at once.
type CostSummarizer interface {
	CostSummary(ctx context.Context, team string) (section bot.Section, ok bool)
}

// DigestContributor adds a section of its own to a team's weekly digest
// (golden paths: the team's services behind their template, with Upgrade
// buttons); text is the section for notifications. ok is false when there
// is nothing to say. It is called for several teams at once.
type DigestContributor interface {
	DigestSection(ctx context.Context, team string) (blocks []bot.Block, text string, ok bool)
}

// Deps are what New needs besides the Config. Catalog and Store are
// required.
type Deps struct {
	Catalog   Catalog
	Store     Store
	Providers facts.Providers
	// GitHub serves the production gate; nil turns the webhook's gating off
	// (it answers 503).
	GitHub GateGitHub
	// WebhookSecret verifies X-Hub-Signature-256 (GITHUB_WEBHOOK_SECRET);
	// it is secret material, so it is handed in rather than configured.
	WebhookSecret string
	// Messenger posts scheduled digests, waiver cards and job output; when
	// nil, Router.Outbound chooses (Slack, else the shell).
	Messenger bot.Messenger
	// Cost is optional.
	Cost CostSummarizer
	// Sections are other features' digest sections, after the cost's
	// (optional).
	Sections []DigestContributor
	Logger   *slog.Logger
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// Sleep waits between posts to one channel (tests); a timer when nil.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Scorecards is the scorecard feature.
type Scorecards struct {
	cfg     Config
	checks  *grade.CheckSet
	cat     Catalog
	st      Store
	g       *facts.Gatherer
	gh      GateGitHub
	secret  []byte
	msgr    bot.Messenger
	cost    CostSummarizer
	extra   []DigestContributor
	log     *slog.Logger
	now     func() time.Time
	limiter *bot.Pacer
	// waivers runs the approval of waivers and keeps their records.
	waivers *approval.Flow[Waiver]

	mu     sync.RWMutex
	router *bot.Router
}

// Record kinds and series.
const (
	KindWaiver     = "scorecard.waiver"
	KindDigestPart = "scorecard.digest"
	SeriesGrade    = "scorecard.grade"
)

var _ bot.Feature = (*Scorecards)(nil)

// DefaultConfig is the configuration with every default filled in.
func DefaultConfig() Config { return Config{}.withDefaults() }

// New builds the feature: it validates the config, loads and compiles the
// checks (bad ones are logged and listed by `/plat scorecard checks`; the
// others run) and sets up fact gathering and the waivers' approval.
func New(cfg Config, d Deps) (*Scorecards, error) {
	if d.Catalog == nil || d.Store == nil {
		return nil, errors.New("scorecard: Catalog and Store are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	log := d.Logger.With("feature", "scorecard")
	var specs []grade.CheckSpec
	if !cfg.NoDefaultChecks {
		specs = append(specs, grade.DefaultChecks()...)
	}
	if !cfg.NoConventionChecks {
		specs = append(specs, grade.ConventionChecks()...)
	}
	fileSpecs, fileErrs := grade.LoadCheckFiles(cfg.CheckFiles)
	specs = append(specs, fileSpecs...)
	for _, c := range cfg.Checks {
		if c.Where == "" {
			c.Where = "config"
		}
		specs = append(specs, c)
	}
	cs := grade.CompileChecks(specs)
	cs.Errors = append(fileErrs, cs.Errors...)
	for _, e := range cs.Errors {
		log.Error("scorecard check not loaded", "check", e.ID, "where", e.Where, "err", e.Err)
	}
	s := &Scorecards{
		cfg: cfg, checks: cs, cat: d.Catalog, st: d.Store, gh: d.GitHub,
		secret: []byte(d.WebhookSecret), msgr: d.Messenger, cost: d.Cost, extra: d.Sections, log: log, now: d.Now,
		g:       facts.NewGatherer(d.Providers, cfg.Facts.Timeout, cfg.Facts.TTL, d.Now, log),
		limiter: bot.NewPacer(cfg.Digest.PostInterval, d.Now, d.Sleep),
	}
	flow, err := approval.New(s.waiverApproval(), approval.Deps{Store: d.Store, Messenger: d.Messenger, Logger: log, Now: d.Now})
	if err != nil {
		return nil, fmt.Errorf("scorecard: %w", err)
	}
	s.waivers = flow
	return s, nil
}

// Name is the feature's name and configuration section.
func (s *Scorecards) Name() string { return "scorecard" }

// Resume does nothing: waivers expire by durable jobs and digests are
// posted at most once per week by their records, so a restart has nothing
// to pick up.
func (s *Scorecards) Resume(context.Context) error { return nil }

// Checks returns the loaded checks and the ones that failed to load.
func (s *Scorecards) Checks() *grade.CheckSet { return s.checks }

// Config returns the effective configuration (defaults filled in).
func (s *Scorecards) Config() Config { return s.cfg }

func (s *Scorecards) getRouter() *bot.Router {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.router
}

// messenger returns the messenger for output that answers no request.
func (s *Scorecards) messenger() bot.Messenger {
	if s.msgr != nil {
		return s.msgr
	}
	return s.getRouter().Outbound(bot.TransportSlack)
}

func (s *Scorecards) audit(ctx context.Context, ev store.Event) {
	if r := s.getRouter(); r != nil {
		r.Audit(ctx, ev)
	}
}

// Job kinds.
const (
	JobRefresh   = "scorecard.refresh"
	JobDigestOrg = "scorecard.digest.org"
	// JobDigestDefault digests every team without a schedule of its own.
	JobDigestDefault = "scorecard.digest.default"
	// JobDigestTeam prefixes the digest job of a team with its own schedule
	// ("scorecard.digest.team:group:default/payments").
	JobDigestTeam = "scorecard.digest.team:"
	JobGate       = "scorecard.gate"
)

// digestJob is the payload of the refresh and org digest jobs: the
// scheduled time fixes the week, so a retry on another day still digests
// the same week. (Team digests run as bot.PerTeam jobs, whose bot.TeamRun
// payload has the same "at".)
type digestJob struct {
	At time.Time `json:"at"`
}

// Register adds the scorecard commands, the waiver buttons (prefix
// "scorecard"), the jobs, and the cron entries: the daily history refresh,
// the org digest, and the team digests as one per-team job (bot.PerTeam):
// one entry for the teams on the default schedule and one per team with a
// schedule of its own.
func (s *Scorecards) Register(reg *bot.Registry) error {
	r := reg.Router()
	s.mu.Lock()
	s.router = r
	s.mu.Unlock()
	s.waivers.SetRouter(r)

	reg.Commands(s.Commands()...)
	reg.Action(ActionPrefix, s.handleAction)
	reg.Job(JobRefresh, s.refreshJob)
	reg.Job(JobWaiverExpire, s.expireWaiver)
	reg.Job(JobGate, s.gateJob)
	reg.HomeSection(s.waivers.HomeSection(31, "Waivers"))
	reg.Job(JobDigestOrg, func(ctx context.Context, p json.RawMessage) error {
		at, err := decodeDigestJob(p)
		if err != nil {
			return err
		}
		return s.digest(ctx, nil, true, at, deliveryOptions{})
	})
	payload := func(at time.Time) any { return digestJob{At: at} }
	defLoc, err := time.LoadLocation(s.cfg.Digest.Timezone)
	if err != nil {
		return fmt.Errorf("digest time zone: %w", err)
	}
	if err := reg.Every(s.cfg.Refresh, defLoc, JobRefresh, payload); err != nil {
		return err
	}
	if s.cfg.PlatformChannel != "" {
		if err := reg.Every(s.cfg.Digest.Schedule, defLoc, JobDigestOrg, payload); err != nil {
			return err
		}
	}
	digests := bot.PerTeam{
		Kind: JobDigestDefault, Spec: s.cfg.Digest.Schedule, Location: defLoc,
		TeamKind: func(team string) string { return JobDigestTeam + team },
		Run: func(ctx context.Context, run bot.TeamRun) error {
			teams := []string{run.Team}
			if run.Team == "" {
				teams = s.defaultScheduleTeams()
			}
			return s.digest(ctx, teams, false, run.At, deliveryOptions{})
		},
	}
	for _, team := range slices.Sorted(maps.Keys(s.cfg.Teams)) {
		tc := s.cfg.Teams[team]
		if tc.Skip || !tc.ownSchedule() {
			continue
		}
		spec, loc, err := s.teamSchedule(team)
		if err != nil {
			return err
		}
		digests.Teams = append(digests.Teams, bot.TeamSchedule{Team: team, Spec: spec, Location: loc})
	}
	if err := reg.PerTeam(digests); err != nil {
		return err
	}
	return nil
}

func (tc TeamConfig) ownSchedule() bool { return tc.Schedule != "" || tc.Timezone != "" }

// teamSchedule returns a team's digest cron spec and zone.
func (s *Scorecards) teamSchedule(team string) (string, *time.Location, error) {
	tc := s.cfg.Teams[team]
	spec, tz := s.cfg.Digest.Schedule, s.cfg.Digest.Timezone
	if tc.Schedule != "" {
		spec = tc.Schedule
	}
	if tc.Timezone != "" {
		tz = tc.Timezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return "", nil, fmt.Errorf("scorecard: team %s: time zone %q: %w", team, tz, err)
	}
	return spec, loc, nil
}

func decodeDigestJob(p json.RawMessage) (time.Time, error) {
	var j digestJob
	if err := json.Unmarshal(p, &j); err != nil {
		return time.Time{}, bot.Permanent(fmt.Errorf("decode digest job: %w", err))
	}
	return j.At, nil
}

// refreshJob grades every service and records the grades as history.
func (s *Scorecards) refreshJob(ctx context.Context, p json.RawMessage) error {
	at, err := decodeDigestJob(p)
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = s.now()
	}
	rs, err := s.ScoreAll(ctx, at)
	if err != nil {
		return err
	}
	prev, err := s.gradesAt(ctx, at)
	if err != nil {
		return err
	}
	if err := s.recordHistory(ctx, rs, at); err != nil {
		return err
	}
	// The Homes of the teams whose services' grade changed show it.
	var teams []string
	for _, r := range rs {
		if p, ok := prev[r.Ref]; (!ok || p.label() != r.Grade.Label(r.Incomplete)) && !slices.Contains(teams, r.Owner) {
			teams = append(teams, r.Owner)
		}
	}
	if rt := s.getRouter(); rt != nil && len(teams) > 0 {
		rt.HomeChangedForTeams(ctx, teams...)
	}
	s.audit(ctx, store.Event{ActorID: "platbot", Action: "scorecard.refresh", Outcome: "ok", Details: map[string]any{"services": len(rs)}})
	return nil
}
