package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/store"
)

// jobCanary is the API token typed into the new-job form: it may reach the
// bot in the user's own submission and nowhere else.
const jobCanary = "tok-CANARY-4d91be7a"

// jobBot is platbot serve over cmd/platbot/testdata/templates, with its
// log kept and its App at hand for the audit log.
type jobBot struct {
	*servedBot
	app  *App
	logs *bottest.LogBuffer
	dirs []string
}

func startJobBot(t *testing.T) *jobBot {
	t.Helper()
	return startTemplatesBot(t, "cmd/platbot/testdata/templates")
}

// startTemplatesBot is platbot serve over the templates in templatesDir
// (relative to the repository root) and the example catalog, with a
// recording Slack; extra environment variables replace the defaults.
func startTemplatesBot(t *testing.T, templatesDir string, extra ...map[string]string) *jobBot {
	t.Helper()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	e := testEnv(t, map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-test-token",
		"SLACK_SIGNING_SECRET": testSigningSecret,
		"SLACK_API_URL":        fake.APIURL(),
	})
	cfgDir := t.TempDir()
	e["PLATBOT_GITOPS_REPO"] = filepath.Join(cfgDir, "gitops")
	e["PLATBOT_CONFIG"] = filepath.Join(cfgDir, "platbot.yaml")
	if err := os.WriteFile(e["PLATBOT_CONFIG"], []byte("paths:\n  templatesDir: "+templatesDir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, x := range extra {
		for k, v := range x {
			e[k] = v
		}
	}
	cfg, err := LoadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	logs := &bottest.LogBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := buildApp(ctx, cfg, newLogger(cfg, logs, slog.LevelDebug))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	b := &servedBot{t: t, url: "http://" + ln.Addr().String(), slack: fake, env: e}
	b.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		app.Close()
	}
	t.Cleanup(b.stop)
	b.waitReady()
	return &jobBot{servedBot: b, app: app, logs: logs, dirs: []string{filepath.Dir(e["PLATBOT_DB"]), cfgDir}}
}

// jobState is a modal's view.state.values: block id → action id → element.
type jobState map[string]map[string]any

func jobOption(value, label string) map[string]any {
	return map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": label}}
}

// set records what the user entered in the field, shaped as Slack reports
// the element the modal v shows for it.
func (s jobState) set(t *testing.T, v goslack.ModalViewRequest, field, value, label string) {
	t.Helper()
	in := jobInput(v, field)
	if in == nil {
		t.Fatalf("the modal has no %s field", field)
	}
	var action, typ string
	switch el := in.Element.(type) {
	case *goslack.PlainTextInputBlockElement:
		action, typ = el.ActionID, "plain_text_input"
	case *goslack.SelectBlockElement:
		action, typ = el.ActionID, el.Type
	default:
		t.Fatalf("field %s: element %T", field, in.Element)
	}
	st := map[string]any{"type": typ, "value": value}
	if typ != "plain_text_input" {
		st = map[string]any{"type": typ, "selected_option": jobOption(value, label)}
	}
	s[field] = map[string]any{action: st}
}

func jobInput(v goslack.ModalViewRequest, id string) *goslack.InputBlock {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*goslack.InputBlock); ok && in.BlockID == id {
			return in
		}
	}
	return nil
}

// jobButton returns the button of the modal's action blocks whose value is
// value and its block's id, or nil.
func jobButton(v goslack.ModalViewRequest, value string) (*goslack.ButtonBlockElement, string) {
	for _, b := range v.Blocks.BlockSet {
		if a, ok := b.(*goslack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*goslack.ButtonBlockElement); ok && btn.Value == value {
					return btn, a.BlockID
				}
			}
		}
	}
	return nil, ""
}

func jobInputIDs(v goslack.ModalViewRequest) string {
	var ids []string
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*goslack.InputBlock); ok {
			ids = append(ids, in.BlockID)
		}
	}
	return strings.Join(ids, ",")
}

// interact posts a signed interaction from inside the modal v (typ
// view_submission, block_actions or block_suggestion) and returns the
// status and the body the bot answered.
func (b *jobBot) interact(typ string, v slackfake.View, state jobState, extra map[string]any) (int, []byte) {
	b.t.Helper()
	p := map[string]any{
		"type":       typ,
		"team":       map[string]any{"id": "T0TEST", "domain": "acme"},
		"user":       map[string]any{"id": "U0PAYALICE", "username": "alice", "team_id": "T0TEST"},
		"api_app_id": "A0TEST",
		"trigger_id": "trig-" + typ + "-" + v.Hash,
		"container":  map[string]any{"type": "view", "view_id": v.ID},
		"view": map[string]any{
			"id": v.ID, "team_id": "T0TEST", "type": "modal", "callback_id": v.View.CallbackID,
			"private_metadata": v.View.PrivateMetadata, "hash": v.Hash,
			"state": map[string]any{"values": state},
		},
	}
	for k, x := range extra {
		p[k] = x
	}
	req := slackfake.SignedRequest(testSigningSecret, b.url+"/slack/interactions", slackfake.InteractionBody(p), time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// jobAnswer is a view_submission's answer.
type jobAnswer struct {
	ResponseAction string                   `json:"response_action"`
	Errors         map[string]string        `json:"errors"`
	View           goslack.ModalViewRequest `json:"view"`
}

func (b *jobBot) submit(v slackfake.View, state jobState) (jobAnswer, string) {
	b.t.Helper()
	code, body := b.interact("view_submission", v, state, nil)
	if code != http.StatusOK {
		b.t.Fatalf("view_submission: %d %s", code, body)
	}
	var a jobAnswer
	if len(body) > 0 {
		if err := json.Unmarshal(body, &a); err != nil {
			b.t.Fatalf("view_submission answer %s: %v", body, err)
		}
	}
	return a, string(body)
}

// TestServeBackstageFormOverSlack drives a two-page Backstage template
// (cmd/platbot/testdata/templates/new-job) through the served bot the way
// Slack does: a signed slash command opens the modal; a block_suggestion
// lists the EntityPicker's catalog Components of alice's team only; a
// block_actions changing the kind rebuilds the modal with the field its dependency adds (views.update
// with the view's hash); page 1 with a bad value comes back as a field
// error, then page 2 replaces it; a bad email is a field error; Back and
// Next keep the typed token sealed; the corrected submission starts the
// run, whose progress message is posted and
// whose pull request branch holds the rendered file. The API token (a
// password parameter) is in no Slack call, log line, database file or
// audit event.
func TestServeBackstageFormOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startJobBot(t)
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-job")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.command("U0PAYALICE", "new-job")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, ok := b.slack.View(open.ViewID)
	if !ok {
		t.Fatalf("the fake holds no view %s", open.ViewID)
	}

	// Page 1: the kind dispatches, the schedule is not there yet (the kind
	// is service), the caller is an external select, the owner a select of
	// alice's teams.
	if got := jobInputIDs(v.View); got != "name,kind,caller,owner" {
		t.Fatalf("first page inputs = %s", got)
	}
	if v.View.Submit == nil || v.View.Submit.Text != "Next" {
		t.Fatalf("first page submit = %+v", v.View.Submit)
	}
	if !jobInput(v.View, "kind").DispatchAction || jobInput(v.View, "name").DispatchAction {
		t.Fatal("only the kind input dispatches")
	}
	caller, ok := jobInput(v.View, "caller").Element.(*goslack.SelectBlockElement)
	if !ok || caller.Type != "external_select" {
		t.Fatalf("caller element = %#v", jobInput(v.View, "caller").Element)
	}
	owner, ok := jobInput(v.View, "owner").Element.(*goslack.SelectBlockElement)
	if !ok || owner.Type != "static_select" || len(owner.Options) == 0 || owner.Options[0].Value != "group:default/payments" {
		t.Fatalf("owner element = %#v", jobInput(v.View, "owner").Element)
	}

	// The EntityPicker's suggestions are catalog Components of alice's
	// team (payments): checkout's checkout-service is not offered.
	state := jobState{}
	code, body := b.interact("block_suggestion", v, state, map[string]any{"action_id": caller.ActionID, "block_id": "caller", "value": "service"})
	var sugg struct {
		Options []struct {
			Text  struct{ Text string } `json:"text"`
			Value string                `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal(body, &sugg); err != nil || code != http.StatusOK {
		t.Fatalf("block_suggestion answer %d %s: %v", code, body, err)
	}
	var refs []string
	for _, o := range sugg.Options {
		refs = append(refs, o.Value)
		if !strings.HasPrefix(o.Value, "component:") {
			t.Errorf("a suggestion of a Component picker is %q", o.Value)
		}
	}
	if !slices.Contains(refs, "component:default/payments-service") || slices.Contains(refs, "component:default/checkout-service") {
		t.Fatalf("alice's suggestions for %q = %v, want payments' services only", "service", refs)
	}

	// alice picks the cron kind: the modal is rebuilt with the schedule,
	// what she entered kept, through views.update with the view's hash.
	state.set(t, v.View, "name", "nightly-report", "")
	state.set(t, v.View, "caller", "component:default/payments-service", "Payments Service")
	state.set(t, v.View, "owner", "group:default/payments", "payments")
	state.set(t, v.View, "kind", "cron", "Cron job")
	kindAction := jobInput(v.View, "kind").Element.(*goslack.SelectBlockElement).ActionID
	code, body = b.interact("block_actions", v, state, map[string]any{"actions": []any{map[string]any{
		"action_id": kindAction, "block_id": "kind", "type": "static_select",
		"selected_option": jobOption("cron", "Cron job"), "action_ts": "1700000100.000100",
	}}})
	if code != http.StatusOK {
		t.Fatalf("block_actions: %d %s", code, body)
	}
	upd := b.waitCall("views.update", 1)[0]
	if upd.Failed() || upd.Param("view_id") != v.ID || upd.Param("hash") != v.Hash {
		t.Fatalf("views.update = %s %s (error %q), want view %s hash %s", upd.Param("view_id"), upd.Param("hash"), upd.Error, v.ID, v.Hash)
	}
	// The dependency's property comes after the page's own, as in
	// Backstage's form.
	if got := jobInputIDs(*upd.View); got != "name,kind,caller,owner,schedule" {
		t.Fatalf("rebuilt inputs = %s", got)
	}
	if el, ok := jobInput(*upd.View, "name").Element.(*goslack.PlainTextInputBlockElement); !ok || el.InitialValue != "nightly-report" {
		t.Fatalf("name not kept: %#v", jobInput(*upd.View, "name").Element)
	}
	if el := jobInput(*upd.View, "caller").Element.(*goslack.SelectBlockElement); el.InitialOption == nil || el.InitialOption.Value != "component:default/payments-service" {
		t.Fatalf("caller not kept: %+v", el.InitialOption)
	}
	v, _ = b.slack.View(v.ID)

	// Page 1 with a schedule that is not five cron fields: an error on
	// that field, nothing else.
	state.set(t, v.View, "schedule", "every night", "")
	a, raw := b.submit(v, state)
	if a.ResponseAction != "errors" || a.Errors["schedule"] == "" || len(a.Errors) != 1 {
		t.Fatalf("bad schedule answered %s", raw)
	}
	state.set(t, v.View, "schedule", "0 3 * * *", "")

	// A caller that is in the catalog but no Component (never suggested,
	// as a forged payload would carry it) is refused on its field too.
	state.set(t, v.View, "caller", "system:default/checkout", "Checkout")
	a, raw = b.submit(v, state)
	if a.ResponseAction != "errors" || a.Errors["caller"] == "" || len(a.Errors) != 1 {
		t.Fatalf("a System as the Component answered %s", raw)
	}
	state.set(t, v.View, "caller", "component:default/payments-service", "Payments Service")
	a, raw = b.submit(v, state)
	if a.ResponseAction != "update" || a.View.Submit == nil || a.View.Submit.Text != "Create" {
		t.Fatalf("page 1 answered %s", raw)
	}
	if got := jobInputIDs(a.View); got != "apiToken,contact" {
		t.Fatalf("second page inputs = %s", got)
	}
	v = b.slack.ReplaceView(v.ID, a.View)

	// Page 2: a contact that is not an email address is a field error.
	page2 := jobState{}
	page2.set(t, v.View, "apiToken", jobCanary, "")
	page2.set(t, v.View, "contact", "not-an-email", "")
	a, raw = b.submit(v, page2)
	if a.ResponseAction != "errors" || !strings.Contains(a.Errors["contact"], "must be an email address") {
		t.Fatalf("bad email answered %s", raw)
	}
	if strings.Contains(raw, jobCanary) {
		t.Fatalf("the field errors hold the token: %s", raw)
	}

	// Back, with the token typed: page 1 again through views.update (the
	// token carried sealed in the view's metadata); Next shows page 2 with
	// the token held, to be left empty.
	back, nav := jobButton(v.View, "back")
	if back == nil {
		t.Fatal("the second page has no Back button")
	}
	code, body = b.interact("block_actions", v, page2, map[string]any{"actions": []any{map[string]any{
		"action_id": back.ActionID, "block_id": nav, "type": "button", "value": back.Value, "action_ts": "1700000200.000100",
	}}})
	if code != http.StatusOK {
		t.Fatalf("back: %d %s", code, body)
	}
	upd = b.waitCall("views.update", 2)[1]
	if upd.Failed() || jobInputIDs(*upd.View) != "name,kind,caller,owner,schedule" {
		t.Fatalf("back showed %s (error %q)", jobInputIDs(*upd.View), upd.Error)
	}
	v, _ = b.slack.View(v.ID)
	a, raw = b.submit(v, state)
	if a.ResponseAction != "update" || jobInputIDs(a.View) != "apiToken,contact" {
		t.Fatalf("page 1 again answered %s", raw)
	}
	if tok := jobInput(a.View, "apiToken"); !tok.Optional {
		t.Fatalf("the token typed before Back is not held: %+v", tok)
	}
	v = b.slack.ReplaceView(v.ID, a.View)
	page2.set(t, v.View, "apiToken", "", "")
	page2.set(t, v.View, "contact", "oncall@acme.example", "")
	if _, raw = b.submit(v, page2); raw != "" {
		t.Fatalf("final submission answered %s, want the modal closed", raw)
	}

	// The run: one progress message, updated until the pull request is open.
	deadline := time.Now().Add(30 * time.Second)
	done := false
	for time.Now().Before(deadline) && !done {
		for _, c := range b.slack.Calls("chat.update", "chat.postMessage") {
			done = done || strings.Contains(c.Param("blocks")+c.Text(), "ready for review")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !done {
		t.Fatalf("the run never finished; calls: %+v\nlogs:\n%s", b.slack.Calls("chat.postMessage", "chat.update", slackfake.MethodResponseURL), b.logs.String())
	}
	posts := 0
	for _, c := range b.slack.Calls("chat.postMessage") {
		if strings.Contains(c.Param("blocks")+c.Text(), "nightly-report") {
			posts++
		}
	}
	if posts != 1 {
		t.Fatalf("progress messages = %d, want 1", posts)
	}

	// The branch holds the rendered file.
	repo := b.env["PLATBOT_GITOPS_REPO"]
	out, err := exec.Command("git", "-C", repo, "branch", "--list", "plat/*").Output()
	if err != nil {
		t.Fatal(err)
	}
	branches := strings.Fields(strings.ReplaceAll(string(out), "*", ""))
	if len(branches) != 1 {
		t.Fatalf("branches %q, want one", out)
	}
	file, err := exec.Command("git", "-C", repo, "show", branches[0]+":jobs/nightly-report/job.yaml").Output()
	if err != nil {
		t.Fatalf("the branch %s lacks jobs/nightly-report/job.yaml: %v", branches[0], err)
	}
	want := fmt.Sprintf("name: nightly-report\nkind: cron\nschedule: \"0 3 * * *\"\ncalls: component:default/payments-service\nowner: group:default/payments\ncontact: oncall@acme.example\ntokenLength: %d\n", len(jobCanary))
	if string(file) != want {
		t.Fatalf("rendered job.yaml:\n%s\nwant:\n%s", file, want)
	}

	// The token is nowhere: Slack calls, the log, the audit log, the
	// database and data files, the GitOps repository's objects.
	for _, c := range b.slack.Calls() {
		if strings.Contains(string(c.Raw)+c.Params.Encode(), jobCanary) {
			t.Errorf("Slack call %s holds the token: %s", c.Method, c.Raw)
		}
	}
	if strings.Contains(b.logs.String(), jobCanary) {
		t.Errorf("the log holds the token:\n%s", b.logs.String())
	}
	events, err := b.app.Store.AuditEvents(context.Background(), store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatal("no audit events")
	}
	for _, ev := range events {
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), jobCanary) {
			t.Errorf("audit event %s holds the token: %s", ev.Action, raw)
		}
	}
	if diff, err := exec.Command("git", "-C", repo, "log", "-p", "--all").Output(); err != nil || bytes.Contains(diff, []byte(jobCanary)) {
		t.Errorf("the GitOps history holds the token (or cannot be read: %v)", err)
	}
	for _, dir := range b.dirs {
		err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(data, []byte(jobCanary)) {
				t.Errorf("%s holds the token", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
