package paths

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/golden"
)

// The migration action reads runs' states from the store by the kind and
// state names commands/paths writes.
func TestMigrationNumbersReadTheRunsOfThisFeature(t *testing.T) {
	if golden.RunKind != KindRun || golden.RunCancelled != RunCancelled {
		t.Fatalf("golden reads runs as %s/%s, the feature writes %s/%s", golden.RunKind, golden.RunCancelled, KindRun, RunCancelled)
	}
}

// Two /plat new-migration runs for the same database, both submitted
// before either publishes, and neither pull request merged: they get
// 0002 and 0003, not 0002 twice.
func TestNewMigrationRunsInFlightGetDifferentNumbers(t *testing.T) {
	cat := newCatalog(t)
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat})
	repo := filepath.Join(e.dir, "gitops")
	if errs := e.submit(userJane, e.form(userJane, "new-db"), newDBValues("orders-db")); errs != nil {
		t.Fatalf("new-db: %v", errs)
	}
	e.drain()
	dbRun := e.onlyRun()
	git(t, repo, "update-ref", "refs/heads/main", "plat/"+dbRun.ID+"-new-db")
	cat.Add(git(t, repo, "show", "main:databases/orders-db/catalog-info.yaml"))
	e.approve(t, "new-migration")

	for _, words := range []string{"add orders index", "add refunds table"} {
		if errs := e.submit(userJane, e.form(userJane, "new-migration"), bot.Values{"migration": {words}, "database": {"orders-db"}}); errs != nil {
			t.Fatalf("%s: %v", words, errs)
		}
	}
	e.drain()
	var paths []string
	for _, r := range e.runs() {
		if r.Template != "new-migration" {
			continue
		}
		if r.State != RunSucceeded {
			t.Fatalf("run %s %s: %s", r.ID, r.State, r.Error)
		}
		paths = append(paths, strings.TrimSpace(withoutLineage(git(t, repo, "diff", "--name-only", "main", "plat/"+r.ID+"-new-migration"))))
	}
	sort.Strings(paths)
	want := "databases/orders-db/migrations/0002_add_orders_index.sql databases/orders-db/migrations/0003_add_refunds_table.sql"
	if strings.Join(paths, " ") != want {
		want2 := "databases/orders-db/migrations/0002_add_refunds_table.sql databases/orders-db/migrations/0003_add_orders_index.sql"
		if strings.Join(paths, " ") != want2 {
			t.Fatalf("the pull requests add %v, want 0002 and 0003", paths)
		}
	}
}
