package main

// One build function per feature: decode its section of platbot.yaml into
// its typed Config, apply the environment and the defaults that depend on
// other sections, and construct it over the shared clients (clients.go).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/core"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/gitopsstatus"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/placement"
	"github.com/platbot/platbot/commands/placement/place"
	"github.com/platbot/platbot/commands/scorecard"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/secrets"
	exampleplacement "github.com/platbot/platbot/examples/placement"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/pagerduty"

	"k8s.io/client-go/dynamic"
)

// buildCore wires ping and help.
func (f *features) buildCore(app *App) error {
	var err error
	f.core, err = core.New(core.DefaultConfig(), core.Deps{})
	return err
}

// buildCost wires cost reports and alerts: OpenCost and Prometheus when
// configured (OPENCOST_URL and PROMETHEUS_URL override the section), else
// the example data.
func (f *features) buildCost(app *App) error {
	cfg, log := app.Cfg, app.Log
	cc := cost.DefaultConfig()
	if err := cfg.Feature("cost", &cc); err != nil {
		return err
	}
	if cfg.OpenCostURL != "" {
		cc.OpenCost.URL = cfg.OpenCostURL
	}
	if cfg.PrometheusURL != "" {
		cc.Prometheus.URL = cfg.PrometheusURL
	}
	if cc.PlatformChannel == "" {
		cc.PlatformChannel = f.adminChannel()
	}
	examples := os.DirFS("examples/cost")
	src, desc, err := cost.NewSource(cc, examples, nil)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "cost", Msg: err.Error()}
	}
	log.Debug("cost data source", "source", desc)
	reqs, err := cost.NewRequestCounter(cc, examples)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "cost.prometheus", Msg: err.Error()}
	}
	src, reqs = namedCostSources(cc, src, reqs)
	if f.cost, err = cost.New(cc, cost.Deps{
		Source: src, Catalog: f.catalog, Store: app.Store, Requests: reqs, Problems: f.catalog, Logger: log,
	}); err != nil {
		return &ConfigError{File: cfg.path, Key: "cost", Msg: err.Error()}
	}
	return nil
}

// buildScorecards wires the scorecard feature. With no outside system
// configured (the shell default) facts come from examples/scorecard; with
// any configured, each fact source is the real system or "unknown".
func (f *features) buildScorecards(app *App) error {
	cfg := app.Cfg
	var sc scorecard.Config
	if err := cfg.Feature("scorecard", &sc); err != nil {
		return err
	}
	// Unset channels default to the platform team's own channel (the admin
	// group's slack.com/channel annotation), so waivers and the org digest
	// have somewhere to go out of the box.
	if ch := f.adminChannel(); ch != "" {
		if sc.AdminChannel == "" {
			sc.AdminChannel = ch
		}
		if sc.PlatformChannel == "" {
			sc.PlatformChannel = ch
		}
	}
	var providers facts.Providers
	var kubeReader *kube.FactsReader
	if rc, where, err := kubeRESTConfig(cfg.Kube.Kubeconfig); err != nil {
		return &ConfigError{File: cfg.path, Key: "kube.kubeconfig", Msg: err.Error()}
	} else if rc != nil {
		app.Log.Debug("scorecard cluster facts", "from", where)
		dyn, err := dynamic.NewForConfig(rc)
		if err != nil {
			return fmt.Errorf("kubernetes dynamic client: %w", err)
		}
		kubeReader = kube.NewFactsReader(dyn)
	}
	var pd *pagerduty.Client
	if cfg.PagerDuty.Token != "" {
		var err error
		if pd, err = pagerduty.New(cfg.PagerDuty.APIURL, cfg.PagerDuty.Token, nil); err != nil {
			return &ConfigError{File: cfg.path, Key: "pagerduty", Msg: err.Error()}
		}
	}
	if f.gh == nil && pd == nil && kubeReader == nil {
		ef, err := facts.LoadExampleFacts("examples/scorecard/facts.yaml", nil)
		if err != nil {
			return fmt.Errorf("scorecard example facts: %w", err)
		}
		providers = ef.Providers()
	} else {
		if f.gh != nil {
			providers.Repo = facts.NewGitHubRepoProvider(f.gh)
		}
		if pd != nil {
			providers.OnCall = facts.NewPagerDutyProvider(pd)
		}
		var ghDeploys facts.GitHubDeployments
		if f.gh != nil {
			ghDeploys = f.gh
		}
		var argo facts.ArgoSyncs
		if kubeReader != nil {
			argo = kubeReader
			providers.Vulns = facts.NewTrivyProvider(kubeReader)
		}
		providers.Deploys = facts.NewDeployProvider(ghDeploys, argo, sc.Facts.DeployEnvironment)
	}
	if f.argocd != nil {
		// Argo CD's watched history first, for the services it deploys: of
		// the configured deployEnvironment's Application (sc is not yet
		// defaulted, so "" means not configured: the production
		// environments count, gitopsstatus.Feature.LastDeployedAt).
		providers.Deploys = facts.NewLiveDeployProvider(f.argocd, sc.Facts.DeployEnvironment, providers.Deploys)
	}
	f.deploys = providers.Deploys // catalog hygiene's last deploys too
	deps := scorecard.Deps{
		Catalog: f.catalog, Store: app.Store, Providers: providers,
		WebhookSecret: cfg.GitHub.WebhookSecret, Cost: f.cost, Logger: app.Log,
		Sections: []scorecard.DigestContributor{pathsDrift{f: f}},
	}
	if f.gh != nil {
		deps.GitHub = f.gh
	}
	var err error
	if f.score, err = scorecard.New(sc, deps); err != nil {
		return &ConfigError{File: cfg.path, Key: "scorecard", Msg: err.Error()}
	}
	return nil
}

// buildPaths wires the golden paths over the shared clients.
func (f *features) buildPaths(app *App) error {
	cfg, pc := app.Cfg, f.pathsCfg
	pc.DataDir = cfg.DataDir
	if cfg.Demo.on {
		pc.DemoApproveDir = demoTemplatesDir
	}
	if pc.Vault.Mount == "" {
		pc.Vault.Mount = cfg.Vault.KVMount
	}
	sec, err := paths.NewSecretStore(pc, f.vault, f.dev, app.Log)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "vault", Msg: err.Error()}
	}
	if f.vault != nil {
		sec = vaultSecretStore{sec} // Vault's outages named (status_wrap.go)
	}
	deps := paths.Deps{Store: app.Store, Catalog: f.catalog, Publisher: pathsPublisher{f.gitops}, Secrets: sec, Logger: app.Log, GitOpsFiles: f.gitops}
	// A run's step failing on an integration that is down says so, as a
	// command's error does (the status feature is built last; explainError
	// asks it when a step fails).
	deps.Explain = f.explainError
	if f.gh != nil {
		deps.GitHub = pathsGitHubFiles{f.gh}
	}
	// publish:github and repoUrl pull requests: GitHub when a token is
	// configured, else local git repositories in the data folder.
	deps.GitHubHost = f.catalog.Config().GitHubHost
	// catalog:register with a URL adds a catalog location of the run's team.
	deps.Locations = f.catalog
	// New environments are placed by the placement feature (built after this one).
	deps.Placer = pathsPlacer{envs: func() (*placement.Environments, error) {
		if f.placement == nil {
			return nil, errors.New("placement is not configured on this platbot")
		}
		return f.placement.Environments(), nil
	}}
	if f.gh != nil && cfg.GitHub.Token != "" {
		deps.Repos = pathsRepositories{r: gitops.GitHubRepositories(f.gh), webBase: "https://" + deps.GitHubHost}
	} else {
		// Absolute, so that the repositories' file:// addresses are.
		dir := absDir(filepath.Join(cfg.DataDir, "repos"))
		deps.Repos = pathsRepositories{r: gitops.LocalRepositories(dir), webBase: dir}
	}
	if f.paths, err = paths.New(pc, deps); err != nil {
		return &ConfigError{File: cfg.path, Key: "paths", Msg: err.Error()}
	}
	return nil
}

// buildAccess wires prod access when the access section configures
// environments; without one the commands explain how to turn it on.
func (f *features) buildAccess(app *App) error {
	cfg := app.Cfg
	if cfg.Access.Kind == 0 && cfg.Demo.on {
		return f.buildDemoAccess(app)
	}
	if cfg.Access.Kind == 0 {
		return nil // list installs accessOff
	}
	acfg := access.DefaultConfig()
	if err := cfg.Feature("access", &acfg); err != nil {
		return err
	}
	if err := acfg.Validate(); err != nil {
		return &ConfigError{File: cfg.path, Key: "access", Line: cfg.Access.Line, Msg: err.Error()}
	}
	if acfg.Kubeconfig == "" {
		acfg.Kubeconfig = cfg.Kube.Kubeconfig
	}
	issuers, err := kubeIssuers(acfg, app.Log)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "access.environments", Msg: err.Error()}
	}
	issuers = namedIssuers(acfg, issuers)
	if f.access, err = access.New(acfg, access.Deps{Store: app.Store, Catalog: f.catalog, Issuers: issuers, Logger: app.Log}); err != nil {
		return &ConfigError{File: cfg.path, Key: "access", Msg: err.Error()}
	}
	return nil
}

const accessHelp = "Prod access is not configured on this platbot: an admin adds an `access` section " +
	"(environments with their kube contexts, levels, approval channels — see examples/access/platbot.yaml) " +
	"and KUBECONFIG, then restarts it."

// accessOff is the access feature of a platbot without an access section:
// its commands and buttons say how to turn it on.
type accessOff struct{}

func (accessOff) Name() string                 { return "access" }
func (accessOff) Resume(context.Context) error { return nil }

func (accessOff) Register(reg *bot.Registry) error {
	reg.Commands(accessNotConfigured()...)
	reg.Action("access", func(ctx context.Context, req *bot.Request, a bot.Action) error {
		return req.Reply(ctx, bot.Message{Text: accessHelp})
	})
	return nil
}

// accessNotConfigured are accessOff's commands.
func accessNotConfigured() []*bot.Command {
	explain := func(ctx context.Context, req *bot.Request) error {
		return req.Reply(ctx, bot.Message{Text: accessHelp})
	}
	return []*bot.Command{
		{Name: "access", Usage: "<service> [env] [--break-glass]", Summary: "request short-lived prod access (not configured here)", Action: bot.ActionRead, BoolFlags: []string{"break-glass"}, Handle: explain},
		{Name: "access list", Summary: "your active and recent grants (not configured here)", Action: bot.ActionRead, Handle: explain},
	}
}

// buildSecrets wires self-service secrets over the shared clients: Vault
// transit + KV when VAULT_ADDR is set, else the development-only store and
// a local sealing key; pull requests and manifests through the GitOps
// publisher.
func (f *features) buildSecrets(app *App) error {
	cfg := app.Cfg
	def := secrets.DefaultConfig()
	scfg := def
	if err := cfg.Feature("secrets", &scfg); err != nil {
		return err
	}
	if scfg.PublicURL == def.PublicURL {
		// Not configured: links point at this machine's listen port, which
		// is right for the shell and a laptop; serve says so.
		port := "8080"
		if _, p, err := net.SplitHostPort(cfg.Addr); err == nil && p != "" && p != "0" {
			port = p
		}
		scfg.PublicURL = "http://localhost:" + port
		if ok, _ := cfg.SlackConfigured(); ok {
			app.Log.Warn("secrets.publicURL is not set: one-time secret links point at " + scfg.PublicURL + ", which only works on this machine")
		}
	}
	scfg.DataDir = cfg.DataDir
	if len(cfg.TrustedProxies) > 0 {
		scfg.TrustedProxies = cfg.TrustedProxies
	}
	if scfg.KVMount == "" {
		scfg.KVMount = cfg.Vault.KVMount
	}
	kv, sealer, err := secrets.NewBackends(scfg, f.vault, f.dev, app.Log)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "secrets", Msg: err.Error()}
	}
	if f.vault != nil {
		// Vault's outages named (status_wrap.go).
		kv, sealer = vaultKV{kv}, vaultSealer{sealer}
	}
	if f.secrets, err = secrets.New(scfg, secrets.Deps{
		Store: app.Store, Catalog: f.catalog, KV: kv, Sealer: sealer, Publisher: secretsPublisher{f.gitops}, Files: f.gitops, Logger: app.Log,
		Metrics: app.Registry,
	}); err != nil {
		return &ConfigError{File: cfg.path, Key: "secrets", Msg: err.Error()}
	}
	return nil
}

// buildPlacement wires multi-cluster placement from the placement section;
// in demo mode (the shell's default) without one, from the embedded
// example (examples/placement/placement.yaml). Moves open pull requests
// through the shared GitOps publisher, which also reads the Applications
// already there. Without clusters the commands say how to configure it.
func (f *features) buildPlacement(app *App) error {
	cfg := app.Cfg
	pc, err := placementConfig(app)
	if err != nil {
		return err
	}
	if pc.ApprovalChannel == "" {
		pc.ApprovalChannel = f.adminChannel()
	}
	deps := placement.Deps{
		Catalog: f.catalog, Store: app.Store, Publisher: placementPublisher{f.gitops}, Files: f.gitops, Policy: f.policy, Logger: app.Log,
	}
	if f.argoLive != nil {
		deps.Status = argoStatus{f.argoLive}
	}
	if f.placement, err = placement.New(pc, deps); err != nil {
		var pe *place.Error
		if errors.As(err, &pe) {
			return &ConfigError{File: pe.File, Line: pe.Line, Key: "placement", Msg: pe.Msg}
		}
		var ke *placement.KeyError
		if errors.As(err, &ke) {
			return &ConfigError{File: cfg.path, Line: placement.KeyLine(&cfg.Placement, ke.Key, ke.Index), Key: "placement", Msg: ke.Msg}
		}
		return &ConfigError{File: cfg.path, Key: "placement", Msg: err.Error()}
	}
	return nil
}

// placementConfig is the placement section over its defaults; in demo
// mode without one, the embedded example. Argo CD's notices read its
// production rule too.
func placementConfig(app *App) (placement.Config, error) {
	cfg := app.Cfg
	pc := placement.DefaultConfig()
	if err := cfg.Feature("placement", &pc); err != nil {
		return pc, err
	}
	pc.File = cfg.path
	if cfg.Placement.Kind == 0 && cfg.Demo.on {
		var err error
		if pc, err = placement.LoadFile(exampleplacement.Config, exampleplacement.File); err != nil {
			return pc, fmt.Errorf("demo mode: %w", err)
		}
	}
	return pc, nil
}

// adminChannel is the Slack channel of the first admin group that names one
// (annotation slack.com/channel), "" when none does.
func (f *features) adminChannel() string {
	for _, g := range f.catalog.Config().AdminGroups {
		if e, ok := f.catalog.Lookup(g, catalog.KindGroup); ok {
			if ch := e.Annotation(catalog.AnnotationSlackChannel); ch != "" {
				return ch
			}
		}
	}
	return ""
}

// buildArgoCD wires Argo CD's live status when the argocd section lists
// control planes: one dynamic informer per kubeconfig context (the
// section's kubeconfig, else kube.kubeconfig, else $KUBECONFIG), started
// when the features resume. Without control planes nothing is built.
func (f *features) buildArgoCD(app *App) error {
	cfg := app.Cfg
	var ac gitopsstatus.Config
	if err := cfg.Feature("argocd", &ac); err != nil {
		return err
	}
	if !ac.Enabled() {
		return nil
	}
	if _, _, err := ac.Validate(); err != nil {
		return &ConfigError{File: cfg.path, Key: "argocd", Line: cfg.ArgoCD.Line, Msg: err.Error()}
	}
	if ac.Kubeconfig == "" {
		ac.Kubeconfig = cfg.Kube.Kubeconfig
	}
	if ac.Channel == "" {
		ac.Channel = f.adminChannel()
	}
	planes := make([]argocd.ControlPlane, 0, len(ac.ControlPlanes))
	for i, p := range ac.ControlPlanes {
		rc, err := kubeContextConfig(ac.Kubeconfig, p.Context)
		if err != nil {
			return &ConfigError{File: cfg.path, Key: fmt.Sprintf("argocd.controlPlanes[%d].context", i), Msg: err.Error()}
		}
		rc.UserAgent = "platbot-argocd"
		dyn, err := dynamic.NewForConfig(rc)
		if err != nil {
			return fmt.Errorf("argocd: dynamic client for context %q: %w", p.Context, err)
		}
		planes = append(planes, argocd.ControlPlane{Context: p.Context, Client: dyn, Namespace: p.Namespace, UIURL: p.UIURL})
	}
	w, err := argocd.NewWatcher(planes, argocd.Options{Logger: app.Log})
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "argocd", Msg: err.Error()}
	}
	// Production is what the placement section calls production
	// (placement.production), so moves and notices agree.
	pc, err := placementConfig(app)
	if err != nil {
		return err
	}
	feat, err := gitopsstatus.New(ac, gitopsstatus.Deps{
		Live: w, Catalog: f.catalog, Store: app.Store, Start: w.Run, Logger: app.Log, Production: pc.IsProduction,
	})
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "argocd", Msg: err.Error()}
	}
	f.argocd, f.argoLive = feat, w
	f.catalog.AddCardSection(feat)
	return nil
}
