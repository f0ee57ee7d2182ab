package bottest_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

func TestAuditor(t *testing.T) {
	ctx := context.Background()
	a := bottest.NewAuditor()
	for _, act := range []string{"one", "two"} {
		if err := a.Audit(ctx, store.Event{Action: act}); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Take(); len(got) != 2 || got[0].Action != "one" {
		t.Fatalf("first Take = %+v", got)
	}
	down := errors.New("audit log down")
	a.FailWith(down)
	if err := a.Audit(ctx, store.Event{Action: "lost"}); !errors.Is(err, down) {
		t.Fatalf("refused event: %v", err)
	}
	a.FailWith(nil)
	if err := a.Audit(ctx, store.Event{Action: "three"}); err != nil {
		t.Fatal(err)
	}
	if got := a.Take(); len(got) != 1 || got[0].Action != "three" {
		t.Fatalf("second Take = %+v; want only the event since the first", got)
	}
	if got := a.Actions(); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Fatalf("Actions = %v", got)
	}
}

func TestPolicy(t *testing.T) {
	ctx := context.Background()
	p := bottest.NewPolicy()
	u := bot.User{ID: "U1"}
	if d := p.Decide(ctx, u, bot.ActionApprove, bot.Resource{Kind: "x"}); !d.Allow || d.Rule != "test-allow" {
		t.Fatalf("default = %+v", d)
	}
	p.Deny(bot.ActionApprove, bot.ActionAdmin)
	if d := p.Decide(ctx, u, bot.ActionApprove, bot.Resource{}); d.Allow || d.Rule != "test-deny" || d.Reason != bottest.DeniedReason {
		t.Fatalf("denied = %+v", d)
	}
	if d := p.Decide(ctx, u, bot.ActionRead, bot.Resource{}); !d.Allow {
		t.Fatalf("read after Deny(approve, admin) = %+v", d)
	}
	p.Allow(bot.ActionApprove)
	if d := p.Decide(ctx, u, bot.ActionApprove, bot.Resource{}); !d.Allow {
		t.Fatalf("after Allow = %+v", d)
	}
	if d := p.Decide(ctx, u, bot.ActionAdmin, bot.Resource{}); d.Allow {
		t.Fatalf("admin still denied, got %+v", d)
	}
	p.DecideWith(func(_ context.Context, u bot.User, _ string, _ bot.Resource) bot.Decision {
		return bot.Decision{Allow: u.ID == "U2", Rule: "only-u2"}
	})
	if d := p.Decide(ctx, u, bot.ActionRead, bot.Resource{}); d.Allow || d.Rule != "only-u2" {
		t.Fatalf("DecideWith = %+v", d)
	}
	seen := p.Seen()
	if len(seen) != 6 || seen[0].Action != bot.ActionApprove || seen[0].Resource.Kind != "x" || seen[5].Decision.Rule != "only-u2" {
		t.Fatalf("Seen = %+v", seen)
	}
}

// TestHarness drives a small feature through the harness: a command that
// posts a card, a button click, a durable job run when the fake clock
// reaches it, the router's audit, and a policy denial.
func TestHarness(t *testing.T) {
	start := time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)
	h := bottest.NewHarness(t, bottest.HarnessOptions{Start: start, Version: "v1.2.3"})
	if h.Router.Version() != "v1.2.3" || !h.Clock.Now().Equal(start) {
		t.Fatalf("harness: version %q, clock %v", h.Router.Version(), h.Clock.Now())
	}
	var ran []string
	h.Router.HandleJob("test.later", func(_ context.Context, p json.RawMessage) error {
		ran = append(ran, string(p))
		return nil
	})
	h.Router.HandleAction("test", func(ctx context.Context, req *bot.Request, a bot.Action) error {
		_, err := h.Router.Enqueue(ctx, bot.JobSpec{Kind: "test.later", Payload: a.Value, RunAt: h.Clock.Now().Add(time.Hour)})
		if err != nil {
			return err
		}
		return req.Replyf(ctx, "%s pressed %s", req.User.ID, a.Value)
	})
	h.Router.Register(&bot.Command{
		Name: "card", Summary: "posts a card", Action: bot.ActionApprove,
		Handle: func(ctx context.Context, req *bot.Request) error {
			return req.Reply(ctx, bot.Message{Text: "a card", Blocks: []bot.Block{
				bot.Actions{Buttons: []bot.Button{{ActionID: "test:go", Text: "Go", Value: "v1"}}},
			}})
		},
	})
	if out := h.Run("U1", "card"); !strings.Contains(out, "[Go]") {
		t.Fatalf("Run = %q", out)
	}
	card := h.Messenger.Last()
	if out := h.Click("U2", card, "Go"); !strings.Contains(out, "U2 pressed v1") {
		t.Fatalf("Click = %q", out)
	}
	if n := h.RunJobs(); n != 0 || len(ran) != 0 {
		t.Fatalf("job ran before its time: %d, %v", n, ran)
	}
	h.Clock.Advance(time.Hour)
	if n := h.RunJobs(); n != 1 || !slices.Equal(ran, []string{`"v1"`}) {
		t.Fatalf("RunJobs after an hour = %d, %v", n, ran)
	}
	if acts := strings.Join(h.Audit.Actions(), " "); !strings.Contains(acts, "policy") || !strings.Contains(acts, "command") {
		t.Fatalf("router audit = %s", acts)
	}
	h.Policy.Deny(bot.ActionApprove)
	if out := h.Run("U1", "card"); !strings.Contains(out, "test-deny") {
		t.Fatalf("denied Run = %q", out)
	}
	// A restart builds a new router over the same store: the job queue and
	// its de-duplication survive, commands must be registered again.
	old := h.Router
	h.Options.Policy = bot.AllowAll{}
	if r := h.Restart(); r == old || h.Router != r {
		t.Fatal("Restart kept the old router")
	}
	h.Router.HandleJob("test.later", func(context.Context, json.RawMessage) error { return nil })
	if created, err := h.Router.Enqueue(context.Background(), bot.JobSpec{Kind: "test.later", DedupeKey: "once"}); err != nil || !created {
		t.Fatalf("Enqueue after restart = %v, %v", created, err)
	}
	if created, err := h.Router.Enqueue(context.Background(), bot.JobSpec{Kind: "test.later", DedupeKey: "once"}); err != nil || created {
		t.Fatalf("second Enqueue = %v, %v; want a duplicate", created, err)
	}
	if got := bottest.FindButton(card.Msg, "Stop"); got != nil {
		t.Fatalf("FindButton found a missing button: %+v", got)
	}
}
