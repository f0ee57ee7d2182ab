package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// leaderLockID is the PostgreSQL session advisory lock whose holder leads
// ("platlead" in ASCII), distinct from auditLockID.
const leaderLockID int64 = 0x706c6174_6c656164

// sqlHoldsLeaderLock is whether this session holds the leader lock (a
// bigint advisory key shows in pg_locks as its high and low halves).
const sqlHoldsLeaderLock = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
AND pid = pg_backend_pid() AND classid = $1 AND objid = $2 AND objsubid = 1)`

// AdvisoryElector chooses the leader among replicas sharing one PostgreSQL
// database, outside Kubernetes: the replica holding a session advisory lock
// on a connection of its own leads (it satisfies bot.Elector).
//
// A session lock is held exactly as long as its session: a replica killed
// with -9 closes its socket and the server frees the lock at once; a replica
// cut off by the network is dropped by the server's TCP keepalives (set on
// the session to notice within about 15 s) while the replica itself, whose
// checks of the session fail, stops leading within Check plus the check's
// timeout. The lock never has two holders. The window in which a cut-off
// replica still believes it leads is harmless for the scheduler: a cron
// tick's job is de-duplicated by schedule and minute in the same database.
type AdvisoryElector struct {
	pool *pgxpool.Pool
	// Retry is how often a replica that does not lead tries the lock, and
	// Check how often the leader checks its session (defaults 2 s, 2 s);
	// CheckTimeout how long a check may take before the session counts as
	// gone (default 5 s).
	Retry, Check, CheckTimeout time.Duration
}

// AdvisoryElector returns the elector over this PostgreSQL store; it is an
// error on SQLite, where the one process that may open the file leads.
func (s *Store) AdvisoryElector() (*AdvisoryElector, error) {
	if s.pool == nil {
		return nil, errors.New("leader election by advisory lock needs PostgreSQL (PLATBOT_DB=postgres://...)")
	}
	return &AdvisoryElector{pool: s.pool, Retry: 2 * time.Second, Check: 2 * time.Second, CheckTimeout: 5 * time.Second}, nil
}

// Describe names the mechanism.
func (e *AdvisoryElector) Describe() string { return "PostgreSQL advisory lock" }

// Campaign competes for the lock until ctx ends (see bot.Elector).
func (e *AdvisoryElector) Campaign(ctx context.Context, lead func(ctx context.Context), report func(error)) {
	for ctx.Err() == nil {
		conn, err := e.try(ctx)
		if ctx.Err() != nil {
			return
		}
		report(err)
		if conn != nil {
			e.hold(ctx, conn, lead, report)
		}
		select {
		case <-ctx.Done():
		case <-time.After(e.Retry):
		}
	}
}

// try takes the lock on a connection of its own; conn is nil when another
// session holds it (err nil) or the database cannot be reached (err).
func (e *AdvisoryElector) try(ctx context.Context) (*pgxpool.Conn, error) {
	qctx, cancel := context.WithTimeout(ctx, e.Retry+5*time.Second)
	defer cancel()
	conn, err := e.pool.Acquire(qctx)
	if err != nil {
		return nil, fmt.Errorf("leader election: connect to PostgreSQL: %w", err)
	}
	// The server drops the session (and frees the lock) of a replica the
	// network cut off: idle 5 s, then 3 probes 3 s apart.
	for _, set := range []string{"SET tcp_keepalives_idle = 5", "SET tcp_keepalives_interval = 3", "SET tcp_keepalives_count = 3"} {
		if _, err := conn.Exec(qctx, set); err != nil {
			conn.Release()
			return nil, fmt.Errorf("leader election: %s: %w", set, err)
		}
	}
	var got bool
	if err := conn.QueryRow(qctx, "SELECT pg_try_advisory_lock($1)", leaderLockID).Scan(&got); err != nil {
		conn.Release()
		return nil, fmt.Errorf("leader election: take the advisory lock: %w", err)
	}
	if !got {
		conn.Release()
		return nil, nil
	}
	return conn, nil
}

// hold leads while the session answers, then gives the lock up (ctx
// ended) or drops the session (it stopped answering, so the lock is gone
// or will be when the server notices).
func (e *AdvisoryElector) hold(ctx context.Context, conn *pgxpool.Conn, lead func(ctx context.Context), report func(error)) {
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	t := time.NewTicker(e.Check)
	defer t.Stop()
	lost := false
	for !lost && lctx.Err() == nil {
		select {
		case <-lctx.Done():
		case <-done:
			lost = true
		case <-t.C:
			cctx, ccancel := context.WithTimeout(lctx, e.CheckTimeout)
			var held bool
			err := conn.QueryRow(cctx, sqlHoldsLeaderLock, int64(uint64(leaderLockID)>>32), int64(uint64(leaderLockID)&0xffffffff)).Scan(&held)
			ccancel()
			switch {
			case err != nil && ctx.Err() == nil:
				report(fmt.Errorf("leader election: the session holding the advisory lock stopped answering, leadership given up: %w", err))
				lost = true
			case err == nil && !held:
				// A pooler that hands sessions around (PgBouncer in
				// transaction mode) loses session locks.
				report(errors.New("leader election: the database session no longer holds the advisory lock (is PLATBOT_DB a pooler in transaction mode? session locks need a direct connection or session pooling); leadership given up"))
				lost = true
			}
		}
	}
	cancel()
	<-done
	if lost {
		// Never hand a connection in an unknown state back to the pool.
		_ = conn.Hijack().Close(context.Background())
		return
	}
	uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ucancel()
	if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", leaderLockID); err != nil {
		_ = conn.Hijack().Close(context.Background())
		return
	}
	conn.Release()
}
