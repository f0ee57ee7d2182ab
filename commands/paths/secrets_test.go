package paths

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/store"
)

// secretCanary is a secret value that must never be stored, logged,
// audited or shown anywhere.
const secretCanary = "s3cr3t-CANARY-7f2b9c41e0"

// tokenTemplate writes a template whose password parameter feeds a step
// through ${{ secrets.token }}; file is what its skeleton writes.
func tokenTemplate(t *testing.T, file string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"new-token/template.yaml": `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: new-token
  title: New token
spec:
  owner: group:default/platform
  parameters:
    - title: Token
      required: [name, token]
      properties:
        name: {title: Name, type: string, ui:field: EntityNamePicker}
        token: {title: API token, type: string, minLength: 8, ui:widget: password}
  steps:
    - id: fetch
      name: Render
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: teams/payments/${{ parameters.name }}
        values:
          name: ${{ parameters.name }}
          tokenLength: ${{ secrets.token | length }}
          token: ${{ secrets.token }}
    - id: publish
      name: Open the pull request
      action: publish:github:pull-request
      input:
        title: 'token: ${{ parameters.name }}'
`,
		"new-token/skeleton/config.yaml": file,
	}
	for n, c := range files {
		full := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// noCanary fails when the canary is anywhere the bot keeps or sends things:
// the database files, the data folder, the audit log, the log and every
// message.
func noCanary(t *testing.T, e *env, logs *bottest.LogBuffer) {
	t.Helper()
	noCanaryInFiles(t, e.dir)
	events, err := e.st.AuditEvents(e.ctx, store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if strings.Contains(ev.Action+ev.Target+ev.Outcome+fmt.Sprint(ev.Details), secretCanary) {
			t.Errorf("the secret is in audit event %s", ev.Action)
		}
	}
	if strings.Contains(logs.String(), secretCanary) {
		t.Error("the secret is in the log")
	}
	for _, s := range e.msgr.Sent() {
		if strings.Contains(s.Text()+bot.PlainText(s.Msg), secretCanary) {
			t.Errorf("the secret is in a message: %s", s.Text())
		}
	}
}

// noCanaryInFiles fails when a file under dir (the database and its
// journal, the data folder, the GitOps repository) holds the canary.
func noCanaryInFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secretCanary)) {
			t.Errorf("the secret is in %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A password parameter is a secret: the steps see it (secrets.token), but
// it is sealed in the run record, never written in the clear to the
// database, the audit log, the log or a message, and dropped when the run
// ends. A template that would write it into a file is stopped before
// anything is published.
func TestSecretParameterNeverStored(t *testing.T) {
	logs := &bottest.LogBuffer{}
	dir := tokenTemplate(t, "name: ${{ values.name }}\ntokenLength: ${{ values.tokenLength }}\n")
	e := newEnv(t, envOptions{templates: dir, logger: logs.Logger(), noApprove: true})
	if out := e.reply(userAdmin, "template approve new-token"); !strings.Contains(out, "Approved template `new-token`") {
		t.Fatalf("approve: %s", out)
	}
	f := e.form(userJane, "new-token")
	if fd := f.Field("token"); fd == nil || fd.Kind != bot.FieldSecret {
		t.Fatalf("token field %+v", fd)
	}
	if errs := e.submit(userJane, f, bot.Values{"name": {"billing-api"}, "token": {secretCanary}}); errs != nil {
		t.Fatal(errs)
	}
	r := e.onlyRun()
	if r.SealedSecrets == "" || r.Params["token"] != nil {
		t.Fatalf("run keeps params %v, sealed %q", r.Params, r.SealedSecrets)
	}
	e.drain()
	r = e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	if r.SealedSecrets != "" {
		t.Error("a finished run keeps its sealed secrets")
	}
	if got := r.Files["teams/payments/billing-api/config.yaml"]; got != "name: billing-api\ntokenLength: 24\n" {
		t.Errorf("rendered %q", got)
	}
	// The lineage records the inputs without the secret one.
	if r.Lineage == nil || r.Lineage.Service != "billing-api" || len(r.Lineage.Inputs) != 1 || r.Lineage.Inputs["name"] != "billing-api" {
		t.Fatalf("lineage %+v", r.Lineage)
	}
	noCanary(t, e, logs)
}

func TestSecretWrittenIntoAFileStopsTheRun(t *testing.T) {
	logs := &bottest.LogBuffer{}
	dir := tokenTemplate(t, "name: ${{ values.name }}\ntoken: ${{ values.token }}\n")
	e := newEnv(t, envOptions{templates: dir, logger: logs.Logger(), noApprove: true})
	e.command(userAdmin, "template approve new-token")
	f := e.form(userJane, "new-token")
	errs := e.submit(userJane, f, bot.Values{"name": {"billing-api"}, "token": {secretCanary}})
	if len(e.runs()) != 0 {
		t.Fatal("a run started")
	}
	out := e.msgr.Last().Text()
	if errs == nil && !strings.Contains(out, "writes the secret parameter token into a file") {
		t.Fatalf("field errors %v, reply %s", errs, out)
	}
	noCanary(t, e, logs)
}

// A run's sealed secrets survive a restart that keeps the seal key; without
// it the run stops with what to do, and nothing is published.
func TestSecretsAcrossRestart(t *testing.T) {
	for _, sameKey := range []bool{true, false} {
		logs := &bottest.LogBuffer{}
		dir := tokenTemplate(t, "name: ${{ values.name }}\ntokenLength: ${{ values.tokenLength }}\n")
		key := bot.NewRandomSealer()
		opts := envOptions{templates: dir, logger: logs.Logger(), sealer: key, noApprove: true}
		e1 := newEnv(t, opts)
		e1.command(userAdmin, "template approve new-token")
		f := e1.form(userJane, "new-token")
		if errs := e1.submit(userJane, f, bot.Values{"name": {"billing-api"}, "token": {secretCanary}}); errs != nil {
			t.Fatal(errs)
		}
		e1.st.Close()
		opts.dbPath = e1.dbPath
		if !sameKey {
			opts.sealer = bot.NewRandomSealer()
		}
		e2 := newEnv(t, opts)
		if err := e2.paths.Resume(context.Background()); err != nil {
			t.Fatal(err)
		}
		e2.drain()
		r := e2.onlyRun()
		switch {
		case sameKey && r.State != RunSucceeded:
			t.Errorf("same key: run %s: %s", r.State, r.Error)
		case !sameKey && (r.State != RunFailed || !strings.Contains(r.Error, "can no longer be read")):
			t.Errorf("new key: run %s: %s", r.State, r.Error)
		}
		noCanaryInFiles(t, e1.dir)
		noCanary(t, e2, logs)
	}
}

// TestLineageNeverRecordsASecretParameter: even parameters that hold a
// secret parameter's value (they never do: see forms.Pages.Coerce) are
// left out of the lineage by the form's secret marking.
func TestLineageNeverRecordsASecretParameter(t *testing.T) {
	dir := tokenTemplate(t, "name: ${{ values.name }}\n")
	tm, err := template.Load(os.DirFS(dir), "new-token/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	l := newLineage(tm, &Run{ID: "r1", Params: map[string]any{"name": "billing-api", "token": secretCanary}})
	if l == nil || l.Service != "billing-api" || len(l.Inputs) != 1 || l.Inputs["name"] != "billing-api" {
		t.Fatalf("lineage %+v", l)
	}
}
