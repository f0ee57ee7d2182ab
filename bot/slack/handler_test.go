package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack/slackfake"
)

func TestSlashCommandAcksQueuesAndReplies(t *testing.T) {
	e := newEnv(t)
	body := slackfake.CommandBody(map[string]string{
		"text": "ping a b", "user_id": "U0ALICE", "user_name": "alice",
		"trigger_id": "trig-1", "response_url": e.fake.ResponseURL("r1"),
	})
	rec := e.post(PathCommands, body)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("ack = %d %q, want 200 with an empty body", rec.Code, rec.Body.String())
	}
	jobs := e.jobs(bot.JobCommand)
	if len(jobs) != 1 {
		t.Fatalf("jobs = %d, want 1", len(jobs))
	}
	req := jobs[0]
	if req.ID != "trig-1" || req.Text != "ping a b" || req.Transport != bot.TransportSlack ||
		req.User.ID != "U0ALICE" || req.User.Name != "alice" || req.Channel != "C0FAKE" || req.TeamID != "T0FAKE" ||
		req.TriggerID != "trig-1" || req.ResponseURL != e.fake.ResponseURL("r1") {
		t.Fatalf("queued request = %+v", req)
	}
	if ev := e.q.Events(); len(ev) != 1 || ev[0].Action != bot.JobCommand+".received" {
		t.Fatalf("audit = %+v, want one received event", ev)
	}

	// The same delivery again: answered, nothing new queued or audited.
	rec = e.post(PathCommands, body)
	if rec.Code != http.StatusOK {
		t.Fatalf("repeat ack = %d", rec.Code)
	}
	if n := len(e.q.Jobs()); n != 1 {
		t.Fatalf("jobs after repeat = %d, want 1", n)
	}
	if n := len(e.q.Events()); n != 1 {
		t.Fatalf("audit events after repeat = %d, want 1", n)
	}
	if got := e.counter("platbot_slack_requests_total", "endpoint", EndpointCommands, "outcome", OutcomeDuplicate); got != 1 {
		t.Fatalf("duplicate count = %v", got)
	}

	if n := e.runJobs(); n != 1 {
		t.Fatalf("ran %d jobs, want 1", n)
	}
	calls := e.fake.Calls(slackfake.MethodResponseURL)
	if len(calls) != 1 {
		t.Fatalf("response_url calls = %d, want 1", len(calls))
	}
	c := calls[0]
	if c.Path != "/response/r1" || c.Text() != "pong a b" || c.Param("response_type") != "ephemeral" || c.Param("replace_original") != "false" {
		t.Fatalf("reply = path %s text %q type %q", c.Path, c.Text(), c.Param("response_type"))
	}
}

func TestInChannelReply(t *testing.T) {
	e := newEnv(t)
	e.post(PathCommands, slackfake.CommandBody(map[string]string{"text": "shout", "user_id": "U1", "trigger_id": "t-shout", "response_url": e.fake.ResponseURL("s")}))
	e.runJobs()
	c, ok := e.fake.Last(slackfake.MethodResponseURL)
	if !ok || c.Param("response_type") != "in_channel" || c.Text() != "HELLO" {
		t.Fatalf("reply = %+v", c)
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	e := newEnv(t)
	e.post(PathCommands, slackfake.CommandBody(map[string]string{"text": "pnig", "user_id": "U1", "trigger_id": "t-typo", "response_url": e.fake.ResponseURL("typo")}))
	e.runJobs()
	c, _ := e.fake.Last(slackfake.MethodResponseURL)
	if !strings.Contains(c.Text(), "/plat ping") {
		t.Fatalf("reply %q does not suggest ping", c.Text())
	}
}

func TestFormRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.post(PathCommands, slackfake.CommandBody(map[string]string{
		"text": "new-db payments --region eu", "user_id": "U0ALICE", "trigger_id": "trig-2",
		"channel_id": "C0DEV", "response_url": e.fake.ResponseURL("r2"),
	}))
	e.runJobs()
	open, ok := e.fake.Last("views.open")
	if !ok || open.Failed() {
		t.Fatalf("views.open not called: %+v", e.fake.Calls())
	}
	if open.Token != "xoxb-test-token" || open.Param("trigger_id") != "trig-2" {
		t.Fatalf("views.open token %q trigger %q", open.Token, open.Param("trigger_id"))
	}
	v := open.View
	if v.CallbackID != "platbot:form" || v.Type != goslack.VTModal {
		t.Fatalf("view callback %q type %q", v.CallbackID, v.Type)
	}
	if v.Title.Text != "New database for paymen…" || slackLen(v.Title.Text) > MaxModalTitle {
		t.Fatalf("title %q", v.Title.Text)
	}
	meta, err := decodeFormMeta(v.PrivateMetadata)
	if err != nil {
		t.Fatal(err)
	}
	if meta.FormID != "new-db" || len(meta.Args) != 1 || meta.Args[0] != "payments" || meta.Flags["region"] != "eu" ||
		meta.Channel != "C0DEV" || meta.ResponseURL != e.fake.ResponseURL("r2") {
		t.Fatalf("metadata = %+v", meta)
	}
	blocks := v.Blocks.BlockSet
	if len(blocks) != 8 {
		t.Fatalf("modal blocks = %d, want intro + 7 inputs", len(blocks))
	}
	if s, ok := blocks[0].(*goslack.SectionBlock); !ok || s.Text.Text != "A managed Postgres database." {
		t.Fatalf("intro block = %#v", blocks[0])
	}
	in := func(i int) *goslack.InputBlock {
		b, ok := blocks[i].(*goslack.InputBlock)
		if !ok {
			t.Fatalf("block %d is %T, want input", i, blocks[i])
		}
		return b
	}
	name := in(1)
	if name.BlockID != "name" || name.Optional || name.Label.Text != "Name" {
		t.Fatalf("name block = %+v", name)
	}
	if el := name.Element.(*goslack.PlainTextInputBlockElement); el.MinLength != 3 || el.MaxLength != 31 || el.Multiline || el.Placeholder.Text != "orders-db" {
		t.Fatalf("name element = %+v", el)
	}
	notes := in(2)
	if el := notes.Element.(*goslack.PlainTextInputBlockElement); !el.Multiline || !notes.Optional || notes.Hint.Text != "Anything the platform team should know." {
		t.Fatalf("notes = %+v %+v", notes, el)
	}
	if el := in(3).Element.(*goslack.SelectBlockElement); el.Type != "static_select" || len(el.Options) != 3 || el.InitialOption.Value != "small" || el.Options[0].Text.Text != "Small (2 vCPU)" {
		t.Fatalf("size = %+v", el)
	}
	if el := in(4).Element.(*goslack.MultiSelectBlockElement); el.Type != "multi_static_select" || len(el.InitialOptions) != 1 || el.InitialOptions[0].Value != "pgvector" {
		t.Fatalf("engines = %+v", el)
	}
	if el := in(5).Element.(*goslack.NumberInputBlockElement); el.IsDecimalAllowed || el.MinValue != "1" || el.MaxValue != "5" || el.InitialValue != "1" {
		t.Fatalf("replicas = %+v", el)
	}
	if el := in(6).Element.(*goslack.CheckboxGroupsBlockElement); len(el.Options) != 1 || el.Options[0].Value != "true" || len(el.InitialOptions) != 1 {
		t.Fatalf("backup = %+v", el)
	}
	if el := in(7).Element.(*goslack.SelectBlockElement); el.Type != "users_select" {
		t.Fatalf("owner = %+v", el)
	}

	// Submit it, twice (a double click on Submit): one job, modal closed both times.
	sub := slackfake.InteractionBody(viewSubmission("V0001", "U0ALICE", v.PrivateMetadata, goodValues("orders")))
	for i := 0; i < 2; i++ {
		rec := e.post(PathInteractions, sub)
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("submission %d ack = %d %q", i, rec.Code, rec.Body.String())
		}
	}
	subs := e.q.Jobs()
	var payloads []bot.SubmitPayload
	for _, j := range subs {
		if j.Kind == bot.JobSubmit {
			var p bot.SubmitPayload
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				t.Fatal(err)
			}
			payloads = append(payloads, p)
		}
	}
	if len(payloads) != 1 {
		t.Fatalf("submit jobs = %d, want 1", len(payloads))
	}
	p := payloads[0]
	if p.FormID != "new-db" || p.Request.ID != "view:V0001" || p.Request.Channel != "C0DEV" || p.Request.Arg(0) != "payments" ||
		p.Request.Flags["region"] != "eu" || p.Request.ResponseURL != e.fake.ResponseURL("r2") {
		t.Fatalf("submission request = %+v", p.Request)
	}
	wantVals := map[string]string{"name": "orders", "size": "medium", "replicas": "3", "backup": "false", "owner": "U0BOB"}
	for k, want := range wantVals {
		if got := p.Values.Get(k); got != want {
			t.Errorf("value %s = %q, want %q", k, got, want)
		}
	}
	if got := p.Values.List("engines"); len(got) != 2 || got[1] != "postgis" {
		t.Errorf("engines = %v", got)
	}
	if vals, ok := p.Values["notes"]; !ok || len(vals) != 0 {
		t.Errorf("notes = %v, %v; want present and empty", vals, ok)
	}

	e.runJobs()
	post, ok := e.fake.Last("chat.postMessage")
	if !ok {
		t.Fatalf("no chat.postMessage: %+v", e.fake.Calls())
	}
	if post.Channel() != "C0DEV" || !strings.HasPrefix(post.Text(), "== Database orders ==") {
		t.Fatalf("post channel %q text %q", post.Channel(), post.Text())
	}
	if len(post.Blocks) != 3 {
		t.Fatalf("post blocks = %d", len(post.Blocks))
	}
	if h, ok := post.Blocks[0].(*goslack.HeaderBlock); !ok || h.Text.Text != "Database orders" {
		t.Fatalf("header = %#v", post.Blocks[0])
	}
	fields := post.Blocks[1].(*goslack.SectionBlock).Fields
	var got []string
	for _, f := range fields {
		got = append(got, f.Text)
	}
	want := []string{"*Size*\nmedium", "*Extensions*\npgvector,postgis", "*Replicas*\n3", "*Backups*\nfalse", "*Owner*\nU0BOB", "*Team*\npayments"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("fields = %q", got)
	}
	btn := post.Blocks[2].(*goslack.ActionBlock).Elements.ElementSet[0].(*goslack.ButtonBlockElement)
	if btn.ActionID != "approve:db" || btn.Value != "orders" || btn.Style != goslack.StylePrimary {
		t.Fatalf("button = %+v", btn)
	}
}

func TestViewSubmissionFieldErrors(t *testing.T) {
	e := newEnv(t)
	meta, err := encodeFormMeta(&bot.Request{Args: []string{"payments"}, Channel: "C0DEV"}, "new-db")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		values map[string]map[string]map[string]any
		want   map[string]string
	}{
		{"command's own validation", goodValues("taken"), map[string]string{"name": "a database named taken already exists"}},
		{"declared rules", func() map[string]map[string]map[string]any {
			v := goodValues("X!")
			v["replicas"] = map[string]map[string]any{"number": {"type": "number_input", "value": "9"}}
			return v
		}(), map[string]string{"name": "must be at least 3 characters (got 2)", "replicas": "must be at most 5"}},
		{"error on a field not in the modal goes on the first input", goodValues("ghost"), map[string]string{"name": "region: no region left for ghost"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.post(PathInteractions, slackfake.InteractionBody(viewSubmission("VERR"+string(rune('A'+i)), "U0ALICE", meta, tc.values)))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			var got struct {
				ResponseAction string            `json:"response_action"`
				Errors         map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			if got.ResponseAction != "errors" || len(got.Errors) != len(tc.want) {
				t.Fatalf("answer = %+v, want errors %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got.Errors[k] != v {
					t.Errorf("errors[%s] = %q, want %q", k, got.Errors[k], v)
				}
			}
		})
	}
	if n := len(e.q.Jobs()); n != 0 {
		t.Fatalf("jobs = %d, want none for invalid submissions", n)
	}
	if n := len(e.q.Events()); n != 0 {
		t.Fatalf("audit events = %d, want none", n)
	}
}

func TestBlockActionsQueueOnceAndReply(t *testing.T) {
	e := newEnv(t)
	payload := blockActions("U0CAROL", "approve:db", "orders", "1700000200.000300", "1700000100.000100")
	payload["response_url"] = e.fake.ResponseURL("click")
	body := slackfake.InteractionBody(payload)
	for i := 0; i < 3; i++ { // Slack's retries of the same click
		rec := e.post(PathInteractions, body, func(r *http.Request) {
			if i > 0 {
				r.Header.Set(HeaderRetryNum, "1")
			}
		})
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("ack %d = %d %q", i, rec.Code, rec.Body.String())
		}
	}
	jobs := e.jobs(bot.JobAction)
	if len(jobs) != 1 {
		t.Fatalf("action jobs = %d, want 1", len(jobs))
	}
	if want := ActionDeliveryID("U0CAROL", "1700000200.000300", "approve:db", "1700000100.000100"); jobs[0].ID != want {
		t.Fatalf("delivery id = %q, want %q", jobs[0].ID, want)
	}
	if jobs[0].Channel != "C0APPROVALS" || jobs[0].ThreadTS != "1700000000.000001" {
		t.Fatalf("request = %+v", jobs[0])
	}

	// A second, real click has its own action_ts: a second job.
	payload["actions"].([]any)[0].(map[string]any)["action_ts"] = "1700000201.000300"
	e.post(PathInteractions, slackfake.InteractionBody(payload))
	if n := len(e.jobs(bot.JobAction)); n != 2 {
		t.Fatalf("action jobs after second click = %d, want 2", n)
	}

	// A link button's click is acknowledged and ignored.
	link := blockActions("U0CAROL", "platbot:link:0", "", "1700000300.000300", "1700000100.000100")
	if rec := e.post(PathInteractions, slackfake.InteractionBody(link)); rec.Code != http.StatusOK {
		t.Fatalf("link ack = %d", rec.Code)
	}
	if n := len(e.jobs(bot.JobAction)); n != 2 {
		t.Fatalf("link click queued a job")
	}

	e.runJobs()
	calls := e.fake.Calls(slackfake.MethodResponseURL)
	if len(calls) != 2 || calls[0].Text() != "approved orders by U0CAROL on 1700000100.000100" {
		t.Fatalf("replies = %d, first %q", len(calls), calls[0].Text())
	}
}

func TestViewClosedAndOtherInteractionsIgnored(t *testing.T) {
	e := newEnv(t)
	for _, p := range []map[string]any{
		{"type": "view_closed", "user": map[string]any{"id": "U1"}, "view": map[string]any{"id": "V1", "callback_id": "platbot:form"}},
		{"type": "view_submission", "user": map[string]any{"id": "U1"}, "view": map[string]any{"id": "V2", "callback_id": "someone-else"}},
		{"type": "block_suggestion", "user": map[string]any{"id": "U1"}},
	} {
		rec := e.post(PathInteractions, slackfake.InteractionBody(p))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("%v: %d %q", p["type"], rec.Code, rec.Body.String())
		}
	}
	if n := len(e.q.Jobs()); n != 0 {
		t.Fatalf("jobs = %d", n)
	}
}

func TestShortcutRunsCommand(t *testing.T) {
	e := newEnv(t)
	rec := e.post(PathInteractions, slackfake.InteractionBody(map[string]any{
		"type": "shortcut", "callback_id": "ping", "trigger_id": "trig-sc",
		"user": map[string]any{"id": "U0ALICE", "username": "alice"}, "team": map[string]any{"id": "T0FAKE"},
	}))
	if rec.Code != http.StatusOK {
		t.Fatalf("ack %d", rec.Code)
	}
	e.runJobs()
	// No channel and no response_url: the answer comes by DM.
	if _, err := e.fake.Wait(t.Context(), 1, "chat.postMessage"); err != nil {
		t.Fatal(err)
	}
	post, _ := e.fake.Last("chat.postMessage")
	if post.Channel() != "DU0ALICE" || post.Text() != "pong" {
		t.Fatalf("dm = %q %q", post.Channel(), post.Text())
	}
}

func eventBody(id string, ev map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"token": "legacy", "team_id": "T0FAKE", "api_app_id": "A0FAKE", "type": "event_callback",
		"event_id": id, "event_time": 1700000100, "event": ev,
	})
	return b
}

func TestEvents(t *testing.T) {
	e := newEnv(t)

	rec := e.post(PathEvents, []byte(`{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
		t.Fatalf("url_verification = %d %q", rec.Code, rec.Body.String())
	}

	mention := eventBody("Ev0MENTION", map[string]any{
		"type": "app_mention", "user": "U0ALICE", "text": "<@U0BOT> ping now", "ts": "1700000100.000200",
		"channel": "C0DEV", "event_ts": "1700000100.000200",
	})
	for i := 0; i < 3; i++ {
		rec := e.post(PathEvents, mention, func(r *http.Request) {
			if i > 0 {
				r.Header.Set(HeaderRetryNum, string(rune('0'+i)))
				r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
			}
		})
		if rec.Code != http.StatusOK {
			t.Fatalf("event ack %d = %d", i, rec.Code)
		}
	}
	jobs := e.jobs(bot.JobCommand)
	if len(jobs) != 1 {
		t.Fatalf("jobs = %d, want 1 for a retried event", len(jobs))
	}
	if j := jobs[0]; j.ID != "Ev0MENTION" || j.Text != "ping now" || j.ThreadTS != "1700000100.000200" || j.Channel != "C0DEV" {
		t.Fatalf("request = %+v", j)
	}

	// Ignored: the bot's own messages, edits, other events.
	for _, ev := range []map[string]any{
		{"type": "app_mention", "user": "U0BOT", "bot_id": "B0BOT", "text": "<@U0BOT> ping", "ts": "1", "channel": "C0DEV"},
		{"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "D1", "ts": "2"},
		{"type": "reaction_added", "user": "U1"},
	} {
		e.post(PathEvents, eventBody("Ev-ignored-"+ev["type"].(string), ev))
	}
	// A direct message to the bot is a command too.
	e.post(PathEvents, eventBody("Ev0DM", map[string]any{"type": "message", "channel_type": "im", "user": "U0ALICE", "text": "/plat ping dm", "ts": "1700000101.000100", "channel": "D0ALICE"}))
	if n := len(e.jobs(bot.JobCommand)); n != 2 {
		t.Fatalf("jobs = %d, want 2", n)
	}

	e.runJobs()
	eph := e.fake.Calls("chat.postEphemeral")
	if len(eph) != 2 {
		t.Fatalf("ephemeral replies = %d: %+v", len(eph), e.fake.Calls())
	}
	if c := eph[0]; c.Channel() != "C0DEV" || c.Param("user") != "U0ALICE" || c.ThreadTS() != "1700000100.000200" || c.Text() != "pong now" {
		t.Fatalf("mention reply = channel %q user %q thread %q text %q", c.Channel(), c.Param("user"), c.ThreadTS(), c.Text())
	}
	if c := eph[1]; c.Channel() != "D0ALICE" || c.Text() != "pong dm" || c.ThreadTS() != "" {
		t.Fatalf("dm reply = %q %q %q", c.Channel(), c.Text(), c.ThreadTS())
	}
}

func TestRejectedRequestsHaveNoSideEffects(t *testing.T) {
	const marker = "BODY-MARKER-do-not-log"
	cmd := slackfake.CommandBody(map[string]string{"text": "ping " + marker, "user_id": "U1", "trigger_id": "trig-rej"})
	big := append(append([]byte{}, cmd...), bytes.Repeat([]byte("x"), DefaultMaxCommandBody)...)
	type tc struct {
		name   string
		path   string
		body   []byte
		mod    func(e *testEnv, r *http.Request)
		status int
		reason string
	}
	resign := func(secret string, ts time.Time) func(*testEnv, *http.Request) {
		return func(_ *testEnv, r *http.Request) {
			body := readAll(t, r.Body)
			r.Body = httpBody(body)
			tsv, sig := slackfake.Sign(secret, []byte(body), ts)
			r.Header.Set(HeaderTimestamp, tsv)
			r.Header.Set(HeaderSignature, sig)
		}
	}
	cases := []tc{
		{"forged signature", PathCommands, cmd, func(e *testEnv, r *http.Request) { resign("not-the-secret", e.now)(e, r) }, 401, ReasonBadSignature},
		{"body changed after signing", PathCommands, cmd, func(_ *testEnv, r *http.Request) {
			r.Body = httpBody(strings.Replace(string(cmd), "ping", "pong", 1))
		}, 401, ReasonBadSignature},
		{"stale timestamp", PathCommands, cmd, func(e *testEnv, r *http.Request) { resign(testSecret, e.now.Add(-6*time.Minute))(e, r) }, 401, ReasonStaleTimestamp},
		{"future timestamp", PathCommands, cmd, func(e *testEnv, r *http.Request) { resign(testSecret, e.now.Add(6*time.Minute))(e, r) }, 401, ReasonStaleTimestamp},
		{"missing timestamp", PathCommands, cmd, func(_ *testEnv, r *http.Request) { r.Header.Del(HeaderTimestamp) }, 401, ReasonMissingTimestamp},
		{"missing signature", PathInteractions, cmd, func(_ *testEnv, r *http.Request) { r.Header.Del(HeaderSignature) }, 401, ReasonMissingSignature},
		{"malformed signature", PathEvents, cmd, func(_ *testEnv, r *http.Request) { r.Header.Set(HeaderSignature, "v0=zz") }, 401, ReasonMalformedSignature},
		{"v1 signature", PathEvents, cmd, func(_ *testEnv, r *http.Request) {
			r.Header.Set(HeaderSignature, "v1="+strings.TrimPrefix(r.Header.Get(HeaderSignature), "v0="))
		}, 401, ReasonMalformedSignature},
		{"malformed timestamp", PathCommands, cmd, func(_ *testEnv, r *http.Request) { r.Header.Set(HeaderTimestamp, "-1700000000") }, 401, ReasonMalformedTimestamp},
		{"wrong method", PathCommands, cmd, func(_ *testEnv, r *http.Request) { r.Method = http.MethodGet }, 405, ReasonMethod},
		{"oversized command (declared)", PathCommands, big, nil, 413, ReasonTooLarge},
		{"oversized command (chunked)", PathCommands, big, func(_ *testEnv, r *http.Request) { r.ContentLength = -1 }, 413, ReasonTooLarge},
		{"oversized interaction", PathInteractions, bytes.Repeat([]byte("p"), DefaultMaxInteractionBody+1), nil, 413, ReasonTooLarge},
		{"oversized event", PathEvents, bytes.Repeat([]byte("e"), DefaultMaxEventBody+1), nil, 413, ReasonTooLarge},
		{"command without trigger id", PathCommands, []byte("command=%2Fplat&text=" + marker + "&user_id=U1"), nil, 400, ReasonMalformed},
		{"command with a bad escape", PathCommands, []byte("text=%zz" + marker), nil, 400, ReasonMalformed},
		{"interaction without payload", PathInteractions, []byte("text=" + marker), nil, 400, ReasonMalformed},
		{"interaction payload not JSON", PathInteractions, []byte("payload=" + url.QueryEscape("{"+marker)), nil, 400, ReasonMalformed},
		{"interaction of the wrong shape", PathInteractions, slackfake.InteractionBody(`{"type":"block_actions","user":{"id":"U1"},"actions":"` + marker + `"}`), nil, 400, ReasonMalformed},
		{"event not JSON", PathEvents, []byte("{" + marker), nil, 400, ReasonMalformed},
		{"event without id", PathEvents, eventBody("", map[string]any{"type": "app_mention", "user": "U1", "text": marker, "channel": "C1", "ts": "1"}), nil, 400, ReasonMalformed},
		{"view submission with broken metadata", PathInteractions, slackfake.InteractionBody(viewSubmission("VBAD", "U1", "{"+marker, goodValues("x"))), nil, 400, ReasonMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			req := slackfake.SignedRequest(testSecret, c.path, c.body, e.now)
			if c.mod != nil {
				c.mod(e, req)
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, c.status, rec.Body.String())
			}
			if c.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Fatalf("Allow = %q", rec.Header().Get("Allow"))
			}
			if n := len(e.q.Jobs()); n != 0 {
				t.Fatalf("jobs = %d, want none", n)
			}
			if n := len(e.q.Events()); n != 0 {
				t.Fatalf("audit events = %d, want none", n)
			}
			if got := e.counter("platbot_slack_rejected_total", "reason", c.reason); got != 1 {
				t.Fatalf("rejected{%s} = %v, want 1", c.reason, got)
			}
			if n := len(e.fake.Calls()); n != 0 {
				t.Fatalf("Slack API calls = %d, want none", n)
			}
			logs := e.logs.String()
			if strings.Contains(logs, marker) || strings.Contains(logs, testSecret) {
				t.Fatalf("logs leak the body or the secret: %s", logs)
			}
			if !strings.Contains(logs, c.reason) && c.reason != ReasonMalformed {
				t.Fatalf("logs do not say why: %s", logs)
			}
		})
	}
}

func httpBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestNotFoundAndMount(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	e.h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := slackfake.CommandBody(map[string]string{"text": "ping", "user_id": "U1", "trigger_id": "trig-mux"})
	resp, err := http.DefaultClient.Do(slackfake.SignedRequest(testSecret, srv.URL+PathCommands, body, e.now))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(e.q.Jobs()) != 1 {
		t.Fatalf("mounted: status %d jobs %d", resp.StatusCode, len(e.q.Jobs()))
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, slackfake.SignedRequest(testSecret, "/slack/other", body, e.now))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("other path = %d", rec.Code)
	}
}

func TestQueueFailureAnswersUsefully(t *testing.T) {
	e, mq := newMemEnv(t)
	mq.fail = errors.New("disk full")

	rec := e.post(PathCommands, slackfake.CommandBody(map[string]string{"text": "ping", "user_id": "U1", "trigger_id": "trig-f"}))
	var msg map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &msg); rec.Code != http.StatusOK || err != nil ||
		msg["response_type"] != "ephemeral" || !strings.Contains(msg["text"], "could not take") {
		t.Fatalf("command = %d %q", rec.Code, rec.Body.String())
	}

	rec = e.post(PathInteractions, slackfake.InteractionBody(blockActions("U1", "approve:x", "v", "1.1", "2.2")))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("click = %d", rec.Code)
	}

	meta, _ := encodeFormMeta(&bot.Request{Args: []string{"payments"}}, "new-db")
	rec = e.post(PathInteractions, slackfake.InteractionBody(viewSubmission("VF", "U1", meta, goodValues("orders"))))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"response_action":"errors"`) || !strings.Contains(rec.Body.String(), `"name":"platbot could not save`) {
		t.Fatalf("submission = %d %q", rec.Code, rec.Body.String())
	}
	if got := e.counter("platbot_slack_requests_total", "endpoint", EndpointCommands, "outcome", OutcomeError); got != 1 {
		t.Fatalf("error count = %v", got)
	}
}

func TestHandlerConstruction(t *testing.T) {
	if _, err := NewHandler(HandlerOptions{SigningSecret: "x"}); err == nil {
		t.Fatal("NewHandler without a router succeeded")
	}
	e := newEnv(t)
	h, err := NewHandler(HandlerOptions{Router: e.router, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, slackfake.SignedRequest("", PathCommands, []byte("x=1"), time.Now()))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("no secret: %d, want 401", rec.Code)
	}
}
