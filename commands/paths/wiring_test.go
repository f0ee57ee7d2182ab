package paths

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/vault"
)

// The secret store is put over the clients cmd/platbot injects: Vault when
// there is a Vault client, else the development-only store.
func TestSecretStoreOverInjectedClients(t *testing.T) {
	dir := t.TempDir()
	dev, err := devsecrets.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := NewSecretStore(Config{}, nil, dev, quietLogger())
	if err != nil || !sec.DevelopmentOnly() || !strings.Contains(sec.Describe(), "development-only") || sec.Mount() != "secret" {
		t.Fatalf("dev secrets: %v %v", sec, err)
	}
	vc, err := vault.New(vault.Config{Addr: "http://127.0.0.1:8200", Token: "t", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	sec, err = NewSecretStore(Config{Vault: VaultConfig{Mount: "kv"}}, vc, dev, quietLogger())
	if err != nil || sec.DevelopmentOnly() || sec.Describe() != "Vault at http://127.0.0.1:8200" || sec.Mount() != "kv" {
		t.Fatalf("vault: %v %v", sec, err)
	}
	if _, err := NewSecretStore(Config{}, nil, nil, quietLogger()); err == nil {
		t.Fatal("no store at all must be refused")
	}
}

// A Vault nobody answers is ErrSecretUnavailable (the shared Vault error
// classification), with the client's own text.
func TestVaultSecretsClassifiesUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	vc, err := vault.New(vault.Config{Addr: addr, Token: "t", MaxRetries: -1, Timeout: 2 * time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	err = VaultSecrets(vc, "secret", "").PutPolicy(context.Background(), "p", `path "x" {}`)
	if !errors.Is(err, ErrSecretUnavailable) || !errors.Is(err, vault.ErrUnavailable) || !strings.HasPrefix(err.Error(), "vault: ") {
		t.Fatalf("err = %v, want ErrSecretUnavailable with Vault's text", err)
	}
}
