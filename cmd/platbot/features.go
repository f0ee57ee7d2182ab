package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/commands/scorecard"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/secrets"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/pagerduty"
	"github.com/platbot/platbot/integrations/vault"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// features are the wired feature packages.
type features struct {
	catalog *catalog.Catalog
	policy  *policy.Engine
	cost    *cost.Costs
	costCfg cost.Config
	score   *scorecard.Scorecards
	paths   *paths.Paths
	access  *access.Access
	secrets *secrets.Secrets
	// pathsCfg is the paths section, decoded once: its gitops_base,
	// github_api_url and vault.addr also shape the shared clients.
	pathsCfg paths.Config

	// The outside systems' clients, each built once from the configuration
	// and handed to every feature that uses it (see buildClients).
	gh     *github.Client    // GitHub, when a token or API URL is configured
	gitops *gitops.Publisher // the GitOps repository: GitHub or local git
	vault  *vault.Client     // Vault, when VAULT_ADDR is set
	dev    *devsecrets.Store // the development-only secret store, without Vault
}

// newFeatures builds the features that the router itself depends on (the
// catalog and the policy engine); the rest are built in register.
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
		ccfg.GitHubHost = catalog.GitHubHostFor(cfg.GitHub.APIURL)
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

	f.costCfg = cost.Config{}
	if err := cfg.Feature("cost", &f.costCfg); err != nil {
		return nil, err
	}
	if cfg.OpenCostURL != "" {
		f.costCfg.OpenCost.URL = cfg.OpenCostURL
	}
	if cfg.PrometheusURL != "" {
		f.costCfg.Prometheus.URL = cfg.PrometheusURL
	}
	return f, nil
}

// routerOptions are what the features contribute to the router.
func (f *features) routerOptions(o *bot.RouterOptions) {
	o.Policy = f.policy
	o.PolicyAudits = true
	o.Denial = policy.DenialMessage
}

// register builds the remaining features and registers every command,
// button, job and schedule with the router.
func (f *features) register(ctx context.Context, app *App) error {
	r, s, cfg, log := app.Router, app.Sched, app.Cfg, app.Log
	r.Register(f.catalog.Commands()...)
	r.Register(f.policy.Commands()...)
	r.HandleJob(catalog.JobRefresh, f.catalog.RefreshJob)
	// A restart serves the saved snapshot at once; refresh it from the
	// locations before anything else starts, so edits made while the bot
	// was down show up now rather than at the next scheduled refresh.
	app.startup = append(app.startup, func(ctx context.Context) error {
		if !f.catalog.Restored() {
			return nil
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := f.catalog.Refresh(rctx); err != nil {
			log.Warn("catalog: refresh at start failed; serving the saved snapshot", "err", err)
		}
		return nil
	})
	if err := s.Every(f.catalog.Config().Refresh, nil, catalog.JobRefresh, nil); err != nil {
		return &ConfigError{File: cfg.path, Key: "catalog.refresh", Msg: err.Error()}
	}

	if f.costCfg.PlatformChannel == "" {
		f.costCfg.PlatformChannel = f.adminChannel()
	}
	examples := os.DirFS("examples/cost")
	src, desc, err := cost.NewSource(f.costCfg, examples, nil)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "cost", Msg: err.Error()}
	}
	log.Debug("cost data source", "source", desc)
	reqs, err := cost.NewRequestCounter(f.costCfg, examples)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "cost.prometheus", Msg: err.Error()}
	}
	if f.cost, err = cost.New(f.costCfg, cost.Deps{
		Source: src, Catalog: f.catalog, Store: app.Store, Requests: reqs, Problems: f.catalog, Logger: log,
	}); err != nil {
		return &ConfigError{File: cfg.path, Key: "cost", Msg: err.Error()}
	}
	if err := f.cost.Register(bot.NewRegistry(r, s)); err != nil {
		return &ConfigError{File: cfg.path, Key: "cost", Msg: err.Error()}
	}

	if err := f.buildScorecards(app); err != nil {
		return err
	}
	if err := bot.NewRegistry(r, s).Install(f.score); err != nil {
		return &ConfigError{File: cfg.path, Key: "scorecard", Msg: err.Error()}
	}

	if err := f.buildClients(ctx, app); err != nil {
		return err
	}
	if err := f.buildPaths(app); err != nil {
		return err
	}
	if err := bot.NewRegistry(r, s).Install(f.paths); err != nil {
		return &ConfigError{File: cfg.path, Key: "paths", Msg: err.Error()}
	}
	app.startup = append(app.startup, f.paths.Resume)

	if err := f.buildAccess(app); err != nil {
		return err
	}
	return f.buildSecrets(app)
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
	if f.secrets, err = secrets.New(scfg, secrets.Deps{
		Store: app.Store, Catalog: f.catalog, KV: kv, Sealer: sealer, Publisher: secretsPublisher{f.gitops}, Files: f.gitops, Logger: app.Log,
		Metrics: app.Registry,
	}); err != nil {
		return &ConfigError{File: cfg.path, Key: "secrets", Msg: err.Error()}
	}
	if err := bot.NewRegistry(app.Router, nil).Install(f.secrets); err != nil {
		return &ConfigError{File: cfg.path, Key: "secrets", Msg: err.Error()}
	}
	app.startup = append(app.startup, f.secrets.Resume)
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
		app.Router.Register(accessNotConfigured()...)
		app.Router.HandleAction("access", func(ctx context.Context, req *bot.Request, a bot.Action) error {
			return req.Reply(ctx, bot.Message{Text: accessHelp})
		})
		return nil
	}
	acfg, err := access.DecodeConfig(&cfg.Access)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "access", Line: cfg.Access.Line, Msg: err.Error()}
	}
	if acfg.Kubeconfig == "" {
		acfg.Kubeconfig = cfg.Kube.Kubeconfig
	}
	issuers, err := access.KubeIssuers(acfg, app.Log)
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "access.environments", Msg: err.Error()}
	}
	if f.access, err = access.New(acfg, access.Deps{Store: app.Store, Catalog: f.catalog, Issuers: issuers, Logger: app.Log}); err != nil {
		return &ConfigError{File: cfg.path, Key: "access", Msg: err.Error()}
	}
	if err := bot.NewRegistry(app.Router, nil).Install(f.access); err != nil {
		return err
	}
	app.startup = append(app.startup, f.access.Resume)
	return nil
}

const accessHelp = "Prod access is not configured on this platbot: an admin adds an `access` section " +
	"(environments with their kube contexts, levels, approval channels — see examples/access/platbot.yaml) " +
	"and KUBECONFIG, then restarts it."

// accessNotConfigured are the access commands of a platbot without an
// access section: they say how to turn the feature on.
func accessNotConfigured() []*bot.Command {
	explain := func(ctx context.Context, req *bot.Request) error {
		return req.Reply(ctx, bot.Message{Text: accessHelp})
	}
	return []*bot.Command{
		{Name: "access", Usage: "<service> [env] [--break-glass]", Summary: "request short-lived prod access (not configured here)", Action: bot.ActionRead, BoolFlags: []string{"break-glass"}, Handle: explain},
		{Name: "access list", Summary: "your active and recent grants (not configured here)", Action: bot.ActionRead, Handle: explain},
	}
}

// buildClients builds, once, the clients of the outside systems that golden
// paths, secrets and every later feature change things through: the GitOps
// publisher (GitHub owner/name through the one GitHub client, or a local git
// repository, by default <data_dir>/gitops) and the secret store (Vault, or
// the encrypted development-only store in the data folder).
func (f *features) buildClients(ctx context.Context, app *App) error {
	cfg, pc, log := app.Cfg, f.pathsCfg, app.Log
	if cfg.GitOpsRepo == "" {
		cfg.GitOpsRepo = filepath.Join(cfg.DataDir, "gitops")
	}
	target := cfg.GitOpsRepo
	if gitops.IsGitHubRepo(target) {
		if cfg.GitHub.Token == "" || f.gh == nil {
			return &ConfigError{File: cfg.path, Key: "gitops_repo", Msg: fmt.Sprintf(
				"PLATBOT_GITOPS_REPO=%s names a GitHub repository but GITHUB_TOKEN is not set", target)}
		}
		var err error
		if f.gitops, err = gitops.GitHub(f.gh, target, github.PullRequestOptions{Base: pc.GitOpsBase}); err != nil {
			return &ConfigError{File: cfg.path, Key: "gitops_repo", Msg: err.Error()}
		}
		log.Info("GitOps changes open pull requests on GitHub", "repo", target)
	} else {
		// One repository instance serves every feature, so their branches
		// and pull-request records never collide.
		if _, lerr := exec.LookPath("git"); lerr != nil {
			return &ConfigError{File: cfg.path, Key: "gitops_repo", Msg: fmt.Sprintf(
				"the GitOps target %q is a local folder, which needs git, and git is not installed: install git, or set PLATBOT_GITOPS_REPO=owner/name with GITHUB_TOKEN to open pull requests on GitHub", target)}
		}
		repo, err := gitlocal.Open(ctx, target, gitlocal.Options{Base: pc.GitOpsBase, Logger: log})
		if err != nil {
			return &ConfigError{File: cfg.path, Key: "gitops_repo", Msg: fmt.Sprintf("local GitOps repository %s: %v", target, err)}
		}
		f.gitops = gitops.Local(repo)
		log.Info("GitOps changes open pull requests as branches of a local git repository", "repo", repo.Dir())
	}

	addr := cfg.Vault.Addr
	if addr == "" {
		addr = pc.Vault.Addr
	}
	if addr != "" {
		if cfg.Vault.Addr == "" {
			// Only the paths section names Vault: it becomes the one address.
			cfg.Vault.Addr = addr
		}
		var err error
		if f.vault, err = cfg.vaultClient(log); err != nil {
			return &ConfigError{File: cfg.path, Key: "vault", Msg: err.Error()}
		}
		return nil
	}
	var err error
	if f.dev, err = devsecrets.Open(cfg.DataDir); err != nil {
		return &ConfigError{File: cfg.path, Key: "vault", Msg: err.Error()}
	}
	return nil
}

// vaultClient returns the one Vault client of this configuration (nil
// without vault.addr), built on first use from vault.addr, vault.token and
// VAULT_NAMESPACE: the audit chain key and the features share it.
func (c *Config) vaultClient(log *slog.Logger) (*vault.Client, error) {
	if c.vault != nil || c.Vault.Addr == "" {
		return c.vault, nil
	}
	vc, err := vault.New(vault.Config{Addr: c.Vault.Addr, Token: c.Vault.Token, Namespace: os.Getenv("VAULT_NAMESPACE"), Logger: log})
	if err != nil {
		return nil, err
	}
	c.vault = vc
	return vc, nil
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
	deps := paths.Deps{Store: app.Store, Catalog: f.catalog, Publisher: pathsPublisher{f.gitops}, Secrets: sec, Logger: app.Log}
	if f.gh != nil {
		deps.GitHub = pathsGitHubFiles{f.gh}
	}
	if f.paths, err = paths.New(pc, deps); err != nil {
		return &ConfigError{File: cfg.path, Key: "paths", Msg: err.Error()}
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
	deps := scorecard.Deps{
		Catalog: f.catalog, Store: app.Store, Providers: providers,
		WebhookSecret: cfg.GitHub.WebhookSecret, Cost: f.cost, Logger: app.Log,
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

// checkDefaults refuses to start on the built-in defaults away from the
// examples they read, before anything is created on disk.
func checkDefaults(cfg *Config) error {
	if cfg.path != "" {
		return nil
	}
	if _, err := os.Stat("examples"); err != nil {
		return fmt.Errorf("the embedded defaults (example catalog, templates, checks and cost data) live in the repository's examples/ folder, "+
			"which is not in %s: run platbot from the repository root, or give it a platbot.yaml (PLATBOT_CONFIG) naming your own catalog and data", mustWd())
	}
	return nil
}

func mustWd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "the current folder"
	}
	return wd
}

// kubeRESTConfig loads cluster access as kubectl does: the KUBECONFIG path
// list (merged), else the in-cluster config inside a pod. It returns nil
// when neither is there (the cluster facts are then "unknown").
func kubeRESTConfig(kubeconfig string) (*rest.Config, string, error) {
	if kubeconfig != "" {
		rules := &clientcmd.ClientConfigLoadingRules{Precedence: filepath.SplitList(kubeconfig)}
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, "", fmt.Errorf("cannot load %s: %v", kubeconfig, err)
		}
		return rc, kubeconfig, nil
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		rc, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("in-cluster config: %v", err)
		}
		return rc, "in-cluster", nil
	}
	return nil, "", nil
}

// shellUser maps the shell's --as (a catalog user name, Slack id or email)
// to a chat user, so the shell speaks as someone the catalog knows. An
// unknown name is refused with a suggestion rather than silently becoming a
// user with no roles.
func (a *App) shellUser(ctx context.Context, as string) (bot.User, error) {
	cat := a.feats.catalog
	if as == "" {
		as = defaultShellUser(cat)
		if as == "" {
			return bot.User{ID: "shell-user", Name: "shell-user"}, nil
		}
	}
	e, ok := cat.Lookup(as, catalog.KindUser)
	if !ok || e.Kind != catalog.KindUser {
		ok = false
		for _, u := range cat.List(catalog.KindUser) {
			if u.Annotation(catalog.AnnotationSlackUserID) == as || strings.EqualFold(userEmail(u), as) {
				e, ok = u, true
				break
			}
		}
	}
	if !ok {
		msg := fmt.Sprintf("--as %s: no catalog user has that name, Slack id or email", as)
		var close []string
		for _, u := range cat.List(catalog.KindUser) {
			if strings.HasPrefix(u.Metadata.Name, strings.ToLower(as)) {
				close = append(close, u.Metadata.Name)
			}
		}
		if len(close) == 0 {
			if s := cat.Suggest(as, catalog.KindUser); s != "" {
				close = append(close, s)
			}
		}
		if len(close) > 0 {
			msg += "; did you mean " + strings.Join(close, " or ") + "?"
		}
		return bot.User{}, fmt.Errorf("%s (users are listed by /plat team <team>, or in the catalog files)", msg)
	}
	u := bot.User{ID: e.Annotation(catalog.AnnotationSlackUserID), Name: e.Metadata.Name, Email: userEmail(e)}
	if p, ok := e.Spec["profile"].(map[string]any); ok {
		if dn, ok := p["displayName"].(string); ok && dn != "" {
			u.Name = dn
		}
	}
	if u.ID == "" {
		u.ID = e.Metadata.Name
	}
	return u, nil
}

func userEmail(e *catalog.Entity) string {
	if p, ok := e.Spec["profile"].(map[string]any); ok {
		if em, ok := p["email"].(string); ok {
			return em
		}
	}
	return ""
}

// defaultShellUser is the first member of the first non-admin team, so a
// newcomer can scaffold for a team right away.
func defaultShellUser(cat *catalog.Catalog) string {
	admin := map[string]bool{}
	for _, g := range cat.Config().AdminGroups {
		admin[strings.ToLower(catalog.NormalizeRef(g, catalog.KindGroup, catalog.DefaultNamespace))] = true
	}
	for _, g := range cat.List(catalog.KindGroup) {
		if admin[g.Ref()] || g.Type() != "team" {
			continue
		}
		if ms := cat.Members(g.Ref()); len(ms) > 0 {
			return ms[0].Metadata.Name
		}
	}
	return ""
}
