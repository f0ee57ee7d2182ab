package opencost

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"
)

const day = 24 * time.Hour

// Recorded answers allocation queries offline from recorded responses: JSON
// files in the API's own shape ({"code":200,"data":[{...}, ...]}), recorded
// with a daily step at the finest grain wanted (for example aggregate=
// namespace,controller, with each allocation's labels in its properties).
//
// The recorded days form a profile that is replayed up to today: the last
// recorded day becomes today (pro-rated to the time of the query) and
// earlier days repeat the profile backwards, so any window has data. It is
// the default source of the shell when no OPENCOST_URL is configured.
type Recorded struct {
	days [][]*Allocation // profile days, oldest first
	now  func() time.Time
}

// LoadRecorded reads every *.json file of fsys's top folder.
func LoadRecorded(fsys fs.FS, now func() time.Time) (*Recorded, error) {
	if now == nil {
		now = time.Now
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("recorded allocations: %w", err)
	}
	sort.Strings(names)
	byDay := map[time.Time][]*Allocation{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("recorded allocations: %w", err)
		}
		var resp Response
		if err := json.Unmarshal(b, &resp); err != nil {
			return nil, fmt.Errorf("recorded allocations: %s: %w", path.Base(name), err)
		}
		if resp.Code != 0 && resp.Code != 200 {
			continue
		}
		for _, set := range resp.Data {
			for key, a := range set {
				if a == nil {
					continue
				}
				if a.Name == "" {
					a.Name = key
				}
				if a.Window.Start.IsZero() || !a.Window.End.After(a.Window.Start) || a.Window.End.Sub(a.Window.Start) > day {
					return nil, fmt.Errorf("recorded allocations: %s: %s: want a window of at most one day", path.Base(name), key)
				}
				d := a.Window.Start.UTC().Truncate(day)
				byDay[d] = append(byDay[d], a)
			}
		}
	}
	if len(byDay) == 0 {
		return nil, fmt.Errorf("recorded allocations: no allocations in %d file(s)", len(names))
	}
	keys := make([]time.Time, 0, len(byDay))
	for d := range byDay {
		keys = append(keys, d)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Before(keys[j]) })
	r := &Recorded{now: now}
	for _, d := range keys {
		r.days = append(r.days, byDay[d])
	}
	return r, nil
}

// Days is how many days the recorded profile spans.
func (r *Recorded) Days() int { return len(r.days) }

// Allocation answers q from the replayed profile.
func (r *Recorded) Allocation(ctx context.Context, q Query) ([]AllocationSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := r.now().UTC()
	start, end := q.Start.UTC(), q.End.UTC()
	if start.IsZero() || end.IsZero() {
		var err error
		if start, end, err = ParseWindow(q.Window, now); err != nil {
			return nil, fmt.Errorf("recorded allocations: %w", err)
		}
	}
	if end.After(now) {
		end = now
	}
	today := now.Truncate(day)
	n := len(r.days)
	ds := NewDataset()
	for d := start.Truncate(day); d.Before(end); d = d.Add(day) {
		back := int(today.Sub(d) / day)
		if back < 0 {
			continue
		}
		idx := n - 1 - back%n
		for _, a := range r.days[idx] {
			c := *a
			off := a.Window.Start.UTC().Sub(a.Window.Start.UTC().Truncate(day))
			c.Window = Window{Start: d.Add(off), End: d.Add(off + a.Window.End.Sub(a.Window.Start))}
			c.Start, c.End = c.Window.Start, c.Window.End
			ds.Add(&c)
		}
	}
	q.Start, q.End = start, end
	sets, err := ds.Query(q, now)
	if err != nil {
		return nil, fmt.Errorf("recorded allocations: %w", err)
	}
	return sets, nil
}
