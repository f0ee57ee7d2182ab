package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/platbot/platbot/store"
)

// Queue is the durable job queue the worker runs (store.Store satisfies it).
type Queue interface {
	Enqueue(ctx context.Context, j store.Job) (bool, error)
	EnqueueAndAudit(ctx context.Context, j store.Job, ev store.Event) (bool, error)
	ClaimJob(ctx context.Context, owner string, now time.Time, lease time.Duration) (*store.Job, error)
	CompleteJob(ctx context.Context, id int64, owner string) error
	RetryJob(ctx context.Context, id int64, owner, errText string, at time.Time) error
	FailJob(ctx context.Context, id int64, owner, errText string) error
	NextJobAt(ctx context.Context) (time.Time, bool, error)
}

// BatchQueue is a Queue that claims several due jobs in one write
// (store.Store does); the worker then fills all its free slots with one
// claim instead of one claim per job. A Queue without it is claimed one job
// at a time.
type BatchQueue interface {
	// ClaimJobs is ClaimJob for up to n jobs, returned in claim order.
	ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, n int) ([]store.Job, error)
}

// OutcomeAuditor is a Queue that records the audit events of a job's run
// in the same write as its completion (store.Store does). The router turns
// it on (see deferOutcomeAudits) when its Auditor is that same store.
type OutcomeAuditor interface {
	// CompleteJobAndAudit is CompleteJob plus the events, in one write; on
	// an error neither was recorded.
	CompleteJobAndAudit(ctx context.Context, id int64, owner string, evs []store.Event) error
	Audit(ctx context.Context, ev store.Event) error
}

// jobAudits collects the outcome audit events a job's run produced, so the
// worker records them with the job's completion (one write) instead of one
// write each (see Router.finishLabel).
type jobAudits struct {
	mu     sync.Mutex
	evs    []store.Event
	closed bool // taken: the job's outcome is being recorded
}

type jobAuditsKey struct{}

// deferAudit adds ev to the events ctx's job records when it finishes, and
// reports whether it did: false outside a job run by a worker with an
// OutcomeAuditor, where the caller records ev itself.
func deferAudit(ctx context.Context, ev store.Event) bool {
	ja, _ := ctx.Value(jobAuditsKey{}).(*jobAudits)
	if ja == nil {
		return false
	}
	ja.mu.Lock()
	defer ja.mu.Unlock()
	if ja.closed {
		return false
	}
	ja.evs = append(ja.evs, ev)
	return true
}

// take returns the collected events and stops collecting: an event added
// later (a goroutine the job left behind) is recorded by its caller.
func (ja *jobAudits) take() []store.Event {
	if ja == nil {
		return nil
	}
	ja.mu.Lock()
	defer ja.mu.Unlock()
	evs := ja.evs
	ja.evs, ja.closed = nil, true
	return evs
}

// LeaseKeeper is what a Queue whose leases expire (store.Store) implements
// so that the worker can keep the leases of running jobs and reclaim those
// of dead processes. A Queue without it is used as is: nothing renews or
// reclaims its leases, which is only right when they never expire.
type LeaseKeeper interface {
	// RenewJobLease extends a running job's lease to now+lease; a job the
	// owner no longer holds fails with store.ErrConflict.
	RenewJobLease(ctx context.Context, id int64, owner string, now time.Time, lease time.Duration) (time.Time, error)
	// JobLeaseOwners lists the owners of running jobs' leases.
	JobLeaseOwners(ctx context.Context) ([]string, error)
	// ExpireJobLeases ends the leases of those owners' running jobs now.
	ExpireJobLeases(ctx context.Context, owners []string, now time.Time) (int64, error)
}

// Lease timing. A worker renews the lease of every job it runs (a
// heartbeat), so a job that runs longer than one lease is never claimed by a
// second worker, and a worker that lost a lease stops the job and does not
// record its outcome (the store accepts it only from the lease owner).
//
//   - DefaultLease is twice the longest job step by default (a golden-path
//     step's step_timeout, 5m, see commands/paths/config.go), so even a
//     worker whose renewals cannot be written finishes its step before
//     anyone else may take the job over.
//   - DefaultHeartbeat renews every 30 s: twenty renewals fit in one lease,
//     so a store that is briefly unwritable costs nothing. A worker that
//     could not renew and whose lease would lapse before its next try
//     cancels the job and puts it back in the queue.
//   - After a crash, a worker starting on the same host reclaims at once the
//     jobs leased by a process that is gone (its pid is not running, or runs
//     a process with another start time): see process.gone in owner.go.
//     Leases of another host (another replica) cannot be checked that way:
//     such a job is taken over once its heartbeat has stopped for a whole
//     lease, that is within DefaultLease.
const (
	DefaultLease     = 10 * time.Minute
	DefaultHeartbeat = 30 * time.Second
)

// DefaultConcurrency is how many jobs a worker runs at once unless told
// otherwise. Most jobs wait on the store or on an outside system rather
// than use a CPU, and the jobs running together share the store's group
// commits: under a burst of commands 32 at once answer several times more
// per second than 8 did on 2 cores (docs/bench/README.md), while a slow
// outside system still cannot hold more than 32 goroutines.
const DefaultConcurrency = 32

// Errors a running job's context is cancelled with when its lease is lost.
var (
	errLeaseLost    = errors.New("job lease taken over by another worker")
	errLeaseLapsing = errors.New("job lease could not be renewed before it lapses")
)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Queue  Queue
	Logger *slog.Logger
	Now    func() time.Time
	// Concurrency is how many jobs run at once (default
	// DefaultConcurrency).
	Concurrency int
	// Lease is how long a claimed job is reserved without a renewal
	// (default DefaultLease). A job whose worker died on another host is
	// claimed again after it; on the same host at the next start.
	Lease time.Duration
	// Heartbeat is how often a running job's lease is renewed (default
	// DefaultHeartbeat, and at most a third of Lease: longer is lowered).
	Heartbeat time.Duration
	// MaxAttempts is the default for jobs that set none (default 5).
	MaxAttempts int
	// Poll caps how long an idle worker sleeps before looking again (default 5s).
	Poll time.Duration
}

// Worker runs durable jobs: deferred command work, golden-path steps, grant
// expiries, digests. Jobs survive restarts because they live in the store;
// a retry backs off exponentially.
type Worker struct {
	opts     WorkerOptions
	proc     process
	owner    string
	mu       sync.RWMutex
	handlers map[string]JobHandler
	wake     chan struct{}
	running  sync.WaitGroup

	// inflight holds the ids of the jobs this worker is running.
	inflightMu sync.Mutex
	// claimMu is held from a claim to its begin, and by end: a run here
	// that completes its job while the job is being claimed again (its
	// lease lapsed) ends either before the claim (which then cannot see
	// the done job) or after begin (which then sees it running and drops
	// the claim), never in between, where the claim would run it twice.
	claimMu  sync.Mutex
	inflight map[int64]bool

	// outcomes, when set, records the outcome audit events of a run with
	// its completion (see OutcomeAuditor).
	outcomes OutcomeAuditor
}

// deferOutcomeAudits makes runs collect their outcome audit events
// (deferAudit) and record them with the job's completion through q. Call
// it before Run.
func (w *Worker) deferOutcomeAudits(q OutcomeAuditor) { w.outcomes = q }

// NewWorker returns a worker over the queue.
func NewWorker(opts WorkerOptions) *Worker {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Heartbeat <= 0 || opts.Heartbeat > opts.Lease/3 {
		opts.Heartbeat = min(DefaultHeartbeat, opts.Lease/3)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	proc := currentProcess()
	return &Worker{
		opts:     opts,
		proc:     proc,
		owner:    proc.owner(fmt.Sprintf("%016x", rand.Uint64())),
		handlers: map[string]JobHandler{},
		wake:     make(chan struct{}, 1),
		inflight: map[int64]bool{},
	}
}

// SetConcurrency sets how many jobs Run runs at once (n <= 0 keeps the
// current number). Call it before Run.
func (w *Worker) SetConcurrency(n int) {
	if n > 0 {
		w.opts.Concurrency = n
	}
}

// Concurrency is how many jobs Run runs at once.
func (w *Worker) Concurrency() int { return w.opts.Concurrency }

// Handle registers the handler of a job kind.
func (w *Worker) Handle(kind string, h JobHandler) {
	w.mu.Lock()
	w.handlers[kind] = h
	w.mu.Unlock()
}

// Notify wakes an idle worker because a job may be due.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Enqueue persists a job and wakes the worker.
func (w *Worker) Enqueue(ctx context.Context, spec JobSpec) (bool, error) {
	b, err := json.Marshal(spec.Payload)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: encode payload: %w", spec.Kind, err)
	}
	runAt := spec.RunAt
	if runAt.IsZero() {
		runAt = w.opts.Now()
	}
	maxA := spec.MaxAttempts
	if maxA <= 0 {
		maxA = w.opts.MaxAttempts
	}
	created, err := w.opts.Queue.Enqueue(ctx, store.Job{
		Kind: spec.Kind, Payload: b, DedupeKey: spec.DedupeKey, RunAt: runAt, MaxAttempts: maxA,
	})
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", spec.Kind, err)
	}
	if created {
		w.Notify()
	}
	return created, nil
}

// Run first reclaims the jobs of dead worker processes (see Reclaim), then
// claims and runs jobs until ctx ends, then waits for running jobs. Each
// claim takes as many due jobs as there are free slots (see BatchQueue).
func (w *Worker) Run(ctx context.Context) {
	sem := make(chan struct{}, w.opts.Concurrency)
	defer w.running.Wait()
	if _, err := w.Reclaim(ctx); err != nil && ctx.Err() == nil {
		w.opts.Logger.Error("reclaim job leases", "err", err)
	}
	for {
		if ctx.Err() != nil {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		free := 1
		for free < w.opts.Concurrency && tryAcquire(sem) {
			free++
		}
		jobs, claimed, err := w.claim(ctx, free)
		for range free - len(jobs) {
			<-sem
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.opts.Logger.Error("claim job", "err", err)
			w.sleep(ctx, time.Second)
			continue
		}
		if claimed == 0 {
			w.sleep(ctx, w.idleFor(ctx))
			continue
		}
		for _, j := range jobs {
			w.running.Add(1)
			go func() {
				defer w.running.Done()
				defer func() { <-sem }()
				w.runOne(ctx, j)
			}()
		}
	}
}

// tryAcquire takes a slot of sem if one is free.
func tryAcquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
		return false
	}
}

// RunDue reclaims the jobs of dead worker processes (see Reclaim), runs
// every job that is due now, one at a time, and returns when none is left
// (for the shell, tests and one-shot subcommands).
func (w *Worker) RunDue(ctx context.Context) (int, error) {
	if _, err := w.Reclaim(ctx); err != nil {
		return 0, err
	}
	n := 0
	for {
		jobs, claimed, err := w.claim(ctx, 1)
		if err != nil {
			return n, fmt.Errorf("claim job: %w", err)
		}
		if claimed == 0 {
			return n, nil
		}
		for _, j := range jobs {
			w.runOne(ctx, j)
			n++
		}
	}
}

// Reclaim makes the jobs leased by worker processes of this host that are
// gone (killed, crashed) claimable at once, instead of after their leases,
// and returns how many. A lease whose holder may still run — this process,
// a live process, another host — is left alone.
func (w *Worker) Reclaim(ctx context.Context) (int64, error) {
	lk, ok := w.opts.Queue.(LeaseKeeper)
	if !ok {
		return 0, nil
	}
	owners, err := lk.JobLeaseOwners(ctx)
	if err != nil {
		return 0, fmt.Errorf("reclaim job leases: %w", err)
	}
	var dead []string
	for _, o := range owners {
		if p, ok := parseOwner(o); ok && w.proc.gone(p) {
			dead = append(dead, o)
		}
	}
	if len(dead) == 0 {
		return 0, nil
	}
	n, err := lk.ExpireJobLeases(ctx, dead, w.opts.Now())
	if err != nil {
		return 0, fmt.Errorf("reclaim job leases: %w", err)
	}
	if n > 0 {
		w.opts.Logger.Warn("reclaimed jobs of worker processes that are gone", "jobs", n, "owners", dead)
	}
	return n, nil
}

// claim claims up to n due jobs and begins them (see begin) under
// claimMu. It returns the jobs begun and how many were claimed: a job that
// is running here already is claimed but not begun. claimed is 0 when none
// is due.
func (w *Worker) claim(ctx context.Context, n int) (jobs []*store.Job, claimed int, err error) {
	w.claimMu.Lock()
	defer w.claimMu.Unlock()
	var got []store.Job
	if bq, ok := w.opts.Queue.(BatchQueue); ok {
		got, err = bq.ClaimJobs(ctx, w.owner, w.opts.Now(), w.opts.Lease, n)
	} else {
		var j *store.Job
		if j, err = w.opts.Queue.ClaimJob(ctx, w.owner, w.opts.Now(), w.opts.Lease); j != nil {
			got = []store.Job{*j}
		}
	}
	if err != nil {
		return nil, 0, err
	}
	for i := range got {
		if w.begin(&got[i]) {
			jobs = append(jobs, &got[i])
		}
	}
	return jobs, len(got), nil
}

// begin records that this worker runs job, or returns false when it already
// does: the job was claimed again because its lease lapsed while its run
// here goes on. That run keeps the job (its lease owner is the same) and
// records the outcome, so the new claim is dropped rather than run twice.
func (w *Worker) begin(j *store.Job) bool {
	w.inflightMu.Lock()
	defer w.inflightMu.Unlock()
	if w.inflight[j.ID] {
		w.opts.Logger.Warn("job claimed again while running here; its current run goes on", "job", j.ID, "kind", j.Kind)
		return false
	}
	w.inflight[j.ID] = true
	return true
}

func (w *Worker) end(id int64) {
	w.claimMu.Lock()
	defer w.claimMu.Unlock()
	w.inflightMu.Lock()
	delete(w.inflight, id)
	w.inflightMu.Unlock()
}

func (w *Worker) idleFor(ctx context.Context) time.Duration {
	next, ok, err := w.opts.Queue.NextJobAt(ctx)
	if err != nil || !ok {
		return w.opts.Poll
	}
	d := next.Sub(w.opts.Now())
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	return min(d, w.opts.Poll)
}

func (w *Worker) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-t.C:
	}
}

// keepLease renews j's lease every Heartbeat until stop is called (which
// waits for the renewals to end). When the lease is lost, or is about to
// lapse because renewals fail, it cancels the job's context with
// errLeaseLost or errLeaseLapsing.
func (w *Worker) keepLease(ctx context.Context, cancel context.CancelCauseFunc, j *store.Job, log *slog.Logger) (stop func()) {
	lk, ok := w.opts.Queue.(LeaseKeeper)
	if !ok {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(w.opts.Heartbeat)
		defer t.Stop()
		until := j.LeaseUntil
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			u, err := lk.RenewJobLease(ctx, j.ID, w.owner, w.opts.Now(), w.opts.Lease)
			switch {
			case err == nil:
				until = u
			case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
				log.Warn("job lease lost; stopping the job", "err", err)
				cancel(errLeaseLost)
				return
			case ctx.Err() != nil:
				return
			default:
				log.Warn("renew job lease", "err", err, "lease_until", until)
				if !w.opts.Now().Add(w.opts.Heartbeat).Before(until) {
					log.Error("job lease about to lapse; stopping the job")
					cancel(errLeaseLapsing)
					return
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

func (w *Worker) runOne(ctx context.Context, j *store.Job) {
	defer w.end(j.ID)
	w.mu.RLock()
	h := w.handlers[j.Kind]
	w.mu.RUnlock()
	log := w.opts.Logger.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	// Finishing must survive a cancelled ctx (shutdown): the outcome is known.
	fctx := context.WithoutCancel(ctx)
	if h == nil {
		log.Error("no handler for job kind")
		if err := w.opts.Queue.FailJob(fctx, j.ID, w.owner, "no handler for kind "+j.Kind); err != nil {
			log.Error("fail job", "err", err)
		}
		return
	}
	jctx, cancel := context.WithCancelCause(WithJob(ctx, JobInfo{ID: j.ID, Kind: j.Kind, Attempt: j.Attempts}))
	var audits *jobAudits
	if w.outcomes != nil {
		audits = &jobAudits{}
		jctx = context.WithValue(jctx, jobAuditsKey{}, audits)
	}
	stop := w.keepLease(jctx, cancel, j, log)
	err := safeRun(jctx, h, j.Payload)
	stop()
	cause := context.Cause(jctx)
	cancel(nil)
	evs := audits.take()
	if err != nil && errors.Is(cause, errLeaseLapsing) {
		// Retried (with backoff) like any failure.
		err = fmt.Errorf("stopped: its lease could not be renewed: %w", err)
	}
	if err != nil {
		// The run's events first, as when they were recorded at once.
		w.recordAudits(fctx, evs, log)
	}
	switch {
	case err == nil:
		// Accepted only while this worker still holds the lease.
		var cerr error
		if len(evs) > 0 {
			if cerr = w.outcomes.CompleteJobAndAudit(fctx, j.ID, w.owner, evs); cerr != nil {
				// Nothing was recorded: the run happened, so its events
				// are recorded on their own.
				w.recordAudits(fctx, evs, log)
				if !errors.Is(cerr, store.ErrConflict) {
					cerr = w.opts.Queue.CompleteJob(fctx, j.ID, w.owner)
				}
			}
		} else {
			cerr = w.opts.Queue.CompleteJob(fctx, j.ID, w.owner)
		}
		switch {
		case errors.Is(cerr, store.ErrConflict) && errors.Is(cause, errLeaseLost):
			log.Warn("job finished after its lease was taken over; the new owner records the outcome")
		case cerr != nil:
			log.Error("complete job", "err", cerr)
		}
	case errors.Is(cause, errLeaseLost):
		// Another worker owns the job now; its outcome is theirs to record.
		log.Warn("job stopped: its lease was taken over", "err", err)
	case ctx.Err() != nil:
		// Shutting down: put the job back for the next start (if this
		// fails, the next start on this host reclaims it; see Reclaim).
		if rerr := w.opts.Queue.RetryJob(fctx, j.ID, w.owner, "interrupted by shutdown", w.opts.Now()); rerr != nil {
			log.Error("requeue job", "err", rerr)
		}
	default:
		var perm *PermanentError
		if errors.As(err, &perm) || j.Attempts >= max(j.MaxAttempts, 1) {
			log.Error("job failed", "err", err)
			if ferr := w.opts.Queue.FailJob(fctx, j.ID, w.owner, err.Error()); ferr != nil {
				log.Error("fail job", "err", ferr)
			}
			return
		}
		backoff := time.Duration(1<<min(j.Attempts, 10)) * time.Second
		backoff += time.Duration(rand.Int64N(int64(backoff/2 + 1)))
		log.Warn("job failed, will retry", "err", err, "in", backoff)
		if rerr := w.opts.Queue.RetryJob(fctx, j.ID, w.owner, err.Error(), w.opts.Now().Add(backoff)); rerr != nil {
			log.Error("retry job", "err", rerr)
		}
	}
}

// recordAudits records a run's deferred events one by one (its job did not
// complete, or the completion could not carry them).
func (w *Worker) recordAudits(ctx context.Context, evs []store.Event, log *slog.Logger) {
	for _, ev := range evs {
		if err := w.outcomes.Audit(ctx, ev); err != nil {
			log.Error("audit write failed", "action", ev.Action, "target", ev.Target, "err", err)
		}
	}
}

// safeRun runs a handler, turning a panic into an error so one bad job
// cannot take the bot down. The panic value is not included: it may hold
// data that must not reach logs.
func safeRun(ctx context.Context, h JobHandler, payload json.RawMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("job handler panicked (%T)", p))
		}
	}()
	return h(ctx, payload)
}
