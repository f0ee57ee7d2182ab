package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/platbot/platbot/bot"
)

// loadSealer returns the Sealer of secret form answers: keyed from
// sealKeyFile (PLATBOT_SEAL_KEY_FILE), which must be readable by its owner
// only, or, when none is configured, a per-process random key with a
// warning: secret answers waiting in durable jobs or carried by open
// modals then cannot be read after a restart, and the users are asked to
// fill those forms in again. Every replica must use the same key file.
func loadSealer(cfg *Config, log *slog.Logger) (bot.Sealer, error) {
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
