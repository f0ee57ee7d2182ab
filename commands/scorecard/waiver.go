package scorecard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// Waiver states.
const (
	WaiverPending  = "pending"
	WaiverApproved = "approved"
	WaiverDenied   = "denied"
	WaiverExpired  = "expired"
)

// Action ids of the waiver buttons (prefix "scorecard").
const (
	ActionPrefix  = "scorecard"
	actionApprove = "scorecard:approve"
	actionDeny    = "scorecard:deny"
)

// JobWaiverExpire is the job that marks a waiver expired at its deadline.
const JobWaiverExpire = "scorecard.waiver.expire"

// Waiver lets one check of one service count as a pass for a while, once a
// platform admin approves it.
type Waiver struct {
	ID        string    `json:"id"`
	Service   string    `json:"service"` // entity ref
	Check     string    `json:"check"`
	Days      int       `json:"days"`
	Reason    string    `json:"reason"`
	Requester bot.User  `json:"requester"`
	Requested time.Time `json:"requested"`
	// Approver, Decided and Expires are set by the decision.
	Approver bot.User  `json:"approver,omitzero"`
	Decided  time.Time `json:"decided,omitzero"`
	Expires  time.Time `json:"expires,omitzero"`
	// Message is the approval request in the admin channel.
	Message bot.MessageRef `json:"message,omitzero"`
	State   string         `json:"-"`
}

func decodeWaiver(r *store.Record) (*Waiver, error) {
	var w Waiver
	if err := json.Unmarshal(r.Data, &w); err != nil {
		return nil, fmt.Errorf("decode waiver %s: %w", r.ID, err)
	}
	w.State = r.State
	return &w, nil
}

// waiverIndex holds approved, unexpired waivers by entity ref and check id.
type waiverIndex map[string]map[string]*Waiver

// Waived implements grade.Waivers: an approved waiver of check on ref that
// has not expired at now.
func (w waiverIndex) Waived(ref, check string, now time.Time) (id string, until time.Time, ok bool) {
	wv := w[ref][check]
	if wv == nil || !now.Before(wv.Expires) {
		return "", time.Time{}, false
	}
	return wv.ID, wv.Expires, true
}

// loadWaivers returns the approved waivers (expired ones are filtered at
// evaluation time).
func (s *Scorecards) loadWaivers(ctx context.Context) (waiverIndex, error) {
	recs, err := s.st.ListRecords(ctx, store.Query{Kind: KindWaiver, States: []string{WaiverApproved}})
	if err != nil {
		return nil, fmt.Errorf("load waivers: %w", err)
	}
	idx := waiverIndex{}
	for i := range recs {
		w, err := decodeWaiver(&recs[i])
		if err != nil {
			s.log.Warn("skipping unreadable waiver", "id", recs[i].ID, "err", err)
			continue
		}
		if idx[w.Service] == nil {
			idx[w.Service] = map[string]*Waiver{}
		}
		if old := idx[w.Service][w.Check]; old == nil || w.Expires.After(old.Expires) {
			idx[w.Service][w.Check] = w
		}
	}
	return idx, nil
}

func newWaiverID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "w-" + hex.EncodeToString(b[:])
}

// handleWaive runs `/plat scorecard waive <service> <check> --days N --reason "..."`:
// it records a pending waiver and asks the platform admins in the admin
// channel, with Approve and Deny buttons.
func (s *Scorecards) handleWaive(ctx context.Context, req *bot.Request) error {
	usage := "Usage: `/plat scorecard waive <service> <check> --days N --reason \"why\"`."
	if len(req.Args) < 2 {
		return bot.Errorf("%s", usage)
	}
	e, err := s.findService(req.Arg(0))
	if err != nil {
		return err
	}
	checkID := req.Arg(1)
	c, ok := s.checks.Get(checkID)
	if !ok {
		msg := fmt.Sprintf("There is no check `%s`.", bot.UserText(checkID))
		if close := bot.Closest(checkID, s.checks.IDs()); close != "" {
			msg += fmt.Sprintf(" Did you mean `%s`?", close)
		}
		return bot.Errorf("%s Checks: %s.", msg, strings.Join(s.checks.IDs(), ", "))
	}
	days, err := strconv.Atoi(strings.TrimSpace(req.Flags["days"]))
	if err != nil || days < 1 || days > s.cfg.Waivers.MaxDays {
		return bot.Errorf("`--days` must be a whole number from 1 to %d. %s", s.cfg.Waivers.MaxDays, usage)
	}
	reason := strings.TrimSpace(req.Flags["reason"])
	if reason == "" || reason == "true" {
		return bot.Errorf("Say why with `--reason \"...\"`. %s", usage)
	}
	if s.cfg.AdminChannel == "" {
		return bot.Errorf("No admin channel is configured for waiver approvals (scorecard.adminChannel). Ask the platform team.")
	}
	now := s.now()
	w := &Waiver{
		ID: newWaiverID(), Service: e.Ref(), Check: c.ID, Days: days, Reason: reason,
		Requester: req.User, Requested: now,
	}
	b, _ := json.Marshal(w)
	if _, err := s.st.PutRecord(ctx, store.Record{Kind: KindWaiver, ID: w.ID, State: WaiverPending, Owner: req.User.ID, Key: w.Service, Data: b}); err != nil {
		return fmt.Errorf("save waiver request: %w", err)
	}
	m := req.Messenger()
	ref, err := m.Post(ctx, s.cfg.AdminChannel, waiverRequestMessage(w, c, true))
	if err != nil {
		return fmt.Errorf("ask admins about waiver %s: %w", w.ID, err)
	}
	if _, err := s.st.TransitionRecord(ctx, KindWaiver, w.ID, []string{WaiverPending}, WaiverPending, func(r *store.Record) error {
		w.Message = ref
		r.Data, _ = json.Marshal(w)
		return nil
	}); err != nil {
		s.log.Warn("waiver message ref not saved", "waiver", w.ID, "err", err)
	}
	if _, err := m.Post(ctx, s.cfg.AdminChannel, bot.Message{
		ThreadTS: ref.Thread(),
		Text:     fmt.Sprintf("Platform admins: approve or deny above. Approving lets `%s` count as passing for %s for %d days.", c.ID, e.Metadata.Name, days),
	}); err != nil {
		s.log.Warn("waiver thread note not posted", "waiver", w.ID, "err", err)
	}
	s.audit(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "scorecard.waiver.request", Target: w.Service,
		Outcome: "pending", Details: map[string]any{"waiver": w.ID, "check": c.ID, "days": days},
	})
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("🙋 Asked the platform admins in %s to waive `%s` for *%s* for %d days (request `%s`). I'll DM you their decision.",
		s.cfg.AdminChannel, c.ID, e.Metadata.Name, days, w.ID)})
}

func waiverRequestMessage(w *Waiver, c *grade.Check, buttons bool) bot.Message {
	title := w.Check
	if c != nil {
		title = c.Title
	}
	text := fmt.Sprintf("Waiver request `%s`: <@%s> asks to waive *%s* (`%s`) for *%s* for %d days.\n>%s",
		w.ID, w.Requester.ID, title, w.Check, shortRef(w.Service), w.Days, bot.UserText(w.Reason))
	blocks := []bot.Block{
		bot.Header{Text: "Scorecard waiver request"},
		bot.Section{Text: text},
	}
	if buttons {
		blocks = append(blocks, bot.Actions{Buttons: []bot.Button{
			{ActionID: actionApprove, Text: "Approve", Value: w.ID, Style: bot.StylePrimary},
			{ActionID: actionDeny, Text: "Deny", Value: w.ID, Style: bot.StyleDanger},
		}})
	}
	return bot.Message{Text: text, Blocks: blocks}
}

// handleAction decides a waiver from its Approve or Deny button. Only
// platform admins may (Router.Authorize with bot.ActionAdmin), never the
// requester; the decision is a compare-and-swap from pending, so two clicks
// decide once.
func (s *Scorecards) handleAction(ctx context.Context, req *bot.Request, a bot.Action) error {
	var to string
	switch a.ID {
	case actionApprove:
		to = WaiverApproved
	case actionDeny:
		to = WaiverDenied
	default:
		return bot.Errorf("This button is no longer supported.")
	}
	rec, err := s.st.GetRecord(ctx, KindWaiver, a.Value)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Errorf("Waiver request `%s` no longer exists.", a.Value)
	}
	if err != nil {
		return fmt.Errorf("load waiver %s: %w", a.Value, err)
	}
	w, err := decodeWaiver(rec)
	if err != nil {
		return err
	}
	r := s.getRouter()
	if r == nil {
		return errors.New("scorecard: waiver decisions need Register to have been called")
	}
	res := bot.Resource{Kind: "scorecard-waiver", Name: w.ID, Ref: w.Service}
	if err := r.Authorize(ctx, req, bot.ActionAdmin, res); err != nil {
		return err
	}
	if req.User.ID == w.Requester.ID {
		return bot.Errorf("🚫 You asked for this waiver, so another platform admin must decide it.")
	}
	now := s.now()
	updated, err := s.st.TransitionRecord(ctx, KindWaiver, w.ID, []string{WaiverPending}, to, func(rec *store.Record) error {
		w.Approver, w.Decided = req.User, now
		if to == WaiverApproved {
			w.Expires = now.Add(time.Duration(w.Days) * 24 * time.Hour)
		}
		b, err := json.Marshal(w)
		rec.Data = b
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		cur, _ := s.st.GetRecord(ctx, KindWaiver, w.ID)
		state := "decided"
		if cur != nil {
			state = cur.State
		}
		return bot.Errorf("Waiver request `%s` was already %s.", w.ID, state)
	}
	if err != nil {
		return fmt.Errorf("decide waiver %s: %w", w.ID, err)
	}
	w.State = updated.State
	s.audit(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "scorecard.waiver.decide", Target: w.Service,
		Decision: map[bool]string{true: "allow", false: "deny"}[to == WaiverApproved], Outcome: to,
		Details: map[string]any{"waiver": w.ID, "check": w.Check, "requester": w.Requester.ID},
	})
	c, _ := s.checks.Get(w.Check)
	m := req.Messenger()
	verdict := fmt.Sprintf("❌ Denied by <@%s>.", req.User.ID)
	if to == WaiverApproved {
		verdict = fmt.Sprintf("✅ Approved by <@%s> until %s.", req.User.ID, w.Expires.Format("2006-01-02"))
	}
	msg := waiverRequestMessage(w, c, false)
	msg.Blocks = append(msg.Blocks, bot.Context{Text: verdict})
	ref := a.Message
	if ref.Zero() {
		ref = w.Message
	}
	if !ref.Zero() {
		if err := m.Update(ctx, ref, msg); err != nil {
			s.log.Warn("waiver request message not updated", "waiver", w.ID, "err", err)
		}
		if _, err := m.Post(ctx, ref.Channel, bot.Message{ThreadTS: ref.Thread(), Text: verdict}); err != nil {
			s.log.Warn("waiver decision not posted in thread", "waiver", w.ID, "err", err)
		}
	}
	dm := fmt.Sprintf("Your waiver of `%s` for *%s* was denied by <@%s>.", w.Check, shortRef(w.Service), req.User.ID)
	if to == WaiverApproved {
		dm = fmt.Sprintf("Your waiver of `%s` for *%s* was approved by <@%s>: it counts as passing until %s.",
			w.Check, shortRef(w.Service), req.User.ID, w.Expires.Format("2006-01-02"))
		if _, err := r.Enqueue(ctx, bot.JobSpec{Kind: JobWaiverExpire, Payload: map[string]string{"id": w.ID}, RunAt: w.Expires, DedupeKey: "scorecard.waiver.expire:" + w.ID}); err != nil {
			s.log.Warn("waiver expiry not scheduled", "waiver", w.ID, "err", err)
		}
	}
	if _, err := m.DM(ctx, w.Requester.ID, bot.Message{Text: dm}); err != nil {
		s.log.Warn("waiver decision DM not sent", "waiver", w.ID, "err", err)
	}
	return nil
}

// expireWaiver marks an approved waiver expired (the evaluation already
// ignores it past its deadline; this keeps the records tidy and tells the
// requester).
func (s *Scorecards) expireWaiver(ctx context.Context, payload json.RawMessage) error {
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.ID == "" {
		return bot.Permanent(fmt.Errorf("decode waiver expiry: %v", err))
	}
	rec, err := s.st.TransitionRecord(ctx, KindWaiver, p.ID, []string{WaiverApproved}, WaiverExpired, nil)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("expire waiver %s: %w", p.ID, err)
	}
	w, err := decodeWaiver(rec)
	if err != nil {
		return bot.Permanent(err)
	}
	s.audit(ctx, store.Event{ActorID: "platbot", Action: "scorecard.waiver.expire", Target: w.Service, Outcome: WaiverExpired,
		Details: map[string]any{"waiver": w.ID, "check": w.Check}})
	if m := s.messenger(); m != nil {
		if _, err := m.DM(ctx, w.Requester.ID, bot.Message{Text: fmt.Sprintf("Your waiver of `%s` for *%s* has expired; the check counts again.", w.Check, shortRef(w.Service))}); err != nil {
			s.log.Warn("waiver expiry DM not sent", "waiver", w.ID, "err", err)
		}
	}
	return nil
}

// expiringWaivers returns approved waivers of the given services that expire
// within d of now, soonest first.
func (s *Scorecards) expiringWaivers(idx waiverIndex, refs map[string]bool, now time.Time, d time.Duration) []*Waiver {
	var out []*Waiver
	for ref, byCheck := range idx {
		if refs != nil && !refs[ref] {
			continue
		}
		for _, w := range byCheck {
			if now.Before(w.Expires) && !w.Expires.After(now.Add(d)) {
				out = append(out, w)
			}
		}
	}
	sortWaivers(out)
	return out
}

func sortWaivers(ws []*Waiver) {
	sort.Slice(ws, func(i, j int) bool {
		if !ws[i].Expires.Equal(ws[j].Expires) {
			return ws[i].Expires.Before(ws[j].Expires)
		}
		return ws[i].ID < ws[j].ID
	})
}

// shortRef turns "component:default/x" into "x".
func shortRef(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	if i := strings.Index(ref, ":"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}
