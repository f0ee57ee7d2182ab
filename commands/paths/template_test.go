package paths

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/template"
)

var jane = &catalog.Identity{
	UserRef: "user:default/jane", Name: "Jane",
	DirectGroups: []string{"group:default/payments"},
	Groups:       []string{"group:default/payments", "group:default/engineering"},
}

// Backstage's own sample templates: their parameter sections must work
// unchanged (testdata/backstage, Apache-2.0, see NOTICE.md there).
func TestBackstageTemplatesParameters(t *testing.T) {
	fsys := os.DirFS("testdata/backstage")
	for _, c := range []struct {
		dir, name string
		fields    []string
		kinds     map[string]bot.FieldKind
		required  []string
	}{
		// RepoUrlPicker is asked as its owner and repository.
		{"docs-template", "docs-template", []string{"name", "description", "owner", "repoUrl.owner", "repoUrl.repo"},
			map[string]bot.FieldKind{"owner": bot.FieldSelect, "name": bot.FieldText, "repoUrl.repo": bot.FieldText}, []string{"name", "description", "repoUrl.owner", "repoUrl.repo"}},
		{"pull-request", "pull-request", []string{"name", "description", "targetPath", "repoUrl.owner", "repoUrl.repo"},
			map[string]bot.FieldKind{"repoUrl.repo": bot.FieldText}, []string{"name", "repoUrl.owner", "repoUrl.repo"}},
		{"springboot-grpc-template", "springboot-template", []string{"component_id", "java_package_name", "description", "owner", "repoUrl.owner", "repoUrl.repo"},
			map[string]bot.FieldKind{"owner": bot.FieldSelect}, []string{"component_id", "owner", "java_package_name", "repoUrl.owner", "repoUrl.repo"}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			tpl, err := template.Load(fsys, c.dir+"/template.yaml", "")
			if err != nil {
				t.Fatal(err)
			}
			if tpl.Name != c.name || tpl.Owner == "" || tpl.Hash == "" {
				t.Fatalf("template %+v", tpl)
			}
			f := tpl.Form(jane, tpl.Name)
			var ids []string
			for _, fd := range f.Fields {
				ids = append(ids, fd.ID)
			}
			if strings.Join(ids, ",") != strings.Join(c.fields, ",") {
				t.Fatalf("fields %v, want %v", ids, c.fields)
			}
			for id, k := range c.kinds {
				if got := f.Field(id).Kind; got != k {
					t.Errorf("%s is %s, want %s", id, got, k)
				}
			}
			for _, r := range c.required {
				if !f.Field(r).Required {
					t.Errorf("%s should be required", r)
				}
			}
			if o := f.Field("owner"); o != nil && o.Default != "group:default/payments" {
				t.Errorf("owner defaults to %q, want the user's team", o.Default)
			}
			// The skeleton was read along with the template.
			if len(tpl.Files) < 2 {
				t.Errorf("files %v", tpl.Files)
			}
			// Every action they use is one platbot has (the pull-request
			// template's remote fetch:plain aside: it needs GitHub access).
			probs := template.Check(tpl, testActions())
			if c.dir != "pull-request" && len(probs) > 0 {
				t.Errorf("problems %q", probs)
			}
		})
	}
}

func testActions() map[string]actions.Action {
	return actions.New(actions.Deps{})
}

func TestNewDBTemplate(t *testing.T) {
	tpl, err := template.Load(os.DirFS("../../examples/templates"), "new-db/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if probs := template.Check(tpl, testActions()); len(probs) > 0 {
		t.Fatalf("new-db has problems: %v", probs)
	}
	if tpl.Owner != "group:default/platform" {
		t.Fatalf("owner %s", tpl.Owner)
	}
	f := tpl.Form(jane, "new-db")
	want := map[string]bot.FieldKind{
		"name": bot.FieldText, "owner": bot.FieldSelect, "size": bot.FieldSelect, "storageGB": bot.FieldNumber,
		"highAvailability": bot.FieldBool, "environments": bot.FieldMultiSelect, "system": bot.FieldExternal, "dependencyOf": bot.FieldExternal,
	}
	if len(f.Fields) != len(want) {
		t.Fatalf("fields %+v", f.Fields)
	}
	for id, k := range want {
		fd := f.Field(id)
		if fd == nil || fd.Kind != k {
			t.Fatalf("%s: %+v", id, fd)
		}
	}
	if sg := f.Field("storageGB"); *sg.Min != 10 || *sg.Max != 1000 || !sg.Integer || sg.Default != "20" {
		t.Errorf("storageGB %+v", sg)
	}
	// Only jane's own team: not engineering, the department above it.
	if o := f.Field("owner"); o.Default != "group:default/payments" || len(o.Options) != 1 || o.Options[0].Label != "payments" {
		t.Errorf("owner %+v", o)
	}
	if e := f.Field("environments"); e.Default != "dev" || len(e.Options) != 3 || e.Options[2].Label != "Production" {
		t.Errorf("environments %+v", e)
	}
	if len([]rune(f.Title)) > forms.MaxTitle {
		t.Errorf("title %q too long for Slack", f.Title)
	}
	// Every skeleton file is part of the approved version.
	for _, n := range []string{"template.yaml", "skeleton/environment/postgres-instance.yaml", "skeleton/database/migrations/0001_init.sql"} {
		if _, ok := tpl.Files[n]; !ok {
			t.Errorf("%s missing from the version", n)
		}
	}
}

func TestTemplateProblems(t *testing.T) {
	fsys := fstest.MapFS{"t/template.yaml": {Data: []byte(`apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: bad-one}
spec:
  owner: team-a
  parameters:
    properties:
      token: {type: string, ui:widget: password}
      name: {type: string}
  steps:
    - id: a
      action: fetch:template
      input: {url: ../../etc}
    - id: b
      action: fetch:template
      input:
        url: ./skel
        values: {x: "${{ parameters.nope }}", y: "${{ steps.c.output.z }}"}
    - id: c
      action: fetch:cookiecutter
`)}, "t/skel/a.txt": {Data: []byte("a")},
		"t/skel/docs/index.md":        {Data: []byte("# Title\n\n{% for x in values.items %}\n- ${{ x }}\n")},
		"t/skel/${{ values.name | }}": {Data: []byte("x")},
		"t/skel/logo.png":             {Data: []byte("\x89PNG\r\n\x1a\n\x00{% if %}")}}
	// A password parameter is a secret field now (never stored raw).
	tpl, err := template.Load(fsys, "t/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(template.Check(tpl, testActions()), "\n")
	for _, want := range []string{"leaves the template's folder", "parameters.nope }} names no parameter", "steps.c.output.z }} names no earlier step", "step c (template.yaml:20) uses action fetch:cookiecutter, which platbot does not support",
		// Skeleton files are parsed before approval: errors name file and line.
		"step b (template.yaml:15): skel/docs/index.md:3: {% for %} is never closed", "step b (template.yaml:15): file name skel/${{ values.name | }}"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q:\n%s", want, probs)
		}
	}
	if strings.Contains(probs, "logo.png") {
		t.Errorf("a binary file was parsed as a template:\n%s", probs)
	}
}

// A syntax or filter error in a step's input is named with the line of the
// text in the template file, not the step's.
func TestInputErrorNamesItsLine(t *testing.T) {
	fsys := fstest.MapFS{"t/template.yaml": {Data: []byte(`apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: lines}
spec:
  owner: group:default/platform
  parameters:
    - properties: {name: {type: string}}
  steps:
    - id: log
      action: debug:log
      input:
        message: fine ${{ parameters.name }}
        listWorkspace: ${{ parameters.name | nosuch }}
`)}}
	tpl, err := template.Load(fsys, "t/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(template.Check(tpl, testActions()), "\n")
	if !strings.Contains(probs, "step log (template.yaml:13) input: filter not found: nosuch") {
		t.Fatalf("problems:\n%s", probs)
	}
	_, err = template.Load(fstest.MapFS{"t/template.yaml": {Data: []byte("apiVersion: x\nkind: Template\nmetadata: {name: x\n")}}, "t/template.yaml", "")
	if err == nil || !strings.HasPrefix(err.Error(), "t/template.yaml:") || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("YAML error: %v", err)
	}
}
