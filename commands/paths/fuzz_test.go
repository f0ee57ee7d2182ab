package paths

import (
	"errors"
	"os"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/template"
)

// FuzzLoadTemplate feeds an arbitrary template.yaml (next to a small
// skeleton) through template.Load, the pre-approval check of its steps and
// their ${{ }} expressions, the form it renders, and the validation and
// coercion of a submission that gives every parameter the same arbitrary
// value. Nothing may panic; a template that loads has a name usable as a
// command (lower-case DNS label), an owner, and a hash of exactly its
// files; a template that does not load says why.
func FuzzLoadTemplate(f *testing.F) {
	for _, p := range []string{
		"../../examples/templates/new-db/template.yaml",
		"testdata/backstage/docs-template/template.yaml",
		"testdata/backstage/pull-request/template.yaml",
		"testdata/backstage/springboot-grpc-template/template.yaml",
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "orders-db")
	}
	f.Add([]byte("apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec:\n  owner: platform\n  parameters: {properties: {n: {type: integer, minimum: 1}}}\n  steps:\n    - id: a\n      action: catalog:register\n      if: ${{ parameters.n > 1 and not (steps.b.output.x | length) }}\n      input: {path: '${{ parameters.n }}-${{ user.ref | lower }}'}\n"), "12")
	f.Add([]byte("kind: Template\nmetadata: {name: UPPER}\nspec: {parameters: [1, {properties: []}], steps: [{input: '${{ unclosed'}]}\n"), "")
	actions := testActions()
	f.Fuzz(func(t *testing.T, manifest []byte, value string) {
		fsys := fstest.MapFS{
			"tpl/template.yaml":                   {Data: manifest},
			"tpl/skeleton/catalog-info.yaml":      {Data: []byte("kind: Component\nmetadata: {name: ${{ values.name }}}\n")},
			"tpl/skeleton/docs/index.md":          {Data: []byte("# ${{ values.name }}\n")},
			"tpl/template/catalog-info.yaml":      {Data: []byte("kind: Component\n")},
			"tpl/content/README.md":               {Data: []byte("readme\n")},
			"tpl/skeleton/database/database.yaml": {Data: []byte("name: ${{ values.name }}\n")},
		}
		tpl, err := template.Load(fsys, "tpl/template.yaml", "")
		if err != nil {
			var te *template.Error
			if errors.As(err, &te) && len(te.Problems) == 0 {
				t.Fatalf("template.Error without problems: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !forms.IsDNSLabel(tpl.Name) {
			t.Fatalf("template loaded with name %q", tpl.Name)
		}
		if tpl.Owner == "" {
			t.Fatal("template loaded without an owner")
		}
		if tpl.Hash != template.HashFiles(tpl.Files) || string(tpl.Files[tpl.ManifestPath]) != string(manifest) {
			t.Fatalf("hash %s does not cover the files %v", tpl.Hash, len(tpl.Files))
		}
		if probs := template.Check(tpl, actions); len(probs) > 0 {
			// Not approvable, so it never becomes a form; its problems
			// must say something.
			for _, p := range probs {
				if p == "" {
					t.Fatal("empty problem")
				}
			}
			return
		}
		form := tpl.Form(jane, tpl.Name)
		if form == nil {
			t.Fatal("no form")
		}
		seen := map[string]bool{}
		for _, fd := range form.Fields {
			if seen[fd.ID] {
				t.Fatalf("form has field %q twice", fd.ID)
			}
			seen[fd.ID] = true
		}
		v := bot.Values{}
		for _, p := range tpl.Pages.Properties() {
			v[p.Name] = []string{value}
		}
		errs := tpl.Pages.Validate(v)
		for k, msg := range errs {
			if msg == "" {
				t.Fatalf("field %s has an empty error", k)
			}
		}
		params := tpl.Pages.Coerce(v)
		tpl.Pages.Retype(params)
	})
}
