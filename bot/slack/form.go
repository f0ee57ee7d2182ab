package slack

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
)

// Action ids of modal inputs. They tell the submission parser how to read a
// field's state, whatever element Slack reports.
const (
	actText   = "text"   // plain_text_input: the value as typed
	actCSV    = "csv"    // plain_text_input standing in for a multi-select: comma-separated values
	actSelect = "select" // static_select
	actMulti  = "multi"  // multi_static_select
	actNumber = "number" // number_input
	actBool   = "bool"   // checkboxes with the single option "true"
	actUser   = "user"   // users_select
)

// formMeta is what a modal carries in private_metadata, so the submission
// can be turned back into a request for the same command, in the same
// place, with the same arguments.
type formMeta struct {
	FormID      string    `json:"form_id"`
	Args        []string  `json:"args,omitempty"`
	Flags       bot.Flags `json:"flags,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	ThreadTS    string    `json:"thread_ts,omitempty"`
	ResponseURL string    `json:"response_url,omitempty"`
}

// encodeFormMeta builds a modal's private_metadata for a request. When the
// whole doesn't fit Slack's limit the response URL is dropped first (replies
// then go to the channel as ephemeral messages); if it still doesn't fit the
// user is told to shorten the command line.
func encodeFormMeta(req *bot.Request, formID string) (string, error) {
	m := formMeta{
		FormID: formID, Args: req.Args, Flags: req.Flags,
		Channel: req.Channel, ThreadTS: req.ThreadTS, ResponseURL: req.ResponseURL,
	}
	if len(m.Flags) == 0 {
		m.Flags = nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode form metadata: %w", err)
	}
	if len(b) > MaxPrivateMeta {
		m.ResponseURL = ""
		if b, err = json.Marshal(m); err != nil {
			return "", fmt.Errorf("encode form metadata: %w", err)
		}
	}
	if len(b) > MaxPrivateMeta {
		return "", bot.Errorf("The arguments of `/plat %s` are too long to carry through a form (%d characters, Slack allows %d). Shorten them and try again.", formID, len(b), MaxPrivateMeta)
	}
	return string(b), nil
}

// decodeFormMeta reads a modal's private_metadata.
func decodeFormMeta(s string) (formMeta, error) {
	var m formMeta
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, fmt.Errorf("decode form metadata: %w", err)
	}
	if m.FormID == "" {
		return m, fmt.Errorf("decode form metadata: no form id")
	}
	return m, nil
}

// RenderModal renders a form as a modal view (callback_id "platbot:form")
// carrying meta as its private_metadata. Each field becomes an input block
// whose block_id is the field id, so field errors map onto blocks one to
// one. Slack's limits are respected: the title is cut to 24 characters, a
// select with more than 100 options (or unusable option values) becomes a
// typed text input listing the choices in its hint, and past 100 blocks the
// remaining fields are replaced by a context block counting them.
func RenderModal(form *bot.Form, meta string) goslack.ModalViewRequest {
	var blocks []goslack.Block
	if strings.TrimSpace(form.Intro) != "" {
		blocks = append(blocks, renderSection(form.Intro, nil)...)
	}
	for _, f := range form.Fields {
		blocks = append(blocks, renderInput(f))
	}
	title := form.Title
	if strings.TrimSpace(title) == "" {
		title = defaultModalTitle
	}
	submit := form.SubmitText
	if strings.TrimSpace(submit) == "" {
		submit = "Submit"
	}
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		Title:           plainText(title, MaxModalTitle),
		Submit:          plainText(submit, MaxModalTitle),
		Close:           plainText("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: limitBlocks(blocks, MaxModalBlocks)},
		PrivateMetadata: meta,
		CallbackID:      formCallbackID,
	}
}

func renderInput(f bot.Field) *goslack.InputBlock {
	label := f.Label
	if strings.TrimSpace(label) == "" {
		label = f.ID
	}
	var placeholder *goslack.TextBlockObject
	if strings.TrimSpace(f.Placeholder) != "" {
		placeholder = plainText(f.Placeholder, MaxPlainText)
	}
	hint := f.Help
	var el goslack.BlockElement
	switch f.Kind {
	case bot.FieldSelect, bot.FieldMultiSelect:
		multi := f.Kind == bot.FieldMultiSelect
		if selectFits(f.Options) {
			el = renderSelect(f, placeholder, multi)
			break
		}
		// Too many (or unusable) options for a static select: ask for the
		// value as text and list the choices; Field.Check validates them.
		el, hint = renderTypedChoice(f, placeholder, multi, hint)
	case bot.FieldNumber:
		n := goslack.NewNumberInputBlockElement(placeholder, actNumber, !f.Integer)
		if f.Min != nil {
			n.MinValue = strconv.FormatFloat(*f.Min, 'f', -1, 64)
		}
		if f.Max != nil {
			n.MaxValue = strconv.FormatFloat(*f.Max, 'f', -1, 64)
		}
		n.InitialValue = strings.TrimSpace(f.Default)
		el = n
	case bot.FieldBool:
		text := f.Placeholder
		if strings.TrimSpace(text) == "" {
			text = "Yes"
		}
		opt := goslack.NewOptionBlockObject("true", plainText(text, MaxOptionText), nil)
		cb := goslack.NewCheckboxGroupsBlockElement(actBool, opt)
		if f.Default == "true" {
			cb.InitialOptions = []*goslack.OptionBlockObject{opt}
		}
		el = cb
	case bot.FieldUser:
		us := goslack.NewOptionsSelectBlockElement(goslack.OptTypeUser, placeholder, actUser)
		if isUserID(f.Default) {
			us.InitialUser = f.Default
		}
		el = us
	default: // text, long text and anything unknown
		el = renderTextInput(f, placeholder, actText, f.Default)
	}
	var hintObj *goslack.TextBlockObject
	if strings.TrimSpace(hint) != "" {
		hintObj = plainText(hint, MaxHint)
	}
	blk := goslack.NewInputBlock(cutLen(f.ID, MaxID), plainText(label, MaxPlainText), hintObj, el)
	blk.Optional = !f.Required
	return blk
}

func renderTextInput(f bot.Field, placeholder *goslack.TextBlockObject, actionID, initial string) *goslack.PlainTextInputBlockElement {
	in := goslack.NewPlainTextInputBlockElement(placeholder, actionID)
	in.Multiline = f.Kind == bot.FieldLongText
	maxLen := min(f.MaxLen, MaxTextInput)
	if maxLen > 0 {
		in.MaxLength = maxLen
	}
	if f.MinLen > 0 && f.MinLen <= MaxTextInput && (maxLen == 0 || f.MinLen <= maxLen) {
		in.MinLength = f.MinLen
	}
	limit := MaxTextInput
	if maxLen > 0 {
		limit = maxLen
	}
	in.InitialValue = cutLen(initial, limit)
	return in
}

// selectFits reports whether options can be a static select: 1 to 100 of
// them, each with a distinct non-empty value within Slack's length limit.
func selectFits(opts []bot.Option) bool {
	if len(opts) == 0 || len(opts) > MaxOptions {
		return false
	}
	seen := make(map[string]bool, len(opts))
	for _, o := range opts {
		if o.Value == "" || slackLen(o.Value) > MaxOptionValue || seen[o.Value] {
			return false
		}
		seen[o.Value] = true
	}
	return true
}

func renderSelect(f bot.Field, placeholder *goslack.TextBlockObject, multi bool) goslack.BlockElement {
	opts := make([]*goslack.OptionBlockObject, len(f.Options))
	byValue := make(map[string]*goslack.OptionBlockObject, len(f.Options))
	for i, o := range f.Options {
		label := o.Label
		if strings.TrimSpace(label) == "" {
			label = o.Value
		}
		opts[i] = goslack.NewOptionBlockObject(o.Value, plainText(label, MaxOptionText), nil)
		byValue[o.Value] = opts[i]
	}
	if multi {
		ms := goslack.NewOptionsMultiSelectBlockElement(goslack.MultiOptTypeStatic, placeholder, actMulti, opts...)
		for _, d := range strings.Split(f.Default, ",") {
			if o := byValue[strings.TrimSpace(d)]; o != nil {
				ms.InitialOptions = append(ms.InitialOptions, o)
			}
		}
		return ms
	}
	ss := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, placeholder, actSelect, opts...)
	if o := byValue[strings.TrimSpace(f.Default)]; o != nil {
		ss.InitialOption = o
	}
	return ss
}

// renderTypedChoice is the text input that replaces a select that cannot be
// a static select; the hint lists the choices, cut to fit.
func renderTypedChoice(f bot.Field, placeholder *goslack.TextBlockObject, multi bool, help string) (goslack.BlockElement, string) {
	actionID, lead := actText, "Type one of: "
	if multi {
		actionID, lead = actCSV, "Type any of, separated by commas: "
	}
	if help = strings.TrimSpace(help); help != "" {
		lead = help + "\n" + lead
	}
	vals := make([]string, 0, len(f.Options))
	for _, o := range f.Options {
		vals = append(vals, o.Value)
	}
	list := strings.Join(vals, ", ")
	if slackLen(lead)+slackLen(list) > MaxHint {
		list = truncate(list, max(MaxHint-slackLen(lead), 1))
	}
	field := f
	field.Kind = bot.FieldText
	field.MinLen, field.MaxLen = 0, 0
	return renderTextInput(field, placeholder, actionID, f.Default), lead + list
}

func isUserID(s string) bool {
	if len(s) < 2 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// stateValue is one input's entry in view.state.values.
type stateValue struct {
	Type           string `json:"type"`
	Value          string `json:"value"`
	SelectedOption *struct {
		Value string `json:"value"`
	} `json:"selected_option"`
	SelectedOptions []struct {
		Value string `json:"value"`
	} `json:"selected_options"`
	SelectedUser         string   `json:"selected_user"`
	SelectedUsers        []string `json:"selected_users"`
	SelectedChannel      string   `json:"selected_channel"`
	SelectedConversation string   `json:"selected_conversation"`
	SelectedDate         string   `json:"selected_date"`
	SelectedTime         string   `json:"selected_time"`
}

// valuesFromState turns view.state.values into form values keyed by block
// id (= field id). Every input present gets an entry, empty when the user
// left it empty, so the router does not apply a default the user cleared.
func valuesFromState(state map[string]map[string]stateValue) bot.Values {
	v := bot.Values{}
	for blockID, actions := range state {
		ids := make([]string, 0, len(actions))
		for id := range actions {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		vals := []string{}
		for _, id := range ids {
			vals = append(vals, stateValues(id, actions[id])...)
		}
		v[blockID] = vals
	}
	return v
}

func stateValues(actionID string, s stateValue) []string {
	switch {
	case actionID == actBool || s.Type == "checkboxes":
		for _, o := range s.SelectedOptions {
			if o.Value == "true" {
				return []string{"true"}
			}
		}
		return []string{"false"}
	case actionID == actCSV:
		var out []string
		for _, p := range strings.FieldsFunc(s.Value, func(r rune) bool { return r == ',' || r == '\n' }) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	case s.Type == "multi_static_select" || s.Type == "multi_external_select" || len(s.SelectedOptions) > 0:
		out := make([]string, 0, len(s.SelectedOptions))
		for _, o := range s.SelectedOptions {
			out = append(out, o.Value)
		}
		return out
	case s.Type == "multi_users_select" || len(s.SelectedUsers) > 0:
		return append([]string(nil), s.SelectedUsers...)
	case s.SelectedOption != nil:
		return nonEmpty(s.SelectedOption.Value)
	case s.Type == "users_select":
		return nonEmpty(s.SelectedUser)
	}
	for _, x := range []string{s.Value, s.SelectedUser, s.SelectedChannel, s.SelectedConversation, s.SelectedDate, s.SelectedTime} {
		if x != "" {
			return []string{x}
		}
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
