package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/catalog"
	examplegitops "github.com/platbot/platbot/examples/gitops"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/vault"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// buildClients builds, once, the clients of the outside systems that golden
// paths, secrets and every later feature change things through: the GitOps
// publisher (GitHub owner/name through the one GitHub client, or a local git
// repository, by default <dataDir>/gitops) and the secret store (Vault, or
// the encrypted development-only store in the data folder).
func (f *features) buildClients(ctx context.Context, app *App) error {
	cfg, pc, log := app.Cfg, f.pathsCfg, app.Log
	if cfg.GitOpsRepo == "" {
		cfg.GitOpsRepo = pc.GitOpsRepo // an older place for the key
	}
	if cfg.GitOpsRepo == "" {
		cfg.GitOpsRepo = filepath.Join(cfg.DataDir, "gitops")
	}
	target := cfg.GitOpsRepo
	if gitops.IsGitHubRepo(target) {
		if cfg.GitHub.Token == "" || f.gh == nil {
			return &ConfigError{File: cfg.path, Key: "gitOpsRepo", Msg: fmt.Sprintf(
				"PLATBOT_GITOPS_REPO=%s names a GitHub repository but GITHUB_TOKEN is not set", target)}
		}
		var err error
		if f.gitops, err = gitops.GitHub(f.gh, target, github.PullRequestOptions{Base: pc.GitOpsBase}); err != nil {
			return &ConfigError{File: cfg.path, Key: "gitOpsRepo", Msg: err.Error()}
		}
		log.Info("GitOps changes open pull requests on GitHub", "repo", target)
	} else {
		// One repository instance serves every feature, so their branches
		// and pull-request records never collide.
		if _, lerr := exec.LookPath("git"); lerr != nil {
			return &ConfigError{File: cfg.path, Key: "gitOpsRepo", Msg: fmt.Sprintf(
				"the GitOps target %q is a local folder, which needs git, and git is not installed: install git, or set PLATBOT_GITOPS_REPO=owner/name with GITHUB_TOKEN to open pull requests on GitHub", target)}
		}
		opts := gitlocal.Options{Base: pc.GitOpsBase, Logger: log}
		var err error
		if opts.Seed, err = demoGitOpsSeed(cfg); err != nil {
			return err
		}
		opts.SeedMessage = "Initialize GitOps repository with the example services (" + examplegitops.Dir + ")"
		repo, err := gitlocal.Open(ctx, target, opts)
		if err != nil {
			return &ConfigError{File: cfg.path, Key: "gitOpsRepo", Msg: fmt.Sprintf("local GitOps repository %s: %v", target, err)}
		}
		f.gitops = gitops.Local(repo)
		log.Info("GitOps changes open pull requests as branches of a local git repository", "repo", repo.Dir())
	}
	if f.gh == nil || cfg.GitHub.Token == "" {
		// Services' own repositories are local git repositories too
		// (buildPaths); demo mode starts the example services' ones.
		if err := seedExampleRepos(ctx, cfg, filepath.Join(cfg.DataDir, "repos"), log); err != nil {
			return &ConfigError{File: cfg.path, Key: "demo", Msg: err.Error()}
		}
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

// demoGitOpsSeed is what a local GitOps repository platbot creates starts
// with: in demo mode on the example catalog, the example services'
// manifests (examples/gitops), so the golden paths that start from them
// run on the embedded defaults; nothing otherwise. gitlocal never adds
// them to a repository that already exists.
func demoGitOpsSeed(cfg *Config) ([]gitlocal.File, error) {
	if !cfg.Demo.on {
		return nil, nil
	}
	files, err := exampleGitOpsState(cfg)
	if err != nil || files == nil {
		return nil, err
	}
	out := make([]gitlocal.File, 0, len(files))
	for _, p := range slices.Sorted(maps.Keys(files)) {
		out = append(out, gitlocal.File{Path: p, Content: files[p]})
	}
	return out, nil
}

// exampleGitOpsState is the example services' manifests (examples/gitops,
// path → content) when the catalog is the example catalog they belong to;
// nil otherwise.
func exampleGitOpsState(cfg *Config) (map[string][]byte, error) {
	ccfg, err := catalogConfig(cfg)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(ccfg.Locations, func(l catalog.LocationConfig) bool { return !underExamples(l) }) {
		return nil, nil
	}
	files, err := examplegitops.Files()
	if err != nil {
		return nil, fmt.Errorf("demo mode: %w", err)
	}
	return files, nil
}

// stateFiles reads a GitOps repository's base branch held in memory (path
// → content), as actions.GitOpsFiles.
type stateFiles map[string][]byte

func (s stateFiles) ReadFile(_ context.Context, p string) ([]byte, error) {
	if b, ok := s[p]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
}

func (s stateFiles) ListDir(_ context.Context, p string) ([]string, error) {
	prefix := strings.Trim(p, "/") + "/"
	var names []string
	for f := range s {
		if rest, ok := strings.CutPrefix(f, prefix); ok {
			name, _, _ := strings.Cut(rest, "/")
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if names == nil {
		return nil, fmt.Errorf("list %s: %w", p, fs.ErrNotExist)
	}
	slices.Sort(names)
	return names, nil
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

// kubeContextConfig is the client config of one context of a kubeconfig:
// kubeconfig is a file or a list (a:b, as in KUBECONFIG); empty, the
// default rules apply ($KUBECONFIG, else ~/.kube/config).
func kubeContextConfig(kubeconfig, kubeContext string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	switch files := filepath.SplitList(kubeconfig); {
	case len(files) > 1:
		rules.Precedence = files
	case kubeconfig != "":
		rules.ExplicitPath = kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("cannot load context %q of the kubeconfig (%s): %v", kubeContext, orDefaultKubeconfig(kubeconfig), err)
	}
	return rest.CopyConfig(rc), nil
}

// orDefaultKubeconfig names where a kubeconfig was looked for.
func orDefaultKubeconfig(path string) string {
	if path == "" {
		return "$KUBECONFIG or ~/.kube/config"
	}
	return path
}

// kubeIssuers builds the prod-access issuer of every environment: one
// Kubernetes client per environment's cluster, from its kubeContext in the
// access section's kubeconfig (else kube.kubeconfig, $KUBECONFIG or the
// in-cluster config).
func kubeIssuers(cfg access.Config, log *slog.Logger) (map[string]access.Issuer, error) {
	out := make(map[string]access.Issuer, len(cfg.Environments))
	for _, e := range cfg.Environments {
		iss, err := kube.NewIssuerFromKubeconfig(cfg.Kubeconfig, e.KubeContext, kube.WithLogger(log), kube.WithServer(e.Server))
		if err != nil {
			return nil, fmt.Errorf("access: environment %s: %w", e.Name, err)
		}
		out[e.Name] = iss
	}
	return out, nil
}
