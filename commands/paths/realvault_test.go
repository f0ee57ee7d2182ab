package paths

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
	"github.com/platbot/platbot/commands/paths/templating"
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
	goldentest.Stop()
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
	gh.SetFail(func(method, path string) (int, string) {
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
	gh.SetFail(nil)
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
		if got := templating.Text(role.Data["token_policies"]); got != "payments-orders-db-"+env+"-db-read" {
			t.Fatalf("%s role policies %s", env, got)
		}
		if got := templating.Text(role.Data["bound_service_account_namespaces"]); got != "payments-"+env {
			t.Fatalf("%s role namespaces %s", env, got)
		}
	}
}

// crashAfterWrite passes writes to a real secret store and calls after
// (set by the test) once a write returned: the moment to simulate a crash
// between Vault storing a secret and the run recording it.
type crashAfterWrite struct {
	SecretStore
	mu    sync.Mutex
	after func(path string)
}

func (c *crashAfterWrite) WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (bool, error) {
	created, err := c.SecretStore.WriteOnce(ctx, path, data, owner)
	c.mu.Lock()
	after := c.after
	c.mu.Unlock()
	if err == nil && after != nil {
		after(path)
	}
	return created, err
}

func (c *crashAfterWrite) setAfter(f func(path string)) {
	c.mu.Lock()
	c.after = f
	c.mu.Unlock()
}

// TestCrashResume on a real Vault: the engine dies right after Vault
// stored the prod credentials, and again right after GitHub created the
// pull request, each time before the run recorded it. Engines resumed over
// the same store finish the run with exactly one KV version per secret and
// one pull request.
func TestCrashResumeOnRealVault(t *testing.T) {
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

	gh := newGHFake(t)
	sec := &crashAfterWrite{SecretStore: VaultSecrets(c, "secret", "")}
	opts := envOptions{publisher: githubBackend(t, gh), secrets: sec, cat: newCatalog(t), msgr: bottest.NewMessenger()}
	const name = "ledger-db" // not used by the other real-Vault tests

	e1 := newEnv(t, opts)
	f := e1.form(userJane, "new-db")
	if errs := e1.submit(userJane, f, newDBValues(name)); errs != nil {
		t.Fatal(errs)
	}
	ctx1, crash1 := context.WithCancel(ctx)
	defer crash1()
	sec.setAfter(func(p string) {
		if p == "payments/"+name+"/prod/db" {
			crash1()
		}
	})
	runUntilCancelled(t, e1, ctx1)
	sec.setAfter(nil)
	r := e1.onlyRun()
	if r.State != RunRunning || r.Steps[r.current()].Key != "credentials[prod]" || r.Steps[r.current()].State != StepRunning {
		t.Fatalf("after crash 1: %s at %+v", r.State, r.Steps[r.current()])
	}
	if md, err := raw.KVv2("secret").GetMetadata(ctx, "payments/"+name+"/prod/db"); err != nil || md.CurrentVersion != 1 {
		t.Fatalf("the crash should come after the prod write: %v %v", md, err)
	}
	e1.st.Close()

	opts.dbPath = e1.dbPath
	e2 := newEnv(t, opts)
	if err := e2.paths.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	ctx2, crash2 := context.WithCancel(ctx)
	defer crash2()
	var once sync.Once
	gh.SetAfter(func(method, path string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			once.Do(crash2)
		}
	})
	runUntilCancelled(t, e2, ctx2)
	gh.SetAfter(nil)
	r = e2.onlyRun()
	if r.State != RunRunning || r.Steps[r.current()].ID != "publish" || len(gh.PullRequests()) != 1 {
		t.Fatalf("after crash 2: %s at %s, %d PRs", r.State, r.Steps[r.current()].Key, len(gh.PullRequests()))
	}
	e2.st.Close()

	e3 := newEnv(t, opts)
	if err := e3.paths.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	e3.drain()
	r = e3.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("after resume: %s %s", r.State, r.Error)
	}
	if n := len(gh.PullRequests()); n != 1 {
		t.Fatalf("%d pull requests", n)
	}
	if n := gh.Count("POST", "/repos/acme/gitops/pulls"); n != 1 {
		t.Fatalf("pull request created %d times", n)
	}
	for _, env := range []string{"dev", "prod"} {
		p := "payments/" + name + "/" + env + "/db"
		md, err := raw.KVv2("secret").GetMetadata(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if md.CurrentVersion != 1 || len(md.Versions) != 1 || md.CustomMetadata[vault.MarkerKey] != r.ID+"/credentials["+env+"]" {
			t.Fatalf("%s: version %d, %d versions, custom %v", p, md.CurrentVersion, len(md.Versions), md.CustomMetadata)
		}
		sec, err := raw.KVv2("secret").Get(ctx, p)
		if err != nil || sec.Data["username"] != "ledger_db_app" || len(sec.Data["password"].(string)) != 32 {
			t.Fatalf("%s: %v %v", p, sec, err)
		}
	}
	if posts := opts.msgr.Ops("post"); len(posts) != 1 {
		t.Fatalf("%d progress messages", len(posts))
	}
}
