package main

import (
	"os"
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
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", gitops}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// What new-db's merged pull request left for ledger-db (its catalog
	// entry and migration scaffold).
	for name, content := range map[string]string{
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
	} {
		p := filepath.Join(gitops, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "--quiet", "--initial-branch=main")
	git("add", ".")
	git("-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "new-db: ledger-db")

	b := startExamplesBot(t, map[string]string{
		"PLATBOT_GITOPS_REPO": gitops,
		"PLATBOT_CATALOG":     "examples/catalog," + filepath.Join(gitops, "databases/*/catalog-info.yaml"),
	})
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-migration")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.command("U0PAYALICE", "new-migration")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	if got := jobInputIDs(v.View); got != "migration,database,sql" {
		t.Fatalf("inputs = %s", got)
	}
	state := jobState{}
	state.set(t, v.View, "migration", "init", "")
	state.set(t, v.View, "database", "resource:default/ledger-db", "ledger-db")
	state.set(t, v.View, "sql", "CREATE INDEX example_id ON example (id);", "")
	a, raw := b.submit(v, state)
	if a.ResponseAction != "errors" || !strings.Contains(a.Errors["migration"], "ledger-db already has a migration named init (0001_init.sql): pick another name") {
		t.Fatalf("a name the database has answered %s", raw)
	}
	if n := len(b.slack.Calls("chat.postMessage")); n != 0 || git("branch", "--list", "plat/*") != "" {
		t.Fatalf("a refused submission posted %d messages or made a branch", n)
	}

	state.set(t, v.View, "migration", "Add example index", "")
	if _, raw = b.submit(v, state); raw != "" {
		t.Fatalf("final submission answered %s, want the modal closed", raw)
	}
	waitReviews(t, b.slack, 1)
	branches := strings.Fields(strings.ReplaceAll(git("branch", "--list", "plat/*"), "*", ""))
	if len(branches) != 1 {
		t.Fatalf("branches %q, want one", branches)
	}
	const want = "databases/ledger-db/migrations/0002_add_example_index.sql"
	if files := git("diff", "--name-only", "main", branches[0]); files != want {
		t.Fatalf("files changed:\n%s", files)
	}
	if sql := git("show", branches[0]+":"+want); !strings.HasPrefix(sql, "-- Migration 0002 of the ledger-db database: add example index.") ||
		!strings.HasSuffix(sql, "CREATE INDEX example_id ON example (id);") {
		t.Fatalf("migration:\n%s", sql)
	}
}
