package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// countingQueue records the size of each batch claim.
type countingQueue struct {
	*store.Store
	mu     sync.Mutex
	claims []int // jobs returned by each ClaimJobs that returned any
}

func (q *countingQueue) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, n int) ([]store.Job, error) {
	jobs, err := q.Store.ClaimJobs(ctx, owner, now, lease, n)
	if len(jobs) > 0 {
		q.mu.Lock()
		q.claims = append(q.claims, len(jobs))
		q.mu.Unlock()
	}
	return jobs, err
}

// TestWorkerFillsItsFreeSlotsWithOneClaim: a worker with free slots and a
// backlog claims as many jobs as it has free slots in one claim, runs them
// together, never more than its concurrency, and runs every job once.
func TestWorkerFillsItsFreeSlotsWithOneClaim(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	q := &countingQueue{Store: st}
	const concurrency, jobs = 4, 10
	w := bot.NewWorker(bot.WorkerOptions{Queue: q, Concurrency: concurrency})
	release := make(chan struct{})
	var running, most atomic.Int32
	var mu sync.Mutex
	ran := map[string]int{}
	w.Handle("step", func(ctx context.Context, payload json.RawMessage) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		var id string
		_ = json.Unmarshal(payload, &id)
		mu.Lock()
		ran[id]++
		mu.Unlock()
		return nil
	})
	for i := range jobs {
		if _, err := w.Enqueue(ctx, bot.JobSpec{Kind: "step", Payload: fmt.Sprint(i), DedupeKey: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	waitFor(t, "the first jobs running", func() bool { return running.Load() == concurrency })
	q.mu.Lock()
	first := append([]int(nil), q.claims...)
	q.mu.Unlock()
	if len(first) != 1 || first[0] != concurrency {
		t.Errorf("claims before the first jobs ran: %v; want one claim of %d", first, concurrency)
	}
	close(release)
	waitFor(t, "every job done", func() bool {
		done, err := st.Jobs(ctx, []string{store.JobDone}, 0)
		return err == nil && len(done) == jobs
	})
	stop()
	<-done
	if m := most.Load(); m > concurrency {
		t.Errorf("%d jobs ran at once, want at most %d", m, concurrency)
	}
	for i := range jobs {
		if n := ran[fmt.Sprint(i)]; n != 1 {
			t.Errorf("job %d ran %d times, want once", i, n)
		}
	}
}
