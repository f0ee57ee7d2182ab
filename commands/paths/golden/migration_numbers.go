package golden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/platbot/platbot/store"
)

// The number of a new migration comes from the base branch, where the
// pull requests of runs in flight are not yet. So that two runs for the
// same database never take the same number, each run holds the number it
// took in a store record per database, written with compare-and-swap
// (store.Modify): the next number is one after the highest of the base
// branch and of the numbers held. A run keeps its hold while it may still
// publish or its pull request may still be merged; the hold goes once the
// base branch has that number or a higher one (merged, or overtaken), or
// once the run is cancelled or gone. A pull request closed without merging
// keeps its number until a higher one is merged, so the numbers skip it
// (migration tools run the files in name order; a gap is harmless).

// MigrationNumbersKind is the record kind of the held numbers: one record
// per database, its catalog ref as the id.
const MigrationNumbersKind = "paths.migration-numbers"

// RunKind and RunCancelled are the record kind commands/paths keeps runs
// in and the state of a cancelled run (KindRun and RunCancelled in
// commands/paths; a test there checks they agree).
const (
	RunKind      = "paths.run"
	RunCancelled = "cancelled"
)

// migrationNumbers is the record of one database's held numbers.
type migrationNumbers struct {
	Holds []migrationHold `json:"holds"`
}

// migrationHold is the number one run took.
type migrationHold struct {
	Run    string    `json:"run"`
	Number int       `json:"number"`
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
}

// heldName is an error for a name another run in flight already adds.
type heldName struct{ hold migrationHold }

func (e *heldName) Error() string {
	return fmt.Sprintf("run %s already adds migration %04d named %s", e.hold.Run, e.hold.Number, e.hold.Name)
}

// liveHolds splits holds into the run's own and those of other runs that
// still count given the base branch's highest number: the holds of
// cancelled or vanished runs and those the base branch has reached are
// left out.
func liveHolds(ctx context.Context, recs store.CAS, holds []migrationHold, run string, highest int) (live []migrationHold, ours *migrationHold, err error) {
	for _, h := range holds {
		if h.Run == run {
			ours = &h
			continue
		}
		if h.Number <= highest {
			continue
		}
		r, err := recs.GetRecord(ctx, RunKind, h.Run)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("read run %s: %w", h.Run, err)
		case r.State == RunCancelled:
			continue
		}
		live = append(live, h)
	}
	return live, ours, nil
}

// numberAfter is one after highest and every live hold; top is the
// highest live hold above highest (nil when none is).
func numberAfter(highest int, live []migrationHold, name string) (n int, top *migrationHold, err error) {
	n = highest
	for i, h := range live {
		if h.Name == name {
			return 0, nil, &heldName{hold: h}
		}
		if h.Number > n {
			n, top = h.Number, &live[i]
		}
	}
	return n + 1, top, nil
}

// migrationNumber is the number run takes for a migration called name of
// the database dbRef, whose base branch's highest number is highest. With
// hold set, the number is held for the run (a retried run gets the number
// it holds); without, nothing is written (a dry run). Without a store
// (recs nil, as in a render) it is highest+1. top is the highest number
// another run holds above highest, for the plan to mention.
func migrationNumber(ctx context.Context, recs store.CAS, dbRef, run, name string, highest int, hold bool, now time.Time) (n int, top *migrationHold, err error) {
	if recs == nil {
		return highest + 1, nil, nil
	}
	if !hold {
		var held migrationNumbers
		rec, err := recs.GetRecord(ctx, MigrationNumbersKind, dbRef)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return 0, nil, fmt.Errorf("read the migration numbers held for %s: %w", dbRef, err)
		default:
			if err := json.Unmarshal(rec.Data, &held); err != nil {
				return 0, nil, fmt.Errorf("decode the migration numbers held for %s: %w", dbRef, err)
			}
		}
		live, ours, err := liveHolds(ctx, recs, held.Holds, run, highest)
		if err != nil {
			return 0, nil, err
		}
		if ours != nil {
			return ours.Number, nil, nil
		}
		return numberAfter(highest, live, name)
	}
	_, err = store.Modify(ctx, recs, MigrationNumbersKind, dbRef, func(it *store.Item[migrationNumbers], _ bool) error {
		live, ours, err := liveHolds(ctx, recs, it.Value.Holds, run, highest)
		if err != nil {
			return err
		}
		if ours != nil {
			n, top = ours.Number, nil
			it.Value.Holds = append(live, *ours)
			return nil
		}
		if n, top, err = numberAfter(highest, live, name); err != nil {
			return err
		}
		it.Value.Holds = append(live, migrationHold{Run: run, Number: n, Name: name, At: now})
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return n, top, nil
}
