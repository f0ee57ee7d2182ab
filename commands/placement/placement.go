// Package placement is platbot's multi-cluster placement: engineers declare
// what their service needs (environments with a tier and a region, in the
// catalog entity) and the platform decides which cluster each environment
// runs on, from its clusters and placement rules (package place: the most
// specific matching rule wins, a cordoned cluster takes nothing new).
//
// Commands: /plat where <service> shows each environment's cluster, the
// rule that chose it and the live status a StatusSource reports (Argo CD);
// /plat clusters (admins) lists clusters, their placements and counts;
// /plat move <service> <env> --to <cluster> | --auto opens a GitOps pull
// request moving the environment's Argo CD Application, after an approval
// (bot/approval) when the environment is production. platbot never
// applies anything to a cluster: the GitOps repository is the enforcement.
package placement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/placement/place"
	"github.com/platbot/platbot/store"
)

// Catalog is what placement needs from the software catalog;
// *catalog.Catalog satisfies it.
type Catalog interface {
	// Lookup finds an entity by a ref, with a default kind for short refs.
	Lookup(ref, defaultKind string) (*catalog.Entity, bool)
	// List returns the live entities of a kind, sorted by ref.
	List(kind string) []*catalog.Entity
	// Identify returns what the catalog knows about a chat user.
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
}

// Store keeps production move requests; *store.Store satisfies it.
type Store interface {
	approval.Store
	ListRecords(ctx context.Context, q store.Query) ([]store.Record, error)
}

// Publisher opens GitOps pull requests. cmd/platbot adapts the one GitOps
// publisher (integrations/gitops: GitHub, or a local git repository) to it.
type Publisher interface {
	// Open opens the pull request of c, or finds it again by branch: a
	// retried change never opens a second one.
	Open(ctx context.Context, c Change) (*PullRequest, error)
}

// Change is one pull request's content.
type Change struct {
	Branch, Title, Body, CommitMessage string
	// Files maps repository paths to their content.
	Files  map[string]string
	Labels []string
}

// PullRequest is an opened (or found again) pull request.
type PullRequest struct {
	Number  int    `json:"number"`
	URL     string `json:"url"`
	Branch  string `json:"branch"`
	Created bool   `json:"-"`
}

// FileReader reads a file of the GitOps repository's base branch; a
// missing file is an error wrapping fs.ErrNotExist. The GitOps publisher
// satisfies it.
type FileReader interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
}

// StatusSource reports the live state of a service's environment as the
// GitOps controller sees it (Argo CD's Application status). ok is false
// when nothing is known about that environment.
type StatusSource interface {
	Status(ctx context.Context, service, env string) (Status, bool)
}

// Status is one environment's live state.
type Status struct {
	// Sync is Argo CD's sync status (Synced, OutOfSync, Unknown).
	Sync string
	// Health is Argo CD's health status (Healthy, Progressing, Degraded,
	// Suspended, Missing, Unknown).
	Health string
	// Revision is the revision last synced.
	Revision string
	// LastSynced is when the last sync finished (zero: unknown).
	LastSynced time.Time
	// OperationPhase is the phase of the last operation (Running,
	// Succeeded, Failed, Error, Terminating).
	OperationPhase string
	// URL is the Application in the Argo CD UI ("" = none).
	URL string
}

// Deps are what New needs besides the configuration.
type Deps struct {
	Catalog Catalog
	// Store keeps production move requests.
	Store Store
	// Publisher opens the pull requests of moves; Files reads the
	// Applications already in the GitOps repository (nil: moves always
	// write a new Application, and where cannot show what GitOps has).
	Publisher Publisher
	Files     FileReader
	// Status reports live status; nil when Argo CD is not configured.
	Status StatusSource
	// Messenger, when set, is used for messages outside a request.
	Messenger bot.Messenger
	// Policy decides who may ask a move: the `scaffold` action on the
	// service's owning group (the default policy: its members and admins).
	Policy bot.Policy
	Logger *slog.Logger
	Now    func() time.Time
}

// Placement is the placement feature.
type Placement struct {
	cfg    Config
	placer *place.Placer // nil when no clusters are configured
	cat    Catalog
	st     Store
	pub    Publisher
	files  FileReader
	status StatusSource
	policy bot.Policy
	log    *slog.Logger
	now    func() time.Time
	flow   *approval.Flow[MoveRequest]

	mu     sync.RWMutex
	router approval.Router
}

// Record kind, job and button ids.
const (
	RecordKind    = "placement.move"
	JobLapse      = "placement.move.lapse"
	ActionApprove = "placement:approve"
	ActionDeny    = "placement:deny"
)

var _ bot.Feature = (*Placement)(nil)

// New checks cfg (clusters and rules with place.Compile, naming cfg.File
// and the line of what is wrong) and returns the feature. A configuration
// without clusters gives a feature whose commands say how to configure it.
func New(cfg Config, d Deps) (*Placement, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Catalog == nil || d.Store == nil || d.Policy == nil {
		return nil, errors.New("placement: need a catalog, a store and a policy")
	}
	p := &Placement{cfg: cfg, cat: d.Catalog, st: d.Store, pub: d.Publisher, files: d.Files, status: d.Status, policy: d.Policy, log: d.Logger, now: d.Now}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.log = p.log.With("component", "placement")
	if p.now == nil {
		p.now = time.Now
	}
	if cfg.Configured() {
		pl, err := place.Compile(place.Config{Clusters: cfg.Clusters, Rules: cfg.Rules}, cfg.File)
		if err != nil {
			return nil, err
		}
		p.placer = pl
	}
	flow, err := approval.New(p.approvalConfig(), approval.Deps{Store: d.Store, Messenger: d.Messenger, Logger: p.log, Now: p.now})
	if err != nil {
		return nil, fmt.Errorf("placement: %w", err)
	}
	p.flow = flow
	return p, nil
}

// Name is the feature's name and configuration section.
func (p *Placement) Name() string { return "placement" }

// Placer is the checked placement configuration (nil when none).
func (p *Placement) Placer() *place.Placer { return p.placer }

// Register adds the commands, the approval buttons and the lapse job.
func (p *Placement) Register(reg *bot.Registry) error {
	r := reg.Router()
	p.mu.Lock()
	p.router = r
	p.mu.Unlock()
	p.flow.SetRouter(r)
	reg.Commands(p.commands()...)
	reg.Action("placement", p.act)
	reg.Job(JobLapse, p.flow.RunLapse)
	reg.HomeSection(p.flow.HomeSection(34, "Placement moves"))
	return nil
}

// Resume opens the pull requests of approved production moves whose
// approval was recorded but whose pull request was not (a crash or an
// outage in between).
func (p *Placement) Resume(ctx context.Context) error {
	recs, err := p.st.ListRecords(ctx, store.Query{Kind: RecordKind, States: []string{approval.StateApproved}})
	if err != nil {
		return fmt.Errorf("list approved moves: %w", err)
	}
	for _, rec := range recs {
		r, _, err := p.flow.Load(ctx, rec.ID)
		if err != nil {
			return err
		}
		if r.PR != nil {
			continue
		}
		if err := p.approved(ctx, r); err != nil {
			p.log.Error("open pull request of approved move", "request", r.ID, "err", err)
		}
	}
	return nil
}

func (p *Placement) rt() approval.Router {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.router
}

// notConfigured is what the commands say without clusters.
const notConfigured = "Placement is not configured on this platbot: an admin adds a `placement` section " +
	"(clusters and placement rules — see examples/placement/placement.yaml and docs/placement.md) and restarts it."

func (p *Placement) commands() []*bot.Command {
	return []*bot.Command{
		{
			Name: "where", Usage: "<service>", Action: bot.ActionRead,
			Summary: "Where each environment of a service runs, why, and its live status",
			Help: "Environments come from the service's deployment intent in the catalog (spec.deployment, or the " +
				AnnotationEnvironments + " annotation); the platform's placement rules choose each one's cluster.",
			Handle: p.handleWhere,
		},
		{
			Name: "clusters", Action: bot.ActionAdmin,
			Summary: "Clusters, what is placed on each, and the counts (admins)",
			Handle:  p.handleClusters,
		},
		{
			// Everyone may run it; who may ask a move is the policy's
			// scaffold decision on the owning group, checked by the
			// handler so a denial speaks of the move (mayMove).
			Name: "move", Usage: "<service> <env> --to <cluster> [--reason \"…\"] | --auto", Action: bot.ActionRead,
			Flags: []string{"to", "reason"}, BoolFlags: []string{"auto", "replace"},
			Summary: "Open a GitOps pull request moving an environment to another cluster (production: after an approval)",
			Help: "--to names the cluster (it pins the environment there; --reason says why, recorded on its Application); " +
				"--auto moves it where the placement rules put it now (after a rule change). " +
				"The owning team may ask. A cordoned or full cluster, one reserved for other rules, one whose region or tiers do not fit the environment, or one that is not among the clusters of the rule matching the environment, is refused. " +
				"An environment has one open move at a time; --replace replaces an open one whose pull request was closed without merging. " +
				"Moving a production environment needs an approval in the approval channel before the pull request is opened.",
			Resource: p.moveResource,
			Handle:   p.handleMove,
		},
	}
}

// service resolves a service argument.
func (p *Placement) service(arg, usage string) (*catalog.Entity, error) {
	if strings.TrimSpace(arg) == "" {
		return nil, bot.Errorf("Which service? Usage: `/plat %s`.", usage)
	}
	if e, ok := p.cat.Lookup(arg, catalog.KindComponent); ok {
		return e, nil
	}
	msg := fmt.Sprintf("I can't find a service called `%s` in the catalog.", bot.UserText(arg))
	var names []string
	for _, e := range p.cat.List(catalog.KindComponent) {
		names = append(names, e.Metadata.Name)
	}
	if c := bot.Closest(arg, names); c != "" {
		msg += fmt.Sprintf(" Did you mean `%s`?", c)
	}
	return nil, bot.Errorf("%s", msg)
}

// intent returns e's intent, or a user error saying how to declare one.
func (p *Placement) intent(e *catalog.Entity) (*Intent, error) {
	in, ok, err := IntentOf(e)
	if err != nil {
		return nil, bot.Errorf("The deployment intent of `%s` is not valid: %s", e.Metadata.Name, bot.UserText(err.Error()))
	}
	if !ok {
		return nil, bot.Errorf("`%s` declares no environments. Add `spec.deployment: {workload, environments: [{name, tier, region}]}` "+
			"to its catalog entity (or the `%s` annotation); see docs/placement.md.", e.Metadata.Name, AnnotationEnvironments)
	}
	return in, nil
}

// target is what the rules match for one environment of e.
func target(e *catalog.Entity, env Environment) place.Target {
	return place.Target{
		Service: e.Metadata.Name, Team: teamName(e), Labels: e.Metadata.Labels,
		Environment: env.Name, Tier: env.Tier, Region: env.Region,
	}
}

// teamName is the name of e's owner ("checkout" for group:default/checkout).
func teamName(e *catalog.Entity) string {
	_, _, name := catalog.ParseRef(e.Owner(), catalog.KindGroup, catalog.DefaultNamespace)
	return strings.ToLower(name)
}

// audit records a placement event.
func (p *Placement) audit(ctx context.Context, actor bot.User, action, outcome, target string, details map[string]any) {
	rt := p.rt()
	if rt == nil {
		return
	}
	rt.Audit(ctx, store.Event{Time: p.now(), ActorID: actor.ID, ActorName: actor.Name, Action: action, Outcome: outcome, Target: target, Details: details})
	p.log.Info(action, "actor", actor.ID, "outcome", outcome, "target", target)
}
