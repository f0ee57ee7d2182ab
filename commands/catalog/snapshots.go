package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/platbot/platbot/store"
)

// Where RecordSnapshots keeps the catalog's state.
const (
	SnapshotRecordKind = "catalog.snapshot"
	SnapshotRecordID   = "current"
)

// Records is the part of *store.Store that RecordSnapshots uses.
type Records interface {
	GetRecord(ctx context.Context, kind, id string) (*store.Record, error)
	PutRecord(ctx context.Context, r store.Record) (bool, error)
	UpdateRecord(ctx context.Context, r store.Record) (*store.Record, error)
}

// RecordSnapshots implements Snapshots over the store's records: the state
// is one record (kind "catalog.snapshot", id "current") replaced by
// compare-and-swap. Wire it as catalog.WithSnapshots(catalog.RecordSnapshots{Records: st}).
type RecordSnapshots struct {
	Records Records
}

// SaveSnapshot replaces the stored state with data.
func (r RecordSnapshots) SaveSnapshot(ctx context.Context, data []byte) error {
	rec := store.Record{Kind: SnapshotRecordKind, ID: SnapshotRecordID, State: "saved", Data: data}
	for attempt := 0; attempt < 3; attempt++ {
		cur, err := r.Records.GetRecord(ctx, SnapshotRecordKind, SnapshotRecordID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			created, err := r.Records.PutRecord(ctx, rec)
			if err != nil {
				return fmt.Errorf("save catalog snapshot: %w", err)
			}
			if created {
				return nil
			}
			continue // another writer created it first: update it
		case err != nil:
			return fmt.Errorf("save catalog snapshot: %w", err)
		}
		rec.Version = cur.Version
		_, err = r.Records.UpdateRecord(ctx, rec)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("save catalog snapshot: %w", err)
		}
	}
	return fmt.Errorf("save catalog snapshot: lost the race three times: %w", store.ErrConflict)
}

// LoadSnapshot returns the stored state, or nil when there is none.
func (r RecordSnapshots) LoadSnapshot(ctx context.Context) ([]byte, error) {
	cur, err := r.Records.GetRecord(ctx, SnapshotRecordKind, SnapshotRecordID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load catalog snapshot: %w", err)
	}
	return cur.Data, nil
}
