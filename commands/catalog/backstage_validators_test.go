package catalog

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The test vectors Backstage publishes for its entity validators
// (github.com/backstage/backstage, files
// packages/catalog-model/src/validation/KubernetesValidatorFunctions.test.ts
// and CommonValidatorFunctions.test.ts, Apache License 2.0, copyright The
// Backstage Authors), transcribed value for value.
//
// Six of them hold a run of dashes inside a DNS label ("a--b" as a
// namespace, DNS label or subdomain, "a--b.c/" as an apiVersion, label or
// annotation key prefix). They were published as refused until
// catalog-model 1.3.0 changed isValidDnsLabel's pattern from
// /^[a-z0-9]+(\-[a-z0-9]+)*$/ to /^[a-z0-9]+(?:\-+[a-z0-9]+)*$/ to accept
// IDN A-labels such as xn--bcher-kva; they are kept here with what the
// validators return since then: accepted. Every vector's boolean was
// checked against the validators of the published catalog-model 1.10.3. Each vector is checked twice where it can
// be: against the Go function that mirrors the Backstage one (strings
// only), and end to end by writing the value into an entity document and
// validating it the way a refresh does. The JavaScript tests also pass
// non-strings (7, null): those are checked end to end only, as the YAML
// values 7 and null. Non-strings passed to key and prefix validators have
// no YAML form (a mapping key read by Backstage is always a string, a
// prefix is part of one) and are kept only for completeness.

// vector is one published case: an input (a string, 7 or nil, as the
// upstream test writes it) and whether Backstage accepts it.
type vector struct {
	in any
	ok bool
}

var (
	a63 = strings.Repeat("a", 63)
	a64 = strings.Repeat("a", 64)
	// 253 and 254 characters: the longest DNS subdomain and one more.
	subdomain253 = a63 + "." + a63 + "." + a63 + "." + strings.Repeat("a", 61)
	subdomain254 = a63 + "." + a63 + "." + a63 + "." + strings.Repeat("a", 62)
)

// probe writes a value into an entity and says which problem messages
// are about that value.
type probe struct {
	set   func(doc map[string]any, v any) bool // false: the value has no YAML form here
	about func(msg string) bool
}

// backstageTable is one it.each table of an upstream test file.
type backstageTable struct {
	file  string // upstream test file
	name  string // the validator under test
	fn    func(string) bool
	probe probe
	cases []vector
}

const (
	k8sTests    = "packages/catalog-model/src/validation/KubernetesValidatorFunctions.test.ts"
	commonTests = "packages/catalog-model/src/validation/CommonValidatorFunctions.test.ts"
)

func meta(doc map[string]any) map[string]any { return doc["metadata"].(map[string]any) }

func contains(subs ...string) func(string) bool {
	return func(msg string) bool {
		for _, s := range subs {
			if !strings.Contains(msg, s) {
				return false
			}
		}
		return true
	}
}

var (
	apiVersionProbe = probe{
		set: func(doc map[string]any, v any) bool { doc["apiVersion"] = v; return true },
		// A valid format that is not one of the kind's versions is the
		// kind schema's refusal, not the format validator's.
		about: func(m string) bool { return strings.Contains(m, "apiVersion") && !strings.Contains(m, "is not one of") },
	}
	kindProbe = probe{
		set: func(doc map[string]any, v any) bool { doc["kind"] = v; return true },
		// A valid format naming a kind platbot does not know is the kind
		// schema's refusal, not the format validator's.
		about: func(m string) bool {
			return strings.HasPrefix(m, "kind ") && !strings.Contains(m, "must be spelled")
		},
	}
	nameProbe = probe{
		set:   func(doc map[string]any, v any) bool { meta(doc)["name"] = v; return true },
		about: contains("metadata.name"),
	}
	namespaceProbe = probe{
		set:   func(doc map[string]any, v any) bool { meta(doc)["namespace"] = v; return true },
		about: contains("metadata.namespace"),
	}
	labelKeyProbe = probe{
		set: func(doc map[string]any, v any) bool {
			s, ok := v.(string)
			meta(doc)["labels"] = map[string]any{s: "x"}
			return ok
		},
		about: contains("label key"),
	}
	labelValueProbe = probe{
		set:   func(doc map[string]any, v any) bool { meta(doc)["labels"] = map[string]any{"a": v}; return true },
		about: contains(`label "a" value`),
	}
	annotationKeyProbe = probe{
		set: func(doc map[string]any, v any) bool {
			s, ok := v.(string)
			meta(doc)["annotations"] = map[string]any{s: "x"}
			return ok
		},
		about: contains("annotation key"),
	}
	annotationValueProbe = probe{
		set:   func(doc map[string]any, v any) bool { meta(doc)["annotations"] = map[string]any{"a": v}; return true },
		about: contains(`annotation "a" value`),
	}
	// A DNS subdomain is what a label key's prefix must be.
	subdomainProbe = probe{
		set: func(doc map[string]any, v any) bool {
			s, ok := v.(string)
			meta(doc)["labels"] = map[string]any{s + "/a": "x"}
			return ok
		},
		about: contains("label key"),
	}
	urlProbe = probe{
		set: func(doc map[string]any, v any) bool {
			meta(doc)["links"] = []any{map[string]any{"url": v}}
			return true
		},
		about: contains("links[0].url"),
	}
	stringProbe = probe{
		set: func(doc map[string]any, v any) bool {
			meta(doc)["links"] = []any{map[string]any{"url": "http://foo", "title": v}}
			return true
		},
		about: contains("links[0].title"),
	}
)

var backstageTables = []backstageTable{
	{k8sTests, "isValidApiVersion", validAPIVersion, apiVersionProbe, []vector{
		{7, false},
		{nil, false},
		{"", false},
		{"a", true},
		{"AZ09", true},
		{a63, true},
		{a64, false},
		{"a-b", false},
		{"a_b", false},
		{"a.b", false},
		{"a/a", true},
		{"a/aAb5C", true},
		{"a-b.c/v1", true},
		{"a--b.c/v1", true},
		{subdomain253 + "/v1", true},
		{subdomain254 + "/v1", false},
		{"a/" + a63, true},
		{"a/" + a64, false},
	}},
	{k8sTests, "isValidKind", validKind, kindProbe, []vector{
		{7, false},
		{nil, false},
		{"", false},
		{"a", true},
		{"AZ09", true},
		{"9AZ", false},
		{a63, true},
		{a64, false},
		{"a-b", false},
	}},
	{k8sTests, "isValidObjectName", ValidName, nameProbe, []vector{
		{7, false},
		{nil, false},
		{"", false},
		{"a", true},
		{"AZ09", true},
		{a63, true},
		{a64, false},
		{"a/b", false},
		{"a-b", true},
		{"-a-b", false},
		{"a-b-", false},
		{"a--b", true},
		{"a_b", true},
		{"a.b", true},
		{"a..b", true},
	}},
	{k8sTests, "isValidNamespace", ValidNamespace, namespaceProbe, []vector{
		{7, false},
		{nil, false},
		{"", false},
		{"a", true},
		{"AZ09", false},
		{a63, true},
		{a64, false},
		{"a/b", false},
		{"a-b", true},
		{"-a-b", false},
		{"a-b-", false},
		{"a--b", true},
		{"a_b", false},
		{"a.b", false},
	}},
	{k8sTests, "isValidLabelKey", validKey, labelKeyProbe, []vector{
		{7, false},
		{nil, false},
		{"", false},
		{"a", true},
		{"AZ09", true},
		{a63, true},
		{a64, false},
		{"a/b", true},
		{"a-b", true},
		{"-a-b", false},
		{"a-b-", false},
		{"a--b", true},
		{"a_b", true},
		{"a.b", true},
		{"a..b", true},
		{"a/a", true},
		{"a-b.c/a", true},
		{"a--b.c/a", true},
		{subdomain253 + "/a", true},
		{subdomain254 + "/a", false},
		{"a/" + a63, true},
		{"a/" + a64, false},
	}},
	{k8sTests, "isValidLabelValue", validLabelValue, labelValueProbe, []vector{
		{7, false},
		{nil, false},
		{"", true},
		{"a", true},
		{"AZ09", true},
		{a63, true},
		{a64, false},
		{"a/b", false},
		{"a-b", true},
		{"-a-b", false},
		{"a-b-", false},
		{"a--b", true},
		{"a_b", true},
		{"a.b", true},
		{"a..b", true},
	}},
	{k8sTests, "isValidAnnotationKey", validKey, annotationKeyProbe, []vector{
		{7, false},
		{nil, false},
		{"", false},
		{"a", true},
		{"AZ09", true},
		{a63, true},
		{a64, false},
		{"a/b", true},
		{"a-b", true},
		{"-a-b", false},
		{"a-b-", false},
		{"a--b", true},
		{"a_b", true},
		{"a.b", true},
		{"a..b", true},
		{"a/a", true},
		{"a-b.c/a", true},
		{"a--b.c/a", true},
		{subdomain253 + "/a", true},
		{subdomain254 + "/a", false},
		{"a/" + a63, true},
		{"a/" + a64, false},
	}},
	// Any string is a valid annotation value.
	{k8sTests, "isValidAnnotationValue", func(string) bool { return true }, annotationValueProbe, []vector{
		{7, false},
		{nil, false},
		{"", true},
		{"a", true},
		{strings.Repeat("/", 6000), true},
	}},
	{commonTests, "isValidDnsSubdomain", validDNSSubdomain, subdomainProbe, []vector{
		{nil, false},
		{7, false},
		{"", false},
		{"a", true},
		{"a-b", true},
		{"-a-b", false},
		{"a-b-", false},
		{"a--b", true},
		{"a_b", false},
		{"adam.bertil.caesar", true},
		{"adam.ber-til.caesar", true},
		{"adam.-bertil.caesar", false},
		{"adam.bertil-.caesar", false},
		{"adam/bertil.caesar", false},
		{"a." + strings.Repeat("b", 63) + ".c", true},
		{"a." + strings.Repeat("b", 64) + ".c", false},
		{subdomain253, true},
		{subdomain254, false},
	}},
	// A namespace is a DNS label.
	{commonTests, "isValidDnsLabel", validDNSLabel, namespaceProbe, []vector{
		{nil, false},
		{7, false},
		{"", false},
		{"a", true},
		{"a-b", true},
		{"-a-b", false},
		{"a-b-", false},
		{"a--b", true},
		{"a_b", false},
		{a63, true},
		{a64, false},
	}},
	// Backstage checks each metadata.links[].url with it.
	{commonTests, "isValidUrl", validURL, urlProbe, []vector{
		{nil, false},
		{7, false},
		{"", false},
		{"abc", false},
		{"   abc", false},
		{"", false},
		{map[string]any{}, false},
		{"http://foo", true},
		{"https://www.foo.com/", true},
		{"https://foo.com:8080", true},
		{"https://foo:8080/page", true},
		{"https://foo:8080/sub/page", true},
		{"https://foo:8080/sub/page?query", true},
		{"https://foo:8080/sub/page/?query=value", true},
		{"https://foo:8080/sub/page/?query=value&", true},
		{"https://foo:8080/sub/page/?query=value&another=val", true},
		{"https://foo.com/page#fragment", true},
		{"ftp://ftp.some.domain.com/path", true},
		{"xyz://custom-protocol:4444/path", true},
	}},
	// Backstage checks each metadata.links[].title with it.
	{commonTests, "isValidString", validString, stringProbe, []vector{
		{nil, false},
		{true, false},
		{7, false},
		{map[string]any{}, false},
		{"", false},
		{" ", false},
		{"    ", false},
		{"abc", true},
		{" abc ", true},
		{"abc xyz", true},
		{"abc xyz abc.", true},
	}},
}

// baseEntity is a valid Component, as a value yaml.v3 marshals (so a Go
// string becomes a YAML string, 7 an integer and nil null).
func baseEntity() map[string]any {
	return map[string]any{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       "Component",
		"metadata":   map[string]any{"name": "my-component"},
		"spec":       map[string]any{"type": "service", "lifecycle": "production", "owner": "team-a"},
	}
}

// entityProblems validates one entity document as a refresh does:
// decoded, then checked, every problem kept.
func entityProblems(t *testing.T, doc map[string]any) []string {
	t.Helper()
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	docs := parseDocuments(data)
	if len(docs) != 1 || docs[0].err != nil {
		t.Fatalf("%s: %+v", data, docs)
	}
	e, errs := decodeEntity(docs[0].root, interner{})
	if e != nil {
		errs = append(errs, validate(e, docs[0].root)...)
	}
	var out []string
	for _, le := range errs {
		out = append(out, le.msg)
	}
	return out
}

func TestBackstageValidatorVectors(t *testing.T) {
	if ps := entityProblems(t, baseEntity()); len(ps) != 0 {
		t.Fatalf("the base entity has problems: %q", ps)
	}
	total, checked := 0, 0
	for _, tb := range backstageTables {
		for _, v := range tb.cases {
			total++
			ran := false
			if s, ok := v.in.(string); ok {
				ran = true
				if got := tb.fn(s); got != v.ok {
					t.Errorf("%s: %s(%q) = %v, Backstage says %v", tb.file, tb.name, short(s), got, v.ok)
				}
			}
			doc := baseEntity()
			if tb.probe.set(doc, v.in) {
				ran = true
				var about []string
				for _, p := range entityProblems(t, doc) {
					if tb.probe.about(p) {
						about = append(about, p)
					}
				}
				if accepted := len(about) == 0; accepted != v.ok {
					t.Errorf("%s: %s %#v in an entity: accepted %v, Backstage says %v (problems: %q)", tb.file, tb.name, shortAny(v.in), accepted, v.ok, about)
				}
			}
			if ran {
				checked++
			}
		}
	}
	// 120 vectors of KubernetesValidatorFunctions.test.ts, 59 of
	// CommonValidatorFunctions.test.ts; the 4 non-strings given to key
	// validators and the 2 given to isValidDnsSubdomain have no YAML form.
	if total != 179 || checked != 173 {
		t.Errorf("%d vectors, %d checked; want 179 and 173", total, checked)
	}
}

// TestDNSLabelDashRuns goes past the published vectors on the rule
// catalog-model 1.3.0 changed: a DNS label (a namespace, each label of a
// key's or apiVersion's prefix) may hold runs of dashes but neither start
// nor end with one, while a tag still takes single dashes only. Each
// boolean is what catalog-model 1.10.3's validators return.
func TestDNSLabelDashRuns(t *testing.T) {
	for ns, ok := range map[string]bool{
		"a---b": true, "xn--bcher-kva": true, "a--b-c": true,
		"--a": false, "a--": false, "-": false, "--": false,
	} {
		if got := ValidNamespace(ns); got != ok {
			t.Errorf("ValidNamespace(%q) = %v, want %v", ns, got, ok)
		}
		doc := baseEntity()
		meta(doc)["namespace"] = ns
		var about []string
		for _, p := range entityProblems(t, doc) {
			if strings.Contains(p, "metadata.namespace") {
				about = append(about, p)
			}
		}
		if accepted := len(about) == 0; accepted != ok {
			t.Errorf("namespace %q in an entity: accepted %v, want %v (%q)", ns, accepted, ok, about)
		}
	}
	for prefix, ok := range map[string]bool{
		"xn--bcher-kva.example": true, "a---b.c": true, "a.b--c.d": true,
		"a.--b": false, "a-.b": false, "a..b": false, "a.b--": false,
	} {
		if got := validDNSSubdomain(prefix); got != ok {
			t.Errorf("validDNSSubdomain(%q) = %v, want %v", prefix, got, ok)
		}
		if got := validKey(prefix + "/x"); got != ok {
			t.Errorf("validKey(%q) = %v, want %v", prefix+"/x", got, ok)
		}
		if got := validAPIVersion(prefix + "/v1"); got != ok {
			t.Errorf("validAPIVersion(%q) = %v, want %v", prefix+"/v1", got, ok)
		}
		doc := baseEntity()
		meta(doc)["annotations"] = map[string]any{prefix + "/x": "y"}
		var about []string
		for _, p := range entityProblems(t, doc) {
			if strings.Contains(p, "annotation key") {
				about = append(about, p)
			}
		}
		if accepted := len(about) == 0; accepted != ok {
			t.Errorf("annotation key %q in an entity: accepted %v, want %v (%q)", prefix+"/x", accepted, ok, about)
		}
	}
	for _, tag := range []string{"a--b", "c++--x", "k8s::prod--x"} {
		if ValidTag(tag) {
			t.Errorf("ValidTag(%q) = true; a tag takes single dashes only", tag)
		}
	}
}

// TestRefusedNamingMessages pins what a user reads when a naming rule
// refuses a value: the field, the value, and what the rule allows.
func TestRefusedNamingMessages(t *testing.T) {
	const subdomain = "a DNS subdomain: dot-separated labels, each sequences of [a-z0-9] separated by one or more [-] and at most 63 characters, at most 253 characters in total"
	for _, c := range []struct {
		change func(map[string]any)
		want   string
	}{
		{func(d map[string]any) { meta(d)["namespace"] = "a--" },
			`metadata.namespace "a--" is not valid; expected a string that is sequences of [a-z0-9] separated by one or more [-], at most 63 characters in total`},
		{func(d map[string]any) { meta(d)["labels"] = map[string]any{"a-.b/x": "y"} },
			`label key "a-.b/x" is not valid; expected [prefix/]name, the prefix ` + subdomain + `, and the name a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total`},
		{func(d map[string]any) { d["apiVersion"] = "a.--b/v1" },
			`apiVersion "a.--b/v1" is not valid; expected [prefix/]version, the prefix ` + subdomain + `, and the version a sequence of [a-zA-Z0-9], at most 63 characters`},
		{func(d map[string]any) { meta(d)["tags"] = []any{"a--b"} },
			`tag "a--b" is not valid; expected a string that is sequences of [a-z0-9+#:] separated by single [-], at most 63 characters in total`},
	} {
		doc := baseEntity()
		c.change(doc)
		ps := entityProblems(t, doc)
		if !slices.Contains(ps, c.want) {
			t.Errorf("problems %q, want %q among them", ps, c.want)
		}
	}
}

// TestBackstagePrefixAndOrSuffix holds the string cases of
// CommonValidatorFunctions.test.ts's isValidPrefixAndOrSuffix tests.
func TestBackstagePrefixAndOrSuffix(t *testing.T) {
	yes := func(string) bool { return true }
	no := func(string) bool { return false }
	for _, c := range []struct {
		in             string
		prefix, suffix func(string) bool
		ok             bool
	}{
		{"a", yes, yes, true},
		{"a/b", yes, yes, true},
		{"a/b/c", yes, yes, false},
		{"a/b", yes, yes, true},
		{"a/b", no, yes, false},
		{"a/b", yes, no, false},
	} {
		if got := validPrefixAndOrSuffix(c.in, c.prefix, c.suffix); got != c.ok {
			t.Errorf("validPrefixAndOrSuffix(%q) = %v, want %v", c.in, got, c.ok)
		}
	}
}

// TestBackstageFieldFormatPolicy holds the cases of Backstage's
// packages/catalog-model/src/entity/policies/FieldFormatEntityPolicy.test.ts:
// its entity, and the changes it accepts or rejects. Its entity has a
// Component spec here, as platbot also checks the kind's spec.
func TestBackstageFieldFormatPolicy(t *testing.T) {
	policyEntity := func() map[string]any {
		doc := baseEntity()
		doc["metadata"] = map[string]any{
			"uid":         "e01199ab-08cc-44c2-8e19-5c29ded82521",
			"etag":        "lsndfkjsndfkjnsdfkjnsd==",
			"generation":  13,
			"name":        "my-component-yay",
			"namespace":   "the-namespace",
			"labels":      map[string]any{"backstage.io/custom": "ValueStuff"},
			"annotations": map[string]any{"example.com/bindings": "are-secret"},
			"tags":        []any{"java", "data-service"},
			"links":       []any{map[string]any{"url": "https://example.org", "title": "Website", "icon": "website"}},
		}
		return doc
	}
	links := func(ls ...map[string]any) func(map[string]any) {
		return func(doc map[string]any) {
			l := make([]any, len(ls))
			for i := range ls {
				l[i] = ls[i]
			}
			meta(doc)["links"] = l
		}
	}
	set := func(key string, v any) func(map[string]any) {
		return func(doc map[string]any) { meta(doc)[key] = v }
	}
	type m = map[string]any
	for _, c := range []struct {
		name   string
		change func(map[string]any)
		reject string // a problem naming this, or "" when accepted
	}{
		{"happy path", func(map[string]any) {}, ""},
		{"apiVersion 7", func(d map[string]any) { d["apiVersion"] = 7 }, "apiVersion"},
		{"apiVersion a#b", func(d map[string]any) { d["apiVersion"] = "a#b" }, "apiVersion"},
		{"kind 7", func(d map[string]any) { d["kind"] = 7 }, "kind"},
		{"kind a#b", func(d map[string]any) { d["kind"] = "a#b" }, "kind"},
		{"name 7", set("name", 7), "metadata.name must be a string, not 7"},
		{"long name", set("name", strings.Repeat("a", 1000)), `metadata.name "aaaa`},
		{"namespace 7", set("namespace", 7), "metadata.namespace must be a string, not 7"},
		{"long namespace", set("namespace", strings.Repeat("a", 1000)), `metadata.namespace "aaaa`},
		{"label key", set("labels", m{"backstage.io/custom": "ValueStuff", "a#b": "value"}), `label key "a#b"`},
		{"label value", set("labels", m{"backstage.io/custom": "ValueStuff", "a": "a#b"}), `label "a" value "a#b"`},
		{"annotation key", set("annotations", m{"example.com/bindings": "are-secret", "a#b": "value"}), `annotation key "a#b"`},
		{"annotation value", set("annotations", m{"example.com/bindings": "are-secret", "a": 7}), `annotation "a" value must be a string, not 7`},
		{"tag", set("tags", []any{"java", "data-service", "Hello World"}), `tag "Hello World"`},
		{"missing links", func(d map[string]any) { delete(meta(d), "links") }, ""},
		{"empty links", set("links", []any{}), ""},
		{"multiple links", links(m{"url": "http://foo"}, m{"url": "https://bar"}), ""},
		{"missing link url", links(m{}), "links[0].url"},
		{"a single bad missing link url", links(m{"url": "http://good"}, m{"url": ""}), "links[1].url"},
		{"empty link url", links(m{"url": ""}), "links[0].url"},
		{"bad link url", links(m{"url": "invalid"}), `links[0].url "invalid"`},
		{"missing link title", links(m{"url": "http://foo", "icon": "dashboard"}), ""},
		{"empty link title", links(m{"url": "http://foo", "title": ""}), "links[0].title"},
		{"link title 123", links(m{"url": "http://foo", "title": 123}), "links[0].title"},
		{"link title {}", links(m{"url": "http://foo", "title": m{}}), "links[0].title"},
		{"link title []", links(m{"url": "http://foo", "title": []any{}}), "links[0].title"},
		{"a single bad link title", links(m{"url": "http://foo", "title": "good"}, m{"url": "http://foo", "title": ""}), "links[1].title"},
		{"missing link icon", links(m{"url": "http://foo", "title": "foo"}), ""},
		{"empty link icon", links(m{"url": "http://foo", "icon": ""}), "links[0].icon"},
		{"link icon dashboard", links(m{"url": "http://foo", "icon": "dashboard"}), ""},
		{"link icon admin-dashboard", links(m{"url": "http://foo", "icon": "admin-dashboard"}), ""},
		{"link icon foo_dashboard", links(m{"url": "http://foo", "icon": "foo_dashboard"}), ""},
		{"link icon 123", links(m{"url": "http://foo", "icon": 123}), "links[0].icon"},
		{"link icon {}", links(m{"url": "http://foo", "icon": m{}}), "links[0].icon"},
		{"link icon []", links(m{"url": "http://foo", "icon": []any{}}), "links[0].icon"},
		{"link icon abc xyz", links(m{"url": "http://foo", "icon": "abc xyz"}), "links[0].icon"},
		{"a single bad link icon", links(m{"url": "http://foo", "icon": "good"}, m{"url": "http://foo", "icon": "not good"}), `links[1].icon "not good"`},
	} {
		doc := policyEntity()
		c.change(doc)
		ps := entityProblems(t, doc)
		if c.reject == "" {
			if len(ps) != 0 {
				t.Errorf("%s: rejected: %q", c.name, ps)
			}
			continue
		}
		found := false
		for _, p := range ps {
			found = found || strings.Contains(p, c.reject)
		}
		if !found {
			t.Errorf("%s: no problem containing %q: %q", c.name, c.reject, ps)
		}
	}
}

// TestYAMLStringsAsBackstageReadsThem: Backstage reads catalog files with
// YAML 1.2's core schema, so a plain scalar is a string unless it is
// null, a boolean or a number there; yaml.v3 resolves more (timestamps,
// 0b and 1_000 integers), which must still count as strings.
func TestYAMLStringsAsBackstageReadsThem(t *testing.T) {
	for src, want := range map[string]bool{
		"v: a": true, `v: "7"`: true, "v: '~'": true, "v: !!str 7": true, "v: |\n  7\n": true,
		"v: 2020-01-01": true, "v: 0b101": true, "v: 1_000": true, "v: yes": true, "v: 0x": true, "v: 1e": true,
		"v: 7": false, "v: -7": false, "v: 0o17": false, "v: 0x1F": false, "v: 1.5": false, "v: .5": false, "v: 1e3": false,
		"v: .inf": false, "v: -.Inf": false, "v: .NaN": false, "v: true": false, "v: FALSE": false,
		"v: null": false, "v: ~": false, "v:": false, "v: !!int '7'": false, "v: [a]": false, "v: {a: b}": false,
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(src), &n); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		_, v := field(n.Content[0], "v")
		if got := isString(v); got != want {
			t.Errorf("%q: isString = %v, want %v", src, got, want)
		}
	}
}

// TestBackstageExampleCatalogValidates validates every entity document of
// Backstage's example catalog (testdata/backstage), the files no Location
// names included: the only problems are the ones Backstage's examples make
// on purpose, which TestBackstageInvalidExamplesFail expects too, and the
// missing spec.definition of apis/local-ai-model-server-api.yaml, an API
// that all-apis.yaml does not name and that Backstage's API kind schema
// (API.v1alpha1.schema.json, spec.definition required) refuses as well.
func TestBackstageExampleCatalogValidates(t *testing.T) {
	want := map[string]bool{
		`components/invalid-component.yaml:4: metadata.name "invalid component" is not valid; expected ` + nameRule: true,
		`components/invalid-component.yaml:11: tag "go 1.15.3" is not valid; expected ` + tagRule:                   true,
		`environments/dev.yaml:2: unknown kind "Environment" (platbot knows ` + strings.Join(Kinds, ", ") + `)`:     true,
		`environments/prod.yaml:2: unknown kind "Environment" (platbot knows ` + strings.Join(Kinds, ", ") + `)`:    true,
		`apis/local-ai-model-server-api.yaml:10: spec.definition is required for an API`:                            true,
	}
	files, entities := 0, 0
	got := map[string]bool{}
	err := filepath.WalkDir(backstageDir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || filepath.Ext(p) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(backstageDir, p)
		files++
		for _, d := range parseDocuments(data) {
			if d.err != nil {
				t.Errorf("%s: %v", rel, d.err)
				continue
			}
			if _, k := field(d.root, "kind"); k == nil {
				continue // an API definition the API entities point at
			}
			entities++
			e, errs := decodeEntity(d.root, interner{})
			if e != nil {
				errs = append(errs, validate(e, d.root)...)
			}
			for _, le := range errs {
				got[filepath.ToSlash(rel)+":"+strconv.Itoa(le.line)+": "+le.msg] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range got {
		if !want[p] {
			t.Errorf("unexpected problem %s", p)
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("missing problem %s", p)
		}
	}
	// 59 YAML files (2 of them OpenAPI definitions), 75 entities.
	if files != 59 || entities != 75 {
		t.Errorf("%d files, %d entities", files, entities)
	}
}

func short(s string) string {
	if len(s) > 80 {
		return s[:40] + "..." + s[len(s)-20:] + " (" + strconv.Itoa(len(s)) + " characters)"
	}
	return s
}

func shortAny(v any) any {
	if s, ok := v.(string); ok {
		return short(s)
	}
	return v
}
