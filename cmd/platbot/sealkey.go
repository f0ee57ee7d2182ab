package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/platbot/platbot/bot"
)

// loadSealer returns the Sealer of secret form answers: keyed from
// sealKeyFile (PLATBOT_SEAL_KEY_FILE), which must be readable by its owner
// only, or, when none is configured, a per-process random key with a
// warning: secret answers waiting in durable jobs or carried by open
// modals then cannot be read after a restart, and the users are asked to
// fill those forms in again. Every replica must use the same key: the
// same file, or the same PLATBOT_SEAL_KEY (the key itself, from a Secret).
func loadSealer(cfg *Config, log *slog.Logger) (bot.Sealer, error) {
	if cfg.SealKey != "" {
		if cfg.SealKeyFile != "" {
			return nil, &ConfigError{File: cfg.path, Key: "sealKeyFile", Msg: "both PLATBOT_SEAL_KEY and a seal key file are set: keep one"}
		}
		key, err := bot.ParseSealKey(cfg.SealKey)
		if err != nil {
			// The error describes the shape, never the value.
			return nil, fmt.Errorf("PLATBOT_SEAL_KEY: %v", err)
		}
		return bot.NewSealer(key)
	}
	if cfg.SealKeyFile == "" {
		log.Warn("no seal key configured (sealKeyFile, PLATBOT_SEAL_KEY_FILE): secret form answers are sealed with a per-process key and cannot be read after a restart")
		return bot.NewRandomSealer(), nil
	}
	p := cfg.SealKeyFile
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &ConfigError{File: cfg.path, Key: "sealKeyFile", Msg: fmt.Sprintf("%s does not exist: create it with `openssl rand -hex 32 > %s && chmod 600 %s`", p, p, p)}
		}
		return nil, fmt.Errorf("seal key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, &ConfigError{File: cfg.path, Key: "sealKeyFile", Msg: fmt.Sprintf("%s has mode %04o: it must be readable by its owner only (chmod 600 %s)", p, perm, p)}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	key, err := bot.ParseSealKey(string(b))
	if err != nil {
		return nil, &ConfigError{File: cfg.path, Key: "sealKeyFile", Msg: fmt.Sprintf("%s: %v", p, err)}
	}
	return bot.NewSealer(key)
}

// sharedKeys refuses a serve on PostgreSQL, where replicas share the
// database, whose keys would differ between replicas: generated per
// process or per data folder, they would seal forms, digest audit fields
// and key the audit chain differently on each.
func sharedKeys(cfg *Config) error {
	var missing []string
	if cfg.SealKey == "" && cfg.SealKeyFile == "" {
		missing = append(missing, "a seal key (PLATBOT_SEAL_KEY, or PLATBOT_SEAL_KEY_FILE on a volume every replica mounts): a form's next page or its submission may reach another replica")
	}
	if cfg.Audit.HMACKey == "" {
		missing = append(missing, "the audit field key (PLATBOT_AUDIT_KEY)")
	}
	if cfg.Audit.VaultTransitKey == "" && cfg.Audit.ChainKeyFile == "" {
		missing = append(missing, "the audit chain key (audit.vaultTransitKey, or PLATBOT_AUDIT_CHAIN_KEY_FILE naming a file every replica has)")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("serve: PLATBOT_DB is PostgreSQL, which several replicas may share, and each would generate keys of its own; set %s. Generate a key with `openssl rand -hex 32`", strings.Join(missing, "; "))
}
