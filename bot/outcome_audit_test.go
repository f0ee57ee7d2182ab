package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

// downMessenger refuses every reply, like Slack while it is unreachable.
type downMessenger struct{ *bottest.Messenger }

var errSlackDown = errors.New("slack is down")

func (downMessenger) Respond(context.Context, *bot.Request, bot.Message) error { return errSlackDown }
func (downMessenger) Ephemeral(context.Context, string, string, bot.Message) error {
	return errSlackDown
}
func (downMessenger) Post(context.Context, string, bot.Message) (bot.MessageRef, error) {
	return bot.MessageRef{}, errSlackDown
}

func commandEvents(t *testing.T, st *store.Store) []store.Event {
	t.Helper()
	evs, err := st.AuditEvents(context.Background(), store.AuditFilter{Action: "command"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestCommandOutcomeIsRecordedWithItsCompletion: a command run as a job
// records its outcome audit event in the write that completes the job, so
// a command costs one write fewer: the claim, the policy decision, the
// completion with the outcome, and the claim that finds nothing left.
func TestCommandOutcomeIsRecordedWithItsCompletion(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, bot.AllowAll{})
	r.Register(&bot.Command{Name: "ping", Summary: "ping", Handle: func(ctx context.Context, req *bot.Request) error {
		return req.Replyf(ctx, "pong")
	}})
	req := request(m, "ping")
	if _, err := r.Accept(ctx, bot.JobCommand, req, req); err != nil {
		t.Fatal(err)
	}
	before := st.Stats()
	if n, err := r.Worker().RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("RunDue = %d, %v; want 1 job", n, err)
	}
	if got := st.Stats().Writes - before.Writes; got != 4 {
		t.Errorf("running the command took %d writes; want 4 (claim, policy, completion with the outcome, empty claim)", got)
	}
	if m.Last().Text() != "pong" {
		t.Errorf("reply = %q", m.Last().Text())
	}
	evs := commandEvents(t, st)
	if len(evs) != 1 || evs[0].Target != "ping" || evs[0].Outcome != "ok" || evs[0].ActorID != "U1" {
		t.Fatalf("command events = %+v; want one ok run of ping by U1", evs)
	}
	done, err := st.Jobs(ctx, []string{store.JobDone}, 0)
	if err != nil || len(done) != 1 {
		t.Fatalf("done jobs = %d, %v; want 1", len(done), err)
	}
}

// TestCommandOutcomeIsRecordedWhenItsJobRetries: a run whose answer cannot
// be delivered is retried; its outcome is recorded all the same, once per
// attempt, and the job goes back to the queue.
func TestCommandOutcomeIsRecordedWhenItsJobRetries(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r := bot.NewRouter(bot.RouterOptions{Audit: st, Queue: st, Version: "test"})
	m := downMessenger{bottest.NewMessenger()}
	r.SetMessenger(bot.TransportShell, m)
	r.Register(&bot.Command{Name: "ping", Summary: "ping", Handle: func(ctx context.Context, req *bot.Request) error {
		return req.Replyf(ctx, "pong")
	}})
	req := &bot.Request{ID: "req-ping", Transport: bot.TransportShell, User: bot.User{ID: "U1"}, Channel: "C1", Text: "ping"}
	req.Bind(m)
	if _, err := r.Accept(ctx, bot.JobCommand, req, req); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if evs := commandEvents(t, st); len(evs) != 1 || evs[0].Outcome != "error" || evs[0].Details["error"] != errSlackDown.Error() {
		t.Fatalf("command events = %+v; want the failed run's outcome", evs)
	}
	queued, err := st.Jobs(ctx, []string{store.JobQueued}, 0)
	if err != nil || len(queued) != 1 || queued[0].LastError == "" {
		t.Fatalf("queued jobs = %+v, %v; want the job back with its error", queued, err)
	}
}

// TestCommandOutcomeIsRecordedWhenItsLeaseWasTakenOver: a run that ends
// after another worker took its job over cannot complete the job; the
// outcome of the run that happened is still recorded, and the job stays
// with its new owner.
func TestCommandOutcomeIsRecordedWhenItsLeaseWasTakenOver(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, bot.AllowAll{})
	r.Register(&bot.Command{Name: "ping", Summary: "ping", Handle: func(ctx context.Context, req *bot.Request) error {
		owners, err := st.JobLeaseOwners(ctx)
		if err != nil {
			return err
		}
		if _, err := st.ExpireJobLeases(ctx, owners, time.Now()); err != nil {
			return err
		}
		if jobs, err := st.ClaimJobs(ctx, "other-worker", time.Now(), time.Hour, 1); err != nil || len(jobs) != 1 {
			return errors.Join(err, errors.New("the job was not taken over"))
		}
		return req.Replyf(ctx, "pong")
	}})
	req := request(m, "ping")
	if _, err := r.Accept(ctx, bot.JobCommand, req, req); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if m.Last().Text() != "pong" {
		t.Fatalf("reply = %q", m.Last().Text())
	}
	if evs := commandEvents(t, st); len(evs) != 1 || evs[0].Outcome != "ok" {
		t.Fatalf("command events = %+v; want the run's outcome", evs)
	}
	running, err := st.Jobs(ctx, []string{store.JobRunning}, 0)
	if err != nil || len(running) != 1 || running[0].LeaseOwner != "other-worker" {
		t.Fatalf("running jobs = %+v, %v; want the job with its new owner", running, err)
	}
}
