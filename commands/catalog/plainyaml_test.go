package catalog

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// samePlain checks that when parsePlain takes data, yaml.v3 parses it to
// the same documents: the same node trees, lines and columns included.
// It returns whether parsePlain took it.
func samePlain(t *testing.T, name string, data []byte) bool {
	t.Helper()
	data = normalizeBreaks(data)
	plain, ok := parsePlain(data, interner{})
	if !ok {
		return false
	}
	want := decodeDocuments(data)
	if len(plain) != len(want) {
		t.Errorf("%s: %d documents, yaml.v3 reads %d", name, len(plain), len(want))
		return true
	}
	for i := range want {
		if want[i].err != nil {
			t.Errorf("%s: document %d read, but yaml.v3 fails: %v", name, i, want[i].err)
			continue
		}
		if plain[i].line != want[i].line {
			t.Errorf("%s: document %d at line %d, yaml.v3 says %d", name, i, plain[i].line, want[i].line)
		}
		if diff := nodeDiff(plain[i].root, want[i].root); diff != "" {
			t.Errorf("%s: document %d: %s", name, i, diff)
		}
	}
	return true
}

// nodeDiff describes the first difference between two node trees.
func nodeDiff(got, want *yaml.Node) string {
	if got.Kind != want.Kind || got.Style != want.Style || got.Tag != want.Tag || got.Value != want.Value ||
		got.Line != want.Line || got.Column != want.Column || got.Anchor != want.Anchor || got.Alias != nil ||
		got.HeadComment != want.HeadComment || got.LineComment != want.LineComment || got.FootComment != want.FootComment ||
		len(got.Content) != len(want.Content) {
		return "node " + nodeString(got) + ", yaml.v3 reads " + nodeString(want)
	}
	for i := range got.Content {
		if d := nodeDiff(got.Content[i], want.Content[i]); d != "" {
			return d
		}
	}
	if (got.Content == nil) != (want.Content == nil) {
		return "content of " + nodeString(got) + " nil/empty differs"
	}
	return ""
}

func nodeString(n *yaml.Node) string {
	return fmt.Sprintf("%s %q @%d:%d style %d kind %d, %d children, comments %q %q %q",
		n.Tag, n.Value, n.Line, n.Column, n.Style, n.Kind, len(n.Content), n.HeadComment, n.LineComment, n.FootComment)
}

// TestParsePlainMatchesYAML compares parsePlain with yaml.v3 over every
// catalog file in the repository and a generated catalog, which it must
// read whole.
func TestParsePlainMatchesYAML(t *testing.T) {
	var files []string
	for _, root := range []string{"testdata", "../../examples"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	taken := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if samePlain(t, f, data) {
			taken++
		}
	}
	t.Logf("parsePlain read %d of %d repository files", taken, len(files))
	if taken == 0 {
		t.Error("parsePlain read none of the repository's catalog files")
	}
	gen, _ := filepath.Glob(filepath.Join(generate(t, 1000), "*.yaml"))
	for _, f := range gen {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !samePlain(t, f, data) {
			t.Errorf("%s: not read by parsePlain", f)
		}
	}
}

func TestParsePlainSubset(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		taken      bool
	}{
		{"mapping", "a: b\nc:\n  d: e\n  f: g h, i\nj: k\n", true},
		{"documents", "---\na: b\n---\n\n---\nc: d\n", true},
		{"spaces after the colon", "a:    b\nc: [  x ,y  ,  z ]\n", true},
		{"sequences", "a:\n  - b\n  -   c\n  - d: e\n    f: g\n  - [h]\ni:\n- j\n- k: l\n  m: n\no: p\n", true},
		{"urls and refs", "url: https://example.com/a/b:c\nref: component:default/x\ntarget: ./teams/a.yaml\n", true},
		{"scalars that resolve", "a: 1\nb: true\nc: ~\nd: 2024-01-02\ne: .inf\nf: 0x1F\n1: x\ntrue: y\n", true},
		{"blank lines", "a: b\n\n   \nc:\n\n  d: e\n", true},
		{"empty flow sequence", "a: []\nb: [ ]\n", true},
		{"compact sequence in an entry", "a:\n  - b:\n    - c\n    d: e\n  - f\n", true},
		{"deep", "a:\n" + strings.Repeat(" ", 201) + "b: c\n", false},
		{"empty value", "a:\nb: c\n", false},
		{"empty value at the end", "a: b\nc:\n", false},
		{"continuation line", "a: b\n  c\n", false},
		{"deeper key", "a: b\n  c: d\n", false},
		{"dedent to nowhere", "a:\n    b: c\n  d: e\n", false},
		{"sequence then key", "a:\n  - b\n  c: d\n", false},
		{"comment", "a: b # c\n", false},
		{"quotes", "a: \"b\"\n", false},
		{"anchor", "a: &x b\n", false},
		{"block scalar", "a: |\n  b\n", false},
		{"flow mapping", "a: {b: c}\n", false},
		{"nested flow", "a: [b, [c]]\n", false},
		{"multi-line flow", "a: [b,\n  c]\n", false},
		{"trailing comma", "a: [b, ]\n", false},
		{"colon in flow", "a: [b:c, component:default/x]\n", true},
		{"colon and space in flow", "a: [b: c]\n", false},
		{"indicators inside", "a: b'c\"d!e&f*g|h>i%j@k`l?m{n}o\\p\n", true},
		{"question mark in flow", "a: [b?c]\n", false},
		{"indicator first", "a: @b\n", false},
		{"quoted", "a: 'b'\n", false},
		{"mapping value in a value", "a: b: c\n", false},
		{"tab", "a:\tb\n", false},
		{"trailing space", "a: b \n", false},
		{"non-ASCII", "a: Zürich\n", false},
		{"document end", "a: b\n...\n", false},
		{"marker with content", "--- a\n", false},
		{"root sequence", "- a\n", false},
		{"root scalar", "a\n", false},
		{"indented root", "  a: b\n", false},
		{"merge key", "a:\n  <<: b\n", false},
		{"nested sequence", "a:\n  - - b\n", false},
		{"empty entry", "a:\n  -\n", false},
		{"key with spaces", "a b: c\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := samePlain(t, tc.name, []byte(tc.text)); got != tc.taken {
				t.Errorf("parsePlain took it = %v, want %v", got, tc.taken)
			}
		})
	}
}

// FuzzParsePlain holds parsePlain to yaml.v3 on arbitrary input: whatever
// it reads, yaml.v3 reads the same way.
func FuzzParsePlain(f *testing.F) {
	for _, s := range []string{
		"a: b\nc:\n  d: [e, f]\n  g:\n  - h\n  - i: j\n    k: l\n",
		"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  links:\n    - url: https://x/y\n      title: Runbook\nspec:\n  owner: team-1\n",
		"a: 1\nb: true\nc: 2024-01-02\n",
		"a:\n- b\n- c\nd: e\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		samePlain(t, "input", data)
	})
}
