package golden

import (
	"context"
	"fmt"
	"time"

	"github.com/platbot/platbot/store"
)

// The number of a new migration comes from the base branch, where the
// pull requests of runs in flight are not yet. So that two runs for the
// same database never take the same number, each run holds the number it
// took in a store record per database (holds.go): the next number is one after the highest of the base
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

// heldName is an error for a name another run in flight already adds.
type heldName struct{ hold hold }

func (e *heldName) Error() string {
	return fmt.Sprintf("run %s already adds migration %04d named %s", e.hold.Run, e.hold.Number, e.hold.Name)
}

// numberAfter is one after highest and every live hold; top is the
// highest live hold above highest (nil when none is).
func numberAfter(highest int, live []hold, name string) (n int, top *hold, err error) {
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
// the database dbRef, whose base branch's highest number is highest (the
// holds of takeHold, with the numbers the base branch reached settled).
// With hold set, the number is held for the run (a retried run gets the
// number it holds); without, nothing is written (a dry run). Without a
// store (recs nil, as in a render) it is highest+1. top is the highest
// number another run holds above highest, for the plan to mention.
func migrationNumber(ctx context.Context, recs store.CAS, dbRef, run, name string, highest int, write bool, now time.Time) (n int, top *hold, err error) {
	if recs == nil {
		return highest + 1, nil, nil
	}
	settled := func(h hold) bool { return h.Number <= highest }
	got, err := takeHold(ctx, recs, MigrationNumbersKind, dbRef, run, settled, func(live []hold, ours *hold) (hold, error) {
		if ours != nil {
			top = nil
			return *ours, nil
		}
		n, t, err := numberAfter(highest, live, name)
		if err != nil {
			return hold{}, err
		}
		top = t
		return hold{Run: run, Number: n, Name: name, At: now}, nil
	}, write)
	if err != nil {
		return 0, nil, err
	}
	return got.Number, top, nil
}
