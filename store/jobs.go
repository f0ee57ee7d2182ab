package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// DefaultMaxAttempts is a job's MaxAttempts when Enqueue is given none.
const DefaultMaxAttempts = 5

const (
	jobColumns = "id, kind, payload, dedupe_key, run_at, state, attempts, max_attempts, lease_owner, lease_until, last_error, created, updated"

	sqlInsertJob = `INSERT INTO jobs (kind, payload, dedupe_key, run_at, state, attempts, max_attempts, created, updated)
VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)
ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`

	// Claim candidates, one query per kind of due job, each reading its
	// jobs in claim order through an index, so a backlog is never sorted:
	// queued jobs whose RunAt has come, interactive kinds (kinds "bot.*": a
	// user's command, form submission or click, some holding a trigger id
	// that expires in 3 s) before background work, then oldest first (index
	// jobs_claim, migration 00003; SQLite is told to use it, as it would
	// otherwise pick jobs_state_run_at for the run_at range and sort every
	// due job); running jobs whose lease expired, oldest first. ClaimJobs
	// merges the two in that order. On PostgreSQL both lock their rows and
	// skip rows another process is claiming.
	claimQueuedWhere = ` WHERE state = 'queued' AND run_at <= ?
ORDER BY (kind LIKE 'bot.%') DESC, run_at, id LIMIT ?`
	sqlClaimQueued   = `SELECT ` + jobColumns + ` FROM jobs INDEXED BY jobs_claim` + claimQueuedWhere
	sqlClaimQueuedPG = `SELECT ` + jobColumns + ` FROM jobs` + claimQueuedWhere + claimLockPG
	sqlClaimExpired  = `SELECT ` + jobColumns + ` FROM jobs WHERE state = 'running' AND lease_until <= ?
ORDER BY run_at, id LIMIT ?`
	sqlClaimExpiredPG = sqlClaimExpired + claimLockPG
	claimLockPG       = `
FOR UPDATE SKIP LOCKED`

	sqlClaimJob = `UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated = ?
WHERE id = ?`

	sqlJobByID = `SELECT ` + jobColumns + ` FROM jobs WHERE id = ?`

	// Finishing a run: only the lease owner of a running job may.
	sqlFinishJob = `UPDATE jobs SET state = ?, run_at = ?, last_error = ?, lease_until = '', updated = ?
WHERE id = ? AND state = 'running' AND lease_owner = ?`
	// sqlFinishJob keeping run_at: a job done or failed for good.
	sqlFinishJobHere = `UPDATE jobs SET state = ?, last_error = ?, lease_until = '', updated = ?
WHERE id = ? AND state = 'running' AND lease_owner = ?`
)

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanJob(sc scanner) (Job, error) {
	var j Job
	var payload, runAt, leaseUntil, created, updated string
	if err := sc.Scan(&j.ID, &j.Kind, &payload, &j.DedupeKey, &runAt, &j.State, &j.Attempts,
		&j.MaxAttempts, &j.LeaseOwner, &leaseUntil, &j.LastError, &created, &updated); err != nil {
		return j, err
	}
	j.Payload = []byte(payload)
	var err error
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&j.RunAt, runAt}, {&j.LeaseUntil, leaseUntil}, {&j.Created, created}, {&j.Updated, updated}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return j, fmt.Errorf("job %d: %w", j.ID, err)
		}
	}
	return j, nil
}

// jobArgs validates j and returns the sqlInsertJob arguments.
func (s *Store) jobArgs(j Job) ([]any, error) {
	if j.Kind == "" {
		return nil, errors.New("job without kind")
	}
	payload, err := jsonText(j.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	now := s.now()
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = DefaultMaxAttempts
	}
	ts := formatTime(now)
	return []any{j.Kind, payload, j.DedupeKey, formatTime(j.RunAt), j.MaxAttempts, ts, ts}, nil
}

// insertJob inserts a job; created is false when its dedupe key exists.
func (w *wtx) insertJob(args []any) (bool, error) {
	res, err := w.exec(sqlInsertJob, args...)
	if err != nil {
		return false, fmt.Errorf("insert job: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert job: %w", err)
	}
	return n == 1, nil
}

// Enqueue adds a queued job. RunAt defaults to now and MaxAttempts to
// DefaultMaxAttempts; State, Attempts and lease fields are ignored. If a job
// with the same DedupeKey exists (in any state) nothing changes and created
// is false.
func (s *Store) Enqueue(ctx context.Context, j Job) (created bool, err error) {
	args, err := s.jobArgs(j)
	if err != nil {
		return false, fmt.Errorf("enqueue: %w", err)
	}
	err = s.write(ctx, func(w *wtx) error {
		created, err = w.insertJob(args)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	return created, nil
}

// EnqueueAndAudit enqueues j and, only if it was new, appends e to the audit
// log, in one write: both happen or neither does. A repeated delivery (same
// DedupeKey) returns false and records nothing. It is the ack path's write
// (Router.Accept): the writer takes it before queued writes.
func (s *Store) EnqueueAndAudit(ctx context.Context, j Job, e Event) (created bool, err error) {
	args, err := s.jobArgs(j)
	if err != nil {
		return false, fmt.Errorf("enqueue: %w", err)
	}
	row, err := s.auditRow(e)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: audit: %w", j.Kind, err)
	}
	err = s.writeFirst(ctx, func(w *wtx) error {
		if created, err = w.insertJob(args); err != nil || !created {
			return err
		}
		return w.appendAudit(row)
	})
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	return created, nil
}

// maxExpiredPerClaim bounds how many exhausted expired jobs one claim
// marks failed before it gives up looking.
const maxExpiredPerClaim = 100

// ClaimJob leases the next due job to owner until now+lease and returns it
// (State running, Attempts counted), or nil when no job is due. See
// ClaimJobs.
func (s *Store) ClaimJob(ctx context.Context, owner string, now time.Time, lease time.Duration) (*Job, error) {
	jobs, err := s.ClaimJobs(ctx, owner, now, lease, 1)
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	return &jobs[0], nil
}

// interactive reports whether a job is of an interactive kind ("bot.*"),
// as the claim order's kind LIKE 'bot.%' does for the lower-case kinds
// platbot uses.
func (j *Job) interactive() bool { return strings.HasPrefix(j.Kind, "bot.") }

// claimsBefore is the claim order: interactive kinds first, then RunAt,
// then ID.
func claimsBefore(a, b *Job) bool {
	if ai, bi := a.interactive(), b.interactive(); ai != bi {
		return ai
	}
	if !a.RunAt.Equal(b.RunAt) {
		return a.RunAt.Before(b.RunAt)
	}
	return a.ID < b.ID
}

// queryJobs runs a job query in the batch transaction.
func (w *wtx) queryJobs(q string, args ...any) ([]Job, error) {
	rows, err := w.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// ClaimJobs leases up to n due jobs to owner until now+lease, in one
// write, and returns them in claim order (State running, Attempts
// counted); none when no job is due. A due job is a queued one with RunAt
// <= now, or a running one whose lease expired (its worker died).
// Interactive kinds ("bot.*") are claimed before background work, then the
// oldest first. An expired job that has used all its attempts is marked
// failed instead of being run again.
func (s *Store) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, n int) ([]Job, error) {
	if owner == "" || lease <= 0 || n <= 0 {
		return nil, errors.New("claim jobs: need an owner, a positive lease and a positive count")
	}
	ts := formatTime(now)
	until := now.Add(lease)
	queued, expired := sqlClaimQueued, sqlClaimExpired
	if s.pool != nil {
		queued, expired = sqlClaimQueuedPG, sqlClaimExpiredPG
	}
	var claimed []Job
	err := s.write(ctx, func(w *wtx) error {
		claimed = nil // a batch may run twice
		failed := 0
		for len(claimed) < n {
			need := n - len(claimed)
			due, err := w.queryJobs(queued, ts, need)
			if err != nil {
				return err
			}
			lapsed, err := w.queryJobs(expired, ts, need)
			if err != nil {
				return err
			}
			more := len(due) == need || len(lapsed) == need
			cands := append(due, lapsed...)
			sort.SliceStable(cands, func(a, b int) bool { return claimsBefore(&cands[a], &cands[b]) })
			cands = cands[:min(len(cands), need)]
			gaveUp := false
			for _, j := range cands {
				if j.State == JobRunning && j.Attempts >= j.MaxAttempts {
					msg := fmt.Sprintf("lease of %s expired on attempt %d of %d", j.LeaseOwner, j.Attempts, j.MaxAttempts)
					if j.LastError != "" {
						msg += "; last error: " + j.LastError
					}
					if _, err := w.exec(sqlFinishJob, JobFailed, formatTime(j.RunAt), msg, ts, j.ID, j.LeaseOwner); err != nil {
						return err
					}
					s.log.Warn("store: job failed after its worker's lease expired", "job", j.ID, "kind", j.Kind, "owner", j.LeaseOwner)
					if failed++; failed >= maxExpiredPerClaim {
						gaveUp = true
						break
					}
					more = true // look again for the place it took
					continue
				}
				if j.State == JobRunning {
					s.log.Warn("store: taking over expired job lease", "job", j.ID, "kind", j.Kind, "from", j.LeaseOwner, "to", owner)
				}
				if _, err := w.exec(sqlClaimJob, owner, formatTime(until), ts, j.ID); err != nil {
					return err
				}
				j.State, j.LeaseOwner, j.LeaseUntil = JobRunning, owner, until.UTC()
				j.Attempts++
				j.Updated = now.UTC()
				claimed = append(claimed, j)
			}
			if gaveUp || !more {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim job: %w", err)
	}
	return claimed, nil
}

// finishJob moves a running job leased by owner to state (see finish).
func (s *Store) finishJob(ctx context.Context, id int64, owner, state, errText string, at time.Time) error {
	return s.write(ctx, func(w *wtx) error { return w.finish(id, owner, state, errText, at) })
}

// finish moves a running job leased by owner to state (a retry becomes
// failed when its attempts are used up). Done and failed are one UPDATE
// guarded by the lease; the job is read only to explain a refusal.
func (w *wtx) finish(id int64, owner, state, errText string, at time.Time) error {
	s := w.s
	if state != JobQueued {
		res, err := w.exec(sqlFinishJobHere, state, errText, formatTime(s.now()), id, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
	}
	j, err := w.leasedJob(id, owner)
	if err != nil {
		return err
	}
	runAt := j.RunAt
	if state == JobQueued {
		runAt = at
		if j.Attempts >= j.MaxAttempts {
			state = JobFailed
		}
	}
	_, err = w.exec(sqlFinishJob, state, formatTime(runAt), errText, formatTime(s.now()), id, owner)
	return err
}

// leasedJob reads job id, which must be running under owner's lease: one
// that is not there is ErrNotFound, one in another state or held by
// another owner ErrConflict, saying which.
func (w *wtx) leasedJob(id int64, owner string) (Job, error) {
	j, err := scanJob(w.queryRow(sqlJobByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return j, err
	}
	if j.State != JobRunning || j.LeaseOwner != owner {
		return j, fmt.Errorf("job %d is %s (lease owner %q), not running for %q: %w", id, j.State, j.LeaseOwner, owner, ErrConflict)
	}
	return j, nil
}

// CompleteJob marks a job done. Only the worker holding its lease (owner)
// may; a job whose lease was taken over fails with ErrConflict.
func (s *Store) CompleteJob(ctx context.Context, id int64, owner string) error {
	if err := s.finishJob(ctx, id, owner, JobDone, "", time.Time{}); err != nil {
		return fmt.Errorf("complete job: %w", err)
	}
	return nil
}

// CompleteJobAndAudit is CompleteJob recording evs (the outcome of the
// job's run, in order) in the same write: one transaction instead of one
// per event plus the completion. On any error nothing was recorded, the
// events neither (a job whose lease was taken over fails with ErrConflict
// and its caller records the events on their own).
func (s *Store) CompleteJobAndAudit(ctx context.Context, id int64, owner string, evs []Event) error {
	rows := make([]*auditRow, 0, len(evs))
	for _, e := range evs {
		row, err := s.auditRow(e)
		if err != nil {
			return fmt.Errorf("complete job: audit %s: %w", e.Action, err)
		}
		rows = append(rows, row)
	}
	err := s.write(ctx, func(w *wtx) error {
		if err := w.finish(id, owner, JobDone, "", time.Time{}); err != nil {
			return err
		}
		for _, row := range rows {
			if err := w.appendAudit(row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("complete job: %w", err)
	}
	return nil
}

// RetryJob puts a job back in the queue to run at at, recording errText; if
// it has used all its attempts it is failed instead. Only the lease owner
// may.
func (s *Store) RetryJob(ctx context.Context, id int64, owner, errText string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	if err := s.finishJob(ctx, id, owner, JobQueued, errText, at); err != nil {
		return fmt.Errorf("retry job: %w", err)
	}
	return nil
}

// FailJob marks a job failed for good, recording errText. Only the lease
// owner may.
func (s *Store) FailJob(ctx context.Context, id int64, owner, errText string) error {
	if err := s.finishJob(ctx, id, owner, JobFailed, errText, time.Time{}); err != nil {
		return fmt.Errorf("fail job: %w", err)
	}
	return nil
}

// RenewJobLease extends the lease of a job that owner is running to
// now+lease and returns the new expiry. The worker calls it periodically (a
// heartbeat) for as long as the job runs, so a job outliving one lease is
// never claimed by a second worker. A job owner no longer holds (finished,
// or taken over after its lease lapsed) fails with ErrConflict: that worker
// has lost the job and must stop working on it.
func (s *Store) RenewJobLease(ctx context.Context, id int64, owner string, now time.Time, lease time.Duration) (time.Time, error) {
	if owner == "" || lease <= 0 {
		return time.Time{}, errors.New("renew job lease: need an owner and a positive lease")
	}
	until := now.Add(lease).UTC()
	err := s.write(ctx, func(w *wtx) error {
		res, err := w.exec(`UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND lease_owner = ?`,
			formatTime(until), id, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		if _, err := w.leasedJob(id, owner); err != nil {
			return err
		}
		return fmt.Errorf("job %d: its lease changed while it was renewed: %w", id, ErrConflict)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("renew job lease: %w", err)
	}
	return until, nil
}

// JobLeaseOwners lists the distinct owners of running jobs' leases, so a
// worker starting up can find those held by a process that is gone.
func (s *Store) JobLeaseOwners(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT lease_owner FROM jobs WHERE state = 'running' ORDER BY lease_owner`)
	if err != nil {
		return nil, fmt.Errorf("job lease owners: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, fmt.Errorf("job lease owners: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("job lease owners: %w", err)
	}
	return out, nil
}

// ExpireJobLeases ends, as of now, the leases of running jobs held by the
// given owners (worker processes known to be gone) and returns how many it
// ended. The jobs become claimable at once, exactly as if their leases had
// lapsed: ClaimJob runs them again, or fails those with no attempts left.
func (s *Store) ExpireJobLeases(ctx context.Context, owners []string, now time.Time) (int64, error) {
	ts := formatTime(now)
	var total int64
	err := s.write(ctx, func(w *wtx) error {
		total = 0
		for _, o := range owners {
			res, err := w.exec(`UPDATE jobs SET lease_until = ? WHERE state = 'running' AND lease_owner = ? AND lease_until > ?`, ts, o, ts)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire job leases: %w", err)
	}
	return total, nil
}

// NextJobAt returns when the next job becomes claimable: the earliest RunAt
// of queued jobs or LeaseUntil of running ones; ok is false when there are
// none. A worker sleeps until then (or until notified).
func (s *Store) NextJobAt(ctx context.Context) (at time.Time, ok bool, err error) {
	var queued, leased sql.NullString
	err = s.rdb.QueryRowContext(ctx, `SELECT
 (SELECT MIN(run_at) FROM jobs WHERE state = 'queued'),
 (SELECT MIN(lease_until) FROM jobs WHERE state = 'running')`).Scan(&queued, &leased)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next job: %w", err)
	}
	for _, v := range []sql.NullString{queued, leased} {
		if !v.Valid || v.String == "" {
			continue
		}
		t, err := parseTime(v.String)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("next job: %w", err)
		}
		if !ok || t.Before(at) {
			at, ok = t, true
		}
	}
	return at, ok, nil
}

// Jobs lists jobs in the given states (all when empty) in queue order
// (RunAt, then ID), at most limit (0 = all).
func (s *Store) Jobs(ctx context.Context, states []string, limit int) ([]Job, error) {
	q := `SELECT ` + jobColumns + ` FROM jobs`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (` + placeholders(len(states)) + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	q += ` ORDER BY run_at, id`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// Job returns one job by id (ErrNotFound).
func (s *Store) Job(ctx context.Context, id int64) (*Job, error) {
	j, err := scanJob(s.rdb.QueryRowContext(ctx, sqlJobByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	return &j, nil
}

// PruneJobs deletes done and failed jobs last updated before before and
// returns how many it deleted. Their dedupe keys become free again, so keep
// them longer than any retry of the request that created them.
func (s *Store) PruneJobs(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated < ?`, formatTime(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune jobs: %w", err)
	}
	return n, nil
}
