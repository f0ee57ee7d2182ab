package forms

import (
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

// Parameters parsed on their own: ui:order, required, hidden, the form
// they make, what a submission is checked against, and its typed values
// before and after a JSON round trip.
func TestParseFormValidateCoerce(t *testing.T) {
	pages, probs := parseYAML(t, `
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
	if len(probs) > 0 {
		t.Fatal(probs)
	}
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
	if o := f.Field("owner"); o.Default != "group:default/payments" || o.Options[0].Label != "payments" {
		t.Errorf("owner field %+v", o)
	}
	if errs := pages.Validate(bot.Values{"name": {"Bad_Name"}, "size": {"0"}}); errs["name"] == "" || errs["size"] != "must be at least 1" {
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

func TestParseProblems(t *testing.T) {
	_, probs := parseYAML(t, `
- properties: {n: {type: string}, o: {type: object}}
- properties: {n: {type: integer}, p: {type: string, pattern: '('}}
`)
	got := strings.Join(probs, "\n")
	for _, want := range []string{"parameter n is declared 2 times", "objects are not supported", "pattern \"(\" is not supported"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if IsDNSLabel(strings.Repeat("a", 64)) || !IsDNSLabel("orders-db") || IsDNSLabel("-x") {
		t.Error("IsDNSLabel")
	}
}
