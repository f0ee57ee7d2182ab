package scorecard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// Waiver states: a waiver is decided by the approval lifecycle
// (bot/approval); an approved one expires after its days.
const (
	WaiverPending  = approval.StatePending
	WaiverApproved = approval.StateApproved
	WaiverDenied   = approval.StateDenied
	WaiverExpired  = "expired"
)

// Action ids of the waiver buttons (prefix "scorecard").
const (
	ActionPrefix  = "scorecard"
	actionApprove = "scorecard:approve"
	actionDeny    = "scorecard:deny"
)

// Audit actions of waivers.
const (
	auditRequest = "scorecard.waiver.request"
	auditDecide  = "scorecard.waiver.decide"
	auditExpire  = "scorecard.waiver.expire"
)

// JobWaiverExpire is the job that marks a waiver expired at its deadline.
const JobWaiverExpire = "scorecard.waiver.expire"

// Waiver lets one check of one service count as a pass for a while, once a
// platform admin approves it. The embedded Ballot is the approval's part:
// the requester, the deciding admin's vote and the request's card in the
// admin channel.
type Waiver struct {
	ID        string    `json:"id"`
	Service   string    `json:"service"` // entity ref
	Check     string    `json:"check"`
	Days      int       `json:"days"`
	Reason    string    `json:"reason"`
	Requested time.Time `json:"requested"`
	// Expires is set by the approval.
	Expires time.Time `json:"expires,omitzero"`
	approval.Ballot
}

// legacyWaiver holds the fields waivers were stored with before they ran on
// the approval lifecycle: the card was "message", the decision "approver"
// and "decided".
type legacyWaiver struct {
	Message  bot.MessageRef `json:"message"`
	Approver bot.User       `json:"approver"`
	Decided  time.Time      `json:"decided"`
}

// UnmarshalJSON reads a waiver in its stored form, also one stored before
// the approval lifecycle: its card and decision move into the Ballot, so a
// pending one is still decided on its card and an approved one shows who
// approved it.
func (w *Waiver) UnmarshalJSON(b []byte) error {
	type plain Waiver
	if err := json.Unmarshal(b, (*plain)(w)); err != nil {
		return err
	}
	var old legacyWaiver
	if err := json.Unmarshal(b, &old); err != nil {
		return err
	}
	if w.Card.Zero() {
		w.Card = old.Message
	}
	if old.Approver.ID != "" && len(w.Approvals) == 0 && w.Denial == nil {
		v := approval.Vote{User: old.Approver, Role: waiverRole, At: old.Decided}
		if w.Expires.IsZero() {
			w.Denial = &v
		} else {
			w.Approvals = []approval.Vote{v}
		}
	}
	if w.Required == 0 {
		w.Required = 1
	}
	return nil
}

// waiverRole is the role recorded on a waiver decision.
const waiverRole = "admin"

func decodeWaiver(r *store.Record) (*Waiver, error) {
	var w Waiver
	if err := json.Unmarshal(r.Data, &w); err != nil {
		return nil, fmt.Errorf("decode waiver %s: %w", r.ID, err)
	}
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

// waiverApproval is the approval of waivers: bot/approval runs the
// lifecycle (one decision, from pending, never by the requester, only by
// platform admins: bot.ActionAdmin); scorecards say what the card and the
// messages say, and schedule the expiry of an approved waiver.
func (s *Scorecards) waiverApproval() approval.Config[Waiver] {
	return approval.Config[Waiver]{
		Kind:   KindWaiver,
		Noun:   "waiver request",
		States: approval.States{Pending: WaiverPending, Approved: WaiverApproved, Denied: WaiverDenied},
		ID:     func(w *Waiver) string { return w.ID },
		Ballot: func(w *Waiver) *approval.Ballot { return &w.Ballot },
		Key:    func(w *Waiver) string { return w.Service },
		NotFound: func(id string) error {
			return bot.Errorf("Waiver request `%s` no longer exists.", bot.UserText(id))
		},
		SelfRefusal: func(*Waiver) string {
			return "🚫 You asked for this waiver, so another platform admin must decide it."
		},
		RefuseAsError: true,
		MayDecide: func(context.Context, *bot.Request, *Waiver) (approval.Eligibility, error) {
			return approval.Eligibility{Role: waiverRole}, nil
		},
		PolicyAction: bot.ActionAdmin,
		Resource: func(w *Waiver) bot.Resource {
			return bot.Resource{Kind: "scorecard-waiver", Name: w.ID, Ref: w.Service}
		},
		Card:    s.waiverCard,
		Channel: func(*Waiver) (string, error) { return s.cfg.AdminChannel, nil },
		Texts:   waiverTexts,
		OnApprove: func(w *Waiver, now time.Time) {
			w.Expires = now.Add(time.Duration(w.Days) * 24 * time.Hour)
		},
		Approved:     s.waiverApproved,
		DecideAction: auditDecide,
		// Decisions keep the audit rows waivers always had: the waiver's
		// new state (approved, denied) as the outcome beside the decision.
		DecisionOutcome: approval.DecisionState,
		AuditTarget:     func(w *Waiver) string { return w.Service },
		AuditDetails: func(w *Waiver) map[string]any {
			return map[string]any{"waiver": w.ID, "check": w.Check, "requester": w.Requester.ID}
		},
	}
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
	w := &Waiver{
		ID: newWaiverID(), Service: e.Ref(), Check: c.ID, Days: days, Reason: reason, Requested: s.now(),
		Ballot: approval.Ballot{Requester: req.User, Transport: req.Transport, Required: 1},
	}
	if _, err := s.waivers.Save(ctx, w, WaiverPending); err != nil {
		return err
	}
	if err := s.waivers.PostCard(ctx, w); err != nil {
		return fmt.Errorf("ask admins about waiver %s: %w", w.ID, err)
	}
	s.waivers.Thread(ctx, w, fmt.Sprintf("Platform admins: approve or deny above. Approving lets `%s` count as passing for %s for %d days.",
		c.ID, e.Metadata.Name, days), false)
	s.waivers.Audit(ctx, req.User, auditRequest, WaiverPending, w, map[string]any{"days": days})
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
			approval.ApproveButton(actionApprove, w.ID),
			approval.DenyButton(actionDeny, w.ID, ""),
		}})
	}
	return bot.Message{Text: text, Blocks: blocks}
}

// waiverCard is the request's card in the admin channel: with the buttons
// while pending, with the verdict once decided.
func (s *Scorecards) waiverCard(w *Waiver, state string) bot.Message {
	c, _ := s.checks.Get(w.Check)
	msg := waiverRequestMessage(w, c, state == WaiverPending)
	if v := waiverVerdict(w); v != "" && state != WaiverPending {
		msg.Blocks = append(msg.Blocks, bot.Context{Text: v})
	}
	return msg
}

// waiverVerdict is the decision in a sentence ("" while undecided).
func waiverVerdict(w *Waiver) string {
	switch {
	case w.Denial != nil:
		return fmt.Sprintf("❌ Denied by <@%s>.", w.Denial.User.ID)
	case len(w.Approvals) > 0:
		return fmt.Sprintf("✅ Approved by <@%s> until %s.", w.Approvals[0].User.ID, w.Expires.Format("2006-01-02"))
	}
	return ""
}

// waiverTexts are what the card's thread and the requester are told of a
// decision (a waiver needs one approval and does not lapse).
func waiverTexts(w *Waiver, ev approval.Event) approval.Texts {
	switch ev.Outcome {
	case approval.Approved:
		return approval.Texts{Thread: waiverVerdict(w), DM: fmt.Sprintf("Your waiver of `%s` for *%s* was approved by <@%s>: it counts as passing until %s.",
			w.Check, shortRef(w.Service), ev.By.ID, w.Expires.Format("2006-01-02"))}
	case approval.Denied:
		return approval.Texts{Thread: waiverVerdict(w), DM: fmt.Sprintf("Your waiver of `%s` for *%s* was denied by <@%s>.",
			w.Check, shortRef(w.Service), ev.By.ID)}
	}
	return approval.Texts{}
}

// handleAction decides a waiver from its Approve or Deny button.
func (s *Scorecards) handleAction(ctx context.Context, req *bot.Request, a bot.Action) error {
	switch a.ID {
	case actionApprove:
		return s.waivers.Decide(ctx, req, a.Value, true)
	case actionDeny:
		return s.waivers.Decide(ctx, req, a.Value, false)
	}
	return bot.Errorf("This button is no longer supported.")
}

// waiverApproved schedules the expiry of an approved waiver (announced by
// the lifecycle). A failure to schedule is logged: the evaluation ignores
// the waiver past its deadline anyway.
func (s *Scorecards) waiverApproved(ctx context.Context, w *Waiver) error {
	r := s.getRouter()
	if r == nil {
		return nil
	}
	if _, err := r.Enqueue(ctx, bot.JobSpec{Kind: JobWaiverExpire, Payload: map[string]string{"id": w.ID}, RunAt: w.Expires, DedupeKey: JobWaiverExpire + ":" + w.ID}); err != nil {
		s.log.Warn("waiver expiry not scheduled", "waiver", w.ID, "err", err)
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
	expired := false // this run expired it
	w, _, err := s.waivers.Update(ctx, p.ID, func(state string, _ *Waiver) (string, error) {
		expired = state == WaiverApproved
		if !expired {
			return "", approval.ErrNoChange
		}
		return WaiverExpired, nil
	})
	if errors.Is(err, approval.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("expire waiver %s: %w", p.ID, err)
	}
	if !expired {
		return nil
	}
	s.waivers.Audit(ctx, approval.System, auditExpire, WaiverExpired, w, nil)
	s.waivers.DM(ctx, w, bot.Message{Text: fmt.Sprintf("Your waiver of `%s` for *%s* has expired; the check counts again.", w.Check, shortRef(w.Service))})
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
	slices.SortFunc(ws, func(a, b *Waiver) int {
		if c := a.Expires.Compare(b.Expires); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
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
