package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/integrations/testenv"
	"github.com/platbot/platbot/integrations/vault"
	"github.com/platbot/platbot/store"
)

// ---- the real Vault dev server, started once ----

var (
	vaultOnce sync.Once
	vaultSrv  *testenv.Vault
	vaultErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if vaultSrv != nil {
		_ = vaultSrv.Stop()
	}
	goldentest.Stop()
	os.Exit(code)
}

func realVault(t *testing.T) *testenv.Vault {
	t.Helper()
	vaultOnce.Do(func() { vaultSrv, vaultErr = testenv.StartVault(context.Background()) })
	if vaultErr != nil {
		testenv.SkipOrFail(t, vaultErr)
	}
	return vaultSrv
}

// ---- the development key, generated once per test binary ----

var (
	devKeyOnce sync.Once
	devKeyPEM  []byte
	devKeyErr  error
)

// seedDevKey puts one shared RSA-4096 development key into dataDir, so the
// tests do not generate a key each.
func seedDevKey(t *testing.T, dataDir string) {
	t.Helper()
	devKeyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "platbot-secrets-key-")
		if err != nil {
			devKeyErr = err
			return
		}
		defer os.RemoveAll(dir)
		if _, devKeyErr = DevSealer(dir); devKeyErr == nil {
			devKeyPEM, devKeyErr = os.ReadFile(filepath.Join(dir, DevSealKeyFile))
		}
	})
	if devKeyErr != nil {
		t.Fatal(devKeyErr)
	}
	p := filepath.Join(dataDir, DevSealKeyFile)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, devKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}

// ---- a catalog ----

// entity builds an entity for the test catalog.
func entity(kind, name, owner string, spec map[string]any) *catalog.Entity {
	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: catalog.Metadata{Name: name, Namespace: "default"}, Spec: map[string]any{}}
	for k, v := range spec {
		e.Spec[k] = v
	}
	if owner != "" {
		e.Spec["owner"] = owner
	}
	return e
}

// Users: jane (payments, a sub-team of commerce), bob (billing), ada
// (platform, admin), eve (unknown).
const (
	userJane = "U-jane"
	userBob  = "U-bob"
	userAda  = "U-ada"
)

// newCatalog is a real catalog (catalogtest) of catalogEntities.
func newCatalog(t testing.TB) *catalogtest.Catalog {
	t.Helper()
	return catalogtest.FromEntities(t, catalogEntities()...)
}

// catalogEntities are the teams, services and users above.
func catalogEntities() []*catalog.Entity {
	payments := catalogtest.Group("payments")
	payments.Spec["parent"] = "group:default/commerce"
	commerce := catalogtest.Group("commerce")
	commerce.Spec["children"] = []any{"group:default/payments"}
	svc := func(name, owner string) *catalog.Entity { return catalogtest.Component(name, owner) }
	db := entity(catalog.KindResource, "orders-db", "group:default/payments", map[string]any{"type": "database", "dependencyOf": []any{"component:default/orders-service"}})
	return []*catalog.Entity{
		commerce, payments, catalogtest.Group("billing"), catalogtest.Group("platform"),
		svc("storefront", "group:default/commerce"), svc("orders-service", "group:default/payments"),
		svc("refunds", "payments"), svc("billing-service", "group:default/billing"), db,
		catalogtest.User("jane", userJane, "payments"), catalogtest.User("bob", userBob, "billing"),
		catalogtest.User("ada", userAda, "platform"),
	}
}

// teamPolicy is the kit's recording policy deciding as the default
// policy does: everyone reads; scaffold needs the resource's owner among
// the user's groups, or the admin role.
func teamPolicy(cat Catalog) *bottest.Policy {
	p := bottest.NewPolicy()
	p.DecideWith(func(ctx context.Context, u bot.User, action string, res bot.Resource) bot.Decision {
		id, _ := cat.Identify(ctx, u)
		switch action {
		case bot.ActionRead:
			return bot.Decision{Allow: true, Rule: "everyone-reads"}
		case bot.ActionScaffold:
			if id.IsAdmin() || (res.Owner != "" && id.InGroup(res.Owner)) {
				return bot.Decision{Allow: true, Rule: "engineers-scaffold-for-own-team"}
			}
			return bot.Decision{Rule: "scaffold-only-for-own-team", Reason: "Engineers may scaffold only for their own team.", AskWhom: "a member of " + res.Owner}
		}
		return bot.Decision{Rule: "admins-only"}
	})
	return p
}

// ---- the environment ----

// deploymentYAML is the orders service's Deployment in the GitOps repository.
const deploymentYAML = `# orders-service in dev; people edit this file too.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-service   # keep in sync with the catalog
spec:
  template:
    metadata:
      labels:
        app: orders-service
    spec:
      containers:
        - name: orders-service
          image: ghcr.io/acme/orders:1.4.0
          env:
            - name: LOG_LEVEL   # chatty in dev
              value: debug
`

type envOptions struct {
	vault    *testenv.Vault // nil: the development backends
	now      func() time.Time
	cfg      *Config
	noFiles  bool
	seedRepo map[string]string
	// wrapStore, wrapKV and wrapPub interpose on the feature's store, KV
	// store and publisher (to simulate crashes and failures).
	wrapStore func(Store) Store
	wrapKV    func(KV) KV
	wrapPub   func(Publisher) Publisher
	metrics   prometheus.Registerer
}

type env struct {
	t       *testing.T
	ctx     context.Context
	dir     string
	dataDir string
	dbPath  string
	st      *store.Store
	router  *bot.Router
	msgr    *bottest.Messenger
	sec     *Secrets
	cat     *catalogtest.Catalog
	repo    *gitlocal.Repo
	kv      KV
	sealer  Sealer
	logs    *bottest.LogBuffer
	mount   string
	vc      *vault.Client
	seq     int
	// remote is the client address of the next requests ("" = a new one
	// for every request, so the per-address limit does not get in the way).
	remote string
}

var mountSeq struct {
	sync.Mutex
	n int
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	e := &env{t: t, ctx: ctx, dir: dir, dataDir: filepath.Join(dir, "data"), dbPath: filepath.Join(dir, "platbot.db"), logs: &bottest.LogBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(ctx, e.dbPath, store.WithAuditKey([]byte("0123456789abcdef0123456789abcdef")), store.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st

	cfg := DefaultConfig()
	if o.cfg != nil {
		cfg = *o.cfg
	}
	cfg.DataDir = e.dataDir
	if o.vault != nil {
		// Each test gets its own KV mount on the shared server.
		mountSeq.Lock()
		mountSeq.n++
		e.mount = fmt.Sprintf("kv%d", mountSeq.n)
		mountSeq.Unlock()
		api, err := o.vault.Client()
		if err != nil {
			t.Fatal(err)
		}
		if err := api.Sys().MountWithContext(ctx, e.mount, &vaultapi.MountInput{Type: "kv", Options: map[string]string{"version": "2"}}); err != nil {
			t.Fatal(err)
		}
		cfg.KVMount = e.mount
		cfg.TransitKey = "seal-" + e.mount
		e.vc, err = vault.New(vault.Config{Addr: o.vault.Addr, Token: o.vault.RootToken, Logger: log, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		e.kv, e.sealer = VaultKV(e.vc, cfg.KVMount), VaultSealer(e.vc, cfg.TransitMount, cfg.TransitKey)
	} else {
		seedDevKey(t, e.dataDir)
		dev, err := devsecrets.Open(e.dataDir)
		if err != nil {
			t.Fatal(err)
		}
		e.kv, e.sealer, err = NewBackends(cfg, nil, dev, log)
		if err != nil {
			t.Fatal(err)
		}
		e.mount = cfg.KVMount
	}

	e.repo, err = gitlocal.Open(ctx, filepath.Join(dir, "gitops"), gitlocal.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	seed := o.seedRepo
	if seed == nil {
		seed = map[string]string{"apps/orders-service/dev/deployment.yaml": deploymentYAML}
	}
	e.commit(seed)

	e.cat = newCatalog(t)
	e.msgr = bottest.NewMessenger()
	e.router = bot.NewRouter(bot.RouterOptions{Policy: teamPolicy(e.cat), Audit: st, Queue: st, Logger: log, Version: "test"})
	e.router.SetMessenger(bot.TransportShell, e.msgr)
	var fst Store = st
	if o.wrapStore != nil {
		fst = o.wrapStore(st)
	}
	fkv := e.kv
	if o.wrapKV != nil {
		fkv = o.wrapKV(e.kv)
	}
	gp := gitops.Local(e.repo)
	var pub Publisher = gitopsPublisher{gp}
	if o.wrapPub != nil {
		pub = o.wrapPub(pub)
	}
	deps := Deps{Store: fst, Catalog: e.cat, KV: fkv, Sealer: e.sealer, Publisher: pub, Logger: log, Now: o.now, Metrics: o.metrics}
	if !o.noFiles {
		deps.Files = gp
	}
	e.sec, err = New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	install(t, e.sec, e.router)
	return e
}

// gitopsPublisher is the one GitOps publisher seen through this feature's
// Publisher, as cmd/platbot adapts it.
type gitopsPublisher struct{ p *gitops.Publisher }

func (g gitopsPublisher) Open(ctx context.Context, c PRChange) (*PullRequestInfo, error) {
	pr, err := g.p.Open(ctx, gitops.Change{Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage, Files: c.Files, Labels: c.Labels})
	if err != nil {
		return nil, err
	}
	return &PullRequestInfo{Number: pr.Number, URL: pr.URL, Branch: pr.Branch}, nil
}

// commit puts files on the GitOps repository's main branch.
func (e *env) commit(files map[string]string) {
	e.t.Helper()
	if len(files) == 0 {
		return
	}
	for p, c := range files {
		full := filepath.Join(e.repo.Dir(), p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	e.git("add", "-A")
	e.git("commit", "-q", "-m", "seed")
}

func (e *env) git(args ...string) string {
	e.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", e.repo.Dir()}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (e *env) request(user, text string) *bot.Request {
	e.seq++
	req := &bot.Request{
		ID:        fmt.Sprintf("req-%d-%d", e.seq, time.Now().UnixNano()),
		Transport: bot.TransportShell, User: bot.User{ID: user, Name: strings.TrimPrefix(user, "U-")},
		Channel: "C-dev", Text: text, Flags: bot.Flags{}, Received: time.Now(),
	}
	req.Bind(e.msgr)
	return req
}

// reply runs "/plat <text>" and returns what it answered.
func (e *env) reply(user, text string) string {
	e.t.Helper()
	n := len(e.msgr.Sent())
	if err := e.router.Run(e.ctx, e.request(user, text)); err != nil {
		e.t.Fatalf("/plat %s: %v", text, err)
	}
	return e.since(n)
}

func (e *env) since(n int) string {
	var out []string
	for _, s := range e.msgr.Sent()[n:] {
		out = append(out, s.Text())
	}
	return strings.Join(out, "\n")
}

// add runs /plat secret add through its form and returns the link sent.
func (e *env) add(user, service, envName, name, desc string) (link, said string) {
	e.t.Helper()
	e.reply(user, "secret add")
	last := e.msgr.Last()
	if last.Form == nil {
		e.t.Fatalf("no form: %s", last.Text())
	}
	n := len(e.msgr.Sent())
	req := e.request(user, "")
	if ent, ok := e.cat.Get(service); ok {
		service = ent.Ref() // the select's values are refs
	}
	v := bot.Values{"service": {service}, "environment": {envName}, "name": {name}, "description": {desc}}
	errs, err := e.router.ValidateForm(e.ctx, req, last.Form.ID, v)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(errs) > 0 {
		return "", errs.Error()
	}
	if err := e.router.SubmitForm(e.ctx, req, last.Form.ID, v); err != nil {
		e.t.Fatal(err)
	}
	said = e.since(n)
	return linkIn(said), said
}

func linkIn(text string) string {
	i := strings.Index(text, "/seal/")
	if i < 0 {
		return ""
	}
	j := i
	for j < len(text) && !strings.ContainsRune(" \n|>", rune(text[j])) {
		j++
	}
	start := strings.LastIndex(text[:i], "http")
	return text[start:j]
}

// tokenOf returns the token of a link.
func tokenOf(link string) string {
	_, tok, _ := strings.Cut(link, "/seal/")
	return tok
}

// drain runs due jobs (the pull requests).
func (e *env) drain() {
	e.t.Helper()
	if _, err := e.router.Worker().RunDue(e.ctx); err != nil {
		e.t.Fatalf("run jobs: %v", err)
	}
}

// encrypt does what the page's script does.
func (e *env) encrypt(binding, value string) string {
	e.t.Helper()
	k, err := e.sealer.PublicKey(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(k.DER)
	if err != nil {
		e.t.Fatal(err)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), []byte(binding+"\n"+value), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf("vault:v%d:%s", k.Version, base64.StdEncoding.EncodeToString(ct))
}

// post submits a ciphertext to the handler as the page would.
func (e *env) post(token, ciphertext string) (int, map[string]any) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"ciphertext": ciphertext})
	return e.do(http.MethodPost, "/seal/"+token, "application/json", body)
}

func (e *env) do(method, path, ctype string, body []byte) (int, map[string]any) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	e.seq++
	req.RemoteAddr = fmt.Sprintf("198.51.100.%d:%d", e.seq%250+1, 40000+e.seq)
	if e.remote != "" {
		req.RemoteAddr = e.remote
	}
	rec := httptest.NewRecorder()
	e.sec.Handler().ServeHTTP(rec, req)
	out := map[string]any{"_body": rec.Body.String()}
	json.Unmarshal(rec.Body.Bytes(), &out)
	for _, h := range []string{"Cache-Control", "X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy"} {
		out["_"+h] = rec.Header().Get(h)
	}
	return rec.Code, out
}

// value reads a secret's value straight from the backend (test only).
func (e *env) value(path string) (string, int) {
	e.t.Helper()
	if e.vc != nil {
		data, _, err := e.vc.ReadKV(e.ctx, e.mount, path)
		if err != nil {
			return "", 0
		}
		info, err := e.vc.KVInfo(e.ctx, e.mount, path)
		if err != nil {
			e.t.Fatal(err)
		}
		if v, ok := data["value"].(string); ok {
			return v, info.CurrentVersion
		}
		b, _ := json.Marshal(data)
		return string(b), info.CurrentVersion
	}
	info, err := e.kv.Info(e.ctx, path)
	if err != nil {
		return "", 0
	}
	ds, err := devsecrets.Open(e.dataDir)
	if err != nil {
		e.t.Fatal(err)
	}
	sec, err := ds.Read(e.ctx, e.kv.(*devKV).logical(path, info.Version))
	if err != nil {
		e.t.Fatal(err)
	}
	if v, ok := sec.Data["value"]; ok {
		return v, info.Version
	}
	b, _ := json.Marshal(sec.Data)
	return string(b), info.Version
}

// everything gathers every place a value must never reach: the logs, the
// database files, the audit export, the recorded Slack traffic and the
// GitOps repository (every branch, every commit, pull request records).
func (e *env) everything() string {
	e.t.Helper()
	var b strings.Builder
	b.WriteString(e.logs.String())
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if data, err := os.ReadFile(e.dbPath + suffix); err == nil {
			b.Write(data)
		}
	}
	var audit bytes.Buffer
	if _, err := e.st.ExportAudit(e.ctx, &audit, store.AuditFilter{}); err != nil {
		e.t.Fatal(err)
	}
	b.Write(audit.Bytes())
	for _, s := range e.msgr.Sent() {
		b.WriteString(s.Text())
		raw, _ := json.Marshal(s.Msg.Blocks)
		b.Write(raw)
		if s.Form != nil {
			raw, _ := json.Marshal(s.Form)
			b.Write(raw)
		}
	}
	b.WriteString(e.git("log", "-p", "--all"))
	filepath.Walk(filepath.Join(e.repo.Dir(), ".git"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, ".json") {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

func (e *env) audit(action string) []store.Event {
	e.t.Helper()
	evs, err := e.st.AuditEvents(e.ctx, store.AuditFilter{Action: action}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func (e *env) change(token string) (*store.Record, *Change) {
	e.t.Helper()
	id, _ := parseToken(token)
	rec, ch, err := e.sec.loadChange(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec, ch
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s does not mention %q:\n%s", what, w, got)
		}
	}
}

// install registers the feature with r as cmd/platbot does, through a
// bot.Registry.
func install(t testing.TB, f bot.Feature, r *bot.Router) {
	t.Helper()
	if err := bot.NewRegistry(r, nil).Install(f); err != nil {
		t.Fatal(err)
	}
}
