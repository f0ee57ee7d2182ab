// Package vault is platbot's HashiCorp Vault adapter: KV v2 secrets written
// at most once per owner, ACL policies, and Kubernetes auth roles, over the
// official client (github.com/hashicorp/vault/api) with timeouts and bounded
// retries. Features reach it through small interfaces of their own.
//
// Secret values never appear in this package's errors or logs.
package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// MarkerKey is the custom-metadata key that records who wrote a secret
// (a golden-path run id), so a retry recognises its own earlier write.
const MarkerKey = "platbot-owner"

// Errors wrapped by the client's errors; test with errors.Is.
var (
	// ErrUnavailable means Vault could not be reached or answered 5xx.
	ErrUnavailable = errors.New("vault unavailable")
	// ErrExists means the path already holds a secret written by someone else.
	ErrExists = errors.New("secret already exists")
	// ErrDenied means the token may not do what was asked (403).
	ErrDenied = errors.New("permission denied")
)

// Config configures a Client.
type Config struct {
	// Addr is Vault's address (VAULT_ADDR).
	Addr string
	// Token authenticates (VAULT_TOKEN).
	Token string
	// Namespace is the Vault Enterprise namespace ("" for none).
	Namespace string
	// Timeout bounds each HTTP request (default 15s).
	Timeout time.Duration
	// MaxRetries is how often a request that failed with a 5xx or a
	// connection error is retried (default 2; -1 disables retries).
	MaxRetries int
	// MinRetryWait and MaxRetryWait bound the retry backoff (default 500ms and 2s).
	MinRetryWait, MaxRetryWait time.Duration
	// Logger receives debug lines; slog.Default when nil.
	Logger *slog.Logger
}

// Client talks to one Vault server. It is safe for concurrent use.
type Client struct {
	api  *vaultapi.Client
	addr string
	log  *slog.Logger
}

// New returns a client for cfg.Addr authenticated with cfg.Token.
func New(cfg Config) (*Client, error) {
	if cfg.Addr == "" {
		return nil, errors.New("vault: need an address (VAULT_ADDR)")
	}
	if _, err := url.Parse(cfg.Addr); err != nil {
		return nil, fmt.Errorf("vault: address %q: %w", cfg.Addr, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	switch {
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 2
	}
	if cfg.MinRetryWait <= 0 {
		cfg.MinRetryWait = 500 * time.Millisecond
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	vc := vaultapi.DefaultConfig()
	if vc.Error != nil {
		return nil, fmt.Errorf("vault: default config: %w", vc.Error)
	}
	vc.Address = cfg.Addr
	vc.Timeout = cfg.Timeout
	vc.MaxRetries = cfg.MaxRetries
	vc.MinRetryWait = cfg.MinRetryWait
	vc.MaxRetryWait = cfg.MaxRetryWait
	api, err := vaultapi.NewClient(vc)
	if err != nil {
		return nil, fmt.Errorf("vault: client: %w", err)
	}
	api.SetToken(cfg.Token)
	if cfg.Namespace != "" {
		api.SetNamespace(cfg.Namespace)
	}
	return &Client{api: api, addr: cfg.Addr, log: cfg.Logger.With("component", "vault")}, nil
}

// Addr returns the server address.
func (c *Client) Addr() string { return c.addr }

// WriteResult says what WriteKVOnce did.
type WriteResult struct {
	// Created is false when the secret had already been written by the same owner.
	Created bool
	// Version is the KV v2 version holding the data.
	Version int
}

// WriteKVOnce writes data to the KV v2 mount at path (relative to the
// mount), unless a secret is there already. It is idempotent per owner:
// owner is recorded in the secret's custom metadata before the data is
// written (with check-and-set 0, so an existing version is never replaced),
// and a later call with the same owner finds its write and does nothing.
// A path holding someone else's secret fails with ErrExists.
func (c *Client) WriteKVOnce(ctx context.Context, mount, path string, data map[string]any, owner string) (WriteResult, error) {
	if owner == "" {
		return WriteResult{}, errors.New("vault: WriteKVOnce needs an owner")
	}
	where := mount + "/" + path
	kv := c.api.KVv2(mount)
	md, err := kv.GetMetadata(ctx, path)
	switch {
	case errors.Is(err, vaultapi.ErrSecretNotFound):
		md = nil
	case err != nil:
		return WriteResult{}, c.wrap("read metadata of "+where, err)
	}
	if md != nil {
		if markerOf(md) != owner {
			if md.CurrentVersion > 0 || markerOf(md) != "" {
				return WriteResult{}, fmt.Errorf("vault: %s already holds a secret not written by %s: %w", where, owner, ErrExists)
			}
		} else if md.CurrentVersion > 0 {
			c.log.Debug("secret already written by this owner", "path", where, "version", md.CurrentVersion)
			return WriteResult{Created: false, Version: md.CurrentVersion}, nil
		}
	}
	// Claim the path first: metadata can exist before any data version.
	if err := kv.PutMetadata(ctx, path, vaultapi.KVMetadataPutInput{
		CustomMetadata: map[string]any{MarkerKey: owner},
	}); err != nil {
		return WriteResult{}, c.wrap("write metadata of "+where, err)
	}
	sec, err := kv.Put(ctx, path, data, vaultapi.WithCheckAndSet(0))
	if err != nil {
		if isCASMismatch(err) {
			// Written meanwhile (a lost answer to an earlier attempt, or a
			// concurrent writer): ours if the marker says so.
			md, merr := kv.GetMetadata(ctx, path)
			if merr == nil && markerOf(md) == owner && md.CurrentVersion > 0 {
				return WriteResult{Created: false, Version: md.CurrentVersion}, nil
			}
			return WriteResult{}, fmt.Errorf("vault: %s was written concurrently by someone else: %w", where, ErrExists)
		}
		return WriteResult{}, c.wrap("write "+where, err)
	}
	v := 1
	if sec != nil && sec.VersionMetadata != nil {
		v = sec.VersionMetadata.Version
	}
	return WriteResult{Created: true, Version: v}, nil
}

// ReadKV returns the latest data and custom metadata at path.
func (c *Client) ReadKV(ctx context.Context, mount, path string) (map[string]any, map[string]any, error) {
	sec, err := c.api.KVv2(mount).Get(ctx, path)
	if err != nil {
		return nil, nil, c.wrap("read "+mount+"/"+path, err)
	}
	return sec.Data, sec.CustomMetadata, nil
}

// PutPolicy creates or replaces an ACL policy (idempotent).
func (c *Client) PutPolicy(ctx context.Context, name, rules string) error {
	if err := c.api.Sys().PutPolicyWithContext(ctx, name, rules); err != nil {
		return c.wrap("write policy "+name, err)
	}
	return nil
}

// Policy returns an ACL policy's rules ("" when it does not exist).
func (c *Client) Policy(ctx context.Context, name string) (string, error) {
	rules, err := c.api.Sys().GetPolicyWithContext(ctx, name)
	if err != nil {
		return "", c.wrap("read policy "+name, err)
	}
	return rules, nil
}

// KubernetesRole describes a role of a Kubernetes auth mount.
type KubernetesRole struct {
	Mount           string
	Name            string
	ServiceAccounts []string
	Namespaces      []string
	Policies        []string
}

// EnsureKubernetesRole creates the role when missing and otherwise adds the
// given policies, service accounts and namespaces to it, keeping everything
// else as it is (idempotent).
func (c *Client) EnsureKubernetesRole(ctx context.Context, r KubernetesRole) error {
	p := "auth/" + strings.Trim(r.Mount, "/") + "/role/" + r.Name
	cur, err := c.api.Logical().ReadWithContext(ctx, p)
	if err != nil {
		return c.wrap("read role "+p, err)
	}
	if cur == nil || cur.Data == nil {
		_, err := c.api.Logical().WriteWithContext(ctx, p, map[string]any{
			"bound_service_account_names":      r.ServiceAccounts,
			"bound_service_account_namespaces": r.Namespaces,
			"token_policies":                   r.Policies,
		})
		if err != nil {
			return c.wrap("create role "+p, err)
		}
		return nil
	}
	update := map[string]any{}
	for key, want := range map[string][]string{
		"token_policies":                   r.Policies,
		"bound_service_account_names":      r.ServiceAccounts,
		"bound_service_account_namespaces": r.Namespaces,
	} {
		have := stringList(cur.Data[key])
		changed := false
		for _, x := range want {
			if !slices.Contains(have, x) {
				have = append(have, x)
				changed = true
			}
		}
		if changed {
			update[key] = have
		}
	}
	if len(update) == 0 {
		return nil
	}
	if _, err := c.api.Logical().WriteWithContext(ctx, p, update); err != nil {
		return c.wrap("update role "+p, err)
	}
	return nil
}

func stringList(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		if x == "" {
			return nil
		}
		return strings.Split(x, ",")
	}
	return nil
}

func markerOf(md *vaultapi.KVMetadata) string {
	if md == nil || md.CustomMetadata == nil {
		return ""
	}
	s, _ := md.CustomMetadata[MarkerKey].(string)
	return s
}

func isCASMismatch(err error) bool {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) && re.StatusCode == 400 {
		for _, e := range re.Errors {
			if strings.Contains(e, "check-and-set") {
				return true
			}
		}
	}
	return false
}

// wrap describes a failed call in words an operator can act on, classifying
// it as ErrUnavailable (no answer, 5xx, or 429 from a rate-limit quota) or
// ErrDenied where it is one of those.
func (c *Client) wrap(what string, err error) error {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) {
		switch {
		case re.StatusCode == 403:
			return fmt.Errorf("vault: %s: the token is not allowed to (403): %w", what, ErrDenied)
		case re.StatusCode >= 500 || re.StatusCode == 429:
			return fmt.Errorf("vault: %s: Vault at %s answered %d (%s): %w", what, c.addr, re.StatusCode, strings.Join(re.Errors, "; "), ErrUnavailable)
		}
		return fmt.Errorf("vault: %s: Vault answered %d: %s", what, re.StatusCode, strings.Join(re.Errors, "; "))
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("vault: %s: %w", what, err)
		}
		return fmt.Errorf("vault: %s: cannot reach Vault at %s (%v): %w", what, c.addr, rootCause(err), ErrUnavailable)
	}
	return fmt.Errorf("vault: %s: %w", what, err)
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
