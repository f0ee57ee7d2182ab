package paths

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/template"
)

func formField(t *testing.T, f *bot.Form, id string) bot.Field {
	t.Helper()
	for _, fd := range f.Fields {
		if fd.ID == id {
			return fd
		}
	}
	t.Fatalf("the form has no field %s", id)
	return bot.Field{}
}

// The name is checked as it is typed (the shell asks again at once), not
// only when the whole form is submitted.
func TestNewDBNameFieldPattern(t *testing.T) {
	tpl, err := template.Load(os.DirFS("../../examples/templates"), "new-db/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	fd := formField(t, tpl.Form(jane, "new-db"), "name")
	if fd.Pattern != `[a-z0-9]([-a-z0-9]*[a-z0-9])?` || fd.MinLen != 3 || fd.MaxLen != 40 {
		t.Fatalf("name field: pattern %q, min %d, max %d", fd.Pattern, fd.MinLen, fd.MaxLen)
	}
	if !strings.Contains(fd.PatternHint, "lower-case letters, digits and '-'") {
		t.Fatalf("pattern hint %q", fd.PatternHint)
	}
	for _, good := range []string{"orders-db", "db2", "a1-b2-c3"} {
		if msg := fd.Check([]string{good}); msg != "" {
			t.Errorf("%q refused: %s", good, msg)
		}
	}
	for _, bad := range []string{"Orders_DB", "orders db", "-orders", "orders-", "orders\nkind: Secret", `orders"db`} {
		if msg := fd.Check([]string{bad}); msg != fd.PatternHint {
			t.Errorf("%q: %q, want the hint", bad, msg)
		}
	}
	if msg := fd.Check([]string{"ab"}); !strings.Contains(msg, "at least 3") {
		t.Errorf("too short: %q", msg)
	}
	if msg := fd.Check([]string{strings.Repeat("a", 41)}); !strings.Contains(msg, "at most 40") {
		t.Errorf("too long: %q", msg)
	}
}

// A parameter called name is what Backstage makes of it: any text (no
// platbot rule of its own); an EntityNamePicker gets Backstage's entity
// name rule at the field.
func TestNameFieldPattern(t *testing.T) {
	fsys := fstest.MapFS{"t/template.yaml": {Data: []byte(`apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: t}
spec:
  owner: group:default/platform
  parameters:
    - properties:
        name: {type: string, title: Name}
        component: {type: string, title: Component, ui:field: EntityNamePicker}
        note: {type: string, pattern: 'x'}
  steps:
    - id: a
      action: debug:log
`)}}
	tpl, err := template.Load(fsys, "t/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	f := tpl.Form(jane, "t")
	if name := formField(t, f, "name"); name.Pattern != "" || name.Check([]string{"My Project"}) != "" {
		t.Fatalf("name field %+v", name)
	}
	c := formField(t, f, "component")
	if c.Pattern != forms.EntityNamePattern || c.MaxLen != 63 || c.Check([]string{"orders_db.v2"}) != "" {
		t.Fatalf("component field %+v", c)
	}
	if msg := c.Check([]string{"-bad-"}); msg != forms.EntityNameHint {
		t.Errorf("-bad-: %q", msg)
	}
	note := formField(t, f, "note")
	if note.Check([]string{"a x b"}) != "" || note.Check([]string{"abc"}) == "" {
		t.Errorf("unanchored pattern as a field: %q", note.Pattern)
	}
}
