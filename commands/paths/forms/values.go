package forms

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// value reads what was entered for the property, typed as its schema
// says: a string, int64, float64, bool, or []any for a list. ok is false
// when nothing was entered (blank counts as nothing, as Backstage's form
// leaves an emptied field out); msg says why the text cannot be read (it
// never repeats the text: it may be a secret).
func (p *Property) value(v bot.Values) (val any, ok bool, msg string) {
	if p.UIField == "RepoUrlPicker" {
		return p.repoValue(v)
	}
	vals, given := v[p.Name]
	if !given {
		return nil, false, ""
	}
	if p.Type == "array" {
		var out []any
		n := 0
		for _, s := range vals {
			for _, l := range strings.Split(s, "\n") {
				if l = strings.TrimSpace(l); l == "" {
					continue
				}
				n++
				item, _, m := p.Items.scalar(l)
				if m != "" {
					return nil, true, fmt.Sprintf("item %d %s", n, m)
				}
				if p.UIField == "MultiEntityPicker" {
					item = catalog.NormalizeRef(l, p.EntityKind(), p.EntityNamespace())
				}
				out = append(out, item)
			}
		}
		if len(out) == 0 {
			return nil, false, ""
		}
		return out, true, ""
	}
	raw := ""
	if len(vals) > 0 {
		raw = vals[0]
	}
	return p.scalar(raw)
}

// scalar reads one entered text as the property's (non-list) type.
func (p *Property) scalar(raw string) (any, bool, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, false, ""
	}
	switch p.Type {
	case "boolean":
		switch s {
		case "true":
			return true, true, ""
		case "false":
			return false, true, ""
		}
		return nil, true, "must be yes or no"
	case "integer":
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true, ""
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(f) < 1<<53 && f == math.Trunc(f) {
			return int64(f), true, ""
		}
		return nil, true, "must be a whole number"
	case "number":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, true, "must be a number"
		}
		return f, true, ""
	}
	switch {
	case p.UIWidget == "textarea":
		s = strings.TrimRight(raw, " \t\r\n")
		for _, r := range s {
			if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
				return s, true, "must be text without control characters"
			}
		}
		return s, true, ""
	case p.Secret():
		// A secret is taken as typed, less the line end a paste brings.
		s = strings.TrimRight(raw, "\r\n")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return s, true, "must be one line of text"
		}
	}
	if p.UIField == "EntityPicker" {
		// As Backstage's EntityPicker completes a typed ref.
		s = catalog.NormalizeRef(s, p.EntityKind(), p.EntityNamespace())
	}
	return s, true, ""
}

// normalize turns YAML-decoded defaults into parameter values (whole
// numbers as int64).
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

// strList reads a ui:options list of text (a single text is a list of
// one).
func strList(v any) []string {
	switch x := v.(type) {
	case string:
		if x != "" {
			return []string{x}
		}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
