package paths

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/template"
)

// Backstage's own sample templates (testdata/backstage, see its NOTICE)
// render what Backstage renders for the same values: every file the
// file-producing steps write, byte for byte, and every step's rendered
// input up to the first step whose outputs come from a side effect. The
// expected outputs were written once with Backstage's scaffolder semantics
// on Node's nunjucks (docs/bench/nunjucks/render.js). Templates that use an
// action platbot does not support are refused, naming the step and line.
func TestBackstageSampleTemplatesRenderAsBackstage(t *testing.T) {
	root := filepath.Join("testdata", "backstage")
	dirs, err := os.ReadDir(filepath.Join(root, "templates"))
	if err != nil {
		t.Fatal(err)
	}
	// The pull-request sample proposes a change to acme/monorepo: its
	// owning team owns that repository in the catalog, as the publish rule
	// wants.
	monorepo := catalogtest.Component("monorepo", "group:backstage/techdocs-core")
	monorepo.Metadata.Annotations = map[string]string{catalog.AnnotationGitHubSlug: "acme/monorepo"}
	r, err := NewRenderer(Config{}, RenderDeps{Catalog: newCatalog(t, monorepo)})
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, d := range dirs {
		name := d.Name()
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, "templates", name)
			golden := filepath.Join(root, "golden", name)
			tpl, probs, err := r.FindTemplate(context.Background(), filepath.Join(dir, "template.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if want, err := os.ReadFile(filepath.Join(golden, "UNSUPPORTED")); err == nil {
				for _, line := range strings.Split(string(want), "\n") {
					f := strings.Split(line, "\t")
					if strings.HasPrefix(line, "#") || len(f) != 3 {
						continue
					}
					msg := "step " + f[0] + " (" + f[2] + ") uses action " + f[1] + ", which platbot does not support"
					if !strings.Contains(strings.Join(probs, "\n"), msg) {
						t.Errorf("problems lack %q:\n%s", msg, strings.Join(probs, "\n"))
					}
				}
				return
			}
			if len(probs) > 0 {
				t.Fatalf("template problems:\n%s", strings.Join(probs, "\n"))
			}
			var values struct {
				Parameters map[string]any `yaml:"parameters"`
				User       struct {
					Ref string `yaml:"ref"`
				} `yaml:"user"`
			}
			raw, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(raw, &values); err != nil {
				t.Fatal(err)
			}
			out, err := r.RenderTemplate(context.Background(), tpl, values.Parameters, values.User.Ref)
			if err != nil {
				t.Fatal(err)
			}
			ran++
			compareFiles(t, golden, out.Files)
			compareModes(t, golden, out.Files, out.Executable)
			compareSteps(t, golden, tpl, out.Steps)
		})
	}
	if ran == 0 {
		t.Error("no sample template rendered")
	}
}

// compareFiles compares the rendered files with the golden folder.
func compareFiles(t *testing.T, golden string, got map[string]string) {
	t.Helper()
	want := map[string]string{}
	err := filepath.WalkDir(golden, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(golden, p)
		rel = filepath.ToSlash(rel)
		if rel == "steps.json" {
			return nil
		}
		b, err := os.ReadFile(p)
		want[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		w, inWant := want[n]
		g, inGot := got[n]
		switch {
		case !inGot:
			t.Errorf("%s: Backstage writes it, platbot does not", n)
		case !inWant:
			t.Errorf("%s: platbot writes it, Backstage does not", n)
		case w != g:
			t.Errorf("%s differs from Backstage's output:\n--- Backstage\n%s\n--- platbot\n%s", n, w, g)
		}
	}
}

// compareModes checks that exactly the files Backstage writes executable
// (with their source's mode) are executable here.
func compareModes(t *testing.T, golden string, files map[string]string, exec map[string]bool) {
	t.Helper()
	for n := range files {
		st, err := os.Stat(filepath.Join(golden, filepath.FromSlash(n)))
		if err != nil {
			continue // reported by compareFiles
		}
		if want := st.Mode()&0o111 != 0; exec[n] != want {
			t.Errorf("%s: executable %v, Backstage %v", n, exec[n], want)
		}
	}
}

// compareSteps compares each step's rendered input with Backstage's, up to
// the first step that reads the outputs of a step with side effects.
func compareSteps(t *testing.T, golden string, tpl *template.Template, got []PlannedStep) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(golden, "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Steps []struct {
			ID      string         `json:"id"`
			Skipped bool           `json:"skipped"`
			Input   map[string]any `json:"input"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	byID := map[string]PlannedStep{}
	for _, s := range got {
		byID[s.ID] = s
	}
	sideEffects := map[string]bool{}
	for _, w := range want.Steps {
		var spec template.StepSpec
		for _, s := range tpl.Steps {
			if s.ID == w.ID {
				spec = s
			}
		}
		reads := false
		for id := range sideEffects {
			b, _ := json.Marshal(spec.Input)
			reads = reads || strings.Contains(string(b), "steps."+id+".") || strings.Contains(string(b), "steps['"+id+"']")
		}
		if reads {
			continue
		}
		if strings.HasPrefix(spec.Action, "publish:") || spec.Action == "catalog:register" {
			sideEffects[w.ID] = true
		}
		g, ok := byID[w.ID]
		if !ok {
			t.Errorf("step %s: not planned", w.ID)
			continue
		}
		if g.Skipped != w.Skipped {
			t.Errorf("step %s: skipped %v, Backstage %v", w.ID, g.Skipped, w.Skipped)
			continue
		}
		if !w.Skipped && !reflect.DeepEqual(jsonNormal(t, g.Input), jsonNormal(t, w.Input)) {
			gb, _ := json.MarshalIndent(g.Input, "", "  ")
			wb, _ := json.MarshalIndent(w.Input, "", "  ")
			t.Errorf("step %s input differs:\n--- Backstage\n%s\n--- platbot\n%s", w.ID, wb, gb)
		}
	}
}

func jsonNormal(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
