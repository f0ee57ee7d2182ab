package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
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
