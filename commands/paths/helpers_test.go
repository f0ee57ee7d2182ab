package paths

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/integrations/vault"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
	"github.com/platbot/platbot/store"
)

// ---- a catalog ----

// Users: jane (payments, and through it engineering), admin (platform,
// admin), bob (no team).
const (
	userJane  = "U-jane"
	userAdmin = "U-admin"
	userBob   = "U-bob"
)

// newCatalog is a real catalog (catalogtest) of the teams, users and
// entities the tests name.
func newCatalog(t testing.TB, extra ...*catalog.Entity) *catalogtest.Catalog {
	t.Helper()
	// engineering is the parent of the teams (jane is in it only through payments).
	engineering := catalogtest.Group("engineering")
	engineering.Spec["type"] = "department"
	var ents []*catalog.Entity
	ents = append(ents, engineering)
	for _, name := range []string{"payments", "platform", "checkout"} {
		g := catalogtest.Group(name)
		g.Spec["parent"] = "group:default/engineering"
		ents = append(ents, g)
	}
	engineering.Spec["children"] = []any{"group:default/payments", "group:default/platform", "group:default/checkout"}
	jane := catalogtest.User("jane", userJane, "payments")
	jane.Metadata.Annotations["github.com/user-login"] = "jane-gh"
	jane.Spec["profile"] = map[string]any{"displayName": "Jane"}
	admin := catalogtest.User("admin", userAdmin, "platform")
	admin.Spec["profile"] = map[string]any{"displayName": "Ada"}
	bob := catalogtest.User("bob", userBob)
	bob.Spec["profile"] = map[string]any{"displayName": "Bob"}
	legacy := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindResource, Metadata: catalog.Metadata{Name: "legacy-db"},
		Spec: map[string]any{"type": "database", "owner": "group:default/payments"}}
	ents = append(ents, jane, admin, bob,
		catalogtest.Component("orders-service", "group:default/payments"),
		catalogtest.System("orders", "group:default/payments"), legacy)
	ents = append(ents, extra...)
	return catalogtest.FromEntities(t, ents...)
}

// withTemplates is a catalog that also lists templates whose source is a
// folder or repository the test catalog does not read (the real catalog
// sets an entity's source to the file it read it from).
type withTemplates struct {
	*catalogtest.Catalog
	templates []*catalog.Entity
}

func (c withTemplates) List(kind string) []*catalog.Entity {
	if kind == catalog.KindTemplate {
		return append(c.Catalog.List(kind), c.templates...)
	}
	return c.Catalog.List(kind)
}

// templateEntity is a Template entity owned by owner.
func templateEntity(name, owner string) *catalog.Entity {
	return &catalog.Entity{APIVersion: template.APIVersion, Kind: catalog.KindTemplate, Metadata: catalog.Metadata{Name: name},
		Spec: map[string]any{"owner": owner}}
}

// ---- a policy: admin needs the admin role, scaffold needs membership ----

// teamDecision decides as the default policy does for the actions the
// feature asks about.
func teamDecision(ctx context.Context, cat Catalog, u bot.User, action string, res bot.Resource) bot.Decision {
	id, _ := cat.Identify(ctx, u)
	switch action {
	case bot.ActionAdmin:
		if !id.IsAdmin() {
			return bot.Decision{Rule: "admins-only", Reason: "Only platform admins may do this.", AskWhom: "the platform admins"}
		}
	case bot.ActionScaffold:
		if !id.InGroup(res.Ref) && !id.IsAdmin() {
			return bot.Decision{Rule: "scaffold-own-team", Reason: "You can only create things for your own teams.", AskWhom: "a member of " + res.Ref}
		}
	}
	return bot.Decision{Allow: true, Rule: "test"}
}

// teamPolicy is the kit's recording policy deciding with teamDecision.
func teamPolicy(cat Catalog) *bottest.Policy {
	p := bottest.NewPolicy()
	p.DecideWith(func(ctx context.Context, u bot.User, action string, res bot.Resource) bot.Decision {
		return teamDecision(ctx, cat, u, action, res)
	})
	return p
}

// ---- the environment ----

type envOptions struct {
	// dbPath reuses a store file (a restart); "" makes a new one.
	dbPath    string
	publisher Publisher
	secrets   SecretStore
	templates string
	cat       Catalog
	msgr      *bottest.Messenger
	logger    *slog.Logger
	// noApprove leaves new-db unapproved.
	noApprove bool
	// demoDir is Config.DemoApproveDir (demo mode).
	demoDir string
	// policy replaces teamPolicy.
	policy bot.Policy
	// messenger, when set, is what the router sends through (wrapping msgr,
	// which still records).
	messenger bot.Messenger
	// sealer keeps secret values; a restart that keeps its key passes the
	// same one (nil: a new random key, as a process without a key file).
	sealer bot.Sealer
	// placer places new environments (nil: those steps are refused).
	placer actions.Placer
	// repos opens pull requests in the repository a step's repoUrl names
	// (nil: those steps are refused).
	repos actions.Repositories
	// explain is Deps.Explain.
	explain func(context.Context, error) string
	// gitopsFiles reads the GitOps repository publisher writes to (with
	// publisher; without it, the local repository is read).
	gitopsFiles actions.GitOpsFiles
	// gitops is the folder of the local GitOps repository ("": a new one
	// in the test's folder); a restart with a new database passes the
	// first one's.
	gitops string
}

type env struct {
	t      testing.TB
	ctx    context.Context
	dir    string
	dbPath string
	st     *store.Store
	router *bot.Router
	msgr   *bottest.Messenger
	paths  *Paths
	cat    Catalog
	seq    int
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if o.logger == nil {
		o.logger = quietLogger()
	}
	if o.dbPath == "" {
		o.dbPath = filepath.Join(dir, "platbot.db")
	}
	st, err := store.Open(ctx, o.dbPath, store.WithAuditKey([]byte("0123456789abcdef0123456789abcdef")), store.WithLogger(o.logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if o.cat == nil {
		o.cat = newCatalog(t)
	}
	if o.msgr == nil {
		o.msgr = bottest.NewMessenger()
	}
	// The default local repository is also what actions read the GitOps
	// repository's base branch with, as cmd/platbot wires it.
	gitopsFiles := o.gitopsFiles
	if o.publisher == nil {
		if o.gitops == "" {
			o.gitops = filepath.Join(dir, "gitops")
		}
		repo, err := gitlocal.Open(ctx, o.gitops, gitlocal.Options{Logger: o.logger})
		if err != nil {
			t.Fatal(err)
		}
		o.publisher = localPublisher(repo)
		gitopsFiles = gitops.Local(repo)
	}
	if o.secrets == nil {
		ds, err := devsecrets.Open(filepath.Join(dir, "data"))
		if err != nil {
			t.Fatal(err)
		}
		o.secrets = DevSecrets(ds, "secret")
	}
	if o.templates == "" {
		o.templates = "../../examples/templates"
	}
	if o.policy == nil {
		o.policy = teamPolicy(o.cat)
	}
	var m bot.Messenger = o.msgr
	if o.messenger != nil {
		m = o.messenger
	}
	r := bot.NewRouter(bot.RouterOptions{Policy: o.policy, Audit: st, Queue: st, Logger: o.logger, Version: "test", Sealer: o.sealer})
	r.SetMessenger(bot.TransportShell, m)
	p, err := New(Config{TemplatesDir: o.templates, DataDir: filepath.Join(dir, "data"), DemoApproveDir: o.demoDir}, Deps{
		Store: st, Catalog: o.cat, Publisher: o.publisher, Secrets: o.secrets, Logger: o.logger, GitOpsFiles: gitopsFiles, Placer: o.placer,
		Repos: o.repos, Explain: o.explain,
	})
	if err != nil {
		t.Fatal(err)
	}
	install(t, p, r)
	e := &env{t: t, ctx: ctx, dir: dir, dbPath: o.dbPath, st: st, router: r, msgr: o.msgr, paths: p, cat: o.cat}
	if !o.noApprove {
		if e.approved("new-db") == nil {
			e.command(userAdmin, "template approve new-db")
			if e.approved("new-db") == nil {
				t.Fatalf("approval failed: %s", e.msgr.Last().Text())
			}
		}
	}
	return e
}

// install registers the feature with r as cmd/platbot does, through a
// bot.Registry.
func install(t testing.TB, f bot.Feature, r *bot.Router) {
	t.Helper()
	if err := bot.NewRegistry(r, nil).Install(f); err != nil {
		t.Fatal(err)
	}
}

func (e *env) approved(name string) *template.Template { return e.paths.approvedTemplate(name) }

// approve has an admin approve the template name, as `/plat template
// approve <name>` does, and fails the test when it is not approved.
func (e *env) approve(t testing.TB, name string) {
	t.Helper()
	e.command(userAdmin, "template approve "+name)
	if e.approved(name) == nil {
		t.Fatalf("approve %s: %s", name, e.msgr.Last().Text())
	}
}

func (e *env) request(user, text string) *bot.Request {
	e.seq++
	req := &bot.Request{
		ID:        fmt.Sprintf("req-%s-%d-%d", strings.ReplaceAll(e.t.Name(), "/", "-"), e.seq, time.Now().UnixNano()),
		Transport: bot.TransportShell, User: bot.User{ID: user, Name: strings.TrimPrefix(user, "U-")},
		Channel: "C-platform", Text: text, Flags: bot.Flags{}, Received: time.Now(),
	}
	req.Bind(e.msgr)
	return req
}

// command runs "/plat <text>" as Slack would deliver it.
func (e *env) command(user, text string) *bot.Request {
	e.t.Helper()
	req := e.request(user, text)
	if err := e.router.Run(e.ctx, req); err != nil {
		e.t.Fatalf("/plat %s: %v", text, err)
	}
	return req
}

// reply runs a command and returns the text of what it answered
// (attached files included).
func (e *env) reply(user, text string) string {
	e.t.Helper()
	n := len(e.msgr.Sent())
	e.command(user, text)
	var out []string
	for _, s := range e.msgr.Sent()[n:] {
		out = append(out, s.Text())
		if s.File != nil {
			out = append(out, string(s.File.Content))
		}
	}
	return strings.Join(out, "\n")
}

// form runs a command that opens a form and returns the form.
func (e *env) form(user, text string) *bot.Form {
	e.t.Helper()
	e.command(user, text)
	last := e.msgr.Last()
	if last.Op != "form" {
		e.t.Fatalf("/plat %s did not open a form; it said %q", text, last.Text())
	}
	return last.Form
}

// submit validates (synchronously, as on Slack's view_submission) and then
// submits a form's values; it returns the field errors, if any.
func (e *env) submit(user string, f *bot.Form, v bot.Values) bot.FieldErrors {
	e.t.Helper()
	req := e.request(user, "")
	errs, err := e.router.ValidateForm(e.ctx, req, f.ID, v)
	if err != nil {
		e.t.Fatalf("validate %s: %v", f.ID, err)
	}
	if len(errs) > 0 {
		return errs
	}
	if err := e.router.SubmitForm(e.ctx, req, f.ID, v); err != nil {
		e.t.Fatalf("submit %s: %v", f.ID, err)
	}
	return nil
}

// click delivers a button click.
func (e *env) click(user string, b bot.Button) {
	e.t.Helper()
	req := e.request(user, "")
	if err := e.router.Act(e.ctx, req, bot.Action{ID: b.ActionID, Value: b.Value}); err != nil {
		e.t.Fatalf("click %s: %v", b.ActionID, err)
	}
}

// drain runs every due job.
func (e *env) drain() {
	e.t.Helper()
	if _, err := e.router.Worker().RunDue(e.ctx); err != nil {
		e.t.Fatalf("run jobs: %v", err)
	}
}

// runs returns every run.
func (e *env) runs() []*Run {
	e.t.Helper()
	recs, err := e.st.ListRecords(e.ctx, store.Query{Kind: KindRun})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*Run
	for i := range recs {
		r, err := decodeRun(&recs[i])
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func (e *env) onlyRun() *Run {
	e.t.Helper()
	rs := e.runs()
	if len(rs) != 1 {
		e.t.Fatalf("%d runs, want 1", len(rs))
	}
	return rs[0]
}

// progress returns the latest text of a run's progress message.
func (e *env) progress(r *Run) bot.Message {
	e.t.Helper()
	var last *bottest.Sent
	for _, s := range e.msgr.Sent() {
		if (s.Op == "post" || s.Op == "dm" || s.Op == "update") && s.Ref.TS == r.Progress.TS && s.Ref.Channel == r.Progress.Channel {
			s := s
			last = &s
		}
	}
	if last == nil {
		e.t.Fatalf("no progress message for run %s", r.ID)
	}
	return last.Msg
}

func newDBValues(name string, envs ...string) bot.Values {
	if len(envs) == 0 {
		envs = []string{"dev", "prod"}
	}
	return bot.Values{
		"name": {name}, "owner": {"group:default/payments"}, "size": {"medium"}, "storageGB": {"50"},
		"highAvailability": {"true"}, "environments": envs, "system": {"system:default/orders"}, "dependencyOf": {"orders-service"},
	}
}

func buttons(m bot.Message) []bot.Button {
	var out []bot.Button
	for _, b := range m.Blocks {
		if a, ok := b.(bot.Actions); ok {
			out = append(out, a.Buttons...)
		}
	}
	return out
}

// ---- backends ----

// vaultBackend is a Vault client on the loopback fake, with fast retries.
func vaultBackend(t testing.TB, fv *vaultfake.Server) SecretStore {
	t.Helper()
	c, err := vault.New(vault.Config{Addr: fv.URL, Token: fv.Token, MaxRetries: 1, MinRetryWait: time.Millisecond, MaxRetryWait: 2 * time.Millisecond, Timeout: 5 * time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return VaultSecrets(c, "secret", "")
}

// githubBackend is the GitHub publisher on the loopback fake.
func githubBackend(t testing.TB, gh *ghFake) Publisher {
	t.Helper()
	c, err := github.New(strings.TrimSuffix(gh.URL(), "/"), "test-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := gitops.GitHub(c, "acme/gitops", github.PullRequestOptions{Attempts: 3, MinDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return gitopsPublisher{p}
}

// localPublisher is the publisher of a local git repository.
func localPublisher(repo *gitlocal.Repo) Publisher { return gitopsPublisher{gitops.Local(repo)} }

// gitopsPublisher is the one GitOps publisher seen through this feature's
// Publisher, as cmd/platbot adapts it.
type gitopsPublisher struct{ p *gitops.Publisher }

func (g gitopsPublisher) Describe() string { return g.p.Describe() }

func (g gitopsPublisher) Open(ctx context.Context, c Change) (*PullRequest, error) {
	pr, err := g.p.Open(ctx, gitops.Change{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: c.Files, Executable: c.Executable, Delete: c.Delete, Labels: c.Labels, Assignees: c.Assignees,
	})
	if err != nil {
		return nil, err
	}
	return &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Note: pr.Note, Closed: pr.Closed}, nil
}

// fieldRefusal is a submission to a golden path's form and the error its
// field must get.
type fieldRefusal struct {
	values      bot.Values
	field, want string
}

// refusedOnFields submits each case to the form of path and wants want in
// the field's error; then that nothing was created: no new run and no new
// branch in the GitOps repository repo.
func (e *env) refusedOnFields(t *testing.T, path, repo string, cases []fieldRefusal) {
	t.Helper()
	branches := git(t, repo, "branch", "--list", "plat/*")
	runs := len(e.runs())
	for _, c := range cases {
		errs := e.submit(userJane, e.form(userJane, path), c.values)
		if !strings.Contains(errs[c.field], c.want) {
			t.Errorf("%v: field errors %v, want %s: %q", c.values, errs, c.field, c.want)
		}
	}
	if got := git(t, repo, "branch", "--list", "plat/*"); got != branches || len(e.runs()) != runs {
		t.Fatalf("refused submissions created something: branches %q, %d runs", got, len(e.runs()))
	}
}

// withoutLineage drops the lineage files (LineageDir) from a list of
// paths, one a line: what the golden paths' own tests compare (lineage
// has its own, lineage_test.go).
func withoutLineage(files string) string {
	var out []string
	for _, f := range strings.Split(files, "\n") {
		if !strings.HasPrefix(f, LineageDir+"/") {
			out = append(out, f)
		}
	}
	return strings.Join(out, "\n")
}
