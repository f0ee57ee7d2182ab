package bot_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

// waitFor polls cond until it holds; it fails the test after a minute, which
// no step here comes near.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustJob(t *testing.T, st *store.Store, id int64) *store.Job {
	t.Helper()
	j, err := st.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func onlyJob(t *testing.T, st *store.Store) *store.Job {
	t.Helper()
	jobs, err := st.Jobs(context.Background(), nil, 0)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs = %+v, %v; want one", jobs, err)
	}
	return &jobs[0]
}

// TestLongJobIsNotRunTwice: a job running far longer than its lease keeps
// it (the worker renews it), so a second worker polling all along never
// claims it, and it completes once.
func TestLongJobIsNotRunTwice(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	clk := bottest.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	const lease = time.Minute
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	handler := func(ctx context.Context, _ json.RawMessage) error {
		if runs.Add(1) == 1 {
			close(started)
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	newWorker := func() *bot.Worker {
		w := bot.NewWorker(bot.WorkerOptions{Queue: st, Now: clk.Now, Lease: lease, Heartbeat: 5 * time.Millisecond})
		w.Handle("long", handler)
		return w
	}
	w1, w2 := newWorker(), newWorker()
	if _, err := w1.Enqueue(ctx, bot.JobSpec{Kind: "long"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		n, err := w1.RunDue(ctx)
		if err == nil && n != 1 {
			err = fmt.Errorf("first worker ran %d jobs, want 1", n)
		}
		done <- err
	}()
	<-started
	id := onlyJob(t, st).ID

	// Five lease lengths pass while the job runs.
	for range 10 {
		now := clk.Advance(lease / 2)
		waitFor(t, "the running job's lease renewed past "+now.String(), func() bool {
			return !mustJob(t, st, id).LeaseUntil.Before(now.Add(lease))
		})
		if n, err := w2.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("second worker ran %d jobs (%v) while the first still runs its job", n, err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	j := mustJob(t, st, id)
	if j.State != store.JobDone || j.Attempts != 1 || runs.Load() != 1 {
		t.Fatalf("job = %s after %d attempts, handler ran %d times; want done, 1, 1", j.State, j.Attempts, runs.Load())
	}
	clk.Advance(10 * lease)
	if n, err := w2.RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("second worker ran %d jobs (%v) after the job was done", n, err)
	}
}

// TestWorkerThatLostItsLeaseStops: when another worker takes a job over (the
// lease lapsed while this one was stalled), the heartbeat stops the job here
// and the outcome this worker reports afterwards is refused.
func TestWorkerThatLostItsLeaseStops(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	clk := bottest.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	w := bot.NewWorker(bot.WorkerOptions{Queue: st, Now: clk.Now, Lease: time.Minute, Heartbeat: 5 * time.Millisecond})
	started := make(chan struct{})
	w.Handle("step", func(ctx context.Context, _ json.RawMessage) error {
		close(started)
		<-ctx.Done()
		return nil // reports success although it was stopped
	})
	if _, err := w.Enqueue(ctx, bot.JobSpec{Kind: "step"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := w.RunDue(ctx); done <- err }()
	<-started
	j := onlyJob(t, st)
	var taken *store.Job
	for range 100 {
		// End the lease, as a lapse would, and take the job over; retried
		// when the worker's heartbeat renewed it in between.
		if _, err := st.ExpireJobLeases(ctx, []string{j.LeaseOwner}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		var err error
		if taken, err = st.ClaimJob(ctx, "other-worker", clk.Now(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if taken != nil {
			break
		}
	}
	if taken == nil || taken.ID != j.ID {
		t.Fatalf("takeover = %+v", taken)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the worker did not stop a job whose lease it lost")
	}
	got := mustJob(t, st, j.ID)
	if got.State != store.JobRunning || got.LeaseOwner != "other-worker" || got.Attempts != 2 || got.LastError != "" {
		t.Fatalf("job = %+v; want still running for other-worker, untouched by the stopped worker", got)
	}
}

// failingRenewals is the store with lease renewals failing, like a store
// that cannot be written for a while.
type failingRenewals struct{ *store.Store }

func (failingRenewals) RenewJobLease(context.Context, int64, string, time.Time, time.Duration) (time.Time, error) {
	return time.Time{}, errors.New("disk I/O error")
}

// TestJobStopsBeforeItsLeaseLapses: a worker that cannot renew a lease stops
// the job before the lease lapses and puts it back in the queue for a retry,
// so nobody else can start it while it still runs.
func TestJobStopsBeforeItsLeaseLapses(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	clk := bottest.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	const lease, beat = time.Minute, 5 * time.Millisecond
	w := bot.NewWorker(bot.WorkerOptions{Queue: failingRenewals{st}, Now: clk.Now, Lease: lease, Heartbeat: beat})
	started := make(chan struct{})
	var cause atomic.Value
	w.Handle("step", func(ctx context.Context, _ json.RawMessage) error {
		close(started)
		<-ctx.Done()
		cause.Store(context.Cause(ctx).Error())
		return ctx.Err()
	})
	if _, err := w.Enqueue(ctx, bot.JobSpec{Kind: "step"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := w.RunDue(ctx); done <- err }()
	<-started
	// Still more than a heartbeat left: the job goes on despite failures.
	clk.Advance(lease - 2*beat)
	time.Sleep(10 * beat)
	select {
	case <-done:
		t.Fatal("job stopped while its lease had time left")
	default:
	}
	clk.Advance(beat) // one heartbeat left
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the worker did not stop a job whose lease was about to lapse")
	}
	j := onlyJob(t, st)
	if j.State != store.JobQueued || j.Attempts != 1 || !j.RunAt.After(clk.Now()) ||
		!strings.Contains(j.LastError, "lease could not be renewed") {
		t.Fatalf("job = %+v; want queued for a later retry, with the reason", j)
	}
	if c, _ := cause.Load().(string); !strings.Contains(c, "could not be renewed") {
		t.Errorf("handler's context cause = %q", c)
	}
}

// The helper process of TestKilledWorkerJobResumesAtRestart: a worker that
// claims the job and blocks in it until killed.
const leaseHelperEnv = "PLATBOT_TEST_LEASE_HELPER_DB"

// effectJob is a job whose side effect appends one line naming the process
// to the file in its payload, after gate returns.
func effectJob(gate func(ctx context.Context) error) bot.JobHandler {
	return func(ctx context.Context, p json.RawMessage) error {
		var in struct{ Effects string }
		if err := json.Unmarshal(p, &in); err != nil {
			return err
		}
		if err := gate(ctx); err != nil {
			return err
		}
		f, err := os.OpenFile(in.Effects, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f, "effect by pid %d\n", os.Getpid())
		return errors.Join(err, f.Close())
	}
}

func TestLeaseHelperProcess(t *testing.T) {
	db := os.Getenv(leaseHelperEnv)
	if db == "" {
		t.Skip("helper process of TestKilledWorkerJobResumesAtRestart")
	}
	ctx := context.Background()
	st := openStore(t, db)
	w := bot.NewWorker(bot.WorkerOptions{Queue: st, Lease: 10 * time.Minute})
	w.Handle("effect", effectJob(func(context.Context) error {
		fmt.Printf("helper: claimed\n")
		// Blocks while the test runs: the test kills this process.
		_, err := io.Copy(io.Discard, os.Stdin)
		return errors.Join(err, errors.New("test process went away"))
	}))
	if _, err := w.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestKilledWorkerJobResumesAtRestart: a worker process killed with SIGKILL
// in the middle of a job leased for 10 minutes; the worker started after it
// resumes the job at once (only reclaiming the dead process's lease can
// explain that), and the job's side effect happens once. While the first
// process lives, the new worker leaves its job alone.
func TestKilledWorkerJobResumesAtRestart(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is not checked on Windows: leases wait for their expiry")
	}
	ctx := context.Background()
	dir := t.TempDir()
	db, effects := filepath.Join(dir, "db"), filepath.Join(dir, "effects")
	st := openStore(t, db)
	if _, err := st.Enqueue(ctx, store.Job{Kind: "effect", Payload: json.RawMessage(fmt.Sprintf(`{"effects": %q}`, effects))}); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), leaseHelperEnv+"="+db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	defer func() {
		if !exited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	claimed := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "helper: claimed" {
				claimed <- true
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		claimed <- false
	}()
	select {
	case ok := <-claimed:
		if !ok {
			_ = cmd.Wait()
			exited = true
			t.Fatalf("helper process ended without claiming the job:\n%s", stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("helper process did not claim the job:\n%s", stderr.String())
	}
	j := onlyJob(t, st)
	if j.State != store.JobRunning || !strings.Contains(j.LeaseOwner, fmt.Sprintf(" pid=%d ", cmd.Process.Pid)) ||
		j.LeaseUntil.Sub(time.Now()) < 9*time.Minute {
		t.Fatalf("job = %+v; want running, leased for 10m by the helper process", j)
	}

	var resumed atomic.Int64 // when the new worker started the job (UnixNano)
	newWorker := func(st *store.Store) *bot.Worker {
		w := bot.NewWorker(bot.WorkerOptions{Queue: st, Lease: 10 * time.Minute})
		w.Handle("effect", effectJob(func(context.Context) error {
			resumed.CompareAndSwap(0, time.Now().UnixNano())
			return nil
		}))
		return w
	}
	// The first process is alive: a worker starting now must not take its job.
	if n, err := newWorker(st).RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("worker ran %d jobs (%v) while their lease holder is alive", n, err)
	}

	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	exited = true
	// Restart: open the store again and run a worker, as serve does.
	st2 := openStore(t, db)
	runCtx, stop := context.WithCancel(ctx)
	w := newWorker(st2)
	ran := make(chan struct{})
	go func() { w.Run(runCtx); close(ran) }()
	defer func() { stop(); <-ran }()
	waitFor(t, "the killed worker's job resumed and done (its lease runs for 10 minutes)", func() bool {
		return mustJob(t, st, j.ID).State == store.JobDone
	})
	resumedAfter := time.Duration(resumed.Load() - killed.UnixNano())
	doneAfter := time.Since(killed)
	t.Logf("kill -9 → job resumed by the restarted worker in %v (done in %v)", resumedAfter, doneAfter)

	got := mustJob(t, st, j.ID)
	if got.Attempts != 2 || !strings.Contains(got.LeaseOwner, fmt.Sprintf(" pid=%d ", os.Getpid())) {
		t.Errorf("job = %+v; want done by this process on attempt 2", got)
	}
	b, err := os.ReadFile(effects)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("effect by pid %d\n", os.Getpid()); string(b) != want {
		t.Errorf("side effects = %q, want exactly %q", b, want)
	}
}

// claimedAgain runs one job whose handler blocks until the test lets it
// go, makes its lease lapse while it runs, and wakes the worker, which
// claims it again. reclaimed returns once the new claim is under way;
// finish lets the first run end and returns how many times the handler
// ran. queue wraps the store the worker uses (nil: the store itself).
func claimedAgain(t *testing.T, queue func(*store.Store) bot.Queue) (st *store.Store, job int64, finish func() int32) {
	t.Helper()
	ctx := context.Background()
	st = openStore(t, filepath.Join(t.TempDir(), "db"))
	var q bot.Queue = st
	if queue != nil {
		q = queue(st)
	}
	clk := bottest.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	// No renewal happens during the test: the heartbeat is 20 s.
	w := bot.NewWorker(bot.WorkerOptions{Queue: q, Now: clk.Now, Lease: time.Minute, Heartbeat: 20 * time.Second})
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	w.Handle("step", func(ctx context.Context, _ json.RawMessage) error {
		if runs.Add(1) == 1 {
			close(started)
		}
		<-release
		return nil
	})
	if _, err := w.Enqueue(ctx, bot.JobSpec{Kind: "step"}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { w.Run(runCtx); close(ran) }()
	<-started
	j := onlyJob(t, st)
	if _, err := st.ExpireJobLeases(ctx, []string{j.LeaseOwner}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	w.Notify()
	return st, j.ID, func() int32 {
		close(release)
		waitFor(t, "the job done", func() bool { return mustJob(t, st, j.ID).State == store.JobDone })
		stop()
		<-ran
		return runs.Load()
	}
}

// TestJobClaimedAgainWhileRunningHereIsNotRunTwice: when a job's lease
// lapses while its run on this worker goes on (renewals failed for a whole
// lease) and the same worker claims it again, the second claim is dropped:
// the run in progress finishes it, once.
func TestJobClaimedAgainWhileRunningHereIsNotRunTwice(t *testing.T) {
	st, id, finish := claimedAgain(t, nil)
	waitFor(t, "the worker claiming its running job again", func() bool { return mustJob(t, st, id).Attempts == 2 })
	if n := finish(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

// raceQueue holds the worker's claim of attempt 2 until the run of attempt
// 1 has recorded its completion: the window in which that run ends while
// its job is being claimed again.
type raceQueue struct {
	*store.Store
	reclaimed, completed chan struct{}
	once                 sync.Once
}

func (q *raceQueue) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, n int) ([]store.Job, error) {
	jobs, err := q.Store.ClaimJobs(ctx, owner, now, lease, n)
	if len(jobs) == 1 && jobs[0].Attempts == 2 {
		close(q.reclaimed)
		select {
		case <-q.completed:
		case <-time.After(5 * time.Second):
		}
	}
	return jobs, err
}

func (q *raceQueue) CompleteJob(ctx context.Context, id int64, owner string) error {
	err := q.Store.CompleteJob(ctx, id, owner)
	q.once.Do(func() { close(q.completed) })
	return err
}

// TestJobCompletedWhileClaimedAgainIsNotRunTwice: the first run completes
// its job while the new claim is in flight; the claim must not run it again.
func TestJobCompletedWhileClaimedAgainIsNotRunTwice(t *testing.T) {
	q := &raceQueue{reclaimed: make(chan struct{}), completed: make(chan struct{})}
	_, _, finish := claimedAgain(t, func(st *store.Store) bot.Queue { q.Store = st; return q })
	<-q.reclaimed
	if n := finish(); n != 1 { // the first run completes while the claim is in flight
		t.Fatalf("handler ran %d times, want 1", n)
	}
}
