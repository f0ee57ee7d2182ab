package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCompleteJobAndAudit: the completion and the run's events are one
// write, the events chained in order; a completion the lease owner may not
// make records neither.
func TestCompleteJobAndAudit(t *testing.T) { forEachEngine(t, testCompleteJobAndAudit) }

func testCompleteJobAndAudit(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	for _, key := range []string{"a", "b"} {
		if _, err := s.Enqueue(ctx, Job{Kind: "bot.command", DedupeKey: key, RunAt: c.Now(), MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := s.ClaimJobs(ctx, "w1", c.Now(), time.Minute, 2)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("claim = %d jobs, %v", len(jobs), err)
	}
	evs := []Event{
		{Action: "command", Target: "ping", Outcome: "ok", ActorID: "U1"},
		{Action: "action", Target: "approve", Outcome: "rejected", ActorID: "U1", Sensitive: map[string]string{"token": "s3cret"}},
	}
	before := s.Stats()
	if err := s.CompleteJobAndAudit(ctx, jobs[0].ID, "w1", evs); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Writes - before.Writes; got != 1 {
		t.Errorf("completion with 2 events took %d writes; want 1", got)
	}
	if j, err := s.Job(ctx, jobs[0].ID); err != nil || j.State != JobDone {
		t.Fatalf("job = %+v, %v; want done", j, err)
	}
	got, err := s.AuditEvents(ctx, AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Action != "command" || got[0].Action != "action" || got[0].PrevHash != got[1].Hash {
		t.Fatalf("events = %+v; want command then action, chained", got)
	}
	if v, _ := got[0].Details["token"].(string); v == "s3cret" || v == "" {
		t.Errorf("sensitive value stored as %q; want its HMAC", v)
	}

	// Another owner may not complete the second job: nothing is recorded.
	err = s.CompleteJobAndAudit(ctx, jobs[1].ID, "w2", evs[:1])
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("completion by another owner = %v; want ErrConflict", err)
	}
	if j, err := s.Job(ctx, jobs[1].ID); err != nil || j.State != JobRunning || j.LeaseOwner != "w1" {
		t.Fatalf("job = %+v, %v; want still running for w1", j, err)
	}
	if got, err := s.AuditEvents(ctx, AuditFilter{}, 0); err != nil || len(got) != 2 {
		t.Fatalf("events after the refused completion = %d, %v; want 2", len(got), err)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK || rep.Rows != 2 {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
}
