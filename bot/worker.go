package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
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

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Queue  Queue
	Logger *slog.Logger
	Now    func() time.Time
	// Concurrency is how many jobs run at once (default 8).
	Concurrency int
	// Lease is how long a claimed job is reserved (default 5 minutes); a job
	// whose worker died is claimed again after it.
	Lease time.Duration
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
	owner    string
	mu       sync.RWMutex
	handlers map[string]JobHandler
	wake     chan struct{}
	running  sync.WaitGroup
}

// NewWorker returns a worker over the queue.
func NewWorker(opts WorkerOptions) *Worker {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	host, _ := os.Hostname()
	return &Worker{
		opts:     opts,
		owner:    fmt.Sprintf("%s-%d-%d", host, os.Getpid(), rand.Uint32()),
		handlers: map[string]JobHandler{},
		wake:     make(chan struct{}, 1),
	}
}

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

// Run claims and runs jobs until ctx ends, then waits for running jobs.
func (w *Worker) Run(ctx context.Context) {
	sem := make(chan struct{}, w.opts.Concurrency)
	defer w.running.Wait()
	for {
		if ctx.Err() != nil {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		job, err := w.opts.Queue.ClaimJob(ctx, w.owner, w.opts.Now(), w.opts.Lease)
		if err != nil {
			<-sem
			if ctx.Err() != nil {
				return
			}
			w.opts.Logger.Error("claim job", "err", err)
			w.sleep(ctx, time.Second)
			continue
		}
		if job == nil {
			<-sem
			w.sleep(ctx, w.idleFor(ctx))
			continue
		}
		w.running.Add(1)
		go func(j *store.Job) {
			defer w.running.Done()
			defer func() { <-sem }()
			w.runOne(ctx, j)
		}(job)
	}
}

// RunDue runs every job that is due now, one at a time, and returns when
// none is left (for the shell, tests and one-shot subcommands).
func (w *Worker) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		job, err := w.opts.Queue.ClaimJob(ctx, w.owner, w.opts.Now(), w.opts.Lease)
		if err != nil {
			return n, fmt.Errorf("claim job: %w", err)
		}
		if job == nil {
			return n, nil
		}
		w.runOne(ctx, job)
		n++
	}
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

func (w *Worker) runOne(ctx context.Context, j *store.Job) {
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
	err := safeRun(ctx, h, j.Payload)
	switch {
	case err == nil:
		if cerr := w.opts.Queue.CompleteJob(fctx, j.ID, w.owner); cerr != nil {
			log.Error("complete job", "err", cerr)
		}
	case ctx.Err() != nil:
		// Shutting down: leave the job to be claimed again after its lease,
		// or sooner by the next start.
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
