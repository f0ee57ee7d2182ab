package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordCRUD(t *testing.T) { forEachEngine(t, testRecordCRUD) }

func testRecordCRUD(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	r := Record{Kind: "access.request", ID: "r1", State: "pending", Owner: "U1", Key: "svc-a", Data: json.RawMessage(`{"reason":"deploy"}`)}
	created, err := s.PutRecord(ctx, r)
	if err != nil || !created {
		t.Fatalf("PutRecord = %v, %v", created, err)
	}
	c.Advance(time.Second)
	created, err = s.PutRecord(ctx, Record{Kind: "access.request", ID: "r1", State: "approved"})
	if err != nil || created {
		t.Fatalf("second PutRecord = %v, %v; want false", created, err)
	}
	got, err := s.GetRecord(ctx, "access.request", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "pending" || got.Version != 1 || string(got.Data) != `{"reason":"deploy"}` ||
		got.Owner != "U1" || got.Key != "svc-a" || !got.Created.Equal(c.Now().Add(-time.Second)) {
		t.Errorf("record = %+v", got)
	}
	if _, err := s.GetRecord(ctx, "access.request", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing record: %v, want ErrNotFound", err)
	}

	upd := *got
	upd.Data = json.RawMessage(`{"reason":"hotfix"}`)
	got2, err := s.UpdateRecord(ctx, upd)
	if err != nil || got2.Version != 2 || string(got2.Data) != `{"reason":"hotfix"}` || !got2.Updated.Equal(c.Now()) {
		t.Fatalf("UpdateRecord = %+v, %v", got2, err)
	}
	if _, err := s.UpdateRecord(ctx, upd); !errors.Is(err, ErrConflict) { // stale version 1
		t.Errorf("stale update: %v, want ErrConflict", err)
	}
	if _, err := s.UpdateRecord(ctx, Record{Kind: "x", ID: "y", Version: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of missing: %v, want ErrNotFound", err)
	}
	if _, err := s.PutRecord(ctx, Record{Kind: "k", ID: "bad", Data: json.RawMessage(`nope`)}); err == nil {
		t.Error("invalid JSON accepted")
	}

	if err := s.DeleteRecord(ctx, "access.request", "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRecord(ctx, "access.request", "r1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted record: %v", err)
	}
	if err := s.DeleteRecord(ctx, "access.request", "r1"); err != nil {
		t.Errorf("deleting again: %v", err)
	}
}

func TestListRecords(t *testing.T) { forEachEngine(t, testListRecords) }

func testListRecords(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	start := c.Now()
	for i, r := range []Record{
		{ID: "a", State: "pending", Owner: "U1", Key: "svc-1"},
		{ID: "b", State: "approved", Owner: "U2", Key: "svc-1"},
		{ID: "c", State: "pending", Owner: "U2", Key: "svc-2"},
		{ID: "d", State: "denied", Owner: "U1", Key: "svc-2"},
	} {
		c.Advance(time.Minute)
		r.Kind = "req"
		if _, err := s.PutRecord(ctx, r); err != nil {
			t.Fatal(i, err)
		}
	}
	if _, err := s.PutRecord(ctx, Record{Kind: "other", ID: "a"}); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []Record) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		q    Query
		want string
	}{
		{Query{Kind: "req"}, "d,c,b,a"},
		{Query{Kind: "req", Limit: 2}, "d,c"},
		{Query{Kind: "req", States: []string{"pending", "denied"}}, "d,c,a"},
		{Query{Kind: "req", Owner: "U2"}, "c,b"},
		{Query{Kind: "req", Key: "svc-1"}, "b,a"},
		{Query{Kind: "req", Since: start.Add(3 * time.Minute)}, "d,c"},
		{Query{Kind: "req", States: []string{"pending"}, Owner: "U1"}, "a"},
		{Query{Kind: "none"}, ""},
	} {
		got, err := s.ListRecords(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != tc.want {
			t.Errorf("ListRecords(%+v) = %s, want %s", tc.q, ids(got), tc.want)
		}
	}
	if _, err := s.ListRecords(ctx, Query{}); err == nil {
		t.Error("query without kind accepted")
	}
}

func TestTransitionRecord(t *testing.T) { forEachEngine(t, testTransitionRecord) }

func testTransitionRecord(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	if _, err := s.PutRecord(ctx, Record{Kind: "req", ID: "1", State: "pending", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := s.TransitionRecord(ctx, "req", "1", []string{"pending"}, "approved", func(*Record) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("mutate error: %v", err)
	}
	if _, err := s.TransitionRecord(ctx, "req", "1", []string{"pending"}, "approved", func(r *Record) error { r.ID = "2"; return nil }); err == nil {
		t.Error("mutate changing the id was accepted")
	}
	r, err := s.TransitionRecord(ctx, "req", "1", []string{"pending"}, "approved", func(r *Record) error {
		r.Data = json.RawMessage(`{"approver":"U9"}`)
		r.Owner = "U1"
		return nil
	})
	if err != nil || r.State != "approved" || r.Version != 2 || string(r.Data) != `{"approver":"U9"}` || r.Owner != "U1" {
		t.Fatalf("transition = %+v, %v", r, err)
	}
	stored, _ := s.GetRecord(ctx, "req", "1")
	if stored.State != r.State || stored.Version != r.Version || string(stored.Data) != string(r.Data) || !stored.Updated.Equal(r.Updated) {
		t.Errorf("stored %+v differs from returned %+v", stored, r)
	}
	_, err = s.TransitionRecord(ctx, "req", "1", []string{"pending", "held"}, "denied", nil)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `state is "approved"`) {
		t.Errorf("transition from wrong state: %v", err)
	}
	if _, err := s.TransitionRecord(ctx, "req", "404", []string{"pending"}, "denied", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("transition of missing record: %v", err)
	}
}

func TestTransitionRaceHasOneWinner(t *testing.T) { forEachEngine(t, testTransitionRaceHasOneWinner) }

func testTransitionRaceHasOneWinner(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	for i := range 20 {
		id := fmt.Sprintf("req-%d", i)
		if _, err := s.PutRecord(ctx, Record{Kind: "access.request", ID: id, State: "pending"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var errs [2]error
		for k, to := range []string{"approved", "denied"} {
			wg.Go(func() {
				_, errs[k] = s.TransitionRecord(ctx, "access.request", id, []string{"pending"}, to, func(r *Record) error {
					r.Data = json.RawMessage(fmt.Sprintf(`{"by":%q}`, to))
					return nil
				})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrConflict):
				t.Errorf("%s: unexpected error %v", id, err)
			}
		}
		if won != 1 {
			t.Fatalf("%s: %d winners (%v)", id, won, errs)
		}
		r, err := s.GetRecord(ctx, "access.request", id)
		if err != nil || r.Version != 2 || string(r.Data) != fmt.Sprintf(`{"by":%q}`, r.State) {
			t.Errorf("%s: record = %+v, %v", id, r, err)
		}
	}
}

func TestOnce(t *testing.T) { forEachEngine(t, testOnce) }

func testOnce(t *testing.T, e engine) {
	ctx := context.Background()
	s, _, _ := e.open(t)
	for i, want := range []bool{true, false} {
		first, err := s.Once(ctx, "grant-42-revoked")
		if err != nil || first != want {
			t.Errorf("Once #%d = %v, %v; want %v", i, first, err, want)
		}
	}
	if first, err := s.Once(ctx, "other"); err != nil || !first {
		t.Errorf("Once(other) = %v, %v", first, err)
	}
}
