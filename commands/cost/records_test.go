package cost

import (
	"context"
	"errors"
	"testing"

	"github.com/platbot/platbot/store"
)

// TestSavesLoseToAnotherWriter: an alert or source-health write decided on
// a record as read fails with store.ErrConflict, and changes nothing, when
// another writer created or changed the record since; a write on the
// record as it stands goes through.
func TestSavesLoseToAnotherWriter(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, Config{})
	c := w.costs
	st := &alertState{Rule: "budget/x", SubjectRef: "component:default/x", Team: "group:default/x", Level: "80%"}
	id := alertID(st.Rule, st.SubjectRef)

	// Both read "no record"; the first creates it, the second loses.
	first, err := c.saveAlert(ctx, nil, stateFiring, st)
	if err != nil {
		t.Fatal(err)
	}
	late := *st
	late.Level = "100%"
	if _, err := c.saveAlert(ctx, nil, stateFiring, &late); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a create on a record created meanwhile: %v", err)
	}
	// Both read the first version; the first replaces it, the second loses.
	acked, err := c.saveAlert(ctx, first, stateAcked, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.saveAlert(ctx, first, stateResolved, &late); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a write on a stale version: %v", err)
	}
	got, err := c.alerts().Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != stateAcked || got.Value.Level != "80%" || got.Owner != st.Team || got.Key != st.SubjectRef || got.Version != acked.Version {
		t.Errorf("record after the lost writes = %+v", got)
	}

	if !c.saveSource(ctx, nil, "down", sourceState{Reason: "first"}) {
		t.Fatal("first source state not saved")
	}
	if c.saveSource(ctx, nil, "down", sourceState{Reason: "second"}) {
		t.Error("a source state created meanwhile was overwritten")
	}
	rec, s, err := c.sourceRecord(ctx)
	if err != nil || rec == nil || rec.State != "down" || s.Reason != "first" {
		t.Fatalf("source state = %+v %+v %v", rec, s, err)
	}
	if !c.saveSource(ctx, rec, "up", sourceState{}) {
		t.Error("a write on the current source state failed")
	}
	if c.saveSource(ctx, rec, "down", sourceState{Reason: "stale"}) {
		t.Error("a write on a stale source state went through")
	}
	if rec, _, _ := c.sourceRecord(ctx); rec == nil || rec.State != "up" {
		t.Errorf("source state after a stale write = %+v", rec)
	}
}
