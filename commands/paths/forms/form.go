package forms

import (
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/expr"
)

// MaxTitle is the longest form title: Slack limits a modal's title to 24
// characters.
const MaxTitle = 24

// Form builds the chat form of the parameters, titled title (cut to
// MaxTitle) with intro above the fields: string → text (textarea → long
// text), enum → select, boolean → checkbox, integer/number → number, array
// of enum → multi-select, other arrays → one value per line, OwnerPicker →
// a select of owners (the first is the default; see OwnerChoices). Pages
// are flattened in order; hidden parameters are left out (their defaults
// apply).
func (ps Pages) Form(formID, title, intro string, owners []string) *bot.Form {
	if utf8.RuneCountInString(title) > MaxTitle {
		title = string([]rune(title)[:MaxTitle-1]) + "…"
	}
	f := &bot.Form{ID: formID, Title: title, SubmitText: "Create", Intro: intro}
	for _, p := range ps.Properties() {
		if p.UIHidden {
			continue
		}
		fd := p.field(owners)
		if p == ps.NameProperty() && fd.Kind == bot.FieldText && fd.Pattern == "" {
			// The run refuses a name that is not a DNS-1123 label anyway;
			// say so at the prompt rather than after the whole form.
			fd.Pattern, fd.PatternHint = DNSLabelPattern, DNSLabelHint
			if fd.MaxLen == 0 || fd.MaxLen > 63 {
				fd.MaxLen = 63
			}
		}
		f.Fields = append(f.Fields, fd)
	}
	return f
}

// DNSLabelPattern is a DNS-1123 label as a whole-string Field.Pattern, and
// DNSLabelHint says so in words.
const (
	DNSLabelPattern = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
	DNSLabelHint    = "use lower-case letters, digits and '-', starting and ending with a letter or digit (like orders-db)"
)

// dnsLabel matches a whole DNS-1123 label (without its length limit).
var dnsLabel = regexp.MustCompile(`^` + DNSLabelPattern + `$`)

// IsDNSLabel reports whether s is a DNS-1123 label: lower-case letters,
// digits and '-', starting and ending with a letter or digit, at most 63
// characters. Template names and the names runs create are such labels.
func IsDNSLabel(s string) bool { return dnsLabel.MatchString(s) && len(s) <= 63 }

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

// label is what the field is called: the title, else the name.
func (p *Property) label() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Name
}

// field is the property's form field, with owners as an OwnerPicker's
// choices.
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

// nonEmpty drops the empty strings.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// options are the choices of an enum, labelled by enumNames where given.
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

// OwnerChoices are the groups a user may pick as owner: their direct
// groups (spec.memberOf), their team first, then the others sorted. The
// groups above those (Identity.Groups also holds every ancestor) are not
// offered: a payments engineer creates things for payments, not for the
// whole company. extra (the catalog's teams, for an admin) are added after.
func OwnerChoices(id *catalog.Identity, extra []string) []string {
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
