package vault

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/platbot/platbot/integrations/vault/vaultfake"
)

func newClient(t *testing.T, addr, token string) *Client {
	t.Helper()
	c, err := New(Config{Addr: addr, Token: token, MaxRetries: 1, MinRetryWait: 5 * time.Millisecond, MaxRetryWait: 10 * time.Millisecond, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// backends runs a test against the loopback fake and, when available, a
// real Vault dev server (see vault_real_test.go).
func backends(t *testing.T, f func(t *testing.T, c *Client, mount string)) {
	t.Run("fake", func(t *testing.T) {
		fv := vaultfake.New()
		defer fv.Close()
		f(t, newClient(t, fv.URL, fv.Token), "secret")
	})
	t.Run("real", func(t *testing.T) {
		addr, token := realVault(t)
		f(t, newClient(t, addr, token), "secret")
	})
}

func TestWriteKVOnceIdempotentPerOwner(t *testing.T) {
	backends(t, func(t *testing.T, c *Client, mount string) {
		ctx := context.Background()
		path := "payments/orders-db-" + strings.ReplaceAll(t.Name(), "/", "-") + "/dev/db"
		res, err := c.WriteKVOnce(ctx, mount, path, map[string]any{"username": "u", "password": "p1"}, "run-1")
		if err != nil || !res.Created || res.Version != 1 {
			t.Fatalf("first write: %+v %v", res, err)
		}
		res, err = c.WriteKVOnce(ctx, mount, path, map[string]any{"username": "u", "password": "p2"}, "run-1")
		if err != nil || res.Created || res.Version != 1 {
			t.Fatalf("repeat write: %+v %v", res, err)
		}
		if _, err := c.WriteKVOnce(ctx, mount, path, map[string]any{"password": "p3"}, "run-2"); !errors.Is(err, ErrExists) {
			t.Fatalf("other owner: want ErrExists, got %v", err)
		}
		data, md, err := c.ReadKV(ctx, mount, path)
		if err != nil {
			t.Fatal(err)
		}
		if data["password"] != "p1" || md[MarkerKey] != "run-1" {
			t.Fatalf("read back %v %v", data, md)
		}
	})
}

func TestWriteKVOnceAfterInterruptedAttempt(t *testing.T) {
	// An earlier attempt claimed the path (metadata with its owner) and
	// died before writing the data: the retry writes it. A path claimed by
	// someone else is refused even without data.
	backends(t, func(t *testing.T, c *Client, mount string) {
		ctx := context.Background()
		base := "team/svc-" + strings.ReplaceAll(t.Name(), "/", "-")
		kv := c.api.KVv2(mount)
		if err := kv.PutMetadata(ctx, base+"/dev/db", vaultapi.KVMetadataPutInput{CustomMetadata: map[string]any{MarkerKey: "run-9"}}); err != nil {
			t.Fatal(err)
		}
		res, err := c.WriteKVOnce(ctx, mount, base+"/dev/db", map[string]any{"password": "p1"}, "run-9")
		if err != nil || !res.Created || res.Version != 1 {
			t.Fatalf("resumed write: %+v %v", res, err)
		}
		if err := kv.PutMetadata(ctx, base+"/prod/db", vaultapi.KVMetadataPutInput{CustomMetadata: map[string]any{MarkerKey: "run-other"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.WriteKVOnce(ctx, mount, base+"/prod/db", map[string]any{"password": "p1"}, "run-9"); !errors.Is(err, ErrExists) {
			t.Fatalf("claimed by another run: %v", err)
		}
	})
}

func TestPolicy(t *testing.T) {
	backends(t, func(t *testing.T, c *Client, mount string) {
		ctx := context.Background()
		rules := `path "secret/data/payments/orders-db/dev/db" { capabilities = ["read"] }`
		if err := c.PutPolicy(ctx, "payments-orders-db-dev-db", rules); err != nil {
			t.Fatal(err)
		}
		if err := c.PutPolicy(ctx, "payments-orders-db-dev-db", rules); err != nil {
			t.Fatal(err)
		}
		got, err := c.Policy(ctx, "payments-orders-db-dev-db")
		if err != nil || !strings.Contains(got, "capabilities") {
			t.Fatalf("policy %q %v", got, err)
		}
	})
}

func TestKubernetesRoleMerge(t *testing.T) {
	backends(t, func(t *testing.T, c *Client, _ string) {
		ctx := context.Background()
		mount := "kubernetes"
		if strings.HasSuffix(t.Name(), "real") {
			mount = "k8s-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
			if err := c.api.Sys().EnableAuthWithOptionsWithContext(ctx, mount, &vaultapi.EnableAuthOptions{Type: "kubernetes"}); err != nil {
				t.Fatal(err)
			}
		}
		r := KubernetesRole{Mount: mount, Name: "payments-orders-db", ServiceAccounts: []string{"orders-db"}, Namespaces: []string{"payments-dev"}, Policies: []string{"p-dev"}}
		if err := c.EnsureKubernetesRole(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Policies = []string{"p-prod"}
		if err := c.EnsureKubernetesRole(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := c.EnsureKubernetesRole(ctx, r); err != nil {
			t.Fatal(err)
		}
		sec, err := c.api.Logical().ReadWithContext(ctx, "auth/"+mount+"/role/payments-orders-db")
		if err != nil || sec == nil {
			t.Fatalf("read role: %v", err)
		}
		if got := stringList(sec.Data["token_policies"]); strings.Join(got, ",") != "p-dev,p-prod" {
			t.Fatalf("token_policies %v", got)
		}
		if got := stringList(sec.Data["bound_service_account_names"]); strings.Join(got, ",") != "orders-db" {
			t.Fatalf("bound_service_account_names %v", got)
		}
	})
}

func TestErrorsAreClassified(t *testing.T) {
	ctx := context.Background()
	// Nothing listens on this port.
	c := newClient(t, "http://127.0.0.1:1", "t")
	_, err := c.WriteKVOnce(ctx, "secret", "a/b/c/db", map[string]any{"password": "s3cr3t"}, "r")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "cannot reach Vault at http://127.0.0.1:1") {
		t.Fatalf("unreachable: %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatal("secret in error")
	}

	fv := vaultfake.New()
	defer fv.Close()
	bad := newClient(t, fv.URL, "wrong-token")
	if _, err := bad.WriteKVOnce(ctx, "secret", "a/b/c/db", map[string]any{"password": "x"}, "r"); !errors.Is(err, ErrDenied) {
		t.Fatalf("denied: %v", err)
	}
	fv.SetDown(true)
	good := newClient(t, fv.URL, fv.Token)
	if _, err := good.WriteKVOnce(ctx, "secret", "a/b/c/db", map[string]any{"password": "x"}, "r"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("sealed: %v", err)
	}
	// A rate-limit quota's 429 is no answer either; a 400 is one.
	fv.SetDown(false)
	once := newClient(t, fv.URL, fv.Token)
	once.api.SetMaxRetries(0)
	fv.FailNext(1, 429)
	if _, err := once.ListKV(ctx, "secret", "a/b"); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "429") {
		t.Fatalf("rate limited: %v", err)
	}
	fv.FailNext(1, 400)
	if _, err := once.ListKV(ctx, "secret", "a/b"); err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrDenied) {
		t.Fatalf("bad request: %v", err)
	}
}
