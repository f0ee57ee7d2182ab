package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack/slackfake"
)

// FuzzVerify checks that only a body signed with the secret, with a fresh
// decimal timestamp and a well-formed v0 signature, passes, and that no
// input panics.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1700000000, 0)
	good := func(ts string, body []byte) string { return Signature(testSecret, ts, body) }
	f.Add([]byte("command=%2Fplat&text=ping"), "1700000000", "", true)
	f.Add([]byte(`{"type":"url_verification"}`), "1699999800", "", true)
	f.Add([]byte("x"), "1699999000", "", true)
	f.Add([]byte("x"), "17000000000000000000", "v0=00", false)
	f.Add([]byte(""), "", "", false)
	f.Add([]byte("payload=%7B%7D"), "+1700000000", "v0="+Signature(testSecret, "1700000000", []byte("payload=%7B%7D"))[3:], false)
	f.Add([]byte("a"), "1700000000", "v0=ZZ", false)
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string, useGood bool) {
		v := NewVerifier(testSecret, func() time.Time { return now })
		if useGood {
			sig = good(ts, body)
		}
		err := v.VerifyValues(ts, sig, body)

		n, perr := strconv.ParseInt(ts, 10, 64)
		decimal := perr == nil && len(ts) <= 12 && ts != "" && ts[0] != '+' && ts[0] != '-'
		fresh := decimal && n >= now.Unix()-300 && n <= now.Unix()+300
		wantPass := fresh && sig == good(ts, body)
		if (err == nil) != wantPass {
			t.Fatalf("Verify(ts=%q sig=%q) = %v, want pass=%v", ts, sig, err, wantPass)
		}
		// The same through headers, as the handler calls it.
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		if herr := v.Verify(h, body); (herr == nil) != (err == nil) {
			t.Fatalf("header path disagrees: %v vs %v", herr, err)
		}
		// A tampered body never passes.
		if err == nil {
			if v.VerifyValues(ts, sig, append(append([]byte{}, body...), '!')) == nil {
				t.Fatal("tampered body passed")
			}
		}
	})
}

// stubRouter accepts everything and calls some submissions invalid, so the
// fuzzer reaches every branch without a store.
type stubRouter struct{}

func (stubRouter) Accept(_ context.Context, _ string, payload any, _ *bot.Request) (bool, error) {
	if _, err := json.Marshal(payload); err != nil {
		return false, err
	}
	return true, nil
}

func (stubRouter) ValidateForm(_ context.Context, _ *bot.Request, formID string, v bot.Values) (bot.FieldErrors, error) {
	switch {
	case formID == "user-error":
		return nil, bot.Errorf("gone")
	case len(v) > 0:
		errs := bot.FieldErrors{}
		for k := range v {
			errs[k] = "bad " + k
		}
		errs["elsewhere"] = "stray"
		return errs, nil
	}
	return nil, nil
}

func (stubRouter) ValidatePage(ctx context.Context, req *bot.Request, formID string, _ int, v bot.Values) (bot.FieldErrors, error) {
	return stubRouter{}.ValidateForm(ctx, req, formID, v)
}

// BuildForm: the stub has no forms to rebuild (as for a form a handler opened).
func (stubRouter) BuildForm(context.Context, *bot.Request, string, bot.Values) (*bot.Form, error) {
	return nil, nil
}

func (stubRouter) SuggestOptions(_ context.Context, _ *bot.Request, _, _, query string) ([]bot.Option, error) {
	return []bot.Option{{Value: query, Label: query}}, nil
}

var stubSealer = bot.NewRandomSealer()

func (stubRouter) Sealer() bot.Sealer { return stubSealer }

// FuzzParseInteraction feeds arbitrary interactivity bodies (and the same
// bytes as events and commands) through parsing and processing: nothing may
// panic, and every answer must be a valid HTTP status with a JSON-encodable
// body.
func FuzzParseInteraction(f *testing.F) {
	seed := func(p any) []byte { return slackfake.InteractionBody(p) }
	meta, _ := encodeFormMeta(&bot.Request{Args: []string{"a"}}, "new-db")
	f.Add(seed(viewSubmission("V1", "U1", meta, goodValues("orders"))))
	f.Add(seed(viewSubmission("V2", "U1", `{"form_id":"user-error"}`, nil)))
	f.Add(seed(blockActions("U1", "approve:1", "v", "1.1", "2.2")))
	f.Add(seed(map[string]any{"type": "shortcut", "callback_id": "ping", "trigger_id": "t", "user": map[string]any{"id": "U1"}}))
	f.Add(seed(map[string]any{"type": "message_action", "callback_id": "plat ping", "trigger_id": "t", "user": map[string]any{"id": "U1"}, "message": map[string]any{"ts": "1"}}))
	f.Add(seed(`{"type":"view_submission","user":{"id":"U"},"view":{"id":"V","callback_id":"platbot:form","private_metadata":"{\"form_id\":\"x\"}","state":{"values":{"a":{"csv":{"type":"plain_text_input","value":",,"}}}}}}`))
	f.Add(seed(`{"type":"block_suggestion","user":{"id":"U"},"block_id":"owner","action_id":"external","value":"te","view":{"id":"V","callback_id":"platbot:form","private_metadata":"{\"form_id\":\"x\",\"page\":1,\"sealed\":{\"t\":\"s1.AAAA\"}}"}}`))
	f.Add(seed(`{"type":"block_actions","user":{"id":"U"},"container":{"type":"view","view_id":"V"},"actions":[{"action_id":"platbot:form:back","block_id":"nav"}],"view":{"id":"V","hash":"1.2","callback_id":"platbot:form","private_metadata":"{\"form_id\":\"x\",\"page\":1,\"values\":{\"a\":[\"b\"]}}"}}`))
	f.Add([]byte("payload=%7B%22type%22%3A1%7D"))
	f.Add([]byte("payload="))
	f.Add([]byte("%"))
	h, err := NewHandler(HandlerOptions{Router: stubRouter{}, SigningSecret: testSecret, Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	check := func(t *testing.T, a ack) {
		if s := a.httpStatus(); s < 200 || s > 599 {
			t.Fatalf("status %d", s)
		}
		if a.outcome == "" {
			t.Fatal("no outcome")
		}
		if a.body != nil {
			if _, err := json.Marshal(a.body); err != nil {
				t.Fatalf("answer not encodable: %v", err)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		if ic, err := parseInteractionForm(body); err == nil {
			check(t, h.processInteraction(ctx, ic))
		}
		if ic, err := parseInteraction(body); err == nil {
			check(t, h.processInteraction(ctx, ic))
		}
		if ev, err := parseEvent(body); err == nil {
			check(t, h.processEvent(ctx, ev, "1"))
		}
		if c, err := parseCommandForm(body); err == nil {
			check(t, h.processCommand(ctx, c))
		}
		if c, err := parseCommandJSON(body); err == nil {
			check(t, h.processCommand(ctx, c))
		}
	})
}

// acceptLog is a router that accepts everything and remembers what was
// queued, so a fuzz target can check what a delivery turned into.
type acceptLog struct {
	stubRouter
	kinds []string
	reqs  []*bot.Request
}

func (a *acceptLog) Accept(_ context.Context, kind string, payload any, req *bot.Request) (bool, error) {
	if _, err := json.Marshal(payload); err != nil {
		return false, err
	}
	a.kinds = append(a.kinds, kind)
	a.reqs = append(a.reqs, req)
	return true, nil
}

// FuzzSignedRequests posts arbitrary, correctly signed bodies to the three
// HTTP endpoints, as Slack (or someone holding the signing secret) could.
// Every answer must be 200, 400 or 413 with an empty or JSON body; a
// url_verification is answered with exactly its challenge; a queued
// command or event keeps the delivery's ids, its text is trimmed and taken
// from what was written, and no bot message or message edit ever runs a
// command.
func FuzzSignedRequests(f *testing.F) {
	paths := []string{PathCommands, PathInteractions, PathEvents}
	event := func(id string, ev map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"token": "legacy", "team_id": "T0FAKE", "api_app_id": "A0FAKE", "type": "event_callback", "event_id": id, "event_time": 1700000100, "event": ev})
		return b
	}
	f.Add(uint8(0), slackfake.CommandBody(map[string]string{"user_id": "U0ALICE", "trigger_id": "13345224609.738474920.8088930838d88f008e0", "text": "  scorecard waive payments-service has-runbook --days 30 --reason \"known issue\" ", "response_url": "https://hooks.slack.com/commands/T0FAKE/1/x"}))
	f.Add(uint8(0), []byte("command=%2Fplat&text=&user_id=U1&trigger_id=t"))
	f.Add(uint8(1), slackfake.InteractionBody(blockActions("U0CAROL", "approve:42", "v", "1700000200.000100", "1700000100.000200")))
	f.Add(uint8(1), slackfake.InteractionBody(map[string]any{"type": "shortcut", "callback_id": "plat new-db", "trigger_id": "t1", "user": map[string]any{"id": "U1"}}))
	f.Add(uint8(2), []byte(`{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`))
	f.Add(uint8(2), event("Ev0MENTION", map[string]any{"type": "app_mention", "user": "U0ALICE", "text": "<@U0BOT> ping now", "ts": "1700000100.000200", "channel": "C0DEV"}))
	f.Add(uint8(2), event("Ev0DM", map[string]any{"type": "message", "channel_type": "im", "user": "U0ALICE", "text": "/plat ping dm", "ts": "1700000101.000100", "channel": "D0ALICE"}))
	f.Add(uint8(2), event("Ev0BOT", map[string]any{"type": "app_mention", "user": "U0BOT", "bot_id": "B0BOT", "text": "<@U0BOT> ping", "ts": "1", "channel": "C0DEV"}))
	f.Add(uint8(2), event("Ev0EDIT", map[string]any{"type": "message", "subtype": "message_changed", "channel_type": "im", "user": "U1", "channel": "D1", "ts": "2"}))
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		rt := &acceptLog{}
		h, err := NewHandler(HandlerOptions{Router: rt, SigningSecret: testSecret, Logger: discardLogger(), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, slackfake.SignedRequest(testSecret, path, body, now))
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%s answered %d", path, rec.Code)
		}
		var answer map[string]any
		if b := bytes.TrimSpace(rec.Body.Bytes()); len(b) > 0 && rec.Code == http.StatusOK {
			if err := json.Unmarshal(b, &answer); err != nil {
				t.Fatalf("%s answered a body that is not JSON: %q", path, b)
			}
		}
		if rec.Code != http.StatusOK && len(rt.reqs) > 0 {
			t.Fatalf("%s answered %d but queued %d jobs", path, rec.Code, len(rt.reqs))
		}
		switch path {
		case PathEvents:
			var ev struct {
				Type, Challenge string
				EventID         string `json:"event_id"`
				Event           struct {
					Type, Subtype, User, Text string
					BotID                     string `json:"bot_id"`
				}
			}
			if json.Unmarshal(body, &ev) != nil {
				break
			}
			if ev.Type == "url_verification" && rec.Code == http.StatusOK && answer["challenge"] != ev.Challenge {
				t.Fatalf("url_verification answered %v, want challenge %q", answer, ev.Challenge)
			}
			for _, req := range rt.reqs {
				if ev.Event.BotID != "" || ev.Event.Subtype != "" || ev.Event.User == "" {
					t.Fatalf("event %+v (a bot, an edit or nobody) queued a command", ev.Event)
				}
				if req.ID != ev.EventID || req.ID == "" || req.User.ID != ev.Event.User {
					t.Fatalf("queued request %q by %q from event %q by %q", req.ID, req.User.ID, ev.EventID, ev.Event.User)
				}
				if req.Text != strings.TrimSpace(req.Text) || !strings.Contains(ev.Event.Text, req.Text) {
					t.Fatalf("command line %q is not trimmed text from %q", req.Text, ev.Event.Text)
				}
			}
		case PathCommands:
			q, err := url.ParseQuery(string(body))
			for _, req := range rt.reqs {
				if err != nil {
					t.Fatalf("a command queued from an unparseable form %q", body)
				}
				if req.ID == "" || req.ID != q.Get("trigger_id") || req.User.ID != q.Get("user_id") || req.User.ID == "" {
					t.Fatalf("queued request %q by %q from trigger %q by %q", req.ID, req.User.ID, q.Get("trigger_id"), q.Get("user_id"))
				}
				if req.Text != strings.TrimSpace(q.Get("text")) {
					t.Fatalf("command text %q, want %q trimmed", req.Text, q.Get("text"))
				}
			}
		case PathInteractions:
			for i, req := range rt.reqs {
				if req.User.ID == "" {
					t.Fatalf("interaction queued %s without a user", rt.kinds[i])
				}
			}
		}
	})
}
