package vault

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestTransitHMACRealVault(t *testing.T) {
	c := realClient(t)
	ctx := context.Background()

	if _, err := c.ReadHMACKey(ctx, "transit", "platbot-audit-test", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: err = %v, want ErrNotFound", err)
	}
	k, err := c.EnsureHMACKey(ctx, "transit", "platbot-audit-test", 0)
	if err != nil {
		t.Fatal(err)
	}
	if k.KeyID() != "vault-transit:transit/platbot-audit-test@v1" {
		t.Errorf("KeyID = %s", k.KeyID())
	}
	a, err := k.MAC(ctx, []byte("head 5"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := k.MAC(ctx, []byte("head 5"))
	if err != nil || !bytes.Equal(a, again) || len(a) != 32 {
		t.Fatalf("MAC not deterministic or not 32 bytes: %x %x %v", a, again, err)
	}
	other, _ := k.MAC(ctx, []byte("head 6"))
	if bytes.Equal(a, other) {
		t.Fatal("different data, same MAC")
	}

	// Rotating the transit key does not change digests at the pinned version.
	if _, err := c.api.Logical().WriteWithContext(ctx, "transit/keys/platbot-audit-test/rotate", nil); err != nil {
		t.Fatal(err)
	}
	k2, err := c.EnsureHMACKey(ctx, "transit", "platbot-audit-test", 1)
	if err != nil {
		t.Fatal(err)
	}
	if after, err := k2.MAC(ctx, []byte("head 5")); err != nil || !bytes.Equal(after, a) {
		t.Errorf("after rotation: %x, %v; want %x", after, err, a)
	}
	v2, err := c.TransitHMAC(ctx, "transit", "platbot-audit-test", 2, []byte("head 5"))
	if err != nil || bytes.Equal(v2, a) {
		t.Errorf("version 2 digest = %x, %v; want a different digest", v2, err)
	}
	if _, err := c.EnsureHMACKey(ctx, "transit", "platbot-audit-test", 9); err == nil || !strings.Contains(err.Error(), "no version 9") {
		t.Errorf("missing version: %v", err)
	}
}
