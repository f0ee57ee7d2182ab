package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeNewMigrationOverSlack runs /plat new-migration through the
// served bot as Slack does, on a database whose new-db pull request is
// merged in the local GitOps repository and whose catalog entry the
// catalog reads from there (the glob location docs/golden-paths.md
// describes): a name the database already has comes back beside the field
// and nothing starts; the corrected submission's pull request holds the
// next numbered migration.
func TestServeNewMigrationOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	gitops := filepath.Join(t.TempDir(), "gitops")
	// What new-db's merged pull request left for ledger-db (its catalog
	// entry and migration scaffold).
	git := gitRepo(t, gitops, map[string]string{
		"databases/ledger-db/catalog-info.yaml": `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ledger-db
  annotations:
    backstage.io/source-template: template:default/new-db
    platbot.dev/golden-path: new-db
spec:
  type: database
  owner: group:default/payments
`,
		"databases/ledger-db/migrations/0001_init.sql": "CREATE TABLE IF NOT EXISTS example (id BIGSERIAL PRIMARY KEY);\n",
		"databases/ledger-db/migrations/README.md":     "# Migrations of ledger-db\n",
	})

	b := startExamplesBot(t, map[string]string{
		"PLATBOT_GITOPS_REPO": gitops,
		"PLATBOT_CATALOG":     "examples/catalog," + filepath.Join(gitops, "databases/*/catalog-info.yaml"),
	})
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-migration")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	v := b.openGoldenModal(t, "new-migration", "migration,database,sql")
	state := jobState{}
	state.set(t, v.View, "migration", "init", "")
	state.set(t, v.View, "database", "resource:default/ledger-db", "ledger-db")
	state.set(t, v.View, "sql", "CREATE INDEX example_id ON example (id);", "")
	b.submitRefused(t, v, state, gitops, "migration", "ledger-db already has a migration named init (0001_init.sql): pick another name")

	state.set(t, v.View, "migration", "Add example index", "")
	branch := b.submitRun(t, v, state, gitops)
	const want = "databases/ledger-db/migrations/0002_add_example_index.sql"
	if files := withoutLineageText(git("diff", "--name-only", "main", branch)); files != want {
		t.Fatalf("files changed:\n%s", files)
	}
	if sql := git("show", branch+":"+want); !strings.HasPrefix(sql, "-- Migration 0002 of the ledger-db database: add example index.") ||
		!strings.HasSuffix(sql, "CREATE INDEX example_id ON example (id);") {
		t.Fatalf("migration:\n%s", sql)
	}
}
