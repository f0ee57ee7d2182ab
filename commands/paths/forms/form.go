package forms

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/templating"
)

// MaxTitle is the longest form title: Slack limits a modal's title to 24
// characters.
const MaxTitle = 24

// MaxSinglePage is the most fields a form of several schema pages shows on
// one page; a larger one, or one with conditional fields, keeps its pages.
const MaxSinglePage = 12

// Env is what a form is built for.
type Env struct {
	// Values are the values entered so far (bot.Request.FormValues): they
	// decide which conditional fields exist. nil when the form is first
	// opened (defaults decide).
	Values bot.Values
	// Owners are the group refs the user may pick as owner (see
	// OwnerChoices), the first being the default: the OwnerPicker's
	// options, and the RepoUrlPicker's owners (by name) when the template
	// lists no allowedOwners.
	Owners []string
	// Choices narrow select fields by key (see ChoicesOption).
	Choices map[string][]string
}

// Form builds the form as first opened; see Build.
func (ps Pages) Form(formID, title, intro string, owners []string) *bot.Form {
	return ps.Build(formID, title, intro, Env{Owners: owners})
}

// Build builds the chat form of the parameters for the values entered so
// far, titled title (cut to MaxTitle) with intro above the fields. Each
// property that exists for the values is a field with its id (hidden ones
// are left out: their defaults apply): string → one-line text (textarea →
// long text), enum → select, boolean → checkbox, integer/number → number,
// array of enum → multi-select, other arrays → one value per line,
// OwnerPicker → a select of env.Owners, EntityPicker → an external select
// (see Suggest), MultiEntityPicker → a multi external select,
// RepoUrlPicker → host (when several are allowed), owner and repository
// fields ("<id>.host", "<id>.owner", "<id>.repo"), EntityNamePicker → text
// held to DNS-label rules, ui:widget password / ui:field Secret → a secret
// field. A field other fields depend on has Dispatch set. Schema pages
// become form pages (Form.Pages, Field.Page) unless the whole form fits
// one: at most MaxSinglePage fields and no conditional fields.
func (ps Pages) Build(formID, title, intro string, env Env) *bot.Form {
	if utf8.RuneCountInString(title) > MaxTitle {
		title = string([]rune(title)[:MaxTitle-1]) + "…"
	}
	f := &bot.Form{ID: formID, Title: title, SubmitText: "Create", Intro: intro}
	type page struct {
		title  string
		fields []bot.Field
	}
	var pages []page
	conditional, total := false, 0
	for i := range ps {
		pg := &ps[i]
		conditional = conditional || pg.schemaPart().conditional()
		r := pg.resolve(env.Values)
		var fields []bot.Field
		for _, p := range r.props {
			if p.UIHidden {
				continue
			}
			fs := p.fields(env.Owners, r.required[p.Name])
			p.narrow(fs, env.Choices)

			if r.controls[p.Name] {
				for j := range fs {
					fs[j].Dispatch = true
				}
			}
			fields = append(fields, fs...)
		}
		if len(fields) == 0 {
			continue
		}
		t := pg.Title
		if t == "" {
			t = fmt.Sprintf("Step %d", i+1)
		}
		pages = append(pages, page{title: t, fields: fields})
		total += len(fields)
	}
	paged := len(pages) > 1 && (total > MaxSinglePage || conditional)
	for i, pg := range pages {
		if paged {
			f.Pages = append(f.Pages, pg.title)
		}
		for _, fd := range pg.fields {
			if paged {
				fd.Page = i
			}
			f.Fields = append(f.Fields, fd)
		}
	}
	return f
}

// EntityNamePattern is Backstage's entity name rule (EntityNamePicker's
// validation, KubernetesValidatorFunctions.isValidObjectName) as a
// whole-string Field.Pattern; EntityNameHint says so in words.
const (
	EntityNamePattern = `[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?`
	EntityNameHint    = "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63 characters (like orders-db)"
)

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

// help is the description and ui:help.
func (p *Property) help() string {
	return strings.TrimSpace(strings.Join(nonEmpty(p.Description, p.UIHelp), " "))
}

// patternHint is ui:options patternHint, the words for the pattern.
func (p *Property) patternHint() string {
	h, _ := p.UIOptions["patternHint"].(string)
	return h
}

// fields are the property's form fields (several for a RepoUrlPicker),
// with owners as an OwnerPicker's choices.
func (p *Property) fields(owners []string, required bool) []bot.Field {
	if p.UIField == "RepoUrlPicker" {
		return p.repoFields(owners, required)
	}
	fd := bot.Field{ID: p.Name, Label: p.label(), Help: p.help(), Placeholder: p.Placeholder, Required: required}
	switch {
	case p.UIField == "OwnerPicker":
		fd.Kind = bot.FieldSelect
		for _, g := range owners {
			_, _, name := catalog.ParseRef(g, catalog.KindGroup, catalog.DefaultNamespace)
			fd.Options = append(fd.Options, bot.Option{Value: g, Label: name})
		}
		if len(owners) == 0 {
			// Nothing to choose: the submission is refused with the reason.
			fd.Help = strings.TrimSpace(fd.Help + " You belong to no team in the catalog; ask the platform team to add you to yours.")
			return []bot.Field{fd}
		}
		fd.Default = owners[0]
		return []bot.Field{fd}
	case p.UIField == "EntityPicker":
		fd.Kind = bot.FieldExternal
		if s, ok := p.Default.(string); ok && s != "" {
			fd.Default = catalog.NormalizeRef(s, p.EntityKind(), p.EntityNamespace())
		}
		return []bot.Field{fd}
	case p.UIField == "MultiEntityPicker":
		fd.Kind = bot.FieldMultiExternal
		if l, ok := p.Default.([]any); ok {
			var refs []string
			for _, s := range templating.Strings(l) {
				refs = append(refs, catalog.NormalizeRef(s, p.EntityKind(), p.EntityNamespace()))
			}
			fd.Default = strings.Join(refs, ",")
		}
		return []bot.Field{fd}
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
			fd.Default = templating.Text(p.Default)
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
			fd.Default = strings.Join(templating.Strings(l), sep)
		}
	default:
		switch {
		case p.Secret():
			fd.Kind = bot.FieldSecret
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
			if fd.Pattern != "" {
				fd.PatternHint = "must match " + p.Pattern
				if h := p.patternHint(); h != "" {
					fd.PatternHint += " (" + h + ")"
				}
			}
		}
		if p.UIField == "EntityNamePicker" {
			if fd.Pattern == "" {
				fd.Pattern, fd.PatternHint = EntityNamePattern, EntityNameHint
			}
			if fd.MaxLen == 0 || fd.MaxLen > 63 {
				fd.MaxLen = 63
			}
		}
		if p.Default != nil && !p.Secret() {
			fd.Default = templating.Text(p.Default)
		}
	}
	return []bot.Field{fd}
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
		out[i] = bot.Option{Value: templating.Text(e), Label: templating.Text(e)}
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
