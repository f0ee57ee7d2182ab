// Package secrets is platbot's self-service secrets feature: engineers add
// and rotate the secrets of their team's services without the value ever
// passing through Slack, logs, the database or a pull request.
//
// `/plat secret add` asks in Slack only for metadata (service, environment,
// name, description), then sends the requester a one-time link to a sealing
// page that platbot serves itself (GET|POST /seal/<token>). The page
// encrypts the value in the browser with WebCrypto (RSA-OAEP, SHA-256) to
// the public key of a Vault transit key and posts only the ciphertext; Vault
// decrypts it and the value goes straight into Vault KV v2 at
// <mount>/<team>/<service>/<env>/<NAME>. A GitOps pull request then adds an
// ExternalSecret and an env entry (valueFrom.secretKeyRef) to the service's
// Deployment, edited in place with comments preserved.
//
// `/plat secret list <service>` shows names, environments, versions and who
// rotated them last, with a Rotate button: a fresh one-time link, or for a
// generated secret (a golden path's database password) a new random value.
// `/plat secret history <service> <NAME>` reads the audit log.
//
// Without Vault (the shell default) the encrypted local development store
// (integrations/devsecrets) and an RSA-4096 key in the data folder stand in,
// and every message says development-only. docs/secrets.md has the threat
// model.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/httpguard"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// Record kinds.
const (
	// KindSecret records what platbot knows about a secret (never its value).
	KindSecret = "secrets.secret"
	// KindChange records one requested change: a one-time link and what it
	// led to, or a regeneration.
	KindChange = "secrets.change"
)

// JobPublish opens the GitOps pull request of a change and tells its
// requester how it went.
const JobPublish = "secrets.publish"

// DevLabel is the word every message about the development-only backends carries.
const DevLabel = "development-only"

// Config configures the feature (the "secrets" section of platbot.yaml).
type Config struct {
	// PublicURL is the base URL people reach platbot's HTTP server at; the
	// one-time links are <PublicURL>/seal/<token> (default
	// http://localhost:8080). It must be https in production: browsers
	// offer WebCrypto only to secure origins (and localhost).
	PublicURL string `yaml:"publicURL"`
	// KVMount is the Vault KV v2 mount (default "secret").
	KVMount string `yaml:"kvMount"`
	// TransitMount and TransitKey name the Vault transit key the page
	// encrypts to (default "transit" and "platbot-seal"; created as
	// rsa-4096 when missing).
	TransitMount string `yaml:"transitMount"`
	TransitKey   string `yaml:"transitKey"`
	// Environments are the environments a secret can be added to (default
	// dev, staging, prod).
	Environments []string `yaml:"environments"`
	// DeploymentPath locates a service's Deployment manifest in the GitOps
	// repository ({service}, {env}, {team}; default
	// "apps/{service}/{env}/deployment.yaml").
	DeploymentPath string `yaml:"deploymentPath"`
	// ExternalSecretPath is where the ExternalSecret of a secret goes
	// ({service}, {env}, {team}, {secret} = the Kubernetes Secret's name;
	// default "apps/{service}/{env}/externalsecret-{secret}.yaml").
	ExternalSecretPath string `yaml:"externalSecretPath"`
	// Container names the container that gets the env entry ({service};
	// default "{service}"; a pod with one container gets it regardless).
	Container string `yaml:"container"`
	// NamespacePattern is the service's Kubernetes namespace ({team},
	// {env}; default "{team}-{env}", as the golden paths use) when its
	// catalog entity has no backstage.io/kubernetes-namespace annotation.
	NamespacePattern string `yaml:"namespacePattern"`
	// SecretStoreRef names the external-secrets ClusterSecretStore that
	// reads Vault (default "vault"); RefreshInterval is the
	// ExternalSecret's refresh interval (default "1h").
	SecretStoreRef  string `yaml:"secretStoreRef"`
	RefreshInterval string `yaml:"refreshInterval"`
	// TokenTTL is how long a one-time link works (default 15m).
	TokenTTL time.Duration `yaml:"tokenTTL"`
	// SubmitsPerMinute caps the submissions (POST /seal/<token>) one
	// client address may make per minute (default 10); more are answered
	// 429. Behind a reverse proxy every client has the proxy's address
	// unless the proxy is listed in TrustedProxies.
	SubmitsPerMinute int `yaml:"submitsPerMinute"`
	// TrustedProxies are the reverse proxies in front of platbot, as CIDR
	// ranges or addresses (PLATBOT_TRUSTED_PROXIES, comma-separated). Only
	// a request from one of them has its X-Forwarded-For believed for the
	// per-address limit and the audit trail; by default nobody's is.
	TrustedProxies []string `yaml:"trustedProxies"`
	// ChecksumAnnotation, when true (the default), makes a rotation's pull
	// request bump ChecksumAnnotationKey on the Deployment's pod template,
	// so the pods restart and read the new value.
	ChecksumAnnotation    bool   `yaml:"checksumAnnotation"`
	ChecksumAnnotationKey string `yaml:"checksumAnnotationKey"`
	// GeneratedKey is the key a generated secret's rotation regenerates
	// (default "password", as the new-db golden path writes it).
	GeneratedKey string `yaml:"generatedKey"`
	// DataDir holds the development-only store and key: the top-level
	// dataDir, set by cmd/platbot (not a key of this section).
	DataDir string `yaml:"-"`
	// Labels are put on every pull request (default platbot, secrets).
	Labels []string `yaml:"labels"`
}

// DefaultConfig returns the defaults; decode the "secrets" section over it.
func DefaultConfig() Config {
	c := Config{ChecksumAnnotation: true}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:8080"
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.KVMount == "" {
		c.KVMount = "secret"
	}
	if c.TransitMount == "" {
		c.TransitMount = "transit"
	}
	if c.TransitKey == "" {
		c.TransitKey = "platbot-seal"
	}
	if len(c.Environments) == 0 {
		c.Environments = []string{"dev", "staging", "prod"}
	}
	if c.DeploymentPath == "" {
		c.DeploymentPath = "apps/{service}/{env}/deployment.yaml"
	}
	if c.ExternalSecretPath == "" {
		c.ExternalSecretPath = "apps/{service}/{env}/externalsecret-{secret}.yaml"
	}
	if c.Container == "" {
		c.Container = "{service}"
	}
	if c.NamespacePattern == "" {
		c.NamespacePattern = "{team}-{env}"
	}
	if c.SecretStoreRef == "" {
		c.SecretStoreRef = "vault"
	}
	if c.RefreshInterval == "" {
		c.RefreshInterval = "1h"
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 15 * time.Minute
	}
	if c.SubmitsPerMinute <= 0 {
		c.SubmitsPerMinute = 10
	}
	if c.ChecksumAnnotationKey == "" {
		c.ChecksumAnnotationKey = "platbot.io/secrets-checksum"
	}
	if c.GeneratedKey == "" {
		c.GeneratedKey = "password"
	}
	if c.DataDir == "" {
		c.DataDir = ".platbot"
	}
	if c.Labels == nil {
		c.Labels = []string{"platbot", "secrets"}
	}
}

var envNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate reports a configuration mistake.
func (c Config) Validate() error {
	c.applyDefaults()
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("secrets: publicURL %q must be an http(s) URL like https://platbot.example.com", c.PublicURL)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("secrets: publicURL %q must use https: browsers encrypt only on secure pages (https, or localhost)", c.PublicURL)
	}
	for _, e := range c.Environments {
		if !envNameRe.MatchString(e) {
			return fmt.Errorf("secrets: environment %q must be lower-case letters, digits and '-'", e)
		}
	}
	if c.TokenTTL > 24*time.Hour {
		return fmt.Errorf("secrets: tokenTTL %s is too long for a one-time link (at most 24h)", c.TokenTTL)
	}
	if !strings.Contains(c.DeploymentPath, "{service}") {
		return fmt.Errorf("secrets: deploymentPath %q must contain {service}", c.DeploymentPath)
	}
	if !strings.Contains(c.ExternalSecretPath, "{secret}") {
		return fmt.Errorf("secrets: externalSecretPath %q must contain {secret}", c.ExternalSecretPath)
	}
	if _, err := parseProxies(c.TrustedProxies); err != nil {
		return err
	}
	return nil
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

// Store is what the feature keeps in platbot's database, and the audit log
// /plat secret history reads (*store.Store).
type Store interface {
	store.Records
	AuditEvents(ctx context.Context, f store.AuditFilter, limit int) ([]store.Event, error)
}

// Catalog finds services and who people are (*catalog.Catalog).
type Catalog interface {
	Get(ref string) (*catalog.Entity, bool)
	List(kind string) []*catalog.Entity
	Identify(ctx context.Context, u bot.User) (*catalog.Identity, error)
}

// FileReader reads a file of the GitOps repository's base branch. A missing
// file is an error wrapping fs.ErrNotExist. cmd/platbot passes the one
// GitOps publisher (integrations/gitops), which reads GitHub or local git.
type FileReader interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
}

// Errors the backends return (wrapped).
var (
	// ErrNotFound means no secret is stored at the path.
	ErrNotFound = errors.New("secret not found")
	// ErrVersionMismatch means the secret's current version is not the one
	// a write expected (someone wrote it meanwhile, or it already exists).
	ErrVersionMismatch = errors.New("the secret changed meanwhile")
	// ErrBadCiphertext means the ciphertext cannot be decrypted.
	ErrBadCiphertext = errors.New("the ciphertext cannot be decrypted")
)

// KV stores secret values: Vault KV v2, or the development-only store.
// Paths are relative to the mount: <team>/<service>/<env>/<NAME>.
type KV interface {
	// Put writes data as a new version, if the current version is cas (0:
	// the secret must not exist). It returns the version written.
	Put(ctx context.Context, path string, data map[string]string, cas int) (int, error)
	// Patch merges data into the current version (which must be cas) as a
	// new version, keeping the keys it does not name.
	Patch(ctx context.Context, path string, data map[string]string, cas int) (int, error)
	// Info returns a secret's metadata, never its data (ErrNotFound).
	Info(ctx context.Context, path string) (*KVInfo, error)
	// List returns the names directly under a folder ("x/" for sub-folders).
	List(ctx context.Context, dir string) ([]string, error)
	// Mount is the KV mount; Describe names the store for people.
	Mount() string
	Describe() string
	// DevelopmentOnly is true for the local development store.
	DevelopmentOnly() bool
}

// KVInfo is a secret's metadata.
type KVInfo struct {
	Version          int
	Created, Updated time.Time
	// GeneratedBy names what generated the value (a golden-path run), ""
	// for a value a person sealed.
	GeneratedBy string
	Deleted     bool
}

// Sealer is the key the sealing page encrypts to: a Vault transit key, or
// the development-only local key. Only it can decrypt.
type Sealer interface {
	// PublicKey returns the key for the page.
	PublicKey(ctx context.Context) (*SealKey, error)
	// Decrypt returns the plaintext of a "vault:v<N>:<base64>" ciphertext
	// (ErrBadCiphertext when it cannot). The caller zeroes it after use.
	Decrypt(ctx context.Context, ciphertext string) ([]byte, error)
	Describe() string
	// PageLabel names the key on the sealing page (no server addresses).
	PageLabel() string
	DevelopmentOnly() bool
}

// SealKey is a public RSA key for the page.
type SealKey struct {
	// DER is the SPKI (PKIX) encoding WebCrypto imports.
	DER []byte
	// Version goes into the ciphertext's "vault:v<N>:" prefix.
	Version int
	// Bits is the modulus size, which bounds the value's length.
	Bits int
}

// Deps are the feature's dependencies.
type Deps struct {
	Store   Store
	Catalog Catalog
	// KV and Sealer are Vault (KV v2 + transit) or the development-only
	// backends; see NewBackends.
	KV     KV
	Sealer Sealer
	// Publisher opens the GitOps pull requests (the one GitOps publisher
	// every feature shares, adapted by cmd/platbot).
	Publisher Publisher
	// Files reads the current manifests from the GitOps repository; nil
	// means pull requests add the ExternalSecret only and say what to add
	// to the Deployment by hand.
	Files  FileReader
	Logger *slog.Logger
	// Metrics, when set, registers the sealing page's counter
	// (platbot_secrets_seal_requests_total{outcome}).
	Metrics prometheus.Registerer
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Secrets is the feature.
type Secrets struct {
	cfg    Config
	store  Store
	cat    Catalog
	kv     KV
	sealer Sealer
	pub    Publisher
	files  FileReader
	log    *slog.Logger
	now    func() time.Time
	router *bot.Router

	limit    *limiter
	inflight *httpguard.Limit // the sealing page's requests at once
	metrics  sealMetrics
}

// sealMetrics count what the sealing page's submissions came to.
type sealMetrics struct {
	// requests is platbot_secrets_seal_requests_total{outcome}: sealed,
	// refused (a real link), unknown_token (nobody's link), rate_limited,
	// busy (too many requests in flight).
	requests *prometheus.CounterVec
}

func newSealMetrics(reg prometheus.Registerer, log *slog.Logger) sealMetrics {
	m := sealMetrics{requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "platbot_secrets_seal_requests_total",
		Help: "Submissions to the one-time secret sealing page, by outcome (sealed, refused, unknown_token, rate_limited, busy).",
	}, []string{"outcome"})}
	if reg != nil {
		if err := reg.Register(m.requests); err != nil {
			log.Warn("secrets: sealing page metrics not registered", "err", err)
		}
	}
	return m
}

// New returns the feature. Store, Catalog, KV, Sealer and Publisher are
// required.
func New(cfg Config, deps Deps) (*Secrets, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.Store == nil:
		return nil, errors.New("secrets: need a store")
	case deps.Catalog == nil:
		return nil, errors.New("secrets: need the catalog")
	case deps.KV == nil || deps.Sealer == nil:
		return nil, errors.New("secrets: need a KV store and a sealer (see NewBackends)")
	case deps.Publisher == nil:
		return nil, errors.New("secrets: need a GitOps publisher")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	log := deps.Logger.With("feature", "secrets")
	trusted, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	return &Secrets{
		cfg: cfg, store: deps.Store, cat: deps.Catalog, kv: deps.KV, sealer: deps.Sealer,
		pub: deps.Publisher, files: deps.Files,
		log: log, now: deps.Now,
		limit:    newLimiter(cfg.SubmitsPerMinute, trusted, deps.Now),
		inflight: httpguard.NewLimit(maxPageInFlight),
		metrics:  newSealMetrics(deps.Metrics, log),
	}, nil
}

// Config returns the effective configuration.
func (s *Secrets) Config() Config { return s.cfg }

var _ bot.Feature = (*Secrets)(nil)

// Name is the feature's name.
func (s *Secrets) Name() string { return "secrets" }

// Register adds the commands, the Rotate button and the jobs: JobPublish
// and JobReconcile (which Resume starts; see there). The feature keeps the
// router to enqueue jobs, authorize, audit and reach the messengers.
func (s *Secrets) Register(reg *bot.Registry) error {
	s.router = reg.Router()
	reg.Commands(s.commands()...)
	reg.Action("secrets", s.handleAction)
	reg.Job(JobPublish, s.publishJob)
	reg.Job(JobReconcile, s.reconcileJob)
	return nil
}

// devOnly reports whether either backend is the development one.
func (s *Secrets) devOnly() bool { return s.kv.DevelopmentOnly() || s.sealer.DevelopmentOnly() }

// storeLabel names where values go, with the development-only label when so.
func (s *Secrets) storeLabel() string {
	d := s.kv.Describe()
	if s.kv.DevelopmentOnly() && !strings.Contains(d, DevLabel) {
		d += " (" + DevLabel + ")"
	}
	return d
}

func (s *Secrets) auditEvent(ctx context.Context, ev store.Event) {
	if s.router == nil {
		s.log.Error("audit event dropped: the feature is not registered with a router", "action", ev.Action)
		return
	}
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	// An audit event must not be lost because the request that caused it
	// ended (a browser that went away).
	s.router.Audit(context.WithoutCancel(ctx), ev)
}

func expand(pattern string, vars map[string]string) string {
	out := pattern
	for k, v := range vars {
		out = strings.ReplaceAll(out, "{"+k+"}", v)
	}
	return out
}
