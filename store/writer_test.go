package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWriteGroupCommitIsolatesFailures(t *testing.T) {
	forEachEngine(t, testWriteGroupCommitIsolatesFailures)
}

func testWriteGroupCommitIsolatesFailures(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t, WithBatchWindow(200*time.Millisecond))
	exec(t, s, `CREATE TABLE scratch (n INTEGER PRIMARY KEY)`)
	before := s.Stats()

	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO scratch (n) VALUES (?)`, i); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return fmt.Errorf("closure %d fails", i)
				case 7:
					panic("closure panics")
				}
				return nil
			})
		})
	}
	wg.Wait()

	for i, err := range errs {
		switch i % 10 {
		case 3:
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("closure %d fails", i)) {
				t.Errorf("write %d: err = %v, want its own error", i, err)
			}
		case 7:
			if err == nil || !strings.Contains(err.Error(), "panicked") {
				t.Errorf("write %d: err = %v, want panic error", i, err)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT n FROM scratch ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if len(got) != n-8 {
		t.Errorf("committed %d rows, want %d: %v", len(got), n-8, got)
	}
	for _, v := range got {
		if v%10 == 3 || v%10 == 7 {
			t.Errorf("row %d of a failed closure was committed", v)
		}
	}
	st := s.Stats()
	if w, b := st.Writes-before.Writes, st.Batches-before.Batches; w != n || b > 4 {
		t.Errorf("%d writes in %d batches; want %d writes grouped into a few batches", w, b, n)
	}
}

func TestWriteFailedAuditLeavesChainIntact(t *testing.T) {
	forEachEngine(t, testWriteFailedAuditLeavesChainIntact)
}

func testWriteFailedAuditLeavesChainIntact(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t, WithBatchWindow(100*time.Millisecond))
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			row, err := s.auditRow(Event{Action: fmt.Sprintf("a%d", i)})
			if err != nil {
				t.Error(err)
				return
			}
			err = s.write(ctx, func(w *wtx) error {
				if err := w.appendAudit(row); err != nil {
					return err
				}
				if i%3 == 0 {
					return errors.New("undo my audit row")
				}
				return nil
			})
			if (err != nil) != (i%3 == 0) {
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	rep, err := s.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Rows != 6 {
		t.Errorf("verify = %+v, %v; want OK with 6 rows", rep, err)
	}
}

func TestWriteWithdrawnWhenContextEndsBeforeItRuns(t *testing.T) {
	forEachEngine(t, testWriteWithdrawnWhenContextEndsBeforeItRuns)
}

func testWriteWithdrawnWhenContextEndsBeforeItRuns(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	exec(t, s, `CREATE TABLE scratch (n INTEGER)`)

	started, release := make(chan struct{}), make(chan struct{})
	go s.Write(ctx, func(tx *sql.Tx) error { // occupies the writer
		close(started)
		<-release
		return nil
	})
	<-started
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- s.Write(cctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO scratch VALUES (1)`)
			return err
		})
	}()
	time.Sleep(20 * time.Millisecond) // let it queue
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write = %v, want context.Canceled", err)
	}
	close(release)
	exec(t, s, `INSERT INTO scratch VALUES (2)`)
	var count int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM scratch WHERE n = 1`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 0 {
		t.Error("a withdrawn write was committed")
	}
}

func TestBrokenBatchIsRetriedOneByOne(t *testing.T) {
	forEachEngine(t, testBrokenBatchIsRetriedOneByOne)
}

func testBrokenBatchIsRetriedOneByOne(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t, WithBatchWindow(100*time.Millisecond))
	exec(t, s, `CREATE TABLE scratch (n INTEGER PRIMARY KEY)`)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(tx *sql.Tx) error {
				if i == 4 {
					// Ends the shared transaction behind the writer's back.
					_, err := tx.Exec(`ROLLBACK`)
					return err
				}
				_, err := tx.Exec(`INSERT INTO scratch (n) VALUES (?)`, i)
				return err
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 4) {
			t.Errorf("write %d: err = %v", i, err)
		}
	}
	var count int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM scratch`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n-1 {
		t.Errorf("%d rows committed, want %d", count, n-1)
	}
}
