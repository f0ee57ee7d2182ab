package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/core"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/gitopsstatus"
	"github.com/platbot/platbot/commands/home"
	"github.com/platbot/platbot/commands/hygiene"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/placement"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/commands/scorecard"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/secrets"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/integrations/vault"
)

// features are the wired feature packages. Each is built by one function
// (build.go) from its own configuration section and the outside-system
// clients built once in clients.go, and all of them are installed as one
// list of bot.Feature values (register).
type features struct {
	catalog *catalog.Catalog
	policy  *policy.Engine
	core    *core.Core
	cost    *cost.Costs
	score   *scorecard.Scorecards
	paths   *paths.Paths
	access  *access.Access // nil when no access section configures it
	secrets *secrets.Secrets
	// placement decides which cluster each environment runs on.
	placement *placement.Placement
	// argocd is Argo CD's live status in chat, over argoLive; both nil
	// when no argocd section lists control planes.
	argocd   *gitopsstatus.Feature
	argoLive *argocd.Watcher
	// hygiene is catalog hygiene (hygiene.go); deploys the scorecard's
	// deploy facts, which it reads too.
	hygiene *hygiene.Hygiene
	deploys facts.DeployProvider
	// status is the integrations' health and owners (/plat status), built
	// last, over every other client (status.go).
	status *status.Feature
	// home is the App Home and the service summaries' facts (home.go).
	home *home.Home
	// pathsCfg is the paths section, decoded once: its gitOpsBase,
	// gitHubAPIURL and vault.addr also shape the shared clients.
	pathsCfg paths.Config

	// The outside systems' clients, each built once from the configuration
	// and handed to every feature that uses it (clients.go).
	gh     *github.Client    // GitHub, when a token or API URL is configured
	gitops *gitops.Publisher // the GitOps repository: GitHub or local git
	vault  *vault.Client     // Vault, when VAULT_ADDR is set
	dev    *devsecrets.Store // the development-only secret store, without Vault
}

// newFeatures builds the GitHub client and the two shared features the
// router itself depends on: the catalog (who is whom, who owns what) and
// the policy engine. The rest are built in register.
func newFeatures(ctx context.Context, app *App) (*features, error) {
	cfg, log := app.Cfg, app.Log
	f := &features{}
	if err := cfg.Feature("paths", &f.pathsCfg); err != nil {
		return nil, err
	}
	// The one GitHub client: catalog locations, template files, scorecard
	// facts and the GitOps pull requests all go through it.
	apiURL := cfg.GitHub.APIURL
	if apiURL == "" {
		apiURL = f.pathsCfg.GitHubAPIURL
	}
	var err error
	if cfg.GitHub.Token != "" || apiURL != "" {
		if f.gh, err = github.New(apiURL, cfg.GitHub.Token, nil); err != nil {
			return nil, fmt.Errorf("github client: %w", err)
		}
	}

	ccfg, err := catalogConfig(cfg)
	if err != nil {
		return nil, err
	}
	if ccfg.GitHubHost == "" {
		// GitHub URLs in locations must name the GitHub platbot talks to.
		ccfg.GitHubHost = catalog.GitHubHostFor(apiURL)
	}
	if err := ccfg.Validate(); err != nil {
		return nil, &ConfigError{File: cfg.path, Key: "catalog", Msg: err.Error()}
	}
	// Every change of identity or authority a refresh sees is audited.
	opts := []catalog.Option{catalog.WithLogger(log), catalog.WithSnapshots(catalog.RecordSnapshots{Records: app.Store}), catalog.WithAuditor(app.Store)}
	if f.gh != nil {
		opts = append(opts, catalog.WithGitHub(f.gh))
	}
	if f.catalog, err = catalog.Load(ctx, ccfg, opts...); err != nil {
		if f.catalog == nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		// The catalog is empty but usable; the refresher may fill it later.
		log.Warn("catalog: nothing could be loaded; serving an empty catalog until a refresh succeeds "+
			"(run platbot from the repository root for the examples, or set PLATBOT_CATALOG)", "err", err)
	}

	pcfg := policy.DefaultConfig()
	if err := cfg.Feature("policy", &pcfg); err != nil {
		return nil, err
	}
	if f.policy, err = policy.New(pcfg, f.catalog, app.Store, policy.WithLogger(log)); err != nil {
		return nil, &ConfigError{File: cfg.path, Key: "policy", Msg: err.Error()}
	}

	return f, nil
}

// routerOptions are what the features contribute to the router.
func (f *features) routerOptions(o *bot.RouterOptions) {
	o.Policy = f.policy
	o.PolicyAudits = true
	o.Denial = policy.DenialMessage
	o.ExplainError = f.explainError
}

// register builds the remaining features over the shared clients and
// installs every feature, in the order their Start and Resume run: the
// catalog first (a restored snapshot is refreshed before anything reads
// it), then the rest.
func (f *features) register(ctx context.Context, app *App) error {
	if err := f.buildClients(ctx, app); err != nil {
		return err
	}
	for _, build := range []func(*App) error{f.buildCore, f.buildCost, f.buildArgoCD, f.buildScorecards, f.buildPaths, f.buildAccess, f.buildSecrets, f.buildPlacement, f.buildHygiene, f.buildStatus, f.buildHome} {
		if err := build(app); err != nil {
			return err
		}
	}
	// One Install for the whole list: a schedule may name a job another
	// feature handles. Its errors start with the feature's name, which is
	// the configuration section to look at.
	reg := bot.NewRegistry(app.Router, app.Sched)
	if err := reg.Install(f.list()...); err != nil {
		key, msg, ok := strings.Cut(err.Error(), ": ")
		if !ok || strings.ContainsAny(key, " \n") {
			key, msg = "", err.Error()
		}
		return &ConfigError{File: app.Cfg.path, Key: key, Msg: msg}
	}
	app.startup = append(app.startup, reg.Start)
	app.resume = reg.Resume
	return nil
}

// list is every feature, in installation order.
func (f *features) list() []bot.Feature {
	var acc bot.Feature = accessOff{}
	if f.access != nil {
		acc = f.access
	}
	list := []bot.Feature{f.catalog, f.policy, f.core, f.cost, f.score, f.paths, acc, f.secrets, f.placement, f.hygiene, f.home}
	if f.argocd != nil {
		list = append(list, f.argocd)
	}
	if f.status != nil {
		list = append(list, f.status)
	}
	return list
}
