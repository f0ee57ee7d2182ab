package paths

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// noteTemplate takes free text (a description) and a folder, so tests can
// try YAML injection and path traversal through parameters.
var noteTemplate = map[string]string{
	"new-note/template.yaml": `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: new-note
  title: New note
  description: Writes a note into the GitOps repository.
spec:
  owner: group:default/platform
  parameters:
    - title: Note
      required: [name]
      properties:
        name:
          title: Name
          type: string
          ui:field: EntityNamePicker
        description:
          title: Description
          type: string
          ui:widget: textarea
        dir:
          title: Folder
          type: string
  steps:
    - id: fetch
      name: Render the note
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: ${{ parameters.dir if parameters.dir else 'notes' }}
        values:
          name: ${{ parameters.name }}
          description: ${{ parameters.description }}
    - id: extra
      name: Render the long description
      if: ${{ parameters.dir == 'never' }}
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: extra
    - id: publish
      name: Open the pull request
      action: publish:github:pull-request
      input:
        title: 'note: ${{ parameters.name }}'
`,
	"new-note/skeleton/${{ values.name }}.yaml": "kind: Note\nmetadata:\n  name: ${{ values.name }}\ndescription: ${{ values.description }}\n",
	"escape/template.yaml": `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: escape
spec:
  owner: group:default/platform
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: ../../outside
`,
	"escape/skeleton/x.txt": "x",
}

func TestBadInput(t *testing.T) {
	dir := copyTemplates(t, noteTemplate)
	e := newEnv(t, envOptions{templates: dir})
	if out := e.reply(userAdmin, "template approve new-note"); !strings.Contains(out, "✅ Approved") {
		t.Fatalf("approve new-note: %s", out)
	}
	repo := filepath.Join(e.dir, "gitops")

	t.Run("invalid values are shown on their fields", func(t *testing.T) {
		f := e.form(userJane, "new-db")
		for _, c := range []struct {
			field, value, want string
		}{
			{"name", "Orders DB", "lower-case letters"},
			{"name", "orders_db", "lower-case letters"},
			{"name", "-orders", "lower-case letters"},
			{"name", `orders"db`, "lower-case letters"},
			{"name", "orders\nkind: Secret", "one line"},
			{"name", "legacy-db", "already exists in the catalog (resource:default/legacy-db, owned by group:default/payments)"},
			{"name", "orders-service", "already exists in the catalog (component:default/orders-service"},
			{"storageGB", "5", "at least 10"},
			{"storageGB", "10.5", "whole number"},
			{"size", "huge", "not one of the choices"},
			{"owner", "group:default/platform", "not one of the choices"},
			{"dependencyOf", "no-such-service", "component:default/no-such-service is not in the catalog"},
		} {
			v := newDBValues("orders-db")
			v[c.field] = []string{c.value}
			errs := e.submit(userJane, f, v)
			if !strings.Contains(errs[c.field], c.want) {
				t.Errorf("%s=%q: %q, want %q", c.field, c.value, errs[c.field], c.want)
			}
		}
		if len(e.runs()) != 0 {
			t.Fatal("an invalid submission created a run")
		}
	})

	t.Run("scaffolding for another team is denied", func(t *testing.T) {
		// Bob belongs to no team, so the owner is a text field he fills in.
		f := e.form(userBob, "new-db")
		if k := f.Field("owner").Kind; k != bot.FieldText {
			t.Fatalf("owner field %s", k)
		}
		n := len(e.msgr.Sent())
		if errs := e.submit(userBob, f, newDBValues("bobs-db")); errs != nil {
			t.Fatal(errs)
		}
		reply := e.msgr.Sent()[n:]
		if len(reply) != 1 || !strings.Contains(reply[0].Text(), "🚫 You may not scaffold group:default/payments") {
			t.Fatalf("reply %+v", reply)
		}
		if len(e.runs()) != 0 {
			t.Fatal("a denied submission created a run")
		}
	})

	t.Run("yaml injection stays a string", func(t *testing.T) {
		evil := "ok\"\nkind: Secret\nmetadata: {name: pwned}\n---\napiVersion: v1\nkind: Secret"
		f := e.form(userJane, "new-note")
		if errs := e.submit(userJane, f, bot.Values{"name": {"note-one"}, "description": {evil}}); errs != nil {
			t.Fatal(errs)
		}
		e.drain()
		r := e.runs()[0]
		if r.State != RunSucceeded {
			t.Fatalf("run %s: %s", r.State, r.Error)
		}
		content := git(t, repo, "show", r.Branch()+":notes/note-one.yaml")
		dec := yaml.NewDecoder(strings.NewReader(content))
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if doc["kind"] != "Note" || doc["description"] != evil {
			t.Fatalf("injected:\n%s", content)
		}
		var second map[string]any
		if err := dec.Decode(&second); err == nil {
			t.Fatalf("a second document was injected:\n%s", content)
		}
	})

	t.Run("path traversal fails the run before any side effect", func(t *testing.T) {
		before := len(e.runs())
		f := e.form(userJane, "new-note")
		if errs := e.submit(userJane, f, bot.Values{"name": {"note-two"}, "dir": {"../../outside"}}); errs != nil {
			t.Fatal(errs)
		}
		e.drain()
		var r *Run
		for _, x := range e.runs() {
			if x.Name == "note-two" {
				r = x
			}
		}
		if r == nil || len(e.runs()) != before+1 {
			t.Fatal("no run")
		}
		if r.State != RunFailed || r.current() != 0 || !strings.Contains(r.Error, "must stay inside the output folder") || !strings.Contains(r.Error, "Nothing was created") {
			t.Fatalf("run %s: %s", r.State, r.Error)
		}
		lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if pr, _ := lr.FindPullRequest(context.Background(), r.Branch()); pr != nil {
			t.Fatal("a pull request was opened")
		}
		if b := git(t, repo, "branch", "--list", r.Branch()); b != "" {
			t.Fatal("a branch was created")
		}
		// The dry run reports the same problem without a run.
		f = e.form(userJane, "new-note --dry-run")
		if errs := e.submit(userJane, f, bot.Values{"name": {"note-three"}, "dir": {"../x"}}); errs != nil {
			t.Fatal(errs)
		}
		e.drain()
		if out := e.msgr.Last().Text(); !strings.Contains(out, "dry run of `new-note` failed") || !strings.Contains(out, "must stay inside") {
			t.Fatalf("dry run: %s", out)
		}
	})

	t.Run("a template that escapes its output cannot be approved", func(t *testing.T) {
		out := e.reply(userAdmin, "template approve escape")
		if !strings.Contains(out, "cannot be approved") || !strings.Contains(out, `input.targetPath "../../outside" leaves the output folder`) {
			t.Fatalf("approve escape: %s", out)
		}
		if out := e.reply(userJane, "escape"); !strings.Contains(out, "I don't know") {
			t.Fatalf("unapproved template ran: %s", out)
		}
		if out := e.reply(userAdmin, "templates"); !strings.Contains(out, "🛑 `escape` cannot be approved") {
			t.Fatalf("templates: %s", out)
		}
	})

	t.Run("unapproved templates do not run", func(t *testing.T) {
		if out := e.reply(userJane, "escape --dry-run"); !strings.Contains(out, "I don't know `/plat escape`") {
			t.Fatalf("%s", out)
		}
		if out := e.reply(userJane, "template approve nope"); !strings.Contains(out, "may not admin") {
			t.Fatalf("%s", out)
		}
		if out := e.reply(userAdmin, "template approve nope"); !strings.Contains(out, "There is no template `nope`") {
			t.Fatalf("%s", out)
		}
	})
}
