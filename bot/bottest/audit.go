package bottest

import (
	"context"
	"sync"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// Auditor records audit events in memory (a bot.Auditor). It is safe for
// concurrent use; the zero value is ready.
type Auditor struct {
	mu     sync.Mutex
	events []store.Event
	taken  int
	fail   error
}

var _ bot.Auditor = (*Auditor)(nil)

// NewAuditor returns an empty recording auditor.
func NewAuditor() *Auditor { return &Auditor{} }

// Audit records ev, or refuses it with the error set by FailWith.
func (a *Auditor) Audit(_ context.Context, ev store.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.events = append(a.events, ev)
	return nil
}

// FailWith makes Audit refuse every event with err from now on (the
// audit log is down); nil accepts events again.
func (a *Auditor) FailWith(err error) {
	a.mu.Lock()
	a.fail = err
	a.mu.Unlock()
}

// Events returns every event recorded, oldest first.
func (a *Auditor) Events() []store.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]store.Event(nil), a.events...)
}

// Actions returns the Action of every event recorded, oldest first.
func (a *Auditor) Actions() []string {
	var out []string
	for _, e := range a.Events() {
		out = append(out, e.Action)
	}
	return out
}

// Take returns the events recorded since the last Take (all of them on
// the first call), oldest first.
func (a *Auditor) Take() []store.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := append([]store.Event(nil), a.events[a.taken:]...)
	a.taken = len(a.events)
	return out
}
