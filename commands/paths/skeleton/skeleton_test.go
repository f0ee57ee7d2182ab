package skeleton

import (
	"context"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/paths/templating"
)

var engines = Engines{Std: templating.New(templating.Options{}), Cookiecutter: templating.New(templating.Options{Cookiecutter: true})}

func render(t *testing.T, files map[string][]byte, o Options) (map[string]string, error) {
	t.Helper()
	out := map[string]string{}
	_, err := engines.Render(context.Background(), files, "./skel", o, out)
	return out, err
}

func TestRenderIsBackstageText(t *testing.T) {
	files := map[string][]byte{
		"skel/catalog-info.yaml": []byte(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${{ values.name | dump }}
  {%- if values.description %}
  description: ${{ values.description | dump }}
  {%- endif %}
spec:
  owner: ${{ values.owner }}
`),
		"skel/${{ values.name }}.md":               []byte("# ${{ values.name }} & {{ not a variable }}\n"),
		"skel/{% if values.ci %}ci.yml{% endif %}": []byte("on: push\n"),
		"skel/${{ values.none }}/dropped.txt":      []byte("x"),
		"skel/logo.png":                            append([]byte("\x89PNG\r\n\x1a\n\x00\x00${{ values.name }}"), 0xff, 0xfe),
	}
	out, err := render(t, files, Options{Values: map[string]any{"name": `say "hi" & go`, "owner": "group:default/team-a"}, Target: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"svc/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: \"say \\\"hi\\\" & go\"\nspec:\n  owner: group:default/team-a\n",
		`svc/say "hi" & go.md`:  "# say \"hi\" & go & {{ not a variable }}\n",
		"svc/logo.png":          string(files["skel/logo.png"]),
	}
	if len(out) != len(want) {
		t.Errorf("files: %q", keys(out))
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s =\n%q\nwant\n%q", k, out[k], v)
		}
	}
}

func TestRenderCopyOptionsAndCollisions(t *testing.T) {
	files := map[string][]byte{
		"skel/${{ values.name }}/raw.txt": []byte("${{ values.name }}"),
		"skel/docs/${{ values.name }}.md": []byte("${{ values.name }}"),
		"skel/plain.txt":                  []byte("${{ values.name }}"),
	}
	v := map[string]any{"name": "svc"}
	out, err := render(t, files, Options{Values: v, CopyWithoutTemplating: []string{"**/raw.txt"}, CopyWithoutRender: nil})
	if err != nil {
		t.Fatal(err)
	}
	if out["svc/raw.txt"] != "${{ values.name }}" || out["docs/svc.md"] != "svc" || out["plain.txt"] != "svc" {
		t.Errorf("copyWithoutTemplating: %q", out)
	}
	out, err = render(t, files, Options{Values: v, CopyWithoutRender: []string{"docs"}})
	if err != nil {
		t.Fatal(err)
	}
	if out["docs/${{ values.name }}.md"] != "${{ values.name }}" {
		t.Errorf("copyWithoutRender keeps name and contents: %q", out)
	}
	njk := map[string][]byte{"skel/a.txt.njk": []byte("${{ values.name }}"), "skel/b.txt": []byte("${{ values.name }}")}
	out, err = render(t, njk, Options{Values: v, Extension: ".njk"})
	if err != nil {
		t.Fatal(err)
	}
	if out["a.txt"] != "svc" || out["b.txt"] != "${{ values.name }}" {
		t.Errorf("templateFileExtension: %q", out)
	}
	cc := map[string][]byte{"skel/{{ cookiecutter.name }}.txt": []byte("{{ cookiecutter.name | jsonify }}")}
	out, err = render(t, cc, Options{Values: v, Cookiecutter: true})
	if err != nil {
		t.Fatal(err)
	}
	if out["svc.txt"] != `"svc"` {
		t.Errorf("cookiecutter: %q", out)
	}
	// A file already in the output stays unless replace is set.
	existing := map[string]string{"plain.txt": "earlier"}
	if _, err := engines.Render(context.Background(), files, "skel", Options{Values: v}, existing); err != nil || existing["plain.txt"] != "earlier" {
		t.Errorf("without replace: %q, %v", existing["plain.txt"], err)
	}
	if _, err := engines.Render(context.Background(), files, "skel", Options{Values: v, Replace: true}, existing); err != nil || existing["plain.txt"] != "svc" {
		t.Errorf("with replace: %q, %v", existing["plain.txt"], err)
	}
}

func TestRenderConfinement(t *testing.T) {
	for _, c := range []struct {
		files  map[string][]byte
		target string
		values map[string]any
	}{
		{map[string][]byte{"skel/${{ values.name }}/x": []byte("x")}, "", map[string]any{"name": ".."}},
		{map[string][]byte{"skel/${{ values.name }}": []byte("x")}, "", map[string]any{"name": "../../etc/passwd"}},
		{map[string][]byte{"skel/x": []byte("x")}, "../outside", nil},
		{map[string][]byte{"skel/${{ values.name }}/config": []byte("x")}, "", map[string]any{"name": ".git"}},
		{map[string][]byte{"skel/x.txt": []byte("{% if %}")}, "", nil},
	} {
		if out, err := render(t, c.files, Options{Values: c.values, Target: c.target}); err == nil {
			t.Errorf("rendered %v to %v", c.files, out)
		}
	}
}

func TestFlowValueCannotAddYAMLKeys(t *testing.T) {
	files := map[string][]byte{"skel/claim.yaml": []byte("meta: {name: ${{ values.name }}, d: ${{ values.desc }}}\nnote: ${{ values.note }}\n")}
	for _, c := range []struct {
		desc, note, want string
	}{
		{"x, owner: group:evil", "ok", `adds the key "meta.owner"`},
		{"plain", "a: b", "makes the YAML invalid"},
		{"it's fine", "ok", ""}, // a quote inside a flow scalar changes nothing
	} {
		_, err := render(t, files, Options{Values: map[string]any{"name": "ab", "desc": c.desc, "note": c.note}})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.desc, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q/%q: %v, want %q", c.desc, c.note, err, c.want)
		}
	}
}

func TestMultiLineValueCannotAddYAMLKeys(t *testing.T) {
	files := map[string][]byte{"skel/claim.yaml": []byte("metadata:\n  name: ${{ values.name }}\n  note: ${{ values.note | dump }}\n")}
	evil := "x\nspec:\n  injected: true"
	_, err := render(t, files, Options{Values: map[string]any{"name": evil, "note": "a"}})
	if err == nil || !strings.Contains(err.Error(), "dump") || !strings.Contains(err.Error(), "claim.yaml") {
		t.Fatalf("unquoted multi-line value: %v, want a refusal naming the file and | dump", err)
	}
	out, err := render(t, files, Options{Values: map[string]any{"name": "svc", "note": evil}})
	if err != nil {
		t.Fatalf("dumped multi-line value: %v", err)
	}
	if !strings.Contains(out["claim.yaml"], `note: "x\nspec:\n  injected: true"`) {
		t.Errorf("dump output: %q", out["claim.yaml"])
	}
}

func TestIsBinary(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", false}, {"plain text\n", false}, {"héllo wörld ✓ 🚀\n", false}, {"\xef\xbb\xbfbom", false},
		{"%PDF-1.4", true}, {"a\x00b", true}, {strings.Repeat("\x01\x02\x03", 20), true},
		{"\xff\xfeU\x00T\x00F\x00", false},
	} {
		if got := IsBinary([]byte(c.in)); got != c.want {
			t.Errorf("IsBinary(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pat, name string
		want      bool
	}{
		{"**/*.png", "a/b/c.png", true}, {"**/*.png", "c.png", true}, {"*.png", "a/c.png", false},
		{"docs/**", "docs/a/b", true}, {".github/workflows/*", ".github/workflows/ci.yml", true},
	} {
		if got := Glob(c.pat, c.name); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.pat, c.name, got)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
