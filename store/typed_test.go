package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// ticket is the value type of the typed-record tests.
type ticket struct {
	Title string   `json:"title"`
	Votes int      `json:"votes"`
	Tags  []string `json:"tags,omitempty"`
}

func TestTyped(t *testing.T) { forEachEngine(t, testTyped) }

func testTyped(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	tickets := RecordsOf[ticket](s, "test.ticket")
	if tickets.Kind() != "test.ticket" {
		t.Fatalf("Kind = %q", tickets.Kind())
	}
	created, err := tickets.Put(ctx, Record{ID: "t1", State: "open", Owner: "U1", Key: "svc"}, ticket{Title: "slow build"})
	if err != nil || !created {
		t.Fatalf("Put = %v, %v", created, err)
	}
	if created, err := tickets.Put(ctx, Record{ID: "t1", State: "closed"}, ticket{Title: "other"}); err != nil || created {
		t.Fatalf("second Put = %v, %v; want false (idempotent)", created, err)
	}
	got, err := tickets.Get(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "test.ticket" || got.State != "open" || got.Owner != "U1" || got.Key != "svc" || got.Version != 1 || got.Value.Title != "slow build" {
		t.Fatalf("Get = %+v", got)
	}
	if _, err := tickets.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	c.Advance(time.Second)
	got.Value.Votes = 2
	upd, err := tickets.Update(ctx, got)
	if err != nil || upd.Version != 2 || upd.Value.Votes != 2 || upd.Value.Title != "slow build" {
		t.Fatalf("Update = %+v, %v", upd, err)
	}
	if _, err := tickets.Update(ctx, got); !errors.Is(err, ErrConflict) { // version 1 is stale
		t.Fatalf("stale Update: %v, want ErrConflict", err)
	}

	// Transition: from the right state with a mutation; from the wrong
	// state it is a conflict and changes nothing.
	closed, err := tickets.Transition(ctx, "t1", []string{"open"}, "closed", func(it *Item[ticket]) error {
		it.Value.Tags = append(it.Value.Tags, "done")
		it.Owner = "U2"
		return nil
	})
	if err != nil || closed.State != "closed" || closed.Owner != "U2" || closed.Version != 3 || len(closed.Value.Tags) != 1 || closed.Value.Votes != 2 {
		t.Fatalf("Transition = %+v, %v", closed, err)
	}
	if _, err := tickets.Transition(ctx, "t1", []string{"open"}, "closed", nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("second Transition: %v, want ErrConflict", err)
	}
	boom := errors.New("boom")
	if _, err := tickets.Transition(ctx, "t1", []string{"closed"}, "open", func(*Item[ticket]) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing mutate: %v", err)
	}
	if again, _ := tickets.Get(ctx, "t1"); again.State != "closed" || again.Version != 3 {
		t.Fatalf("a failed mutate wrote: %+v", again)
	}

	// List sees only its kind; Delete is idempotent.
	if _, err := s.PutRecord(ctx, Record{Kind: "other.kind", ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tickets.Put(ctx, Record{ID: "t2", State: "open"}, ticket{Title: "flaky test"}); err != nil {
		t.Fatal(err)
	}
	all, err := tickets.List(ctx, Query{Kind: "other.kind"})
	if err != nil || len(all) != 2 {
		t.Fatalf("List = %+v, %v; want the two tickets", all, err)
	}
	open, err := tickets.List(ctx, Query{States: []string{"open"}})
	if err != nil || len(open) != 1 || open[0].ID != "t2" || open[0].Value.Title != "flaky test" {
		t.Fatalf("List open = %+v, %v", open, err)
	}
	for range 2 {
		if err := tickets.Delete(ctx, "t2"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tickets.Get(ctx, "t2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}

	// A record whose data is not a T is an error naming it, not a zero value.
	if _, err := s.PutRecord(ctx, Record{Kind: "test.ticket", ID: "bad", Data: []byte(`{"votes":"many"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tickets.Get(ctx, "bad"); err == nil || !strings.Contains(err.Error(), "test.ticket/bad") {
		t.Fatalf("undecodable record: %v", err)
	}
}

func TestTypedModify(t *testing.T) { forEachEngine(t, testTypedModify) }

func testTypedModify(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	tickets := RecordsOf[ticket](s, "test.ticket")
	vote := func(it *Item[ticket], exists bool) error {
		if !exists {
			it.State, it.Value.Title = "open", "new"
		}
		it.Value.Votes++
		return nil
	}
	// Absent: created. Present: updated.
	first, err := tickets.Modify(ctx, "t1", vote)
	if err != nil || first.Version != 1 || first.Value.Votes != 1 || first.State != "open" {
		t.Fatalf("Modify (create) = %+v, %v", first, err)
	}
	second, err := tickets.Modify(ctx, "t1", vote)
	if err != nil || second.Version != 2 || second.Value.Votes != 2 {
		t.Fatalf("Modify (update) = %+v, %v", second, err)
	}
	// ErrNoChange: no write, the stored item back (nil when absent).
	same, err := tickets.Modify(ctx, "t1", func(it *Item[ticket], _ bool) error {
		it.Value.Votes = 99
		return ErrNoChange
	})
	if err != nil || same.Version != 2 || same.Value.Votes != 2 {
		t.Fatalf("Modify (no change) = %+v, %v", same, err)
	}
	none, err := tickets.Modify(ctx, "absent", func(*Item[ticket], bool) error { return ErrNoChange })
	if err != nil || none != nil {
		t.Fatalf("Modify (no change, absent) = %+v, %v", none, err)
	}
	if _, err := tickets.Get(ctx, "absent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ErrNoChange created the record: %v", err)
	}
	boom := errors.New("boom")
	if _, err := tickets.Modify(ctx, "t1", func(*Item[ticket], bool) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing change: %v", err)
	}

	// Another writer updates between Modify's read and its write: Modify
	// reads again and applies its change on top, so no vote is lost.
	racer := &racingRecords{Records: s, race: func() {
		if _, err := tickets.Modify(ctx, "t1", vote); err != nil {
			t.Errorf("racing writer: %v", err)
		}
	}, times: 1}
	out, err := RecordsOf[ticket](racer, "test.ticket").Modify(ctx, "t1", vote)
	if err != nil || out.Value.Votes != 4 || out.Version != 4 {
		t.Fatalf("Modify after a lost race = %+v, %v; want 4 votes at version 4", out, err)
	}
	// Another writer creates the record between Modify's read and its
	// create: Modify updates the record it lost to.
	racer = &racingRecords{Records: s, race: func() {
		if _, err := tickets.Put(ctx, Record{ID: "t9", State: "open"}, ticket{Title: "theirs", Votes: 10}); err != nil {
			t.Errorf("racing create: %v", err)
		}
	}, times: 1}
	out, err = RecordsOf[ticket](racer, "test.ticket").Modify(ctx, "t9", vote)
	if err != nil || out.Value.Votes != 11 || out.Value.Title != "theirs" {
		t.Fatalf("Modify after a lost create = %+v, %v; want theirs with 11 votes", out, err)
	}
	// Ten other writers win in a row (ten reviewers clicking one card at
	// once): Modify still lands its change, on top of all of theirs.
	racer = &racingRecords{Records: s, race: func() {
		if _, err := tickets.Modify(ctx, "t1", vote); err != nil {
			t.Errorf("racing writer: %v", err)
		}
	}, times: 10}
	out, err = RecordsOf[ticket](racer, "test.ticket").Modify(ctx, "t1", vote)
	if err != nil || out.Value.Votes != 15 || out.Version != 15 {
		t.Fatalf("Modify after ten lost races = %+v, %v; want 15 votes at version 15", out, err)
	}
	// A record that changes under every attempt: ErrConflict after
	// MaxAttempts, each attempt calling change once.
	calls := 0
	racer = &racingRecords{Records: s, race: func() {
		if _, err := tickets.Modify(ctx, "t1", vote); err != nil {
			t.Errorf("racing writer: %v", err)
		}
	}, times: MaxAttempts}
	_, err = RecordsOf[ticket](racer, "test.ticket").Modify(ctx, "t1", func(it *Item[ticket], exists bool) error {
		calls++
		return vote(it, exists)
	})
	if !errors.Is(err, ErrConflict) || calls != MaxAttempts {
		t.Fatalf("always losing: %v after %d calls; want ErrConflict after %d", err, calls, MaxAttempts)
	}
}

// casOnly has nothing but the three methods Modify needs.
type casOnly struct{ CAS }

// TestModifyOverCAS: the package function works over the three CAS methods
// alone (what a feature replacing one record declares).
func TestModifyOverCAS(t *testing.T) { forEachEngine(t, testModifyOverCAS) }

func testModifyOverCAS(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	for want := 1; want <= 2; want++ {
		out, err := Modify(ctx, casOnly{s}, "test.ticket", "t1", func(it *Item[ticket], exists bool) error {
			if exists != (want > 1) {
				t.Errorf("exists = %v on write %d", exists, want)
			}
			it.Value.Votes++
			return nil
		})
		if err != nil || out.Value.Votes != want || out.Version != int64(want) || out.Kind != "test.ticket" {
			t.Fatalf("Modify %d = %+v, %v", want, out, err)
		}
	}
}

// racingRecords runs race before each of its first times writes, standing
// in for another replica writing between a read and a write.
type racingRecords struct {
	Records
	race  func()
	times int
}

func (r *racingRecords) before() {
	if r.times > 0 {
		r.times--
		r.race()
	}
}

func (r *racingRecords) PutRecord(ctx context.Context, rec Record) (bool, error) {
	r.before()
	return r.Records.PutRecord(ctx, rec)
}

func (r *racingRecords) UpdateRecord(ctx context.Context, rec Record) (*Record, error) {
	r.before()
	return r.Records.UpdateRecord(ctx, rec)
}

// TestTypedModifyConcurrent: MaxAttempts writers modifying one record at
// once all succeed (each loses an attempt only to another's success, so at
// most MaxAttempts-1 times) and no change is lost.
func TestTypedModifyConcurrent(t *testing.T) { forEachEngine(t, testTypedModifyConcurrent) }

func testTypedModifyConcurrent(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	tickets := RecordsOf[ticket](s, "test.ticket")
	var wg sync.WaitGroup
	for i := range MaxAttempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := tickets.Modify(ctx, "t1", func(it *Item[ticket], _ bool) error {
				it.Value.Votes++
				it.Value.Tags = append(it.Value.Tags, fmt.Sprint(i))
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := tickets.Get(ctx, "t1")
	if err != nil || got.Value.Votes != MaxAttempts || len(got.Value.Tags) != MaxAttempts {
		t.Fatalf("after %d concurrent writers: %+v, %v", MaxAttempts, got, err)
	}
}
