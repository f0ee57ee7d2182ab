package main

import (
	"bytes"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

func TestLoadSealer(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	// None configured: a per-process key, and a warning saying what it costs.
	s, err := loadSealer(&Config{}, log)
	if err != nil || s == nil {
		t.Fatalf("loadSealer() = %v, %v", s, err)
	}
	if !strings.Contains(logs.String(), "PLATBOT_SEAL_KEY_FILE") || !strings.Contains(logs.String(), "restart") {
		t.Fatalf("no warning: %q", logs.String())
	}

	// A key file: values sealed with its key open.
	key := bytes.Repeat([]byte{0x5a}, bot.SealKeySize)
	p := filepath.Join(dir, "seal.key")
	if err := os.WriteFile(p, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = loadSealer(&Config{SealKeyFile: p}, log)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := bot.NewSealer(key)
	sealed, _ := ref.Seal([]byte("v"), "aad")
	if got, err := s.Open(sealed, "aad"); err != nil || string(got) != "v" {
		t.Fatalf("the key file's sealer opens %q, %v", got, err)
	}

	// Refused: readable by others, missing, not a key.
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSealer(&Config{SealKeyFile: p}, log); err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "sealKeyFile") {
		t.Fatalf("0644 key file: %v", err)
	}
	if _, err := loadSealer(&Config{SealKeyFile: filepath.Join(dir, "none")}, log); err == nil || !strings.Contains(err.Error(), "openssl rand") {
		t.Fatalf("missing key file: %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSealer(&Config{SealKeyFile: bad}, log); err == nil || !strings.Contains(err.Error(), "64 hex digits") {
		t.Fatalf("bad key file: %v", err)
	}
}

func TestSealKeyFileSetting(t *testing.T) {
	e := testEnv(t, nil)
	e["PLATBOT_SEAL_KEY_FILE"] = "/etc/platbot/seal.key"
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SealKeyFile != "/etc/platbot/seal.key" {
		t.Fatalf("SealKeyFile = %q", cfg.SealKeyFile)
	}
}
