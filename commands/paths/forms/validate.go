package forms

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/expr"
)

// Validate checks the JSON Schema rules the form's declared field rules do
// not cover: unanchored patterns, exclusive bounds, array sizes and
// uniqueness, control characters, DNS-1123 names. Messages are written for
// the user and keyed by field; nil when all is well.
func (ps Pages) Validate(v bot.Values) bot.FieldErrors {
	errs := bot.FieldErrors{}
	for _, p := range ps.Properties() {
		if p.UIHidden {
			continue
		}
		vals := v.List(p.Name)
		if msg := p.validate(vals); msg != "" {
			errs[p.Name] = msg
		}
	}
	if np := ps.NameProperty(); np != nil && errs[np.Name] == "" {
		name := strings.TrimSpace(v.Get(np.Name))
		if name != "" && !IsDNSLabel(name) {
			errs[np.Name] = fmt.Sprintf("%q is not a valid name: use lower-case letters, digits and '-', start and end with a letter or digit, at most 63 characters (like orders-db)", name)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// validate checks one property's submitted values; "" when they pass.
func (p *Property) validate(vals []string) string {
	var nonBlank []string
	for _, s := range vals {
		if strings.TrimSpace(s) != "" {
			nonBlank = append(nonBlank, strings.TrimSpace(s))
		}
	}
	switch p.Type {
	case "array":
		if p.Items.Type == "string" && len(p.Items.Enum) == 0 {
			// Long text, one value per line.
			var lines []string
			for _, s := range nonBlank {
				for _, l := range strings.Split(s, "\n") {
					if l = strings.TrimSpace(l); l != "" {
						lines = append(lines, l)
					}
				}
			}
			nonBlank = lines
		}
		if p.MinItems != nil && len(nonBlank) < *p.MinItems {
			return fmt.Sprintf("choose at least %d", *p.MinItems)
		}
		if p.Required && len(nonBlank) == 0 {
			return "choose at least one"
		}
		if p.MaxItems != nil && len(nonBlank) > *p.MaxItems {
			return fmt.Sprintf("choose at most %d", *p.MaxItems)
		}
		if p.UniqueItems {
			seen := map[string]bool{}
			for _, s := range nonBlank {
				if seen[s] {
					return fmt.Sprintf("%q is listed twice", s)
				}
				seen[s] = true
			}
		}
		for _, s := range nonBlank {
			if msg := p.Items.validate([]string{s}); msg != "" {
				return fmt.Sprintf("%q: %s", s, msg)
			}
		}
		return ""
	case "integer", "number":
		if len(nonBlank) == 0 {
			return ""
		}
		f, err := strconv.ParseFloat(nonBlank[0], 64)
		if err != nil {
			return fmt.Sprintf("%q is not a number", nonBlank[0])
		}
		if p.Minimum != nil && f < *p.Minimum {
			return "must be at least " + expr.ToString(*p.Minimum)
		}
		if p.Maximum != nil && f > *p.Maximum {
			return "must be at most " + expr.ToString(*p.Maximum)
		}
		if p.ExclMinimum != nil && f <= *p.ExclMinimum {
			return "must be more than " + expr.ToString(*p.ExclMinimum)
		}
		if p.ExclMaximum != nil && f >= *p.ExclMaximum {
			return "must be less than " + expr.ToString(*p.ExclMaximum)
		}
		return ""
	case "boolean":
		return ""
	}
	if len(nonBlank) == 0 {
		return ""
	}
	s := nonBlank[0]
	for _, r := range s {
		if unicode.IsControl(r) && !(p.UIWidget == "textarea" && (r == '\n' || r == '\t')) {
			return "must be one line of text without control characters"
		}
	}
	if len(p.Enum) > 0 {
		ok := false
		for _, e := range p.Enum {
			ok = ok || expr.ToString(e) == s
		}
		if !ok {
			return fmt.Sprintf("%q is not one of the choices", s)
		}
	}
	n := utf8.RuneCountInString(s)
	if p.MinLength != nil && n < *p.MinLength {
		return fmt.Sprintf("must be at least %d characters", *p.MinLength)
	}
	if p.MaxLength != nil && n > *p.MaxLength {
		return fmt.Sprintf("must be at most %d characters", *p.MaxLength)
	}
	if p.pattern != nil && !p.pattern.MatchString(s) {
		if hint, _ := p.UIOptions["patternHint"].(string); hint != "" {
			return hint
		}
		return fmt.Sprintf("must match the pattern %s", p.Pattern)
	}
	return ""
}

// Coerce turns submitted values into typed parameters: strings, int64 for
// integers, float64 for numbers, bool, and []any for arrays. Missing (and
// hidden) values take the parameter's default.
func (ps Pages) Coerce(v bot.Values) map[string]any {
	out := map[string]any{}
	for _, p := range ps.Properties() {
		vals, given := v[p.Name]
		if !given || p.UIHidden {
			if p.Default != nil {
				out[p.Name] = normalize(p.Default)
			}
			continue
		}
		out[p.Name] = p.coerce(vals)
	}
	return out
}

// coerce types one property's submitted values.
func (p *Property) coerce(vals []string) any {
	first := ""
	if len(vals) > 0 {
		first = strings.TrimSpace(vals[0])
	}
	switch p.Type {
	case "boolean":
		return first == "true"
	case "integer":
		if i, err := strconv.ParseInt(first, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(first, 64); err == nil {
			return int64(f)
		}
		return nil
	case "number":
		if f, err := strconv.ParseFloat(first, 64); err == nil {
			return f
		}
		return nil
	case "array":
		out := []any{}
		for _, s := range vals {
			for _, l := range strings.Split(s, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, p.Items.coerce([]string{l}))
				}
			}
		}
		return out
	}
	if p.UIWidget == "textarea" && len(vals) > 0 {
		return strings.TrimRight(vals[0], " \t\r\n")
	}
	return first
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
			if i, ok := expr.ToInt(v); ok {
				params[p.Name] = i
			}
		case "array":
			if l, ok := v.([]any); ok && p.Items.Type == "integer" {
				for i, e := range l {
					if n, ok := expr.ToInt(e); ok {
						l[i] = n
					}
				}
			}
		}
	}
}

// normalize turns YAML-decoded defaults into expression values.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
