package slack

import (
	"context"
	"sync"
	"time"

	"github.com/platbot/platbot/store"
)

// memQueue is an in-memory bot.Queue and bot.Auditor for tests that do not
// need the real store.
type memQueue struct {
	mu     sync.Mutex
	jobs   []*store.Job
	keys   map[string]bool
	events []store.Event
	fail   error
}

func newMemQueue() *memQueue { return &memQueue{keys: map[string]bool{}} }

func (q *memQueue) Enqueue(ctx context.Context, j store.Job) (bool, error) {
	return q.EnqueueAndAudit(ctx, j, store.Event{})
}

func (q *memQueue) EnqueueAndAudit(_ context.Context, j store.Job, ev store.Event) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return false, q.fail
	}
	if j.DedupeKey != "" && q.keys[j.DedupeKey] {
		return false, nil
	}
	if j.DedupeKey != "" {
		q.keys[j.DedupeKey] = true
	}
	j.ID = int64(len(q.jobs) + 1)
	j.State = store.JobQueued
	if j.MaxAttempts == 0 {
		j.MaxAttempts = 5
	}
	q.jobs = append(q.jobs, &j)
	if ev.Action != "" {
		q.events = append(q.events, ev)
	}
	return true, nil
}

func (q *memQueue) ClaimJob(_ context.Context, owner string, now time.Time, lease time.Duration) (*store.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.State == store.JobQueued && !j.RunAt.After(now) {
			j.State, j.LeaseOwner, j.LeaseUntil = store.JobRunning, owner, now.Add(lease)
			j.Attempts++
			c := *j
			return &c, nil
		}
	}
	return nil, nil
}

func (q *memQueue) set(id int64, state, errText string, at time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.ID == id {
			j.State, j.LastError = state, errText
			if !at.IsZero() {
				j.RunAt = at
			}
		}
	}
	return nil
}

func (q *memQueue) CompleteJob(_ context.Context, id int64, _ string) error {
	return q.set(id, store.JobDone, "", time.Time{})
}

func (q *memQueue) RetryJob(_ context.Context, id int64, _ string, errText string, at time.Time) error {
	return q.set(id, store.JobQueued, errText, at)
}

func (q *memQueue) FailJob(_ context.Context, id int64, _ string, errText string) error {
	return q.set(id, store.JobFailed, errText, time.Time{})
}

func (q *memQueue) NextJobAt(context.Context) (time.Time, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next time.Time
	for _, j := range q.jobs {
		if j.State == store.JobQueued && (next.IsZero() || j.RunAt.Before(next)) {
			next = j.RunAt
		}
	}
	return next, !next.IsZero(), nil
}

func (q *memQueue) Audit(_ context.Context, ev store.Event) error {
	q.mu.Lock()
	q.events = append(q.events, ev)
	q.mu.Unlock()
	return nil
}

// Jobs returns a copy of every job.
func (q *memQueue) Jobs() []store.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]store.Job, len(q.jobs))
	for i, j := range q.jobs {
		out[i] = *j
	}
	return out
}

// Events returns a copy of every audit event.
func (q *memQueue) Events() []store.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]store.Event(nil), q.events...)
}
