package catalog

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/platbot/platbot/store"
)

// The real store satisfies Records.
var _ Records = (*store.Store)(nil)

// memRecords is an in-memory Records with the store's compare-and-swap.
type memRecords struct {
	mu      sync.Mutex
	recs    map[string]store.Record
	updates int
}

func (m *memRecords) GetRecord(_ context.Context, kind, id string) (*store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[kind+"/"+id]
	if !ok {
		return nil, fmt.Errorf("get record %s/%s: %w", kind, id, store.ErrNotFound)
	}
	return &r, nil
}

func (m *memRecords) PutRecord(_ context.Context, r store.Record) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string]store.Record{}
	}
	if _, ok := m.recs[r.Kind+"/"+r.ID]; ok {
		return false, nil
	}
	r.Version = 1
	m.recs[r.Kind+"/"+r.ID] = r
	return true, nil
}

func (m *memRecords) UpdateRecord(_ context.Context, r store.Record) (*store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recs[r.Kind+"/"+r.ID]
	if !ok {
		return nil, store.ErrNotFound
	}
	if cur.Version != r.Version {
		return nil, fmt.Errorf("stale: %w", store.ErrConflict)
	}
	r.Version++
	m.recs[r.Kind+"/"+r.ID] = r
	m.updates++
	return &r, nil
}

func TestRecordSnapshots(t *testing.T) {
	recs := &memRecords{}
	snaps := RecordSnapshots{Records: recs}
	ctx := context.Background()
	if data, err := snaps.LoadSnapshot(ctx); data != nil || err != nil {
		t.Fatalf("empty store: %q, %v", data, err)
	}
	c := newTestCatalog(t, []LocationConfig{{Target: examplesDir}}, WithSnapshots(snaps))
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if recs.updates != 1 || recs.recs[SnapshotRecordKind+"/"+SnapshotRecordID].Version != 2 {
		t.Errorf("updates %d, record %+v", recs.updates, recs.recs[SnapshotRecordKind+"/"+SnapshotRecordID].Version)
	}
	restored, err := Load(ctx, DefaultConfigWith("/nonexistent"), WithSnapshots(snaps), WithLogger(quiet))
	if err != nil || restored.Len() != c.Len() {
		t.Fatalf("restored %d of %d: %v", restored.Len(), c.Len(), err)
	}
}
