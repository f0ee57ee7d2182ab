package paths

import (
	"context"
	"errors"
	"log/slog"

	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/vault"
)

// NewSecretStore returns the secret store over the clients cmd/platbot
// built once: Vault when vc is set (KV mount cfg.Vault.Mount, roles bound
// on cfg.Vault.AuthMount), else the development-only local store dev.
func NewSecretStore(cfg Config, vc *vault.Client, dev *devsecrets.Store, log *slog.Logger) (SecretStore, error) {
	cfg.applyDefaults()
	if log == nil {
		log = slog.Default()
	}
	if vc != nil {
		log.Info("golden paths write secrets to Vault", "addr", vc.Addr(), "mount", cfg.Vault.Mount)
		return VaultSecrets(vc, cfg.Vault.Mount, cfg.Vault.AuthMount), nil
	}
	if dev == nil {
		return nil, errors.New("paths: neither Vault nor the development-only secret store is configured")
	}
	log.Warn("no Vault configured (VAULT_ADDR): golden paths write secrets to the development-only local store", "dir", dev.Dir())
	return DevSecrets(dev, cfg.Vault.Mount), nil
}

// ---- Vault ----

type vaultSecrets struct {
	c         *vault.Client
	mount     string
	authMount string
}

// VaultSecrets writes secrets to Vault's KV v2 mount; with authMount set,
// it also attaches each read policy to the service's Kubernetes auth role.
func VaultSecrets(c *vault.Client, mount, authMount string) SecretStore {
	if mount == "" {
		mount = "secret"
	}
	return vaultSecrets{c: c, mount: mount, authMount: authMount}
}

func (v vaultSecrets) Mount() string         { return v.mount }
func (v vaultSecrets) Describe() string      { return "Vault at " + v.c.Addr() }
func (v vaultSecrets) DevelopmentOnly() bool { return false }

func (v vaultSecrets) WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (bool, error) {
	d := make(map[string]any, len(data))
	for k, x := range data {
		d[k] = x
	}
	res, err := v.c.WriteKVOnce(ctx, v.mount, path, d, owner)
	return res.Created, mapVaultErr(err)
}

func (v vaultSecrets) PutPolicy(ctx context.Context, name, rules string) error {
	return mapVaultErr(v.c.PutPolicy(ctx, name, rules))
}

func (v vaultSecrets) BindRole(ctx context.Context, role, sa, ns, policy string) error {
	if v.authMount == "" {
		return nil
	}
	return mapVaultErr(v.c.EnsureKubernetesRole(ctx, vault.KubernetesRole{
		Mount: v.authMount, Name: role, ServiceAccounts: []string{sa}, Namespaces: []string{ns}, Policies: []string{policy},
	}))
}

// vaultClasses are the Vault errors this feature tells apart.
var vaultClasses = map[error]error{
	vault.ErrExists:      ErrSecretExists,
	vault.ErrUnavailable: ErrSecretUnavailable,
}

func mapVaultErr(err error) error { return vault.Classify(err, vaultClasses) }

// classified is a development store's error that also matches one of this
// package's sentinel errors; its text is the store's.
type classified struct{ class, err error }

func (c classified) Error() string   { return c.err.Error() }
func (c classified) Unwrap() []error { return []error{c.class, c.err} }

// ---- development store ----

type devSecrets struct {
	s     *devsecrets.Store
	mount string
}

// DevSecrets writes secrets to the local development-only store, with the
// same path layout as Vault (<mount>/<team>/<service>/<env>/<name>).
func DevSecrets(s *devsecrets.Store, mount string) SecretStore {
	if mount == "" {
		mount = "secret"
	}
	return devSecrets{s: s, mount: mount}
}

func (d devSecrets) Mount() string         { return d.mount }
func (d devSecrets) Describe() string      { return devsecrets.Description }
func (d devSecrets) DevelopmentOnly() bool { return true }

func (d devSecrets) WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (bool, error) {
	res, err := d.s.WriteOnce(ctx, d.mount+"/"+path, data, owner)
	if errors.Is(err, devsecrets.ErrExists) {
		return false, classified{class: ErrSecretExists, err: err}
	}
	return res.Created, err
}

func (d devSecrets) PutPolicy(ctx context.Context, name, rules string) error {
	return d.s.PutPolicy(ctx, name, rules)
}

// BindRole has nothing to bind in the local store.
func (d devSecrets) BindRole(context.Context, string, string, string, string) error { return nil }
