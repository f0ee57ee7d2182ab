package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
	"github.com/platbot/platbot/commands/paths/template"
)

const flagPath = "teams/reports/flags/reports-etl.flagd.json"

// existingFlags is a flag file as a team keeps it: a flag, a shared
// evaluator and flag-set metadata.
const existingFlags = `{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "metadata": {"flagSetId": "reports-etl"},
  "$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@acme.com"]}},
  "flags": {
    "dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
      "targeting": {"if": [{"$ref": "staff"}, "on", "off"]}}
  }
}
`

func flagAction(t *testing.T, files cronFiles) featureFlagAction {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("reports"), catalogtest.Group("payments"),
		catalogtest.Component("reports-etl", "reports"),
		catalogtest.Component("orders-service", "payments"),
	)
	d := actions.Deps{Catalog: cat}
	if files != nil {
		d.GitOpsFiles = files
	}
	return featureFlagAction{d: d}
}

// flagStep is the step as the template fills it, each input from the
// parameter of the same name.
func flagStep(over map[string]any) *actions.StepContext {
	in := map[string]any{"key": "new-export", "owner": "group:default/reports", "service": "reports-etl",
		"type": "boolean", "defaultVariant": "off", "state": "ENABLED", "rule": "none", "rolloutVariant": "on", "rolloutPercent": 10}
	for k, v := range over {
		in[k] = v
	}
	raw := map[string]any{}
	for _, k := range []string{"key", "owner", "service", "description", "type", "variants", "defaultVariant", "state", "rule", "rolloutVariant", "rolloutPercent", "emailDomain", "format"} {
		raw[k] = "${{ parameters." + k + " }}"
	}
	return &actions.StepContext{Run: actions.Run{ID: "r1", Owner: "group:default/reports"}, StepKey: "flag",
		Input: in, RawInput: raw, Files: map[string]string{}, Executable: map[string]bool{}}
}

// strictFlags decodes a flag file into its types, refusing unknown fields.
type strictFile struct {
	Schema     string                     `json:"$schema"`
	Metadata   map[string]any             `json:"metadata"`
	Evaluators map[string]json.RawMessage `json:"$evaluators"`
	Flags      map[string]struct {
		State          string                     `json:"state"`
		Variants       map[string]json.RawMessage `json:"variants"`
		DefaultVariant string                     `json:"defaultVariant"`
		Targeting      json.RawMessage            `json:"targeting"`
		Metadata       map[string]any             `json:"metadata"`
	} `json:"flags"`
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "not JSON: " + err.Error()
	}
	return b.String()
}

func decodeFlags(t *testing.T, content string) strictFile {
	t.Helper()
	if err := ValidateFlagd([]byte(content)); err != nil {
		t.Fatalf("flagd's schema refuses the file: %v\n%s", err, content)
	}
	var f strictFile
	dec := json.NewDecoder(strings.NewReader(content))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("decode: %v\n%s", err, content)
	}
	return f
}

// A flag joins the service's existing file (its flags, evaluators and
// metadata kept); the file passes flagd's schema and reads back typed.
func TestFeatureFlagJoinsTheServiceFile(t *testing.T) {
	a := flagAction(t, cronFiles{flagPath: existingFlags})
	sc := flagStep(map[string]any{"rule": "percentage", "rolloutPercent": 25, "description": "The new export format"})
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if out["path"] != flagPath || out["rule"] != "25% of users (by targeting key) get on, the others off" || out["variants"] != "off, on" {
		t.Fatalf("outputs %v", out)
	}
	f := decodeFlags(t, sc.Files[flagPath])
	if f.Schema != FlagdSchemaURL || f.Metadata["flagSetId"] != "reports-etl" || len(f.Evaluators) != 1 || len(f.Flags) != 2 {
		t.Fatalf("file lost what it had:\n%s", sc.Files[flagPath])
	}
	if compact(f.Flags["dark-mode"].Targeting) != `{"if":[{"$ref":"staff"},"on","off"]}` {
		t.Errorf("dark-mode changed: %s", f.Flags["dark-mode"].Targeting)
	}
	nf := f.Flags["new-export"]
	if nf.State != "ENABLED" || nf.DefaultVariant != "off" || string(nf.Variants["on"]) != "true" || string(nf.Variants["off"]) != "false" ||
		compact(nf.Targeting) != `{"fractional":[["on",25],["off",75]]}` || nf.Metadata["description"] != "The new export format" || nf.Metadata["owner"] != "group:default/reports" {
		t.Fatalf("new flag %+v", nf)
	}

	// Done again (a retry), the step finds its own flag and writes the same.
	again := sc.Files[flagPath]
	if _, err := a.Run(context.Background(), sc); err != nil || sc.Files[flagPath] != again {
		t.Fatalf("retry: %v", err)
	}
}

// A string flag with an email-domain rule, as the service's first flag.
func TestFeatureFlagEmailDomainRule(t *testing.T) {
	a := flagAction(t, cronFiles{})
	sc := flagStep(map[string]any{"key": "checkout.color", "type": "string", "variants": "red=#ff0000\nblue = #0000ff\n", "defaultVariant": "red",
		"rule": "emailDomain", "rolloutVariant": "blue", "emailDomain": "@Acme.com"})
	pl, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	f := decodeFlags(t, sc.Files[flagPath])
	nf := f.Flags["checkout.color"]
	if string(nf.Variants["blue"]) != `"#0000ff"` || compact(nf.Targeting) != `{"if":[{"ends_with":[{"var":"email"},"@acme.com"]},"blue","red"]}` {
		t.Fatalf("flag %+v / %s", nf, nf.Targeting)
	}
	if !strings.Contains(pl.Effects[0], "users whose email ends with @acme.com get blue, the others red") {
		t.Errorf("plan %v", pl.Effects)
	}
	sc = flagStep(map[string]any{"type": "number", "variants": "low=0.5\nhigh=2", "defaultVariant": "low"})
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	if v := decodeFlags(t, sc.Files[flagPath]).Flags["new-export"].Variants["low"]; string(v) != "0.5" {
		t.Fatalf("number variant %s", v)
	}
}

// Bad values and a key the file already has are field errors on the
// parameter that filled them, and nothing is written.
func TestFeatureFlagRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, field, want string
		over              map[string]any
	}{
		{"duplicate key", "key", "reports-etl already has a flag dark-mode (" + flagPath + "); pick another key", map[string]any{"key": "dark-mode"}},
		{"bad key", "key", "is not a flag key", map[string]any{"key": "Dark Mode"}},
		{"default not a variant", "defaultVariant", `"maybe" is not one of the variants (on, off)`, map[string]any{"defaultVariant": "maybe"}},
		{"one variant", "variants", "at least two variants", map[string]any{"type": "string", "variants": "a=1", "defaultVariant": "a"}},
		{"not a number", "variants", `"x" is not a number`, map[string]any{"type": "number", "variants": "a=1\nb=x", "defaultVariant": "a"}},
		{"same variant twice", "variants", "names the variant a again", map[string]any{"type": "string", "variants": "a=1\na=2", "defaultVariant": "a"}},
		{"rollout of the default", "rolloutVariant", "already the default variant", map[string]any{"rule": "percentage", "rolloutVariant": "off"}},
		{"bad domain", "emailDomain", "is not an email domain", map[string]any{"rule": "emailDomain", "emailDomain": "acme"}},
		{"other team's service", "service", "owned by group:default/payments", map[string]any{"service": "orders-service"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := flagAction(t, cronFiles{flagPath: existingFlags})
			sc := flagStep(tc.over)
			sc.DryRun = true
			_, err := a.Plan(context.Background(), sc)
			var fe bot.FieldErrors
			if err == nil || !errors.As(err, &fe) || !strings.Contains(fe[tc.field], tc.want) {
				t.Fatalf("error %v (fields %v), want %s: %q", err, fe, tc.field, tc.want)
			}
			if len(sc.Files) != 0 {
				t.Fatalf("wrote %v", sc.Files)
			}
		})
	}
}

// flagd's schema is really applied: files it refuses are refused.
func TestValidateFlagdRefusesWhatTheSchemaDoes(t *testing.T) {
	for name, doc := range map[string]string{
		"no state":      `{"flags": {"f": {"variants": {"on": true}, "defaultVariant": "on"}}}`,
		"mixed types":   `{"flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": "no"}, "defaultVariant": "on"}}}`,
		"bad state":     `{"flags": {"f": {"state": "ON", "variants": {"on": true}, "defaultVariant": "on"}}}`,
		"bad targeting": `{"flags": {"f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on", "targeting": {"fractional": [["on", -1]]}}}}`,
		"no flags":      `{"$schema": "https://flagd.dev/schema/v0/flags.json"}`,
	} {
		if err := ValidateFlagd([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := ValidateFlagd([]byte(existingFlags)); err != nil {
		t.Errorf("a valid file: %v", err)
	}
	// The file on the base branch that is not a flag file stops the step.
	a := flagAction(t, cronFiles{flagPath: "not json"})
	if _, err := a.Plan(context.Background(), flagStep(nil)); err == nil || !strings.Contains(err.Error(), "is not a flagd flag file") {
		t.Fatalf("broken file: %v", err)
	}
}

func TestFeatureFlagCheck(t *testing.T) {
	probs := featureFlagAction{}.Check(nil, template.StepSpec{Input: map[string]any{"key": "x"}})
	if got := strings.Join(probs, "\n"); !strings.Contains(got, "input.service is missing") || !strings.Contains(got, "input.defaultVariant is missing") {
		t.Fatalf("Check: %s", got)
	}
	if probs := (featureFlagAction{}).Check(nil, template.StepSpec{Input: map[string]any{"key": "k", "service": "s", "owner": "o", "type": "boolean", "defaultVariant": "off"}}); len(probs) != 0 {
		t.Fatalf("a good step: %v", probs)
	}
}

const operatorCRD = "testdata/crds/open-feature-operator/core.openfeature.dev_featureflags.yaml"

// With format featureflag the flag joins the service's OpenFeature
// Operator FeatureFlag resource; its flag set passes flagd's schema and the
// resource a server-side dry run with the operator's CRD installed.
func TestFeatureFlagOperatorResource(t *testing.T) {
	const crPath = "teams/reports/flags/reports-etl.featureflag.yaml"
	a := flagAction(t, cronFiles{})
	sc := flagStep(map[string]any{"format": "featureflag", "rule": "emailDomain", "emailDomain": "acme.com"})
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	first := sc.Files[crPath]
	if out["path"] != crPath || out["format"] != "featureflag" || first == "" {
		t.Fatalf("outputs %v, files %v", out, sc.Files)
	}
	// Merged, the next flag joins the same resource.
	a = flagAction(t, cronFiles{crPath: first})
	sc = flagStep(map[string]any{"format": "featureflag", "key": "second", "type": "number", "variants": "a=1\nb=2", "defaultVariant": "a"})
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	var ff struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			FlagSpec json.RawMessage `json:"flagSpec"`
		} `json:"spec"`
	}
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[crPath]), &ff); err != nil {
		t.Fatal(err)
	}
	if ff.APIVersion != "core.openfeature.dev/v1beta1" || ff.Kind != "FeatureFlag" || ff.Metadata.Name != "reports-etl-flags" || ff.Metadata.Namespace != "reports" {
		t.Fatalf("resource:\n%s", sc.Files[crPath])
	}
	if err := ValidateFlagd(ff.Spec.FlagSpec); err != nil {
		t.Fatalf("flagSpec refused by flagd's schema: %v", err)
	}
	var spec struct {
		Flags map[string]json.RawMessage `json:"flags"`
	}
	if err := json.Unmarshal(ff.Spec.FlagSpec, &spec); err != nil || len(spec.Flags) != 2 || !strings.Contains(string(spec.Flags["new-export"]), "@acme.com") {
		t.Fatalf("flags %v: %v", spec.Flags, err)
	}
	goldentest.InstallCRDs(t, operatorCRD)
	goldentest.DryRun(t, sc.Files[crPath])

	// A key the resource on the base branch has is taken.
	sc = flagStep(map[string]any{"format": "featureflag"})
	var fe bot.FieldErrors
	if _, err := a.Plan(context.Background(), sc); !errors.As(err, &fe) || !strings.Contains(fe["key"], "already has a flag new-export") {
		t.Fatalf("duplicate in the resource: %v", err)
	}
}
