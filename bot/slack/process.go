package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
)

// Outcomes of a Slack request (the outcome label of
// platbot_slack_requests_total).
const (
	OutcomeAccepted  = "accepted"  // a job was queued
	OutcomeDuplicate = "duplicate" // a repeated delivery; nothing new queued
	OutcomeInvalid   = "invalid"   // a form submission answered with field errors
	OutcomeIgnored   = "ignored"   // nothing to do (view closed, link click, other events)
	OutcomeAnswered  = "answered"  // answered inline (url_verification, block_suggestion, a form page or rebuilt modal)
	OutcomeMalformed = "malformed" // signed but unparseable
	OutcomeError     = "error"     // the job could not be queued
)

// ack is how a processed request is answered: an HTTP response, or a
// Socket Mode envelope acknowledgement with the same payload.
type ack struct {
	status  int // HTTP status; 0 means 200
	body    any // JSON response payload; nil answers with an empty body
	outcome string
}

func (a ack) httpStatus() int {
	if a.status == 0 {
		return http.StatusOK
	}
	return a.status
}

// slashCommand is a slash command as Slack sends it: form fields over HTTP,
// the same names as JSON over Socket Mode.
type slashCommand struct {
	Command     string `json:"command"`
	Text        string `json:"text"`
	UserID      string `json:"user_id"`
	UserName    string `json:"user_name"`
	ChannelID   string `json:"channel_id"`
	TeamID      string `json:"team_id"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
}

var errMalformed = errors.New("malformed request")

// parseCommandForm reads a slash command from its form body.
func parseCommandForm(body []byte) (slashCommand, error) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return slashCommand{}, fmt.Errorf("%w: command form: %v", errMalformed, err)
	}
	c := slashCommand{
		Command: q.Get("command"), Text: q.Get("text"),
		UserID: q.Get("user_id"), UserName: q.Get("user_name"),
		ChannelID: q.Get("channel_id"), TeamID: q.Get("team_id"),
		ResponseURL: q.Get("response_url"), TriggerID: q.Get("trigger_id"),
	}
	return c, c.check()
}

// parseCommandJSON reads a slash command from a Socket Mode payload.
func parseCommandJSON(raw []byte) (slashCommand, error) {
	var c slashCommand
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("%w: command payload: %v", errMalformed, err)
	}
	return c, c.check()
}

func (c slashCommand) check() error {
	if c.UserID == "" || c.TriggerID == "" {
		return fmt.Errorf("%w: command without user_id or trigger_id", errMalformed)
	}
	return nil
}

// interaction is the part of an interactivity payload platbot reads
// (block_actions, view_submission, view_closed, shortcut, message_action).
type interaction struct {
	Type string `json:"type"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
		TeamID   string `json:"team_id"`
	} `json:"user"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	TriggerID   string `json:"trigger_id"`
	ResponseURL string `json:"response_url"`
	ActionTS    string `json:"action_ts"`
	CallbackID  string `json:"callback_id"`
	// ActionID, BlockID and Value are a block_suggestion's input and what
	// the user typed into it.
	ActionID  string `json:"action_id"`
	BlockID   string `json:"block_id"`
	Value     string `json:"value"`
	Container struct {
		Type      string `json:"type"`
		MessageTS string `json:"message_ts"`
		ThreadTS  string `json:"thread_ts"`
		ChannelID string `json:"channel_id"`
		ViewID    string `json:"view_id"`
	} `json:"container"`
	Message struct {
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts"`
	} `json:"message"`
	Actions []struct {
		ActionID       string `json:"action_id"`
		BlockID        string `json:"block_id"`
		Type           string `json:"type"`
		Value          string `json:"value"`
		ActionTS       string `json:"action_ts"`
		SelectedOption *struct {
			Value string `json:"value"`
		} `json:"selected_option"`
	} `json:"actions"`
	View struct {
		ID              string `json:"id"`
		Type            string `json:"type"`
		Hash            string `json:"hash"`
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			BlockID string `json:"block_id"`
			Type    string `json:"type"`
		} `json:"blocks"`
		State struct {
			Values map[string]map[string]stateValue `json:"values"`
		} `json:"state"`
	} `json:"view"`
	ResponseURLs []struct {
		ResponseURL string `json:"response_url"`
	} `json:"response_urls"`
}

// parseInteractionForm reads the payload= field of an interactivity body.
func parseInteractionForm(body []byte) (*interaction, error) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: interaction form: %v", errMalformed, err)
	}
	p := q.Get("payload")
	if p == "" {
		return nil, fmt.Errorf("%w: interaction without payload", errMalformed)
	}
	return parseInteraction([]byte(p))
}

// parseInteraction reads an interactivity payload (JSON).
func parseInteraction(raw []byte) (*interaction, error) {
	var ic interaction
	if err := json.Unmarshal(raw, &ic); err != nil {
		return nil, fmt.Errorf("%w: interaction payload: %v", errMalformed, err)
	}
	if ic.Type == "" || ic.User.ID == "" {
		return nil, fmt.Errorf("%w: interaction without type or user", errMalformed)
	}
	return &ic, nil
}

// eventEnvelope is the part of an Events API body platbot reads.
type eventEnvelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	TeamID    string `json:"team_id"`
	EventID   string `json:"event_id"`
	Event     struct {
		Type        string `json:"type"`
		Subtype     string `json:"subtype"`
		User        string `json:"user"`
		BotID       string `json:"bot_id"`
		Text        string `json:"text"`
		Channel     string `json:"channel"`
		ChannelType string `json:"channel_type"`
		TS          string `json:"ts"`
		ThreadTS    string `json:"thread_ts"`
		// Tab is the tab of an app_home_opened event ("home", "messages").
		Tab string `json:"tab"`
		// MessageTS, Source and Links are a link_shared event's message,
		// where it was written ("conversations_history", "composer") and
		// the links it holds.
		MessageTS string `json:"message_ts"`
		Source    string `json:"source"`
		Links     []struct {
			Domain string `json:"domain"`
			URL    string `json:"url"`
		} `json:"links"`
	} `json:"event"`
}

func parseEvent(raw []byte) (*eventEnvelope, error) {
	var ev eventEnvelope
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("%w: event body: %v", errMalformed, err)
	}
	if ev.Type == "" {
		return nil, fmt.Errorf("%w: event without type", errMalformed)
	}
	return &ev, nil
}

// processCommand queues a slash command. Its delivery id is the trigger id,
// so the same command delivered twice is one job.
func (h *Handler) processCommand(ctx context.Context, c slashCommand) ack {
	req := &bot.Request{
		ID:          c.TriggerID,
		Transport:   bot.TransportSlack,
		User:        bot.User{ID: c.UserID, Name: c.UserName},
		TeamID:      c.TeamID,
		Channel:     c.ChannelID,
		Text:        strings.TrimSpace(c.Text),
		ResponseURL: c.ResponseURL,
		TriggerID:   c.TriggerID,
		Received:    h.now(),
	}
	a := h.accept(ctx, bot.JobCommand, req, req)
	if a.outcome == OutcomeError {
		a = ack{outcome: OutcomeError, body: map[string]string{
			"response_type": "ephemeral",
			"text":          fmt.Sprintf("⚠️ platbot could not take `%s %s` right now (reference `%s`). Please try again in a moment.", c.Command, c.Text, req.ID),
		}}
	}
	return a
}

// processInteraction handles a parsed interactivity payload.
func (h *Handler) processInteraction(ctx context.Context, ic *interaction) ack {
	switch ic.Type {
	case "block_actions":
		return h.processBlockActions(ctx, ic)
	case "view_submission":
		return h.processSubmission(ctx, ic)
	case "block_suggestion":
		return h.processSuggestion(ctx, ic)
	case "shortcut", "message_action":
		return h.processShortcut(ctx, ic)
	}
	// view_closed and anything else: nothing to do.
	return ack{outcome: OutcomeIgnored}
}

// baseRequest fills the request fields every interaction has.
func (h *Handler) baseRequest(ic *interaction) *bot.Request {
	name := ic.User.Username
	if name == "" {
		name = ic.User.Name
	}
	team := ic.Team.ID
	if team == "" {
		team = ic.User.TeamID
	}
	return &bot.Request{
		Transport:   bot.TransportSlack,
		User:        bot.User{ID: ic.User.ID, Name: name},
		TeamID:      team,
		ResponseURL: ic.ResponseURL,
		TriggerID:   ic.TriggerID,
		Received:    h.now(),
	}
}

// ActionDeliveryID is the delivery id of one button click: a hash of who
// clicked, when, which action and on which message. Slack's retries of the
// same click carry the same values.
func ActionDeliveryID(userID, actionTS, actionID, messageTS string) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + actionTS + "\x00" + actionID + "\x00" + messageTS))
	return "act:" + hex.EncodeToString(sum[:16])
}

func (h *Handler) processBlockActions(ctx context.Context, ic *interaction) ack {
	if ic.View.Type == homeViewType {
		// A button on the clicker's Home tab: the same action as on a
		// message, with no channel to answer in (answers go by DM).
		return h.processHomeActions(ctx, ic)
	}
	if ic.Container.Type == "view" || (ic.View.ID != "" && ic.Container.MessageTS == "") {
		// Inside a modal: a Dispatch field changed or Back was pressed.
		return h.processViewAction(ctx, ic)
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	msgTS := ic.Container.MessageTS
	if msgTS == "" {
		msgTS = ic.Message.TS
	}
	thread := ic.Container.ThreadTS
	if thread == "" {
		thread = ic.Message.ThreadTS
	}
	result := ack{outcome: OutcomeIgnored}
	for _, a := range ic.Actions {
		if a.ActionID == "" || strings.HasPrefix(a.ActionID, linkActionPrefix) {
			continue // a link button: Slack opened the URL
		}
		ts := a.ActionTS
		if ts == "" {
			ts = ic.ActionTS
		}
		value := a.Value
		if value == "" && a.SelectedOption != nil {
			value = a.SelectedOption.Value
		}
		req := h.baseRequest(ic)
		req.ID = ActionDeliveryID(ic.User.ID, ts, a.ActionID, msgTS)
		req.Channel, req.ThreadTS = channel, thread
		act := bot.Action{ID: a.ActionID, Value: value, Message: bot.MessageRef{Channel: channel, TS: msgTS, ThreadTS: thread}}
		r := h.accept(ctx, bot.JobAction, bot.ActionPayload{Request: req, Action: act}, req)
		if result.outcome == OutcomeIgnored || r.outcome == OutcomeError || (r.outcome == OutcomeAccepted && result.outcome == OutcomeDuplicate) {
			result = r
		}
	}
	return result
}

// formRequest turns a form view back into a request for its command, in
// the place and with the arguments it was opened with.
func (h *Handler) formRequest(ic *interaction, meta formMeta) *bot.Request {
	req := h.baseRequest(ic)
	req.ID = "view:" + ic.View.ID
	req.Command = meta.FormID
	req.Args, req.Flags = meta.Args, meta.Flags
	req.Channel, req.ThreadTS = meta.Channel, meta.ThreadTS
	req.ResponseURL = meta.ResponseURL
	if req.ResponseURL == "" && len(ic.ResponseURLs) > 0 {
		req.ResponseURL = ic.ResponseURLs[0].ResponseURL
	}
	if req.Flags == nil {
		req.Flags = bot.Flags{}
	}
	return req
}

// errSealedLost is what a user is told when the secrets a modal carries
// can no longer be opened (platbot restarted with a per-process key).
var errSealedLost = &bot.UserError{Msg: "This form's secret answers can no longer be read (platbot restarted). Close it and run the command again."}

// formValues are the values a form view holds: those its metadata carries
// (other pages; secrets opened) overlaid with the inputs of the page shown.
// An empty secret input keeps the secret already held for it.
func (h *Handler) formValues(ic *interaction, meta formMeta) (bot.Values, error) {
	v := bot.Values{}
	for id, vals := range meta.Values {
		v[id] = vals
	}
	for id, sealed := range meta.Sealed {
		plain, err := h.router.Sealer().Open(sealed, metaAAD(meta.FormID, ic.User.ID, id))
		if err != nil {
			h.log.Warn("slack: sealed form value cannot be opened", "form", meta.FormID, "field", id, "user", ic.User.ID, "err", err)
			return nil, errSealedLost
		}
		v[id] = []string{string(plain)}
	}
	secret := secretInputs(ic.View.State.Values)
	for id, vals := range valuesFromState(ic.View.State.Values) {
		if secret[id] && len(vals) == 0 {
			if _, held := v[id]; held {
				continue
			}
		}
		v[id] = vals
	}
	return v, nil
}

// carry puts the values entered so far into the metadata of the modal
// showing the form f: the values of fields f no longer has are dropped,
// secret ones are sealed. It returns the secret fields it holds.
func (h *Handler) carry(meta formMeta, f *bot.Form, v bot.Values, userID string) (formMeta, map[string]bool, error) {
	meta.Values, meta.Sealed = bot.Values{}, map[string]string{}
	held := map[string]bool{}
	for id, vals := range v {
		fd := f.Field(id)
		switch {
		case fd == nil:
			continue
		case fd.Kind == bot.FieldSecret:
			if len(vals) == 0 || vals[0] == "" {
				continue
			}
			sealed, err := h.router.Sealer().Seal([]byte(vals[0]), metaAAD(meta.FormID, userID, id))
			if err != nil {
				return meta, nil, fmt.Errorf("seal %s: %w", id, err)
			}
			meta.Sealed[id] = sealed
			held[id] = true
		default:
			meta.Values[id] = vals
		}
	}
	return meta, held, nil
}

// showPage renders page of the form f with the values entered so far,
// carrying them (and errs shown on the fields) in the view.
func (h *Handler) showPage(ic *interaction, meta formMeta, f *bot.Form, page int, v bot.Values, errs bot.FieldErrors) (goslack.ModalViewRequest, error) {
	meta.Page = min(max(page, 0), f.PageCount()-1)
	meta, held, err := h.carry(meta, f, v, ic.User.ID)
	if err != nil {
		return goslack.ModalViewRequest{}, err
	}
	enc, err := meta.encode()
	if err != nil {
		return goslack.ModalViewRequest{}, err
	}
	shown := bot.Values{}
	for id, vals := range v {
		if fd := f.Field(id); fd != nil && fd.Kind != bot.FieldSecret {
			shown[id] = vals
		}
	}
	return renderModal(f, enc, modalState{Page: meta.Page, Values: shown, Labels: labelsFromState(ic.View.State.Values), Held: held, Errors: errs}), nil
}

// userMessage is the text of an error meant for the user, or a generic
// sentence with a reference (the error itself is logged).
func (h *Handler) userMessage(err error, what string, req *bot.Request) string {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return ue.Msg
	}
	h.log.Error("slack: "+what, "form", req.Command, "user", req.User.ID, "request", req.ID, "err", err)
	return fmt.Sprintf("Something went wrong with this form (reference %s). Please try again.", req.ID)
}

// processSubmission answers a modal's submission. A page before the last
// of a multi-page form is validated and answered with the next page
// (response_action "update"); the last page (or a form of one page) is
// validated as a whole and queued as a durable submit job. Problems are
// shown on the fields; a problem on an earlier page shows that page.
func (h *Handler) processSubmission(ctx context.Context, ic *interaction) ack {
	if ic.View.CallbackID != formCallbackID {
		return ack{outcome: OutcomeIgnored}
	}
	if ic.View.ID == "" {
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	meta, err := decodeFormMeta(ic.View.PrivateMetadata)
	if err != nil {
		h.log.Warn("slack: view submission with unreadable metadata", "view", ic.View.ID, "user", ic.User.ID, "err", err)
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	req := h.formRequest(ic, meta)
	blocks := inputBlocks(ic)
	values, err := h.formValues(ic, meta)
	if err != nil {
		return formErrors(blocks, bot.FieldErrors{"": h.userMessage(err, "open form values", req)})
	}
	f, err := h.router.BuildForm(ctx, req, meta.FormID, values)
	if err != nil {
		return formErrors(blocks, bot.FieldErrors{"": h.userMessage(err, "rebuild form", req)})
	}
	last := f == nil || meta.Page >= f.PageCount()-1
	var errs bot.FieldErrors
	if last {
		errs, err = h.router.ValidateForm(ctx, req, meta.FormID, values)
	} else {
		errs, err = h.router.ValidatePage(ctx, req, meta.FormID, meta.Page, values)
	}
	if err != nil {
		return formErrors(blocks, bot.FieldErrors{"": h.userMessage(err, "validate form", req)})
	}
	if len(errs) > 0 {
		return h.pageErrors(ic, meta, f, blocks, values, errs, req)
	}
	if !last {
		view, err := h.showPage(ic, meta, f, meta.Page+1, values, nil)
		if err != nil {
			return formErrors(blocks, bot.FieldErrors{"": h.userMessage(err, "next page", req)})
		}
		return ack{outcome: OutcomeAnswered, body: map[string]any{"response_action": "update", "view": view}}
	}
	a := h.accept(ctx, bot.JobSubmit, bot.SubmitPayload{Request: req, FormID: meta.FormID, Values: values}, req)
	if a.outcome == OutcomeError {
		return formErrors(blocks, bot.FieldErrors{"": fmt.Sprintf("platbot could not save this submission (reference %s). Please try again.", req.ID)})
	}
	return a
}

// pageErrors answers a submission with errors: on the fields of the page
// shown, or, when a field of an earlier page is wrong, with that page
// (response_action "update") showing its errors.
func (h *Handler) pageErrors(ic *interaction, meta formMeta, f *bot.Form, blocks []string, v bot.Values, errs bot.FieldErrors, req *bot.Request) ack {
	if f == nil || f.PageCount() == 1 {
		return formErrors(blocks, errs)
	}
	earliest := meta.Page
	for id := range errs {
		if p := f.PageOf(id); p >= 0 && p < earliest {
			earliest = p
		}
	}
	if earliest == meta.Page {
		return formErrors(blocks, errs)
	}
	view, err := h.showPage(ic, meta, f, earliest, v, errs)
	if err != nil {
		return formErrors(blocks, bot.FieldErrors{"": h.userMessage(err, "show page", req)})
	}
	return ack{outcome: OutcomeInvalid, body: map[string]any{"response_action": "update", "view": view}}
}

// processViewAction answers a block_actions from inside a form modal: a
// Dispatch field changed (the form is rebuilt for the values entered so far
// and the modal updated in place, values kept) or Back was pressed on a
// multi-page form (the previous page is shown with its values). The update
// carries the view's hash: when the modal changed in between (Slack's
// hash_conflict) a newer update won and this one is dropped.
func (h *Handler) processViewAction(ctx context.Context, ic *interaction) ack {
	if ic.View.CallbackID != formCallbackID || ic.View.ID == "" {
		return ack{outcome: OutcomeIgnored}
	}
	meta, err := decodeFormMeta(ic.View.PrivateMetadata)
	if err != nil {
		h.log.Warn("slack: view action with unreadable metadata", "view", ic.View.ID, "user", ic.User.ID, "err", err)
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	if h.views == nil {
		h.log.Warn("slack: a form changed but no view updater is configured", "form", meta.FormID, "view", ic.View.ID)
		return ack{outcome: OutcomeIgnored}
	}
	req := h.formRequest(ic, meta)
	page := meta.Page
	changed := ""
	for _, a := range ic.Actions {
		if a.ActionID == actBack {
			page = meta.Page - 1
		} else if changed == "" {
			changed = a.BlockID
		}
	}
	var view goslack.ModalViewRequest
	values, err := h.formValues(ic, meta)
	var f *bot.Form
	if err == nil {
		f, err = h.router.BuildForm(ctx, req, meta.FormID, values)
	}
	if err == nil && f == nil {
		return ack{outcome: OutcomeIgnored} // a form opened by a handler: nothing to rebuild it with
	}
	if err == nil {
		view, err = h.showPage(ic, meta, f, page, values, nil)
	}
	if err != nil {
		// Show the problem in the modal as it is (its metadata unchanged).
		msg := h.userMessage(err, "rebuild form", req)
		errs := bot.FieldErrors{"": msg}
		if changed != "" {
			errs = bot.FieldErrors{changed: msg}
		}
		if f == nil {
			f = &bot.Form{Title: defaultModalTitle}
		}
		view = renderModal(f, ic.View.PrivateMetadata, modalState{Page: meta.Page, Values: values, Labels: labelsFromState(ic.View.State.Values), Errors: errs})
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.ackTimeout)
	defer cancel()
	if err := h.views.UpdateView(uctx, ic.View.ID, ic.View.Hash, view); err != nil {
		if errors.Is(err, ErrViewChanged) {
			h.log.Debug("slack: form update dropped, the view changed meanwhile", "view", ic.View.ID, "form", meta.FormID)
			return ack{outcome: OutcomeIgnored}
		}
		h.log.Error("slack: update form view", "view", ic.View.ID, "form", meta.FormID, "user", ic.User.ID, "err", err)
		return ack{outcome: OutcomeError}
	}
	return ack{outcome: OutcomeAnswered}
}

// processSuggestion answers a block_suggestion of an external select
// synchronously with {"options": [...]} from the command's Suggest. A
// failure answers no options (Slack then shows none) and is logged.
func (h *Handler) processSuggestion(ctx context.Context, ic *interaction) ack {
	if ic.View.CallbackID != formCallbackID {
		return ack{outcome: OutcomeIgnored} // not a platbot form
	}
	none := ack{outcome: OutcomeAnswered, body: map[string]any{"options": []any{}}}
	meta, err := decodeFormMeta(ic.View.PrivateMetadata)
	if err != nil || ic.BlockID == "" {
		h.log.Warn("slack: block suggestion without form", "view", ic.View.ID, "user", ic.User.ID, "err", err)
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	req := h.formRequest(ic, meta)
	values, err := h.formValues(ic, meta)
	if err != nil {
		values = valuesFromState(ic.View.State.Values)
	}
	req.FormValues = values
	opts, err := h.router.SuggestOptions(ctx, req, meta.FormID, ic.BlockID, ic.Value)
	if err != nil {
		h.log.Warn("slack: suggestions failed", "form", meta.FormID, "field", ic.BlockID, "user", ic.User.ID, "err", err)
		return none
	}
	return ack{outcome: OutcomeAnswered, body: map[string]any{"options": suggestionOptions(opts)}}
}

// formErrors answers a submission with errors shown on the fields
// (response_action "errors", keyed by block id = field id). An error for a
// field that is not in the modal is shown on the first input, prefixed with
// the field's name, because Slack rejects errors for unknown blocks.
func formErrors(blocks []string, errs bot.FieldErrors) ack {
	out := map[string]string{}
	known := make(map[string]bool, len(blocks))
	for _, b := range blocks {
		known[b] = true
	}
	var stray []string
	for _, id := range sortedKeys(errs) {
		msg := errs[id]
		if known[id] {
			out[id] = truncate(msg, MaxHint)
			continue
		}
		if id != "" {
			msg = id + ": " + msg
		}
		stray = append(stray, msg)
	}
	if len(stray) > 0 {
		if len(blocks) == 0 {
			// No input to hang the message on: show it in place of the form.
			view := RenderModal(&bot.Form{Title: defaultModalTitle, Intro: strings.Join(stray, "\n")}, "")
			view.Submit, view.CallbackID = nil, ""
			view.Close = plainText("Close", MaxModalTitle)
			return ack{outcome: OutcomeInvalid, body: map[string]any{"response_action": "update", "view": view}}
		}
		first := blocks[0]
		if prev, ok := out[first]; ok {
			stray = append([]string{prev}, stray...)
		}
		out[first] = truncate(strings.Join(stray, " · "), MaxHint)
	}
	return ack{outcome: OutcomeInvalid, body: map[string]any{"response_action": "errors", "errors": out}}
}

// inputBlocks lists a submitted view's input block ids in display order
// (from view.blocks), falling back to the state's keys, sorted.
func inputBlocks(ic *interaction) []string {
	var ids []string
	seen := map[string]bool{}
	for _, b := range ic.View.Blocks {
		if b.Type == "input" && b.BlockID != "" && !seen[b.BlockID] {
			seen[b.BlockID] = true
			ids = append(ids, b.BlockID)
		}
	}
	for _, k := range sortedKeys(ic.View.State.Values) {
		if !seen[k] {
			ids = append(ids, k)
		}
	}
	return ids
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// processShortcut runs a global or message shortcut as a command: its
// callback id is the command line ("new-db", or "plat new-db").
func (h *Handler) processShortcut(ctx context.Context, ic *interaction) ack {
	if ic.TriggerID == "" {
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	req := h.baseRequest(ic)
	req.ID = "shortcut:" + ic.TriggerID
	req.Text = commandLine(ic.CallbackID)
	req.Channel = ic.Channel.ID
	if ic.Type == "message_action" {
		req.ThreadTS = ic.Message.ThreadTS
		if req.ThreadTS == "" {
			req.ThreadTS = ic.Message.TS
		}
	}
	return h.accept(ctx, bot.JobCommand, req, req)
}

// leadingMention matches the "<@U123>" (or "<@U123|name>") a mention starts with.
var leadingMention = regexp.MustCompile(`^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*`)

// commandLine turns what someone wrote to the bot into a /plat command line:
// a leading mention, "/plat", "plat" or "platbot:" are dropped.
func commandLine(s string) string {
	s = leadingMention.ReplaceAllString(s, "")
	s = strings.TrimSpace(s)
	for _, p := range []string{"/plat ", "plat ", "platbot:", "plat:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = strings.TrimSpace(s[len(p):])
			break
		}
	}
	if strings.EqualFold(s, "/plat") || strings.EqualFold(s, "plat") {
		s = ""
	}
	return s
}

// processEvent handles an Events API body: url_verification is answered
// with its challenge; an app mention (or a direct message to the bot) runs
// the text as a /plat command line in that thread, once per event_id.
func (h *Handler) processEvent(ctx context.Context, ev *eventEnvelope, retry string) ack {
	switch ev.Type {
	case "url_verification":
		return ack{outcome: OutcomeAnswered, body: map[string]string{"challenge": ev.Challenge}}
	case "event_callback":
	default:
		return ack{outcome: OutcomeIgnored}
	}
	e := ev.Event
	switch e.Type {
	case "app_home_opened":
		return h.processHomeOpened(ctx, ev)
	case "link_shared":
		return h.processLinkShared(ctx, ev)
	}
	isMention := e.Type == "app_mention"
	isDM := e.Type == "message" && e.ChannelType == "im"
	if (!isMention && !isDM) || e.Subtype != "" || e.BotID != "" || e.User == "" {
		return ack{outcome: OutcomeIgnored}
	}
	if ev.EventID == "" {
		return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
	}
	if retry != "" {
		h.log.Debug("slack: event redelivered", "event", ev.EventID, "retry", retry)
	}
	thread := e.ThreadTS
	if thread == "" && isMention {
		thread = e.TS
	}
	req := &bot.Request{
		ID:        ev.EventID,
		Transport: bot.TransportSlack,
		User:      bot.User{ID: e.User},
		TeamID:    ev.TeamID,
		Channel:   e.Channel,
		ThreadTS:  thread,
		Text:      commandLine(e.Text),
		Received:  h.now(),
	}
	return h.accept(ctx, bot.JobCommand, req, req)
}

// accept queues a job for a request (ctx carries the ack deadline).
func (h *Handler) accept(ctx context.Context, kind string, payload any, req *bot.Request) ack {
	created, err := h.router.Accept(ctx, kind, payload, req)
	switch {
	case err != nil:
		h.log.Error("slack: could not queue request", "kind", kind, "request", req.ID, "user", req.User.ID, "err", err)
		return ack{status: http.StatusServiceUnavailable, outcome: OutcomeError}
	case !created:
		return ack{outcome: OutcomeDuplicate}
	}
	return ack{outcome: OutcomeAccepted}
}
