package slackfake_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot/slack/slackfake"
)

// The fake's signatures must be the ones slack-go's own verifier accepts.
func TestSignedRequestMatchesSlackGoVerifier(t *testing.T) {
	body := slackfake.CommandBody(map[string]string{"text": "ping", "user_id": "U1", "trigger_id": "t1"})
	req := slackfake.SignedRequest("s3cr3t", "/slack/commands", body, time.Now())
	sv, err := goslack.NewSecretsVerifier(req.Header, "s3cr3t")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(req.Body)
	if _, err := sv.Write(got); err != nil {
		t.Fatal(err)
	}
	if err := sv.Ensure(); err != nil {
		t.Fatalf("slack-go rejects the signature: %v", err)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("content type %q", ct)
	}
	ev := slackfake.SignedRequest("s3cr3t", "http://127.0.0.1:1/slack/events", []byte(`{}`), time.Now())
	if ct := ev.Header.Get("Content-Type"); ct != "application/json" || ev.RequestURI != "" {
		t.Fatalf("events request: content type %q, RequestURI %q", ct, ev.RequestURI)
	}
}

func TestFakeRecordsAndFails(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	api := goslack.New("xoxb-1", goslack.OptionAPIURL(fake.APIURL()))
	ctx := context.Background()

	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	fake.Fail("chat.postMessage", slackfake.Failure{Error: "not_in_channel", Times: 2})
	for i := 0; i < 2; i++ {
		if _, _, err := api.PostMessageContext(ctx, "C1", goslack.MsgOptionText("x", false)); err == nil || err.Error() != "not_in_channel" {
			t.Fatalf("post %d = %v", i, err)
		}
	}
	_, ts, err := api.PostMessageContext(ctx, "C1", goslack.MsgOptionText("hello", false),
		goslack.MsgOptionBlocks(goslack.NewSectionBlock(goslack.NewTextBlockObject("mrkdwn", "*hi*", false, false), nil, nil)))
	if err != nil || ts == "" {
		t.Fatalf("post = %q, %v", ts, err)
	}
	ok := fake.Succeeded("chat.postMessage")
	if len(ok) != 1 || ok[0].Text() != "hello" || ok[0].Token != "xoxb-1" || len(ok[0].Blocks) != 1 {
		t.Fatalf("succeeded = %+v", ok)
	}
	if all := fake.Calls("chat.postMessage"); len(all) != 3 || all[0].Error != "not_in_channel" {
		t.Fatalf("calls = %+v", all)
	}

	fake.Fail("auth.test", slackfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 7})
	_, err = api.AuthTestContext(ctx)
	var rl *goslack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("429 = %v", err)
	}

	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	go func() {
		_ = goslack.PostWebhookContext(ctx, fake.ResponseURL("abc"), &goslack.WebhookMessage{Text: "later"})
	}()
	calls, err := fake.Wait(wctx, 1, slackfake.MethodResponseURL)
	if err != nil || calls[0].Text() != "later" || calls[0].Path != "/response/abc" {
		t.Fatalf("wait = %+v, %v", calls, err)
	}
	fake.Reset()
	if n := len(fake.Calls()); n != 0 {
		t.Fatalf("after reset: %d calls", n)
	}
}
