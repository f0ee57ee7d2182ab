package vault

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPingRealVault(t *testing.T) {
	addr, token := realVault(t)
	c, err := New(Config{Addr: addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	const canary = "hvs.CANARYnotAtoken0123456789"
	bad, err := New(Config{Addr: addr, Token: canary})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Ping(context.Background())
	if !errors.Is(err, ErrDenied) || strings.Contains(err.Error(), canary) {
		t.Fatalf("ping with a wrong token = %v", err)
	}
	gone, err := New(Config{Addr: "http://127.0.0.1:1", Token: token, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Ping(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ping of no Vault = %v", err)
	}
}
