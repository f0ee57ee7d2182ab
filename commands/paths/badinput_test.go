package paths

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/store"
)

// denyScaffold is teamPolicy, except that nobody may scaffold for group.
func denyScaffold(cat Catalog, group string) *bottest.Policy {
	p := bottest.NewPolicy()
	p.DecideWith(func(ctx context.Context, u bot.User, action string, res bot.Resource) bot.Decision {
		if action == bot.ActionScaffold && res.Ref == group {
			return bot.Decision{Rule: "frozen", Reason: group + " is frozen."}
		}
		return teamDecision(ctx, cat, u, action, res)
	})
	return p
}

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
	"new-note/skeleton/${{ values.name }}.yaml": "kind: Note\nmetadata:\n  name: ${{ values.name }}\ndescription: ${{ values.description | dump }}\n",
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
			{"name", "orders\nkind: Secret", "lower-case letters"},
			{"name", "legacy-db", "already exists in the catalog (resource:default/legacy-db, owned by group:default/payments)"},
			{"name", "orders-service", "already exists in the catalog (component:default/orders-service"},
			{"storageGB", "5", "at least 10"},
			{"storageGB", "10.5", "whole number"},
			{"size", "huge", "not one of the choices"},
			{"owner", "group:default/platform", "not one of the choices"},
			{"dependencyOf", "no-such-service", `"no-such-service" is not one of the choices`},
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

	t.Run("the owner must be one of the user's own teams", func(t *testing.T) {
		// Bob belongs to no team: the form says so instead of opening.
		if out := e.reply(userBob, "new-db"); !strings.Contains(out, "You belong to no team in the catalog") {
			t.Fatalf("bob: %s", out)
		}
		// Jane is offered payments, not engineering (the department above
		// it, which would put secret/engineering/… in her hands).
		f := e.form(userJane, "new-db")
		if o := f.Field("owner"); len(o.Options) != 1 || o.Options[0].Value != "group:default/payments" || o.Default != "group:default/payments" {
			t.Fatalf("owner field %+v", o)
		}
		// Submissions that do not come from the form (a forged modal, a
		// stale one) are checked again: the parent group, another team.
		for _, c := range []struct{ user, form, owner, want string }{
			{userJane, "new-db", "group:default/engineering", "group:default/engineering is not one of your teams (payments)"},
			{userJane, "new-db", "engineering", "group:default/engineering is not one of your teams (payments)"},
			{userJane, "new-db", "group:default/checkout", "group:default/checkout is not one of your teams (payments)"},
			{userJane, "new-db preview", "group:default/engineering", "not one of your teams"},
			{userBob, "new-db", "group:default/payments", "you belong to no team in the catalog"},
		} {
			v := newDBValues("forged-db")
			v["owner"] = []string{c.owner}
			n := len(e.msgr.Sent())
			if err := e.router.SubmitForm(e.ctx, e.request(c.user, ""), c.form, v); err != nil {
				t.Fatal(err)
			}
			reply := e.msgr.Sent()[n:]
			if len(reply) != 1 || !strings.Contains(reply[0].Text(), "owner") || !strings.Contains(reply[0].Text(), c.want) {
				t.Fatalf("%s as %s via %s: %+v", c.owner, c.user, c.form, reply)
			}
		}
		if len(e.runs()) != 0 {
			t.Fatal("a refused submission created a run")
		}
		if recs, _ := e.st.ListRecords(e.ctx, store.Query{Kind: KindPreview}); len(recs) != 0 {
			t.Fatal("a refused dry run stored a preview")
		}
		// An admin may pick any team in the catalog (not a department).
		f = e.form(userAdmin, "new-db")
		var opts []string
		for _, o := range f.Field("owner").Options {
			opts = append(opts, o.Value)
		}
		if strings.Join(opts, ",") != "group:default/platform,group:default/checkout,group:default/payments" || f.Field("owner").Default != "group:default/platform" {
			t.Fatalf("admin's owner options %v", opts)
		}
		v := newDBValues("forged-db")
		v["owner"] = []string{"group:default/engineering"}
		if errs := e.submit(userAdmin, f, v); !strings.Contains(errs["owner"], "not one of the choices") {
			t.Fatalf("admin for a department: %v", errs)
		}
	})

	t.Run("a dry run checks the scaffold policy", func(t *testing.T) {
		// A policy that lets nobody scaffold for payments (a frozen team):
		// jane may not preview for it either, and nothing is stored.
		e2 := newEnv(t, envOptions{policy: denyScaffold(e.cat, "group:default/payments"), cat: e.cat})
		for _, cmd := range []string{"new-db --dry-run", "new-db"} {
			f := e2.form(userJane, cmd)
			n := len(e2.msgr.Sent())
			if errs := e2.submit(userJane, f, newDBValues("frozen-db")); errs != nil {
				t.Fatal(errs)
			}
			reply := e2.msgr.Sent()[n:]
			if len(reply) != 1 || !strings.Contains(reply[0].Text(), "🚫 You may not scaffold group:default/payments") {
				t.Fatalf("%s: %+v", cmd, reply)
			}
		}
		if recs, _ := e2.st.ListRecords(e2.ctx, store.Query{Kind: KindPreview}); len(recs) != 0 || len(e2.runs()) != 0 {
			t.Fatalf("a denied dry run stored %d previews, %d runs", len(recs), len(e2.runs()))
		}
	})

	t.Run("yaml injection stays a string", func(t *testing.T) {
		evil := "ok\"\nkind: Secret\nmetadata: {name: pwned}\n---\napiVersion: v1\nkind: Secret"
		f := e.form(userJane, "new-note")
		if errs := e.submit(userJane, f, bot.Values{"name": {"note-one"}, "description": {evil}}); errs != nil {
			t.Fatal(errs)
		}
		e.drain()
		if len(e.runs()) == 0 {
			t.Fatalf("no run: %s", e.msgr.Last().Text())
		}
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

	t.Run("path traversal is refused on its field before anything exists", func(t *testing.T) {
		before := len(e.runs())
		for _, form := range []string{"new-note", "new-note --dry-run"} {
			f := e.form(userJane, form)
			for _, dir := range []string{"../../outside", "../x", "notes/../../x", ".git/hooks"} {
				errs := e.submit(userJane, f, bot.Values{"name": {"note-two"}, "dir": {dir}})
				if len(errs) != 1 || !strings.Contains(errs["dir"], "this value cannot be used") || !strings.Contains(errs["dir"], "paths must") {
					t.Fatalf("%s dir=%q: %v", form, dir, errs)
				}
			}
			// The check is made again when the submission arrives (a
			// forged modal skips the first one): refused, nothing created.
			n := len(e.msgr.Sent())
			if err := e.router.SubmitForm(e.ctx, e.request(userJane, ""), f.ID, bot.Values{"name": {"note-two"}, "dir": {"../../outside"}}); err != nil {
				t.Fatal(err)
			}
			if reply := e.msgr.Sent()[n:]; len(reply) != 1 || !strings.Contains(reply[0].Text(), "*dir*: this value cannot be used") || !strings.Contains(reply[0].Text(), "must stay inside the output folder") {
				t.Fatalf("forged %s: %+v", form, reply)
			}
		}
		e.drain()
		if len(e.runs()) != before {
			t.Fatal("a run was created")
		}
		if recs, _ := e.st.ListRecords(e.ctx, store.Query{Kind: KindPreview}); len(recs) != 0 {
			t.Fatal("a preview was stored")
		}
		if b := git(t, repo, "branch", "--list", "plat/*note-two*"); b != "" {
			t.Fatalf("a branch was created: %s", b)
		}
		lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if prs, err := lr.PullRequests(context.Background()); err != nil || len(prs) != before {
			t.Fatalf("pull requests %d (want %d): %v", len(prs), before, err)
		}
		// A folder inside the output is fine.
		if errs, err := e.router.ValidateForm(e.ctx, e.request(userJane, ""), "new-note", bot.Values{"name": {"note-two"}, "dir": {"notes/team"}}); errs != nil || err != nil {
			t.Fatal(errs, err)
		}
	})

	t.Run("a template that escapes its output cannot be approved", func(t *testing.T) {
		out := e.reply(userAdmin, "template approve escape")
		if !strings.Contains(out, "cannot be approved") || !strings.Contains(out, `input.targetPath "../../outside" leaves the output folder`) {
			t.Fatalf("approve escape: %s", out)
		}
		if out := e.reply(userJane, "escape"); !strings.Contains(out, "`/plat escape` is a golden path waiting for an admin's approval") {
			t.Fatalf("unapproved template ran: %s", out)
		}
		if out := e.reply(userAdmin, "templates"); !strings.Contains(out, "🛑 `escape` cannot be approved") {
			t.Fatalf("templates: %s", out)
		}
	})

	t.Run("unapproved templates do not run", func(t *testing.T) {
		if out := e.reply(userJane, "escape --dry-run"); !strings.Contains(out, "`/plat escape` is a golden path waiting for an admin's approval") {
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
