package catalog

import "time"

// LocationStatus is how the last refresh went for one configured (or
// registered) location. A location failed when a file reached from it
// could not be read (its entities are served from the last good read, or
// its root is gone); a Location entity's target that is simply not there
// is no failure of the location: its entities become orphans.
type LocationStatus struct {
	// Location is the configured location's name, as Entity.Source.Location
	// and Problem.Location give it ("file:examples/catalog", "url:https://…").
	Location string `json:"location"`
	// Failed is set when the last refresh could not read all of it; Error
	// says what went wrong first.
	Failed bool   `json:"failed,omitempty"`
	Error  string `json:"error,omitempty"`
	// At is when the refresh ran.
	At time.Time `json:"at"`
}

// LocationStatuses returns how the last refresh of this process went for
// each location, in the order they are read; nil before the first refresh
// of this process (a catalog served from a saved snapshot has not been
// read yet). A refresh that failed as a whole marks every location failed.
func (c *Catalog) LocationStatuses() []LocationStatus {
	p := c.locStatus.Load()
	if p == nil {
		return nil
	}
	return append([]LocationStatus(nil), (*p)...)
}

// noteLocations keeps the per-location outcome of a refresh: failed
// names the locations that failed with their first error; whole, when
// set, fails every location with it (the refresh was not served).
func (c *Catalog) noteLocations(failed map[string]string, whole error) {
	at := c.now()
	var out []LocationStatus
	seen := map[string]bool{}
	for _, s := range c.sources() {
		if seen[s.src.loc] {
			continue
		}
		seen[s.src.loc] = true
		st := LocationStatus{Location: s.src.loc, At: at}
		if msg, ok := failed[s.src.loc]; ok {
			st.Failed, st.Error = true, msg
		}
		if whole != nil {
			st.Failed, st.Error = true, whole.Error()
		}
		out = append(out, st)
	}
	c.locStatus.Store(&out)
}

// fail records that a read of location loc failed (the first error wins).
func (l *loader) fail(loc, msg string) {
	if l.failedLocs == nil {
		l.failedLocs = map[string]string{}
	}
	if _, ok := l.failedLocs[loc]; !ok {
		l.failedLocs[loc] = msg
	}
}
