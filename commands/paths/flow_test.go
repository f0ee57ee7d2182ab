package paths

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
	"github.com/platbot/platbot/store"
)

func catalogSource(file string) catalog.Source {
	return catalog.Source{Location: "file:" + file, File: file}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// expectedFiles are the files new-db proposes for orders-db in dev and prod.
var expectedFiles = []string{
	".platbot/lineage/orders-db/new-db.yaml",
	"databases/orders-db/catalog-info.yaml",
	"databases/orders-db/dev/external-secret.yaml",
	"databases/orders-db/dev/postgres-instance.yaml",
	"databases/orders-db/migrations/0001_init.sql",
	"databases/orders-db/migrations/README.md",
	"databases/orders-db/prod/external-secret.yaml",
	"databases/orders-db/prod/postgres-instance.yaml",
}

// checkNewDBFiles asserts the content of the files new-db renders.
func checkNewDBFiles(t *testing.T, read func(path string) string) {
	t.Helper()
	for _, env := range []string{"dev", "prod"} {
		dir := "databases/orders-db/" + env + "/"
		checkClaim(t, dir+"postgres-instance.yaml", read(dir+"postgres-instance.yaml"), "orders-db", "payments", env, "medium", 50, true)
		checkExternalSecret(t, dir+"external-secret.yaml", read(dir+"external-secret.yaml"), "orders-db", "payments", env)
	}
	var ent struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec struct {
			Type, Owner, System string
			DependencyOf        []string `yaml:"dependencyOf"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(read("databases/orders-db/catalog-info.yaml")), &ent); err != nil {
		t.Fatal(err)
	}
	if ent.Kind != "Resource" || ent.Metadata.Name != "orders-db" || ent.Spec.Type != "database" || ent.Spec.Owner != "group:default/payments" ||
		ent.Spec.System != "system:default/orders" || strings.Join(ent.Spec.DependencyOf, ",") != "component:default/orders-service" {
		t.Errorf("entity %+v", ent)
	}
	if !strings.Contains(read("databases/orders-db/migrations/0001_init.sql"), "CREATE TABLE") ||
		!strings.Contains(read("databases/orders-db/migrations/README.md"), "0002_") {
		t.Error("migration scaffold missing")
	}
}

func TestNewDBLocalGit(t *testing.T) {
	e := newEnv(t, envOptions{})
	if help := e.reply(userJane, "help"); !strings.Contains(help, "/plat new-db") {
		t.Fatalf("help lacks the approved path:\n%s", help)
	}
	f := e.form(userJane, "new-db")
	if f.ID != "new-db" || f.Field("owner").Default != "group:default/payments" {
		t.Fatalf("form %+v", f)
	}
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatalf("valid submission rejected: %v", errs)
	}
	r := e.onlyRun()
	if r.State != RunRunning || len(r.Steps) != 7 || r.Steps[0].State != StepPending {
		t.Fatalf("run before its steps ran: %s %+v", r.State, r.Steps)
	}
	e.drain()
	r = e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	for _, s := range r.Steps {
		if s.State != StepDone || s.Output == nil {
			t.Errorf("step %s: %s", s.Key, s.State)
		}
	}

	// One progress message: posted once, then updated in place.
	if posts := e.msgr.Ops("post"); len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	if ups := e.msgr.Ops("update"); len(ups) < len(r.Steps) {
		t.Fatalf("%d updates", len(ups))
	}
	final := bot.PlainText(e.progress(r))
	if strings.Count(final, "✅") != len(r.Steps)+1 || !strings.Contains(final, "ready for review") ||
		!strings.Contains(final, "Pull request") || !strings.Contains(final, "resource:default/orders-db") || !strings.Contains(final, "development-only") {
		t.Fatalf("final progress:\n%s", final)
	}

	// The branch holds exactly one commit with every file; check with git.
	repo := filepath.Join(e.dir, "gitops")
	branch := "plat/" + r.ID + "-new-db"
	if n := git(t, repo, "rev-list", "--count", "main.."+branch); n != "1" {
		t.Fatalf("%s commits on %s", n, branch)
	}
	if files := git(t, repo, "ls-tree", "-r", "--name-only", branch); files != strings.Join(expectedFiles, "\n") {
		t.Fatalf("files on the branch:\n%s", files)
	}
	checkNewDBFiles(t, func(p string) string { return git(t, repo, "show", branch+":"+p) })
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := lr.FindPullRequest(context.Background(), branch)
	if err != nil || pr == nil {
		t.Fatalf("pull request record: %v", err)
	}
	if !strings.Contains(pr.Body, "## What this creates") || !strings.Contains(pr.Body, "PostgresInstance `payments-prod/orders-db`") ||
		!strings.Contains(pr.Body, "development-only") || !slices.Contains(pr.Labels, "new-db") || !slices.Contains(pr.Assignees, "jane-gh") {
		t.Fatalf("pull request %+v", pr)
	}

	// The credentials are in the local store (development-only), one per environment.
	ds, err := devsecrets.Open(filepath.Join(e.dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"dev", "prod"} {
		sec, err := ds.Read(context.Background(), "secret/payments/orders-db/"+env+"/db")
		if err != nil || sec.Data["username"] != "orders_db_app" || len(sec.Data["password"]) != 32 {
			t.Fatalf("%s credentials: %+v %v", env, sec, err)
		}
	}

	// /plat runs and /plat run show it.
	if out := e.reply(userJane, "runs"); !strings.Contains(out, r.ID) || !strings.Contains(out, "succeeded") {
		t.Fatalf("runs:\n%s", out)
	}
	if out := e.reply(userJane, "run "+r.ID); !strings.Contains(out, "ready for review") {
		t.Fatalf("run:\n%s", out)
	}
	if out := e.reply(userBob, "run "+r.ID); !strings.Contains(out, "no run") {
		t.Fatalf("bob sees jane's run:\n%s", out)
	}
	// The name is now taken.
	f = e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db")); !strings.Contains(errs["name"], "already creates orders-db") {
		t.Fatalf("second orders-db: %v", errs)
	}
}

func TestNewDBOnGitHubAndVault(t *testing.T) {
	gh := newGHFake(t)
	fv := vaultfake.New()
	defer fv.Close()
	e := newEnv(t, envOptions{publisher: githubBackend(t, gh), secrets: vaultBackend(t, fv)})
	f := e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-db"
	if n := gh.CommitsAhead(branch); n != 1 {
		t.Fatalf("%d commits on %s", n, branch)
	}
	if n := gh.Count("POST", "/repos/acme/gitops/git/commits"); n != 1 {
		t.Fatalf("%d commits created", n)
	}
	files := gh.BranchFiles(branch)
	var names []string
	for n := range files {
		if n != "README.md" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if strings.Join(names, "\n") != strings.Join(expectedFiles, "\n") {
		t.Fatalf("files:\n%s", strings.Join(names, "\n"))
	}
	checkNewDBFiles(t, func(p string) string { return files[p] })
	prs := gh.PullRequests()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests", len(prs))
	}
	pr := prs[0]
	if pr.Head != branch || pr.Base != "main" || !strings.HasPrefix(pr.Title, "new-db: orders-db (medium, 50 GB) for payments") ||
		!strings.Contains(pr.Body, "A new PostgreSQL database, `orders-db`, owned by group:default/payments, in dev, prod.") ||
		!strings.Contains(pr.Body, "- ExternalSecret `payments-dev/orders-db-db-credentials` — `databases/orders-db/dev/external-secret.yaml`") ||
		!strings.Contains(pr.Body, "Generated credentials are stored at `secret/payments/orders-db/prod/db` in the Vault at "+fv.URL) ||
		!strings.Contains(pr.Body, "Registers `resource:default/orders-db` in the catalog") {
		t.Fatalf("pull request %+v", pr)
	}
	if strings.Join(pr.Labels, ",") != "platbot,golden-path,new-db,database" || strings.Join(pr.Assignees, ",") != "jane-gh" {
		t.Fatalf("labels %v assignees %v", pr.Labels, pr.Assignees)
	}
	for _, env := range []string{"dev", "prod"} {
		p := "secret/payments/orders-db/" + env + "/db"
		if n := fv.DataWrites(p); n != 1 {
			t.Fatalf("%s written %d times", p, n)
		}
		if pol := fv.Policy("payments-orders-db-" + env + "-db-read"); !strings.Contains(pol, `path "secret/data/payments/orders-db/`+env+`/db"`) ||
			!strings.Contains(pol, `capabilities = ["read"]`) || !strings.Contains(pol, "role payments-orders-db") {
			t.Fatalf("policy:\n%s", pol)
		}
	}
	final := bot.PlainText(e.progress(r))
	if !strings.Contains(final, "https://github.example/acme/gitops/pull/1") || strings.Contains(final, "development-only") {
		t.Fatalf("final progress:\n%s", final)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	gh := newGHFake(t)
	fv := vaultfake.New()
	defer fv.Close()
	e := newEnv(t, envOptions{publisher: githubBackend(t, gh), secrets: vaultBackend(t, fv)})
	f := e.form(userJane, "new-db --dry-run")
	if f.ID != "new-db preview" || f.SubmitText != "Preview" {
		t.Fatalf("form %+v", f)
	}
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	preview := e.msgr.Last()
	text := preview.Text()
	for _, want := range []string{
		"nothing was created",
		"generate database credentials (username, password) and write them to secret/payments/orders-db/dev/db in the Vault at",
		"write policy payments-orders-db-prod-db-read letting only role payments-orders-db-prod read them",
		"register resource:default/orders-db in the catalog",
		"open a pull request \"new-db: orders-db (medium, 50 GB) for payments\" in GitHub acme/gitops",
		"databases/orders-db/prod/postgres-instance.yaml",
		"kind: PostgresInstance",
		"finops/cost-tag: service=orders-db",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if len(gh.Requests()) != 0 || len(fv.Requests()) != 0 || len(e.runs()) != 0 {
		t.Fatalf("a dry run had effects: %d GitHub, %d Vault requests, %d runs", len(gh.Requests()), len(fv.Requests()), len(e.runs()))
	}
	// "Create it" starts the real run with the previewed values.
	b := buttons(preview.Msg)
	if len(b) != 1 || !strings.HasPrefix(b[0].ActionID, "paths:create:") {
		t.Fatalf("buttons %+v", b)
	}
	e.click(userBob, b[0])
	if len(e.runs()) != 0 || !strings.Contains(e.msgr.Last().Text(), "Only the person who made this preview") {
		t.Fatalf("someone else created from the preview: %s", e.msgr.Last().Text())
	}
	e.click(userJane, b[0])
	e.drain()
	if r := e.onlyRun(); r.State != RunSucceeded || len(gh.PullRequests()) != 1 {
		t.Fatalf("run from preview: %s %s", r.State, r.Error)
	}
}

// copyTemplates copies examples/templates to a temporary folder, plus extra
// files (path → content), and returns it.
func copyTemplates(t *testing.T, extra map[string]string) string {
	t.Helper()
	dst := t.TempDir()
	src := "../../examples/templates"
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, c := range extra {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestTemplateGovernance(t *testing.T) {
	dir := copyTemplates(t, nil)
	e := newEnv(t, envOptions{templates: dir, noApprove: true})
	if help := e.reply(userJane, "help"); strings.Contains(help, "new-db") {
		t.Fatalf("unapproved template in help:\n%s", help)
	}
	// Known but not approved: a hidden command that says so and does
	// nothing else.
	const waiting = "`/plat new-db` is a golden path waiting for an admin's approval of its current version. An admin runs `/plat template approve new-db` (`/plat template diff new-db` shows what changed)."
	for _, cmd := range []string{"new-db", "new-db --dry-run"} {
		n := len(e.msgr.Sent())
		if out := e.reply(userJane, cmd); out != waiting {
			t.Fatalf("/plat %s before approval: %s", cmd, out)
		}
		if sent := e.msgr.Sent()[n:]; len(sent) != 1 || sent[0].Form != nil {
			t.Fatalf("/plat %s before approval did more than answer: %+v", cmd, sent)
		}
	}
	if out := e.reply(userJane, "help new-db"); !strings.Contains(out, waiting) || strings.Contains(out, "There is no command") {
		t.Fatalf("/plat help new-db before approval: %s", out)
	}
	if help := e.reply(userJane, "help"); strings.Contains(help, "new-db") {
		t.Fatalf("the waiting template is listed in help:\n%s", help)
	}
	e.drain()
	if runs := e.runs(); len(runs) != 0 || e.approved("new-db") != nil {
		t.Fatalf("asking for the waiting template started %d runs or approved it", len(runs))
	}
	if out := e.reply(userJane, "templates"); strings.Contains(out, "new-db") {
		t.Fatalf("non-admin sees the unapproved template:\n%s", out)
	}
	if out := e.reply(userAdmin, "templates"); !strings.Contains(out, "⏸️ `new-db`") || !strings.Contains(out, "not approved") {
		t.Fatalf("admin does not see the unapproved template:\n%s", out)
	}
	if out := e.reply(userJane, "template approve new-db"); !strings.Contains(out, "may not admin") {
		t.Fatalf("non-admin approved: %s", out)
	}
	out := e.reply(userAdmin, "template approve new-db")
	if !strings.Contains(out, "✅ Approved template `new-db`") || !strings.Contains(out, "+++ b/skeleton/environment/postgres-instance.yaml") {
		t.Fatalf("approve:\n%s", out)
	}
	v1 := e.approved("new-db").Hash
	if out := e.reply(userJane, "templates"); !strings.Contains(out, "`/plat new-db` — A managed PostgreSQL database") || !strings.Contains(out, "*platform* (`group:default/platform`)") {
		t.Fatalf("templates:\n%s", out)
	}

	// The owners change the skeleton: the approved version keeps running
	// until an admin approves the change.
	claim := filepath.Join(dir, "new-db/skeleton/environment/postgres-instance.yaml")
	b, _ := os.ReadFile(claim)
	if err := os.WriteFile(claim, []byte(strings.Replace(string(b), "  size: ${{ values.size }}", "  size: ${{ values.size }}\n  tier: gold", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := e.reply(userAdmin, "templates"); !strings.Contains(out, "changed since approval") {
		t.Fatalf("change not flagged:\n%s", out)
	}
	if e.approved("new-db").Hash != v1 {
		t.Fatal("a changed template replaced the approved version")
	}
	f := e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db", "dev")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded || r.TemplateHash != v1 || strings.Contains(r.Files["databases/orders-db/dev/postgres-instance.yaml"], "tier") {
		t.Fatalf("run used the unapproved change: %s %s", r.State, r.Error)
	}
	diff := e.reply(userAdmin, "template diff new-db")
	if !strings.Contains(diff, "+  tier: gold") || !strings.Contains(diff, "--- a/skeleton/environment/postgres-instance.yaml") {
		t.Fatalf("diff:\n%s", diff)
	}
	if out := e.reply(userAdmin, "template approve new-db --version 00000000"); !strings.Contains(out, "changed since you reviewed it") {
		t.Fatalf("wrong version approved: %s", out)
	}
	cur := e.paths.entry("new-db").Current.Hash
	// A prefix shorter than 8 characters could match a version nobody reviewed.
	for _, short := range []string{cur[:1], cur[:7]} {
		if out := e.reply(userAdmin, "template approve new-db --version "+short); !strings.Contains(out, "too short") || !strings.Contains(out, "at least 8 characters") {
			t.Fatalf("--version %s: %s", short, out)
		}
		if e.approved("new-db").Hash != v1 {
			t.Fatalf("--version %s approved the change", short)
		}
	}
	if out := e.reply(userAdmin, "template approve new-db --version "+cur[:12]); !strings.Contains(out, "+  tier: gold") {
		t.Fatalf("approve v2:\n%s", out)
	}
	if e.approved("new-db").Hash != cur {
		t.Fatal("new version not approved")
	}

	// No longer approved: the command says so again instead of running.
	if err := e.st.DeleteRecord(e.ctx, KindApproval, "new-db"); err != nil {
		t.Fatal(err)
	}
	if err := e.paths.Reload(e.ctx); err != nil {
		t.Fatal(err)
	}
	if out := e.reply(userJane, "new-db"); out != waiting {
		t.Fatalf("/plat new-db once no longer approved: %s", out)
	}
}

func TestRetryAndCancelCommands(t *testing.T) {
	fv := vaultfake.New()
	defer fv.Close()
	e := newEnv(t, envOptions{secrets: vaultBackend(t, fv)})
	fv.SetDown(true)
	f := e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db", "dev")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunFailed {
		t.Fatalf("run %s", r.State)
	}
	if out := e.reply(userBob, "run retry "+r.ID); !strings.Contains(out, "no run") {
		t.Fatalf("bob retried: %s", out)
	}
	if out := e.reply(userJane, "run retry "+r.ID); !strings.Contains(out, "Retrying run") {
		t.Fatalf("retry: %s", out)
	}
	e.drain() // still down: fails again at the same step
	r = e.onlyRun()
	if r.State != RunFailed || r.Gen != 1 || r.Steps[r.current()].ID != "credentials" || r.Steps[r.current()].Attempts != 2 {
		t.Fatalf("after second failure: %s gen %d %+v", r.State, r.Gen, r.Steps[r.current()])
	}
	if out := e.reply(userJane, "run cancel "+r.ID); !strings.Contains(out, "is cancelled") {
		t.Fatalf("cancel: %s", out)
	}
	if out := e.reply(userJane, "run retry "+r.ID); !strings.Contains(out, "was cancelled") {
		t.Fatalf("retry after cancel: %s", out)
	}
	// The name is free again.
	fv.SetDown(false)
	f = e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db", "staging")); errs != nil {
		t.Fatalf("name not freed: %v", errs)
	}
}

// A team ships its own golden path from its catalog location: it shows up
// for approval like the built-in ones, and runs once approved. The Preview
// button of /plat templates opens its dry-run form.
func TestTemplateFromCatalogAndPreviewButton(t *testing.T) {
	teamDir := t.TempDir()
	files := map[string]string{
		"catalog/new-note.yaml":                    strings.NewReplacer("owner: group:default/platform", "owner: group:default/payments", "else 'notes'", "else 'teams/payments/notes'").Replace(noteTemplate["new-note/template.yaml"]),
		"catalog/skeleton/${{ values.name }}.yaml": noteTemplate["new-note/skeleton/${{ values.name }}.yaml"],
	}
	for p, c := range files {
		full := filepath.Join(teamDir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := templateEntity("new-note", "group:default/payments")
	tmpl.Source = catalogSource(filepath.Join(teamDir, "catalog/new-note.yaml"))
	cat := withTemplates{newCatalog(t), []*catalog.Entity{tmpl}}
	e := newEnv(t, envOptions{cat: cat})
	if out := e.reply(userAdmin, "templates"); !strings.Contains(out, "⏸️ `new-note`") {
		t.Fatalf("catalog template not offered for approval:\n%s", out)
	}
	if out := e.reply(userAdmin, "template approve new-note"); !strings.Contains(out, "+++ b/skeleton/${{ values.name }}.yaml") {
		t.Fatalf("approve:\n%s", out)
	}
	// A team's golden paths are listed under it, the user's own team first.
	if out := e.reply(userJane, "templates"); !strings.Contains(out, "*payments* (`group:default/payments`) · your team") ||
		strings.Index(out, "`/plat new-note`") > strings.Index(out, "`/plat new-db`") {
		t.Fatalf("templates by team:\n%s", out)
	}
	e.command(userJane, "templates")
	var preview *bot.Button
	for _, b := range e.msgr.Last().Msg.Blocks {
		if s, ok := b.(bot.Section); ok && s.Accessory != nil && s.Accessory.Value == "new-note" {
			preview = s.Accessory
		}
	}
	if preview == nil {
		t.Fatalf("no Preview button:\n%s", e.msgr.Last().Text())
	}
	e.click(userJane, *preview)
	f := e.msgr.Last().Form
	if f == nil || f.ID != "new-note preview" {
		t.Fatalf("preview button opened %+v", e.msgr.Last())
	}
	if errs := e.submit(userJane, f, bot.Values{"name": {"hello"}}); errs != nil {
		t.Fatal(errs)
	}
	if out := e.msgr.Last().Text(); !strings.Contains(out, "notes/hello.yaml") || !strings.Contains(out, "Render the long description: skipped") {
		t.Fatalf("preview:\n%s", out)
	}
	f = e.form(userJane, "new-note")
	if errs := e.submit(userJane, f, bot.Values{"name": {"hello"}}); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded || r.Owner != "group:default/payments" || r.Steps[1].State != StepSkipped {
		t.Fatalf("run %s %s %+v", r.State, r.Error, r.Steps[1])
	}
	if !strings.Contains(bot.PlainText(e.progress(r)), "⏭️ Render the long description") {
		t.Fatalf("progress:\n%s", bot.PlainText(e.progress(r)))
	}
	// Every run, step and outcome is audited.
	events, err := e.st.AuditEvents(context.Background(), store.AuditFilter{Action: "paths.*"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ev := range events {
		seen[ev.Action+"/"+ev.Outcome]++
	}
	if seen["paths.template.approve/ok"] != 2 || seen["paths.run.create/ok"] != 1 || seen["paths.step/ok"] != 2 ||
		seen["paths.step/skipped"] != 1 || seen["paths.run.finish/ok"] != 1 {
		t.Fatalf("audit events %v", seen)
	}
}

// Slack retries and worker replays deliver the same submission again: it
// continues the run it started instead of starting another or complaining.
func TestReplayedSubmissionStartsOneRun(t *testing.T) {
	e := newEnv(t, envOptions{})
	f := e.form(userJane, "new-db")
	req := e.request(userJane, "")
	for i := 0; i < 3; i++ {
		v := newDBValues("orders-db")
		errs, err := e.router.ValidateForm(e.ctx, req, f.ID, v)
		if err != nil || errs != nil {
			t.Fatalf("delivery %d: %v %v", i, errs, err)
		}
		n := len(e.msgr.Sent())
		if err := e.router.SubmitForm(e.ctx, req, f.ID, v); err != nil {
			t.Fatal(err)
		}
		for _, s := range e.msgr.Sent()[n:] {
			if s.Op == "respond" {
				t.Fatalf("delivery %d answered %q", i, s.Text())
			}
		}
	}
	e.drain()
	if r := e.onlyRun(); r.State != RunSucceeded || len(e.msgr.Ops("post")) != 1 {
		t.Fatalf("run %s, %d progress messages", r.State, len(e.msgr.Ops("post")))
	}
}

// fakeGitHubFiles serves a repository's files from memory.
type fakeGitHubFiles struct {
	files map[string]string // "owner/repo@ref:path"
	calls int
}

func (f *fakeGitHubFiles) GetFile(_ context.Context, owner, repo, p, ref string) ([]byte, error) {
	f.calls++
	c, ok := f.files[owner+"/"+repo+"@"+ref+":"+p]
	if !ok {
		return nil, os.ErrNotExist
	}
	return []byte(c), nil
}

func (f *fakeGitHubFiles) ListDir(_ context.Context, owner, repo, dir, ref string) ([]DirEntry, error) {
	f.calls++
	prefix := owner + "/" + repo + "@" + ref + ":" + dir + "/"
	seen := map[string]bool{}
	var out []DirEntry
	for k := range f.files {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		typ := "file"
		if isDir {
			typ = "dir"
		}
		out = append(out, DirEntry{Path: dir + "/" + name, Type: typ})
	}
	return out, nil
}

// A team's golden path in a GitHub catalog location is read, skeleton and
// all, from its repository.
func TestTemplateFromGitHubLocation(t *testing.T) {
	gf := &fakeGitHubFiles{files: map[string]string{
		"payments/paths@main:templates/new-note/template.yaml":                    noteTemplate["new-note/template.yaml"],
		"payments/paths@main:templates/new-note/skeleton/${{ values.name }}.yaml": noteTemplate["new-note/skeleton/${{ values.name }}.yaml"],
		"payments/paths@main:templates/new-note/skeleton/docs/README.md":          "# ${{ values.name }}\n",
		"payments/paths@main:templates/unrelated/big.bin":                         "not read",
	}}
	tmpl := templateEntity("new-note", "group:default/payments")
	tmpl.Source = catalog.Source{Location: "url:https://github.com/payments/paths", File: "https://github.com/payments/paths/blob/main/templates/new-note/template.yaml"}
	cat := withTemplates{newCatalog(t), []*catalog.Entity{tmpl}}
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"), store.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	repo, err := gitlocal.Open(context.Background(), filepath.Join(dir, "gitops"), gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := devsecrets.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{TemplatesDir: filepath.Join(dir, "none")}, Deps{Store: st, Catalog: cat, Publisher: localPublisher(repo), Secrets: DevSecrets(ds, ""), GitHub: gf, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	install(t, p, bot.NewRouter(bot.RouterOptions{Audit: st, Queue: st, Logger: quietLogger()}))
	e := p.entry("new-note")
	if e == nil || e.Current == nil || len(e.Problems) > 0 {
		t.Fatalf("entry %+v", e)
	}
	var names []string
	for n := range e.Current.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "skeleton/${{ values.name }}.yaml,skeleton/docs/README.md,template.yaml" || e.Source != tmpl.Source.File {
		t.Fatalf("files %v from %s", names, e.Source)
	}
	calls := gf.calls
	if err := p.Reload(context.Background()); err != nil || gf.calls != calls {
		t.Fatalf("reload read GitHub again (%d calls) %v", gf.calls-calls, err)
	}
	// Without GitHub access the template is listed as broken, with the reason.
	p2, _ := New(Config{TemplatesDir: filepath.Join(dir, "none")}, Deps{Store: st, Catalog: cat, Publisher: localPublisher(repo), Secrets: DevSecrets(ds, ""), Logger: quietLogger()})
	install(t, p2, bot.NewRouter(bot.RouterOptions{Audit: st, Queue: st, Logger: quietLogger()}))
	if e := p2.entry("new-note"); e == nil || !strings.Contains(strings.Join(e.Problems, ";"), "no GitHub access configured") {
		t.Fatalf("entry without GitHub: %+v", e)
	}
}
