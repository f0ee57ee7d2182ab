package devsecrets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteOnceReadBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const p = "secret/payments/orders-db/dev/db"
	res, err := s.WriteOnce(ctx, p, map[string]string{"username": "orders_db", "password": "canary-p4ss"}, "run-1")
	if err != nil || !res.Created {
		t.Fatalf("first write: %+v %v", res, err)
	}
	// Same owner again: nothing written, no error.
	res, err = s.WriteOnce(ctx, p, map[string]string{"password": "other"}, "run-1")
	if err != nil || res.Created {
		t.Fatalf("repeat write: %+v %v", res, err)
	}
	// Another owner: refused.
	if _, err := s.WriteOnce(ctx, p, map[string]string{"password": "x"}, "run-2"); !errors.Is(err, ErrExists) {
		t.Fatalf("other owner: want ErrExists, got %v", err)
	}
	sec, err := s.Read(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if sec.Data["password"] != "canary-p4ss" || sec.Owner != "run-1" {
		t.Fatalf("read back %+v", sec)
	}

	// At rest the file is encrypted, private, and at the Vault path layout.
	f := filepath.Join(dir, "devsecrets", "kv", "secret", "payments", "orders-db", "dev", "db.enc")
	raw, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("canary-p4ss")) || bytes.Contains(raw, []byte("orders_db")) {
		t.Fatal("secret stored in the clear")
	}
	for _, name := range []string{f, filepath.Join(dir, "devsecrets", "key")} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %04o, want 0600", name, st.Mode().Perm())
		}
	}

	// A reopened store (same key) reads it; a file moved elsewhere does not decrypt.
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sec, err := s2.Read(ctx, p); err != nil || sec.Data["password"] != "canary-p4ss" {
		t.Fatalf("reopen: %+v %v", sec, err)
	}
	moved := filepath.Join(dir, "devsecrets", "kv", "secret", "payments", "orders-db", "prod", "db.enc")
	if err := os.MkdirAll(filepath.Dir(moved), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moved, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Read(ctx, "secret/payments/orders-db/prod/db"); err == nil || !strings.Contains(err.Error(), "cannot decrypt") {
		t.Fatalf("moved file: want decrypt failure, got %v", err)
	}
}

func TestPathsConfined(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "/etc/passwd", "secret/../../x", "secret//x", "secret/.hidden/x", "secret/x/", "a/b c"} {
		if _, err := s.WriteOnce(context.Background(), p, map[string]string{"a": "b"}, "r"); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if err := s.PutPolicy(context.Background(), "../evil", "x"); err == nil {
		t.Error("policy name with .. accepted")
	}
}

func TestKeyPermissionsChecked(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "devsecrets", "key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: got %v", err)
	}
}

func TestPolicy(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutPolicy(ctx, "payments-orders-db-dev-db", `path "secret/data/x" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	got, err := s.Policy(ctx, "payments-orders-db-dev-db")
	if err != nil || !strings.Contains(got, `capabilities = ["read"]`) {
		t.Fatalf("policy: %q %v", got, err)
	}
}
