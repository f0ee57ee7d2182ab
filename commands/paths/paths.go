// Package paths is platbot's golden paths: team-owned Backstage software
// templates (scaffolder.backstage.io/v1beta3) delivered through the catalog,
// approved by an admin version by version, each becoming a slash command
// (/plat new-db) whose modal is generated from the template's parameters.
//
// Submitting the form creates a Run, persisted with all its steps before any
// side effect. Steps run in order as durable jobs; every action is
// idempotent (deterministic branch names, check-before-create), so a retry,
// or the automatic resume after a restart, never opens a second pull request
// or writes Vault twice. Progress is one message updated in place, in the
// channel the run was started from or, when the bot cannot post there, in a
// direct message to the requester.
//
// Actions: fetch:template (render a skeleton), catalog:register (add the new
// entity to the change), vault:kv (generate credentials into Vault, or the
// development-only local store), publish:github:pull-request (one commit,
// one pull request, on GitHub or in a local git repository).
//
// The feature (commands, runs and their jobs, previews, approvals, template
// sources, wiring, config) is this package; its parts, which never import
// it, are beside it: expr (the ${{ }} expression language), forms (the
// parameters: chat form, checks, typed values), template (the template
// model: load, hash, check, diff), skeleton (rendering a skeleton folder)
// and actions (the steps).
//
// Outside systems are reached through the interfaces declared here
// (Publisher, SecretStore, GitHubFiles, Catalog). cmd/platbot builds
// each outside client once and adapts it: the GitOps publisher
// (integrations/gitops), the GitHub client; wiring.go puts the secret store
// over the injected Vault client or development store.
package paths

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
	"github.com/platbot/platbot/store"
)

// Record kinds and job kinds.
const (
	KindRun      = "paths.run"
	KindApproval = "paths.template"
	KindVersion  = "paths.template.version"
	KindPreview  = "paths.preview"
	JobStep      = "paths.step"
	// JobPreviewExpire deletes a dry run's stored submission once it expired.
	JobPreviewExpire = "paths.preview.expire"
	// ActionPrefix is the prefix of the feature's buttons (Retry, Create it).
	ActionPrefix = "paths"
)

// Catalog is what the feature reads from the software catalog.
type Catalog interface {
	// List returns the entities of a kind.
	List(kind string) []*catalog.Entity
	// Identify resolves a chat user to their catalog identity.
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
}

// Deps are the feature's dependencies.
type Deps struct {
	// Store keeps runs, template approvals and versions, and previews.
	Store   store.Records
	Catalog Catalog
	// Publisher opens the GitOps pull requests (GitHub or local git).
	Publisher Publisher
	// Secrets stores generated credentials (Vault or the local development store).
	Secrets SecretStore
	// Placer places the new environments golden paths add (the placement
	// feature, adapted by cmd/platbot); nil refuses those steps.
	Placer actions.Placer
	Logger *slog.Logger
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// Templates overrides how templates are found (tests); by default they
	// are read from Config.TemplatesDir and the catalog's Template entities.
	Templates TemplateSource
	// GitHub, when set, reads templates that the catalog found in GitHub
	// locations (with their skeletons) from their repositories.
	GitHub GitHubFiles
	// Repos creates repositories (publish:github) and opens pull requests
	// in the repository a step's repoUrl names; nil refuses those steps.
	Repos actions.Repositories
	// Locations registers catalog locations by URL (catalog:register with
	// catalogInfoUrl or repoContentsUrl); nil refuses those steps.
	Locations actions.CatalogLocations
	// PublishPolicy decides where a template may publish; nil means
	// actions.TeamPolicy over Catalog, with the admin groups of the
	// catalog's configuration when Catalog has one.
	PublishPolicy actions.PublishPolicy
	// GitHubHost is the host repoUrl must name (default github.com).
	GitHubHost string
	// GitOpsFiles reads the GitOps repository's base branch (the GitOps
	// publisher), for actions that build on its files; nil refuses them.
	GitOpsFiles actions.GitOpsFiles
	// Explain, when set, phrases a failed step's cause for people when an
	// outside system it needs is down ("GitHub is down since 10:42 UTC
	// (owned by #platform)"), as the router does for a command's error;
	// "" keeps the cause's own words. cmd/platbot wires the status
	// feature's (commands/status).
	Explain func(ctx context.Context, err error) string
}

// Publisher opens GitOps pull requests (GitHub, or a local git repository);
// the publish:github:pull-request step uses it (see actions.Publisher).
type Publisher = actions.Publisher

// Change is one pull request's content.
type Change = actions.Change

// PullRequest is an opened pull request.
type PullRequest = actions.PullRequest

// SecretStore keeps generated credentials (Vault, or the local
// development-only store); the vault:kv step uses it (see
// actions.SecretStore).
type SecretStore = actions.SecretStore

// Errors a SecretStore returns (wrapped).
var (
	ErrSecretExists      = actions.ErrSecretExists
	ErrSecretUnavailable = actions.ErrSecretUnavailable
)

// GitHubFiles reads files and folders from GitHub repositories; cmd/platbot
// adapts the one GitHub client (integrations/github) to it. With it,
// templates delivered by GitHub catalog locations are read, skeleton
// included, from their repository (template.LoadGitHub).
type GitHubFiles = template.GitHubFiles

// DirEntry is one item of a GitHubFiles folder listing.
type DirEntry = template.DirEntry

// Paths is the golden-path feature.
type Paths struct {
	cfg     Config
	store   store.Records
	catalog Catalog
	pub     Publisher
	secrets SecretStore
	log     *slog.Logger
	now     func() time.Time
	source  TemplateSource
	actions map[string]actions.Action
	// tmpl renders the ${{ }} of step inputs, names, conditions and links.
	tmpl *templating.Engine
	// approvals are the templates' approvals (record KindApproval).
	approvals *approval.Flow[templateApproval]

	router *bot.Router
	// explain is Deps.Explain (nil: causes are shown as they are).
	explain func(ctx context.Context, err error) string

	// githubHost is Deps.GitHubHost; gitopsFiles reads the GitOps
	// repository and repoFiles other repositories (Deps.Repos when it
	// reads files, else Deps.GitHub; nil: neither), for lineage and
	// upgrades.
	githubHost  string
	gitopsFiles actions.GitOpsFiles
	repoFiles   func(ctx context.Context, owner, repo, path string) ([]byte, error)
	// repoDirs lists a folder of another repository (Deps.Repos when it
	// lists folders, else Deps.GitHub; nil: neither).
	repoDirs func(ctx context.Context, owner, repo, dir string) ([]string, error)
	repos    actions.Repositories

	mu       sync.RWMutex
	state    *templateState
	loadedAt time.Time
	loading  bool
	// reloads counts the reloads started; installed is the number of the
	// one whose state is installed (see Reload).
	reloads, installed uint64
}

var _ bot.Feature = (*Paths)(nil)

// New returns the feature; install it with bot.Registry.Install (or call
// Register) to add its commands to a router.
func New(cfg Config, deps Deps) (*Paths, error) {
	if deps.Store == nil || deps.Catalog == nil || deps.Publisher == nil || deps.Secrets == nil {
		return nil, errors.New("paths: Store, Catalog, Publisher and Secrets are required")
	}
	cfg.applyDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	p := &Paths{
		cfg: cfg, store: deps.Store, catalog: deps.Catalog, pub: deps.Publisher, secrets: deps.Secrets,
		log: deps.Logger.With("feature", "paths"), now: deps.Now, source: deps.Templates, explain: deps.Explain,
		state: &templateState{}, githubHost: deps.GitHubHost, gitopsFiles: deps.GitOpsFiles, repos: deps.Repos,
	}
	if r, ok := deps.Repos.(interface {
		ReadFile(ctx context.Context, owner, repo, path string) ([]byte, error)
	}); ok {
		p.repoFiles = r.ReadFile
	} else if deps.GitHub != nil {
		p.repoFiles = func(ctx context.Context, owner, repo, path string) ([]byte, error) {
			return deps.GitHub.GetFile(ctx, owner, repo, path, "")
		}
	}
	if r, ok := deps.Repos.(interface {
		ListDir(ctx context.Context, owner, repo, dir string) ([]string, error)
	}); ok {
		p.repoDirs = r.ListDir
	} else if deps.GitHub != nil {
		p.repoDirs = func(ctx context.Context, owner, repo, dir string) ([]string, error) {
			ents, err := deps.GitHub.ListDir(ctx, owner, repo, dir, "")
			names := make([]string, len(ents))
			for i, e := range ents {
				names[i] = path.Base(e.Path)
			}
			return names, err
		}
	}
	flow, err := approval.New(templateApprovalConfig(), approval.Deps{Store: deps.Store, Logger: p.log, Now: p.now})
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	p.approvals = flow
	if p.source == nil {
		p.source = &defaultSource{dir: cfg.TemplatesDir, catalog: deps.Catalog, github: deps.GitHub}
	}
	p.tmpl = template.Engines.Std
	ad := actions.Deps{
		Catalog: deps.Catalog, Publisher: deps.Publisher, Secrets: deps.Secrets, Labels: cfg.Labels,
		Engines: template.Engines, Placer: deps.Placer,
		Vault: actions.VaultNames{Role: cfg.Vault.RolePattern, Policy: cfg.Vault.PolicyPattern, Namespace: cfg.Vault.NamespacePattern},
		Repos: deps.Repos, Locations: deps.Locations, Policy: publishPolicy(deps), GitHubHost: deps.GitHubHost, Logger: p.log,
		GitHub: deps.GitHub, GitOpsFiles: deps.GitOpsFiles, Records: deps.Store,
	}
	p.actions = actions.New(ad)
	for name, a := range golden.Actions(ad) {
		p.actions[name] = a
	}
	return p, nil
}

// publishPolicy is deps.PublishPolicy, else the team rule over the catalog.
func publishPolicy(deps Deps) actions.PublishPolicy {
	if deps.PublishPolicy != nil {
		return deps.PublishPolicy
	}
	admins := []string{catalog.DefaultAdminGroup}
	if c, ok := deps.Catalog.(interface{ Config() catalog.Config }); ok {
		admins = c.Config().AdminGroups
	}
	return actions.TeamPolicy{Catalog: deps.Catalog, AdminGroups: admins}
}

// Name is the feature's name.
func (p *Paths) Name() string { return "paths" }

// Register adds the feature's commands, dynamic template commands, buttons
// and step jobs, keeps the router (jobs, policy, audit, messengers) and
// loads the templates.
func (p *Paths) Register(reg *bot.Registry) error {
	p.router = reg.Router()
	p.approvals.SetRouter(p.router)
	reg.Commands(p.commands()...)
	reg.CommandSource(p.templateCommands)
	reg.Action(ActionPrefix, p.handleAction)
	reg.Job(JobStep, p.runStepJob)
	reg.Job(JobPreviewExpire, p.expirePreviewJob)
	reg.Job(JobLineageRestore, p.restoreLineageJob)
	reg.HomeSection(bot.HomeSection{Order: 20, Build: p.homeSection, Summary: p.homeSummary})
	reg.HomeSection(bot.HomeSection{Order: 32, Build: p.templatesSection, Summary: p.templatesSummary})
	reg.Unfurler(p.unfurl)
	if err := p.Reload(context.Background()); err != nil {
		p.log.Error("load templates", "err", err)
	}
	return nil
}

// Resume re-enqueues the current step of every run that was interrupted
// (by a crash or a restart), posts the progress message of a run that has
// none yet, prunes expired previews and reloads the templates. Call it once the
// transports' messengers are bound.
func (p *Paths) Resume(ctx context.Context) error {
	if p.router == nil {
		return errors.New("paths: Resume before Register")
	}
	if err := p.Reload(ctx); err != nil {
		p.log.Error("load templates", "err", err)
	}
	if n, err := p.prunePreviews(ctx); err != nil {
		p.log.Warn("resume: prune expired previews", "err", err)
	} else if n > 0 {
		p.log.Info("pruned expired previews", "count", n)
	}
	if err := p.enqueueLineageRestore(ctx); err != nil {
		p.log.Warn("resume: read lineage back from the repositories", "err", err)
	}
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, States: []string{RunRunning}})
	if err != nil {
		return fmt.Errorf("paths: resume: %w", err)
	}
	for _, rec := range recs {
		run, err := decodeRun(&rec)
		if err != nil {
			p.log.Error("resume: bad run record", "run", rec.ID, "err", err)
			continue
		}
		if run.Progress.Zero() {
			if err := p.postProgress(ctx, run); err != nil {
				p.log.Warn("resume: post progress", "run", run.ID, "err", err)
			}
		}
		if err := p.enqueueStep(ctx, run); err != nil {
			return fmt.Errorf("paths: resume run %s: %w", run.ID, err)
		}
		p.log.Info("resumed run", "run", run.ID, "template", run.Template, "step", run.current())
	}
	return nil
}

func (p *Paths) auditEvent(ctx context.Context, ev store.Event) {
	if p.router == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = p.now()
	}
	p.router.Audit(ctx, ev)
}

// identify resolves a user; an unknown user gets an empty identity.
func (p *Paths) identify(ctx context.Context, u bot.User) *catalog.Identity {
	id, err := p.catalog.Identify(ctx, u)
	if err != nil || id == nil {
		if err != nil {
			p.log.Debug("identify", "user", u.ID, "err", err)
		}
		return &catalog.Identity{}
	}
	return id
}
