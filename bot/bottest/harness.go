package bottest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// HarnessOptions adjust a Harness; the zero value is a bot at Epoch whose
// policy allows everything.
type HarnessOptions struct {
	// Start is the fake clock's start (Epoch when zero).
	Start time.Time
	// Policy replaces the recording Policy as the router's policy.
	Policy bot.Policy
	// PolicyAudits, Denial and Version are passed to bot.RouterOptions.
	PolicyAudits bool
	Denial       func(action string, res bot.Resource, d bot.Decision) bot.Message
	Version      string
	// Sealer seals secret values; nil gives the harness one random key that
	// every Restart keeps (a bot restarted with its seal key).
	Sealer bot.Sealer
}

// Harness is a bot wired like a real one for feature tests: a router over
// a real store (SQLite in a temporary folder, its job queue and records),
// the fake clock everywhere, a recording Messenger as the shell transport's,
// a recording Auditor and Policy, and a log buffer. A test builds its
// feature with the harness's pieces, registers it on Router, and drives it
// with Run, Click and RunJobs the way a transport would.
type Harness struct {
	T testing.TB
	// Options are the options the router was built with; change them and
	// call Restart to rebuild it (another policy, for instance).
	Options   HarnessOptions
	Clock     *Clock
	Store     *store.Store
	Messenger *Messenger
	Audit     *Auditor
	Policy    *Policy
	Logs      *LogBuffer
	Router    *bot.Router
}

// NewHarness opens the store (closed when the test ends) and builds the
// router.
func NewHarness(t testing.TB, opts HarnessOptions) *Harness {
	t.Helper()
	h := &Harness{
		T: t, Clock: NewClock(opts.Start), Messenger: NewMessenger(),
		Audit: NewAuditor(), Policy: NewPolicy(), Logs: &LogBuffer{},
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "platbot.db"),
		store.WithAuditKey([]byte("harness-audit-key-0123456789abcd")), store.WithClock(h.Clock.Now), store.WithLogger(h.Logs.Logger()))
	if err != nil {
		t.Fatalf("harness: open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("harness: close store: %v", err)
		}
	})
	h.Store, h.Options = st, opts
	if h.Options.Sealer == nil {
		h.Options.Sealer = bot.NewRandomSealer()
	}
	h.Restart()
	return h
}

// Restart replaces Router with a new one over the same store, clock,
// messenger, auditor and logs, built from Options: what a restarted bot
// has. Features register on the new Router again.
func (h *Harness) Restart() *bot.Router {
	var pol bot.Policy = h.Policy
	if h.Options.Policy != nil {
		pol = h.Options.Policy
	}
	h.Router = bot.NewRouter(bot.RouterOptions{
		Policy: pol, Audit: h.Audit, Queue: h.Store, Logger: h.Logs.Logger(), Now: h.Clock.Now,
		PolicyAudits: h.Options.PolicyAudits, Denial: h.Options.Denial, Version: h.Options.Version,
		Sealer: h.Options.Sealer,
	})
	h.Router.SetMessenger(bot.TransportShell, h.Messenger)
	return h.Router
}

// Run sends "/plat <text>" from user through the router, as the shell
// transport does, and returns the plain text of every message it caused,
// one a line. A handler error fails the test.
func (h *Harness) Run(user, text string) string {
	h.T.Helper()
	before := len(h.Messenger.Sent())
	req := h.Messenger.NewRequest(user, "")
	req.Text, req.Command, req.Args = text, "", nil
	if err := h.Router.Run(context.Background(), req); err != nil {
		h.T.Fatalf("run %q: %v", text, err)
	}
	return textSince(h.Messenger, before, false)
}

// Click presses the button labelled button on a recorded message as user
// and returns every message it caused as "op: text" lines. A missing button
// or a handler error fails the test.
func (h *Harness) Click(user string, msg Sent, button string) string {
	h.T.Helper()
	btn := FindButton(msg.Msg, button)
	if btn == nil {
		h.T.Fatalf("no %q button on %q", button, msg.Text())
	}
	before := len(h.Messenger.Sent())
	req := h.Messenger.NewRequest(user, "")
	if err := h.Router.Act(context.Background(), req, bot.Action{ID: btn.ActionID, Value: btn.Value, Message: msg.Ref}); err != nil {
		h.T.Fatalf("click %q: %v", button, err)
	}
	return textSince(h.Messenger, before, true)
}

// RunJobs runs the durable jobs that are due (at the fake clock's time) and
// returns how many ran. An error of the queue fails the test.
func (h *Harness) RunJobs() int {
	h.T.Helper()
	n, err := h.Router.Worker().RunDue(context.Background())
	if err != nil {
		h.T.Fatalf("run jobs: %v", err)
	}
	return n
}

// FindButton returns the button labelled text in msg's action blocks (the
// last one when several carry the label), or nil.
func FindButton(msg bot.Message, text string) *bot.Button {
	var btn *bot.Button
	for _, b := range msg.Blocks {
		if a, ok := b.(bot.Actions); ok {
			for i := range a.Buttons {
				if a.Buttons[i].Text == text {
					btn = &a.Buttons[i]
				}
			}
		}
	}
	return btn
}

// textSince renders the calls recorded after the first before ones.
func textSince(m *Messenger, before int, withOp bool) string {
	var b strings.Builder
	for _, s := range m.Sent()[before:] {
		if withOp {
			b.WriteString(s.Op + ": ")
		}
		b.WriteString(s.Text() + "\n")
	}
	return b.String()
}
