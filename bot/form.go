package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldKind is the type of a form field.
type FieldKind string

// Field kinds.
const (
	FieldText        FieldKind = "text"         // one line
	FieldLongText    FieldKind = "long_text"    // several lines
	FieldSelect      FieldKind = "select"       // one of Options
	FieldMultiSelect FieldKind = "multi_select" // any of Options
	FieldNumber      FieldKind = "number"       // integer or decimal within Min/Max
	FieldBool        FieldKind = "bool"         // a checkbox
	FieldUser        FieldKind = "user"         // a workspace user
	// FieldExternal is one value whose options come from Command.Suggest as
	// the user types (Slack external_select).
	FieldExternal FieldKind = "external"
	// FieldMultiExternal is several values from the same source (Slack
	// multi_external_select).
	FieldMultiExternal FieldKind = "multi_external"
	// FieldSecret is one line whose value is a secret: never logged,
	// audited, stored raw or echoed back.
	FieldSecret FieldKind = "secret"
)

// Option is one choice of a select.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Field is one input of a form, declared once and rendered as a modal input
// block in Slack and as a prompt in the shell.
type Field struct {
	ID          string    `json:"id"`
	Label       string    `json:"label"`
	Kind        FieldKind `json:"kind"`
	Help        string    `json:"help,omitempty"`
	Placeholder string    `json:"placeholder,omitempty"`
	Required    bool      `json:"required,omitempty"`
	// Default is the initial value; for a multi-select, values joined by ",".
	Default string   `json:"default,omitempty"`
	Options []Option `json:"options,omitempty"`
	// Min and Max bound a number; MinLen and MaxLen bound text length.
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	MinLen int      `json:"min_len,omitempty"`
	MaxLen int      `json:"max_len,omitempty"`
	// Integer rejects decimals in a number field.
	Integer bool `json:"integer,omitempty"`
	// Pattern is a regular expression the whole text must match;
	// PatternHint says in words what it expects.
	Pattern     string `json:"pattern,omitempty"`
	PatternHint string `json:"pattern_hint,omitempty"`
	// Sensitive values are recorded in the audit log only as keyed HMACs
	// (so equal values can be correlated, never read). A secret is a
	// FieldSecret instead: sealed, recorded as "[secret]" only.
	Sensitive bool `json:"sensitive,omitempty"`
	// Dispatch makes a change of this field rebuild the form (a select that
	// controls which other fields exist). Slack: dispatch_action on the
	// input block; its block_actions makes the router call Command.Form
	// again with Request.FormValues = the values entered so far and the
	// transport views.update's the modal (entered values kept). Shell:
	// after this answer the form is rebuilt and the fields not yet answered
	// are asked.
	Dispatch bool `json:"dispatch,omitempty"`
	// Page is the 0-based page of the field (see Form.Pages).
	Page int `json:"page,omitempty"`
	// MinQuery is the fewest characters typed before Suggest is asked
	// (external kinds).
	MinQuery int `json:"min_query,omitempty"`
}

// Form is a set of fields with a title. ID names the command whose Submit
// receives it (the router fills it in); State is opaque data carried through
// the round trip (Slack's private_metadata), such as the command's arguments.
type Form struct {
	ID         string  `json:"id"`
	Title      string  `json:"title"`
	SubmitText string  `json:"submit_text,omitempty"`
	Intro      string  `json:"intro,omitempty"`
	Fields     []Field `json:"fields"`
	State      string  `json:"state,omitempty"`
	// Pages titles the form's pages when it has more than one. Slack: one
	// modal per page, the submit button says "Next" until the last page,
	// where SubmitText applies; a page's submission is validated (field
	// rules + Command.Validate with all values so far) and answered with
	// response_action "update" showing the next page; a "Back" button on
	// pages after the first shows the previous page again with its values.
	// Values of earlier pages travel in the view's private_metadata (secret
	// values sealed with the router's Sealer). Shell: pages are asked in
	// order under their titles.
	Pages []string `json:"pages,omitempty"`
}

// Field returns the field with the id, or nil.
func (f *Form) Field(id string) *Field {
	for i := range f.Fields {
		if f.Fields[i].ID == id {
			return &f.Fields[i]
		}
	}
	return nil
}

// PageCount is the number of pages of the form: the titles in Pages, or
// more when a field names a later page; at least 1.
func (f *Form) PageCount() int {
	n := max(len(f.Pages), 1)
	for _, fd := range f.Fields {
		n = max(n, fd.Page+1)
	}
	return n
}

// PageOf returns the page of a field clamped to the form's pages, or -1
// when the form has no such field.
func (f *Form) PageOf(id string) int {
	fd := f.Field(id)
	if fd == nil {
		return -1
	}
	return max(fd.Page, 0)
}

// PageFields returns the fields of one page in their declared order.
func (f *Form) PageFields(page int) []Field {
	var out []Field
	for _, fd := range f.Fields {
		if max(fd.Page, 0) == page {
			out = append(out, fd)
		}
	}
	return out
}

// PageTitle returns the title of a page ("" when it has none).
func (f *Form) PageTitle(page int) string {
	if page >= 0 && page < len(f.Pages) {
		return f.Pages[page]
	}
	return ""
}

// IsExternal reports whether the field's options come from Command.Suggest.
func (fd *Field) IsExternal() bool {
	return fd.Kind == FieldExternal || fd.Kind == FieldMultiExternal
}

// IsMulti reports whether the field holds several values.
func (fd *Field) IsMulti() bool {
	return fd.Kind == FieldMultiSelect || fd.Kind == FieldMultiExternal
}

// Values are a form's submitted values by field id. Single-valued fields hold
// one element; a multi-select holds each chosen value; an unchecked boolean
// holds "false".
type Values map[string][]string

// Get returns the first value of a field or "".
func (v Values) Get(id string) string {
	if len(v[id]) > 0 {
		return v[id][0]
	}
	return ""
}

// List returns all values of a field.
func (v Values) List(id string) []string { return v[id] }

// Bool reports whether a boolean field was checked.
func (v Values) Bool(id string) bool { return v.Get(id) == "true" }

// Int returns a number field as an int (0 when empty or invalid).
func (v Values) Int(id string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(v.Get(id)))
	return n
}

// Set stores a single value.
func (v Values) Set(id, value string) { v[id] = []string{value} }

// Validate checks values against the declared rules of every field and
// returns the problems keyed by field id (nil when all is well). Defaults are
// not applied here: transports fill them in when the user leaves a field as
// it was offered.
func (f *Form) Validate(v Values) FieldErrors {
	errs := FieldErrors{}
	for i := range f.Fields {
		fd := &f.Fields[i]
		if msg := fd.Check(v[fd.ID]); msg != "" {
			errs[fd.ID] = msg
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Check validates one field's values and returns a message for the user, or "".
func (fd *Field) Check(vals []string) string {
	var nonEmpty []string
	for _, s := range vals {
		if strings.TrimSpace(s) != "" {
			nonEmpty = append(nonEmpty, strings.TrimSpace(s))
		}
	}
	if fd.Kind == FieldBool {
		if len(nonEmpty) > 0 && nonEmpty[0] != "true" && nonEmpty[0] != "false" {
			return "answer yes or no"
		}
		if fd.Required && (len(nonEmpty) == 0 || nonEmpty[0] != "true") {
			return "this box must be checked"
		}
		return ""
	}
	if len(nonEmpty) == 0 {
		if fd.Required {
			return "this field is required"
		}
		return ""
	}
	switch fd.Kind {
	case FieldExternal, FieldMultiExternal:
		// The values themselves are checked against Command.Suggest by the
		// router (Router.ValidateForm).
		if fd.Kind == FieldExternal && len(nonEmpty) > 1 {
			return "choose only one option"
		}
		return ""
	case FieldSelect, FieldMultiSelect:
		if fd.Kind == FieldSelect && len(nonEmpty) > 1 {
			return "choose only one option"
		}
		for _, s := range nonEmpty {
			if !fd.hasOption(s) {
				return fmt.Sprintf("%q is not one of the choices (%s)", s, fd.optionList())
			}
		}
		return ""
	case FieldNumber:
		s := nonEmpty[0]
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Sprintf("%q is not a number", s)
		}
		if fd.Integer && n != float64(int64(n)) {
			return "enter a whole number"
		}
		if fd.Min != nil && n < *fd.Min {
			return fmt.Sprintf("must be at least %s", trimFloat(*fd.Min))
		}
		if fd.Max != nil && n > *fd.Max {
			return fmt.Sprintf("must be at most %s", trimFloat(*fd.Max))
		}
		return ""
	}
	s := nonEmpty[0]
	n := utf8.RuneCountInString(s)
	if fd.MinLen > 0 && n < fd.MinLen {
		return fmt.Sprintf("must be at least %d characters (got %d)", fd.MinLen, n)
	}
	if fd.MaxLen > 0 && n > fd.MaxLen {
		return fmt.Sprintf("must be at most %d characters (got %d)", fd.MaxLen, n)
	}
	if fd.Pattern != "" {
		re, err := regexp.Compile("^(?:" + fd.Pattern + ")$")
		if err != nil {
			return "this field has a broken pattern; tell the platform team"
		}
		if !re.MatchString(s) {
			if fd.PatternHint != "" {
				return fd.PatternHint
			}
			return fmt.Sprintf("must match %s", fd.Pattern)
		}
	}
	return ""
}

func (fd *Field) hasOption(s string) bool {
	for _, o := range fd.Options {
		if o.Value == s {
			return true
		}
	}
	return false
}

func (fd *Field) optionList() string {
	vals := make([]string, 0, len(fd.Options))
	for _, o := range fd.Options {
		vals = append(vals, o.Value)
	}
	if len(vals) > 8 {
		vals = append(vals[:8], "…")
	}
	return strings.Join(vals, ", ")
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Float returns a pointer to f, for Field.Min and Field.Max.
func Float(f float64) *float64 { return &f }
