package store

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// campaigner runs one AdvisoryElector's campaign and records what happened.
type campaigner struct {
	leading atomic.Bool
	terms   atomic.Int32
	reports atomic.Int32
	mu      sync.Mutex
	errs    []string
	cancel  context.CancelFunc
	done    chan struct{}
}

func campaign(t *testing.T, s *Store) *campaigner {
	t.Helper()
	el, err := s.AdvisoryElector()
	if err != nil {
		t.Fatal(err)
	}
	el.Retry, el.Check = 20*time.Millisecond, 20*time.Millisecond
	c := &campaigner{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		defer close(c.done)
		el.Campaign(ctx, func(ctx context.Context) {
			c.terms.Add(1)
			c.leading.Store(true)
			<-ctx.Done()
			c.leading.Store(false)
		}, func(err error) {
			c.reports.Add(1)
			if err != nil {
				c.mu.Lock()
				c.errs = append(c.errs, err.Error())
				c.mu.Unlock()
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

func (c *campaigner) stop() { c.cancel(); <-c.done }

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAdvisoryElector: of two replicas on one PostgreSQL database one leads
// at a time; a leader whose session the server ends stops leading and the
// other takes over; one that stops gives the lock up at once.
func TestAdvisoryElector(t *testing.T) {
	a, _, dsn := openPostgresTest(t)
	b, err := Open(context.Background(), dsn, WithAuditKey(testKey), WithChainKey(testChainKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })

	ca := campaign(t, a)
	eventually(t, "a leads", ca.leading.Load)
	cb := campaign(t, b)
	// b has tried the lock several times while a leads, and never won.
	eventually(t, "b tries the lock", func() bool { return cb.reports.Load() >= 3 })
	if cb.terms.Load() != 0 || !ca.leading.Load() {
		t.Fatalf("b led %d times while a held the lock", cb.terms.Load())
	}

	// The server ends a's session (as when a is killed or cut off): a
	// notices, stops leading and says why; b takes over.
	var pids []int
	rows, err := b.rdb.QueryContext(context.Background(), `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ? AND objid = ?`,
		int64(uint64(leaderLockID)>>32), int64(uint64(leaderLockID)&0xffffffff))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	rows.Close()
	if len(pids) != 1 {
		t.Fatalf("sessions holding the leader lock: %v, want one", pids)
	}
	if _, err := b.rdb.ExecContext(context.Background(), `SELECT pg_terminate_backend(?)`, pids[0]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b leads after a's session ended", cb.leading.Load)
	eventually(t, "a stops leading", func() bool { return !ca.leading.Load() })
	ca.mu.Lock()
	errs := strings.Join(ca.errs, "\n")
	ca.mu.Unlock()
	if !strings.Contains(errs, "stopped answering, leadership given up") {
		t.Errorf("a's reported errors %q do not say it gave leadership up", errs)
	}
	if ca.leading.Load() && cb.leading.Load() {
		t.Fatal("two leaders")
	}

	// b stops (SIGTERM): it gives the lock up and a, still campaigning,
	// leads again.
	cb.stop()
	eventually(t, "a leads again after b stopped", ca.leading.Load)
	if ca.terms.Load() != 2 {
		t.Errorf("a led %d terms, want 2", ca.terms.Load())
	}
}

// TestAdvisoryElectorNeedsPostgres: on SQLite there is no advisory lock to
// elect with, and the error says what to use.
func TestAdvisoryElectorNeedsPostgres(t *testing.T) {
	s, _, _ := openTest(t)
	if _, err := s.AdvisoryElector(); err == nil || !strings.Contains(err.Error(), "needs PostgreSQL") {
		t.Fatalf("AdvisoryElector on SQLite: %v", err)
	}
}
