package paths

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/expr"
)

// Slack limits a modal's title to 24 characters.
const maxFormTitle = 24

// Form builds the chat form of the template's parameters for a user:
// string → text (textarea → long text), enum → select, boolean → checkbox,
// integer/number → number, array of enum → multi-select, other arrays →
// one value per line, OwnerPicker → a select of the user's own teams (their
// direct groups, never the groups above them) that defaults to their team.
// Pages are flattened in order; hidden parameters are left out (their
// defaults apply).
func (t *Template) Form(id *catalog.Identity, formID string) *bot.Form {
	return t.form(formID, ownerChoices(id, nil))
}

// form builds the chat form with owners as the OwnerPicker's options (the
// first is the default).
func (t *Template) form(formID string, owners []string) *bot.Form {
	title := t.Title
	if utf8.RuneCountInString(title) > maxFormTitle {
		title = string([]rune(title)[:maxFormTitle-1]) + "…"
	}
	f := &bot.Form{ID: formID, Title: title, SubmitText: "Create", Intro: t.Description}
	for _, p := range t.properties() {
		if p.UIHidden {
			continue
		}
		fd := p.field(owners)
		if p == t.nameProperty() && fd.Kind == bot.FieldText && fd.Pattern == "" {
			// The run refuses a name that is not a DNS-1123 label anyway;
			// say so at the prompt rather than after the whole form.
			fd.Pattern, fd.PatternHint = dns1123Label, dns1123Hint
			if fd.MaxLen == 0 || fd.MaxLen > 63 {
				fd.MaxLen = 63
			}
		}
		f.Fields = append(f.Fields, fd)
	}
	return f
}

// dns1123Label is a DNS-1123 label as a whole-string Field.Pattern, and
// dns1123Hint says so in words.
const (
	dns1123Label = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
	dns1123Hint  = "use lower-case letters, digits and '-', starting and ending with a letter or digit (like orders-db)"
)

// fieldPattern turns a JSON Schema pattern (matched anywhere in the text
// unless anchored) into a bot.Field.Pattern (matched against the whole
// text): a pattern anchored at both ends loses its ^ and $; any other is
// wrapped so it may match anywhere. "" when it does not compile.
func fieldPattern(pat string) string {
	re, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return ""
	}
	if re.Op == syntax.OpConcat && len(re.Sub) >= 2 &&
		re.Sub[0].Op == syntax.OpBeginText && re.Sub[len(re.Sub)-1].Op == syntax.OpEndText &&
		strings.HasPrefix(pat, "^") && strings.HasSuffix(pat, "$") && !strings.HasSuffix(pat, `\$`) {
		return pat[1 : len(pat)-1]
	}
	return `(?s:.*?)(?:` + pat + `)(?s:.*)`
}

func (p *Property) label() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Name
}

func (p *Property) field(owners []string) bot.Field {
	fd := bot.Field{
		ID: p.Name, Label: p.label(), Help: strings.TrimSpace(strings.Join(nonEmpty(p.Description, p.UIHelp), " ")),
		Placeholder: p.Placeholder, Required: p.Required,
	}
	if p.UIField == "OwnerPicker" {
		fd.Kind = bot.FieldSelect
		for _, g := range owners {
			_, _, name := catalog.ParseRef(g, catalog.KindGroup, catalog.DefaultNamespace)
			fd.Options = append(fd.Options, bot.Option{Value: g, Label: name})
		}
		if len(owners) == 0 {
			// Nothing to choose: the submission is refused with the reason.
			fd.Help = strings.TrimSpace(fd.Help + " You belong to no team in the catalog; ask the platform team to add you to yours.")
			return fd
		}
		fd.Default = owners[0]
		return fd
	}
	switch p.Type {
	case "boolean":
		fd.Kind = bot.FieldBool
		fd.Required = false // required in JSON Schema means present, not checked
		fd.Default = "false"
		if b, ok := p.Default.(bool); ok && b {
			fd.Default = "true"
		}
	case "integer", "number":
		fd.Kind = bot.FieldNumber
		fd.Integer = p.Type == "integer"
		fd.Min, fd.Max = p.Minimum, p.Maximum
		if p.Default != nil {
			fd.Default = expr.ToString(p.Default)
		}
	case "array":
		if len(p.Items.Enum) > 0 {
			fd.Kind = bot.FieldMultiSelect
			fd.Options = options(p.Items.Enum, p.Items.EnumNames)
		} else {
			fd.Kind = bot.FieldLongText
			fd.Help = strings.TrimSpace(fd.Help + " One per line.")
		}
		if l, ok := p.Default.([]any); ok {
			sep := ","
			if fd.Kind == bot.FieldLongText {
				sep = "\n"
			}
			fd.Default = strings.Join(expr.ToStrings(l), sep)
		}
	default:
		switch {
		case len(p.Enum) > 0:
			fd.Kind = bot.FieldSelect
			fd.Options = options(p.Enum, p.EnumNames)
		case p.UIWidget == "textarea":
			fd.Kind = bot.FieldLongText
		default:
			fd.Kind = bot.FieldText
		}
		if p.MinLength != nil {
			fd.MinLen = *p.MinLength
		}
		if p.MaxLength != nil {
			fd.MaxLen = *p.MaxLength
		}
		if p.pattern != nil {
			fd.Pattern = fieldPattern(p.Pattern)
			fd.PatternHint, _ = p.UIOptions["patternHint"].(string)
			if fd.PatternHint == "" && fd.Pattern != "" {
				fd.PatternHint = "must match the pattern " + p.Pattern
			}
		}
		if p.UIField == "EntityNamePicker" && fd.MaxLen == 0 {
			fd.MaxLen = 63
		}
		if p.UIField == "RepoUrlPicker" && fd.Placeholder == "" {
			fd.Placeholder = "github.com?owner=acme&repo=my-service"
		}
		if p.Default != nil {
			fd.Default = expr.ToString(p.Default)
		}
	}
	return fd
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func options(enum []any, names []string) []bot.Option {
	out := make([]bot.Option, len(enum))
	for i, e := range enum {
		out[i] = bot.Option{Value: expr.ToString(e), Label: expr.ToString(e)}
		if i < len(names) && names[i] != "" {
			out[i].Label = names[i]
		}
	}
	return out
}

// ownerChoices are the groups a user may pick as owner: their direct
// groups (spec.memberOf), their team first, then the others sorted. The
// groups above those (Identity.Groups also holds every ancestor) are not
// offered: a payments engineer creates things for payments, not for the
// whole company. extra (the catalog's teams, for an admin) are added after.
func ownerChoices(id *catalog.Identity, extra []string) []string {
	if id == nil {
		return nil
	}
	norm := func(g string) string { return catalog.NormalizeRef(g, catalog.KindGroup, catalog.DefaultNamespace) }
	var first []string
	if team := id.Team(); team != "" {
		first = []string{norm(team)}
	}
	seen := map[string]bool{}
	for _, g := range first {
		seen[g] = true
	}
	var rest []string
	for _, g := range append(append([]string(nil), id.DirectGroups...), extra...) {
		if strings.TrimSpace(g) == "" {
			continue
		}
		if g = norm(g); seen[g] {
			continue
		}
		seen[g] = true
		rest = append(rest, g)
	}
	sort.Strings(rest)
	return append(first, rest...)
}

// validateValues checks the JSON Schema rules the form's declared field
// rules do not cover: unanchored patterns, exclusive bounds, array sizes and
// uniqueness, control characters, DNS-1123 names. Messages are written for
// the user and keyed by field.
func (t *Template) validateValues(v bot.Values) bot.FieldErrors {
	errs := bot.FieldErrors{}
	for _, p := range t.properties() {
		if p.UIHidden {
			continue
		}
		vals := v.List(p.Name)
		if msg := p.validate(vals); msg != "" {
			errs[p.Name] = msg
		}
	}
	if np := t.nameProperty(); np != nil && errs[np.Name] == "" {
		name := strings.TrimSpace(v.Get(np.Name))
		if name != "" && (!dns1123.MatchString(name) || len(name) > 63) {
			errs[np.Name] = fmt.Sprintf("%q is not a valid name: use lower-case letters, digits and '-', start and end with a letter or digit, at most 63 characters (like orders-db)", name)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

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

// coerce turns submitted values into typed parameters: strings, int64 for
// integers, float64 for numbers, bool, and []any for arrays. Missing
// values take the parameter's default.
func (t *Template) coerce(v bot.Values) map[string]any {
	out := map[string]any{}
	for _, p := range t.properties() {
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

// retype restores parameter types after a JSON round trip (integers come
// back as float64).
func (t *Template) retype(params map[string]any) {
	for _, p := range t.properties() {
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
