package golden

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// FeatureFlagAction is the action of the new-feature-flag golden path.
const FeatureFlagAction = "platbot:feature-flag"

func init() { registry = append(registry, newFeatureFlagActions) }

func newFeatureFlagActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{FeatureFlagAction: featureFlagAction{d: d}}
}

// FlagdSchemaURL is the published flagd flag definition schema the files
// name ($schema) and are checked against.
const FlagdSchemaURL = "https://flagd.dev/schema/v0/flags.json"

//go:embed schemas/flagd/flags.json schemas/flagd/targeting.json
var flagdSchemas embed.FS

var (
	flagdOnce   sync.Once
	flagdSchema *jsonschema.Schema
	flagdErr    error
)

// flagdValidator is flagd's schema (schemas/flagd), compiled once.
func flagdValidator() (*jsonschema.Schema, error) {
	flagdOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft7)
		for _, name := range []string{"flags.json", "targeting.json"} {
			b, err := flagdSchemas.ReadFile("schemas/flagd/" + name)
			if err != nil {
				flagdErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				flagdErr = fmt.Errorf("flagd schema %s: %w", name, err)
				return
			}
			if err := c.AddResource("https://flagd.dev/schema/v0/"+name, doc); err != nil {
				flagdErr = fmt.Errorf("flagd schema %s: %w", name, err)
				return
			}
		}
		flagdSchema, flagdErr = c.Compile(FlagdSchemaURL)
	})
	return flagdSchema, flagdErr
}

// ValidateFlagd checks a flag definition file against flagd's schema.
func ValidateFlagd(content []byte) error {
	s, err := flagdValidator()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(content))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(doc)
}

// The formats a flag is written in (input.format).
const (
	// FlagFormatFlagd is a flagd flag definition file (JSON), the default.
	FlagFormatFlagd = "flagd"
	// FlagFormatFeatureFlag is the OpenFeature Operator's FeatureFlag
	// resource (core.openfeature.dev/v1beta1), whose flagSpec is a flagd
	// flag set.
	FlagFormatFeatureFlag = "featureflag"
)

func (p *plannedFlag) formatName() string {
	if p.format == FlagFormatFeatureFlag {
		return "FeatureFlag"
	}
	return "flagd flag"
}

// FeatureFlag is the OpenFeature Operator's FeatureFlag resource as far as
// the golden paths write it (the fields follow its CRD,
// commands/paths/golden/testdata/crds/open-feature-operator).
type FeatureFlag struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              FeatureFlagSpec `json:"spec"`
}

// FeatureFlagSpec holds the flag set.
type FeatureFlagSpec struct {
	FlagSpec FlagdFile `json:"flagSpec"`
}

// FlagdFile is a flagd flag definition file (flags.json): the flags by
// key, other top-level keys ($evaluators, metadata) kept as they are.
type FlagdFile struct {
	Schema string               `json:"$schema,omitempty"`
	Flags  map[string]FlagdFlag `json:"flags"`
	Rest   map[string]json.RawMessage
}

// FlagdFlag is one flag.
type FlagdFlag struct {
	State          string                     `json:"state"`
	Variants       map[string]json.RawMessage `json:"variants"`
	DefaultVariant *string                    `json:"defaultVariant,omitempty"`
	Targeting      json.RawMessage            `json:"targeting,omitempty"`
	Metadata       map[string]any             `json:"metadata,omitempty"`
}

func (f *FlagdFile) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	if raw, ok := all["$schema"]; ok {
		if err := json.Unmarshal(raw, &f.Schema); err != nil {
			return fmt.Errorf("$schema: %w", err)
		}
	}
	if raw, ok := all["flags"]; ok {
		if err := json.Unmarshal(raw, &f.Flags); err != nil {
			return fmt.Errorf("flags: %w", err)
		}
	}
	delete(all, "$schema")
	delete(all, "flags")
	f.Rest = all
	return nil
}

func (f FlagdFile) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	for k, v := range f.Rest {
		out[k] = v
	}
	if f.Schema != "" {
		out["$schema"] = f.Schema
	}
	flags := f.Flags
	if flags == nil {
		flags = map[string]FlagdFlag{}
	}
	out["flags"] = flags
	return json.Marshal(out)
}

// featureFlagAction adds one flag to a service's flagd flag definition
// file in the owning team's GitOps folder, <folder>/flags/<service>.flagd.json
// (folder: input.folder, default teams/<team>), creating the file when it
// is the service's first flag; with input.format featureflag, to the
// service's OpenFeature Operator FeatureFlag resource instead,
// <folder>/flags/<service>.featureflag.yaml (named <service>-flags, in the
// service's namespace). Inputs: key, service (a Component of the
// owning team), owner, type (boolean, string or number), variants (for
// string and number flags: one name=value per line; boolean flags have
// on and off), defaultVariant, state (ENABLED or DISABLED), rule (none,
// percentage or emailDomain), rolloutVariant with rolloutPercent (the
// share of users, bucketed by targeting key, that get it) or emailDomain
// (users whose email ends with @domain get rolloutVariant), description.
// The file is checked against flagd's published schema before it is
// written. Outputs: path, key, defaultVariant, rule (in words).
type featureFlagAction struct{ d actions.Deps }

var flagRequired = []string{"key", "service", "owner", "type", "defaultVariant"}

func (featureFlagAction) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range flagRequired {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	if _, err := flagdValidator(); err != nil {
		probs = append(probs, "flagd's schema does not compile: "+err.Error())
	}
	return probs
}

// flagKeyRe is a flag key: what OpenFeature SDK calls name it by.
var flagKeyRe = regexp.MustCompile(`^[a-z][a-z0-9]*([._-][a-z0-9]+)*$`)

// variantRe is a variant name.
var variantRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// domainRe is an email domain.
var domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

type plannedFlag struct {
	key, team, service, path string
	namespace, format        string
	flag                     FlagdFlag
	words                    string
}

// plan builds the flag file; with hold set (the real run) the run also
// holds the key in the file (holds.go), so that no other run adds the same
// flag while this one's pull request is not merged.
func (a featureFlagAction) plan(ctx context.Context, sc *actions.StepContext, hold bool) (*plannedFlag, []byte, error) {
	p := &plannedFlag{}
	p.key = inputText(sc, "key")
	if !flagKeyRe.MatchString(p.key) || len(p.key) > 100 {
		return nil, nil, fieldError(sc, "key", fmt.Sprintf("%q is not a flag key: lower-case letters and digits, separated by '.', '-' or '_', starting with a letter (like new-checkout or checkout.one-click)", p.key))
	}
	owner := inputText(sc, "owner")
	if owner == "" {
		owner = sc.Run.Owner
	}
	owner = catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	_, _, p.team = catalog.ParseRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	ref := catalog.NormalizeRef(inputText(sc, "service"), catalog.KindComponent, catalog.DefaultNamespace)
	var comp *catalog.Entity
	if a.d.Catalog != nil {
		for _, e := range a.d.Catalog.List(catalog.KindComponent) {
			if e.Ref() == ref {
				comp = e
			}
		}
	}
	if comp == nil {
		return nil, nil, fieldError(sc, "service", ref+" is not a Component in the catalog")
	}
	if comp.Owner() != owner {
		return nil, nil, fieldError(sc, "service", fmt.Sprintf("%s is owned by %s, not by %s: a team adds flags to its own services", ref, orNobody(comp.Owner()), owner))
	}
	p.service = comp.Metadata.Name
	folder := strings.Trim(inputText(sc, "folder"), "/")
	if folder == "" {
		folder = "teams/" + p.team
	}
	p.namespace = comp.Annotation("backstage.io/kubernetes-namespace")
	if p.namespace == "" {
		p.namespace = p.team
	}
	switch p.format = inputText(sc, "format"); p.format {
	case "", FlagFormatFlagd:
		p.format = FlagFormatFlagd
		p.path = path.Join(folder, "flags", p.service+".flagd.json")
	case FlagFormatFeatureFlag:
		p.path = path.Join(folder, "flags", p.service+".featureflag.yaml")
	default:
		return nil, nil, fieldError(sc, "format", fmt.Sprintf("%q is not %s or %s", p.format, FlagFormatFlagd, FlagFormatFeatureFlag))
	}

	variants, order, err := flagVariants(sc)
	if err != nil {
		return nil, nil, err
	}
	def := inputText(sc, "defaultVariant")
	if _, ok := variants[def]; !ok {
		return nil, nil, fieldError(sc, "defaultVariant", fmt.Sprintf("%q is not one of the variants (%s)", def, strings.Join(order, ", ")))
	}
	state := inputText(sc, "state")
	if state == "" {
		state = "ENABLED"
	}
	if state != "ENABLED" && state != "DISABLED" {
		return nil, nil, fieldError(sc, "state", fmt.Sprintf("%q is not ENABLED or DISABLED", state))
	}
	p.flag = FlagdFlag{State: state, Variants: variants, DefaultVariant: &def}
	if d := inputText(sc, "description"); d != "" {
		p.flag.Metadata = map[string]any{"description": d}
	}
	p.flag.Metadata = withMeta(p.flag.Metadata, "owner", owner)
	if p.flag.Targeting, p.words, err = flagTargeting(sc, variants, order, def); err != nil {
		return nil, nil, err
	}

	cr := p.format == FlagFormatFeatureFlag
	file := FlagdFile{Flags: map[string]FlagdFlag{}}
	var resource FeatureFlag
	parse := func(b []byte) error {
		if !cr {
			return json.Unmarshal(b, &file)
		}
		if err := sigsyaml.Unmarshal(b, &resource); err != nil {
			return err
		}
		if resource.Kind != "FeatureFlag" {
			return fmt.Errorf("it is a %q, not a FeatureFlag", resource.Kind)
		}
		file = resource.Spec.FlagSpec
		return nil
	}
	if prev, ok := sc.Files[p.path]; ok {
		if err := parse([]byte(prev)); err != nil {
			return nil, nil, fmt.Errorf("another step's %s is not a flag file: %w", p.path, err)
		}
	} else if r := a.d.GitOpsFiles; r != nil {
		b, err := r.ReadFile(ctx, p.path)
		switch {
		case err == nil:
			if err := parse(b); err != nil {
				return nil, nil, &actions.StepError{Msg: fmt.Sprintf("%s on the GitOps repository's base branch is not a %s file: %v", p.path, p.formatName(), err), Hint: "Fix the file, then submit again."}
			}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, nil, &actions.StepError{Msg: "could not read " + p.path + " from the GitOps repository", Hint: "Press Retry when it can be reached.", Err: err}
		}
	} else if !sc.DryRun {
		return nil, nil, &actions.StepError{Msg: "the GitOps repository cannot be read here, so the service's flag file could be overwritten", Hint: "platbot needs its GitOps repository to run this path."}
	}
	if file.Flags == nil {
		file.Flags = map[string]FlagdFlag{}
	}
	if had, dup := file.Flags[p.key]; dup {
		_, ours := sc.Files[p.path]
		if !ours || !sameFlag(had, p.flag) {
			return nil, nil, fieldError(sc, "key", fmt.Sprintf("%s already has a flag %s (%s); pick another key", p.service, p.key, p.path))
		}
		// This step's own earlier work (the step done again): kept.
	}
	err = holdKey(ctx, a.d.Records, "flags:"+p.path, sc.Run.ID, p.key, "the flag "+p.key+" to "+p.path, hold, time.Now())
	var held *heldBy
	switch {
	case errors.As(err, &held):
		return nil, nil, fieldError(sc, "key", fmt.Sprintf("the flag %s is already being added to %s by %s: pick another key, or wait for that pull request", p.key, p.service, heldText(ctx, a.d.Records, held.hold)))
	case err != nil:
		return nil, nil, &actions.StepError{Msg: "could not check the flags other runs add to " + p.path, Hint: "Press Retry", Err: err}
	}
	file.Flags[p.key] = p.flag
	file.Schema = FlagdSchemaURL
	if cr {
		// The resource's flagSpec is a flagd flag set without $schema.
		file.Schema = ""
	}
	compact, err := json.Marshal(file)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal flag file: %w", err)
	}
	if err := ValidateFlagd(compact); err != nil {
		return nil, nil, fmt.Errorf("the flags would not pass flagd's schema: %w", err)
	}
	if cr {
		if resource.Kind == "" {
			resource = FeatureFlag{
				TypeMeta:   metav1.TypeMeta{APIVersion: "core.openfeature.dev/v1beta1", Kind: "FeatureFlag"},
				ObjectMeta: metav1.ObjectMeta{Name: p.service + "-flags", Namespace: p.namespace, Labels: map[string]string{"app.kubernetes.io/part-of": p.service, "app.kubernetes.io/managed-by": "platbot", "platbot.dev/team": p.team}},
			}
		}
		resource.Spec.FlagSpec = file
		b, err := sigsyaml.Marshal(resource)
		if err != nil {
			return nil, nil, fmt.Errorf("marshal FeatureFlag: %w", err)
		}
		return p, b, nil
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, nil, fmt.Errorf("indent flag file: %w", err)
	}
	out.WriteByte('\n')
	return p, out.Bytes(), nil
}

// sameFlag reports whether two flags are written the same.
func sameFlag(a, b FlagdFlag) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

func withMeta(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// flagVariants are the flag's typed variants and their names in order.
func flagVariants(sc *actions.StepContext) (map[string]json.RawMessage, []string, error) {
	typ := inputText(sc, "type")
	if typ == "" || typ == "boolean" {
		return map[string]json.RawMessage{"on": json.RawMessage("true"), "off": json.RawMessage("false")}, []string{"on", "off"}, nil
	}
	if typ != "string" && typ != "number" {
		return nil, nil, fieldError(sc, "type", fmt.Sprintf("%q is not boolean, string or number", typ))
	}
	vars := map[string]json.RawMessage{}
	var order []string
	for i, l := range strings.Split(templating.Text(sc.Input["variants"]), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		name, val, ok := strings.Cut(l, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || !variantRe.MatchString(name) {
			return nil, nil, fieldError(sc, "variants", fmt.Sprintf("line %d, %q, is not name=value (a name of letters, digits, '-' or '_', like blue=#0000ff)", i+1, l))
		}
		if _, dup := vars[name]; dup {
			return nil, nil, fieldError(sc, "variants", fmt.Sprintf("line %d names the variant %s again", i+1, name))
		}
		var raw []byte
		if typ == "number" {
			n, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return nil, nil, fieldError(sc, "variants", fmt.Sprintf("line %d: %q is not a number", i+1, val))
			}
			raw, _ = json.Marshal(n)
		} else {
			raw, _ = json.Marshal(val)
		}
		vars[name] = raw
		order = append(order, name)
	}
	if len(vars) < 2 {
		return nil, nil, fieldError(sc, "variants", "a "+typ+" flag needs at least two variants, one name=value per line")
	}
	return vars, order, nil
}

// flagTargeting is the flag's targeting rule (JSONLogic with flagd's
// operations) and the rule in words.
func flagTargeting(sc *actions.StepContext, variants map[string]json.RawMessage, order []string, def string) (json.RawMessage, string, error) {
	rule := inputText(sc, "rule")
	if rule == "" || rule == "none" {
		return nil, "everyone gets " + def, nil
	}
	target := inputText(sc, "rolloutVariant")
	if _, ok := variants[target]; !ok {
		return nil, "", fieldError(sc, "rolloutVariant", fmt.Sprintf("%q is not one of the variants (%s)", target, strings.Join(order, ", ")))
	}
	if target == def {
		return nil, "", fieldError(sc, "rolloutVariant", fmt.Sprintf("%s is already the default variant: roll out another one", target))
	}
	var logic any
	var words string
	switch rule {
	case "percentage":
		pct, err := inputInt(sc, "rolloutPercent", -1, 0, 100)
		if err != nil {
			return nil, "", err
		}
		if pct < 0 {
			return nil, "", fieldError(sc, "rolloutPercent", "say which share of users gets "+target+" (0 to 100)")
		}
		// flagd buckets by flag key and targeting key, so a user keeps
		// their variant while the share grows.
		logic = map[string]any{"fractional": []any{[]any{target, pct}, []any{def, 100 - pct}}}
		words = fmt.Sprintf("%d%% of users (by targeting key) get %s, the others %s", pct, target, def)
	case "emailDomain":
		domain := strings.ToLower(strings.TrimPrefix(inputText(sc, "emailDomain"), "@"))
		if !domainRe.MatchString(domain) {
			return nil, "", fieldError(sc, "emailDomain", fmt.Sprintf("%q is not an email domain (like acme.com)", domain))
		}
		logic = map[string]any{"if": []any{
			map[string]any{"ends_with": []any{map[string]any{"var": "email"}, "@" + domain}}, target, def,
		}}
		words = fmt.Sprintf("users whose email ends with @%s get %s, the others %s", domain, target, def)
	default:
		return nil, "", fieldError(sc, "rule", fmt.Sprintf("%q is not none, percentage or emailDomain", rule))
	}
	b, err := json.Marshal(logic)
	if err != nil {
		return nil, "", fmt.Errorf("marshal targeting: %w", err)
	}
	return b, words, nil
}

func (a featureFlagAction) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	p, content, err := a.plan(ctx, sc, false)
	if err != nil {
		return actions.Plan{}, err
	}
	sc.Files[p.path] = string(content)
	effects := []string{fmt.Sprintf("add the flag %s to the %s file %s (%s), checked against flagd's schema", p.key, p.formatName(), p.path, p.words)}
	if a.d.GitOpsFiles == nil {
		effects = append(effects, "not checked against the flags already in the GitOps repository: it cannot be read here")
	}
	return actions.Plan{Effects: effects, Output: p.output()}, nil
}

func (a featureFlagAction) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	p, content, err := a.plan(ctx, sc, true)
	if err != nil {
		return nil, err
	}
	sc.Files[p.path] = string(content)
	return p.output(), nil
}

func (p *plannedFlag) output() map[string]any {
	var variants []string
	for v := range p.flag.Variants {
		variants = append(variants, v)
	}
	sort.Strings(variants)
	return map[string]any{
		"path": p.path, "key": p.key, "format": p.format, "service": p.service, "files": []any{p.path},
		"defaultVariant": *p.flag.DefaultVariant, "rule": p.words, "variants": strings.Join(variants, ", "),
	}
}
