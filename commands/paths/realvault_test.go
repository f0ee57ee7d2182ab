package paths

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/platbot/platbot/integrations/testenv"
	"github.com/platbot/platbot/integrations/vault"
)

// A real Vault dev server (MPL-2.0 1.14.x, built by .ci/tools/build.sh
// vault), started on first use and stopped after the tests.
var (
	realVaultOnce sync.Once
	realVaultSrv  *testenv.Vault
	realVaultErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if realVaultSrv != nil {
		_ = realVaultSrv.Stop()
	}
	os.Exit(code)
}

func startRealVault(t *testing.T) *testenv.Vault {
	t.Helper()
	realVaultOnce.Do(func() { realVaultSrv, realVaultErr = testenv.StartVault(context.Background()) })
	if realVaultErr != nil {
		testenv.SkipOrFail(t, realVaultErr)
	}
	return realVaultSrv
}

// The new-db path against a real Vault: credentials and policies land
// where the ExternalSecrets expect them, with a Kubernetes auth role bound
// to the read policies; a retry after a later failure writes nothing again.
func TestNewDBOnRealVault(t *testing.T) {
	v := startRealVault(t)
	ctx := context.Background()
	c, err := vault.New(vault.Config{Addr: v.Addr, Token: v.RootToken, Timeout: 5 * time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := vaultapi.NewClient(&vaultapi.Config{Address: v.Addr})
	if err != nil {
		t.Fatal(err)
	}
	raw.SetToken(v.RootToken)
	if err := raw.Sys().EnableAuthWithOptionsWithContext(ctx, "kubernetes", &vaultapi.EnableAuthOptions{Type: "kubernetes"}); err != nil && !strings.Contains(err.Error(), "path is already in use") {
		t.Fatal(err)
	}

	gh := newGHFake(t)
	gh.setFail(func(method, path string) (int, string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			return 503, `{"message":"Service Unavailable"}`
		}
		return 0, ""
	})
	e := newEnv(t, envOptions{publisher: githubBackend(t, gh), secrets: VaultSecrets(c, "secret", "kubernetes")})
	f := e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunFailed || r.Steps[r.current()].ID != "publish" {
		t.Fatalf("run %s at %s", r.State, r.Steps[r.current()].Key)
	}
	gh.setFail(nil)
	e.reply(userJane, "run retry "+r.ID)
	e.drain()
	if r = e.onlyRun(); r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}

	for _, env := range []string{"dev", "prod"} {
		p := "payments/orders-db/" + env + "/db"
		md, err := raw.KVv2("secret").GetMetadata(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if md.CurrentVersion != 1 || md.CustomMetadata[vault.MarkerKey] != r.ID+"/credentials["+env+"]" {
			t.Fatalf("%s metadata: version %d, custom %v", p, md.CurrentVersion, md.CustomMetadata)
		}
		sec, err := raw.KVv2("secret").Get(ctx, p)
		if err != nil || sec.Data["username"] != "orders_db_app" || len(sec.Data["password"].(string)) != 32 {
			t.Fatalf("%s: %v %v", p, sec, err)
		}
		pol, err := raw.Sys().GetPolicyWithContext(ctx, "payments-orders-db-"+env+"-db-read")
		if err != nil || !strings.Contains(pol, `path "secret/data/`+p+`"`) {
			t.Fatalf("policy %q %v", pol, err)
		}
	}
	for _, env := range []string{"dev", "prod"} {
		role, err := raw.Logical().ReadWithContext(ctx, "auth/kubernetes/role/payments-orders-db-"+env)
		if err != nil || role == nil {
			t.Fatalf("role: %v", err)
		}
		if got := toString(role.Data["token_policies"]); got != "payments-orders-db-"+env+"-db-read" {
			t.Fatalf("%s role policies %s", env, got)
		}
		if got := toString(role.Data["bound_service_account_namespaces"]); got != "payments-"+env {
			t.Fatalf("%s role namespaces %s", env, got)
		}
	}
}
