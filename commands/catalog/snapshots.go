package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/platbot/platbot/store"
)

// Where RecordSnapshots keeps the catalog's state.
const (
	SnapshotRecordKind = "catalog.snapshot"
	SnapshotRecordID   = "current"
)

// Records is the part of *store.Store that RecordSnapshots uses (store.CAS).
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

// SaveSnapshot replaces the stored state with data (a compare-and-swap,
// retried when another replica saved meanwhile: store.Modify).
func (r RecordSnapshots) SaveSnapshot(ctx context.Context, data []byte) error {
	_, err := store.Modify(ctx, r.Records, SnapshotRecordKind, SnapshotRecordID, func(it *store.Item[json.RawMessage], _ bool) error {
		it.State, it.Value = "saved", json.RawMessage(data)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save catalog snapshot: %w", err)
	}
	return nil
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
