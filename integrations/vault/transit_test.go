package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func realClient(t *testing.T) *Client {
	t.Helper()
	addr, token := realVault(t)
	c, err := New(Config{Addr: addr, Token: token, MaxRetries: -1, Timeout: 20 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// encryptTo encrypts as the sealing page's WebCrypto does: RSA-OAEP with
// SHA-256 and no label, in Vault's "vault:v<N>:<base64>" form.
func encryptTo(t *testing.T, k *TransitKey, plain []byte) string {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(k.PublicKeyDER)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("vault:v%d:%s", k.LatestVersion, base64.StdEncoding.EncodeToString(ct))
}

func TestTransitRealVault(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()

	if _, err := c.ReadTransitKey(ctx, "transit", "missing-key"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: err = %v, want ErrNotFound", err)
	}
	k, err := c.EnsureTransitKey(ctx, "transit", "platbot-seal-test")
	if err != nil {
		t.Fatal(err)
	}
	if k.Type != TransitKeyType || k.LatestVersion != 1 || k.PublicKey.N.BitLen() != 4096 {
		t.Fatalf("key = %s v%d %d bits, want %s v1 4096 bits", k.Type, k.LatestVersion, k.PublicKey.N.BitLen(), TransitKeyType)
	}
	again, err := c.EnsureTransitKey(ctx, "transit", "platbot-seal-test")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.PublicKeyDER, k.PublicKeyDER) {
		t.Fatal("EnsureTransitKey replaced an existing key")
	}

	canary := []byte("canary-" + fmt.Sprint(time.Now().UnixNano()))
	ct := encryptTo(t, k, canary)
	got, err := c.TransitDecrypt(ctx, "transit", "platbot-seal-test", ct)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, canary) {
		t.Fatalf("decrypt = %q, want the canary", got)
	}

	// A tampered ciphertext is refused, and the error names neither it nor
	// the plaintext.
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(ct, "vault:v1:"))
	raw[10] ^= 0xff
	tampered := "vault:v1:" + base64.StdEncoding.EncodeToString(raw)
	_, err = c.TransitDecrypt(ctx, "transit", "platbot-seal-test", tampered)
	if !errors.Is(err, ErrBadCiphertext) {
		t.Fatalf("tampered: err = %v, want ErrBadCiphertext", err)
	}
	if strings.Contains(err.Error(), tampered[9:40]) || strings.Contains(err.Error(), string(canary)) {
		t.Fatalf("error leaks the ciphertext or plaintext: %v", err)
	}
	for _, bad := range []string{"", "plain text", "vault:v1:!!!", "vault:v9:" + base64.StdEncoding.EncodeToString(raw)} {
		if _, err := c.TransitDecrypt(ctx, "transit", "platbot-seal-test", bad); !errors.Is(err, ErrBadCiphertext) {
			t.Errorf("ciphertext %q: err = %v, want ErrBadCiphertext", bad, err)
		}
	}

	// A key of another type is not usable for the browser.
	api := c.api.Logical()
	if _, err := api.WriteWithContext(ctx, "transit/keys/aes-key", map[string]any{"type": "aes256-gcm96"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnsureTransitKey(ctx, "transit", "aes-key"); err == nil || !strings.Contains(err.Error(), "RSA") {
		t.Fatalf("aes key: err = %v, want a complaint about the key type", err)
	}
	if _, err := c.ReadTransitKey(ctx, "transit", "../sys"); err == nil {
		t.Fatal("a key name with a path accepted")
	}
}

func TestKVVersionsRealVault(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()
	p := fmt.Sprintf("payments/orders/dev/API_KEY_%d", time.Now().UnixNano())

	if _, err := c.KVInfo(ctx, "secret", p); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: err = %v, want ErrNotFound", err)
	}
	v, err := c.PutKV(ctx, "secret", p, map[string]any{"value": "one"}, 0)
	if err != nil || v != 1 {
		t.Fatalf("first write: v%d, %v", v, err)
	}
	if _, err := c.PutKV(ctx, "secret", p, map[string]any{"value": "again"}, 0); !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("second create: err = %v, want ErrVersionMismatch", err)
	}
	if v, err = c.PutKV(ctx, "secret", p, map[string]any{"value": "two"}, 1); err != nil || v != 2 {
		t.Fatalf("rotate: v%d, %v", v, err)
	}
	if _, err := c.PutKV(ctx, "secret", p, map[string]any{"value": "stale"}, 1); !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("stale rotate: err = %v, want ErrVersionMismatch", err)
	}
	info, err := c.KVInfo(ctx, "secret", p)
	if err != nil || info.CurrentVersion != 2 || info.Updated.IsZero() {
		t.Fatalf("info = %+v, %v", info, err)
	}
	data, _, err := c.ReadKV(ctx, "secret", p)
	if err != nil || data["value"] != "two" {
		t.Fatalf("read = %v, %v", data["value"], err)
	}

	db := fmt.Sprintf("payments/orders-db-%d/dev/db", time.Now().UnixNano())
	if _, err := c.WriteKVOnce(ctx, "secret", db, map[string]any{"username": "orders_app", "password": "old"}, "run-1/credentials"); err != nil {
		t.Fatal(err)
	}
	if v, err = c.PatchKV(ctx, "secret", db, map[string]any{"password": "new"}, 1); err != nil || v != 2 {
		t.Fatalf("patch: v%d, %v", v, err)
	}
	data, md, err := c.ReadKV(ctx, "secret", db)
	if err != nil || data["username"] != "orders_app" || data["password"] != "new" || md[MarkerKey] != "run-1/credentials" {
		t.Fatalf("after patch: %v %v %v", data, md, err)
	}
	if _, err := c.PatchKV(ctx, "secret", db+"-missing", map[string]any{"password": "x"}, 0); err == nil {
		t.Fatal("patch of a missing secret succeeded")
	}
	names, err := c.ListKV(ctx, "secret", strings.TrimSuffix(db, "/dev/db"))
	if err != nil || len(names) != 1 || names[0] != "dev/" {
		t.Fatalf("list = %v, %v", names, err)
	}
	if names, err := c.ListKV(ctx, "secret", "nobody/nothing"); err != nil || len(names) != 0 {
		t.Fatalf("list of a missing folder = %v, %v", names, err)
	}
}
