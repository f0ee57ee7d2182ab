package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Records is the record API of *Store. Features depend on it (or on the
// part they use) rather than on *Store, and Typed works over it.
type Records interface {
	PutRecord(ctx context.Context, r Record) (created bool, err error)
	GetRecord(ctx context.Context, kind, id string) (*Record, error)
	UpdateRecord(ctx context.Context, r Record) (*Record, error)
	TransitionRecord(ctx context.Context, kind, id string, from []string, to string, mutate func(*Record) error) (*Record, error)
	ListRecords(ctx context.Context, q Query) ([]Record, error)
	DeleteRecord(ctx context.Context, kind, id string) error
}

var _ Records = (*Store)(nil)

// CAS is the part of Records that Modify needs: read, create-if-absent and
// compare-and-swap. A feature that only replaces one record declares this
// much and calls Modify.
type CAS interface {
	PutRecord(ctx context.Context, r Record) (created bool, err error)
	GetRecord(ctx context.Context, kind, id string) (*Record, error)
	UpdateRecord(ctx context.Context, r Record) (*Record, error)
}

// Item is a record with its Data decoded: Record carries the metadata (and
// Data as stored), Value the decoded JSON.
type Item[T any] struct {
	Record
	Value T
}

// Typed is one record kind whose Data is the JSON of T: the records of a
// feature ("cost.alert", "access.request") read and written as Go values,
// with the store's compare-and-swap kept. The zero Typed is not usable;
// build it with RecordsOf.
type Typed[T any] struct {
	recs Records
	kind string
}

// RecordsOf returns the records of kind in recs, typed as T.
func RecordsOf[T any](recs Records, kind string) Typed[T] {
	return Typed[T]{recs: recs, kind: kind}
}

// Kind is the record kind.
func (t Typed[T]) Kind() string { return t.kind }

// MaxAttempts is how many times Modify tries before giving up on a record
// other writers keep changing. An attempt is lost only to another writer's
// successful write since the read, so N writers changing one record at
// once all succeed when N <= MaxAttempts. The busiest record is an approval
// card that many reviewers click at the same moment (bot/approval), which
// is why this is well above the two or three writers a record usually sees.
const MaxAttempts = 16

// decode fills an Item from a stored record.
func (t Typed[T]) decode(r *Record) (*Item[T], error) { return decodeItem[T](r) }

// encode sets r's Kind and Data from v.
func (t Typed[T]) encode(r *Record, v T) error { return encodeItem(t.kind, r, v) }

func decodeItem[T any](r *Record) (*Item[T], error) {
	it := &Item[T]{Record: *r}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &it.Value); err != nil {
			return nil, fmt.Errorf("decode record %s/%s: %w", r.Kind, r.ID, err)
		}
	}
	return it, nil
}

func encodeItem[T any](kind string, r *Record, v T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode record %s/%s: %w", kind, r.ID, err)
	}
	r.Kind, r.Data = kind, data
	return nil
}

// Put stores v under meta.ID (with meta's State, Owner and Key) if no record
// of that id exists (created true); an existing record is left untouched,
// so Put is idempotent.
func (t Typed[T]) Put(ctx context.Context, meta Record, v T) (created bool, err error) {
	if err := t.encode(&meta, v); err != nil {
		return false, err
	}
	return t.recs.PutRecord(ctx, meta)
}

// Get returns the record id, or an error wrapping ErrNotFound.
func (t Typed[T]) Get(ctx context.Context, id string) (*Item[T], error) {
	r, err := t.recs.GetRecord(ctx, t.kind, id)
	if err != nil {
		return nil, err
	}
	return t.decode(r)
}

// Update writes it back (State, Owner, Key and Value) if the stored Version
// still equals it.Version (compare-and-swap) and returns the stored result.
// A stale Version fails with ErrConflict, a missing record with ErrNotFound.
func (t Typed[T]) Update(ctx context.Context, it *Item[T]) (*Item[T], error) {
	r := it.Record
	if err := t.encode(&r, it.Value); err != nil {
		return nil, err
	}
	out, err := t.recs.UpdateRecord(ctx, r)
	if err != nil {
		return nil, err
	}
	return t.decode(out)
}

// Transition moves record id from one of the states in from to to in one
// write, applying mutate (when not nil) to the decoded item first; see
// Store.TransitionRecord. A record in another state fails with ErrConflict:
// of two racing transitions from the same state exactly one wins. mutate
// must only change the item (Value, Owner, Key) and must not call the store.
func (t Typed[T]) Transition(ctx context.Context, id string, from []string, to string, mutate func(*Item[T]) error) (*Item[T], error) {
	var fn func(*Record) error
	if mutate != nil {
		fn = func(r *Record) error {
			it, err := t.decode(r)
			if err != nil {
				return err
			}
			if err := mutate(it); err != nil {
				return err
			}
			next := it.Record
			if err := t.encode(&next, it.Value); err != nil {
				return err
			}
			*r = next
			return nil
		}
	}
	out, err := t.recs.TransitionRecord(ctx, t.kind, id, from, to, fn)
	if err != nil {
		return nil, err
	}
	return t.decode(out)
}

// List returns the records matching q (its Kind is set to t's), most
// recently updated first.
func (t Typed[T]) List(ctx context.Context, q Query) ([]Item[T], error) {
	q.Kind = t.kind
	rs, err := t.recs.ListRecords(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]Item[T], 0, len(rs))
	for i := range rs {
		it, err := t.decode(&rs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *it)
	}
	return out, nil
}

// Delete removes record id; a missing record is not an error.
func (t Typed[T]) Delete(ctx context.Context, id string) error {
	return t.recs.DeleteRecord(ctx, t.kind, id)
}

// ErrNoChange, returned by a Modify change function, ends Modify without a
// write; Modify then returns the item as loaded (nil when absent) and no
// error.
var ErrNoChange = errors.New("no change")

// Modify is the compare-and-swap retry loop on record id of t's kind; see
// the package function Modify.
func (t Typed[T]) Modify(ctx context.Context, id string, change func(it *Item[T], exists bool) error) (*Item[T], error) {
	return Modify(ctx, t.recs, t.kind, id, change)
}

// Modify is the compare-and-swap retry loop, written once: it loads record
// kind/id (exists is false and the item zero but for Kind and ID when there
// is none), lets change edit it, and writes it back, creating it if it was
// absent. When another writer got there first (a stale Version, or a
// create that lost), it reloads and calls change again, up to MaxAttempts
// times; then it fails with an error wrapping ErrConflict. An error from
// change ends Modify with that error (ErrNoChange: with no error and no
// write, returning the item as stored, nil when absent). change may run
// more than once, so it should only edit the item.
func Modify[T any](ctx context.Context, recs CAS, kind, id string, change func(it *Item[T], exists bool) error) (*Item[T], error) {
	get := func() (*Item[T], error) {
		r, err := recs.GetRecord(ctx, kind, id)
		if err != nil {
			return nil, err
		}
		return decodeItem[T](r)
	}
	for range MaxAttempts {
		cur, err := get()
		exists := err == nil
		switch {
		case errors.Is(err, ErrNotFound):
			cur = &Item[T]{Record: Record{Kind: kind, ID: id}}
		case err != nil:
			return nil, err
		}
		loaded := cur.Record
		if err := change(cur, exists); err != nil {
			if errors.Is(err, ErrNoChange) {
				if !exists {
					return nil, nil
				}
				return decodeItem[T](&loaded) // as stored, whatever change did
			}
			return nil, err
		}
		next := cur.Record
		next.Kind, next.ID = kind, id
		if err := encodeItem(kind, &next, cur.Value); err != nil {
			return nil, err
		}
		if !exists {
			created, err := recs.PutRecord(ctx, next)
			if err != nil {
				return nil, err
			}
			if created {
				return get()
			}
			continue // created meanwhile by another writer: change that
		}
		out, err := recs.UpdateRecord(ctx, next)
		if err == nil {
			return decodeItem[T](out)
		}
		if !errors.Is(err, ErrConflict) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("modify record %s/%s: changed by others %d times in a row: %w", kind, id, MaxAttempts, ErrConflict)
}
