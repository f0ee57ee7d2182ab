package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClaimJobsTakesSeveralInClaimOrder: one ClaimJobs leases up to n due
// jobs, interactive kinds first and then the oldest, mixing queued jobs
// with jobs whose lease lapsed; an expired job with no attempts left is
// failed and its place taken by the next due job; jobs not yet due are
// left alone.
func TestClaimJobsTakesSeveralInClaimOrder(t *testing.T) {
	forEachEngine(t, testClaimJobsTakesSeveralInClaimOrder)
}

func testClaimJobsTakesSeveralInClaimOrder(t *testing.T, e engine) {
	s, c, _ := e.open(t)
	ctx := context.Background()
	now := c.Now()
	enqueue := func(kind string, runAt time.Time, maxAttempts int) int64 {
		t.Helper()
		if _, err := s.Enqueue(ctx, Job{Kind: kind, DedupeKey: kind, RunAt: runAt, MaxAttempts: maxAttempts}); err != nil {
			t.Fatal(err)
		}
		jobs, err := s.Jobs(ctx, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Kind == kind {
				return j.ID
			}
		}
		t.Fatalf("job %s not found", kind)
		return 0
	}
	// Two jobs whose worker died: one may run again, one used its attempts.
	lapsed := enqueue("lapsed", now.Add(-50*time.Second), 2)
	exhausted := enqueue("exhausted", now.Add(-60*time.Second), 1)
	if got, err := s.ClaimJobs(ctx, "dead", now.Add(-40*time.Second), time.Second, 2); err != nil || len(got) != 2 {
		t.Fatalf("first claim: %v %v", got, err)
	}
	enqueue("digest", now.Add(-30*time.Second), 0)
	enqueue("bot.command.new", now.Add(-5*time.Second), 0)
	enqueue("bot.command.old", now.Add(-20*time.Second), 0)
	enqueue("later", now.Add(10*time.Second), 0)
	enqueue("bot.action.later", now.Add(10*time.Second), 0)

	got, err := s.ClaimJobs(ctx, "w1", now, time.Minute, 4)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, j := range got {
		kinds = append(kinds, j.Kind)
		if j.State != JobRunning || j.LeaseOwner != "w1" || !j.LeaseUntil.Equal(now.Add(time.Minute).UTC()) {
			t.Errorf("claimed %s = %+v; want running for w1 until now+1m", j.Kind, j)
		}
	}
	if want := "bot.command.old bot.command.new lapsed digest"; strings.Join(kinds, " ") != want {
		t.Errorf("claimed %q, want %q", strings.Join(kinds, " "), want)
	}
	if j, _ := s.Job(ctx, lapsed); j.Attempts != 2 {
		t.Errorf("taken-over job has %d attempts, want 2", j.Attempts)
	}
	if j, _ := s.Job(ctx, exhausted); j.State != JobFailed || !strings.Contains(j.LastError, "lease of dead expired") {
		t.Errorf("exhausted job = %s %q; want failed with its lease expiry", j.State, j.LastError)
	}
	if more, err := s.ClaimJobs(ctx, "w1", now, time.Minute, 10); err != nil || len(more) != 0 {
		t.Errorf("jobs not due yet were claimed: %+v %v", more, err)
	}
	if more, err := s.ClaimJobs(ctx, "w1", now.Add(10*time.Second), time.Minute, 10); err != nil || len(more) != 2 || more[0].Kind != "bot.action.later" {
		t.Errorf("once due: %+v %v; want bot.action.later, then later", more, err)
	}
}

// TestConcurrentBatchClaimsNeverShareAJob: workers claiming batches at once
// (on PostgreSQL from connections of their own, as replicas do) never
// lease one job twice, and between them take every job.
func TestConcurrentBatchClaimsNeverShareAJob(t *testing.T) {
	forEachEngine(t, testConcurrentBatchClaimsNeverShareAJob)
}

func testConcurrentBatchClaimsNeverShareAJob(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, dsn := e.open(t)
	stores := []*Store{s}
	if e.name == "postgres" {
		for range 2 {
			r, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			stores = append(stores, r)
		}
	}
	const jobs = 200
	for i := range jobs {
		if _, err := s.Enqueue(ctx, Job{Kind: "k", DedupeKey: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		owner := fmt.Sprintf("w%d", w)
		st := stores[w%len(stores)]
		wg.Go(func() {
			for {
				got, err := st.ClaimJobs(ctx, owner, c.Now(), time.Minute, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, j := range got {
					if prev, dup := seen[j.ID]; dup {
						t.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
					}
					seen[j.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != jobs {
		t.Errorf("%d jobs claimed, want %d", len(seen), jobs)
	}
}

// TestClaimReadsTheBacklogInOrder: on SQLite the claim of queued jobs reads
// them through the index in claim order; it does not collect and sort every
// due job of a backlog on each claim (which made a 20,000-command burst
// drain at about 100 commands a second).
func TestClaimReadsTheBacklogInOrder(t *testing.T) {
	s, _, _ := openTest(t)
	rows, err := s.rdb.Query(`EXPLAIN QUERY PLAN `+sqlClaimQueued, formatTime(time.Now()), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "; ")
	if !strings.Contains(text, "jobs_claim") || strings.Contains(text, "TEMP B-TREE") {
		t.Errorf("claim plan %q: want the jobs_claim index and no sort", text)
	}
}

// TestAckWritesGoFirst: an acknowledgement's write (EnqueueAndAudit) queued
// behind a backlog of other writes is committed before them: its audit row
// comes first in the chain, which stays valid.
func TestAckWritesGoFirst(t *testing.T) { forEachEngine(t, testAckWritesGoFirst) }

func testAckWritesGoFirst(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t, withMaxBatch(4))
	// Hold the writer in a write of its own while the others queue up.
	held, release := make(chan struct{}), make(chan struct{})
	stop := sync.OnceFunc(func() { close(release) })
	t.Cleanup(stop)
	go func() {
		_ = s.write(ctx, func(*wtx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	var wg sync.WaitGroup
	const backlog = 12
	for i := range backlog {
		row, err := s.auditRow(Event{Action: fmt.Sprint("queued.", i)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := s.write(ctx, func(w *wtx) error { return w.appendAudit(row) }); err != nil {
				t.Error(err)
			}
		})
	}
	waitUntil(t, func() bool { return len(s.reqs) == backlog })
	acked := make(chan error, 1)
	go func() {
		_, err := s.EnqueueAndAudit(ctx, Job{Kind: "bot.command", DedupeKey: "ack"}, Event{Action: "bot.command.received"})
		acked <- err
	}()
	waitUntil(t, func() bool { return len(s.reqs)+len(s.urgent) == backlog+1 })
	stop()
	if err := <-acked; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	events, err := s.AuditEvents(ctx, AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != backlog+1 || events[len(events)-1].Action != "bot.command.received" {
		t.Errorf("%d events, the first %q; want the ack's first, then the %d queued", len(events), events[len(events)-1].Action, backlog)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK || rep.Rows != backlog+1 {
		t.Errorf("audit chain after the reordered writes: %+v %v", rep, err)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}
