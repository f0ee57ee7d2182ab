package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Request states: the writer claims a queued request before running it; a
// caller whose context ends claims it first to withdraw it.
const (
	reqQueued int32 = iota
	reqRunning
	reqAbandoned
)

// request is one queued write.
type request struct {
	ctx   context.Context
	fn    func(w *wtx) error
	state atomic.Int32
	done  chan error // buffered (1): the writer never blocks on it
	// public: fn is a caller's (Store.Write), which always runs in a
	// savepoint of its own; the store's own writes run without one until
	// one of them fails (see runBatch).
	public bool
}

// wtx is what a write closure runs in: the batch transaction plus the
// writer's working copy of the audit chain head.
type wtx struct {
	s         *Store
	ctx       context.Context
	tx        *sql.Tx
	head      chainHead // the tip new audit rows chain onto
	headRow   chainHead // the audit_head row as last read or written
	headDirty bool      // audit rows were appended: write audit_head
	stmts     map[string]*sql.Stmt
	// auditLocked: this transaction holds the PostgreSQL audit lock
	// (see lockAudit).
	auditLocked bool
}

// Savepoint statements, prepared with the other writer statements.
const (
	sqlSavepoint  = "SAVEPOINT w"
	sqlRelease    = "RELEASE w"
	sqlRollbackTo = "ROLLBACK TO w"
)

// writerSQL lists the statements the writer prepares once on its
// connection; any other statement is run unprepared.
var writerSQL = []string{
	sqlSavepoint, sqlRelease, sqlRollbackTo,
	sqlInsertJob, sqlInsertAudit, sqlUpsertAuditHead, sqlAuditHeadRow,
	sqlClaimQueued, sqlClaimExpired, sqlClaimJob, sqlJobByID, sqlFinishJob, sqlFinishJobHere,
	sqlInsertRecord, sqlUpsertPoint,
}

// stmt returns q prepared within this transaction, or nil when it could not
// be prepared.
func (w *wtx) stmt(q string) *sql.Stmt {
	if st, ok := w.stmts[q]; ok {
		return st
	}
	p := w.s.prepared[q]
	if p == nil {
		return nil
	}
	st := w.tx.StmtContext(w.ctx, p)
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[q] = st
	return st
}

// exec runs q in the batch transaction.
func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	if st := w.stmt(q); st != nil {
		return st.ExecContext(w.ctx, args...)
	}
	return w.tx.ExecContext(w.ctx, q, args...)
}

// query runs q in the batch transaction.
func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	if st := w.stmt(q); st != nil {
		return st.QueryContext(w.ctx, args...)
	}
	return w.tx.QueryContext(w.ctx, q, args...)
}

// queryRow runs q in the batch transaction.
func (w *wtx) queryRow(q string, args ...any) *sql.Row {
	if st := w.stmt(q); st != nil {
		return st.QueryRowContext(w.ctx, args...)
	}
	return w.tx.QueryRowContext(w.ctx, q, args...)
}

// call runs fn, turning a panic into an error so one bad closure cannot take
// down the writer.
func (w *wtx) call(fn func(*wtx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.s.log.Error("store: write panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(w)
}

// Write runs fn in the writer's transaction and returns once that
// transaction has committed (or ctx ended before fn started; then fn is not
// run). Concurrent Writes are group-committed: the writer takes up to 256
// queued closures and runs them in one transaction, each inside its own
// SAVEPOINT, so a closure that fails (or panics) rolls back only its own
// changes and only its caller sees the error. Once fn has started, Write
// waits for the commit even if ctx ends, so an error always means fn's
// changes were not committed.
//
// fn runs on the writer goroutine: keep it short, do no network calls, do
// not call the Store from it (that would deadlock), never commit or roll
// back tx (the writer does), and run its statements
// with tx.Exec/Query or a context that is not cancelled mid-batch (a
// cancelled statement can abort the shared transaction; the writer then
// re-runs each closure of the batch on its own). fn may run more than once
// in that case, so it should only set, not accumulate, results it captures.
func (s *Store) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if fn == nil {
		return errors.New("write: nil func")
	}
	return s.send(ctx, false, true, func(w *wtx) error { return fn(w.tx) })
}

// write queues fn for the writer and waits for its result.
func (s *Store) write(ctx context.Context, fn func(*wtx) error) error {
	return s.send(ctx, false, false, fn)
}

// writeFirst is write for the ack path (a request Slack waits for): the
// writer takes such writes before the queued ones, so a backlog of job
// claims, completions and audit events never holds up an acknowledgement
// for more than the batch being committed.
func (s *Store) writeFirst(ctx context.Context, fn func(*wtx) error) error {
	return s.send(ctx, true, false, fn)
}

func (s *Store) send(ctx context.Context, first, public bool, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1), public: public}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	q := s.reqs
	if first {
		q = s.urgent
	}
	select {
	case q <- r:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err()
		}
		return <-r.done // already running: report what happened
	}
}

// inbox is the writer's view of its two queues; a closed queue becomes nil.
type inbox struct{ urgent, reqs chan *request }

func (in *inbox) open() bool { return in.urgent != nil || in.reqs != nil }

// poll takes a request without waiting, an urgent one first.
func (in *inbox) poll() (*request, bool) {
	if r, ok := take(&in.urgent); ok {
		return r, true
	}
	return take(&in.reqs)
}

// take receives from *q without waiting; a closed queue becomes nil.
func take(q *chan *request) (*request, bool) {
	for *q != nil {
		select {
		case r, ok := <-*q:
			if ok {
				return r, true
			}
			*q = nil
		default:
			return nil, false
		}
	}
	return nil, false
}

// wait takes the next request, waiting until one comes, the timer fires
// (nil: no timer) or both queues are closed.
func (in *inbox) wait(timer <-chan time.Time) (*request, bool) {
	if r, ok := in.poll(); ok {
		return r, true
	}
	for in.open() {
		select {
		case r, ok := <-in.urgent:
			if ok {
				return r, true
			}
			in.urgent = nil
		case r, ok := <-in.reqs:
			if ok {
				return r, true
			}
			in.reqs = nil
		case <-timer:
			return nil, false
		}
	}
	return nil, false
}

// run is the writer goroutine.
func (s *Store) run() {
	defer close(s.writerDone)
	in := &inbox{urgent: s.urgent, reqs: s.reqs}
	batch := make([]*request, 0, s.maxBatch)
	for {
		r, ok := in.wait(nil)
		if !ok {
			return
		}
		batch = s.collect(in, append(batch[:0], r))
		s.commit(batch)
		clear(batch)
	}
}

// collect adds queued requests to batch, urgent ones first, until it is
// full, the queues are empty and the batch window (if any) has passed.
func (s *Store) collect(in *inbox, batch []*request) []*request {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for len(batch) < s.maxBatch {
		if r, ok := in.poll(); ok {
			batch = append(batch, r)
			continue
		}
		if s.window <= 0 {
			return batch
		}
		if timer == nil {
			timer = time.NewTimer(s.window)
		}
		r, ok := in.wait(timer.C)
		if !ok {
			return batch
		}
		batch = append(batch, r)
	}
	return batch
}

// commit runs a batch and answers its callers. If the batch fails as a whole
// (commit error, a broken savepoint) each request is re-run on its own so
// one bad closure cannot fail its neighbours.
func (s *Store) commit(batch []*request) {
	live := make([]*request, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
				r.done <- err
			}
			continue
		}
		if r.state.CompareAndSwap(reqQueued, reqRunning) {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	results, err := s.runBatch(live, needSavepoints(live))
	if errors.Is(err, errWriteFailed) {
		results, err = s.runBatch(live, true)
	}
	if err == nil {
		for i, r := range live {
			r.done <- results[i]
		}
		return
	}
	if len(live) == 1 {
		live[0].done <- err
		return
	}
	s.log.Warn("store: batch failed, re-running its writes one by one", "writes", len(live), "err", err)
	for _, r := range live {
		res, err := s.runBatch([]*request{r}, true)
		if err == nil {
			err = res[0]
		}
		r.done <- err
	}
}

// errWriteFailed: a write of a batch run without savepoints failed; the
// batch was rolled back, to be run again with savepoints.
var errWriteFailed = errors.New("a write of the batch failed")

// needSavepoints reports whether a batch must run each write in a
// savepoint from the start: it holds a caller's closure (Store.Write). The
// store's own writes rarely fail, so a batch of them first runs without
// savepoints, which on PostgreSQL are two round trips per write.
func needSavepoints(reqs []*request) bool {
	for _, r := range reqs {
		if r.public {
			return true
		}
	}
	return false
}

// runBatch runs reqs in one transaction. It returns each request's own
// error, or a batch error when the transaction itself failed (then nothing
// was committed). Without savepoints, the first write that fails rolls the
// whole batch back and runBatch returns errWriteFailed.
func (s *Store) runBatch(reqs []*request, savepoints bool) ([]error, error) {
	ctx := context.Background()
	if s.stale.Load() {
		if err := s.loadWriterState(ctx); err != nil {
			return nil, fmt.Errorf("write: %w", err)
		}
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("write: begin: %w", err)
	}
	s.batches.Add(1)
	s.writes.Add(uint64(len(reqs)))
	w := &wtx{s: s, ctx: ctx, tx: tx, head: s.head, headRow: s.headRow}
	results := make([]error, len(reqs))
	fail := func(what string, err error) ([]error, error) {
		_ = tx.Rollback()
		return nil, fmt.Errorf("write: %s: %w", what, err)
	}
	if s.pool == nil {
		// On PostgreSQL the head is re-read when the audit lock is taken.
		if err := w.syncHead(); err != nil {
			return fail("audit head", err)
		}
	}
	switch {
	case !savepoints:
		for i, r := range reqs {
			if results[i] = w.call(r.fn); results[i] != nil {
				_ = tx.Rollback()
				return nil, errWriteFailed
			}
		}
	case len(reqs) == 1 && s.pool == nil:
		// No neighbours to protect: the transaction is the savepoint. (On
		// PostgreSQL a closure that ends the transaction would go unnoticed,
		// as COMMIT outside one only warns; releasing its savepoint fails.)
		if results[0] = w.call(reqs[0].fn); results[0] != nil {
			_ = tx.Rollback()
			return results, nil
		}
	default:
		for i, r := range reqs {
			// Rolling back to the savepoint also releases a lock taken
			// after it, and undoes what was read under it.
			saved, savedRow, savedLocked := w.head, w.headRow, w.auditLocked
			if _, err := w.exec(sqlSavepoint); err != nil {
				return fail("savepoint", err)
			}
			if results[i] = w.call(r.fn); results[i] != nil {
				w.head, w.headRow, w.auditLocked = saved, savedRow, savedLocked
				if _, err := w.exec(sqlRollbackTo); err != nil {
					return fail("rollback to savepoint", err)
				}
			}
			if _, err := w.exec(sqlRelease); err != nil {
				return fail("release savepoint", err)
			}
		}
	}
	if w.headDirty && (w.head.seq != w.headRow.seq || w.head.hash != w.headRow.hash) {
		if _, err := w.exec(sqlUpsertAuditHead, w.head.seq, w.head.hash); err != nil {
			return fail("audit head", err)
		}
		w.headRow = chainHead{seq: w.head.seq, hash: w.head.hash}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("write: commit: %w", err)
	}
	s.head, s.headRow = w.head, w.headRow
	return results, nil
}

// loadWriterState (re)prepares the writer's statements and loads the audit
// chain head. It runs before the writer starts or on the writer goroutine.
func (s *Store) loadWriterState(ctx context.Context) error {
	for q, st := range s.prepared {
		_ = st.Close()
		delete(s.prepared, q)
	}
	for _, q := range writerSQL {
		if s.pool != nil {
			break // pgx prepares and caches statements per connection itself
		}
		st, err := s.wdb.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.prepared[q] = st
	}
	if err := s.sealChain(ctx); err != nil {
		return err
	}
	tip, row, err := s.loadHead(ctx, s.wdb)
	if err != nil {
		return err
	}
	s.head, s.headRow = tip, row
	s.stale.Store(false)
	return nil
}
