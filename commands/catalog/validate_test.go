package catalog

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// brokenFile has one problem per document, between valid documents that
// must still load. Line numbers in want refer to this text.
const brokenFile = `# line 1
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: good-one
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: bad name!
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: no-owner
spec:
  type: service
  lifecycle: production
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken-yaml
  tags: [unclosed
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: Environment
metadata:
  name: prod
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: bad-namespace
  namespace: Team_A
  tags:
    - ok
    - Not-OK
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: v1
kind: API
metadata:
  name: no-definition
spec:
  type: openapi
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: no-children
spec:
  type: team
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: nowhere
spec:
  type: file
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: no-steps
spec:
  type: service
  parameters: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: tags-not-a-list
  tags: go
spec:
  type: service
  lifecycle: production
  owner: team-a
---
- just
- a list
---
apiVersion: backstage.io/v1alpha1
kind: component
metadata:
  name: lower-kind
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: dangling-refs
spec:
  type: database
  owner: group:nobody
  system: ghost-system
  dependsOn:
    - component:good-one
    - resource:missing-db
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: good-one
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  children: []
`

func TestValidationProblemsCarryFileAndLine(t *testing.T) {
	dir := writeFiles(t, map[string]string{"catalog.yaml": brokenFile})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	ps := c.Errors()

	want := []struct {
		sev  string
		line int
		text string
	}{
		{SeverityError, 14, `metadata.name "bad name!" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.]`},
		{SeverityError, 24, "spec.owner is required for a Component"},
		{SeverityError, 32, "invalid YAML"},
		{SeverityError, 36, `unknown kind "Environment"`},
		{SeverityError, 45, `metadata.namespace "Team_A" is not valid`},
		{SeverityError, 48, `tag "Not-OK" is not valid`},
		{SeverityError, 54, `apiVersion "v1" is not one of backstage.io/v1alpha1, backstage.io/v1beta1 for a API`},
		{SeverityError, 58, "spec.definition is required for an API"},
		{SeverityError, 67, "spec.children is required for a Group (use [] for none)"},
		{SeverityError, 74, "spec.target or spec.targets is required for a Location"},
		{SeverityError, 81, "spec.steps is required for a Template"},
		{SeverityError, 89, "cannot unmarshal !!str `go` into []string"},
		{SeverityError, 95, "document is a list, not an entity"},
		{SeverityError, 99, `kind "component" must be spelled "Component"`},
		{SeverityError, 119, "component:default/good-one is already defined at "},
		{SeverityWarning, 113, `spec.owner "group:nobody" does not resolve: no entity group:default/nobody in the catalog`},
		{SeverityWarning, 114, `spec.system "ghost-system" does not resolve`},
		{SeverityWarning, 117, `spec.dependsOn "resource:missing-db" does not resolve`},
	}
	for _, w := range want {
		found := false
		for _, p := range ps {
			if p.Severity == w.sev && p.Line == w.line && strings.Contains(p.Message, w.text) {
				found = true
				if !strings.HasSuffix(p.File, "catalog.yaml") || p.Location != "file:"+dir {
					t.Errorf("problem %q has file %q location %q", p.Message, p.File, p.Location)
				}
			}
		}
		if !found {
			t.Errorf("no %s at line %d containing %q; got:\n%s", w.sev, w.line, w.text, problemsText(ps))
		}
	}
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ps), len(want), problemsText(ps))
	}
	// Errors come first, then warnings.
	if ps[0].Severity != SeverityError || ps[len(ps)-1].Severity != SeverityWarning {
		t.Errorf("problems not ordered errors first")
	}

	// A broken document never hides the rest: the valid ones load, the
	// first good-one wins, and dangling refs only warn.
	for _, ref := range []string{"component:default/good-one", "resource:default/dangling-refs", "group:default/team-a"} {
		if _, ok := c.Get(ref); !ok {
			t.Errorf("%s did not load", ref)
		}
	}
	if e, _ := c.Get("good-one"); e.Source.Line != 2 {
		t.Errorf("good-one source line %d, want the first definition (2)", e.Source.Line)
	}
	for _, ref := range []string{"component:default/no-owner", "api:default/no-definition", "group:default/no-children", "location:default/nowhere", "template:default/no-steps"} {
		if _, ok := c.Get(ref); ok {
			t.Errorf("invalid %s was accepted", ref)
		}
	}
	if c.Len() != 3 {
		t.Errorf("%d entities loaded, want 3", c.Len())
	}
}

func TestNameRules(t *testing.T) {
	for name, ok := range map[string]bool{
		"a": true, "checkout-service": true, "a.b_c-d": true, "A1": true, strings.Repeat("a", 63): true,
		"": false, "-a": false, "a-": false, "a b": false, "a/b": false, strings.Repeat("a", 64): false, "ü": false,
	} {
		if ValidName(name) != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
	for ns, ok := range map[string]bool{"default": true, "team-a": true, "a--b": true, "a-": false, "Team": false, "a_b": false, "-a": false} {
		if ValidNamespace(ns) != ok {
			t.Errorf("ValidNamespace(%q) = %v", ns, !ok)
		}
	}
	for tag, ok := range map[string]bool{"go": true, "c++": true, "c#": true, "k8s:prod": true, "tier-1": true, "Go": false, "go 1.15": false, "a--b": false, "": false} {
		if ValidTag(tag) != ok {
			t.Errorf("ValidTag(%q) = %v", tag, !ok)
		}
	}
	for key, ok := range map[string]bool{"backstage.io/kubernetes-namespace": true, "slack.com/user-id": true, "simple": true, "Bad_Prefix/x": false, "a/b/c": false} {
		if validKey(key) != ok {
			t.Errorf("validKey(%q) = %v", key, !ok)
		}
	}
}

func TestSplitDocumentsLines(t *testing.T) {
	docs := splitDocuments([]byte("\xef\xbb\xbf# c\n---\na: 1\n--- # two\nb: [\n...\n---\nc: |\n  ---not a marker\n  x\n---\n# only a comment\n"))
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3: %+v", len(docs), docs)
	}
	if docs[0].root == nil || docs[0].line != 3 {
		t.Errorf("doc 0 = %+v", docs[0])
	}
	if docs[1].err == nil || !strings.Contains(docs[1].err.Error(), "line") {
		t.Errorf("doc 1 should be a syntax error with a file line: %+v", docs[1])
	}
	if docs[2].root == nil || docs[2].line != 8 {
		t.Errorf("doc 2 = %+v", docs[2])
	}
	if _, v := field(docs[2].root, "c"); v == nil || !strings.Contains(v.Value, "---not a marker") {
		t.Errorf("block scalar lost its text: %+v", v)
	}
}

// TestMatchersAreTheirExpressions holds the byte-by-byte checks of
// validate.go to the regular expressions of Backstage they replace: every
// string of up to four characters over an alphabet with a member of each
// character class, and random longer ones.
func TestMatchersAreTheirExpressions(t *testing.T) {
	checks := []struct {
		expr  string
		match func(string) bool
	}{
		{`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`, matchName},
		{`^[a-z0-9]+(?:-+[a-z0-9]+)*$`, matchDNSLabel},
		{`^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`, matchTag},
		{`^[a-zA-Z][a-z0-9A-Z]*$`, matchKind},
		{`^[a-z0-9A-Z]+$`, matchVersion},
		{`^[0-9]*$`, allDigits},
		{`^[A-Za-z][A-Za-z0-9+.-]*:`, func(s string) bool { return urlScheme(s) != "" }},
	}
	alphabet := []string{"a", "Z", "0", "9", "-", "_", ".", ":", "+", "#", "/", " ", "\n", "é", "\x00", "~"}
	var inputs []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 4)
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 5 + rnd.IntN(60) {
			b.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for _, c := range checks {
		re := regexp.MustCompile(c.expr)
		bad := 0
		for _, in := range inputs {
			if got, want := c.match(in), re.MatchString(in); got != want && bad < 5 {
				bad++
				t.Errorf("%s on %q = %v, the expression says %v", c.expr, in, got, want)
			}
		}
	}
	// The scheme is the whole match.
	for _, in := range []string{"https://x", "a+b.c-d:rest:more", "mailto:x"} {
		if got, want := urlScheme(in), regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`).FindString(in); got != want {
			t.Errorf("urlScheme(%q) = %q, want %q", in, got, want)
		}
	}
	// isString's shortcut agrees with the expression it skips.
	for _, in := range append(inputs, "~", "null", "Null", "NULL", "nil", "true", "True", "FALSE", "fal", "0o17", "0x1F", "-12", "+.inf", ".NaN", "1.5e3", "-.5", "1.", "tea", "no", "yes", "y", "n", "on") {
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: in}
		if got, want := isString(n), !yaml12CoreNonString.MatchString(in); got != want {
			t.Errorf("isString(%q) = %v, want %v", in, got, want)
		}
	}
}
