package secrets

import (
	"fmt"
	"log/slog"

	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/vault"
)

// NewBackends returns the KV store and sealer over the clients cmd/platbot
// built once: with a Vault client, Vault KV v2 (cfg.KVMount) and the
// transit key cfg.TransitMount/keys/cfg.TransitKey; without one, the
// development-only local store dev and an RSA-4096 key in cfg.DataDir, so
// the whole flow runs with nothing installed.
func NewBackends(cfg Config, vc *vault.Client, dev *devsecrets.Store, log *slog.Logger) (KV, Sealer, error) {
	cfg.applyDefaults()
	if log == nil {
		log = slog.Default()
	}
	if vc != nil {
		log.Info("secrets are sealed with Vault transit and stored in Vault KV", "addr", vc.Addr(), "kv_mount", cfg.KVMount, "transit_key", cfg.TransitMount+"/keys/"+cfg.TransitKey)
		return VaultKV(vc, cfg.KVMount), VaultSealer(vc, cfg.TransitMount, cfg.TransitKey), nil
	}
	if dev == nil {
		return nil, nil, fmt.Errorf("secrets: neither Vault nor the development-only store is configured")
	}
	sealer, err := DevSealer(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	log.Warn("no Vault configured (VAULT_ADDR): secrets go to the development-only local store, sealed with a local key", "dir", cfg.DataDir)
	return DevKV(dev, cfg.KVMount), sealer, nil
}
