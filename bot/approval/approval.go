// Package approval is platbot's approval lifecycle, written once for every
// feature that asks people to approve something: a request is saved
// pending, a card with Approve and Deny buttons is posted, each click is
// checked again (who may decide, never the requester, the policy engine),
// counted (N of M different approvers) and recorded with a compare-and-swap
// on the request's store record, so racing clicks produce exactly one
// outcome; every decision updates the card, replies in its thread, DMs the
// requester and is audited; a refused click is explained to the clicker
// only and audited; a request nobody decides in time lapses by a durable
// job.
//
// A feature keeps its own request type T and embeds a Ballot in it (the
// lifecycle's fields: requester, approvals, denial, card, deadline), so the
// stored JSON stays the feature's own. It builds a Flow[T] with New, giving
// hooks for what is specific to it: who may decide, how the card looks,
// what is said, and what happens once approved. The Flow then also serves
// the feature's later state changes (Update, Announce, Refresh, Thread, DM).
//
// The package knows the store and bot, never a feature or an integration.
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// Flow runs one feature's approvals. Create it with New and give it the
// router with SetRouter once the feature registers.
type Flow[T any] struct {
	cfg  Config[T]
	st   Store
	msgr bot.Messenger
	log  *slog.Logger
	now  func() time.Time

	mu     sync.RWMutex
	router Router
}

// New checks cfg and returns its Flow.
func New[T any](cfg Config[T], d Deps) (*Flow[T], error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Kind": cfg.Kind != "", "Noun": cfg.Noun != "", "ID": cfg.ID != nil, "Ballot": cfg.Ballot != nil,
		"MayDecide": cfg.MayDecide != nil, "Card": cfg.Card != nil, "Channel": cfg.Channel != nil, "Texts": cfg.Texts != nil,
		"Store": d.Store != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("approval flow %q: missing %s", cfg.Kind, strings.Join(missing, ", "))
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.States.Pending, StatePending)
	def(&cfg.States.Approved, StateApproved)
	def(&cfg.States.Denied, StateDenied)
	def(&cfg.States.Lapsed, StateLapsed)
	def(&cfg.DecideAction, cfg.Kind+".decide")
	def(&cfg.LapseAction, cfg.Kind+".lapse")
	if cfg.StateText == nil {
		cfg.StateText = func(s string) string { return s }
	}
	if cfg.NotFound == nil {
		noun := cfg.Noun
		cfg.NotFound = func(id string) error { return bot.Errorf("There is no %s `%s`.", noun, bot.UserText(id)) }
	}
	if cfg.SelfRefusal == nil {
		noun := cfg.Noun
		cfg.SelfRefusal = func(*T) string { return fmt.Sprintf("You can't decide your own %s; someone else must.", noun) }
	}
	if cfg.JobAttempts == 0 {
		cfg.JobAttempts = 25
	}
	f := &Flow[T]{cfg: cfg, st: d.Store, msgr: d.Messenger, log: d.Logger, now: d.Now}
	if f.log == nil {
		f.log = slog.Default()
	}
	f.log = f.log.With("component", "approval", "kind", cfg.Kind)
	if f.now == nil {
		f.now = time.Now
	}
	return f, nil
}

// SetRouter gives the flow the router (audit, policy, jobs, messengers).
func (f *Flow[T]) SetRouter(r Router) {
	f.mu.Lock()
	f.router = r
	f.mu.Unlock()
}

func (f *Flow[T]) rt() Router {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.router
}

// ErrNotFound is wrapped when a request id is unknown.
var ErrNotFound = errors.New("no such request")

// ErrNoChange, returned by an Update decide function, leaves the record as
// it is.
var ErrNoChange = errors.New("no change")

// Save stores r in state unless a request with its id exists (then created
// is false and nothing changes), so a retried submission is harmless. The
// record's owner is the requester.
func (f *Flow[T]) Save(ctx context.Context, r *T, state string) (created bool, err error) {
	id := f.cfg.ID(r)
	data, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("encode %s %s: %w", f.cfg.Noun, id, err)
	}
	rec := store.Record{Kind: f.cfg.Kind, ID: id, State: state, Owner: f.cfg.Ballot(r).Requester.ID, Data: data}
	if f.cfg.Key != nil {
		rec.Key = f.cfg.Key(r)
	}
	created, err = f.st.PutRecord(ctx, rec)
	if err != nil {
		return false, fmt.Errorf("save %s %s: %w", f.cfg.Noun, id, err)
	}
	if created {
		f.homeChanged(ctx, r, "", state)
	}
	return created, nil
}

// Load returns a request and its state; an unknown id wraps ErrNotFound.
func (f *Flow[T]) Load(ctx context.Context, id string) (*T, string, error) {
	rec, err := f.st.GetRecord(ctx, f.cfg.Kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("%s %s: %w", f.cfg.Noun, id, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("load %s %s: %w", f.cfg.Noun, id, err)
	}
	r, err := f.decode(rec)
	if err != nil {
		return nil, "", fmt.Errorf("load %s %s: %w", f.cfg.Noun, id, err)
	}
	return r, rec.State, nil
}

// LoadUser is Load for an id a user typed or a button carried: an empty or
// unknown id is Config.NotFound's error.
func (f *Flow[T]) LoadUser(ctx context.Context, id string) (*T, string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, "", f.cfg.NotFound(id)
	}
	r, st, err := f.Load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, "", f.cfg.NotFound(id)
	}
	return r, st, err
}

func (f *Flow[T]) decode(rec *store.Record) (*T, error) {
	r := new(T)
	if err := json.Unmarshal(rec.Data, r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", f.cfg.Noun, err)
	}
	return r, nil
}

// Update reads a request, lets decide change it and name its next state,
// and writes the result with a compare-and-swap on the record's version
// (store.Modify): when another writer got there first, it reads again and
// decides again, up to store.MaxAttempts times. decide may therefore run
// more than once and must only change r. Update returns the request as
// written and its new state; when decide returns ErrNoChange, the request
// as stored and its state, with a nil error. An error from decide is
// returned as it is.
func (f *Flow[T]) Update(ctx context.Context, id string, decide func(state string, r *T) (string, error)) (*T, string, error) {
	var from string
	wrote := false // the last run of decide changed the request
	it, err := store.Modify(ctx, f.st, f.cfg.Kind, id, func(it *store.Item[T], exists bool) error {
		if !exists {
			return errMissing
		}
		from, wrote = it.State, false
		to, err := decide(it.State, &it.Value)
		wrote = err == nil
		switch {
		case errors.Is(err, ErrNoChange):
			return store.ErrNoChange
		case err != nil:
			return decideError{err}
		}
		it.State = to
		return nil
	})
	var de decideError
	switch {
	case errors.As(err, &de):
		return nil, "", de.err
	case errors.Is(err, errMissing):
		return nil, "", fmt.Errorf("%s %s: %w", f.cfg.Noun, id, ErrNotFound)
	case errors.Is(err, store.ErrConflict):
		return nil, "", fmt.Errorf("update %s %s: gave up: %w", f.cfg.Noun, id, err)
	case err != nil:
		return nil, "", fmt.Errorf("update %s %s: %w", f.cfg.Noun, id, err)
	}
	if wrote {
		f.homeChanged(ctx, &it.Value, from, it.State)
	}
	return &it.Value, it.State, nil
}

// errMissing ends Update's compare-and-swap loop on a record that is not
// there (store.Modify would create it).
var errMissing = errors.New("missing")

// decideError carries an Update decide function's own error through
// store.Modify, so it is returned as it is, not as a store error.
type decideError struct{ err error }

func (e decideError) Error() string { return e.err.Error() }

// Messenger returns the messenger for messages about r outside a request.
func (f *Flow[T]) Messenger(r *T) (bot.Messenger, error) {
	if f.msgr != nil {
		return f.msgr, nil
	}
	b := f.cfg.Ballot(r)
	if rt := f.rt(); rt != nil {
		if m := rt.Outbound(b.Transport); m != nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s: no messenger for transport %q", f.cfg.Noun, b.Transport)
}

// PostCard posts r's card once (a retry that finds it posted leaves it)
// and stores where it is; r is set to the request as stored.
func (f *Flow[T]) PostCard(ctx context.Context, r *T) error {
	id := f.cfg.ID(r)
	cur, state, err := f.Load(ctx, id)
	if err != nil {
		return err
	}
	if !f.cfg.Ballot(cur).Card.Zero() {
		*r = *cur
		return nil
	}
	ch, err := f.cfg.Channel(cur)
	if err != nil {
		return err
	}
	change := func(*T) {}
	if f.cfg.Prepare != nil {
		if c := f.cfg.Prepare(ctx, cur); c != nil {
			change = c
		}
	}
	change(cur)
	m, err := f.Messenger(cur)
	if err != nil {
		return err
	}
	ref, err := m.Post(ctx, ch, f.cfg.Card(cur, state))
	if err != nil {
		return fmt.Errorf("post %s %s to %s: %w", f.cfg.Noun, id, ch, err)
	}
	out, _, err := f.Update(ctx, id, func(st string, x *T) (string, error) {
		if !f.cfg.Ballot(x).Card.Zero() {
			return "", ErrNoChange
		}
		change(x)
		f.cfg.Ballot(x).Card = ref
		return st, nil
	})
	if err != nil {
		return err
	}
	*r = *out
	return nil
}

// ScheduleLapse queues r's lapse at its PendingUntil (once per request).
func (f *Flow[T]) ScheduleLapse(ctx context.Context, r *T) error {
	if f.cfg.LapseJob == "" {
		return nil
	}
	until := f.cfg.Ballot(r).PendingUntil
	if until.IsZero() {
		return nil // never lapses
	}
	id := f.cfg.ID(r)
	return f.enqueue(ctx, f.cfg.LapseJob, lapsePayload{ID: id}, until, f.cfg.LapseJob+":"+id)
}

// Open posts r's card and schedules its lapse: a saved pending request
// becomes decidable. Both steps are idempotent.
func (f *Flow[T]) Open(ctx context.Context, r *T) error {
	if err := f.PostCard(ctx, r); err != nil {
		return err
	}
	return f.ScheduleLapse(ctx, r)
}

func (f *Flow[T]) enqueue(ctx context.Context, kind string, payload any, runAt time.Time, key string) error {
	rt := f.rt()
	if rt == nil {
		return fmt.Errorf("%s: not registered with a router", f.cfg.Noun)
	}
	if _, err := rt.Enqueue(ctx, bot.JobSpec{Kind: kind, Payload: payload, RunAt: runAt, DedupeKey: key, MaxAttempts: f.cfg.JobAttempts}); err != nil {
		return fmt.Errorf("schedule %s: %w", key, err)
	}
	return nil
}

// ApproveButton and DenyButton are the card's buttons for request id, with
// the action ids the feature handles (see Flow.Decide).
func ApproveButton(actionID, id string) bot.Button {
	return bot.Button{ActionID: actionID, Text: "Approve", Value: id, Style: bot.StylePrimary}
}

// DenyButton: see ApproveButton. confirm, when set, asks first.
func DenyButton(actionID, id, confirm string) bot.Button {
	return bot.Button{ActionID: actionID, Text: "Deny", Value: id, Style: bot.StyleDanger, Confirm: confirm}
}

// Decide records req's user's approval (approve) or denial of request id,
// from a button click or a command. The click is checked now: the request
// must be pending, the clicker not its requester, MayDecide and the policy
// must allow. The decision is a compare-and-swap from pending, so of
// concurrent clicks exactly one decides; the others are told it was decided
// a moment ago. A refusal is explained to the clicker only (ephemeral where
// the transport has a channel, else returned as a bot.UserError).
func (f *Flow[T]) Decide(ctx context.Context, req *bot.Request, id string, approve bool) error {
	r, state, err := f.LoadUser(ctx, id)
	if err != nil {
		return err
	}
	id = f.cfg.ID(r)
	pending := f.cfg.States.Pending
	if state != pending {
		if v := f.unannounced(ctx, r, state, req.User.ID); v != nil {
			// This click decided it, and the process died before saying so.
			return f.decided(ctx, req.User, v.Role, r, state)
		}
		return f.refuse(ctx, req, nil, fmt.Sprintf("`%s` is already %s.", id, f.cfg.StateText(state)))
	}
	if req.User.ID == f.cfg.Ballot(r).Requester.ID {
		return f.refuse(ctx, req, r, f.cfg.SelfRefusal(r))
	}
	el, err := f.cfg.MayDecide(ctx, req, r)
	if err != nil {
		return err
	}
	if el.Refusal != "" {
		return f.refuse(ctx, req, r, el.Refusal)
	}
	if f.cfg.Resource != nil {
		rt := f.rt()
		if rt == nil {
			return fmt.Errorf("%s: not registered with a router", f.cfg.Noun)
		}
		if err := rt.Authorize(ctx, req, f.cfg.PolicyAction, f.cfg.Resource(r)); err != nil {
			return f.refuseErr(ctx, req, r, err)
		}
	}
	now := f.now()
	vote := Vote{User: req.User, UserRef: el.UserRef, Role: el.Role, At: now}
	if j, ok := bot.JobOf(ctx); ok {
		vote.Job = j.ID
	}
	var lost string // why this click did not count, when another won
	out, to, err := f.Update(ctx, id, func(st string, x *T) (string, error) {
		lost = ""
		b := f.cfg.Ballot(x)
		if st != pending {
			lost = fmt.Sprintf("`%s` was %s a moment ago; your click did not change it.", id, f.cfg.StateText(st))
			return "", ErrNoChange
		}
		if !approve {
			d := vote
			b.Denial = &d
			return f.cfg.States.Denied, nil
		}
		if b.ApprovedBy(req.User.ID) {
			lost = fmt.Sprintf("You already approved `%s`; it needs %d more approval(s) from someone else.", id, b.Required-len(b.Approvals))
			return "", ErrNoChange
		}
		b.Approvals = append(b.Approvals, vote)
		if len(b.Approvals) < b.Required {
			return pending, nil
		}
		if f.cfg.OnApprove != nil {
			f.cfg.OnApprove(x, now)
		}
		return f.cfg.States.Approved, nil
	})
	if err != nil {
		return err
	}
	if lost != "" {
		return f.refuse(ctx, req, nil, lost)
	}
	return f.decided(ctx, req.User, el.Role, out, to)
}

// decided audits and announces a decision (or a counted approval) and, for
// an approval, runs the Approved hook; a decided state is then marked
// Announced.
func (f *Flow[T]) decided(ctx context.Context, by bot.User, role string, out *T, to string) error {
	b := f.cfg.Ballot(out)
	ev := Event{By: by, Role: role}
	outcome := "ok"
	if f.cfg.DecisionOutcome != nil {
		outcome = f.cfg.DecisionOutcome(to)
	}
	switch to {
	case f.cfg.States.Denied:
		ev.Outcome = Denied
		f.audit(ctx, by, f.cfg.DecideAction, "deny", outcome, out, map[string]any{"role": role})
	case f.cfg.States.Pending:
		ev.Outcome = Counted
		f.audit(ctx, by, f.cfg.DecideAction, "allow", outcome, out, map[string]any{"role": role, "approvals": len(b.Approvals), "required": b.Required})
	default:
		ev.Outcome = Approved
		f.audit(ctx, by, f.cfg.DecideAction, "allow", outcome, out, map[string]any{"role": role, "approvals": len(b.Approvals), "required": b.Required})
	}
	t := f.cfg.Texts(out, ev)
	f.Announce(ctx, out, to, t.Thread, t.DM)
	if ev.Outcome == Approved && f.cfg.Approved != nil {
		if err := f.cfg.Approved(ctx, out); err != nil {
			return err // the job retries: the decision is found unannounced
		}
	}
	if ev.Outcome != Counted {
		f.markAnnounced(ctx, f.cfg.ID(out), to)
	}
	return nil
}

// unannounced returns the clicker's deciding vote when r is decided (state)
// by userID's click but the decision was never announced; nil otherwise.
// When both the vote and ctx name their job, only a retry of the deciding
// job counts: another click by the same person (on another replica, say)
// finds the decision being announced, not abandoned.
func (f *Flow[T]) unannounced(ctx context.Context, r *T, state, userID string) *Vote {
	b := f.cfg.Ballot(r)
	if b.Announced == state {
		return nil
	}
	v := f.deciding(r, state, userID)
	if v == nil {
		return nil
	}
	if j, ok := bot.JobOf(ctx); ok && v.Job != 0 && j.ID != v.Job {
		return nil
	}
	return v
}

// deciding is userID's vote that decided r (state), nil when another's did.
func (f *Flow[T]) deciding(r *T, state, userID string) *Vote {
	b := f.cfg.Ballot(r)
	switch state {
	case f.cfg.States.Denied:
		if b.Denial != nil && b.Denial.User.ID == userID {
			return b.Denial
		}
	case f.cfg.States.Approved:
		if n := len(b.Approvals); n > 0 && b.Approvals[n-1].User.ID == userID {
			return &b.Approvals[n-1]
		}
	}
	return nil
}

// markAnnounced records that state's follow-up finished. A failure is
// logged: at worst a retried job announces once more.
func (f *Flow[T]) markAnnounced(ctx context.Context, id, state string) {
	_, _, err := f.Update(ctx, id, func(st string, x *T) (string, error) {
		b := f.cfg.Ballot(x)
		if st != state || b.Announced == state {
			return "", ErrNoChange
		}
		b.Announced = state
		return st, nil
	})
	if err != nil {
		f.log.Warn("mark announced", "request", id, "state", state, "err", err)
	}
}

// Refuse explains a refused click or command to its user only (ephemeral
// where the transport has a channel and Config.RefuseAsError is not set,
// else the returned bot.UserError) and
// audits it as a denial of action on r. Features use it for their own
// checks around a request (a follow-up review) so refusals look alike.
func (f *Flow[T]) Refuse(ctx context.Context, req *bot.Request, r *T, action, why string) error {
	if r != nil {
		f.audit(ctx, req.User, action, "deny", "ok", r, map[string]any{"why": why})
	}
	if !f.cfg.RefuseAsError && req.Channel != "" && req.Messenger() != nil {
		if err := req.Messenger().Ephemeral(ctx, req.Channel, req.User.ID, bot.Message{Text: why}); err == nil {
			return nil
		}
	}
	return bot.Errorf("%s", why)
}

// refuseErr is refuse for an error from the policy: a bot.UserError keeps
// its blocks (the rule that refused), in the ephemeral and as the error.
func (f *Flow[T]) refuseErr(ctx context.Context, req *bot.Request, r *T, err error) error {
	var ue *bot.UserError
	if !errors.As(err, &ue) || len(ue.Blocks) == 0 {
		return f.refuse(ctx, req, r, userText(err))
	}
	if r != nil {
		f.audit(ctx, req.User, f.cfg.DecideAction, "deny", "ok", r, map[string]any{"why": ue.Msg})
	}
	if !f.cfg.RefuseAsError && req.Channel != "" && req.Messenger() != nil {
		if err := req.Messenger().Ephemeral(ctx, req.Channel, req.User.ID, bot.Message{Text: ue.Msg, Blocks: ue.Blocks}); err == nil {
			return nil
		}
	}
	return ue
}

// refuse refuses a click on a decision; r is nil when the request was
// decided already (nothing about this clicker to audit).
func (f *Flow[T]) refuse(ctx context.Context, req *bot.Request, r *T, why string) error {
	return f.Refuse(ctx, req, r, f.cfg.DecideAction, why)
}

// lapsePayload is the lapse job's payload.
type lapsePayload struct {
	ID string `json:"id"`
}

// RunLapse is the handler of Config.LapseJob.
func (f *Flow[T]) RunLapse(ctx context.Context, payload json.RawMessage) error {
	var p lapsePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return bot.Permanent(fmt.Errorf("decode %s payload: %w", f.cfg.LapseJob, err))
	}
	return f.Lapse(ctx, p.ID)
}

// Lapse ends request id if it is still pending past its PendingUntil, and
// says so everywhere; otherwise (too early, decided, lapsed already) it
// does nothing. An unknown id is a
// permanent error (a job for it never succeeds).
func (f *Flow[T]) Lapse(ctx context.Context, id string) error {
	now := f.now()
	lapsed := false // this call lapsed it, or finds a lapse never announced
	out, to, err := f.Update(ctx, id, func(st string, x *T) (string, error) {
		b := f.cfg.Ballot(x)
		lapsed = st == f.cfg.States.Lapsed && b.Announced != st
		if lapsed {
			return "", ErrNoChange // lapsed before a crash: announce it now
		}
		if st != f.cfg.States.Pending || b.PendingUntil.IsZero() || now.Before(b.PendingUntil) {
			return "", ErrNoChange
		}
		lapsed = true
		return f.cfg.States.Lapsed, nil
	})
	if errors.Is(err, ErrNotFound) {
		return bot.Permanent(err)
	}
	if err != nil || !lapsed {
		return err
	}
	b := f.cfg.Ballot(out)
	f.audit(ctx, System, f.cfg.LapseAction, "", "expired", out, map[string]any{"approvals": len(b.Approvals), "required": b.Required})
	t := f.cfg.Texts(out, Event{Outcome: Lapsed, By: System})
	f.Announce(ctx, out, to, t.Thread, t.DM)
	f.markAnnounced(ctx, f.cfg.ID(out), to)
	return nil
}

// Announce shows a state change everywhere: the card, its thread and (when
// dmText is set) a DM to the requester. Failures are logged: the state
// change stands.
func (f *Flow[T]) Announce(ctx context.Context, r *T, state, threadText, dmText string) {
	f.Refresh(ctx, r, state)
	f.Thread(ctx, r, threadText, false)
	if dmText != "" {
		f.DM(ctx, r, bot.Message{Text: dmText})
	}
}

// Refresh edits the card (and its AlsoShownAt copies) to show state.
func (f *Flow[T]) Refresh(ctx context.Context, r *T, state string) {
	id := f.cfg.ID(r)
	m, err := f.Messenger(r)
	if err != nil {
		f.log.Error("update card", "request", id, "err", err)
		return
	}
	msg := f.cfg.Card(r, state)
	refs := []bot.MessageRef{f.cfg.Ballot(r).Card}
	if f.cfg.AlsoShownAt != nil {
		refs = append(refs, f.cfg.AlsoShownAt(r)...)
	}
	for _, ref := range refs {
		if ref.Zero() {
			continue
		}
		if err := m.Update(ctx, ref, msg); err != nil {
			f.log.Error("update card", "request", id, "channel", ref.Channel, "err", err)
		}
	}
}

// Thread replies in the card's thread (also in the channel when broadcast).
func (f *Flow[T]) Thread(ctx context.Context, r *T, text string, broadcast bool) {
	card := f.cfg.Ballot(r).Card
	if card.Zero() || text == "" {
		return
	}
	id := f.cfg.ID(r)
	m, err := f.Messenger(r)
	if err != nil {
		f.log.Error("reply in thread", "request", id, "err", err)
		return
	}
	if _, err := m.Post(ctx, card.Channel, bot.Message{Text: text, ThreadTS: card.TS, Broadcast: broadcast}); err != nil {
		f.log.Error("reply in thread", "request", id, "err", err)
	}
}

// DM sends the requester a direct message.
func (f *Flow[T]) DM(ctx context.Context, r *T, msg bot.Message) {
	id, to := f.cfg.ID(r), f.cfg.Ballot(r).Requester.ID
	m, err := f.Messenger(r)
	if err != nil {
		f.log.Error("dm requester", "request", id, "err", err)
		return
	}
	if _, err := m.DM(ctx, to, msg); err != nil {
		f.log.Error("dm requester", "request", id, "user", to, "err", err)
	}
}

// Audit records an event about r: outcome "allow" or "deny" is recorded as
// the decision (with outcome "ok"), anything else as the outcome. The
// details are Config.AuditDetails(r) with extra on top. The lifecycle's
// own events are also logged; these are not (the feature logs them with
// its own fields).
func (f *Flow[T]) Audit(ctx context.Context, actor bot.User, action, outcome string, r *T, extra map[string]any) {
	decision := ""
	switch outcome {
	case "allow", "deny":
		decision, outcome = outcome, "ok"
	}
	f.record(ctx, actor, action, decision, outcome, r, extra)
}

// audit records and logs one of the lifecycle's own events: a decision
// (allow or deny, "" for none) and its outcome.
func (f *Flow[T]) audit(ctx context.Context, actor bot.User, action, decision, outcome string, r *T, extra map[string]any) {
	if ev, ok := f.record(ctx, actor, action, decision, outcome, r, extra); ok {
		f.log.Info(action, "request", f.cfg.ID(r), "actor", actor.ID, "decision", decision, "outcome", outcome, "target", ev.Target)
	}
}

func (f *Flow[T]) record(ctx context.Context, actor bot.User, action, decision, outcome string, r *T, extra map[string]any) (store.Event, bool) {
	rt := f.rt()
	if rt == nil {
		return store.Event{}, false
	}
	d := map[string]any{}
	if f.cfg.AuditDetails != nil {
		d = f.cfg.AuditDetails(r)
	}
	if _, ok := d["request"]; !ok {
		d["request"] = f.cfg.ID(r)
	}
	for k, v := range extra {
		d[k] = v
	}
	ev := store.Event{Time: f.now(), ActorID: actor.ID, ActorName: actor.Name, Action: action, Decision: decision, Outcome: outcome, Details: d}
	if f.cfg.AuditTarget != nil {
		ev.Target = f.cfg.AuditTarget(r)
	}
	rt.Audit(ctx, ev)
	return ev, true
}

// userText returns the message of a bot.UserError, else the error text.
func userText(err error) string {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return ue.Msg
	}
	return err.Error()
}
