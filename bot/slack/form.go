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
	// actExternal and actMultiExternal are external selects whose options
	// come from block_suggestion; actSecret is a secret's plain_text_input.
	actExternal      = "external"
	actMultiExternal = "multi_external"
	actSecret        = "secret"
	// actBack is the Back button of a page after the first.
	actBack = "platbot:form:back"
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
	// Page is the page of a multi-page form the modal shows.
	Page int `json:"page,omitempty"`
	// Values are the values entered so far (every page, secrets excepted):
	// the earlier pages' answers, and what a rebuild (Dispatch, Back)
	// carries over.
	Values bot.Values `json:"values,omitempty"`
	// Sealed are the secret values entered so far, each sealed for this
	// form, user and field (metaAAD).
	Sealed map[string]string `json:"sealed,omitempty"`
}

// metaAAD binds a secret sealed into a modal's metadata to the form, the
// user who typed it and the field: it cannot be replayed into another
// user's or another form's submission.
func metaAAD(formID, userID, fieldID string) string {
	return "slack.form:" + formID + ":" + userID + ":" + fieldID
}

// encodeFormMeta builds a modal's private_metadata for a request.
func encodeFormMeta(req *bot.Request, formID string) (string, error) {
	return newFormMeta(req, formID).encode()
}

func newFormMeta(req *bot.Request, formID string) formMeta {
	return formMeta{
		FormID: formID, Args: req.Args, Flags: req.Flags,
		Channel: req.Channel, ThreadTS: req.ThreadTS, ResponseURL: req.ResponseURL,
	}
}

// encode renders the metadata. When the whole doesn't fit Slack's limit
// the response URL is dropped first (replies then go to the channel as
// ephemeral messages); if it still doesn't fit the user is told what to
// shorten: the answers carried between pages, or the command line.
func (m formMeta) encode() (string, error) {
	if len(m.Flags) == 0 {
		m.Flags = nil
	}
	if len(m.Values) == 0 {
		m.Values = nil
	}
	if len(m.Sealed) == 0 {
		m.Sealed = nil
	}
	formID := m.FormID
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
	if len(b) > MaxPrivateMeta && (m.Values != nil || m.Sealed != nil) {
		return "", &metaTooLong{bot.UserError{Msg: fmt.Sprintf("The answers so far are too long to carry to the next step of this form (%d characters, Slack allows %d). Shorten the longest ones and try again.", len(b), MaxPrivateMeta)}}
	}
	if len(b) > MaxPrivateMeta {
		return "", bot.Errorf("The arguments of `/plat %s` are too long to carry through a form (%d characters, Slack allows %d). Shorten them and try again.", formID, len(b), MaxPrivateMeta)
	}
	return string(b), nil
}

// metaTooLong is the error of metadata over Slack's limit because of the
// answers it carries.
type metaTooLong struct{ bot.UserError }

func (e *metaTooLong) Unwrap() error { return &e.UserError }

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
// remaining fields are replaced by a context block counting them. A
// multi-page form shows its first page.
func RenderModal(form *bot.Form, meta string) goslack.ModalViewRequest {
	return renderModal(form, meta, modalState{})
}

// modalState is what a modal shows besides the form's declarations: the
// page, the values entered so far (as initial values), the labels of
// chosen external options, the secret fields whose value is already held
// (sealed in the metadata), and errors to show on fields.
type modalState struct {
	Page   int
	Values bot.Values
	Labels map[string]string
	Held   map[string]bool
	Errors bot.FieldErrors
}

func renderModal(form *bot.Form, meta string, st modalState) goslack.ModalViewRequest {
	pages := form.PageCount()
	page := min(max(st.Page, 0), pages-1)
	var blocks []goslack.Block
	if strings.TrimSpace(form.Intro) != "" && page == 0 {
		blocks = append(blocks, renderSection(form.Intro, nil)...)
	}
	if pages > 1 {
		step := fmt.Sprintf("Step %d of %d", page+1, pages)
		if t := strings.TrimSpace(form.PageTitle(page)); t != "" {
			step += ": " + t
		}
		blocks = append(blocks, goslack.NewContextBlock("", plainText(step, MaxContextText)))
	}
	fields := form.PageFields(page)
	if stray := strayErrors(st.Errors, form); stray != "" {
		blocks = append(blocks, goslack.NewContextBlock("", plainText("⚠️ "+stray, MaxContextText)))
	}
	for _, f := range fields {
		in := inputState{held: st.Held[f.ID], err: st.Errors[f.ID], labels: st.Labels}
		if vals, ok := st.Values[f.ID]; ok {
			in.initial, in.hasInitial = vals, true
		}
		blocks = append(blocks, renderInput(f, in))
	}
	if page > 0 {
		back := goslack.NewButtonBlockElement(actBack, "back", plainText("Back", MaxButtonText))
		blocks = append(blocks, goslack.NewActionBlock("platbot:form:nav", back))
	}
	title := form.Title
	if strings.TrimSpace(title) == "" {
		title = defaultModalTitle
	}
	submit := form.SubmitText
	if strings.TrimSpace(submit) == "" {
		submit = "Submit"
	}
	if page < pages-1 {
		submit = "Next"
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

// strayErrors joins the errors that are not about a field of the form:
// they are shown above the fields of whichever page is shown.
func strayErrors(errs bot.FieldErrors, form *bot.Form) string {
	var out []string
	for _, id := range sortedKeys(errs) {
		if p := form.PageOf(id); p >= 0 {
			continue
		}
		msg := errs[id]
		if id != "" {
			msg = id + ": " + msg
		}
		out = append(out, msg)
	}
	return strings.Join(out, " · ")
}

// inputState is how one input is shown beyond its declaration.
type inputState struct {
	initial    []string
	hasInitial bool
	labels     map[string]string
	held       bool
	err        string
}

// secretHint is added to a secret field's hint: Slack cannot mask what is
// typed into a modal, so the field says what happens to the value instead.
const secretHint = "Slack shows what you type here; platbot stores it sealed and never shows it again."

func renderInput(f bot.Field, st inputState) *goslack.InputBlock {
	label := f.Label
	if strings.TrimSpace(label) == "" {
		label = f.ID
	}
	var placeholder *goslack.TextBlockObject
	if strings.TrimSpace(f.Placeholder) != "" {
		placeholder = plainText(f.Placeholder, MaxPlainText)
	}
	if st.hasInitial && f.Kind != bot.FieldSecret {
		// The values entered so far replace the declared default.
		f.Default = strings.Join(st.initial, ",")
	}
	hint := f.Help
	optional := !f.Required
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
	case bot.FieldExternal, bot.FieldMultiExternal:
		initial := st.initial
		if !st.hasInitial {
			initial = splitDefault(f)
		}
		el = renderExternal(f, placeholder, initial, st.labels)
	case bot.FieldSecret:
		secret := f
		secret.Kind = bot.FieldText // one line, whatever was declared
		if st.held {
			// The value is held sealed: leaving the field empty keeps it.
			placeholder = plainText("Already entered: leave empty to keep it", MaxPlainText)
			optional = true
		}
		in := renderTextInput(secret, placeholder, actSecret, "")
		el = in
		hint = strings.TrimSpace(strings.TrimSpace(hint) + " " + secretHint)
	case bot.FieldNumber:
		n := goslack.NewNumberInputBlockElement(placeholder, actNumber, !f.Integer)
		if f.Min != nil {
			n.MinValue = strconv.FormatFloat(*f.Min, 'f', -1, 64)
		}
		if f.Max != nil {
			n.MaxValue = strconv.FormatFloat(*f.Max, 'f', -1, 64)
		}
		n.InitialValue = strings.TrimSpace(f.Default)
		if f.Dispatch {
			n.DispatchActionConfig = onEnter()
		}
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
	if in, ok := el.(*goslack.PlainTextInputBlockElement); ok && f.Dispatch {
		in.DispatchActionConfig = onEnter()
	}
	if st.err != "" {
		hint = strings.TrimSpace("⚠️ " + st.err + "\n" + hint)
	}
	var hintObj *goslack.TextBlockObject
	if strings.TrimSpace(hint) != "" {
		hintObj = plainText(hint, MaxHint)
	}
	blk := goslack.NewInputBlock(cutLen(f.ID, MaxID), plainText(label, MaxPlainText), hintObj, el)
	blk.Optional = optional
	// A select dispatches on selection, a text or number input when Enter
	// is pressed (onEnter).
	blk.DispatchAction = f.Dispatch
	return blk
}

// onEnter makes a text or number input dispatch when Enter is pressed
// rather than on every character.
func onEnter() *goslack.DispatchActionConfig {
	return &goslack.DispatchActionConfig{TriggerActionsOn: []string{"on_enter_pressed"}}
}

// splitDefault is a field's declared default as values.
func splitDefault(f bot.Field) []string {
	if strings.TrimSpace(f.Default) == "" {
		return nil
	}
	if !f.IsMulti() {
		return []string{strings.TrimSpace(f.Default)}
	}
	var out []string
	for _, d := range strings.Split(f.Default, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// renderExternal is an external_select (or multi_external_select) whose
// options Slack asks for with block_suggestion once the user typed
// f.MinQuery characters. Slack's own default is 3, so the minimum is
// always sent. Chosen values become initial options, labelled as chosen.
func renderExternal(f bot.Field, placeholder *goslack.TextBlockObject, initial []string, labels map[string]string) goslack.BlockElement {
	minQuery := max(f.MinQuery, 0)
	var opts []*goslack.OptionBlockObject
	for _, v := range initial {
		if v == "" || slackLen(v) > MaxOptionValue {
			continue
		}
		label := labels[v]
		if strings.TrimSpace(label) == "" {
			label = v
		}
		opts = append(opts, goslack.NewOptionBlockObject(v, plainText(label, MaxOptionText), nil))
	}
	if f.Kind == bot.FieldMultiExternal {
		ms := goslack.NewOptionsMultiSelectBlockElement(goslack.MultiOptTypeExternal, placeholder, actMultiExternal)
		ms.MinQueryLength = &minQuery
		ms.InitialOptions = opts
		return ms
	}
	ss := goslack.NewOptionsSelectBlockElement(goslack.OptTypeExternal, placeholder, actExternal)
	ss.MinQueryLength = &minQuery
	if len(opts) > 0 {
		ss.InitialOption = opts[0]
	}
	return ss
}

// suggestionOptions renders Suggest's answer for a block_suggestion:
// at most MaxOptions options, values within Slack's limit, labels cut.
func suggestionOptions(opts []bot.Option) []*goslack.OptionBlockObject {
	out := make([]*goslack.OptionBlockObject, 0, min(len(opts), MaxOptions))
	for _, o := range opts {
		if len(out) == MaxOptions {
			break
		}
		if o.Value == "" || slackLen(o.Value) > MaxOptionValue {
			continue
		}
		label := o.Label
		if strings.TrimSpace(label) == "" {
			label = o.Value
		}
		out = append(out, goslack.NewOptionBlockObject(o.Value, plainText(label, MaxOptionText), nil))
	}
	return out
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
	Type                 string           `json:"type"`
	Value                string           `json:"value"`
	SelectedOption       *selectedOption  `json:"selected_option"`
	SelectedOptions      []selectedOption `json:"selected_options"`
	SelectedUser         string           `json:"selected_user"`
	SelectedUsers        []string         `json:"selected_users"`
	SelectedChannel      string           `json:"selected_channel"`
	SelectedConversation string           `json:"selected_conversation"`
	SelectedDate         string           `json:"selected_date"`
	SelectedTime         string           `json:"selected_time"`
}

// selectedOption is a chosen option in view state.
type selectedOption struct {
	Value string `json:"value"`
	Text  *struct {
		Text string `json:"text"`
	} `json:"text"`
}

// labelsFromState collects the labels of chosen options by value, so a
// rebuilt modal shows an external select's choice as it was shown.
func labelsFromState(state map[string]map[string]stateValue) map[string]string {
	out := map[string]string{}
	add := func(o selectedOption) {
		if o.Text != nil && o.Value != "" {
			out[o.Value] = o.Text.Text
		}
	}
	for _, actions := range state {
		for _, sv := range actions {
			if sv.SelectedOption != nil {
				add(*sv.SelectedOption)
			}
			for _, o := range sv.SelectedOptions {
				add(o)
			}
		}
	}
	return out
}

// secretInputs lists the blocks of view state that are secret inputs.
func secretInputs(state map[string]map[string]stateValue) map[string]bool {
	out := map[string]bool{}
	for blockID, actions := range state {
		if _, ok := actions[actSecret]; ok {
			out[blockID] = true
		}
	}
	return out
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
