package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestEnqueueDefaultsAndDedupe(t *testing.T) { forEachEngine(t, testEnqueueDefaultsAndDedupe) }

func testEnqueueDefaultsAndDedupe(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	created, err := s.Enqueue(ctx, Job{Kind: "command", Payload: json.RawMessage(`{"a":1}`), DedupeKey: "req-1"})
	if err != nil || !created {
		t.Fatalf("Enqueue = %v, %v", created, err)
	}
	created, err = s.Enqueue(ctx, Job{Kind: "other", Payload: json.RawMessage(`{"b":2}`), DedupeKey: "req-1"})
	if err != nil || created {
		t.Fatalf("second Enqueue = %v, %v; want false", created, err)
	}
	// Empty dedupe keys never collide.
	for range 2 {
		if created, err := s.Enqueue(ctx, Job{Kind: "plain"}); err != nil || !created {
			t.Fatalf("Enqueue without key = %v, %v", created, err)
		}
	}
	jobs, err := s.Jobs(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 {
		t.Fatalf("%d jobs, want 3", len(jobs))
	}
	j := jobs[0]
	if j.Kind != "command" || string(j.Payload) != `{"a":1}` || j.State != JobQueued ||
		j.MaxAttempts != DefaultMaxAttempts || !j.RunAt.Equal(c.Now()) || j.Attempts != 0 {
		t.Errorf("job = %+v", j)
	}
	if _, err := s.Enqueue(ctx, Job{Kind: "bad", Payload: json.RawMessage(`{`)}); err == nil {
		t.Error("invalid JSON payload accepted")
	}
	if _, err := s.Enqueue(ctx, Job{}); err == nil {
		t.Error("job without kind accepted")
	}
}

func TestEnqueueAndAuditAuditsOnlyNewJobs(t *testing.T) {
	forEachEngine(t, testEnqueueAndAuditAuditsOnlyNewJobs)
}

func testEnqueueAndAuditAuditsOnlyNewJobs(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	ev := Event{ActorID: "U1", Action: "command.received", Target: "/plat new-db"}
	for i, want := range []bool{true, false, false} {
		created, err := s.EnqueueAndAudit(ctx, Job{Kind: "command", DedupeKey: "command:req-9"}, ev)
		if err != nil || created != want {
			t.Fatalf("call %d: created = %v, %v; want %v", i, created, err, want)
		}
	}
	events, err := s.AuditEvents(ctx, AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "command.received" {
		t.Errorf("events = %+v, want one", events)
	}
	// An event that cannot be recorded means no job either.
	_, err = s.EnqueueAndAudit(ctx, Job{Kind: "command", DedupeKey: "x"}, Event{Action: "a", Sensitive: map[string]string{"a": "b"}, Details: map[string]any{"a": 1}})
	if err == nil {
		t.Fatal("bad event accepted")
	}
	if jobs, _ := s.Jobs(ctx, nil, 0); len(jobs) != 1 {
		t.Errorf("%d jobs, want 1", len(jobs))
	}
}

func TestJobLifecycle(t *testing.T) { forEachEngine(t, testJobLifecycle) }

func testJobLifecycle(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	now := c.Now()
	mustEnqueue := func(j Job) {
		t.Helper()
		if _, err := s.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	mustEnqueue(Job{Kind: "later", RunAt: now.Add(time.Hour)})
	mustEnqueue(Job{Kind: "first", RunAt: now.Add(-2 * time.Minute)})
	mustEnqueue(Job{Kind: "second", RunAt: now.Add(-time.Minute), MaxAttempts: 2})

	at, ok, err := s.NextJobAt(ctx)
	if err != nil || !ok || !at.Equal(now.Add(-2*time.Minute)) {
		t.Errorf("NextJobAt = %v, %v, %v", at, ok, err)
	}

	j1, err := s.ClaimJob(ctx, "w1", now, time.Minute)
	if err != nil || j1 == nil || j1.Kind != "first" || j1.State != JobRunning || j1.Attempts != 1 ||
		j1.LeaseOwner != "w1" || !j1.LeaseUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("claim 1 = %+v, %v", j1, err)
	}
	j2, err := s.ClaimJob(ctx, "w1", now, time.Minute)
	if err != nil || j2 == nil || j2.Kind != "second" {
		t.Fatalf("claim 2 = %+v, %v", j2, err)
	}
	if j, err := s.ClaimJob(ctx, "w1", now, time.Minute); err != nil || j != nil {
		t.Fatalf("claim 3 = %+v, %v; want nothing due", j, err)
	}
	// The next wake-up is the earliest lease expiry, before the "later" job.
	if at, ok, _ := s.NextJobAt(ctx); !ok || !at.Equal(now.Add(time.Minute)) {
		t.Errorf("NextJobAt = %v, %v; want lease expiry", at, ok)
	}

	if err := s.CompleteJob(ctx, j1.ID, "w2"); !errors.Is(err, ErrConflict) {
		t.Errorf("complete by non-owner = %v, want ErrConflict", err)
	}
	if err := s.CompleteJob(ctx, j1.ID, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteJob(ctx, j1.ID, "w1"); !errors.Is(err, ErrConflict) {
		t.Errorf("second complete = %v, want ErrConflict", err)
	}
	if err := s.CompleteJob(ctx, 999, "w1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("complete missing = %v, want ErrNotFound", err)
	}

	// Retry once (attempt 1 of 2), then the retry after attempt 2 fails it.
	if err := s.RetryJob(ctx, j2.ID, "w1", "boom 1", now.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.ClaimJob(ctx, "w1", now, time.Minute); j != nil {
		t.Fatalf("retried job claimed before its time: %+v", j)
	}
	j2, err = s.ClaimJob(ctx, "w1", now.Add(30*time.Second), time.Minute)
	if err != nil || j2 == nil || j2.Attempts != 2 || j2.LastError != "boom 1" {
		t.Fatalf("reclaim = %+v, %v", j2, err)
	}
	if err := s.RetryJob(ctx, j2.ID, "w1", "boom 2", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, j2.ID)
	if err != nil || got.State != JobFailed || got.LastError != "boom 2" {
		t.Errorf("exhausted job = %+v, %v; want failed", got, err)
	}

	done, err := s.Jobs(ctx, []string{JobDone, JobFailed}, 0)
	if err != nil || len(done) != 2 {
		t.Errorf("finished jobs = %d, %v", len(done), err)
	}
	c.Advance(48 * time.Hour)
	if n, err := s.PruneJobs(ctx, c.Now().Add(-24*time.Hour)); err != nil || n != 2 {
		t.Errorf("PruneJobs = %d, %v; want 2", n, err)
	}
}

func TestExpiredLeaseIsTakenOver(t *testing.T) { forEachEngine(t, testExpiredLeaseIsTakenOver) }

func testExpiredLeaseIsTakenOver(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	now := c.Now()
	if _, err := s.Enqueue(ctx, Job{Kind: "k", MaxAttempts: 2}); err != nil {
		t.Fatal(err)
	}
	a, err := s.ClaimJob(ctx, "dead-worker", now, time.Minute)
	if err != nil || a == nil {
		t.Fatalf("claim = %v, %v", a, err)
	}
	if j, _ := s.ClaimJob(ctx, "w2", now.Add(59*time.Second), time.Minute); j != nil {
		t.Fatal("lease taken over before it expired")
	}
	b, err := s.ClaimJob(ctx, "w2", now.Add(time.Minute), time.Minute)
	if err != nil || b == nil || b.ID != a.ID || b.Attempts != 2 || b.LeaseOwner != "w2" {
		t.Fatalf("takeover = %+v, %v", b, err)
	}
	if err := s.CompleteJob(ctx, a.ID, "dead-worker"); !errors.Is(err, ErrConflict) {
		t.Errorf("old owner completing = %v, want ErrConflict", err)
	}
	if err := s.FailJob(ctx, a.ID, "dead-worker", "x"); !errors.Is(err, ErrConflict) {
		t.Errorf("old owner failing = %v, want ErrConflict", err)
	}
	// w2 dies too: with its attempts used up the job is failed, not rerun.
	if j, err := s.ClaimJob(ctx, "w3", now.Add(3*time.Minute), time.Minute); err != nil || j != nil {
		t.Fatalf("claim of exhausted job = %+v, %v; want nil", j, err)
	}
	got, err := s.Job(ctx, a.ID)
	if err != nil || got.State != JobFailed {
		t.Errorf("job = %+v, %v; want failed", got, err)
	}
}

func TestConcurrentClaimsNeverShareAJob(t *testing.T) {
	forEachEngine(t, testConcurrentClaimsNeverShareAJob)
}

func testConcurrentClaimsNeverShareAJob(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	const jobs = 50
	for range jobs {
		if _, err := s.Enqueue(ctx, Job{Kind: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		owner := string(rune('a' + w))
		wg.Go(func() {
			for {
				j, err := s.ClaimJob(ctx, owner, c.Now(), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if j == nil {
					return
				}
				mu.Lock()
				if prev, dup := seen[j.ID]; dup {
					t.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
				}
				seen[j.ID] = owner
				mu.Unlock()
				if err := s.CompleteJob(ctx, j.ID, owner); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != jobs {
		t.Errorf("%d jobs claimed, want %d", len(seen), jobs)
	}
}

// TestClaimPrefersInteractiveJobs: a user's command waiting behind due
// background work is claimed first.
func TestClaimPrefersInteractiveJobs(t *testing.T) { forEachEngine(t, testClaimPrefersInteractiveJobs) }

func testClaimPrefersInteractiveJobs(t *testing.T, e engine) {
	s, c, _ := e.open(t)
	ctx := context.Background()
	now := c.Now()
	for i, k := range []string{"scorecard.digest", "paths.step", "bot.command"} {
		if _, err := s.Enqueue(ctx, Job{Kind: k, Payload: json.RawMessage(`{}`), RunAt: now.Add(time.Duration(i-10) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	j, err := s.ClaimJob(ctx, "w1", now, time.Minute)
	if err != nil || j == nil {
		t.Fatalf("claim: %v %v", j, err)
	}
	if j.Kind != "bot.command" {
		t.Fatalf("claimed %s first, want bot.command", j.Kind)
	}
	j, _ = s.ClaimJob(ctx, "w1", now, time.Minute)
	if j == nil || j.Kind != "scorecard.digest" {
		t.Fatalf("then claimed %v, want the oldest background job", j)
	}
}

// TestRenewJobLease: a lease renewed by its owner is not taken over when the
// first lease would have lapsed; nobody else can renew it, and a finished or
// taken-over job's lease cannot be renewed.
func TestRenewJobLease(t *testing.T) { forEachEngine(t, testRenewJobLease) }

func testRenewJobLease(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	now := c.Now()
	if _, err := s.Enqueue(ctx, Job{Kind: "long"}); err != nil {
		t.Fatal(err)
	}
	j, err := s.ClaimJob(ctx, "w1", now, time.Minute)
	if err != nil || j == nil {
		t.Fatalf("claim = %+v, %v", j, err)
	}
	until, err := s.RenewJobLease(ctx, j.ID, "w1", now.Add(50*time.Second), time.Minute)
	if err != nil || !until.Equal(now.Add(110*time.Second)) {
		t.Fatalf("renew = %v, %v; want %v", until, err, now.Add(110*time.Second))
	}
	if got, _ := s.Job(ctx, j.ID); !got.LeaseUntil.Equal(until) {
		t.Errorf("stored lease until %v, want %v", got.LeaseUntil, until)
	}
	// Past the first lease, but not the renewed one: nobody takes it over.
	if other, err := s.ClaimJob(ctx, "w2", now.Add(90*time.Second), time.Minute); err != nil || other != nil {
		t.Fatalf("claim of a renewed lease = %+v, %v; want nothing", other, err)
	}
	if _, err := s.RenewJobLease(ctx, j.ID, "w2", now.Add(90*time.Second), time.Minute); !errors.Is(err, ErrConflict) {
		t.Errorf("renew by non-owner = %v, want ErrConflict", err)
	}
	if _, err := s.RenewJobLease(ctx, 999, "w1", now, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Errorf("renew of missing job = %v, want ErrNotFound", err)
	}
	// Once the renewed lease lapses, w2 takes over and w1 has lost it.
	b, err := s.ClaimJob(ctx, "w2", until, time.Minute)
	if err != nil || b == nil || b.ID != j.ID || b.LeaseOwner != "w2" {
		t.Fatalf("takeover = %+v, %v", b, err)
	}
	if _, err := s.RenewJobLease(ctx, j.ID, "w1", until, time.Minute); !errors.Is(err, ErrConflict) {
		t.Errorf("renew by the previous owner = %v, want ErrConflict", err)
	}
	if err := s.CompleteJob(ctx, j.ID, "w2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RenewJobLease(ctx, j.ID, "w2", until, time.Minute); !errors.Is(err, ErrConflict) {
		t.Errorf("renew of a done job = %v, want ErrConflict", err)
	}
}

// TestExpireJobLeases: the jobs of a gone owner become claimable at once,
// long before their lease ends; other owners' jobs keep their leases.
func TestExpireJobLeases(t *testing.T) { forEachEngine(t, testExpireJobLeases) }

func testExpireJobLeases(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	now := c.Now()
	for _, k := range []string{"a", "b", "c"} {
		if _, err := s.Enqueue(ctx, Job{Kind: k, RunAt: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	for _, owner := range []string{"dead", "alive", "dead"} {
		j, err := s.ClaimJob(ctx, owner, now, 10*time.Minute)
		if err != nil || j == nil {
			t.Fatalf("claim = %+v, %v", j, err)
		}
		ids = append(ids, j.ID)
	}
	if _, err := s.Enqueue(ctx, Job{Kind: "queued"}); err != nil {
		t.Fatal(err)
	}
	owners, err := s.JobLeaseOwners(ctx)
	if err != nil || len(owners) != 2 || owners[0] != "alive" || owners[1] != "dead" {
		t.Fatalf("JobLeaseOwners = %q, %v; want [alive dead]", owners, err)
	}
	at := now.Add(5 * time.Second)
	n, err := s.ExpireJobLeases(ctx, []string{"dead", "nobody"}, at)
	if err != nil || n != 2 {
		t.Fatalf("ExpireJobLeases = %d, %v; want 2", n, err)
	}
	// Expiring again changes nothing.
	if n, err := s.ExpireJobLeases(ctx, []string{"dead"}, at); err != nil || n != 0 {
		t.Fatalf("second ExpireJobLeases = %d, %v; want 0", n, err)
	}
	var got []int64
	for {
		j, err := s.ClaimJob(ctx, "new", at, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if j == nil || j.Kind == "queued" {
			break
		}
		if j.Attempts != 2 {
			t.Errorf("reclaimed job %d attempts = %d, want 2", j.ID, j.Attempts)
		}
		got = append(got, j.ID)
	}
	if len(got) != 2 || got[0] != ids[0] || got[1] != ids[2] {
		t.Errorf("reclaimed %v, want %v and %v", got, ids[0], ids[2])
	}
	if j, _ := s.Job(ctx, ids[1]); j.LeaseOwner != "alive" || !j.LeaseUntil.Equal(now.Add(10*time.Minute)) {
		t.Errorf("live owner's job = %+v; want its lease untouched", j)
	}
}
