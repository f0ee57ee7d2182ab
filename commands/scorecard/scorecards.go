package scorecard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
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
	PutRecord(ctx context.Context, r store.Record) (bool, error)
	GetRecord(ctx context.Context, kind, id string) (*store.Record, error)
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
	Cost   CostSummarizer
	Logger *slog.Logger
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
		secret: []byte(d.WebhookSecret), msgr: d.Messenger, cost: d.Cost, log: log, now: d.Now,
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

// scored returns the entities scorecards grade: catalog Components, sorted by ref.
func (s *Scorecards) scored() []*catalog.Entity {
	list := s.cat.List(catalog.KindComponent)
	out := make([]*catalog.Entity, 0, len(list))
	for _, e := range list {
		if e != nil && !e.Orphan {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
	return out
}

// findService resolves a service argument: a ref, or a component name.
func (s *Scorecards) findService(arg string) (*catalog.Entity, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return nil, bot.Errorf("Which service? Usage: `/plat scorecard <service>`.")
	}
	if e, ok := s.cat.Get(catalog.NormalizeRef(arg, catalog.KindComponent, catalog.DefaultNamespace)); ok && e != nil {
		return e, nil
	}
	var names []string
	for _, e := range s.scored() {
		if strings.EqualFold(e.Metadata.Name, arg) || strings.EqualFold(e.Ref(), arg) {
			return e, nil
		}
		names = append(names, e.Metadata.Name)
	}
	msg := fmt.Sprintf("I can't find a component called `%s` in the catalog.", bot.UserText(arg))
	if close := bot.Closest(arg, names); close != "" {
		msg += fmt.Sprintf(" Did you mean `%s`?", close)
	}
	return nil, bot.Errorf("%s", msg)
}

// owner returns the owning group entity of e (nil when not in the catalog).
func (s *Scorecards) owner(e *catalog.Entity) *catalog.Entity {
	ref := e.Owner()
	if ref == "" {
		return nil
	}
	if g, ok := s.cat.Get(ref); ok {
		return g
	}
	return nil
}

// scoreEntities gathers facts for entities (concurrently, bounded) and
// grades them at now.
func (s *Scorecards) scoreEntities(ctx context.Context, entities []*catalog.Entity, now time.Time) ([]*grade.Result, error) {
	waivers, err := s.loadWaivers(ctx)
	if err != nil {
		return nil, err
	}
	gathered := make([]*grade.Facts, len(entities))
	sem := make(chan struct{}, s.cfg.Facts.Concurrency)
	var wg sync.WaitGroup
	for i, e := range entities {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			gathered[i] = s.g.Gather(ctx, facts.Subject{Entity: e, Owner: s.owner(e)})
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("score services: %w", err)
	}
	out := make([]*grade.Result, len(entities))
	ev := s.checks.Evaluator(now, waivers)
	for i, f := range gathered {
		out[i] = &grade.Result{}
		ev.Evaluate(f, out[i])
	}
	return out, nil
}

// Score grades one service now.
func (s *Scorecards) Score(ctx context.Context, service string) (*grade.Result, error) {
	e, err := s.findService(service)
	if err != nil {
		return nil, err
	}
	rs, err := s.scoreEntities(ctx, []*catalog.Entity{e}, s.now())
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// ScoreAll grades every service at now.
func (s *Scorecards) ScoreAll(ctx context.Context, now time.Time) ([]*grade.Result, error) {
	return s.scoreEntities(ctx, s.scored(), now)
}

// historyValue is what a grade point stores. Points recorded before
// incomplete grades were tracked read as complete.
type historyValue struct {
	Grade         grade.Grade `json:"grade"`
	Demerits      int         `json:"demerits"`
	Incomplete    bool        `json:"incomplete,omitempty"`
	RequiredGrade grade.Grade `json:"required_grade"`
	Owner         string      `json:"owner,omitempty"`
	Lifecycle     string      `json:"lifecycle,omitempty"`
	System        string      `json:"system,omitempty"`
	Gaps          []string    `json:"gaps,omitempty"`
}

// label is the recorded grade as shown ("B (incomplete)", "?").
func (v historyValue) label() string { return v.Grade.Label(v.Incomplete) }

// recordHistory stores each result as a point of SeriesGrade, one per
// service per day (a re-run the same day replaces it).
func (s *Scorecards) recordHistory(ctx context.Context, results []*grade.Result, now time.Time) error {
	day := now.UTC().Truncate(24 * time.Hour)
	for _, r := range results {
		v := historyValue{Grade: r.Grade, Demerits: r.Demerits, Incomplete: r.Incomplete, RequiredGrade: r.RequiredGrade,
			Owner: r.Owner, Lifecycle: r.Lifecycle, System: r.System}
		for _, g := range r.Gaps() {
			v.Gaps = append(v.Gaps, g.ID)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("record history of %s: %w", r.Ref, err)
		}
		if err := s.st.AppendPoint(ctx, store.Point{Series: SeriesGrade, Key: r.Ref, At: day, Value: b}); err != nil {
			return fmt.Errorf("record history of %s: %w", r.Ref, err)
		}
	}
	return nil
}

// gradesAt returns each service's latest recorded grade at or before t.
func (s *Scorecards) gradesAt(ctx context.Context, t time.Time) (map[string]historyValue, error) {
	pts, err := s.st.LatestPoints(ctx, SeriesGrade, t)
	if err != nil {
		return nil, fmt.Errorf("grade history: %w", err)
	}
	out := make(map[string]historyValue, len(pts))
	for _, p := range pts {
		var v historyValue
		if err := json.Unmarshal(p.Value, &v); err != nil {
			s.log.Warn("skipping unreadable grade point", "key", p.Key, "err", err)
			continue
		}
		out[p.Key] = v
	}
	return out, nil
}

// lastWeek returns the grades as they stood six days ago or earlier (the
// previous weekly run), for movers.
func (s *Scorecards) lastWeek(ctx context.Context, now time.Time) (map[string]historyValue, error) {
	return s.gradesAt(ctx, now.Add(-6*24*time.Hour))
}
