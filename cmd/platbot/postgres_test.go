package main

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/integrations/testenv"
)

// TestPostgresDatabase: PLATBOT_DB naming a PostgreSQL database runs the
// same bot there: migrate, a shell session writing audit rows and an
// anchor, and audit verify; the password shows nowhere.
func TestPostgresDatabase(t *testing.T) {
	ctx := context.Background()
	pg, dsn := postgresDB(ctx, t)
	e := seededLog(t, map[string]string{"PLATBOT_DB": dsn})
	code, out, errOut := runBot(t, e, "", "migrate")
	if code != 0 || !strings.Contains(out, "is up to date") {
		t.Errorf("second migrate: %d %q %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, pg.Password()) {
		t.Errorf("output shows the database password: %q %q", out, errOut)
	}
}

// TestPostgresUnreachable: a database that cannot be reached stops the bot
// with an error naming PLATBOT_DB, not the password.
func TestPostgresUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "nothing-here")
	e := testEnv(t, map[string]string{"PLATBOT_DB": "host=" + sock + " dbname=platbot user=platbot password=s3cret-pw connect_timeout=5"})
	code, _, errOut := runBot(t, e, "", "migrate")
	if code == 0 {
		t.Fatal("migrate succeeded without a database")
	}
	for _, w := range []string{"cannot reach PostgreSQL", "is the server running", "PLATBOT_DB", "password=***"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr %q lacks %q", errOut, w)
		}
	}
	if strings.Contains(errOut, "s3cret-pw") {
		t.Errorf("stderr shows the password: %q", errOut)
	}
}

// TestMigrateSQLiteToPostgres: "platbot migrate --from platbot.db --to
// <postgres>" copies a SQLite installation, whose log then verifies on
// PostgreSQL with its anchors; a second copy is refused.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	pg, dsn := postgresDB(ctx, t)
	e := seededLog(t, nil)
	code, out, errOut := runBot(t, e, "", "migrate", "--from", e["PLATBOT_DB"], "--to", dsn)
	if code != 0 || !strings.Contains(out, "copied ") || !strings.Contains(out, "source audit log OK") || !strings.Contains(out, "target audit log OK") {
		t.Fatalf("migrate --from --to: %d %q %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, pg.Password()) {
		t.Errorf("output shows the database password: %q %q", out, errOut)
	}
	onPG := maps.Clone(e)
	onPG["PLATBOT_DB"] = dsn
	code, out, errOut = runBot(t, onPG, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log OK") || !strings.Contains(out, "anchors; the newest is of seq") {
		t.Errorf("audit verify on PostgreSQL after the copy: %d %q %q", code, out, errOut)
	}
	code, _, errOut = runBot(t, e, "", "migrate", "--from", e["PLATBOT_DB"], "--to", dsn)
	if code == 0 || !strings.Contains(errOut, "new, empty database") {
		t.Errorf("second copy: %d %q", code, errOut)
	}
	code, _, errOut = runBot(t, e, "", "migrate", "--to", dsn)
	if code == 0 || !strings.Contains(errOut, "--from and --to go together") {
		t.Errorf("--to alone: %d %q", code, errOut)
	}
}

// postgresDB starts a throwaway PostgreSQL server for tb, stopped when tb
// ends (tb is skipped, or failed under CI, when none can run here), and
// returns it with the DSN of a new database on it.
func postgresDB(ctx context.Context, tb testing.TB) (*testenv.Postgres, string) {
	tb.Helper()
	pg, err := testenv.StartPostgres(ctx)
	testenv.SkipOrFail(tb, err)
	tb.Cleanup(func() { _ = pg.Stop() })
	dsn, err := pg.CreateDatabase(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return pg, dsn
}
