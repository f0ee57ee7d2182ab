package forms

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/templating"
)

// Validate checks submitted values as Backstage's form does: each page's
// properties that exist for the values, typed, against the page's
// compiled schema (required, pattern, enum, bounds, lengths, items,
// formats, dependencies, oneOf/anyOf/allOf, if/then/else), plus what a
// chat field adds (one line of text unless textarea, DNS-label names, a
// RepoUrlPicker's owner and repository). Every page is checked: the
// router keeps, of a paged form's page submission, only the errors of the
// pages so far. Each message is keyed by the field it concerns (a problem
// no field explains goes to the page's first field); messages never repeat
// the value. nil when all is well.
func (ps Pages) Validate(v bot.Values) bot.FieldErrors {
	errs := bot.FieldErrors{}
	add := func(id, msg string) {
		if id != "" && errs[id] == "" {
			errs[id] = msg
		}
	}
	for i := range ps {
		pg := &ps[i]
		r := pg.resolve(v)
		inst := map[string]any{}
		first := ""
		for _, p := range r.props {
			if p.UIHidden {
				if p.Default != nil {
					inst[p.Name] = jsonValue(normalize(p.Default))
				}
				continue
			}
			if first == "" {
				first = p.fieldID(v)
			}
			if p.UIField == "RepoUrlPicker" {
				for id, msg := range p.repoProblems(v, r.required[p.Name]) {
					add(id, msg)
				}
			}
			val, ok, msg := p.value(v)
			if msg != "" {
				add(p.fieldID(v), msg)
				continue
			}
			if !ok {
				continue
			}
			inst[p.Name] = jsonValue(val)
			if s, isText := val.(string); isText && p.UIField == "EntityNamePicker" && !catalog.ValidName(s) {
				add(p.Name, "is not a valid name: "+EntityNameHint)
			}
		}
		if pg.schema == nil {
			continue
		}
		err := pg.schema.Validate(inst)
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			continue
		}
		// The value's own problems (an enum, a pattern) speak before those of
		// a conditional branch the value picked (oneOf, anyOf).
		all := leaves(ve)
		sort.SliceStable(all, func(i, j int) bool { return !inBranch(ve, all[i]) && inBranch(ve, all[j]) })
		for _, l := range all {
			for _, pr := range explain(l) {
				p := r.byName[pr.prop]
				if p != nil && p.UIHidden {
					p = nil // no field: the page's first says it, naming the property
				}
				id := first
				if p != nil {
					id = p.fieldID(v)
				}
				add(id, pr.message(p))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// FieldID is the form field a problem of the property goes to (fieldID),
// for the problems found after validation, like an action's at a dry run.
func (p *Property) FieldID(v bot.Values) string { return p.fieldID(v) }

// fieldID is the form field a problem of the property goes to: the
// property's own, or a RepoUrlPicker's owner field (while it is empty)
// else its repository field.
func (p *Property) fieldID(v bot.Values) string {
	if p.UIField != "RepoUrlPicker" {
		return p.Name
	}
	if strings.TrimSpace(v.Get(p.Name+repoOwnerSuffix)) == "" && strings.TrimSpace(v.Get(p.Name)) == "" {
		return p.Name + repoOwnerSuffix
	}
	return p.Name + repoNameSuffix
}

// inBranch reports whether leaf sits under a oneOf or anyOf of root.
func inBranch(root, leaf *jsonschema.ValidationError) bool {
	var walk func(e *jsonschema.ValidationError, branch bool) (bool, bool)
	walk = func(e *jsonschema.ValidationError, branch bool) (found, in bool) {
		if e == leaf {
			return true, branch
		}
		switch e.ErrorKind.(type) {
		case *kind.AnyOf, *kind.OneOf:
			branch = true
		}
		for _, c := range e.Causes {
			if f, b := walk(c, branch); f {
				return true, b
			}
		}
		return false, false
	}
	_, in := walk(root, false)
	return in
}

// leaves are the validation errors that say what is wrong. Of a failed
// oneOf/anyOf, only the alternative that came closest (fewest problems)
// speaks: the others were not what the user meant.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		if len(e.Causes) == 0 {
			return []*jsonschema.ValidationError{e}
		}
		var best []*jsonschema.ValidationError
		for _, c := range e.Causes {
			if l := leaves(c); best == nil || len(l) < len(best) {
				best = l
			}
		}
		return best
	}
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// problem is one validation error of a property ("" when no property
// explains it).
type problem struct {
	prop string
	// item is the 1-based list item concerned, 0 for the value itself.
	item int
	kind jsonschema.ErrorKind
	// when names the property whose value made prop required.
	when string
}

// explain turns a validation error into the problems of the properties
// it concerns: the one at its instance location, or each missing one.
func explain(e *jsonschema.ValidationError) []problem {
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		if len(e.InstanceLocation) == 0 {
			var out []problem
			for _, m := range k.Missing {
				out = append(out, problem{prop: m, kind: k})
			}
			return out
		}
	case *kind.Dependency:
		var out []problem
		for _, m := range k.Missing {
			out = append(out, problem{prop: m, kind: k, when: k.Prop})
		}
		return out
	case *kind.DependentRequired:
		var out []problem
		for _, m := range k.Missing {
			out = append(out, problem{prop: m, kind: k, when: k.Prop})
		}
		return out
	}
	pr := problem{kind: e.ErrorKind}
	if len(e.InstanceLocation) > 0 {
		pr.prop = e.InstanceLocation[0]
	}
	if len(e.InstanceLocation) > 1 {
		if i, err := strconv.Atoi(e.InstanceLocation[1]); err == nil {
			pr.item = i + 1
		}
	}
	return []problem{pr}
}

// message says the problem in words for the field of p (nil when no
// property explains it).
func (pr problem) message(p *Property) string {
	msg := pr.words(p)
	if pr.item > 0 {
		return fmt.Sprintf("item %d %s", pr.item, msg)
	}
	if p == nil && pr.prop != "" {
		return pr.prop + " " + msg
	}
	return msg
}

func (pr problem) words(p *Property) string {
	switch k := pr.kind.(type) {
	case *kind.Required:
		return "is required"
	case *kind.Dependency, *kind.DependentRequired:
		return "is required with " + pr.when
	case *kind.Type:
		var ws []string
		for _, w := range k.Want {
			ws = append(ws, typeWords[w])
		}
		return "must be " + strings.Join(nonEmpty(ws...), " or ")
	case *kind.Enum:
		return "must be " + choices(k.Want)
	case *kind.Const:
		return "must be " + choices([]any{k.Want})
	case *kind.Format:
		if w, ok := formatWords[k.Want]; ok {
			return "must be " + w
		}
		return "must be a valid " + k.Want
	case *kind.Pattern:
		msg := "must match " + k.Want
		if p != nil && p.patternHint() != "" {
			msg += " (" + p.patternHint() + ")"
		}
		return msg
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters", k.Want)
	case *kind.Minimum:
		return "must be at least " + ratText(k.Want)
	case *kind.Maximum:
		return "must be at most " + ratText(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be more than " + ratText(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be less than " + ratText(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + ratText(k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("needs at least %d", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("takes at most %d", k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("lists the same value twice (items %d and %d)", k.Duplicates[0]+1, k.Duplicates[1]+1)
	case *kind.OneOf:
		return "fits more than one of the alternatives; fill in the fields of only one"
	case *kind.AnyOf:
		return "fits none of the alternatives"
	case *kind.Not, *kind.FalseSchema:
		return "is not allowed"
	case *kind.AdditionalProperties:
		return "is not expected here"
	}
	return "is not valid"
}

// typeWords say a JSON type.
var typeWords = map[string]string{
	"string": "text", "integer": "a whole number", "number": "a number", "boolean": "yes or no",
	"array": "a list", "object": "an object", "null": "empty",
}

// formatWords say what a format asks for.
var formatWords = map[string]string{
	"email":                 "an email address",
	"uri":                   "a URL (like https://example.com/path)",
	"iri":                   "a URL (like https://example.com/path)",
	"uri-reference":         "a URL or a path",
	"iri-reference":         "a URL or a path",
	"uri-template":          "a URL template",
	"hostname":              "a host name (like api.example.com)",
	"ipv4":                  "an IPv4 address (like 10.0.0.1)",
	"ipv6":                  "an IPv6 address",
	"date":                  "a date (like 2024-05-31)",
	"time":                  "a time with its offset (like 13:45:00Z)",
	"date-time":             "a date and time (like 2024-05-31T13:45:00Z)",
	"duration":              "an ISO 8601 duration (like P3D or PT1H)",
	"uuid":                  "a UUID",
	"json-pointer":          "a JSON pointer (like /a/b)",
	"relative-json-pointer": "a relative JSON pointer",
	"semver":                "a semantic version (like 1.2.3)",
	"period":                "an ISO 8601 period",
}

// choices lists allowed values (at most eight).
func choices(want []any) string {
	var ws []string
	for i, w := range want {
		if i == 8 {
			ws = append(ws, "…")
			break
		}
		ws = append(ws, templating.Text(w))
	}
	if len(ws) == 1 {
		return ws[0]
	}
	return "one of " + strings.Join(ws, ", ")
}

// ratText writes a bound as a number.
func ratText(r *big.Rat) string {
	if r == nil {
		return ""
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Coerce turns submitted values into typed parameters: strings, int64 for
// integers, float64 for numbers, bool, []any for lists, a RepoUrlPicker as
// "host?owner=o&repo=r", an EntityPicker as a full entity ref. Only the
// properties that exist for the values are there (a conditional property
// its controlling field does not select is left out); one not entered (or
// hidden) takes its default. Secret properties are never among them: see
// Secrets.
func (ps Pages) Coerce(v bot.Values) map[string]any {
	out := map[string]any{}
	for i := range ps {
		for _, p := range ps[i].resolve(v).props {
			if p.Secret() {
				continue
			}
			if !p.UIHidden {
				if val, ok, msg := p.value(v); ok && msg == "" {
					out[p.Name] = val
					continue
				}
			}
			if p.Default != nil {
				out[p.Name] = normalize(p.Default)
			}
		}
	}
	return out
}

// Secrets are the values of the secret properties (see Property.Secret)
// that exist for the values and were entered, by parameter name: what
// Backstage hands a run as ${{ secrets.<name> }}. The caller keeps them out
// of stored parameters, logs and messages.
func (ps Pages) Secrets(v bot.Values) map[string]string {
	out := map[string]string{}
	for i := range ps {
		for _, p := range ps[i].resolve(v).props {
			if !p.Secret() {
				continue
			}
			if val, ok, msg := p.value(v); ok && msg == "" {
				if s, ok := val.(string); ok {
					out[p.Name] = s
				}
			}
		}
	}
	return out
}

// Retype restores parameter types in place after a JSON round trip
// (integers come back as float64).
func (ps Pages) Retype(params map[string]any) {
	for _, p := range ps.Properties() {
		v, ok := params[p.Name]
		if !ok {
			continue
		}
		switch p.Type {
		case "integer":
			if i, ok := templating.Int(v); ok {
				params[p.Name] = i
			}
		case "array":
			if l, ok := v.([]any); ok && p.Items.Type == "integer" {
				for i, e := range l {
					if n, ok := templating.Int(e); ok {
						l[i] = n
					}
				}
			}
		}
	}
}
