package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestFailingStoreWriteRollsBackOnlyItself: the store's own writes share a
// batch without savepoints; when one of them fails the batch is run again
// with savepoints, so the failed write's audit row is gone, its neighbours'
// are committed, each caller sees its own result, and the chain verifies.
func TestFailingStoreWriteRollsBackOnlyItself(t *testing.T) {
	forEachEngine(t, testFailingStoreWriteRollsBackOnlyItself)
}

func testFailingStoreWriteRollsBackOnlyItself(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
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
	const writes, failing = 6, 3
	boom := errors.New("boom")
	errs := make([]error, writes)
	var wg sync.WaitGroup
	for i := range writes {
		row, err := s.auditRow(Event{Action: fmt.Sprint("write.", i)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			errs[i] = s.write(ctx, func(w *wtx) error {
				if err := w.appendAudit(row); err != nil {
					return err
				}
				if i == failing {
					return boom
				}
				return nil
			})
		})
	}
	waitUntil(t, func() bool { return len(s.reqs) == writes })
	batches := s.Stats().Batches
	stop()
	wg.Wait()
	for i, err := range errs {
		if (i == failing) != errors.Is(err, boom) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if n := s.Stats().Batches - batches; n != 2 {
		t.Errorf("%d transactions after the held one, want 2: the batch without savepoints and its rerun with them", n)
	}
	events, err := s.AuditEvents(ctx, AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != writes-1 {
		t.Errorf("%d audit rows, want %d", len(events), writes-1)
	}
	for _, ev := range events {
		if ev.Action == fmt.Sprint("write.", failing) {
			t.Errorf("the failed write's audit row was committed")
		}
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Errorf("audit chain: %+v %v", rep, err)
	}
}
