package slack

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack/slackfake"
)

func TestSocketModeSharesProcessingAndReconnects(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	connects := make(chan int, 4)
	go func() {
		done <- RunSocketMode(ctx, "xapp-test-token", "xoxb-test-token", e.fake.APIURL(), e.h,
			WithOnConnect(func(n int) { connects <- n }))
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("RunSocketMode = %v", err)
			}
		}
	}
	defer stop()

	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := e.fake.WaitSocket(wctx, 1); err != nil {
		t.Fatal(err)
	}
	open, _ := e.fake.Last("apps.connections.open")
	if open.Token != "xapp-test-token" {
		t.Fatalf("apps.connections.open token = %q, want the app token", open.Token)
	}

	// A slash command: acked with no payload, one job even when delivered twice.
	cmd := map[string]string{
		"command": "/plat", "text": "ping over socket", "user_id": "U0ALICE", "user_name": "alice",
		"channel_id": "C0DEV", "team_id": "T0FAKE", "trigger_id": "trig-sock", "response_url": e.fake.ResponseURL("sock"),
	}
	for i := 0; i < 2; i++ {
		ack, err := e.fake.SendEnvelope(wctx, slackfake.EnvelopeSlashCommands, cmd, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ack) != 0 {
			t.Fatalf("command ack payload = %s, want none", ack)
		}
	}
	if jobs := e.jobs(bot.JobCommand); len(jobs) != 1 || jobs[0].ID != "trig-sock" || jobs[0].Text != "ping over socket" {
		t.Fatalf("jobs = %+v", jobs)
	}

	// An invalid form submission: the ack carries the same response_action errors.
	meta, _ := encodeFormMeta(&bot.Request{Args: []string{"payments"}, Channel: "C0DEV"}, "new-db")
	ack, err := e.fake.SendEnvelope(wctx, slackfake.EnvelopeInteractive, viewSubmission("VSOCK", "U0ALICE", meta, goodValues("taken")), 0)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack, &answer); err != nil || answer.ResponseAction != "errors" || answer.Errors["name"] == "" {
		t.Fatalf("submission ack = %s (%v)", ack, err)
	}

	// The connection drops; the client reconnects by itself.
	e.fake.DropSocket()
	if err := e.fake.WaitSocket(wctx, 2); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Calls("apps.connections.open")); n < 2 {
		t.Fatalf("apps.connections.open calls = %d, want a second one after the drop", n)
	}

	// An event over the new connection, retried once: one job.
	ev := map[string]any{
		"type": "event_callback", "team_id": "T0FAKE", "event_id": "Ev0SOCK", "event_time": 1700000100,
		"event": map[string]any{"type": "app_mention", "user": "U0ALICE", "text": "<@U0BOT> ping again", "ts": "1700000100.000900", "channel": "C0DEV"},
	}
	for retry := 0; retry < 2; retry++ {
		if _, err := e.fake.SendEnvelope(wctx, slackfake.EnvelopeEventsAPI, ev, retry); err != nil {
			t.Fatal(err)
		}
	}
	jobs := e.jobs(bot.JobCommand)
	if len(jobs) != 2 || jobs[1].ID != "Ev0SOCK" || jobs[1].ThreadTS != "1700000100.000900" {
		t.Fatalf("jobs after reconnect = %+v", jobs)
	}
	if got := e.counter("platbot_slack_requests_total", "endpoint", EndpointSocketEvents, "outcome", OutcomeDuplicate); got != 1 {
		t.Fatalf("socket duplicate events = %v", got)
	}

	stop()
	if got := len(connects); got < 2 {
		t.Fatalf("connected %d times, want 2", got)
	}

	// The queued work answers through the Web API as usual.
	e.runJobs()
	if c, ok := e.fake.Last(slackfake.MethodResponseURL); !ok || c.Text() != "pong over socket" {
		t.Fatalf("reply = %+v", c)
	}
	if c, ok := e.fake.Last("chat.postEphemeral"); !ok || c.Text() != "pong again" || c.ThreadTS() != "1700000100.000900" {
		t.Fatalf("mention reply = %+v", c)
	}
}

func TestSocketModeRefusedToken(t *testing.T) {
	e := newEnv(t)
	e.fake.Fail("apps.connections.open", slackfake.Failure{Error: "invalid_auth"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := RunSocketMode(ctx, "xapp-bad", "xoxb", e.fake.APIURL(), e.h)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("RunSocketMode with a refused token = %v (ctx %v)", err, ctx.Err())
	}
	if err := RunSocketMode(ctx, "", "xoxb", e.fake.APIURL(), e.h); err == nil {
		t.Fatal("RunSocketMode without an app token succeeded")
	}
}
