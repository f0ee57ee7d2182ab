package template

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/bot"
)

func TestValidateValues(t *testing.T) {
	tpl, err := Load(os.DirFS("../../../examples/templates"), "new-db/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	ok := bot.Values{"name": {"orders-db"}, "owner": {"group:default/payments"}, "size": {"small"}, "storageGB": {"20"}, "highAvailability": {"false"}, "environments": {"dev", "prod"}}
	if errs := tpl.Pages.Validate(ok); errs != nil {
		t.Fatalf("valid values rejected: %v", errs)
	}
	for _, c := range []struct {
		field, value string
		values       []string
		want         string
	}{
		{field: "name", value: "Orders_DB", want: "use lower-case letters"},
		{field: "name", value: "-x-", want: "is not a valid name"},
		{field: "name", value: "a\"b\nc: d", want: "one line of text"},
		{field: "name", value: "x", want: "at least 3 characters"},
		{field: "storageGB", value: "5", want: "at least 10"},
		{field: "storageGB", value: "1001", want: "at most 1000"},
		{field: "environments", values: []string{"dev", "dev"}, want: "the same value twice"},
		{field: "environments", values: []string{"qa"}, want: "must be one of dev, staging, prod"},
	} {
		v := bot.Values{}
		for k, x := range ok {
			v[k] = x
		}
		if c.values != nil {
			v[c.field] = c.values
		} else {
			v[c.field] = []string{c.value}
		}
		errs := tpl.Pages.Validate(v)
		if !strings.Contains(errs[c.field], c.want) {
			t.Errorf("%s=%q: got %q, want %q", c.field, v[c.field], errs[c.field], c.want)
		}
	}
	params := tpl.Pages.Coerce(ok)
	if params["storageGB"] != int64(20) || params["highAvailability"] != false || len(params["environments"].([]any)) != 2 {
		t.Fatalf("coerced %#v", params)
	}
}

// TestDuplicateParameterRefused: a parameter declared on two pages (or
// twice on one) would make two form fields with one id, which Slack
// refuses; the template cannot be approved, and says which parameter. Found by
// checking FuzzLoadTemplate's unique-field property (regression seed:
// commands/paths/testdata/fuzz/FuzzLoadTemplate/regression-duplicate-parameter).
func TestDuplicateParameterRefused(t *testing.T) {
	for name, params := range map[string]string{
		"two pages": "    - properties: {n: {type: string}}\n    - properties: {n: {type: integer}}\n",
		"one page":  "    - properties: {n: {type: string}, m: {type: string}, n: {type: integer}}\n",
	} {
		m := "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: dup}\nspec:\n  owner: platform\n  parameters:\n" + params + "  steps: []\n"
		tpl, err := Load(fstest.MapFS{"t/template.yaml": {Data: []byte(m)}}, "t/template.yaml", "")
		if err != nil {
			t.Fatal(err)
		}
		probs := strings.Join(Check(tpl, map[string]StepChecker{}), "\n")
		if !strings.Contains(probs, "parameter n is declared") && !strings.Contains(probs, `mapping key "n" already defined`) || strings.Contains(probs, "parameter m") {
			t.Errorf("%s: problems %q, want the duplicate parameter n named", name, probs)
		}
	}
}

func TestDiffFiles(t *testing.T) {
	old := map[string][]byte{"template.yaml": []byte("a\nb\nc\nd\n"), "gone.txt": []byte("x\n")}
	cur := map[string][]byte{"template.yaml": []byte("a\nB\nc\nd\ne\n"), "new.txt": []byte("y\n")}
	d := DiffFiles(old, cur)
	for _, want := range []string{"--- a/gone.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x\n", "--- /dev/null\n+++ b/new.txt", "-b\n+B\n", "+e\n"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if DiffFiles(cur, cur) != "(no changes)" {
		t.Error("equal versions differ")
	}
}
