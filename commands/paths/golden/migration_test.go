package golden

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
)

// database is a Resource of spec.type database; newDB marks it as made by
// new-db, as new-db's catalog-info.yaml does.
func database(name, owner, typ string, newDB bool) *catalog.Entity {
	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindResource,
		Metadata: catalog.Metadata{Name: name, Annotations: map[string]string{}},
		Spec:     map[string]any{"type": typ, "owner": owner}}
	if newDB {
		e.Metadata.Annotations[goldenPathKey] = newDBPath
		e.Metadata.Annotations[sourceTemplateKey] = newDBTemplateRef
	}
	return e
}

func migrationCatalog(t *testing.T) *catalogtest.Catalog {
	return catalogtest.FromEntities(t,
		catalogtest.Group("payments"), catalogtest.Group("checkout"),
		catalogtest.User("jane", "U-jane", "payments"),
		database("orders-db", "group:default/payments", "database", true),
		database("carts-db", "group:default/checkout", "database", true),
		database("fresh-db", "group:default/payments", "database", true),
		database("legacy-db", "group:default/payments", "database", false),
		database("orders-queue", "group:default/payments", "queue", true),
	)
}

// gitopsRepo is a local GitOps repository whose base branch holds files.
func gitopsRepo(t *testing.T, files map[string]string) (*gitops.Publisher, func(map[string]string)) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	repo, err := gitlocal.Open(ctx, dir, gitlocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	merge := func(files map[string]string) {
		t.Helper()
		n++
		var fs []gitlocal.File
		for p, c := range files {
			fs = append(fs, gitlocal.File{Path: p, Content: []byte(c)})
		}
		branch := "plat/seed-" + string(rune('a'+n))
		if _, _, err := repo.OpenPullRequest(ctx, gitlocal.PullRequestSpec{Branch: branch, Title: "seed", Files: fs}); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("git", "-C", dir, "update-ref", "refs/heads/main", branch).CombinedOutput(); err != nil {
			t.Fatalf("merge: %v %s", err, out)
		}
	}
	merge(files)
	return gitops.Local(repo), merge
}

func migrationStep(input map[string]any) *actions.StepContext {
	return &actions.StepContext{Run: actions.Run{ID: "r1", RequesterRef: "user:default/jane"}, StepKey: "migration",
		Input: input, Files: map[string]string{}, Executable: map[string]bool{}}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"add orders index":    "add_orders_index",
		"  Add  Orders-Index": "add_orders_index",
		"addOrdersIndex":      "add_orders_index",
		"drop_legacy.v2":      "drop_legacy_v2",
		"2fa codes":           "2fa_codes",
	} {
		if got, err := SnakeCase(in); err != nil || got != want {
			t.Errorf("SnakeCase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"--":                        "no letter or digit",
		"add; drop table users":     `has ';'`,
		"añadir índice":             `has 'ñ'`,
		strings.Repeat("word ", 13): "keep it to 60",
	} {
		if _, err := SnakeCase(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SnakeCase(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

// The migration is numbered after the highest one on the base branch, in
// the folder new-db made, with new-db's header; a retry keeps its number.
func TestMigrationNumbersAfterTheExistingOnes(t *testing.T) {
	ctx := context.Background()
	files, merge := gitopsRepo(t, map[string]string{
		"databases/orders-db/migrations/0001_init.sql":       "CREATE TABLE example ();\n",
		"databases/orders-db/migrations/0002_add_orders.sql": "CREATE TABLE orders ();\n",
		"databases/orders-db/migrations/README.md":           "# Migrations\n",
		"databases/orders-db/migrations/notes.txt":           "not a migration\n",
		"databases/orders-db/dev/postgres-instance.yaml":     "kind: PostgresInstance\n",
		"databases/fresh-db/migrations/README.md":            "# Migrations\n",
		"databases/carts-db/migrations/0001_init.sql":        "\n",
		"databases/orders-queue/migrations/0001_init.sql":    "\n",
		"databases/legacy-db/migrations/0001_init.sql":       "\n",
	})
	a := migration{d: actions.Deps{Catalog: migrationCatalog(t), GitOpsFiles: files}}
	in := map[string]any{"database": "resource:default/orders-db", "name": "Add orders index", "sql": "CREATE INDEX orders_created ON orders (created_at);\r\n"}

	plan, err := a.Plan(ctx, migrationStep(in))
	if err != nil {
		t.Fatal(err)
	}
	const want = "databases/orders-db/migrations/0003_add_orders_index.sql"
	if plan.Output["path"] != want || plan.Output["number"] != "0003" || plan.Output["fileName"] != "0003_add_orders_index.sql" || plan.Output["database"] != "orders-db" {
		t.Fatalf("plan output %v", plan.Output)
	}
	if len(plan.Effects) != 1 || !strings.Contains(plan.Effects[0], "after 0002_add_orders.sql") {
		t.Fatalf("plan effects %q", plan.Effects)
	}

	sc := migrationStep(in)
	out, err := a.Run(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if out["path"] != want || len(sc.Files) != 1 {
		t.Fatalf("run output %v, files %v", out, sc.Files)
	}
	wantSQL := `-- Migration 0003 of the orders-db database: add orders index.
--
-- Migrations run once each, in file-name order, inside a transaction.
-- Never edit a migration that has run anywhere: add a new one (see README.md).

CREATE INDEX orders_created ON orders (created_at);
`
	if sc.Files[want] != wantSQL {
		t.Fatalf("file:\n%s\nwant:\n%s", sc.Files[want], wantSQL)
	}

	// Another migration is merged meanwhile; the retried step keeps its file.
	merge(map[string]string{"databases/orders-db/migrations/0003_other.sql": "\n"})
	if out, err := a.Run(ctx, sc); err != nil || out["path"] != want || len(sc.Files) != 1 {
		t.Fatalf("retry: %v %v, files %v", out, err, sc.Files)
	}
	// A new run numbers after it.
	if plan, err := a.Plan(ctx, migrationStep(in)); err != nil || plan.Output["number"] != "0004" {
		t.Fatalf("after a merge: %v %v", plan.Output, err)
	}

	// A folder with no migration yet starts at 0001, with a placeholder body.
	sc = migrationStep(map[string]any{"database": "fresh-db", "name": "init"})
	if out, err := a.Run(ctx, sc); err != nil || out["path"] != "databases/fresh-db/migrations/0001_init.sql" {
		t.Fatalf("first migration: %v %v", out, err)
	}
	if got := sc.Files["databases/fresh-db/migrations/0001_init.sql"]; !strings.HasSuffix(got, "\n\n-- Write the change here: plain SQL that runs inside a transaction.\n") {
		t.Fatalf("placeholder body:\n%s", got)
	}
}

// A database new-db did not make, of another team, without its folder,
// not in the catalog, or a name already used: refused by the plan, with
// nothing added.
func TestMigrationRefusals(t *testing.T) {
	ctx := context.Background()
	files, _ := gitopsRepo(t, map[string]string{
		"databases/orders-db/migrations/0001_init.sql":             "\n",
		"databases/orders-db/migrations/0002_add_orders_index.sql": "\n",
		"databases/carts-db/migrations/0001_init.sql":              "\n",
		"databases/legacy-db/migrations/0001_init.sql":             "\n",
		"databases/orders-queue/migrations/0001_init.sql":          "\n",
	})
	a := migration{d: actions.Deps{Catalog: migrationCatalog(t), GitOpsFiles: files}}
	for _, c := range []struct{ db, name, field, want string }{
		{"resource:default/nope-db", "add x", "database", "resource:default/nope-db is not in the catalog"},
		{"orders-queue", "add x", "database", `resource:default/orders-queue is a Resource of type "queue", not a database`},
		{"legacy-db", "add x", "database", "resource:default/legacy-db was not created by new-db"},
		{"carts-db", "add x", "database", "resource:default/carts-db is owned by group:default/checkout, not one of your teams (group:default/payments)"},
		{"fresh-db", "add x", "database", "fresh-db has no migrations folder (databases/fresh-db/migrations) on the GitOps repository's base branch"},
		{"orders-db", "add orders index", "migration", "orders-db already has a migration named add_orders_index (0002_add_orders_index.sql): pick another name"},
		{"orders-db", "add;x", "migration", `has ';'`},
		{"orders-db", "", "migration", "no letter or digit"},
		{"", "add x", "database", "no database is given"},
	} {
		sc := migrationStep(map[string]any{"database": c.db, "name": c.name})
		// The template fills the inputs from its parameters: the error
		// names the parameter, for the form to blame.
		sc.RawInput = map[string]any{"database": "${{ parameters.database }}", "name": "${{ parameters.migration }}"}
		_, err := a.Plan(ctx, sc)
		var fields bot.FieldErrors
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &fields) || len(fields) != 1 || !strings.Contains(fields[c.field], c.want) {
			t.Errorf("%s %q: plan err = %v (fields %v), want %s: %q", c.db, c.name, err, fields, c.field, c.want)
		}
		if _, err := a.Run(ctx, sc); err == nil || len(sc.Files) != 0 {
			t.Errorf("%s %q: run err = %v, files %v", c.db, c.name, err, sc.Files)
		}
	}
	// An input the template does not fill from one parameter names none.
	sc := migrationStep(map[string]any{"database": "legacy-db", "name": "add x"})
	sc.RawInput = map[string]any{"database": "${{ parameters.team }}-db"}
	var fields bot.FieldErrors
	if _, err := a.Plan(ctx, sc); err == nil || errors.As(err, &fields) {
		t.Fatalf("computed input: err = %v, fields %v", err, fields)
	}
	// Without a GitOps reader the migration cannot be numbered.
	b := migration{d: actions.Deps{Catalog: migrationCatalog(t)}}
	if _, err := b.Plan(ctx, migrationStep(map[string]any{"database": "orders-db", "name": "add x"})); err == nil || !strings.Contains(err.Error(), "cannot read the GitOps repository") {
		t.Fatalf("no reader: %v", err)
	}
}

func TestMigrationCheckNeedsDatabaseAndName(t *testing.T) {
	probs := migration{}.Check(nil, template.StepSpec{Input: map[string]any{"sql": "x"}})
	if strings.Join(probs, "; ") != "input.database is missing; input.name is missing" {
		t.Fatalf("problems %q", probs)
	}
	if probs := (migration{}).Check(nil, template.StepSpec{Input: map[string]any{"database": "x", "name": "y"}}); len(probs) != 0 {
		t.Fatalf("problems %q", probs)
	}
}
