package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack/slackfake"
)

func newTestMessenger(t *testing.T, opts ...MessengerOption) (*Messenger, *slackfake.Server) {
	t.Helper()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	opts = append([]MessengerOption{WithLogger(discardLogger())}, opts...)
	return NewMessenger("xoxb-test-token", fake.APIURL(), opts...), fake
}

func TestMessengerPostThreadBroadcast(t *testing.T) {
	m, fake := newTestMessenger(t)
	msg := bot.Message{
		Text:      "deploy done",
		ThreadTS:  "1700000000.000100",
		Broadcast: true,
		Blocks: []bot.Block{
			bot.Section{Text: "*checkout* deployed", Accessory: &bot.Button{ActionID: "rollback:1", Text: "Roll back", Style: bot.StyleDanger, Confirm: "Roll back checkout?"}},
			bot.Divider{},
			bot.Context{Text: "by alice"},
		},
	}
	ref, err := m.Post(context.Background(), "C0DEV", msg)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := fake.Last("chat.postMessage")
	if ref.Channel != "C0DEV" || ref.TS == "" || ref.ThreadTS != "1700000000.000100" {
		t.Fatalf("ref = %+v", ref)
	}
	if c.Token != "xoxb-test-token" || c.Channel() != "C0DEV" || c.ThreadTS() != "1700000000.000100" || c.Param("reply_broadcast") != "true" {
		t.Fatalf("call = %+v", c.Params)
	}
	if c.Text() != bot.PlainText(msg) {
		t.Fatalf("fallback text = %q, want %q", c.Text(), bot.PlainText(msg))
	}
	if len(c.Blocks) != 3 {
		t.Fatalf("blocks = %d", len(c.Blocks))
	}
	sec := c.Blocks[0].(*goslack.SectionBlock)
	btn := sec.Accessory.ButtonElement
	if sec.Text.Type != goslack.MarkdownType || btn == nil || btn.ActionID != "rollback:1" || btn.Style != goslack.StyleDanger ||
		btn.Confirm == nil || btn.Confirm.Text.Text != "Roll back checkout?" || btn.Confirm.Style != goslack.StyleDanger {
		t.Fatalf("section = %+v button %+v", sec, btn)
	}

	// A plain text message sends no blocks, and no broadcast outside a thread.
	if _, err := m.Post(context.Background(), "C0DEV", bot.Message{Text: "hi", Broadcast: true}); err != nil {
		t.Fatal(err)
	}
	c, _ = fake.Last("chat.postMessage")
	if c.Param("blocks") != "" || c.Param("reply_broadcast") != "" || c.Text() != "hi" {
		t.Fatalf("plain post = %v", c.Params)
	}
}

func TestMessengerUpdateEphemeralDM(t *testing.T) {
	m, fake := newTestMessenger(t)
	ctx := context.Background()
	ref := bot.MessageRef{Channel: "C0DEV", TS: "1700000000.000200"}
	if err := m.Update(ctx, ref, bot.Message{Text: "step 2/3"}); err != nil {
		t.Fatal(err)
	}
	c, _ := fake.Last("chat.update")
	if c.Channel() != "C0DEV" || c.Param("ts") != "1700000000.000200" || c.Text() != "step 2/3" || c.Param("blocks") != "[]" {
		t.Fatalf("update = %v", c.Params)
	}

	if err := m.Ephemeral(ctx, "C0DEV", "U0ALICE", bot.Message{Text: "only you", ThreadTS: "1.2"}); err != nil {
		t.Fatal(err)
	}
	c, _ = fake.Last("chat.postEphemeral")
	if c.Channel() != "C0DEV" || c.Param("user") != "U0ALICE" || c.ThreadTS() != "1.2" || c.Text() != "only you" {
		t.Fatalf("ephemeral = %v", c.Params)
	}

	for i := 0; i < 2; i++ {
		ref, err := m.DM(ctx, "U0ALICE", bot.Message{Text: "your token"})
		if err != nil {
			t.Fatal(err)
		}
		if ref.Channel != "DU0ALICE" {
			t.Fatalf("dm ref = %+v", ref)
		}
	}
	if n := len(fake.Calls("conversations.open")); n != 1 {
		t.Fatalf("conversations.open calls = %d, want 1 (cached)", n)
	}
	if c, _ := fake.Last("conversations.open"); c.Param("users") != "U0ALICE" {
		t.Fatalf("open = %v", c.Params)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 2 {
		t.Fatalf("dm posts = %d", n)
	}
}

func TestMessengerUpload(t *testing.T) {
	m, fake := newTestMessenger(t)
	content := []byte("apiVersion: v1\nkind: Config\n")
	err := m.Upload(context.Background(), "C0DEV", "1700000000.000300", bot.File{Name: "kubeconfig.yaml", Title: "Your kubeconfig", Content: content, Comment: "valid for 1h"})
	if err != nil {
		t.Fatal(err)
	}
	get, _ := fake.Last("files.getUploadURLExternal")
	if get.Param("filename") != "kubeconfig.yaml" || get.Param("length") != "28" {
		t.Fatalf("getUploadURLExternal = %v", get.Params)
	}
	up, _ := fake.Last(slackfake.MethodUpload)
	if string(up.File) != string(content) || up.Filename != "kubeconfig.yaml" {
		t.Fatalf("upload = %q %q", up.File, up.Filename)
	}
	done, _ := fake.Last("files.completeUploadExternal")
	if done.Param("channel_id") != "C0DEV" || done.ThreadTS() != "1700000000.000300" || done.Param("initial_comment") != "valid for 1h" ||
		!strings.Contains(done.Param("files"), `"title":"Your kubeconfig"`) {
		t.Fatalf("complete = %v", done.Params)
	}
	if err := m.Upload(context.Background(), "C0DEV", "", bot.File{Name: "empty"}); err == nil {
		t.Fatal("empty upload succeeded")
	}
}

func TestMessengerRespond(t *testing.T) {
	m, fake := newTestMessenger(t)
	ctx := context.Background()

	// No response URL, in a thread: ephemeral in the thread, or a thread reply when InChannel.
	req := &bot.Request{ID: "r1", User: bot.User{ID: "U0ALICE"}, Channel: "C0DEV", ThreadTS: "1.5"}
	if err := m.Respond(ctx, req, bot.Message{Text: "just you"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := fake.Last("chat.postEphemeral"); c.Param("user") != "U0ALICE" || c.ThreadTS() != "1.5" {
		t.Fatalf("ephemeral = %v", c.Params)
	}
	if err := m.Respond(ctx, req, bot.Message{Text: "everyone", InChannel: true}); err != nil {
		t.Fatal(err)
	}
	if c, _ := fake.Last("chat.postMessage"); c.Channel() != "C0DEV" || c.ThreadTS() != "1.5" || c.Text() != "everyone" {
		t.Fatalf("in channel = %v", c.Params)
	}

	// An expired response_url falls back to the channel.
	req = &bot.Request{ID: "r2", User: bot.User{ID: "U0ALICE"}, Channel: "C0DEV", ResponseURL: fake.ResponseURL("old")}
	fake.Fail(slackfake.MethodResponseURL, slackfake.Failure{Status: http.StatusNotFound})
	if err := m.Respond(ctx, req, bot.Message{Text: "late answer"}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls(slackfake.MethodResponseURL)); n != 1 {
		t.Fatalf("response_url calls = %d", n)
	}
	if c, _ := fake.Last("chat.postEphemeral"); c.Text() != "late answer" {
		t.Fatalf("fallback = %v", c.Params)
	}

	// A 5xx from the response_url is returned (the job retries).
	fake.Fail(slackfake.MethodResponseURL, slackfake.Failure{Status: http.StatusBadGateway})
	err := m.Respond(ctx, req, bot.Message{Text: "x"})
	var perm *bot.PermanentError
	if err == nil || errors.As(err, &perm) {
		t.Fatalf("5xx = %v, want a retryable error", err)
	}
}

func TestMessengerErrors(t *testing.T) {
	m, fake := newTestMessenger(t)
	ctx := context.Background()

	// 429 with Retry-After: retried after the wait, then it works.
	fake.Fail("chat.postMessage", slackfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1})
	start := time.Now()
	if _, err := m.Post(ctx, "C0DEV", bot.Message{Text: "after the limit"}); err != nil {
		t.Fatalf("post after 429: %v", err)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("retried after %v, before Retry-After", time.Since(start))
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests || calls[1].Failed() {
		t.Fatalf("calls = %+v", calls)
	}

	// ok:false that a retry cannot fix is permanent; a server error is not.
	var perm *bot.PermanentError
	fake.Fail("chat.postMessage", slackfake.Failure{Error: "channel_not_found"})
	_, err := m.Post(ctx, "CNOPE", bot.Message{Text: "x"})
	if err == nil || !errors.As(err, &perm) || !strings.Contains(err.Error(), "chat.postMessage: channel_not_found") {
		t.Fatalf("channel_not_found = %v", err)
	}
	fake.Fail("chat.update", slackfake.Failure{Status: http.StatusInternalServerError})
	if err := m.Update(ctx, bot.MessageRef{Channel: "C", TS: "1"}, bot.Message{Text: "x"}); err == nil || errors.As(err, &perm) {
		t.Fatalf("500 = %v, want retryable", err)
	}
	fake.Fail("chat.postEphemeral", slackfake.Failure{Error: "ratelimited"})
	if err := m.Ephemeral(ctx, "C", "U", bot.Message{Text: "x"}); err == nil || errors.As(err, &perm) {
		t.Fatalf("ratelimited = %v, want retryable", err)
	}

	// A long Retry-After is not waited for in place.
	fake.Fail("chat.postMessage", slackfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 60})
	start = time.Now()
	var rl *goslack.RateLimitedError
	if _, err := m.Post(ctx, "C0DEV", bot.Message{Text: "x"}); !errors.As(err, &rl) || rl.RetryAfter != time.Minute || errors.As(err, &perm) {
		t.Fatalf("429 with a long wait = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("waited %v for a long Retry-After", time.Since(start))
	}

	// Without retries a 429 comes back as a retryable error at once.
	m2 := NewMessenger("xoxb-test-token", fake.APIURL(), WithRateLimitRetries(0), WithLogger(discardLogger()))
	fake.Fail("chat.postMessage", slackfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 30})
	if _, err := m2.Post(ctx, "C0DEV", bot.Message{Text: "x"}); err == nil || errors.As(err, &perm) {
		t.Fatalf("429 without retries = %v", err)
	}
}

func TestMessengerOpenForm(t *testing.T) {
	m, fake := newTestMessenger(t)
	ctx := context.Background()
	form, _ := newDBForm(ctx, &bot.Request{Args: []string{"payments"}})
	form.ID = "new-db"

	var ue *bot.UserError
	if err := m.OpenForm(ctx, &bot.Request{ID: "mention"}, form); !errors.As(err, &ue) {
		t.Fatalf("no trigger id = %v, want a user error", err)
	}
	fake.Fail("views.open", slackfake.Failure{Error: "expired_trigger_id"})
	if err := m.OpenForm(ctx, &bot.Request{ID: "slow", TriggerID: "t1"}, form); !errors.As(err, &ue) || !strings.Contains(ue.Msg, "run the command again") {
		t.Fatalf("expired trigger = %v", err)
	}
	long := &bot.Request{ID: "long", TriggerID: "t2", Args: []string{strings.Repeat("a", 3100)}}
	if err := m.OpenForm(ctx, long, form); !errors.As(err, &ue) || !strings.Contains(ue.Msg, "too long") {
		t.Fatalf("long args = %v", err)
	}
	req := &bot.Request{ID: "ok", TriggerID: "t3", Command: "new-db", Channel: "C1", ThreadTS: "9.9", Args: []string{"payments"}, Flags: bot.Flags{"dry-run": "true"}}
	if err := m.OpenForm(ctx, req, form); err != nil {
		t.Fatal(err)
	}
	c, _ := fake.Last("views.open")
	meta, err := decodeFormMeta(c.View.PrivateMetadata)
	if err != nil || meta.FormID != "new-db" || meta.ThreadTS != "9.9" || meta.Flags["dry-run"] != "true" || meta.ResponseURL != "" {
		t.Fatalf("meta = %+v, %v", meta, err)
	}
}

func TestMessengerLookupUser(t *testing.T) {
	m, fake := newTestMessenger(t)
	fake.AddUser(slackfake.User{ID: "U0ALICE", Name: "alice", RealName: "Alice Liddell", Email: "alice@example.com"})
	for i := 0; i < 2; i++ {
		u, err := m.LookupUser(context.Background(), "U0ALICE")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != "U0ALICE" || u.Name != "Alice Liddell" || u.Email != "alice@example.com" {
			t.Fatalf("user = %+v", u)
		}
	}
	if n := len(fake.Calls("users.info")); n != 1 {
		t.Fatalf("users.info calls = %d, want 1", n)
	}
	if _, err := m.LookupUser(context.Background(), "U0NOBODY"); err == nil {
		t.Fatal("unknown user found")
	}
}

func TestAPIURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "https://slack.com/api/",
		"http://127.0.0.1:9/api": "http://127.0.0.1:9/api/",
		"http://fake/api/":       "http://fake/api/",
	} {
		if got := APIURL(in); got != want {
			t.Errorf("APIURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestResponseURLNeverInErrors: whoever holds a response_url can post into
// the user's conversation, so a failed reply must not put it into logs or
// the audit log through its error text.
func TestResponseURLNeverInErrors(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	hookURL := dead.URL + "/hooks/T0/B0/secret-response-path"
	dead.Close() // connection refused from now on
	m := NewMessenger("xoxb-test", "http://127.0.0.1:1/api/")
	req := &bot.Request{ID: "r1", User: bot.User{ID: "U1"}, ResponseURL: hookURL}
	err := m.Respond(context.Background(), req, bot.Message{Text: "hello"})
	if err == nil {
		t.Fatal("reply to a dead response_url succeeded")
	}
	if strings.Contains(err.Error(), "secret-response-path") {
		t.Fatalf("the response URL leaked into the error: %v", err)
	}
	if !strings.Contains(err.Error(), "[response_url]") {
		t.Fatalf("error does not say what failed: %v", err)
	}
}
