package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/httpguard/guardtest"
	"github.com/platbot/platbot/bot/slack/slackfake"
)

// signedHeader is a fresh, well-formed signature header pair that does not
// match any body: it passes every check made before the body is read.
func (e *testEnv) signedHeader(contentType string) http.Header {
	return http.Header{
		"Content-Type":              {contentType},
		"X-Slack-Request-Timestamp": {strconv.FormatInt(e.now.Unix(), 10)},
		"X-Slack-Signature":         {"v0=" + strings.Repeat("0", 64)},
	}
}

// TestHugeBodiesAreRefusedWithBoundedMemory: 30 MB sent to each Slack
// endpoint, declared or chunked, is answered 413 having cost at most the
// endpoint's limit, and a request whose signature headers are missing is
// refused before a byte of its body is read.
func TestHugeBodiesAreRefusedWithBoundedMemory(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	const huge = 30 << 20
	for _, tc := range []struct {
		path, ct string
		limit    int64
	}{
		{PathCommands, "application/x-www-form-urlencoded", DefaultMaxCommandBody},
		{PathInteractions, "application/x-www-form-urlencoded", DefaultMaxInteractionBody},
		{PathEvents, "application/json", DefaultMaxEventBody},
	} {
		for _, chunked := range []bool{false, true} {
			var status int
			alloc := guardtest.Allocated(func() {
				status = guardtest.Post(t, srv.URL+tc.path, e.signedHeader(tc.ct), guardtest.Body{Size: huge, Chunked: chunked})
			})
			if status != http.StatusRequestEntityTooLarge {
				t.Fatalf("%s chunked=%v: status %d, want 413", tc.path, chunked, status)
			}
			// Reading stops at the limit: what the process allocated stays
			// within a few times the limit, far below the 30 MB sent.
			if max := uint64(4*tc.limit + 2<<20); alloc > max {
				t.Fatalf("%s chunked=%v: allocated %d bytes for a refused 30 MB body, want at most %d", tc.path, chunked, alloc, max)
			}
		}
	}
	if got := e.counter("platbot_slack_rejected_total", "reason", ReasonTooLarge); got != 6 {
		t.Fatalf("too_large count = %v, want 6", got)
	}

	// No signature at all: refused 401 without reading the body.
	h := e.signedHeader("application/x-www-form-urlencoded")
	h.Del("X-Slack-Signature")
	var status int
	alloc := guardtest.Allocated(func() {
		status = guardtest.Post(t, srv.URL+PathInteractions, h, guardtest.Body{Size: DefaultMaxInteractionBody - 1, Chunked: true})
	})
	if status != http.StatusUnauthorized {
		t.Fatalf("unsigned: status %d, want 401", status)
	}
	if alloc > DefaultMaxInteractionBody/2 {
		t.Fatalf("unsigned 1 MiB body: allocated %d bytes; the body should not have been read", alloc)
	}
	if n := len(e.q.Jobs()); n != 0 {
		t.Fatalf("%d jobs queued by refused requests", n)
	}
}

// blockingAcceptor holds every Accept until release is closed.
type blockingAcceptor struct {
	stubRouter
	entered chan string
	release chan struct{}
}

func (b *blockingAcceptor) Accept(ctx context.Context, kind string, _ any, req *bot.Request) (bool, error) {
	b.entered <- req.ID
	select {
	case <-b.release:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (b *blockingAcceptor) ValidateForm(context.Context, *bot.Request, string, bot.Values) (bot.FieldErrors, error) {
	return nil, nil
}

// TestRequestsInFlightAreBoundedPerEndpoint: with two slash commands
// stuck in the store write, a third is answered 503 at once (Retry-After)
// while other endpoints still answer; once the two finish, commands are
// taken again.
func TestRequestsInFlightAreBoundedPerEndpoint(t *testing.T) {
	e := newEnv(t)
	acc := &blockingAcceptor{entered: make(chan string, 8), release: make(chan struct{})}
	h, err := NewHandler(HandlerOptions{Router: acc, SigningSecret: testSecret, Metrics: e.metrics, Logger: discardLogger(),
		Now: func() time.Time { return e.now }, MaxInFlight: 2, AckTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	cmd := func(trigger string) []byte {
		return slackfake.CommandBody(map[string]string{"text": "ping", "user_id": "U0ALICE", "trigger_id": trigger, "response_url": e.fake.ResponseURL(trigger)})
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.post(PathCommands, cmd(fmt.Sprintf("held-%d", i))).Code
		}()
	}
	<-acc.entered
	<-acc.entered

	rec := e.post(PathCommands, cmd("third"))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("third command while two are in flight: %d (Retry-After %q), want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if got := e.counter("platbot_slack_rejected_total", "reason", ReasonBusy); got != 1 {
		t.Fatalf("busy count = %v, want 1", got)
	}
	// The bound is per endpoint: events still answer.
	ev, _ := json.Marshal(map[string]string{"type": "url_verification", "challenge": "c-1"})
	if rec := e.post(PathEvents, ev); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "c-1") {
		t.Fatalf("events while commands are saturated: %d %s", rec.Code, rec.Body.String())
	}

	close(acc.release)
	wg.Wait()
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK {
		t.Fatalf("held commands answered %v, want 200s", codes)
	}
	if rec := e.post(PathCommands, cmd("after")); rec.Code != http.StatusOK {
		t.Fatalf("command after the others finished: %d, want 200", rec.Code)
	}
}

// TestMetricsNeverCarryTypedText: whatever follows /plat — a pasted secret,
// a typo — shows in /metrics only as "unknown"; a button is counted by its
// family, not its full action id.
func TestMetricsNeverCarryTypedText(t *testing.T) {
	e := newEnv(t)
	const canary = "xoxp-CANARY-4f1d9e7a2b"
	for i, text := range []string{canary + " more words", "pnig", "ping"} {
		body := slackfake.CommandBody(map[string]string{"text": text, "user_id": "U0ALICE", "trigger_id": fmt.Sprintf("trig-%d", i), "response_url": e.fake.ResponseURL(fmt.Sprint(i))})
		if rec := e.post(PathCommands, body); rec.Code != http.StatusOK {
			t.Fatalf("/plat %s: %d", text, rec.Code)
		}
	}
	click, _ := json.Marshal(blockActions("U0CAROL", "approve:db-7f3a", "orders-db", "1700000001.000100", "1700000000.000200"))
	if rec := e.post(PathInteractions, slackfake.InteractionBody(json.RawMessage(click))); rec.Code != http.StatusOK {
		t.Fatalf("click: %d", rec.Code)
	}
	e.runJobs()

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := rec.Body.String()
	for _, leak := range []string{"CANARY", "xoxp", "pnig", "db-7f3a"} {
		if strings.Contains(out, leak) {
			t.Fatalf("/metrics carries %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{
		`platbot_commands_total{command="unknown",outcome="unknown"} 2`,
		`platbot_commands_total{command="ping",outcome="ok"} 1`,
		// The click's reply goes to a fake response URL and fails; the
		// outcome does not matter here, the label does.
		`platbot_commands_total{command="approve",outcome="error"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, out)
		}
	}
}

// TestOtherWorkspaceIsRefused: with a workspace configured, a slash
// command, a click and an event from another team_id are refused — nothing
// queued, nothing audited, only counted — and the configured workspace is
// served as before.
func TestOtherWorkspaceIsRefused(t *testing.T) {
	e := newEnv(t)
	h, err := NewHandler(HandlerOptions{Router: e.router, SigningSecret: testSecret, Metrics: e.metrics, Logger: discardLogger(),
		Now: func() time.Time { return e.now }, TeamID: "T0HOME"})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h

	// slackfake's bodies come from team T0FAKE.
	rec := e.post(PathCommands, slackfake.CommandBody(map[string]string{"text": "ping", "user_id": "U0MALLORY", "trigger_id": "t-other", "response_url": e.fake.ResponseURL("other")}))
	var answer map[string]string
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &answer) != nil ||
		answer["response_type"] != "ephemeral" || !strings.Contains(answer["text"], "another Slack workspace") {
		t.Fatalf("command from another workspace: %d %s", rec.Code, rec.Body.String())
	}
	click, _ := json.Marshal(blockActions("U0MALLORY", "approve:db", "orders-db", "1700000001.000100", "1700000000.000200"))
	if rec := e.post(PathInteractions, slackfake.InteractionBody(json.RawMessage(click))); rec.Code != http.StatusForbidden {
		t.Fatalf("click from another workspace: %d, want 403", rec.Code)
	}
	mention, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T0FAKE", "event_id": "Ev-other",
		"event": map[string]any{"type": "app_mention", "user": "U0MALLORY", "text": "<@U0BOT> ping", "channel": "C1", "ts": "1.2"}})
	if rec := e.post(PathEvents, mention); rec.Code != http.StatusOK {
		t.Fatalf("event from another workspace: %d, want 200 (so Slack does not retry)", rec.Code)
	}
	if n := len(e.q.Jobs()); n != 0 {
		t.Fatalf("%d jobs queued for another workspace", n)
	}
	if n := len(e.q.Events()); n != 0 {
		t.Fatalf("%d audit events for another workspace", n)
	}
	if got := e.counter("platbot_slack_rejected_total", "reason", ReasonOtherTeam); got != 3 {
		t.Fatalf("other_team count = %v, want 3", got)
	}
	// url_verification names no team and is still answered.
	ev, _ := json.Marshal(map[string]string{"type": "url_verification", "challenge": "c-2"})
	if rec := e.post(PathEvents, ev); !strings.Contains(rec.Body.String(), "c-2") {
		t.Fatalf("url_verification: %d %s", rec.Code, rec.Body.String())
	}

	home := slackfake.CommandBody(map[string]string{"text": "ping", "user_id": "U0ALICE", "team_id": "T0HOME", "trigger_id": "t-home", "response_url": e.fake.ResponseURL("home")})
	if rec := e.post(PathCommands, home); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("command from the configured workspace: %d %q", rec.Code, rec.Body.String())
	}
	if jobs := e.jobs(bot.JobCommand); len(jobs) != 1 || jobs[0].TeamID != "T0HOME" {
		t.Fatalf("jobs = %+v, want the configured workspace's command", jobs)
	}
}

// TestSocketModeRefusesOtherWorkspace: the workspace check covers Socket
// Mode too — the envelope is acknowledged with the ephemeral refusal and
// nothing is queued.
func TestSocketModeRefusesOtherWorkspace(t *testing.T) {
	e := newEnv(t)
	h, err := NewHandler(HandlerOptions{Router: e.router, Metrics: e.metrics, Logger: discardLogger(), TeamID: "T0HOME"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunSocketMode(ctx, "xapp-test-token", "xoxb-test-token", e.fake.APIURL(), h) }()
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
	cmd := map[string]string{"command": "/plat", "text": "ping", "user_id": "U0MALLORY", "team_id": "T0FAKE",
		"trigger_id": "trig-sock-other", "response_url": e.fake.ResponseURL("sock-other")}
	ack, err := e.fake.SendEnvelope(wctx, slackfake.EnvelopeSlashCommands, cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack), "another Slack workspace") {
		t.Fatalf("ack = %s, want the refusal", ack)
	}
	if n := len(e.q.Jobs()); n != 0 {
		t.Fatalf("%d jobs queued for another workspace", n)
	}
	if got := e.counter("platbot_slack_rejected_total", "reason", ReasonOtherTeam); got != 1 {
		t.Fatalf("other_team count = %v, want 1", got)
	}
}
