package paths

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
	"github.com/platbot/platbot/store"
)

// The generated database passwords must appear nowhere but in Vault: not in
// logs (debug level, every component), the store (database and WAL files,
// records, jobs), audit events, chat messages, or what was sent to GitHub.
func TestSecretCanary(t *testing.T) {
	logs := &bottest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	old := slog.Default()
	slog.SetDefault(logger)
	defer slog.SetDefault(old)

	gh := newGHFake(t)
	fv := vaultfake.New()
	defer fv.Close()
	e := newEnv(t, envOptions{publisher: githubBackend(t, gh), secrets: vaultBackend(t, fv), logger: logger})

	// A dry run, a failure (GitHub down) and a retry: every path that logs,
	// audits and reports.
	f := e.form(userJane, "new-db --dry-run")
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	gh.SetFail(func(method, path string) (int, string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			return 502, `{"message":"Bad Gateway"}`
		}
		return 0, ""
	})
	f = e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunFailed {
		t.Fatalf("run %s", r.State)
	}
	gh.SetFail(nil)
	e.reply(userJane, "run retry "+r.ID)
	e.drain()
	e.reply(userJane, "run "+r.ID)
	e.reply(userJane, "runs")
	if r = e.onlyRun(); r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}

	var canaries []string
	for _, env := range []string{"dev", "prod"} {
		sec := fv.Secret("secret/payments/orders-db/" + env + "/db")
		pw, _ := sec["password"].(string)
		if len(pw) < 32 {
			t.Fatalf("%s password %q", env, pw)
		}
		canaries = append(canaries, pw)
	}

	places := map[string]string{"logs": logs.String(), "messages": e.msgr.AllText()}
	for i, s := range e.msgr.Sent() {
		b, _ := json.Marshal(s.Msg)
		places["message "+itoa(i)] = string(b)
		if s.Form != nil {
			b, _ := json.Marshal(s.Form)
			places["form "+itoa(i)] = string(b)
		}
	}
	var gb strings.Builder
	for _, q := range gh.Requests() {
		gb.WriteString(q.Method + " " + q.Path + "\n" + q.Body + "\n")
	}
	places["GitHub requests"] = gb.String()
	for _, q := range fv.Requests() {
		if !strings.Contains(q.Path, "/data/") {
			places["Vault request "+q.Path] = q.Body
		}
	}
	events, err := e.st.AuditEvents(context.Background(), store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) < 10 {
		t.Fatalf("only %d audit events", len(events))
	}
	eb, _ := json.Marshal(events)
	places["audit events"] = string(eb)
	recs, err := e.st.ListRecords(context.Background(), store.Query{Kind: KindRun})
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := json.Marshal(recs)
	places["run records"] = string(rb)
	e.st.Close() // flush the WAL
	files, _ := filepath.Glob(e.dbPath + "*")
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		places["file "+filepath.Base(fn)] = string(b)
	}

	for where, text := range places {
		for _, c := range canaries {
			if strings.Contains(text, c) {
				t.Errorf("a generated password appears in %s", where)
			}
		}
	}
	// Sanity: the places hold what they should, so the checks mean something.
	if !strings.Contains(places["audit events"], "paths.step") || !strings.Contains(places["logs"], "step done") ||
		!strings.Contains(places["GitHub requests"], "PostgresInstance") {
		t.Fatal("the canary places are not what they seem")
	}
}
