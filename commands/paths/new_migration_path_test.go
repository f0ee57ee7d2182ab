package paths

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// newDBResource is a database's catalog entry as new-db writes it.
func newDBResource(name, owner string) *catalog.Entity {
	return &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindResource,
		Metadata: catalog.Metadata{Name: name, Annotations: map[string]string{
			"platbot.dev/golden-path": "new-db", "backstage.io/source-template": "template:default/new-db"}},
		Spec: map[string]any{"type": "database", "owner": owner}}
}

// /plat new-migration, from the form to the pull request in local git: on
// a database new-db created (its pull request merged, its catalog entry
// read), the migration is numbered after those on the base branch; bad
// input gets a field error and creates nothing.
func TestNewMigrationPath(t *testing.T) {
	cat := newCatalog(t,
		newDBResource("carts-db", "group:default/checkout"), // another team's
		newDBResource("stock-db", "group:default/payments"), // its pull request not merged
	)
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat})
	repo := filepath.Join(e.dir, "gitops")

	// new-db makes orders-db; its pull request is merged and the catalog
	// reads the entry it added.
	if errs := e.submit(userJane, e.form(userJane, "new-db"), newDBValues("orders-db")); errs != nil {
		t.Fatalf("new-db: %v", errs)
	}
	e.drain()
	dbRun := e.onlyRun()
	if dbRun.State != RunSucceeded {
		t.Fatalf("new-db run %s: %s", dbRun.State, dbRun.Error)
	}
	dbBranch := "plat/" + dbRun.ID + "-new-db"
	git(t, repo, "update-ref", "refs/heads/main", dbBranch)
	cat.Add(git(t, repo, "show", "main:databases/orders-db/catalog-info.yaml"))

	e.approve(t, "new-migration")

	migrate := func(words, db, sql string) (*Run, bot.FieldErrors) {
		t.Helper()
		before := map[string]bool{}
		for _, r := range e.runs() {
			before[r.ID] = true
		}
		f := e.form(userJane, "new-migration")
		if errs := e.submit(userJane, f, bot.Values{"migration": {words}, "database": {db}, "sql": {sql}}); errs != nil {
			if n := len(e.runs()); n != len(before) {
				t.Fatalf("a refused submission left %d runs, want %d", n, len(before))
			}
			return nil, errs
		}
		e.drain()
		for _, r := range e.runs() {
			if !before[r.ID] {
				if r.Template != "new-migration" || r.State != RunSucceeded {
					t.Fatalf("run of %s %s: %s", r.Template, r.State, r.Error)
				}
				return r, nil
			}
		}
		t.Fatalf("no new-migration run; the bot said %q", e.msgr.Last().Text())
		return nil, nil
	}
	// prBranch checks the run's branch adds exactly one file to main and
	// returns its path and content.
	prBranch := func(r *Run) (string, string, *gitlocal.PullRequest) {
		t.Helper()
		branch := "plat/" + r.ID + "-new-migration"
		if n := git(t, repo, "rev-list", "--count", "main.."+branch); n != "1" {
			t.Fatalf("%s commits on %s", n, branch)
		}
		files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch))
		if strings.Contains(files, "\n") {
			t.Fatalf("files changed on %s:\n%s", branch, files)
		}
		lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := lr.FindPullRequest(context.Background(), branch)
		if err != nil || pr == nil {
			t.Fatalf("pull request record: %v", err)
		}
		return files, git(t, repo, "show", branch+":"+files), pr
	}

	// --dry-run shows the numbered file and creates nothing.
	branchesBefore := git(t, repo, "branch", "--list", "plat/*")
	f := e.form(userJane, "new-migration --dry-run")
	if errs := e.submit(userJane, f, bot.Values{"migration": {"Add orders index"}, "database": {"orders-db"}, "sql": {"SELECT 1;"}}); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	e.drain()
	preview := e.msgr.Last().Text()
	for _, want := range []string{"nothing was created", "add databases/orders-db/migrations/0002_add_orders_index.sql (migration 0002 of orders-db, after 0001_init.sql)", "SELECT 1;"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q:\n%s", want, preview)
		}
	}
	if len(e.runs()) != 1 || git(t, repo, "branch", "--list", "plat/*") != branchesBefore {
		t.Fatal("the dry run created a run or a branch")
	}

	r, errs := migrate("Add orders index", "orders-db", "CREATE INDEX orders_created ON example (created_at);")
	if errs != nil {
		t.Fatalf("valid migration refused: %v", errs)
	}
	path, sql, pr := prBranch(r)
	if path != "databases/orders-db/migrations/0002_add_orders_index.sql" {
		t.Fatalf("migration file %s", path)
	}
	if !strings.HasPrefix(sql, "-- Migration 0002 of the orders-db database: add orders index.\n") ||
		!strings.HasSuffix(sql, "\n\nCREATE INDEX orders_created ON example (created_at);") {
		t.Fatalf("migration:\n%s", sql)
	}
	if pr.Title != "new-migration: 0002_add_orders_index.sql on orders-db" || !slices.Contains(pr.Labels, "new-migration") ||
		!strings.Contains(pr.Body, "databases/orders-db/migrations/0002_add_orders_index.sql") {
		t.Fatalf("pull request %+v", pr)
	}
	if out := bot.PlainText(e.progress(r)); !strings.Contains(out, "Pull request") {
		t.Fatalf("progress:\n%s", out)
	}

	// Once merged, the next one is 0003, and the name is taken.
	git(t, repo, "update-ref", "refs/heads/main", "plat/"+r.ID+"-new-migration")
	r, errs = migrate("drop example", "resource:default/orders-db", "")
	if errs != nil {
		t.Fatalf("second migration refused: %v", errs)
	}
	if path, sql, _ := prBranch(r); path != "databases/orders-db/migrations/0003_drop_example.sql" ||
		!strings.HasSuffix(sql, "-- Write the change here: plain SQL that runs inside a transaction.") {
		t.Fatalf("second migration %s:\n%s", path, sql)
	}

	branches := git(t, repo, "branch", "--list", "plat/*")
	for _, c := range []struct{ words, db, field, want string }{
		{"add orders index", "orders-db", "migration", "orders-db already has a migration named add_orders_index (0002_add_orders_index.sql): pick another name"},
		{"Add-Orders index", "orders-db", "migration", "already has a migration named add_orders_index"},
		{"add; drop", "orders-db", "migration", "use letters, digits, spaces"},
		{"add a column", "legacy-db", "database", "resource:default/legacy-db was not created by new-db"},
		{"add a column", "carts-db", "database", `"carts-db" is not one of the choices`},
		{"add a column", "stock-db", "database", "stock-db has no migrations folder (databases/stock-db/migrations) on the GitOps repository's base branch"},
		{"add a column", "resource:default/nope-db", "database", `"resource:default/nope-db" is not one of the choices`},
	} {
		_, errs := migrate(c.words, c.db, "")
		if !strings.Contains(errs[c.field], c.want) || len(errs) != 1 {
			t.Errorf("%q on %s: field errors %v, want %s: %q", c.words, c.db, errs, c.field, c.want)
		}
	}
	if after := git(t, repo, "branch", "--list", "plat/*"); after != branches {
		t.Fatalf("refused submissions created branches:\n%s\nwas:\n%s", after, branches)
	}
}
