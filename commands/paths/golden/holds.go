package golden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/store"
)

// Actions check what they add against the GitOps repository's or the
// service repository's base branch, where the pull requests of runs in
// flight are not yet. So that two runs never add the same thing (a
// migration number, an endpoint, a flag), each run holds what it adds, in
// a store record per scope (a database, a service's endpoints), written
// with compare-and-swap (store.Modify) when the step runs; a dry run and
// the form's check only read the holds. A hold counts while its run is
// neither cancelled nor gone and the base branch has not settled it (the
// run's pull request merged, or, for numbers, a higher one merged). A
// retried run keeps what it holds.

// HoldsKind is the record kind of the holds of endpoints and flags: one
// record per scope, the scope as the id (migration numbers keep their own
// kind, MigrationNumbersKind).
const HoldsKind = "paths.holds"

// hold is what one run took in a scope: a key (an endpoint, a flag key)
// or a number and name (a migration), and what it is, for people.
type hold struct {
	Run    string    `json:"run"`
	Key    string    `json:"key,omitempty"`
	Number int       `json:"number,omitempty"`
	Name   string    `json:"name,omitempty"`
	What   string    `json:"what,omitempty"`
	At     time.Time `json:"at"`
}

// holdSet is the record of one scope's holds.
type holdSet struct {
	Holds []hold `json:"holds"`
}

// heldBy is the error for what another run in flight already holds.
type heldBy struct{ hold hold }

func (e *heldBy) Error() string {
	what := e.hold.What
	if what == "" {
		what = e.hold.Key
	}
	return fmt.Sprintf("run %s already adds %s", e.hold.Run, what)
}

// liveHolds splits holds into the run's own and those of other runs that
// still count: the holds of cancelled or vanished runs and those settled
// (nil: none is) are left out.
func liveHolds(ctx context.Context, recs store.CAS, holds []hold, run string, settled func(hold) bool) (live []hold, ours *hold, err error) {
	for _, h := range holds {
		if h.Run == run {
			ours = &h
			continue
		}
		if settled != nil && settled(h) {
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

// takeHold is what run takes in the scope kind/id: take is given the live
// holds of other runs and the run's own (nil when it holds nothing yet)
// and returns the hold, or an error (a *heldBy when another run holds it).
// With write set the hold is stored (a retry finds it again); without,
// nothing is written (a dry run, the form's check).
func takeHold(ctx context.Context, recs store.CAS, kind, id, run string, settled func(hold) bool, take func(live []hold, ours *hold) (hold, error), write bool) (hold, error) {
	if !write {
		var set holdSet
		rec, err := recs.GetRecord(ctx, kind, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return hold{}, fmt.Errorf("read the holds of %s: %w", id, err)
		default:
			if err := json.Unmarshal(rec.Data, &set); err != nil {
				return hold{}, fmt.Errorf("decode the holds of %s: %w", id, err)
			}
		}
		live, ours, err := liveHolds(ctx, recs, set.Holds, run, settled)
		if err != nil {
			return hold{}, err
		}
		return take(live, ours)
	}
	var got hold
	_, err := store.Modify(ctx, recs, kind, id, func(it *store.Item[holdSet], _ bool) error {
		live, ours, err := liveHolds(ctx, recs, it.Value.Holds, run, settled)
		if err != nil {
			return err
		}
		if got, err = take(live, ours); err != nil {
			return err
		}
		got.Run = run
		it.Value.Holds = append(live, got)
		return nil
	})
	return got, err
}

// holdKey holds key (what names it for people) in the scope id for run:
// refused with a *heldBy when another live run holds the same key. Without
// a store (recs nil, as in a render) nothing is held.
func holdKey(ctx context.Context, recs store.CAS, id, run, key, what string, write bool, now time.Time) error {
	if recs == nil {
		return nil
	}
	_, err := takeHold(ctx, recs, HoldsKind, id, run, nil, func(live []hold, ours *hold) (hold, error) {
		for _, h := range live {
			if h.Key == key {
				return hold{}, &heldBy{hold: h}
			}
		}
		if ours != nil && ours.Key == key {
			return *ours, nil
		}
		return hold{Run: run, Key: key, What: what, At: now}, nil
	}, write)
	return err
}

// heldText names the run that holds h for people: who started it and its
// pull request when it has one ("run abc (by jane; pull request
// https://… not merged yet)"), else its state; `/plat run <id>` shows it.
func heldText(ctx context.Context, recs store.CAS, h hold) string {
	s := "run " + h.Run
	rec, err := recs.GetRecord(ctx, RunKind, h.Run)
	if err != nil {
		return s + " (see `/plat run " + h.Run + "`)"
	}
	var r struct {
		Requester struct {
			Name string `json:"name"`
		} `json:"requester"`
		Links []struct {
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"links"`
	}
	_ = json.Unmarshal(rec.Data, &r) // a run written by another version still names its id
	var parts []string
	if r.Requester.Name != "" {
		parts = append(parts, "by "+r.Requester.Name)
	}
	pr := ""
	for _, l := range r.Links {
		if l.URL != "" && strings.Contains(strings.ToLower(l.Title), "pull request") {
			pr = l.URL
		}
	}
	if pr != "" {
		parts = append(parts, "pull request "+pr+" not merged yet")
	} else {
		parts = append(parts, rec.State+", its pull request not opened yet")
	}
	return s + " (" + strings.Join(parts, "; ") + "; see `/plat run " + h.Run + "`)"
}
