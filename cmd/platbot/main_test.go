package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestMain runs the tests from the repository root, where the bot finds its
// embedded defaults (examples/) as it does when run with go run ./cmd/platbot.
//
// Started with PLATBOT_TEST_RUN_MAIN set, the test binary is platbot
// itself (a replica of the multi-process tests in ha_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		main()
		return
	}
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// env returns a getenv over a map, isolated from the real environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// testEnv points the bot at a temporary folder with the example catalog.
func testEnv(t testing.TB, extra map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	m := map[string]string{
		"PLATBOT_DB":       filepath.Join(dir, "platbot.db"),
		"PLATBOT_DATA_DIR": filepath.Join(dir, "state"),
		"PLATBOT_CONFIG":   "",
		"PLATBOT_ADDR":     "127.0.0.1:0",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func runBot(t *testing.T, e map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, env(e))
	return code, out.String(), errb.String()
}

// shellAs runs the shell as user over script and returns its output,
// failing the test on a non-zero exit or when the output lacks one of
// wants (each named, then the whole output once).
func shellAs(t *testing.T, e map[string]string, user, script string, wants ...string) string {
	t.Helper()
	code, out, errOut := runBot(t, e, script, "shell", "--as", user)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("shell output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("output:\n%s", out)
	}
	return out
}

func TestNoSubcommandWithoutSlackRunsShell(t *testing.T) {
	e := testEnv(t, nil)
	code, out, errOut := runBot(t, e, "/plat ping\n")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	if !strings.Contains(first, "running the local shell because no Slack credentials") {
		t.Fatalf("first line does not say which mode and why: %q", first)
	}
	if !strings.Contains(out, "pong") {
		t.Fatalf("ping not answered: %s", out)
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runBot(t, testEnv(t, nil), "", "version")
	if code != 0 || !strings.HasPrefix(out, "platbot ") {
		t.Fatalf("version: %d %q", code, out)
	}
	for _, sub := range []string{"serve", "shell", "migrate", "digest", "bench"} {
		code, _, errOut := runBot(t, testEnv(t, nil), "", sub, "--help")
		if code != 0 || !strings.Contains(errOut, "Usage: platbot "+sub) {
			t.Errorf("%s --help: exit %d, %q", sub, code, errOut)
		}
	}
	code, _, errOut := runBot(t, testEnv(t, nil), "", "digest")
	if code != 2 || !strings.Contains(errOut, "platbot digest: digests run on their schedule inside serve; pass --now to run one now") {
		t.Errorf("digest without --now: exit %d, %q", code, errOut)
	}
	code, _, errOut = runBot(t, testEnv(t, nil), "", "audit", "--help")
	if code != 0 || !strings.Contains(errOut, "audit verify") {
		t.Errorf("audit --help: %d %q", code, errOut)
	}
	code, _, errOut = runBot(t, testEnv(t, nil), "", "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown subcommand: %d %q", code, errOut)
	}
}

func TestConfigErrorsNameFileKeyAndExpectation(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, yaml string
		env        map[string]string
		want       []string
	}{
		{"unknown key", "db: x.db\nslak:\n  bot_token: xoxb-1\n", nil, []string{"platbot.yaml", "line 2", `unknown key "slak"`}},
		{"unknown nested key", "db: x.db\nslack:\n  bot_tokn: xoxb-1\n", nil, []string{"platbot.yaml line 3", "slack.bot_tokn", `unknown key "bot_tokn"`}},
		{"wrong type names the key", "db: x.db\naddr: [1, 2]\n", nil, []string{"line 2", "addr", "cannot unmarshal"}},
		{"feature section typo", "db: x.db\n\ncatalog:\n  refresh: \"@every 5m\"\n  locatons:\n    - target: examples/catalog\n", nil, []string{"platbot.yaml line 5", "catalog.locatons", `unknown key "locatons"`}},
		{"other database url", "", map[string]string{"PLATBOT_DB": "mysql://u:pw@localhost/db"}, []string{"db", "not a PostgreSQL one", "postgres://", "u:***@"}},
		{"bad token", "slack:\n  bot_token: abc\n  signing_secret: s\n", nil, []string{"slack.botToken", "xoxb-"}},
		{"missing secret", "", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, []string{"slack.signingSecret", "SLACK_SIGNING_SECRET"}},
		{"bad log level", "log:\n  level: loud\n", nil, []string{"log.level", "debug, info, warn or error"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "platbot.yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			e := testEnv(t, c.env)
			e["PLATBOT_CONFIG"] = p
			code, _, errOut := runBot(t, e, "", "shell")
			if code == 0 {
				t.Fatalf("bad config accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("error %q lacks %q", errOut, w)
				}
			}
		})
	}
	e := testEnv(t, nil)
	e["PLATBOT_CONFIG"] = filepath.Join(dir, "missing.yaml")
	if code, _, errOut := runBot(t, e, "", "migrate"); code == 0 || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing explicit config: %d %q", code, errOut)
	}
}

func TestMigrateAuditVerifyAndExport(t *testing.T) {
	e := testEnv(t, nil)
	if code, out, errOut := runBot(t, e, "", "migrate"); code != 0 || !strings.Contains(out, "applied migrations") {
		t.Fatalf("migrate: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runBot(t, e, "", "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %d %q", code, out)
	}
	if code, _, errOut := runBot(t, e, "/plat ping\n/plat help\n/plat nope\n", "shell", "--as", "U0PAYBOB"); code != 0 {
		t.Fatalf("shell: %d %s", code, errOut)
	}
	code, out, _ := runBot(t, e, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log OK") {
		t.Fatalf("verify: %d %q", code, out)
	}
	code, out, _ = runBot(t, e, "", "audit", "export", "--since", "1h", "--actor", "U0PAYBOB")
	if code != 0 {
		t.Fatalf("export: %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		t.Fatalf("export has %d lines: %q", len(lines), out)
	}
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not JSON lines: %q", l)
		}
		if ev["actor_id"] != "U0PAYBOB" {
			t.Fatalf("actor filter ignored: %v", ev)
		}
	}
	if code, _, errOut := runBot(t, e, "", "audit", "export", "--since", "yesterday-ish"); code == 0 || !strings.Contains(errOut, "RFC 3339") {
		t.Fatalf("bad --since accepted: %d %q", code, errOut)
	}

	// Tamper with the database behind the bot's back: verify must fail and name the row.
	db, err := sql.Open("sqlite", e["PLATBOT_DB"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TRIGGER IF EXISTS audit_no_update`); err != nil {
		t.Fatal(err)
	}
	var triggers []string
	rows, _ := db.Query(`SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		triggers = append(triggers, n)
	}
	rows.Close()
	for _, tr := range triggers {
		if _, err := db.Exec(`DROP TRIGGER ` + tr); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE audit SET outcome = 'ok-forged' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ = runBot(t, e, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "BROKEN at seq 2") {
		t.Fatalf("tampering not detected: %d %q", code, out)
	}
}

// TestRestartRefreshesTheCatalog: the bot serves the saved catalog at once
// after a restart, but picks up edits made while it was down before it
// answers anything.
func TestRestartRefreshesTheCatalog(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("examples/catalog/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	catDir := filepath.Join(dir, "catalog")
	if err := os.MkdirAll(catDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"org.yaml", "people.yaml", "checkout.yaml"} {
		b, err := os.ReadFile(filepath.Join("examples/catalog", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(catDir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "platbot.yaml")
	if err := os.WriteFile(cfgPath, []byte("catalog:\n  locations:\n    - target: "+catDir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := testEnv(t, nil)
	e["PLATBOT_CONFIG"] = cfgPath
	if code, out, errOut := runBot(t, e, "/plat service checkout-service\n", "shell"); code != 0 || !strings.Contains(out, "Turns a basket into an order") {
		t.Fatalf("first run: %d %s %s", code, out, errOut)
	}
	edited := strings.Replace(string(src), "Turns a basket into an order", "Edited while the bot was down", 1)
	if err := os.WriteFile(filepath.Join(catDir, "checkout.yaml"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBot(t, e, "/plat service checkout-service\n", "shell")
	if code != 0 || !strings.Contains(out, "Edited while the bot was down") {
		t.Fatalf("the restarted bot still serves the old catalog: %d\n%s\n%s", code, out, errOut)
	}
}

func TestShellRefusesUnknownUsers(t *testing.T) {
	code, _, errOut := runBot(t, testEnv(t, nil), "/plat whoami\n", "shell", "--as", "alice")
	if code == 0 || !strings.Contains(errOut, "did you mean alice.moreau?") {
		t.Fatalf("unknown --as: %d %q", code, errOut)
	}
	code, out, errOut := runBot(t, testEnv(t, nil), "/plat whoami\n", "shell", "--as", "sam.patel@acme.example")
	if code != 0 || !strings.Contains(out, "user:default/sam.patel") {
		t.Fatalf("--as by email: %d %s %s", code, out, errOut)
	}
}
