package bottest

import (
	"context"
	"slices"
	"sync"

	"github.com/platbot/platbot/bot"
)

// Decided is one decision a Policy made.
type Decided struct {
	User     bot.User
	Action   string
	Resource bot.Resource
	Decision bot.Decision
}

// Policy is a bot.Policy for tests: it allows everything (rule
// "test-allow") except the actions it was told to Deny (rule "test-deny"),
// or decides with the function given to DecideWith; either way it records
// every decision. It is safe for concurrent use; the zero value allows all.
type Policy struct {
	mu     sync.Mutex
	denied []string
	decide func(ctx context.Context, u bot.User, action string, res bot.Resource) bot.Decision
	seen   []Decided
}

var _ bot.Policy = (*Policy)(nil)

// NewPolicy returns a policy that allows everything.
func NewPolicy() *Policy { return &Policy{} }

// DeniedReason is the Reason of the decisions of denied actions.
const DeniedReason = "The test policy says no."

// Deny makes the policy refuse the actions (bot.ActionApprove, ...).
func (p *Policy) Deny(actions ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range actions {
		if !slices.Contains(p.denied, a) {
			p.denied = append(p.denied, a)
		}
	}
}

// Allow undoes Deny for the actions.
func (p *Policy) Allow(actions ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.denied = slices.DeleteFunc(p.denied, func(a string) bool { return slices.Contains(actions, a) })
}

// DecideWith makes f decide instead of the allow/deny lists (nil restores
// them); decisions are still recorded.
func (p *Policy) DecideWith(f func(ctx context.Context, u bot.User, action string, res bot.Resource) bot.Decision) {
	p.mu.Lock()
	p.decide = f
	p.mu.Unlock()
}

// Decide implements bot.Policy.
func (p *Policy) Decide(ctx context.Context, u bot.User, action string, res bot.Resource) bot.Decision {
	p.mu.Lock()
	f, denied := p.decide, slices.Contains(p.denied, action)
	p.mu.Unlock()
	var d bot.Decision
	switch {
	case f != nil:
		d = f(ctx, u, action, res)
	case denied:
		d = bot.Decision{Allow: false, Rule: "test-deny", Reason: DeniedReason}
	default:
		d = bot.Decision{Allow: true, Rule: "test-allow"}
	}
	p.mu.Lock()
	p.seen = append(p.seen, Decided{User: u, Action: action, Resource: res, Decision: d})
	p.mu.Unlock()
	return d
}

// Seen returns every decision made, oldest first.
func (p *Policy) Seen() []Decided {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Decided(nil), p.seen...)
}
