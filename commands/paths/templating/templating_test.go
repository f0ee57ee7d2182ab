package templating

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// testValues is the context the table tests render with: what Backstage's
// task worker passes (parameters, steps, user, secrets) plus fetch:template's
// values.
func testValues() Values {
	return Values{
		"parameters": map[string]any{
			"name":        "prx",
			"repoUrl":     "github.com?owner=acme&repo=payments",
			"owner":       "group:team-a",
			"shortOwner":  "team-a",
			"quoted":      `say "hi" & <bye>`,
			"tags":        []any{"go", "grpc"},
			"replicas":    3,
			"ratio":       2.5,
			"enabled":     false,
			"description": "",
			"nested":      map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": "deep"}}}},
		},
		"values": map[string]any{"name": "prx"},
		"steps": map[string]any{
			"publish": map[string]any{"output": map[string]any{"remoteUrl": "https://github.com/acme/payments"}},
		},
		"user": map[string]any{
			"ref":    "user:default/jdoe",
			"entity": map[string]any{"metadata": map[string]any{"name": "jdoe"}},
		},
		"secrets": map[string]any{"token": "tok-9f8e7d"},
	}
}

func render(t *testing.T, e *Engine, tmpl string) (string, error) {
	t.Helper()
	return e.RenderString(context.Background(), "t.yaml", tmpl, testValues())
}

func TestRenderString(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		name, tmpl, want string
	}{
		// Nunjucks' dump filter is JSON.stringify(value, null, spaces)
		// (nunjucks/src/filters.js dump): a string is quoted once.
		{"dump string", `${{ values.name | dump }}`, `"prx"`},
		// JSON.stringify escapes " and \ only; & < > stay as they are.
		{"dump quotes and ampersands", `${{ parameters.quoted | dump }}`, `"say \"hi\" & <bye>"`},
		{"dump list", `${{ parameters.tags | dump }}`, `["go","grpc"]`},
		// JSON.stringify(v, null, 2): newline and two spaces per level.
		{"dump indent", `${{ parameters.nested | dump(2) }}`, "{\n  \"a\": {\n    \"b\": [\n      {\n        \"c\": \"deep\"\n      }\n    ]\n  }\n}"},
		{"dump number", `${{ parameters.replicas | dump }}`, `3`},
		// Nunjucks suppressValue: undefined renders nothing; JSON.stringify
		// of undefined is undefined, so dump of it renders nothing too.
		{"undefined", `[${{ parameters.missing }}]`, `[]`},
		{"undefined member of undefined", `[${{ parameters.missing.deeper.still }}]`, `[]`},
		{"undefined index", `[${{ parameters.tags[7] }}]`, `[]`},
		{"dump undefined", `[${{ parameters.missing | dump }}]`, `[]`},
		// parseRepoUrl (scaffolder-node actions/util.ts) returns host, owner
		// and repo of the picker's URL; + on strings concatenates (JS +).
		{"parseRepoUrl concatenation", `${{ (parameters.repoUrl | parseRepoUrl).owner + "/" + (parameters.repoUrl | parseRepoUrl).repo }}`, `acme/payments`},
		{"parseRepoUrl host", `${{ (parameters.repoUrl | parseRepoUrl).host }}`, `github.com`},
		{"parseRepoUrl dump", `${{ parameters.repoUrl | parseRepoUrl | dump }}`, `{"host":"github.com","owner":"acme","repo":"payments"}`},
		// projectSlug (scaffolder-backend filters.ts): `${owner}/${repo}`.
		{"projectSlug", `${{ parameters.repoUrl | projectSlug }}`, `acme/payments`},
		// parseEntityRef (catalog-model entity/ref.ts): namespace defaults
		// to "default"; the context supplies defaultKind/defaultNamespace.
		{"parseEntityRef", `${{ parameters.owner | parseEntityRef | dump }}`, `{"kind":"group","name":"team-a","namespace":"default"}`},
		{"parseEntityRef defaults", `${{ parameters.shortOwner | parseEntityRef({ defaultKind: "group", defaultNamespace: "another-namespace" }) | dump }}`, `{"kind":"group","name":"team-a","namespace":"another-namespace"}`},
		{"parseEntityRef full", `${{ "component:ns1/svc" | parseEntityRef | pick("namespace") }}`, `ns1`},
		{"parseEntityRef keeps its own kind", `${{ parameters.owner | parseEntityRef({ defaultKind: "user" }) | pick("kind") }}`, `group`},
		// pick is lodash get(obj, key): dotted and indexed paths.
		{"pick", `${{ parameters.owner | parseEntityRef | pick("name") }}`, `team-a`},
		{"pick path", `${{ parameters.nested | pick("a.b[0].c") }}`, `deep`},
		{"pick missing", `[${{ parameters.nested | pick("a.x.y") }}]`, `[]`},
		// Nunjucks compiles + to JavaScript +, ~ to a + "" + b.
		{"plus numbers", `${{ parameters.replicas + 1 }}`, `4`},
		{"plus string and number", `${{ "r" + parameters.replicas }}`, `r3`},
		{"plus undefined", `${{ "a" + parameters.missing }}`, `aundefined`},
		{"tilde", `${{ parameters.name ~ "-" ~ parameters.replicas }}`, `prx-3`},
		{"arithmetic", `${{ parameters.replicas * 2 - 1 }} ${{ 7 // 2 }} ${{ 7 % 4 }} ${{ 2 ** 3 }} ${{ 3 / 2 }} ${{ 4 / 2 }}`, `5 3 3 8 1.5 2`},
		{"float", `${{ parameters.ratio * 2 }} ${{ parameters.ratio }}`, `5 2.5`},
		{"string times number is NaN", `${{ "ab" * 3 }}`, `NaN`},
		{"division by zero", `${{ 1 / 0 }}`, `Infinity`},
		// suppressValue writes JavaScript's String(value).
		{"print bool", `${{ parameters.enabled }} ${{ not parameters.enabled }}`, `false true`},
		{"print list", `${{ parameters.tags }}`, `go,grpc`},
		{"print object", `${{ parameters.nested }}`, `[object Object]`},
		// String methods are JavaScript's in Nunjucks: replace with a string
		// pattern replaces the first occurrence.
		{"method replace", `${{ "a-b-c".replace("-", "_") }}`, `a_b-c`},
		{"method split", `${{ "a-b-c".split("-") | join("+") }}`, `a+b+c`},
		{"method split first", `${{ "team/app".split("/")[1] }}`, `app`},
		{"method toUpperCase", `${{ parameters.name.toUpperCase() }}`, `PRX`},
		{"method python upper lower", `${{ parameters.name.upper() }} ${{ "ABC".lower() }}`, `PRX abc`},
		{"method startsWith", `${{ parameters.name.startsWith("pr") }}`, `true`},
		{"length property", `${{ parameters.name.length }} ${{ parameters.tags.length }}`, `3 2`},
		// Nunjucks filters (nunjucks/src/filters.js).
		{"default undefined", `${{ parameters.missing | default("fallback") }}`, `fallback`},
		{"default keeps empty string", `[${{ parameters.description | default("x") }}]`, `[]`},
		{"default boolean", `${{ parameters.description | default("x", true) }}`, `x`},
		{"lower upper", `${{ "MiXed" | lower }} ${{ "MiXed" | upper }}`, `mixed MIXED`},
		{"filter replace all", `${{ "a-b-c" | replace("-", "_") }}`, `a_b_c`},
		{"join", `${{ parameters.tags | join(", ") }}`, `go, grpc`},
		{"length", `${{ parameters.tags | length }} ${{ parameters.name | length }} ${{ parameters.missing | length }}`, `2 3 0`},
		{"trim", `[${{ "  x  " | trim }}]`, `[x]`},
		{"first last", `${{ parameters.tags | first }} ${{ parameters.tags | last }}`, `go grpc`},
		{"title capitalize", `${{ "hello world" | title }} ${{ "hello" | capitalize }}`, `Hello World Hello`},
		{"inline if", `${{ "on" if parameters.enabled else "off" }}`, `off`},
		{"comparison and membership", `${{ parameters.replicas > 2 and "go" in parameters.tags }}`, `true`},
		// {% %} blocks: for with loop variables, else, set, raw.
		{"for loop vars", `{% for t in parameters.tags %}${{ loop.index }}:${{ t }}{% if not loop.last %},{% endif %}{% endfor %}`, `1:go,2:grpc`},
		{"for index0 length first", `{% for t in parameters.tags %}${{ loop.index0 }}/${{ loop.length }}${{ "^" if loop.first }} {% endfor %}`, `0/2^ 1/2 `},
		{"for else", `{% for t in parameters.missing %}x{% else %}none{% endfor %}`, `none`},
		{"for range", `{% for i in range(3) %}${{ i }}{% endfor %}`, `012`},
		{"for over object", `{% for k, v in parameters.nested.a.b[0] | dictsort %}${{ k }}=${{ v }}{% endfor %}`, `c=deep`},
		{"set", `{% set full = parameters.name ~ "-svc" %}${{ full }}`, `prx-svc`},
		{"set block", `{% set body %}n=${{ parameters.replicas }}{% endset %}${{ body }}`, `n=3`},
		{"raw", `{% raw %}${{ github.token }}{% endraw %}`, `${{ github.token }}`},
		{"comment", `a{# note #}b`, `ab`},
		// Only ${{ }} is a variable in Backstage mode; {{ }} is text
		// (GitHub Actions files in skeletons keep theirs).
		{"plain braces are text", `run: echo {{ x }}`, `run: echo {{ x }}`},
		{"user and steps", `${{ user.ref }} ${{ user.entity.metadata.name }} ${{ steps.publish.output.remoteUrl }}`, `user:default/jdoe jdoe https://github.com/acme/payments`},
		{"secrets render", `${{ secrets.token }}`, `tok-9f8e7d`},
		{"object literal", `${{ { "a": 1, b: [true, none] } | dump }}`, `{"a":1,"b":[true,null]}`},
		{"keeps trailing newline", "a: ${{ parameters.name }}\n", "a: prx\n"},
		{"empty raw", `a{% raw %}{% endraw %}b`, `ab`},
		// Nunjucks' tests (nunjucks/src/tests.js).
		{"tests", `${{ parameters.missing is defined }} ${{ parameters.name is defined }} ${{ parameters.missing is undefined }} ${{ parameters.replicas is number }} ${{ parameters.name is string }} ${{ parameters.replicas is divisibleby(3) }}`, `false true true true true true`},
		{"variable whitespace control", "a  ${{- parameters.replicas -}}  b", "a3b"},
		{"elif", `{% if parameters.enabled %}a{% elif parameters.replicas == 3 %}b{% else %}c{% endif %}`, `b`},
		{"with and filter blocks", `{% with x = parameters.name %}{% filter upper %}${{ x }}{% endfilter %}{% endwith %}`, `PRX`},
		{"loop revindex", `{% for i in [1, 2, 3] %}${{ loop.revindex }}{% endfor %}`, `321`},
		{"cycler", `{% set c = cycler("odd", "even") %}${{ c.next() }} ${{ c.next() }} ${{ c.next() }}`, `odd even odd`},
		// Nunjucks' truncate cuts at the last space before length, then
		// appends "..." (Jinja would count the "..." in the length).
		{"truncate", `${{ "hello world" | truncate(5) }} ${{ "hello world" | truncate(3, true) }} ${{ "hi" | truncate(5) }}`, `hello... hel... hi`},
		{"int round sort sum", `${{ "3" | int + 1 }} ${{ 2.567 | round(1) }} ${{ [3, 1, 2] | sort | join }} ${{ [1, 2] | sum }}`, `4 2.6 123 3`},
		{"js string methods", `${{ "abc".slice(-2) }} ${{ "abc".substring(1) }} ${{ "abc".charAt(1) }} ${{ "a.b.c".split(".", 2) | join("|") }}`, `bc bc b a|b`},
		{"list methods", `${{ parameters.tags.join("+") }} ${{ parameters.tags.includes("go") }} ${{ parameters.tags.indexOf("grpc") }}`, `go+grpc true 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := render(t, e, c.tmpl)
			if err != nil {
				t.Fatalf("render %q: %v", c.tmpl, err)
			}
			if got != c.want {
				t.Fatalf("render %q\n got %q\nwant %q", c.tmpl, got, c.want)
			}
		})
	}
}

// Nunjucks' whitespace control: {%- strips the whitespace before the tag,
// including the newline, so a false branch leaves no empty line and a YAML
// key disappears whole (the Backstage skeletons' catalog-info.yaml idiom).
func TestWhitespaceControlDropsYAMLKeys(t *testing.T) {
	e := New(Options{})
	tmpl := "metadata:\n  name: ${{ parameters.name | dump }}\n  {%- if parameters.description %}\n  description: ${{ parameters.description | dump }}\n  {%- endif %}\n  {%- if parameters.replicas %}\n  replicas: ${{ parameters.replicas }}\n  {%- endif %}\nspec: {}\n"
	got, err := render(t, e, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	want := "metadata:\n  name: \"prx\"\n  replicas: 3\nspec: {}\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	got, err = render(t, e, "a\n{%- if true -%}\n   b   \n{%- endif %}\nc")
	if err != nil {
		t.Fatal(err)
	}
	if got != "ab\nc" {
		t.Fatalf("-%%} strip: got %q", got)
	}
}

// RenderValue follows NunjucksWorkflowRunner.render (scaffolder-backend
// tasks/NunjucksWorkflowRunner.ts): a string that is one ${{ expr }} is
// rendered as ${{ (expr) | dump }} and JSON-parsed back, keeping its type;
// other strings render as text; an empty result is undefined and its key
// disappears.
func TestRenderValue(t *testing.T) {
	e := New(Options{})
	input := map[string]any{
		"replicas":    "${{ parameters.replicas }}",
		"ratio":       "${{ parameters.ratio }}",
		"enabled":     "${{ parameters.enabled }}",
		"tags":        "${{ parameters.tags }}",
		"destination": "${{ parameters.repoUrl | parseRepoUrl }}",
		"text":        "name-${{ parameters.name }}",
		"padded":      " ${{ parameters.replicas }}",
		"missing":     "${{ parameters.missing }}",
		"empty":       "${{ parameters.description }}",
		"emptyText":   "{% if false %}x{% endif %}",
		"literal":     42,
		"list":        []any{"${{ parameters.replicas }}", "${{ parameters.missing }}", "plain"},
		"nested":      map[string]any{"owner": "${{ parameters.owner | parseEntityRef | pick('name') }}"},
	}
	got, ok, err := e.RenderValue(context.Background(), "steps[0].input", input, testValues())
	if err != nil || !ok {
		t.Fatalf("RenderValue: %v %v", ok, err)
	}
	want := map[string]any{
		"replicas":    3,
		"ratio":       2.5,
		"enabled":     false,
		"tags":        []any{"go", "grpc"},
		"destination": map[string]any{"host": "github.com", "owner": "acme", "repo": "payments"},
		"text":        "name-prx",
		"padded":      " 3",
		"literal":     42,
		"list":        []any{3, nil, "plain"},
		"nested":      map[string]any{"owner": "team-a"},
	}
	// "missing" and "emptyText" render to nothing and are dropped; "empty"
	// dumps to "" (JSON), which is not nothing, so it stays "".
	want["empty"] = ""
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	// A sole expression yielding an empty string is the JSON "" — not
	// undefined — so it is kept, as JSON.parse('""') is "".
	v, ok, err := e.RenderValue(context.Background(), "x", "${{ parameters.description }}", testValues())
	if err != nil || !ok || v != "" {
		t.Fatalf("empty string expression: %#v %v %v", v, ok, err)
	}
	v, ok, err = e.RenderValue(context.Background(), "x", "${{ parameters.missing }}", testValues())
	if err != nil || ok || v != nil {
		t.Fatalf("undefined expression: %#v %v %v", v, ok, err)
	}
}

// A parameter value is data: quoted with dump it stays inside its YAML
// string whatever it contains, and RenderValue never reads rendered text as
// YAML or template text again.
func TestInjectionStaysInsideItsString(t *testing.T) {
	e := New(Options{})
	evil := "x\nkey: injected\nother: ${{ secrets.token }}"
	vals := Values{"parameters": map[string]any{"name": evil}, "secrets": map[string]any{"token": "tok"}}
	out, err := e.RenderString(context.Background(), "catalog-info.yaml", "name: ${{ parameters.name | dump }}\nkind: Component\n", vals)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("rendered YAML does not parse: %v\n%s", err, out)
	}
	if _, ok := doc["key"]; ok {
		t.Fatalf("a parameter injected a key:\n%s", out)
	}
	if doc["name"] != evil || doc["kind"] != "Component" || len(doc) != 2 {
		t.Fatalf("document changed: %#v", doc)
	}
	v, _, err := e.RenderValue(context.Background(), "input", map[string]any{"msg": "${{ parameters.name }}", "text": "a ${{ parameters.name }}"}, vals)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["msg"] != evil || m["text"] != "a "+evil {
		t.Fatalf("value was re-rendered or re-parsed: %#v", m)
	}
}

func TestSandboxRefusesFileAccess(t *testing.T) {
	e := New(Options{})
	for _, tmpl := range []string{
		`{% include "/etc/passwd" %}`,
		`{% import "macros.njk" as m %}`,
		`{% from "macros.njk" import f %}`,
		`{% extends "base.njk" %}`,
		"a\n{% macro f() %}{{ f() }}{% endmacro %}",
		`{% call f() %}{% endcall %}`,
	} {
		out, err := e.RenderString(context.Background(), "skeleton/x.txt", tmpl, nil)
		if err == nil {
			t.Fatalf("%q rendered %q", tmpl, out)
		}
		var te *Error
		if !errors.As(err, &te) || te.Template != "skeleton/x.txt" || !strings.Contains(err.Error(), "is refused") || !strings.Contains(err.Error(), "sandboxed") {
			t.Fatalf("%q: error %v does not say it is refused", tmpl, err)
		}
	}
}

func TestErrorsNameTemplateAndLine(t *testing.T) {
	e := New(Options{})
	cases := []struct{ tmpl, want string }{
		{"a\nb\n${{ parameters.name | nosuchfilter }}", "skeleton/app.yaml:3: filter not found: nosuchfilter"},
		{"a\n\n\n{% include 'x' %}", "skeleton/app.yaml:4: {% include %} is refused"},
		{"a\n${{ parameters.name.nosuchmethod() }}", "skeleton/app.yaml:2: "},
		{"${{ 'x' | parseEntityRef }}", `skeleton/app.yaml:1: parseEntityRef: entity reference "x" had missing or empty kind`},
		{"${{ 'gitlab.com?owner=a&repo=b' | parseRepoUrl }}", "parseRepoUrl: no integration is configured for host gitlab.com"},
		{"${{ 'github.com?repo=b' | parseRepoUrl }}", "missing owner"},
		{"{% if %}", "skeleton/app.yaml"},
		{"{% for x in %}{% endfor %}", "skeleton/app.yaml"},
		{"${{ (((( }}", "skeleton/app.yaml"},
	}
	for _, c := range cases {
		_, err := e.RenderString(context.Background(), "skeleton/app.yaml", c.tmpl, testValues())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%q: error %v, want it to contain %q", c.tmpl, err, c.want)
		}
		if strings.Contains(err.Error(), "&{<Token") || strings.Contains(err.Error(), "__output") {
			t.Fatalf("%q: error quotes engine internals: %v", c.tmpl, err)
		}
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	e := New(Options{})
	for _, tmpl := range []string{
		"${{ secrets.token.nosuchmethod() }}",
		"${{ secrets.token | parseEntityRef | dump }}",
		"${{ secrets.token | parseRepoUrl }}",
	} {
		_, err := e.RenderString(context.Background(), "t", tmpl, testValues())
		if err == nil {
			t.Fatalf("%q rendered", tmpl)
		}
		if strings.Contains(err.Error(), "tok-9f8e7d") {
			t.Fatalf("%q: secret in error: %v", tmpl, err)
		}
		_, _, err = e.RenderValue(context.Background(), "t", map[string]any{"a": tmpl}, testValues())
		if err == nil || strings.Contains(err.Error(), "tok-9f8e7d") {
			t.Fatalf("%q: RenderValue error %v", tmpl, err)
		}
	}
}

// Backstage's cookiecutterCompat mode (SecureTemplater.ts): {{ }}
// variables, jsonify as dump, and installJinjaCompat's True/False/None.
func TestCookiecutterCompatibility(t *testing.T) {
	e := New(Options{Cookiecutter: true})
	vals := Values{"cookiecutter": map[string]any{"name": "svc", "ci": true, "port": 8080}}
	got, err := e.RenderString(context.Background(), "setup.py", "name={{ cookiecutter.name | jsonify }} port={{ cookiecutter.port }}{% if cookiecutter.ci == True %} ci{% endif %} ${{ literal }}", vals)
	if err != nil {
		t.Fatal(err)
	}
	if want := `name="svc" port=8080 ci $`; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if _, err := New(Options{}).RenderString(context.Background(), "x", "${{ 'a' | jsonify }}", nil); err == nil {
		t.Fatal("jsonify exists outside cookiecutter mode")
	}
	v, ok, err := e.RenderValue(context.Background(), "x", "{{ cookiecutter.port }}", vals)
	if err != nil || !ok || v != 8080 {
		t.Fatalf("typed value in cookiecutter mode: %#v %v %v", v, ok, err)
	}
}

// The springboot-grpc sample template of backstage/software-templates,
// rendered as Backstage renders it: the fetch:template step's values with
// RenderValue, then the skeleton's catalog-info.yaml with them. The
// expected file follows from dump (JSON strings), the {%- if %} dropping
// the empty description, and + concatenating parseRepoUrl's parts.
func TestBackstageSampleSkeleton(t *testing.T) {
	dir := "../testdata/backstage/springboot-grpc-template/"
	raw, err := os.ReadFile(dir + "template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Spec struct {
			Steps []struct {
				ID    string         `yaml:"id"`
				Input map[string]any `yaml:"input"`
			} `yaml:"steps"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	if tpl.Spec.Steps[0].ID != "template" {
		t.Fatalf("first step is %q", tpl.Spec.Steps[0].ID)
	}
	e := New(Options{})
	params := Values{"parameters": map[string]any{
		"component_id":      "payments",
		"description":       "",
		"java_package_name": "io.acme.payments",
		"owner":             "group:default/team-a",
		"repoUrl":           "github.com?owner=acme&repo=payments",
	}}
	input, _, err := e.RenderValue(context.Background(), "template.yaml:steps.template.input", tpl.Spec.Steps[0].Input, params)
	if err != nil {
		t.Fatal(err)
	}
	values := input.(map[string]any)["values"].(map[string]any)
	if _, ok := values["description"]; !ok {
		t.Fatalf("description: a sole expression rendering \"\" is kept: %#v", values)
	}
	skeleton, err := os.ReadFile(dir + "skeleton/catalog-info.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.RenderString(context.Background(), "skeleton/catalog-info.yaml", string(skeleton), Values{"values": values})
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: "payments"
  annotations:
    github.com/project-slug: acme/payments
    backstage.io/techdocs-ref: dir:.
spec:
  type: service
  lifecycle: experimental
  owner: "group:default/team-a"
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// One Engine renders the same (cached) template concurrently with
// different values; each render sees its own values and loop state.
func TestConcurrentRenders(t *testing.T) {
	e := New(Options{})
	const tmpl = `{% set n = parameters.i * 2 %}{% for t in parameters.tags %}${{ t | upper }}${{ loop.index }}{% endfor %}-${{ n }}`
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals := Values{"parameters": map[string]any{"i": i, "tags": []any{"a", strconv.Itoa(i)}}}
			out, err := e.RenderString(context.Background(), "t", tmpl, vals)
			if want := "A1" + strconv.Itoa(i) + "2-" + strconv.Itoa(2*i); err == nil && out != want {
				err = fmt.Errorf("got %q want %q", out, want)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Values are JSON data as Backstage's JSON.stringify of the context makes
// them: structs by their JSON names, whole floats as integers; something
// JSON cannot hold is an error.
func TestValuesAreJSONData(t *testing.T) {
	e := New(Options{})
	type owner struct {
		Name string `json:"name"`
	}
	vals := Values{"parameters": map[string]any{"owner": owner{Name: "team-a"}, "n": 4.0, "names": []string{"a", "b"}, "labels": map[string]string{"k": "v"}}}
	out, err := e.RenderString(context.Background(), "t", "${{ parameters.owner.name }} ${{ parameters.n }} ${{ parameters.names | join }} ${{ parameters.labels.k }}", vals)
	if err != nil || out != "team-a 4 ab v" {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := e.RenderString(context.Background(), "t", "x", Values{"parameters": map[string]any{"c": make(chan int)}}); err == nil || !strings.Contains(err.Error(), "not JSON data") {
		t.Fatalf("channel value: %v", err)
	}
}

func TestConversions(t *testing.T) {
	for _, c := range []struct {
		v    any
		want bool
	}{
		{nil, false}, {false, false}, {"", false}, {0, false}, {int64(0), false}, {[]any{}, false},
		{true, true}, {"false", true}, {map[string]any{}, true}, {[]any{nil}, true}, {2.5, true},
	} {
		if got := IsTruthy(c.v); got != c.want {
			t.Errorf("IsTruthy(%#v) = %v, want %v", c.v, got, c.want)
		}
	}
	if got := Text([]any{"a", 3, 2.5, nil}); got != "a,3,2.5," {
		t.Errorf("Text(list) = %q", got)
	}
	if n, ok := Int(3.0); !ok || n != 3 {
		t.Errorf("Int(3.0) = %d, %v", n, ok)
	}
	if _, ok := Int(3.5); ok {
		t.Error("Int(3.5) is not a whole number")
	}
	if !Has("a {%- if x %}b{% endif %}") || !Has("${{ x }}") || Has("{{ x }}") {
		t.Error("Has misjudges template syntax")
	}
}

func TestSoleConditionalExpressionKeepsItsType(t *testing.T) {
	e := New(Options{})
	for _, c := range []struct {
		in   string
		want any
	}{
		{"${{ parameters.dir if parameters.dir else 'notes' }}", "notes"},
		{"${{ parameters.n if parameters.n else 3 }}", 3},
		{"${{ [parameters.dir] if parameters.dir else [] }}", []any{}},
		// Nunjucks: an inline if without else is "" when false (defined).
		{"${{ parameters.x if parameters.dir }}", ""},
		{"${{- parameters.dir -}}", ""},
	} {
		got, _, err := e.RenderValue(context.Background(), "x", c.in, Values{"parameters": map[string]any{"dir": ""}})
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
}
