package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/vault"
	"github.com/platbot/platbot/store"
)

// Config is platbot's configuration: the YAML file (PLATBOT_CONFIG, default
// platbot.yaml when present) with the environment variables listed under
// "Configuration" in README.md applied on top.
type Config struct {
	// DB is the SQLite path, or a PostgreSQL URL or key/value connection
	// string (PLATBOT_DB).
	DB string `yaml:"db"`
	// Addr is the HTTP listen address of serve (PLATBOT_ADDR).
	Addr string `yaml:"addr"`
	// MetricsAddr, when set, is a second listen address serving /metrics,
	// /healthz and /readyz (PLATBOT_METRICS_ADDR); /metrics then leaves
	// the main address, which keeps /healthz and /readyz.
	MetricsAddr string `yaml:"metricsAddr"`
	// WorkerConcurrency is how many durable jobs this process runs at once
	// (0: bot.DefaultConcurrency).
	WorkerConcurrency int `yaml:"workerConcurrency"`
	// DataDir holds local state besides the database: the development secret
	// store and its key, the audit HMAC key when none is configured, files
	// the shell writes.
	DataDir string `yaml:"dataDir"`

	Slack  SlackConfig  `yaml:"slack"`
	Audit  AuditConfig  `yaml:"audit"`
	Log    LogConfig    `yaml:"log"`
	Shell  ShellConfig  `yaml:"shell"`
	GitHub GitHubConfig `yaml:"github"`
	Vault  VaultConfig  `yaml:"vault"`
	Kube   KubeConfig   `yaml:"kube"`
	HA     HAConfig     `yaml:"ha"`

	// SealKeyFile holds the key that seals secret form answers in durable
	// jobs and open modals (PLATBOT_SEAL_KEY_FILE): 32 bytes as 64 hex
	// digits or base64, mode 0600. Unset, a per-process key is used and
	// sealed values do not survive a restart (see sealkey.go).
	SealKeyFile string `yaml:"sealKeyFile"`
	// SealKey is that key itself, from the environment only
	// (PLATBOT_SEAL_KEY, e.g. from a Kubernetes Secret): one of the two.
	SealKey string `yaml:"-"`

	// GitOpsRepo is where golden paths open pull requests: owner/name on
	// GitHub, or a local git repository path (PLATBOT_GITOPS_REPO); default
	// <dataDir>/gitops, created on first use.
	GitOpsRepo string `yaml:"gitOpsRepo"`
	// CatalogPaths are catalog locations, folders or files, from
	// PLATBOT_CATALOG (the catalog section can list more); they replace the
	// default examples/catalog.
	CatalogPaths []string `yaml:"-"`
	// Demo is demo mode (PLATBOT_DEMO, serve --demo; the shell's default):
	// example data, labelled as such (see demo.go).
	Demo demoMode `yaml:"-"`
	// TrustedProxies, from PLATBOT_TRUSTED_PROXIES (comma-separated), replace
	// secrets.trustedProxies.
	TrustedProxies []string `yaml:"-"`

	// Each feature's own section, decoded by the feature (see Feature).
	Catalog   yaml.Node `yaml:"catalog"`
	Policy    yaml.Node `yaml:"policy"`
	Paths     yaml.Node `yaml:"paths"`
	Scorecard yaml.Node `yaml:"scorecard"`
	Cost      yaml.Node `yaml:"cost"`
	Access    yaml.Node `yaml:"access"`
	Secrets   yaml.Node `yaml:"secrets"`
	Placement yaml.Node `yaml:"placement"`
	ArgoCD    yaml.Node `yaml:"argocd"`
	Hygiene   yaml.Node `yaml:"hygiene"`
	Status    yaml.Node `yaml:"status"`
	Home      yaml.Node `yaml:"home"`

	OpenCostURL   string          `yaml:"openCostURL"`
	PrometheusURL string          `yaml:"prometheusURL"`
	PagerDuty     PagerDutyConfig `yaml:"pagerduty"`

	// path is the file the config came from ("" for built-in defaults);
	// raw is its content, for errors that point at the right line.
	path string
	raw  []byte
	// deprecated are the old snake_case keys the file used (see
	// config_keys.go), logged once by newLogger.
	deprecated []keyDeprecation
	// vault is the one Vault client, built on first use (vaultClient in
	// features.go): the audit chain key and the features share it.
	vault *vault.Client
}

// SlackConfig holds Slack credentials and the API base.
type SlackConfig struct {
	BotToken      string `yaml:"botToken"`
	SigningSecret string `yaml:"signingSecret"`
	AppToken      string `yaml:"appToken"`
	APIURL        string `yaml:"apiURL"`
	// TeamID, when set, is the only workspace served (SLACK_TEAM_ID):
	// requests from any other team_id are refused.
	TeamID string `yaml:"teamID"`
	// UnfurlDomains are the hosts whose links platbot previews
	// (link_shared); default: the GitHub host and the Argo CD UI hosts.
	// The Slack app's app_unfurl_domains must list them too.
	UnfurlDomains []string `yaml:"unfurlDomains"`
}

// AuditConfig configures the audit log.
type AuditConfig struct {
	// HMACKey keys the digests of sensitive audit fields (PLATBOT_AUDIT_KEY);
	// when empty a key is generated into the data folder on first start.
	HMACKey string `yaml:"hmacKey"`
	// ChainKeyFile holds the key of the audit hash chain
	// (PLATBOT_AUDIT_CHAIN_KEY_FILE; default <dataDir>/audit-chain.key,
	// generated 0600 on first start). See docs/audit.md.
	ChainKeyFile string `yaml:"chainKeyFile"`
	// VaultTransitKey, when set, keys the chain with this Vault transit key
	// instead of the file (PLATBOT_AUDIT_VAULT_TRANSIT_KEY), on
	// VaultTransitMount (default "transit").
	VaultTransitKey   string `yaml:"vaultTransitKey"`
	VaultTransitMount string `yaml:"vaultTransitMount"`
	// AnchorFile receives the signed chain head as JSON lines
	// (PLATBOT_AUDIT_ANCHOR_FILE; default <dataDir>/audit-anchors.jsonl,
	// "off" to turn it off); AnchorChannel is a Slack channel that also
	// receives them (PLATBOT_AUDIT_ANCHOR_CHANNEL); AnchorEvery is how often
	// (default 5m).
	AnchorFile    string `yaml:"anchorFile"`
	AnchorChannel string `yaml:"anchorChannel"`
	AnchorEvery   string `yaml:"anchorEvery"`
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// ShellConfig configures the shell adapter.
type ShellConfig struct {
	// User is who the shell speaks as by default (a catalog user name or a Slack id).
	User string `yaml:"user"`
}

// GitHubConfig holds GitHub access.
type GitHubConfig struct {
	Token         string `yaml:"token"`
	APIURL        string `yaml:"apiURL"`
	WebhookSecret string `yaml:"webhookSecret"`
}

// VaultConfig holds Vault access (VAULT_ADDR, VAULT_TOKEN).
type VaultConfig struct {
	Addr  string `yaml:"addr"`
	Token string `yaml:"token"`
	// KVMount is the KV v2 mount for golden-path and self-service secrets.
	KVMount string `yaml:"kvMount"`
}

// KubeConfig holds cluster access (KUBECONFIG).
type KubeConfig struct {
	Kubeconfig string `yaml:"kubeconfig"`
}

// HAConfig configures several replicas (see ha.go): which one leads.
type HAConfig struct {
	// Identity names this replica (PLATBOT_IDENTITY; default: the host
	// name, plus the process id outside Kubernetes).
	Identity string `yaml:"identity"`
	// LeaderElection, when set, makes the holder of this Kubernetes Lease
	// the leader; without it a PostgreSQL store elects by advisory lock
	// and a SQLite store's one process leads.
	LeaderElection *LeaseConfig `yaml:"leaderElection"`
}

// LeaseConfig is ha.leaderElection: the Lease and client-go's timing.
type LeaseConfig struct {
	// Namespace defaults to the pod's own namespace; Name to
	// "platbot-leader".
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	// Kubeconfig and KubeContext reach the cluster holding the Lease when
	// platbot runs outside it (default: the in-cluster config).
	Kubeconfig  string `yaml:"kubeconfig"`
	KubeContext string `yaml:"kubeContext"`
	// LeaseDuration, RenewDeadline and RetryPeriod (Go durations;
	// defaults 10s, 7s, 2s; see integrations/kube/lease.go).
	LeaseDuration string `yaml:"leaseDuration"`
	RenewDeadline string `yaml:"renewDeadline"`
	RetryPeriod   string `yaml:"retryPeriod"`
}

// PagerDutyConfig holds PagerDuty REST API access.
type PagerDutyConfig struct {
	Token  string `yaml:"token"`
	APIURL string `yaml:"apiURL"`
}

// ConfigError names the file, the key and what was expected.
type ConfigError struct {
	File string
	Key  string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	msg := e.Msg
	if e.Key != "" {
		b.WriteString(": " + e.Key)
		// A feature's own errors start with its name, which Key already says.
		msg = strings.TrimPrefix(msg, e.Key+": ")
	}
	b.WriteString(": " + msg)
	return b.String()
}

func defaultConfig() *Config {
	return &Config{
		DB:      "platbot.db",
		Addr:    ":8080",
		DataDir: ".platbot",
		Vault:   VaultConfig{KVMount: "secret"},
		Log:     LogConfig{Level: "info", Format: "text"},
	}
}

// LoadConfig reads the config file named by PLATBOT_CONFIG (or platbot.yaml
// when it exists) and applies the environment. getenv is os.Getenv in
// production.
func LoadConfig(getenv func(string) string) (*Config, error) {
	cfg := defaultConfig()
	path := getenv("PLATBOT_CONFIG")
	explicit := path != ""
	if !explicit {
		path = "platbot.yaml"
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		cfg.path, cfg.raw = path, data
		if err := decodeConfig(path, data, cfg); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist) && !explicit:
		// No file: built-in defaults.
	default:
		return nil, &ConfigError{File: path, Msg: fmt.Sprintf("cannot read it (%v); PLATBOT_CONFIG must name a readable YAML file", err)}
	}
	applyEnv(cfg, getenv)
	cfg.sharedFromPaths()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var lineRe = regexp.MustCompile(`line (\d+): (.*)`)

// decodeConfig parses the file, checks every key (renaming the old
// snake_case ones, see config_keys.go) and decodes it into cfg.
func decodeConfig(path string, data []byte, cfg *Config) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return yamlError(path, data, "", err)
	}
	if root.Kind == 0 {
		return nil
	}
	k := &keyChecker{file: path}
	if err := k.check(&root, reflect.TypeFor[Config](), ""); err != nil {
		return err
	}
	cfg.deprecated = k.deprecated
	if err := root.Decode(cfg); err != nil {
		return yamlError(path, data, "", err)
	}
	return nil
}

// yamlError turns a yaml.v3 decoding error into a ConfigError naming the
// file, the line and the dotted key at that line.
func yamlError(path string, data []byte, section string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return &ConfigError{File: path, Key: section, Msg: fmt.Sprintf("not valid YAML: %v", err)}
	}
	m := lineRe.FindStringSubmatch(te.Errors[0])
	if m == nil {
		return &ConfigError{File: path, Key: section, Msg: te.Errors[0]}
	}
	var line int
	fmt.Sscanf(m[1], "%d", &line)
	msg := m[2]
	key := keyAtLine(data, line)
	if strings.Contains(msg, "cannot unmarshal") {
		msg += " (check the value's type against examples/platbot.yaml)"
	}
	if key == "" {
		key = section
	}
	return &ConfigError{File: path, Line: line, Key: key, Msg: msg}
}

// keyAtLine returns the dotted path of the mapping key or value that starts
// on line ("" when none does).
func keyAtLine(data []byte, line int) string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return ""
	}
	var walk func(n *yaml.Node, prefix string) string
	walk = func(n *yaml.Node, prefix string) string {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for i, c := range n.Content {
				p := prefix
				if n.Kind == yaml.SequenceNode {
					p = fmt.Sprintf("%s[%d]", prefix, i)
				}
				if k := walk(c, p); k != "" {
					return k
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if prefix != "" {
					p = prefix + "." + k.Value
				}
				if found := walk(v, p); found != "" {
					return found
				}
				if k.Line == line || (v.Line == line && v.Kind == yaml.ScalarNode) {
					return p
				}
			}
		}
		return ""
	}
	return walk(&root, "")
}

// maxWorkerConcurrency bounds workerConcurrency: each running job holds a
// goroutine and may hold a connection to an outside system.
const maxWorkerConcurrency = 1024

// postgresWorkerConcurrency is the worker's default on PostgreSQL. There
// every statement is a round trip the store's one writer waits for, so
// more jobs at once fill larger group commits: under a burst of 20,000
// commands on 2 cores, 64 answered 822 to 1,466 a second (median 1,211 of
// seven runs) where 32 answered about 830 (19 writes per transaction
// instead of 10.5); on SQLite 64
// answers no more than 32 (docs/bench/README.md).
const postgresWorkerConcurrency = 64

// workerConcurrency is how many jobs the worker runs at once: the
// configured workerConcurrency, else postgresWorkerConcurrency on
// PostgreSQL, else 0 (bot.DefaultConcurrency).
func workerConcurrency(cfg *Config) int {
	switch {
	case cfg.WorkerConcurrency > 0:
		return cfg.WorkerConcurrency
	case store.IsPostgres(cfg.DB):
		return postgresWorkerConcurrency
	}
	return 0
}

func applyEnv(cfg *Config, getenv func(string) string) {
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&cfg.DB, "PLATBOT_DB")
	set(&cfg.Addr, "PLATBOT_ADDR")
	set(&cfg.MetricsAddr, "PLATBOT_METRICS_ADDR")
	set(&cfg.HA.Identity, "PLATBOT_IDENTITY")
	set(&cfg.Slack.TeamID, "SLACK_TEAM_ID")
	if v := getenv("PLATBOT_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.TrustedProxies = append(cfg.TrustedProxies, p)
			}
		}
	}
	set(&cfg.DataDir, "PLATBOT_DATA_DIR")
	set(&cfg.Slack.BotToken, "SLACK_BOT_TOKEN")
	set(&cfg.Slack.SigningSecret, "SLACK_SIGNING_SECRET")
	set(&cfg.Slack.AppToken, "SLACK_APP_TOKEN")
	set(&cfg.Slack.APIURL, "SLACK_API_URL")
	set(&cfg.GitHub.Token, "GITHUB_TOKEN")
	set(&cfg.GitHub.APIURL, "GITHUB_API_URL")
	set(&cfg.GitHub.WebhookSecret, "GITHUB_WEBHOOK_SECRET")
	set(&cfg.Vault.Addr, "VAULT_ADDR")
	set(&cfg.Vault.Token, "VAULT_TOKEN")
	set(&cfg.Kube.Kubeconfig, "KUBECONFIG")
	set(&cfg.GitOpsRepo, "PLATBOT_GITOPS_REPO")
	set(&cfg.SealKeyFile, "PLATBOT_SEAL_KEY_FILE")
	set(&cfg.SealKey, "PLATBOT_SEAL_KEY")
	set(&cfg.OpenCostURL, "OPENCOST_URL")
	set(&cfg.PrometheusURL, "PROMETHEUS_URL")
	set(&cfg.PagerDuty.Token, "PAGERDUTY_TOKEN")
	set(&cfg.PagerDuty.APIURL, "PAGERDUTY_API_URL")
	set(&cfg.Audit.HMACKey, "PLATBOT_AUDIT_KEY")
	cfg.Demo.parse(getenv("PLATBOT_DEMO"))
	set(&cfg.Audit.ChainKeyFile, "PLATBOT_AUDIT_CHAIN_KEY_FILE")
	set(&cfg.Audit.VaultTransitKey, "PLATBOT_AUDIT_VAULT_TRANSIT_KEY")
	set(&cfg.Audit.AnchorFile, "PLATBOT_AUDIT_ANCHOR_FILE")
	set(&cfg.Audit.AnchorChannel, "PLATBOT_AUDIT_ANCHOR_CHANNEL")
	if v := getenv("PLATBOT_CATALOG"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.CatalogPaths = append(cfg.CatalogPaths, p)
			}
		}
	}
}

// sharedFromPaths takes the Vault address and the GitHub API URL from the
// paths section when only it names them (where earlier releases read them):
// each outside system has one client, so the address is everyone's, and it
// is known before anything (the audit chain key in Vault) needs it.
func (c *Config) sharedFromPaths() {
	if c.Paths.Kind == 0 {
		return
	}
	var p struct {
		GitHubAPIURL string `yaml:"githubAPIURL"`
		Vault        struct {
			Addr string `yaml:"addr"`
		} `yaml:"vault"`
	}
	if err := c.Paths.Decode(&p); err != nil {
		return // reported when the paths feature decodes its section
	}
	if c.Vault.Addr == "" {
		c.Vault.Addr = p.Vault.Addr
	}
	if c.GitHub.APIURL == "" {
		c.GitHub.APIURL = p.GitHubAPIURL
	}
}

func (c *Config) validate() error {
	errf := func(key, msg string) error { return &ConfigError{File: c.path, Key: key, Msg: msg} }
	if c.DB == "" {
		return errf("db", "must name a SQLite file or a PostgreSQL database (or set PLATBOT_DB)")
	}
	if strings.Contains(c.DB, "://") && !store.IsPostgres(c.DB) {
		return errf("db", fmt.Sprintf("%q is a URL but not a PostgreSQL one: name a SQLite file such as /data/platbot.db or a postgres://user:password@host/dbname URL (PLATBOT_DB)", redactDSN(c.DB)))
	}
	if c.Slack.BotToken != "" && !strings.HasPrefix(c.Slack.BotToken, "xoxb-") {
		return errf("slack.botToken", "expected a bot token starting with xoxb- (SLACK_BOT_TOKEN)")
	}
	if err := c.Demo.check(c.path); err != nil {
		return err
	}
	if c.Slack.AppToken != "" && !strings.HasPrefix(c.Slack.AppToken, "xapp-") {
		return errf("slack.appToken", "expected an app-level token starting with xapp- (SLACK_APP_TOKEN)")
	}
	if c.Slack.AppToken != "" && c.Slack.BotToken == "" {
		return errf("slack.botToken", "Socket Mode (slack.appToken) also needs the bot token (SLACK_BOT_TOKEN)")
	}
	if c.Slack.BotToken != "" && c.Slack.AppToken == "" && c.Slack.SigningSecret == "" {
		return errf("slack.signingSecret", "the HTTP transport needs the signing secret to verify requests (SLACK_SIGNING_SECRET), or set slack.appToken for Socket Mode")
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr {
		return errf("metricsAddr", fmt.Sprintf("%q is the main listen address too; give metrics their own port (PLATBOT_METRICS_ADDR) or leave it unset", c.MetricsAddr))
	}
	if c.WorkerConcurrency < 0 || c.WorkerConcurrency > maxWorkerConcurrency {
		return errf("workerConcurrency", fmt.Sprintf("expected 1 to %d jobs at once, or leave it unset for the default (%d, or %d on PostgreSQL); got %d", maxWorkerConcurrency, bot.DefaultConcurrency, postgresWorkerConcurrency, c.WorkerConcurrency))
	}
	if err := c.HA.check(c.DB, errf); err != nil {
		return err
	}
	switch strings.ToLower(c.Log.Level) {
	case "", "debug", "info", "warn", "error":
	default:
		return errf("log.level", fmt.Sprintf("expected debug, info, warn or error, got %q", c.Log.Level))
	}
	switch strings.ToLower(c.Log.Format) {
	case "", "text", "json":
	default:
		return errf("log.format", fmt.Sprintf("expected text or json, got %q", c.Log.Format))
	}
	return nil
}

// redactDSN drops the password of a database URL for error messages.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return dsn[:i+3] + rest[:colon] + ":***" + rest[at:]
			}
		}
	}
	return dsn
}

// SlackConfigured reports whether Slack credentials are set, and why not.
func (c *Config) SlackConfigured() (bool, string) {
	switch {
	case c.Slack.AppToken != "" && c.Slack.BotToken != "":
		return true, "SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set: Socket Mode"
	case c.Slack.BotToken != "" && c.Slack.SigningSecret != "":
		return true, "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set: Slack over HTTP on " + c.Addr
	}
	return false, "no Slack credentials (SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN) are set"
}

// Feature decodes a feature's section ("catalog", "policy", "paths",
// "scorecard", "cost", "access", "secrets", "placement") into dst, rejecting unknown keys
// with the key probably meant and naming the file, key and line on error. A
// missing section leaves dst unchanged.
func (c *Config) Feature(name string, dst any) error {
	var n *yaml.Node
	switch name {
	case "catalog":
		n = &c.Catalog
	case "policy":
		n = &c.Policy
	case "paths":
		n = &c.Paths
	case "scorecard":
		n = &c.Scorecard
	case "cost":
		n = &c.Cost
	case "access":
		n = &c.Access
	case "secrets":
		n = &c.Secrets
	case "placement":
		n = &c.Placement
	case "argocd":
		n = &c.ArgoCD
	case "hygiene":
		n = &c.Hygiene
	case "status":
		n = &c.Status
	case "home":
		n = &c.Home
	default:
		return fmt.Errorf("config: no section %q", name)
	}
	if n.Kind == 0 {
		return nil
	}
	// LoadConfig checked the section's keys against its feature's type; a
	// caller decoding into another type gets that type's keys checked. The
	// section's nodes carry the file's own line numbers.
	k := &keyChecker{file: c.path}
	if err := k.check(n, reflect.TypeOf(dst), name); err != nil {
		return err
	}
	if err := n.Decode(dst); err != nil {
		return yamlError(c.path, c.raw, name, err)
	}
	return nil
}
