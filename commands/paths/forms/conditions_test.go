package forms

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
)

// loadParameters parses the parameters of a file in testdata.
func loadParameters(t *testing.T, name string) Pages {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	pages, probs := Parse(mapGet(doc.Content[0], "parameters"))
	if len(probs) > 0 {
		t.Fatalf("%s: %v", name, probs)
	}
	return pages
}

// fieldIDs lists a form's field ids, "*" marking Dispatch fields.
func fieldIDs(f *bot.Form) []string {
	var out []string
	for _, fd := range f.Fields {
		id := fd.ID
		if fd.Dispatch {
			id += "*"
		}
		out = append(out, id)
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Backstage's documented conditional fields: a dependency whose allOf holds
// an if/then. The controlling checkbox dispatches; its default (true) shows
// the conditional field when the form opens; unchecking hides it, and a
// hidden field neither is required nor reaches the parameters.
func TestBackstageConditionalExamples(t *testing.T) {
	for _, c := range []struct {
		file   string
		values bot.Values
		fields []string
		errs   bot.FieldErrors
		params []string
	}{
		{"backstage-conditional-field.yaml", nil, []string{"includeName*", "lastName"}, nil, nil},
		{"backstage-conditional-field.yaml", bot.Values{"includeName": {"true"}},
			[]string{"includeName*", "lastName"}, bot.FieldErrors{"lastName": "is required"}, []string{"includeName"}},
		{"backstage-conditional-field.yaml", bot.Values{"includeName": {"true"}, "lastName": {"Doe"}},
			[]string{"includeName*", "lastName"}, nil, []string{"includeName", "lastName"}},
		{"backstage-conditional-field.yaml", bot.Values{"includeName": {"false"}, "lastName": {"Doe"}},
			[]string{"includeName*"}, nil, []string{"includeName"}},
		{"backstage-conditional-ordering.yaml", nil,
			[]string{"includeName*", "lastName", "includeAddress*", "address"}, nil, nil},
		{"backstage-conditional-ordering.yaml", bot.Values{"includeName": {"false"}, "includeAddress": {"true"}},
			[]string{"includeName*", "includeAddress*", "address"}, bot.FieldErrors{"address": "is required"}, []string{"includeAddress", "includeName"}},
		{"backstage-conditional-ordering.yaml", bot.Values{"includeName": {"true"}, "lastName": {"Doe"}, "includeAddress": {"false"}, "address": {"Main St"}},
			[]string{"includeName*", "lastName", "includeAddress*"}, nil, []string{"includeAddress", "includeName", "lastName"}},
	} {
		pages := loadParameters(t, c.file)
		f := pages.Build("f", "t", "", Env{Values: c.values})
		if got := fieldIDs(f); !reflect.DeepEqual(got, c.fields) {
			t.Errorf("%s %v: fields %v, want %v", c.file, c.values, got, c.fields)
		}
		if f.Pages != nil {
			t.Errorf("%s: one schema page is one form page, got %v", c.file, f.Pages)
		}
		if c.values == nil {
			continue
		}
		if errs := pages.Validate(c.values); !reflect.DeepEqual(errs, c.errs) {
			t.Errorf("%s %v: errors %v, want %v", c.file, c.values, errs, c.errs)
		}
		if got := keys(pages.Coerce(c.values)); !reflect.DeepEqual(got, c.params) {
			t.Errorf("%s %v: parameters %v, want %v", c.file, c.values, got, c.params)
		}
	}
}

// A dependency with oneOf branches: the engine chosen decides the fields,
// the engine field dispatches, a branch's required applies only while the
// branch does, and the other branch's values do not reach the parameters.
func TestOneOfDependencyShowsTheChosenBranch(t *testing.T) {
	pages := loadParameters(t, "oneof-dependency.yaml")
	repo := []string{"repoUrl.owner", "repoUrl.repo", "adminPassword"}
	for _, c := range []struct {
		engine string
		fields []string
	}{
		{"", []string{"name", "engine*", "contact"}},
		{"postgres", []string{"name", "engine*", "contact", "version", "storageGb"}},
		{"redis", []string{"name", "engine*", "contact", "evictionPolicy"}},
		{"mysql", []string{"name", "engine*", "contact"}},
	} {
		v := bot.Values{}
		if c.engine != "" {
			v["engine"] = []string{c.engine}
		}
		f := pages.Build("f", "Database", "", Env{Values: v, Owners: []string{"group:default/payments"}})
		want := append(append([]string(nil), c.fields...), repo...)
		if got := fieldIDs(f); !reflect.DeepEqual(got, want) {
			t.Errorf("engine %q: fields %v, want %v", c.engine, got, want)
		}
		// Conditional fields keep the schema's pages.
		if !reflect.DeepEqual(f.Pages, []string{"Database", "Where"}) || f.Field("repoUrl.repo").Page != 1 || f.Field("name").Page != 0 {
			t.Errorf("engine %q: pages %v", c.engine, f.Pages)
		}
	}
	pg := bot.Values{"name": {"orders-db"}, "engine": {"postgres"}, "repoUrl.owner": {"payments"}, "repoUrl.repo": {"orders-db"}}
	if errs := pages.Validate(pg); !reflect.DeepEqual(errs, bot.FieldErrors{"version": "is required"}) {
		t.Errorf("postgres without version: %v", errs)
	}
	pg["version"] = []string{"16"}
	pg["evictionPolicy"] = []string{"noeviction"} // left from an earlier choice
	if errs := pages.Validate(pg); errs != nil {
		t.Errorf("postgres: %v", errs)
	}
	params := pages.Coerce(pg)
	if !reflect.DeepEqual(keys(params), []string{"engine", "name", "repoUrl", "storageGb", "version"}) || params["storageGb"] != int64(20) {
		t.Errorf("postgres parameters %#v", params)
	}
	redis := bot.Values{"name": {"cache"}, "engine": {"redis"}, "version": {"16"}, "evictionPolicy": {"sometimes"}, "repoUrl.owner": {"payments"}, "repoUrl.repo": {"cache"}}
	if errs := pages.Validate(redis); !reflect.DeepEqual(errs, bot.FieldErrors{"evictionPolicy": "must be one of allkeys-lru, noeviction"}) {
		t.Errorf("redis: %v", errs)
	}
}

// Conditions read the typed values: an if on a number, else branches, and
// a property that appears bringing its own dependency.
func TestIfThenElseAndChainedConditions(t *testing.T) {
	pages, probs := parseYAML(t, `
properties:
  replicas: {type: integer, default: 1}
  ha: {type: boolean}
if:
  properties:
    replicas: {minimum: 3}
then:
  properties:
    zone: {type: string, enum: [a, b]}
  required: [zone]
else:
  properties:
    reason: {type: string, title: Why one replica}
dependencies:
  zone:
    oneOf:
      - properties:
          zone: {const: a}
          rack: {type: string}
      - properties:
          zone: {const: b}
`)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, c := range []struct {
		values bot.Values
		fields []string
	}{
		{nil, []string{"replicas*", "ha", "reason"}},
		{bot.Values{"replicas": {"5"}}, []string{"replicas*", "ha", "zone*"}},
		{bot.Values{"replicas": {"5"}, "zone": {"a"}}, []string{"replicas*", "ha", "zone*", "rack"}},
		{bot.Values{"replicas": {"2"}, "zone": {"a"}}, []string{"replicas*", "ha", "reason"}},
	} {
		if got := fieldIDs(pages.Build("f", "t", "", Env{Values: c.values})); !reflect.DeepEqual(got, c.fields) {
			t.Errorf("%v: fields %v, want %v", c.values, got, c.fields)
		}
	}
	if errs := pages.Validate(bot.Values{"replicas": {"4"}}); errs["zone"] != "is required" {
		t.Errorf("errors %v", errs)
	}
}

// A page-level anyOf shows every alternative's fields; values fitting none
// are refused on the first field of the page.
func TestAnyOfAlternatives(t *testing.T) {
	pages, probs := parseYAML(t, `
properties:
  age: {type: integer, title: Age}
anyOf:
  - title: First method of identification
    properties:
      firstName: {type: string, title: First name, default: Chuck}
      lastName: {type: string, title: Last name}
    required: [lastName]
  - title: Second method of identification
    properties:
      idCode: {type: string, title: ID code}
    required: [idCode]
`)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	f := pages.Form("f", "t", "", nil)
	if got := fieldIDs(f); !reflect.DeepEqual(got, []string{"age", "firstName", "lastName", "idCode"}) {
		t.Fatalf("fields %v", got)
	}
	if errs := pages.Validate(bot.Values{"age": {"3"}, "idCode": {"X1"}}); errs != nil {
		t.Errorf("idCode alone fits the second alternative: %v", errs)
	}
	errs := pages.Validate(bot.Values{"age": {"3"}})
	if len(errs) != 1 || !strings.Contains(errs["lastName"]+errs["idCode"], "is required") {
		t.Errorf("no alternative: %v", errs)
	}
}
