package scorecard

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/store"
)

// memStore is an in-memory Store with the semantics of *store.Store
// (create-only PutRecord, compare-and-swap transitions, one point per
// series, key and time), for the tests.
type memStore struct {
	mu      sync.Mutex
	records map[string]store.Record // kind + "\x00" + id
	points  map[string][]store.Point
	now     func() time.Time
}

func newMemStore(now func() time.Time) *memStore {
	if now == nil {
		now = time.Now
	}
	return &memStore{records: map[string]store.Record{}, points: map[string][]store.Point{}, now: now}
}

func recKey(kind, id string) string { return kind + "\x00" + id }

func (m *memStore) PutRecord(_ context.Context, r store.Record) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := recKey(r.Kind, r.ID)
	if _, ok := m.records[k]; ok {
		return false, nil
	}
	r.Version, r.Created, r.Updated = 1, m.now(), m.now()
	r.Data = slices.Clone(r.Data)
	m.records[k] = r
	return true, nil
}

func (m *memStore) GetRecord(_ context.Context, kind, id string) (*store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[recKey(kind, id)]
	if !ok {
		return nil, fmt.Errorf("get record %s/%s: %w", kind, id, store.ErrNotFound)
	}
	r.Data = slices.Clone(r.Data)
	return &r, nil
}

func (m *memStore) TransitionRecord(_ context.Context, kind, id string, from []string, to string, mutate func(*store.Record) error) (*store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := recKey(kind, id)
	cur, ok := m.records[k]
	if !ok {
		return nil, fmt.Errorf("transition %s/%s: %w", kind, id, store.ErrNotFound)
	}
	if !slices.Contains(from, cur.State) {
		return nil, fmt.Errorf("transition %s/%s: state is %q: %w", kind, id, cur.State, store.ErrConflict)
	}
	next := cur
	next.Data = slices.Clone(cur.Data)
	if mutate != nil {
		if err := mutate(&next); err != nil {
			return nil, fmt.Errorf("transition %s/%s: mutate: %w", kind, id, err)
		}
	}
	next.State, next.Version, next.Updated = to, cur.Version+1, m.now()
	m.records[k] = next
	out := next
	return &out, nil
}

func (m *memStore) ListRecords(_ context.Context, q store.Query) ([]store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Record
	for _, r := range m.records {
		if r.Kind != q.Kind || (len(q.States) > 0 && !slices.Contains(q.States, r.State)) ||
			(q.Owner != "" && r.Owner != q.Owner) || (q.Key != "" && r.Key != q.Key) ||
			(!q.Since.IsZero() && r.Updated.Before(q.Since)) {
			continue
		}
		r.Data = slices.Clone(r.Data)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Updated.Equal(out[j].Updated) {
			return out[i].Updated.After(out[j].Updated)
		}
		return out[i].ID > out[j].ID
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (m *memStore) AppendPoint(_ context.Context, p store.Point) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.At.IsZero() {
		p.At = m.now()
	}
	p.At = p.At.UTC()
	k := p.Series + "\x00" + p.Key
	pts := m.points[k]
	i := sort.Search(len(pts), func(i int) bool { return !pts[i].At.Before(p.At) })
	if i < len(pts) && pts[i].At.Equal(p.At) {
		pts[i] = p
		return nil
	}
	pts = append(pts, store.Point{})
	copy(pts[i+1:], pts[i:])
	pts[i] = p
	m.points[k] = pts
	return nil
}

func (m *memStore) LatestPoints(_ context.Context, series string, before time.Time) ([]store.Point, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Point
	for k, pts := range m.points {
		s, _, _ := strings.Cut(k, "\x00")
		if s != series {
			continue
		}
		for i := len(pts) - 1; i >= 0; i-- {
			if before.IsZero() || !pts[i].At.After(before) {
				out = append(out, pts[i])
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
