package paths

import (
	"strings"
	"time"
)

// Config configures golden paths (the "paths" section of platbot.yaml).
// GitOpsRepo, GitOpsBase, GitHubAPIURL and Vault.Addr are read by
// cmd/platbot, which builds the GitOps publisher, the GitHub client and the
// Vault client once for every feature; the environment variables listed
// under "Configuration" in README.md override them there.
type Config struct {
	// GitOpsRepo is where pull requests go: "owner/name" on GitHub, or a
	// local folder path holding (or to hold) a git repository
	// (PLATBOT_GITOPS_REPO). Default: <dataDir>/gitops.
	GitOpsRepo string `yaml:"gitOpsRepo"`
	// GitOpsBase is the branch pull requests target ("" = the repository's
	// default branch on GitHub, "main" locally).
	GitOpsBase string `yaml:"gitOpsBase"`
	// TemplatesDir holds template folders (<name>/template.yaml), read besides
	// the catalog's Template entities. Default examples/templates.
	TemplatesDir string `yaml:"templatesDir"`
	// DataDir holds the local development secret store and, by default,
	// the local GitOps repository: the top-level dataDir, set by
	// cmd/platbot (not a key of this section).
	DataDir string `yaml:"-"`
	// GitHubAPIURL is the GitHub API base (GITHUB_API_URL; "" = github.com).
	GitHubAPIURL string      `yaml:"githubAPIURL"`
	Vault        VaultConfig `yaml:"vault"`
	// Labels are added to every pull request (default platbot, golden-path).
	Labels []string `yaml:"labels"`
	// RefreshInterval is how often templates are reloaded from their
	// locations in the background (default 1m).
	RefreshInterval time.Duration `yaml:"refreshInterval"`
	// StepTimeout bounds one step's work (default 5m); a step that takes
	// longer fails and can be retried.
	StepTimeout time.Duration `yaml:"stepTimeout"`
	// StuckAfter is how long a running run may go without progress before
	// /plat run retry may restart it (default 15m).
	StuckAfter time.Duration `yaml:"stuckAfter"`
	// PreviewTTL is how long a dry run's "Create it" button works (default
	// 1h); expired previews are deleted.
	PreviewTTL time.Duration `yaml:"previewTTL"`
	// DemoApproveDir is set in demo mode only (never from the file): the
	// templates whose files are under this folder (the shipped examples)
	// count as approved until an admin approves a version of them, and say
	// so wherever they are shown.
	DemoApproveDir string `yaml:"-"`
}

// VaultConfig says where generated credentials go.
type VaultConfig struct {
	// Addr is Vault's address (VAULT_ADDR); empty selects the local
	// development secret store.
	Addr string `yaml:"addr"`
	// Mount is the KV v2 mount (default "secret"). Secrets are written at
	// <mount>/<team>/<service>/<env>/<name>.
	Mount string `yaml:"mount"`
	// RolePattern names the service's Vault role in one environment, the
	// only one whose policy may read that environment's secrets ({team},
	// {service}, {env}; default "{team}-{service}-{env}", so a dev workload
	// can never read prod credentials).
	RolePattern string `yaml:"rolePattern"`
	// PolicyPattern names the read policy of one secret ({team}, {service},
	// {env}, {name}; default "{team}-{service}-{env}-{name}-read").
	PolicyPattern string `yaml:"policyPattern"`
	// AuthMount, when set, is a Kubernetes auth mount whose role (named by
	// RolePattern) gets the policy attached, created when missing and bound
	// to the service account named after the service in NamespacePattern.
	AuthMount string `yaml:"authMount"`
	// NamespacePattern is the Kubernetes namespace of the service per
	// environment (default "{team}-{env}").
	NamespacePattern string `yaml:"namespacePattern"`
}

// DefaultConfig returns the defaults; decode the "paths" section over it.
func DefaultConfig() Config {
	var c Config
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = ".platbot"
	}
	if c.TemplatesDir == "" {
		c.TemplatesDir = "examples/templates"
	}
	if c.GitOpsRepo == "" {
		c.GitOpsRepo = strings.TrimRight(c.DataDir, "/") + "/gitops"
	}
	if c.Vault.Mount == "" {
		c.Vault.Mount = "secret"
	}
	if c.Vault.RolePattern == "" {
		c.Vault.RolePattern = "{team}-{service}-{env}"
	}
	if c.Vault.PolicyPattern == "" {
		c.Vault.PolicyPattern = "{team}-{service}-{env}-{name}-read"
	}
	if c.Vault.NamespacePattern == "" {
		c.Vault.NamespacePattern = "{team}-{env}"
	}
	if c.Labels == nil {
		c.Labels = []string{"platbot", "golden-path"}
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = time.Minute
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = 5 * time.Minute
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = 15 * time.Minute
	}
	if c.PreviewTTL <= 0 {
		c.PreviewTTL = time.Hour
	}
}
