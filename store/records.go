package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// OnceKind is the record kind Once uses.
const OnceKind = "once"

const (
	recordColumns = "kind, id, state, owner, key, data, version, created, updated"

	sqlInsertRecord = `INSERT INTO records (kind, id, state, owner, key, data, version, created, updated)
VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (kind, id) DO NOTHING`

	sqlRecordByID = `SELECT ` + recordColumns + ` FROM records WHERE kind = ? AND id = ?`

	sqlUpdateRecord = `UPDATE records SET state = ?, owner = ?, key = ?, data = ?, version = version + 1, updated = ?
WHERE kind = ? AND id = ? AND version = ?`
)

func scanRecord(sc scanner) (Record, error) {
	var r Record
	var data, created, updated string
	if err := sc.Scan(&r.Kind, &r.ID, &r.State, &r.Owner, &r.Key, &data, &r.Version, &created, &updated); err != nil {
		return r, err
	}
	r.Data = []byte(data)
	var err error
	if r.Created, err = parseTime(created); err != nil {
		return r, fmt.Errorf("record %s/%s: %w", r.Kind, r.ID, err)
	}
	if r.Updated, err = parseTime(updated); err != nil {
		return r, fmt.Errorf("record %s/%s: %w", r.Kind, r.ID, err)
	}
	return r, nil
}

// loadRecord reads a record inside a write (ErrNotFound).
func (w *wtx) loadRecord(kind, id string) (Record, error) {
	r, err := scanRecord(w.queryRow(sqlRecordByID, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// PutRecord inserts r if no record of its Kind and ID exists (created true);
// an existing record is left untouched (created false), so PutRecord is
// idempotent. Version starts at 1; Created and Updated are now.
func (s *Store) PutRecord(ctx context.Context, r Record) (created bool, err error) {
	if r.Kind == "" || r.ID == "" {
		return false, errors.New("put record: need kind and id")
	}
	data, err := jsonText(r.Data)
	if err != nil {
		return false, fmt.Errorf("put record %s/%s: data: %w", r.Kind, r.ID, err)
	}
	now := formatTime(s.now())
	err = s.write(ctx, func(w *wtx) error {
		res, err := w.exec(sqlInsertRecord, r.Kind, r.ID, r.State, r.Owner, r.Key, data, now, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		created = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("put record %s/%s: %w", r.Kind, r.ID, err)
	}
	return created, nil
}

// GetRecord returns the record of kind with id, or an error wrapping
// ErrNotFound.
func (s *Store) GetRecord(ctx context.Context, kind, id string) (*Record, error) {
	r, err := scanRecord(s.rdb.QueryRowContext(ctx, sqlRecordByID, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get record %s/%s: %w", kind, id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get record %s/%s: %w", kind, id, err)
	}
	return &r, nil
}

// UpdateRecord replaces the State, Owner, Key and Data of the stored record
// if its Version still equals r.Version (compare-and-swap), bumps the
// version and returns the stored result. A stale Version fails with
// ErrConflict, a missing record with ErrNotFound.
func (s *Store) UpdateRecord(ctx context.Context, r Record) (*Record, error) {
	data, err := jsonText(r.Data)
	if err != nil {
		return nil, fmt.Errorf("update record %s/%s: data: %w", r.Kind, r.ID, err)
	}
	var out Record
	err = s.write(ctx, func(w *wtx) error {
		res, err := w.exec(sqlUpdateRecord, r.State, r.Owner, r.Key, data, formatTime(s.now()), r.Kind, r.ID, r.Version)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		cur, err := w.loadRecord(r.Kind, r.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("version %d is stale (stored version %d): %w", r.Version, cur.Version, ErrConflict)
		}
		out = cur
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update record %s/%s: %w", r.Kind, r.ID, err)
	}
	return &out, nil
}

// TransitionRecord changes a record's state from one of from to to, in one
// write: it loads the record, checks its State is in from (else an error
// wrapping ErrConflict that names the current state), applies mutate (if not
// nil) to a copy, sets State to to and bumps Version. Two concurrent
// transitions from the same state can never both succeed.
//
// mutate runs on the store's writer goroutine: it should only change the
// record it is given (Data, Owner, Key) and must not call the Store. If it
// returns an error nothing is written and the error is returned wrapped.
func (s *Store) TransitionRecord(ctx context.Context, kind, id string, from []string, to string, mutate func(*Record) error) (*Record, error) {
	var out Record
	err := s.write(ctx, func(w *wtx) error {
		cur, err := w.loadRecord(kind, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, cur.State) {
			return fmt.Errorf("state is %q, not %s: %w", cur.State, quoteList(from), ErrConflict)
		}
		next := cur
		next.Data = slices.Clone(cur.Data)
		if mutate != nil {
			if err := mutate(&next); err != nil {
				return fmt.Errorf("mutate: %w", err)
			}
		}
		if next.Kind != kind || next.ID != id {
			return errors.New("mutate changed the record's kind or id")
		}
		data, err := jsonText(next.Data)
		if err != nil {
			return fmt.Errorf("data: %w", err)
		}
		now := s.now()
		res, err := w.exec(sqlUpdateRecord, to, next.Owner, next.Key, data, formatTime(now), kind, id, cur.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("record changed underneath (rows %d, %v): %w", n, err, ErrConflict)
		}
		next.State, next.Data = to, []byte(data)
		next.Version = cur.Version + 1
		next.Created = cur.Created
		next.Updated = recordTime(now)
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("transition %s/%s to %q: %w", kind, id, to, err)
	}
	return &out, nil
}

// quoteList renders states as "a", "b" or "c".
func quoteList(states []string) string {
	if len(states) == 0 {
		return "in any allowed state"
	}
	q := make([]string, len(states))
	for i, s := range states {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// ListRecords returns the records matching q, most recently updated first.
// Kind is required.
func (s *Store) ListRecords(ctx context.Context, q Query) ([]Record, error) {
	if q.Kind == "" {
		return nil, errors.New("list records: need a kind")
	}
	sqlq := `SELECT ` + recordColumns + ` FROM records WHERE kind = ?`
	args := []any{q.Kind}
	if len(q.States) > 0 {
		sqlq += ` AND state IN (` + placeholders(len(q.States)) + `)`
		for _, st := range q.States {
			args = append(args, st)
		}
	}
	if q.Owner != "" {
		sqlq += ` AND owner = ?`
		args = append(args, q.Owner)
	}
	if q.Key != "" {
		sqlq += ` AND key = ?`
		args = append(args, q.Key)
	}
	if !q.Since.IsZero() {
		sqlq += ` AND updated >= ?`
		args = append(args, formatTime(q.Since))
	}
	sqlq += ` ORDER BY updated DESC, id DESC`
	if q.Limit > 0 {
		sqlq += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.rdb.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("list records %s: %w", q.Kind, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("list records %s: %w", q.Kind, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list records %s: %w", q.Kind, err)
	}
	return out, nil
}

// DeleteRecord deletes a record. Deleting a missing record is not an error,
// so a retried cleanup succeeds.
func (s *Store) DeleteRecord(ctx context.Context, kind, id string) error {
	err := s.write(ctx, func(w *wtx) error {
		_, err := w.exec(`DELETE FROM records WHERE kind = ? AND id = ?`, kind, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete record %s/%s: %w", kind, id, err)
	}
	return nil
}

// Once reports whether this is the first time key is seen: it stores a
// marker record (kind OnceKind) if absent. Use it to make a side effect
// happen at most once ("grant 42 revoked", "digest 2025-W03 posted").
func (s *Store) Once(ctx context.Context, key string) (first bool, err error) {
	first, err = s.PutRecord(ctx, Record{Kind: OnceKind, ID: key})
	if err != nil {
		return false, fmt.Errorf("once %q: %w", key, err)
	}
	return first, nil
}

// recordTime is t as it reads back from storage (UTC, no monotonic clock).
func recordTime(t time.Time) time.Time {
	r, _ := parseTime(formatTime(t))
	return r
}
