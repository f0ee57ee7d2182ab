package forms

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
)

// JSON Schema patterns match anywhere unless anchored; Field.Pattern must
// match the whole text.
func TestFieldPattern(t *testing.T) {
	for _, c := range []struct {
		pattern string
		match   []string
		refuse  []string
	}{
		{`^[a-z]+$`, []string{"abc"}, []string{"ab1", ""}},
		{`db$`, []string{"orders-db", "db"}, []string{"db-orders"}},
		{`^a|b$`, []string{"a", "ax", "xb"}, []string{"xa", "bx"}},
		{`[0-9]`, []string{"a1b"}, []string{"abc"}},
		{`^cost\$$`, []string{"cost$"}, []string{"cost"}},
	} {
		fp := fieldPattern(c.pattern)
		re := regexp.MustCompile("^(?:" + fp + ")$") // as bot.Field.Check does
		for _, s := range c.match {
			if !re.MatchString(s) {
				t.Errorf("%s → %s refuses %q", c.pattern, fp, s)
			}
		}
		for _, s := range c.refuse {
			if re.MatchString(s) {
				t.Errorf("%s → %s accepts %q", c.pattern, fp, s)
			}
		}
	}
	if got := fieldPattern(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`); got != `[a-z0-9]([-a-z0-9]*[a-z0-9])?` {
		t.Errorf("anchors not stripped: %s", got)
	}
}

func parseYAML(t *testing.T, src string) (Pages, []string) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return Parse(n.Content[0])
}

func mustParse(t *testing.T, src string) Pages {
	t.Helper()
	pages, probs := parseYAML(t, src)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return pages
}

// Parameters parsed on their own: ui:order, required, hidden, the form
// they make, what a submission is checked against, and its typed values
// before and after a JSON round trip.
func TestParseFormValidateCoerce(t *testing.T) {
	pages := mustParse(t, `
- title: One
  required: [name]
  ui:order: [size, name]
  properties:
    name: {type: string, ui:field: EntityNamePicker}
    size: {type: integer, minimum: 1, default: 2}
- properties:
    owner: {type: string, ui:field: OwnerPicker}
    secret: {type: string, ui:widget: hidden, default: x}
`)
	var names []string
	for _, p := range pages.Properties() {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "size,name,owner,secret" {
		t.Fatalf("properties %v", names)
	}
	if pages.NameProperty().Name != "name" || pages.OwnerProperty().Name != "owner" {
		t.Fatalf("name %v, owner %v", pages.NameProperty(), pages.OwnerProperty())
	}
	f := pages.Form("f", "A title longer than Slack allows", "intro", []string{"group:default/payments"})
	if len([]rune(f.Title)) > MaxTitle || len(f.Fields) != 3 || f.Field("secret") != nil {
		t.Fatalf("form %+v", f)
	}
	if f.Pages != nil {
		t.Errorf("three fields on two pages fit one: %v", f.Pages)
	}
	if o := f.Field("owner"); o.Default != "group:default/payments" || o.Options[0].Label != "payments" {
		t.Errorf("owner field %+v", o)
	}
	if n := f.Field("name"); !n.Required || n.Pattern != EntityNamePattern || n.MaxLen != 63 {
		t.Errorf("name field %+v", n)
	}
	if errs := pages.Validate(bot.Values{"name": {"-bad-"}, "size": {"0"}}); !strings.Contains(errs["name"], "not a valid name") || errs["size"] != "must be at least 1" {
		t.Errorf("errors %v", errs)
	}
	if errs := pages.Validate(bot.Values{"name": {"orders-db"}, "size": {"3"}}); errs != nil {
		t.Errorf("valid values refused: %v", errs)
	}
	params := pages.Coerce(bot.Values{"name": {" orders-db "}, "size": {"3"}})
	if params["name"] != "orders-db" || params["size"] != int64(3) || params["secret"] != "x" {
		t.Fatalf("coerced %#v", params)
	}
	params["size"] = float64(3)
	pages.Retype(params)
	if params["size"] != int64(3) {
		t.Errorf("retyped %#v", params["size"])
	}
}

// Schema problems are template problems naming the parameter and line.
func TestParseProblems(t *testing.T) {
	_, probs := parseYAML(t, `
- properties: {n: {type: string}, o: {type: object}}
- properties:
    n: {type: integer}
    p: {type: string, pattern: '('}
    q: {type: integer, minimum: low}
`)
	got := strings.Join(probs, "\n")
	for _, want := range []string{
		"parameter n is declared on 2 pages",
		"parameter o (line 2): objects are not supported",
		"parameter p (line 5): pattern: '(' is not valid regex",
		"parameter q (line 6): minimum: got string, want number",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if IsDNSLabel(strings.Repeat("a", 64)) || !IsDNSLabel("orders-db") || IsDNSLabel("-x") {
		t.Error("IsDNSLabel")
	}
	_, probs = parseYAML(t, `
properties:
  repo: {type: string, ui:field: RepoUrlPicker}
  repo.owner: {type: string}
  tok: {type: integer, ui:widget: password}
`)
	got = strings.Join(probs, "\n")
	for _, want := range []string{"repo.owner (line 4): its name is taken by a field of the RepoUrlPicker repo", "tok (line 5): a secret"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

// Submissions are validated by the compiled schema, each error on the
// field it concerns, in words.
func TestValidateMessages(t *testing.T) {
	pages := mustParse(t, `
required: [email]
properties:
  email: {type: string, format: email, title: Email}
  site: {type: string, format: uri}
  day: {type: string, format: date}
  slug: {type: string, pattern: '^[a-z]+$', ui:options: {patternHint: lower-case letters}}
  code: {type: string, pattern: '^[A-Z]{3}$'}
  short: {type: string, minLength: 3, maxLength: 5}
  tier: {type: string, enum: [gold, silver]}
  cpus: {type: integer, minimum: 1, maximum: 8}
  ratio: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 1}
  tags: {type: array, items: {type: string, pattern: '^[a-z]+$'}, minItems: 2, uniqueItems: true}
  notes: {type: string, ui:widget: textarea}
  title: {type: string}
`)
	for _, c := range []struct {
		id, value, want string
	}{
		{"email", "not-an-email", "must be an email address"},
		{"site", "not a url", "must be a URL (like https://example.com/path)"},
		{"day", "31/05/2024", "must be a date (like 2024-05-31)"},
		{"slug", "Bad", "must match ^[a-z]+$ (lower-case letters)"},
		{"code", "ab", "must match ^[A-Z]{3}$"},
		{"short", "ab", "must be at least 3 characters"},
		{"short", "abcdef", "must be at most 5 characters"},
		{"tier", "bronze", "must be one of gold, silver"},
		{"cpus", "9", "must be at most 8"},
		{"cpus", "1.5", "must be a whole number"},
		{"ratio", "2.5", "must be less than 1"},
		{"ratio", "x", "must be a number"},
		{"ratio", "NaN", "must be a number"},
		{"cpus", "Inf", "must be a whole number"},
		{"tags", "abc", "needs at least 2"},
		{"tags", "abc\nabc", "lists the same value twice (items 1 and 2)"},
		{"tags", "abc\nB1", "item 2 must match ^[a-z]+$"},
		{"title", "two\nlines", "must be one line of text"},
	} {
		v := bot.Values{"email": {"a@example.com"}, c.id: {c.value}}
		errs := pages.Validate(v)
		if errs[c.id] != c.want || len(errs) != 1 {
			t.Errorf("%s=%q: %v, want %q", c.id, c.value, errs, c.want)
		}
		if strings.Contains(errs[c.id], c.value) {
			t.Errorf("%s: the message repeats the value: %q", c.id, errs[c.id])
		}
	}
	if errs := pages.Validate(bot.Values{"notes": {"two\nlines\n"}}); !reflect.DeepEqual(errs, bot.FieldErrors{"email": "is required"}) {
		t.Errorf("errors %v", errs)
	}
	ok := bot.Values{"email": {"a@example.com"}, "site": {"https://example.com"}, "day": {"2024-05-31"}, "slug": {"abc"},
		"short": {"abcd"}, "tier": {"gold"}, "cpus": {"8"}, "ratio": {"0.5"}, "tags": {"a\nb"}, "notes": {"x\ny"}, "title": {"t"}}
	if errs := pages.Validate(ok); errs != nil {
		t.Errorf("valid values refused: %v", errs)
	}
	params := pages.Coerce(ok)
	if params["cpus"] != int64(8) || params["ratio"] != 0.5 || !reflect.DeepEqual(params["tags"], []any{"a", "b"}) || params["notes"] != "x\ny" {
		t.Errorf("parameters %#v", params)
	}
	f := pages.Form("f", "t", "", nil)
	if f.Field("notes").Kind != bot.FieldLongText || f.Field("title").Kind != bot.FieldText || f.Field("slug").PatternHint != "must match ^[a-z]+$ (lower-case letters)" {
		t.Errorf("fields %+v", f.Fields)
	}
}

// An error no field explains (here a page-level not) goes to the page's
// first field.
func TestPageLevelErrorGoesToFirstField(t *testing.T) {
	pages := mustParse(t, `
properties:
  a: {type: string}
  b: {type: string}
not:
  required: [a, b]
`)
	if errs := pages.Validate(bot.Values{"a": {"x"}, "b": {"y"}}); !reflect.DeepEqual(errs, bot.FieldErrors{"a": "is not allowed"}) {
		t.Errorf("errors %v", errs)
	}
	// A hidden property has no field: the first says what is wrong with it.
	pages = mustParse(t, `
properties:
  a: {type: string}
  region: {type: string, ui:widget: hidden, default: EU, pattern: '^[a-z]+$'}
`)
	if errs := pages.Validate(bot.Values{"a": {"x"}}); !reflect.DeepEqual(errs, bot.FieldErrors{"a": "region must match ^[a-z]+$"}) {
		t.Errorf("errors %v", errs)
	}
	// A page built by hand is its properties.
	hand := Pages{{Title: "Hand", Properties: []*Property{{Name: "x", Type: "string", Required: true}}}}
	if f := hand.Form("f", "t", "", nil); len(f.Fields) != 1 || f.Fields[0].ID != "x" || !f.Fields[0].Required {
		t.Errorf("hand-built form %+v", f.Fields)
	}
}

// ui:widget password and ui:field Secret are secret fields; their values
// come back apart from the parameters, and validation messages never show
// them.
func TestSecrets(t *testing.T) {
	pages := loadParameters(t, "oneof-dependency.yaml")
	pages = append(pages, mustParse(t, `
properties:
  token: {type: string, ui:field: Secret}
`)...)
	if got := pages.SecretNames(); !reflect.DeepEqual(got, []string{"adminPassword", "token"}) {
		t.Fatalf("secrets %v", got)
	}
	f := pages.Form("f", "t", "", []string{"group:default/payments"})
	if f.Field("adminPassword").Kind != bot.FieldSecret || f.Field("token").Kind != bot.FieldSecret || f.Field("adminPassword").MinLen != 12 {
		t.Errorf("fields %+v %+v", f.Field("adminPassword"), f.Field("token"))
	}
	v := bot.Values{"name": {"orders-db"}, "engine": {"redis"}, "repoUrl.owner": {"payments"}, "repoUrl.repo": {"orders-db"},
		"adminPassword": {"hunter2"}, "token": {"s3cr3t-token\n"}}
	errs := pages.Validate(v)
	if !reflect.DeepEqual(errs, bot.FieldErrors{"adminPassword": "must be at least 12 characters"}) {
		t.Errorf("errors %v", errs)
	}
	v["adminPassword"] = []string{"correct horse battery"}
	if errs := pages.Validate(v); errs != nil {
		t.Errorf("errors %v", errs)
	}
	params := pages.Coerce(v)
	if _, ok := params["adminPassword"]; ok {
		t.Errorf("a secret is among the parameters: %v", keys(params))
	}
	if _, ok := params["token"]; ok {
		t.Errorf("a secret is among the parameters: %v", keys(params))
	}
	if got := pages.Secrets(v); !reflect.DeepEqual(got, map[string]string{"adminPassword": "correct horse battery", "token": "s3cr3t-token"}) {
		t.Errorf("secrets %v", got)
	}
}

// The RepoUrlPicker is an owner select (allowedOwners, else the user's
// teams), a repository text field and, when several are allowed, a host
// select; its parameter is Backstage's "host?owner=o&repo=r", and its
// problems land on the sub-field concerned.
func TestRepoUrlPicker(t *testing.T) {
	pages := mustParse(t, `
required: [repoUrl]
properties:
  repoUrl:
    title: Repository
    type: string
    ui:field: RepoUrlPicker
`)
	f := pages.Form("f", "t", "", []string{"group:default/payments", "group:default/search"})
	if got := fieldIDs(f); !reflect.DeepEqual(got, []string{"repoUrl.owner", "repoUrl.repo"}) {
		t.Fatalf("fields %v", got)
	}
	owner := f.Field("repoUrl.owner")
	if owner.Kind != bot.FieldSelect || owner.Default != "payments" || len(owner.Options) != 2 || owner.Options[1].Value != "search" || !owner.Required {
		t.Errorf("owner %+v", owner)
	}
	v := bot.Values{"repoUrl.owner": {"o"}, "repoUrl.repo": {"r"}}
	if errs := pages.Validate(v); errs != nil {
		t.Errorf("errors %v", errs)
	}
	if got := pages.Coerce(v)["repoUrl"]; got != "github.com?owner=o&repo=r" {
		t.Errorf("repoUrl %q", got)
	}
	if got := pages.Coerce(bot.Values{"repoUrl": {"github.com?repo=r&owner=o"}})["repoUrl"]; got != "github.com?owner=o&repo=r" {
		t.Errorf("whole value %q", got)
	}
	for _, c := range []struct {
		values bot.Values
		errs   bot.FieldErrors
	}{
		{bot.Values{}, bot.FieldErrors{"repoUrl.owner": "is required", "repoUrl.repo": "is required"}},
		{bot.Values{"repoUrl.owner": {"o"}}, bot.FieldErrors{"repoUrl.repo": "is required"}},
		{bot.Values{"repoUrl.owner": {"o"}, "repoUrl.repo": {"no spaces"}}, bot.FieldErrors{"repoUrl.repo": repoHint}},
		{bot.Values{"repoUrl": {"gitlab.com?owner=o&repo=r"}}, bot.FieldErrors{"repoUrl.repo": "must be on github.com"}},
	} {
		if errs := pages.Validate(c.values); !reflect.DeepEqual(errs, c.errs) {
			t.Errorf("%v: errors %v, want %v", c.values, errs, c.errs)
		}
	}

	pages = mustParse(t, `
properties:
  repoUrl:
    type: string
    ui:field: RepoUrlPicker
    ui:options:
      allowedHosts: [github.com, ghe.example.com]
      allowedOwners: [acme]
      allowedRepos: [svc-a, svc-b]
`)
	f = pages.Form("f", "t", "", []string{"group:default/payments"})
	if got := fieldIDs(f); !reflect.DeepEqual(got, []string{"repoUrl.host", "repoUrl.owner", "repoUrl.repo"}) {
		t.Fatalf("fields %v", got)
	}
	if o := f.Field("repoUrl.owner"); o.Default != "acme" || len(o.Options) != 1 {
		t.Errorf("owner %+v", o)
	}
	if r := f.Field("repoUrl.repo"); r.Kind != bot.FieldSelect || len(r.Options) != 2 {
		t.Errorf("repo %+v", r)
	}
	v = bot.Values{"repoUrl.host": {"ghe.example.com"}, "repoUrl.owner": {"payments"}, "repoUrl.repo": {"svc-c"}}
	if errs := pages.Validate(v); !reflect.DeepEqual(errs, bot.FieldErrors{"repoUrl.owner": "must be one of acme", "repoUrl.repo": "must be one of svc-a, svc-b"}) {
		t.Errorf("errors %v", errs)
	}
	v = bot.Values{"repoUrl.host": {"ghe.example.com"}, "repoUrl.owner": {"acme"}, "repoUrl.repo": {"svc-b"}}
	if got := pages.Coerce(v)["repoUrl"]; got != "ghe.example.com?owner=acme&repo=svc-b" {
		t.Errorf("repoUrl %q", got)
	}
}

// Several schema pages stay pages when the form is too long for one; every
// page is checked (the router keeps the errors of the pages so far).
func TestPages(t *testing.T) {
	var b strings.Builder
	b.WriteString("- title: First\n  required: [f0]\n  properties:\n")
	for i := range 7 {
		b.WriteString("    f" + string(rune('0'+i)) + ": {type: string}\n")
	}
	b.WriteString("- title: Second\n  required: [s0]\n  properties:\n")
	for i := range 7 {
		b.WriteString("    s" + string(rune('0'+i)) + ": {type: string}\n")
	}
	pages := mustParse(t, b.String())
	f := pages.Form("f", "t", "", nil)
	if !reflect.DeepEqual(f.Pages, []string{"First", "Second"}) || f.Field("f6").Page != 0 || f.Field("s0").Page != 1 {
		t.Fatalf("pages %v", f.Pages)
	}
	if errs := pages.Validate(bot.Values{"f0": {"x"}}); !reflect.DeepEqual(errs, bot.FieldErrors{"s0": "is required"}) || f.Field("s0").Page != 1 {
		t.Errorf("errors %v", errs)
	}
	if errs := pages.Validate(bot.Values{"f0": {"x"}, "s0": {"y"}}); errs != nil {
		t.Errorf("both pages: %v", errs)
	}
}

// A value outside its enum is told so, even when a oneOf dependency on the
// same field fails too.
func TestEnumErrorBeforeBranchErrors(t *testing.T) {
	pages := mustParse(t, `
properties:
  kind: {type: string, enum: [a, b]}
dependencies:
  kind:
    oneOf:
      - properties: {kind: {const: a}, x: {type: string}}
      - properties: {kind: {const: b}, y: {type: string}}
`)
	errs := pages.Validate(bot.Values{"kind": {"c"}})
	if !strings.Contains(errs["kind"], "must be one of a, b") {
		t.Fatalf("errors %v", errs)
	}
}
