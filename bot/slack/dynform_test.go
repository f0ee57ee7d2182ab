package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack/slackfake"
)

// canary is the secret typed into the test form; it may appear nowhere but
// in the user's own submissions and in what Submit receives.
const canary = "canary-s3cr3t-7f1d0a"

var teams = []bot.Option{{Value: "team-a", Label: "Team A"}, {Value: "team-b", Label: "Team B"}, {Value: "tools", Label: "Tooling"}}

// svcForm is a two-page form: the kind select (Dispatch) decides whether a
// port field exists; the owner is an external select; the second page has a
// secret and external tags.
func svcForm(_ context.Context, req *bot.Request) (*bot.Form, error) {
	kind := req.FormValues.Get("kind")
	if kind == "" {
		kind = "library"
	}
	fields := []bot.Field{
		{ID: "kind", Label: "Kind", Kind: bot.FieldSelect, Required: true, Default: "library", Dispatch: true,
			Options: []bot.Option{{Value: "library", Label: "Library"}, {Value: "service", Label: "Service"}}},
		{ID: "name", Label: "Name", Kind: bot.FieldText, Required: true},
	}
	if kind == "service" {
		fields = append(fields, bot.Field{ID: "port", Label: "Port", Kind: bot.FieldNumber, Integer: true, Required: true})
	}
	fields = append(fields,
		bot.Field{ID: "owner", Label: "Owner", Kind: bot.FieldExternal, Required: true, MinQuery: 2},
		bot.Field{ID: "token", Label: "Registry token", Kind: bot.FieldSecret, Required: true, Page: 1, Help: "A read token."},
		bot.Field{ID: "tags", Label: "Tags", Kind: bot.FieldMultiExternal, Page: 1},
	)
	return &bot.Form{Title: "New component", SubmitText: "Create", Pages: []string{"Basics", "Access"}, Fields: fields}, nil
}

func svcSuggest(_ context.Context, _ *bot.Request, field, query string) ([]bot.Option, error) {
	var pool []bot.Option
	switch field {
	case "owner":
		pool = teams
	case "tags":
		pool = []bot.Option{{Value: "blue"}, {Value: "green"}, {Value: "legacy"}}
		for i := 0; i < 150; i++ {
			pool = append(pool, bot.Option{Value: fmt.Sprintf("t%03d", i)})
		}
		pool = append(pool, bot.Option{Value: "t-" + strings.Repeat("x", 200)})
	default:
		return nil, fmt.Errorf("no suggestions for %s", field)
	}
	var out []bot.Option
	for _, o := range pool {
		if strings.Contains(o.Value, query) || strings.Contains(strings.ToLower(o.Label), strings.ToLower(query)) {
			out = append(out, o)
		}
	}
	return out, nil
}

// submitted records what the svc-new command's Submit received.
type submitted struct {
	mu     sync.Mutex
	values []bot.Values
}

func (s *submitted) all() []bot.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.values)
}

func registerSvcCommand(e *testEnv) *submitted {
	got := &submitted{}
	e.router.Register(&bot.Command{
		Name: "svc-new", Summary: "New component.", Action: bot.ActionScaffold,
		Form: svcForm, Suggest: svcSuggest,
		Validate: func(_ context.Context, _ *bot.Request, v bot.Values) bot.FieldErrors {
			if v.Get("name") == "taken" {
				return bot.FieldErrors{"name": "a component named taken exists"}
			}
			if v.Get("kind") == "service" && slices.Contains(v.List("tags"), "legacy") {
				return bot.FieldErrors{"kind": "a service cannot be tagged legacy"}
			}
			return nil
		},
		Submit: func(ctx context.Context, req *bot.Request, v bot.Values) error {
			got.mu.Lock()
			got.values = append(got.values, v)
			got.mu.Unlock()
			return req.Reply(ctx, bot.Message{Text: "Created " + v.Get("name") + " (token stored)"})
		},
	})
	return got
}

// State entries of view.state.values, as Slack reports each element.
func stText(v string) map[string]map[string]any {
	return map[string]map[string]any{actText: {"type": "plain_text_input", "value": v}}
}

func stSecret(v string) map[string]map[string]any {
	return map[string]map[string]any{actSecret: {"type": "plain_text_input", "value": v}}
}

func stNumber(v string) map[string]map[string]any {
	return map[string]map[string]any{actNumber: {"type": "number_input", "value": v}}
}

func option(value, label string) map[string]any {
	return map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": label}}
}

func stSelect(value, label string) map[string]map[string]any {
	return map[string]map[string]any{actSelect: {"type": "static_select", "selected_option": option(value, label)}}
}

func stExternal(value, label string) map[string]map[string]any {
	var sel any
	if value != "" {
		sel = option(value, label)
	}
	return map[string]map[string]any{actExternal: {"type": "external_select", "selected_option": sel}}
}

func stMultiExternal(values ...string) map[string]map[string]any {
	opts := []any{}
	for _, v := range values {
		opts = append(opts, option(v, v))
	}
	return map[string]map[string]any{actMultiExternal: {"type": "multi_external_select", "selected_options": opts}}
}

// viewPayload builds an interaction from inside the modal v as Slack sends
// it: the view with its id, hash, metadata, input blocks and state.
func viewPayload(typ string, v slackfake.View, state map[string]map[string]map[string]any) map[string]any {
	var blocks []any
	for _, b := range v.View.Blocks.BlockSet {
		if in, ok := b.(*goslack.InputBlock); ok {
			blocks = append(blocks, map[string]any{"type": "input", "block_id": in.BlockID})
		}
	}
	return map[string]any{
		"type":       typ,
		"team":       map[string]any{"id": "T0FAKE", "domain": "fake"},
		"user":       map[string]any{"id": "U0ALICE", "username": "alice", "team_id": "T0FAKE"},
		"api_app_id": "A0FAKE",
		"trigger_id": "trig-" + typ + "-" + v.Hash,
		"container":  map[string]any{"type": "view", "view_id": v.ID},
		"view": map[string]any{
			"id": v.ID, "team_id": "T0FAKE", "type": "modal", "callback_id": v.View.CallbackID,
			"private_metadata": v.View.PrivateMetadata, "hash": v.Hash,
			"blocks": blocks, "state": map[string]any{"values": state},
		},
	}
}

func viewAction(v slackfake.View, state map[string]map[string]map[string]any, actionID, blockID string, extra map[string]any) map[string]any {
	p := viewPayload("block_actions", v, state)
	a := map[string]any{"action_id": actionID, "block_id": blockID, "action_ts": "1700000100.000" + v.Hash[len(v.Hash)-3:]}
	for k, x := range extra {
		a[k] = x
	}
	p["actions"] = []any{a}
	return p
}

// input returns the input block of a field in a modal, or nil.
func input(v goslack.ModalViewRequest, id string) *goslack.InputBlock {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*goslack.InputBlock); ok && in.BlockID == id {
			return in
		}
	}
	return nil
}

func inputIDs(v goslack.ModalViewRequest) []string {
	var ids []string
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*goslack.InputBlock); ok {
			ids = append(ids, in.BlockID)
		}
	}
	return ids
}

func hasBack(v goslack.ModalViewRequest) bool {
	for _, b := range v.Blocks.BlockSet {
		if a, ok := b.(*goslack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*goslack.ButtonBlockElement); ok && btn.ActionID == actBack {
					return true
				}
			}
		}
	}
	return false
}

// viewAnswer decodes a view_submission answered with response_action
// "update" or "errors".
type viewAnswer struct {
	ResponseAction string                   `json:"response_action"`
	Errors         map[string]string        `json:"errors"`
	View           goslack.ModalViewRequest `json:"view"`
}

func (e *testEnv) submitView(v slackfake.View, state map[string]map[string]map[string]any) (viewAnswer, string) {
	e.t.Helper()
	rec := e.post(PathInteractions, slackfake.InteractionBody(viewPayload("view_submission", v, state)))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("view_submission: %d %s", rec.Code, rec.Body.String())
	}
	var a viewAnswer
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			e.t.Fatalf("view_submission answer %s: %v", rec.Body.String(), err)
		}
	}
	return a, rec.Body.String()
}

func (e *testEnv) openSvcForm() slackfake.View {
	e.t.Helper()
	e.post(PathCommands, slackfake.CommandBody(map[string]string{
		"text": "svc-new", "user_id": "U0ALICE", "trigger_id": "trig-svc", "channel_id": "C0DEV",
		"response_url": e.fake.ResponseURL("svc"),
	}))
	e.runJobs()
	open, ok := e.fake.Last("views.open")
	if !ok || open.Failed() {
		e.t.Fatalf("views.open: %+v", e.fake.Calls())
	}
	v, ok := e.fake.View(open.ViewID)
	if !ok {
		e.t.Fatalf("fake holds no view %s", open.ViewID)
	}
	return v
}

// TestDynamicMultiPageFormOverSlack drives a form the way Slack does, from
// the slash command to the submit job: a Dispatch select rebuilding the
// modal (views.update with hash, values kept; a stale hash dropped),
// external selects answered through block_suggestion and checked on
// submission, pages with Next/Back, page-level errors, an error on an
// earlier page showing that page, and a secret that reaches Submit while
// appearing in no job row, audit event, log line or Slack call.
func TestDynamicMultiPageFormOverSlack(t *testing.T) {
	e := newEnv(t)
	got := registerSvcCommand(e)
	v := e.openSvcForm()

	// Page 1 of 2: Next, no Back, no port (the kind is library), the owner an
	// external select asking from 2 characters, the kind dispatching.
	if v.View.Submit.Text != "Next" || hasBack(v.View) {
		t.Fatalf("first page submit %q back %v", v.View.Submit.Text, hasBack(v.View))
	}
	if ids := strings.Join(inputIDs(v.View), ","); ids != "kind,name,owner" {
		t.Fatalf("first page inputs = %s", ids)
	}
	if !input(v.View, "kind").DispatchAction || input(v.View, "name").DispatchAction {
		t.Fatal("only the kind input dispatches")
	}
	owner := input(v.View, "owner").Element.(*goslack.SelectBlockElement)
	if owner.Type != "external_select" || owner.MinQueryLength == nil || *owner.MinQueryLength != 2 {
		t.Fatalf("owner element = %+v", owner)
	}
	ctxBlock, ok := v.View.Blocks.BlockSet[0].(*goslack.ContextBlock)
	if !ok || !strings.Contains(ctxBlock.ContextElements.Elements[0].(*goslack.TextBlockObject).Text, "Step 1 of 2: Basics") {
		t.Fatalf("first block = %#v", v.View.Blocks.BlockSet[0])
	}

	// The user picks "service": the modal is rebuilt with a port field,
	// keeping what was entered, through views.update with the view's hash.
	state := map[string]map[string]map[string]any{
		"kind": stSelect("service", "Service"), "name": stText("orders"), "owner": stExternal("team-b", "Team B"),
	}
	rec := e.post(PathInteractions, slackfake.InteractionBody(viewAction(v, state, actSelect, "kind",
		map[string]any{"type": "static_select", "selected_option": option("service", "Service")})))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("dispatch ack = %d %q", rec.Code, rec.Body.String())
	}
	upd, ok := e.fake.Last("views.update")
	if !ok || upd.Failed() || upd.Param("view_id") != v.ID || upd.Param("hash") != v.Hash {
		t.Fatalf("views.update = %+v", upd)
	}
	if ids := strings.Join(inputIDs(*upd.View), ","); ids != "kind,name,port,owner" {
		t.Fatalf("rebuilt inputs = %s", ids)
	}
	if el := input(*upd.View, "name").Element.(*goslack.PlainTextInputBlockElement); el.InitialValue != "orders" {
		t.Fatalf("name kept as %q", el.InitialValue)
	}
	if el := input(*upd.View, "kind").Element.(*goslack.SelectBlockElement); el.InitialOption == nil || el.InitialOption.Value != "service" {
		t.Fatalf("kind initial = %+v", el.InitialOption)
	}
	if el := input(*upd.View, "owner").Element.(*goslack.SelectBlockElement); el.InitialOption == nil || el.InitialOption.Value != "team-b" || el.InitialOption.Text.Text != "Team B" {
		t.Fatalf("owner initial = %+v", el.InitialOption)
	}
	stale := v
	v, _ = e.fake.View(v.ID)

	// A click carrying the old hash (the modal changed since) is dropped:
	// Slack answers hash_conflict and the modal stays as it is.
	state["kind"] = stSelect("library", "Library")
	rec = e.post(PathInteractions, slackfake.InteractionBody(viewAction(stale, state, actSelect, "kind", nil)))
	if rec.Code != http.StatusOK {
		t.Fatalf("stale dispatch = %d", rec.Code)
	}
	if last, _ := e.fake.Last("views.update"); last.Error != "hash_conflict" {
		t.Fatalf("stale update answered %q, want hash_conflict", last.Error)
	}
	if now, _ := e.fake.View(v.ID); now.Hash != v.Hash || input(now.View, "port") == nil {
		t.Fatal("a stale update changed the modal")
	}
	state["kind"] = stSelect("service", "Service")

	// The owner's suggestions: what Suggest answered, as Slack options.
	rec = e.post(PathInteractions, slackfake.InteractionBody(suggestion(v, state, "owner", "team")))
	var opts struct {
		Options []struct {
			Text  struct{ Type, Text string } `json:"text"`
			Value string                      `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &opts); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("suggestion answer %d %s: %v", rec.Code, rec.Body.String(), err)
	}
	if len(opts.Options) != 2 || opts.Options[0].Value != "team-a" || opts.Options[0].Text.Text != "Team A" || opts.Options[0].Text.Type != "plain_text" {
		t.Fatalf("owner options = %+v", opts.Options)
	}
	// At most 100, values Slack cannot take left out.
	rec = e.post(PathInteractions, slackfake.InteractionBody(suggestion(v, state, "tags", "t")))
	opts.Options = nil
	if err := json.Unmarshal(rec.Body.Bytes(), &opts); err != nil || len(opts.Options) != MaxOptions {
		t.Fatalf("tags options = %d (%v)", len(opts.Options), err)
	}
	for _, o := range opts.Options {
		if slackLen(o.Value) > MaxOptionValue {
			t.Fatalf("option value of %d characters", slackLen(o.Value))
		}
	}

	// Page 1 submitted with a forged owner (never suggested) and no port:
	// errors on those fields, no job.
	state["owner"] = stExternal("team-evil", "Evil")
	a, _ := e.submitView(v, state)
	if a.ResponseAction != "errors" || a.Errors["port"] == "" {
		t.Fatalf("first page answer = %+v", a)
	}
	state["port"] = stNumber("8080")
	a, _ = e.submitView(v, state)
	if a.ResponseAction != "errors" || !strings.Contains(a.Errors["owner"], "team-evil") {
		t.Fatalf("forged owner answer = %+v", a)
	}
	state["owner"] = stExternal("team-b", "Team B")

	// Valid: the second page replaces the first (response_action update).
	a, _ = e.submitView(v, state)
	if a.ResponseAction != "update" || a.View.Submit.Text != "Create" || !hasBack(a.View) {
		t.Fatalf("second page answer = %+v", a)
	}
	if ids := strings.Join(inputIDs(a.View), ","); ids != "token,tags" {
		t.Fatalf("second page inputs = %s", ids)
	}
	tok := input(a.View, "token")
	if tok.Optional || !strings.Contains(tok.Hint.Text, "sealed") || tok.Element.(*goslack.PlainTextInputBlockElement).Multiline {
		t.Fatalf("token input = %+v", tok)
	}
	v = e.fake.ReplaceView(v.ID, a.View)

	// The secret typed, then Back: page 1 again with its values, the secret
	// carried sealed.
	page2 := map[string]map[string]map[string]any{"token": stSecret(canary), "tags": stMultiExternal("blue")}
	rec = e.post(PathInteractions, slackfake.InteractionBody(viewAction(v, page2, actBack, "platbot:form:nav", map[string]any{"type": "button", "value": "back"})))
	if rec.Code != http.StatusOK {
		t.Fatalf("back = %d", rec.Code)
	}
	upd, _ = e.fake.Last("views.update")
	if upd.Failed() || upd.View.Submit.Text != "Next" || hasBack(*upd.View) || input(*upd.View, "port") == nil {
		t.Fatalf("back showed %+v", upd)
	}
	if el := input(*upd.View, "port").Element.(*goslack.NumberInputBlockElement); el.InitialValue != "8080" {
		t.Fatalf("port kept as %q", el.InitialValue)
	}
	meta, err := decodeFormMeta(upd.View.PrivateMetadata)
	if err != nil || meta.Page != 0 || meta.Sealed["token"] == "" || meta.Values.Get("tags") != "blue" {
		t.Fatalf("metadata after back = %+v (%v)", meta, err)
	}
	v, _ = e.fake.View(v.ID)

	// Next again: the token is held (optional, "leave empty to keep it"),
	// the tags are as chosen.
	a, _ = e.submitView(v, state)
	if a.ResponseAction != "update" {
		t.Fatalf("next again = %+v", a)
	}
	tok = input(a.View, "token")
	if !tok.Optional || !strings.Contains(tok.Element.(*goslack.PlainTextInputBlockElement).Placeholder.Text, "leave empty") {
		t.Fatalf("held token = %+v", tok)
	}
	if el := input(a.View, "tags").Element.(*goslack.MultiSelectBlockElement); el.Type != "multi_external_select" || len(el.InitialOptions) != 1 || el.InitialOptions[0].Value != "blue" {
		t.Fatalf("tags = %+v", el)
	}
	v = e.fake.ReplaceView(v.ID, a.View)

	// Submitted with a tag the command refuses for a service: the error is
	// on page 1's kind, so page 1 is shown with it.
	page2 = map[string]map[string]map[string]any{"token": stSecret(""), "tags": stMultiExternal("legacy")}
	a, _ = e.submitView(v, page2)
	if a.ResponseAction != "update" || a.View.Submit.Text != "Next" {
		t.Fatalf("earlier-page error answer = %+v", a)
	}
	if k := input(a.View, "kind"); k.Hint == nil || !strings.Contains(k.Hint.Text, "cannot be tagged legacy") {
		t.Fatalf("kind shows no error: %+v", k.Hint)
	}
	v = e.fake.ReplaceView(v.ID, a.View)
	state["kind"] = stSelect("library", "Library")
	delete(state, "port")
	a, _ = e.submitView(v, state)
	if a.ResponseAction != "update" {
		t.Fatalf("page 1 again = %+v", a)
	}
	v = e.fake.ReplaceView(v.ID, a.View)

	// Last page: accepted (empty answer: the modal closes), one job.
	a, body := e.submitView(v, page2)
	if body != "" {
		t.Fatalf("final answer = %+v", a)
	}
	e.runJobs()
	all := got.all()
	if len(all) != 1 {
		t.Fatalf("submissions = %d", len(all))
	}
	s := all[0]
	if s.Get("token") != canary || s.Get("name") != "orders" || s.Get("owner") != "team-b" || s.Get("kind") != "library" || strings.Join(s.List("tags"), ",") != "legacy" {
		t.Fatalf("Submit got %v", s)
	}
	if _, ok := s["port"]; ok {
		t.Fatalf("the port field went away with the kind but its value stayed: %v", s)
	}
	reply, _ := e.fake.Last(slackfake.MethodResponseURL)
	if !strings.Contains(reply.Text(), "Created orders") {
		t.Fatalf("reply = %q", reply.Text())
	}

	// The secret is nowhere but in what the user sent.
	assertNoCanary(t, e)
	var audited bool
	for _, ev := range e.q.Events() {
		if ev.Action == "form.submit" {
			vals, _ := ev.Details["values"].(map[string]any)
			audited = vals["token"] == bot.SecretMark
		}
	}
	if !audited {
		t.Fatalf("the submission's audit does not list the token as %s: %+v", bot.SecretMark, e.q.Events())
	}
}

// assertNoCanary checks job rows, audit events, logs and every call the
// fake Slack recorded for the canary secret.
func assertNoCanary(t *testing.T, e *testEnv) {
	t.Helper()
	for _, j := range e.q.Jobs() {
		if strings.Contains(string(j.Payload), canary) {
			t.Errorf("job %s payload holds the secret: %s", j.Kind, j.Payload)
		}
	}
	for _, ev := range e.q.Events() {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), canary) {
			t.Errorf("audit event holds the secret: %s", b)
		}
	}
	if strings.Contains(e.logs.String(), canary) {
		t.Errorf("logs hold the secret:\n%s", e.logs.String())
	}
	for _, c := range e.fake.Calls() {
		if strings.Contains(string(c.Raw), canary) {
			t.Errorf("Slack call %s holds the secret: %s", c.Method, c.Raw)
		}
	}
}

func suggestion(v slackfake.View, state map[string]map[string]map[string]any, field, query string) map[string]any {
	p := viewPayload("block_suggestion", v, state)
	p["action_id"], p["block_id"], p["value"] = actExternal, field, query
	return p
}

// TestSecretTypedBeforeDispatchIsHeldSealed: a secret typed before a
// Dispatch change is not sent back to Slack in the rebuilt modal; it is
// carried sealed and reaches Submit when its field is left empty.
func TestSecretTypedBeforeDispatchIsHeldSealed(t *testing.T) {
	e := newEnv(t)
	got := registerSvcCommand(e)
	v := e.openSvcForm()
	state := map[string]map[string]map[string]any{
		"kind": stSelect("library", "Library"), "name": stText("lib"), "owner": stExternal("tools", "Tooling"),
	}
	a, _ := e.submitView(v, state)
	v = e.fake.ReplaceView(v.ID, a.View)
	// On page 2 the tags input dispatches nothing, so a Back with a typed
	// secret is the rebuild: then Next shows the secret held.
	page2 := map[string]map[string]map[string]any{"token": stSecret(canary), "tags": stMultiExternal()}
	e.post(PathInteractions, slackfake.InteractionBody(viewAction(v, page2, actBack, "platbot:form:nav", nil)))
	v, _ = e.fake.View(v.ID)
	a, _ = e.submitView(v, state)
	v = e.fake.ReplaceView(v.ID, a.View)
	if body := mustMarshal(t, a.View); strings.Contains(body, canary) {
		t.Fatalf("the page shown again holds the secret: %s", body)
	}
	page2["token"] = stSecret("")
	if _, body := e.submitView(v, page2); body != "" {
		t.Fatalf("final answer = %s", body)
	}
	e.runJobs()
	if all := got.all(); len(all) != 1 || all[0].Get("token") != canary {
		t.Fatalf("Submit got %v", all)
	}
	assertNoCanary(t, e)
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSealedMetadataIsBoundToUserAndKey: a secret sealed into one user's
// modal cannot be opened from another user's submission of the same
// metadata, nor after a restart with another key: the user is told to run
// the command again and nothing is queued.
func TestSealedMetadataIsBoundToUserAndKey(t *testing.T) {
	e := newEnv(t)
	registerSvcCommand(e)
	sealed, err := e.router.Sealer().Seal([]byte(canary), metaAAD("svc-new", "U0ALICE", "token"))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := formMeta{FormID: "svc-new", Page: 1, Channel: "C0DEV",
		Values: bot.Values{"kind": {"library"}, "name": {"lib"}, "owner": {"tools"}},
		Sealed: map[string]string{"token": sealed}}.encode()
	if err != nil {
		t.Fatal(err)
	}
	form, _ := svcForm(context.Background(), &bot.Request{})
	v := e.fake.ReplaceView("V0BOUND", renderModal(form, meta, modalState{Page: 1}))
	p := viewPayload("view_submission", v, map[string]map[string]map[string]any{"token": stSecret(""), "tags": stMultiExternal()})
	p["user"] = map[string]any{"id": "U0MALLORY", "username": "mallory", "team_id": "T0FAKE"}
	rec := e.post(PathInteractions, slackfake.InteractionBody(p))
	var a viewAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.ResponseAction != "errors" || !strings.Contains(a.Errors["token"], "run the command again") {
		t.Fatalf("another user's submission = %s (%v)", rec.Body.String(), err)
	}
	if n := len(e.jobs(bot.JobSubmit)); n != 0 {
		t.Fatalf("submit jobs = %d", n)
	}
	assertNoCanary(t, e)
}

// TestMetadataOverSlackLimitIsAFieldError: answers too long to carry to
// the next page are refused with a clear error, not a broken modal.
func TestMetadataOverSlackLimitIsAFieldError(t *testing.T) {
	e := newEnv(t)
	registerSvcCommand(e)
	v := e.openSvcForm()
	state := map[string]map[string]map[string]any{
		"kind": stSelect("library", "Library"), "name": stText(strings.Repeat("n", 2990)), "owner": stExternal("tools", "Tooling"),
	}
	a, _ := e.submitView(v, state)
	if a.ResponseAction != "errors" || !strings.Contains(a.Errors["kind"], "too long to carry") {
		t.Fatalf("answer = %+v", a)
	}
}

// TestBlockSuggestionOverSocketMode: Socket Mode delivers block_suggestion
// as an interactive envelope; its ack carries the options.
func TestBlockSuggestionOverSocketMode(t *testing.T) {
	e := newEnv(t)
	registerSvcCommand(e)
	v := e.openSvcForm()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunSocketMode(ctx, "xapp-test-token", "xoxb-test-token", e.fake.APIURL(), e.h) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunSocketMode = %v", err)
		}
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := e.fake.WaitSocket(wctx, 1); err != nil {
		t.Fatal(err)
	}
	ack, err := e.fake.SendEnvelope(wctx, slackfake.EnvelopeInteractive, suggestion(v, nil, "owner", "tool"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Options []struct {
			Value string `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal(ack, &opts); err != nil || len(opts.Options) != 1 || opts.Options[0].Value != "tools" {
		t.Fatalf("ack = %s (%v)", ack, err)
	}
}

// TestRenderDynamicInputs checks the Block Kit of the new field kinds where
// Slack's defaults would get them wrong: an external select asks from the
// first character only when min_query_length 0 is sent (Slack's default
// is 3), a dispatching text input fires on Enter rather than on every
// keystroke, a held secret is optional, and an error on a field of the page
// shown is in its hint.
func TestRenderDynamicInputs(t *testing.T) {
	form := &bot.Form{Title: "T", Pages: []string{"A", "B"}, Fields: []bot.Field{
		{ID: "q", Label: "Q", Kind: bot.FieldExternal},
		{ID: "d", Label: "D", Kind: bot.FieldText, Dispatch: true, Help: "why"},
		{ID: "s", Label: "S", Kind: bot.FieldSecret, Required: true, Default: "never-shown"},
		{ID: "later", Label: "L", Kind: bot.FieldText, Page: 1},
	}}
	v := renderModal(form, "{}", modalState{Held: map[string]bool{"s": true}, Errors: bot.FieldErrors{"d": "bad d", "": "whole form"}})
	raw := mustMarshal(t, v)
	if !strings.Contains(raw, `"min_query_length":0`) {
		t.Errorf("external select without min_query_length 0: %s", raw)
	}
	if strings.Contains(raw, "never-shown") || input(v, "later") != nil {
		t.Errorf("secret default or a later page's field shown: %s", raw)
	}
	d := input(v, "d")
	el := d.Element.(*goslack.PlainTextInputBlockElement)
	if !d.DispatchAction || el.DispatchActionConfig == nil || strings.Join(el.DispatchActionConfig.TriggerActionsOn, ",") != "on_enter_pressed" {
		t.Errorf("dispatching text input = %+v / %+v", d, el.DispatchActionConfig)
	}
	if !strings.HasPrefix(d.Hint.Text, "⚠️ bad d") || !strings.Contains(d.Hint.Text, "why") {
		t.Errorf("error hint = %q", d.Hint.Text)
	}
	if s := input(v, "s"); !s.Optional {
		t.Error("a held secret is required again")
	}
	if !strings.Contains(raw, "whole form") || v.Submit.Text != "Next" {
		t.Errorf("stray error or submit text missing: %s", raw)
	}
}
