package catalog

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// oneFile is a GitHub repository holding a single catalog file; every
// other path is missing, as GetFile reports it.
type oneFile struct{ data []byte }

func (o oneFile) GetFile(_ context.Context, owner, repo, path, ref string) ([]byte, error) {
	if owner == "acme" && repo == "catalog" && path == "catalog-info.yaml" {
		return o.data, nil
	}
	return nil, fmt.Errorf("%s/%s/%s@%s: %w", owner, repo, path, ref, fs.ErrNotExist)
}

// FuzzCatalogFile loads an arbitrary catalog-info.yaml from a GitHub
// location through the real refresh: YAML decoding (multi-document, with
// the fallback that isolates a broken document), entity decoding and
// Backstage validation. Nothing may panic, every live entity must satisfy
// the documented naming rules (a kind platbot knows, spelled canonically;
// a valid name and namespace (empty means the default one); valid tags), and every problem must have a
// message and a line within the file.
func FuzzCatalogFile(f *testing.F) {
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-service\n  tags: [java, payments]\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments\n  providesApis: [payments-api]\n"))
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: payments}\nspec: {type: team, children: [], members: [jane]}\n---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jane, annotations: {platbot.dev/manager: user:default/ann}}\nspec: {memberOf: [payments]}\n"))
	f.Add([]byte("kind: Location\napiVersion: backstage.io/v1alpha1\nmetadata: {name: more}\nspec: {targets: [./teams/a.yaml, ../../escape.yaml, https://github.com/acme/other/blob/main/x.yaml]}\n"))
	f.Add([]byte("\xef\xbb\xbf# c\n---\na: 1\n--- # two\nb: [\n...\n---\nc: |\n  ---not a marker\n  x\n---\n# only a comment\n"))
	f.Add([]byte("kind: component\napiVersion: backstage.io/v1\nmetadata: {name: Bad_Name-, namespace: Upper, tags: [UPPER]}\nspec: []\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		cfg.Locations = []LocationConfig{{Type: LocationGitHub, Repo: "acme/catalog", Path: "catalog-info.yaml"}}
		c, err := New(cfg, WithLogger(quiet), WithGitHub(oneFile{data}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Refresh(context.Background()); err != nil {
			// A refresh fails only when no location could be read at all.
			t.Logf("refresh: %v", err)
		}
		for _, e := range c.List("") {
			if canonicalKind(e.Kind) != e.Kind {
				t.Fatalf("live entity of kind %q", e.Kind)
			}
			ns := e.Metadata.Namespace
			if !ValidName(e.Metadata.Name) || (ns != "" && !ValidNamespace(ns)) {
				t.Fatalf("live entity %q in namespace %q breaks the naming rules", e.Metadata.Name, e.Metadata.Namespace)
			}
			for _, tag := range e.Metadata.Tags {
				if !ValidTag(tag) {
					t.Fatalf("live entity %s has tag %q", e.Ref(), tag)
				}
			}
			if got, ok := c.Get(e.Ref()); !ok || got.Ref() != e.Ref() {
				t.Fatalf("live entity %s cannot be found by its ref", e.Ref())
			}
		}
		lines := yamlLines(data)
		for _, p := range c.Errors() {
			if p.Message == "" {
				t.Fatalf("problem without a message: %+v", p)
			}
			if p.Line < 0 || (p.File != "" && p.Line > lines) {
				t.Fatalf("problem %q at line %d of a %d-line file", p.String(), p.Line, lines)
			}
		}
	})
}

// yamlLines counts a file's lines as yaml.v3 does: LF, CR, CRLF, and the
// Unicode breaks NEL, LS and PS each end a line.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") +
		strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}

// TestSyntaxErrorLines pins the line of a syntax error in a later
// document: parser problems (reported 0-based by yaml.v3, at the construct
// they are in) and scanner problems (reported 1-based, where they are) both
// land on the right file line.
// The fuzz target found the scanner case one line too far, and a problem
// at the end of the input past the last line (regression-scanner-error-line
// and regression-error-at-end-of-input in testdata/fuzz/FuzzCatalogFile).
func TestSyntaxErrorLines(t *testing.T) {
	for _, c := range []struct {
		data string
		line int
	}{
		{"a: 1\n---\nb: 2\nc: &\n", 4},                   // scanner: anchor without a name
		{"a: 1\n---\nb: 2\nc: !<\n", 4},                  // scanner: tag URI
		{"a: 1\n---\nb:\n  - x\n c: d\n", 3},             // parser: expected key, in the mapping at "b:"
		{"a: 1\n---\nb: [1, 2\nc: 3\n", 3},               // parser: unclosed flow sequence
		{"000000\n---\n0000000000: 0\n0000: 0\n0: &", 5}, // the fuzzer's input, no final newline
		{"a: 1\n---\nb: 2\nc: {", 4},                     // parser, at the end of the input: its last line
		{"a: 1\n---\nb: 2\nc: {\n\n", 4},
	} {
		docs := splitDocuments([]byte(c.data))
		var got []int
		for _, d := range docs {
			if d.err != nil {
				got = append(got, errorLine(d.err.Error()))
			}
		}
		if len(got) != 1 || got[0] != c.line {
			t.Errorf("%q: syntax error lines %v, want [%d]", c.data, got, c.line)
		}
	}
}
