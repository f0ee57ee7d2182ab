package main

import (
	"context"
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
	pg, err := testenv.StartPostgres(ctx)
	testenv.SkipOrFail(t, err)
	t.Cleanup(func() { pg.Stop() })
	dsn, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
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
