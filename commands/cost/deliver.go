package cost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// Alert record states.
const (
	stateFiring   = "firing"
	stateAcked    = "acked"
	stateSnoozed  = "snoozed"
	stateResolved = "resolved"
)

// pendingLease is how long a post under way keeps other runs from posting
// the same alert; after it, a post that died half-way is retried.
const pendingLease = 2 * time.Minute

// SnoozeFor is how long "Snooze 7 days" silences an alert.
const SnoozeFor = 7 * 24 * time.Hour

// Button action ids (prefix "cost", see bot.Router.HandleAction).
const (
	ActionSnooze = "cost:snooze"
	ActionAck    = "cost:ack"
)

// alertState is what is persisted per rule and subject. The rendered text is
// kept so a button click can redraw the message without recomputing costs.
type alertState struct {
	Rule       string    `json:"rule"`
	Subject    string    `json:"subject"`
	SubjectRef string    `json:"subject_ref"`
	Team       string    `json:"team,omitempty"`
	Level      string    `json:"level"`
	Severity   int       `json:"severity"`
	Period     string    `json:"period,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	Fired      time.Time `json:"fired"`
	// Pending is set while a post is under way; a retry posts again.
	Pending      bool           `json:"pending,omitempty"`
	Message      bot.MessageRef `json:"message"`
	SnoozedUntil time.Time      `json:"snoozed_until,omitempty"`
	SnoozedBy    string         `json:"snoozed_by,omitempty"`
	AckedBy      string         `json:"acked_by,omitempty"`
	AckedAt      time.Time      `json:"acked_at,omitempty"`
	Rendered     renderedAlert  `json:"rendered"`
}

// renderedAlert is an alert message's content.
type renderedAlert struct {
	Title     string     `json:"title"`
	Body      []string   `json:"body"`
	Facts     []bot.Pair `json:"facts"`
	Footer    string     `json:"footer"`
	Dashboard string     `json:"dashboard,omitempty"`
}

// alerts are the alert records, typed.
func (c *Costs) alerts() store.Typed[alertState] {
	return store.RecordsOf[alertState](c.deps.Store, kindAlert)
}

// shouldPost decides whether a condition that holds is news. It is, unless
// the same condition (rule, subject, budget month) was already posted and
// nothing got worse; a snooze silences everything but a more severe level
// until it ends, and once it ends the alert is posted again.
func shouldPost(st *alertState, state string, f *Finding, now time.Time) bool {
	if st == nil {
		return true
	}
	if st.Pending {
		// Another run is posting it, or one died mid-post long enough ago.
		return now.Sub(st.Fired) >= pendingLease
	}
	if f.Period != st.Period {
		return true
	}
	snoozed := now.Before(st.SnoozedUntil)
	if state == stateResolved && !snoozed {
		return true
	}
	if snoozed {
		return f.Severity > st.Severity
	}
	if !st.SnoozedUntil.IsZero() && st.Fired.Before(st.SnoozedUntil) {
		return true
	}
	return f.Severity > st.Severity
}

// deliver posts a finding to its team's channel unless it is no news, and
// records it. A post that fails leaves the record pending, so the job's
// retry posts it; two workers racing on one alert post it once.
func (c *Costs) deliver(ctx context.Context, l *Ledger, f *Finding) (bool, error) {
	id := alertID(f.RuleID, f.SubjectRef)
	now := c.now()
	rec, err := c.alerts().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		rec, err = nil, nil
	}
	if err != nil {
		return false, fmt.Errorf("alert %s: %w", id, err)
	}
	var prev *alertState
	state := ""
	if rec != nil {
		prev, state = &rec.Value, rec.State
	}
	if !shouldPost(prev, state, f, now) {
		if state == stateResolved {
			// Back while snoozed: open again, silently. The level posted
			// last stays the bar a rise must clear, so flapping around a
			// threshold posts nothing new.
			if _, err := c.saveAlert(ctx, rec, stateSnoozed, prev); err != nil && !errors.Is(err, store.ErrConflict) {
				return false, err
			}
		}
		return false, nil
	}
	channel := c.teamChannel(f.Team)
	m := c.messenger()
	if channel == "" || m == nil {
		c.log.Warn("cost alert has nowhere to go: set the team's channel (cost.teams or slack.com/channel) or cost.platformChannel", "alert", id, "team", f.Team)
		return false, nil
	}
	l.explain(f)
	f.Dashboard = c.dashboard(f.Subject, f.sub.tag, f.Team)
	st := &alertState{
		Rule: f.RuleID, Subject: f.Subject, SubjectRef: f.SubjectRef, Team: f.Team,
		Level: f.Level, Severity: f.Severity, Period: f.Period, Channel: channel,
		Fired: now, Pending: true, Rendered: c.renderAlert(f),
	}
	if prev != nil && now.Before(prev.SnoozedUntil) && f.Period == prev.Period && !prev.Pending {
		// A more severe level broke through the snooze: it no longer applies.
		st.SnoozedUntil, st.SnoozedBy = time.Time{}, ""
	}
	// Pace posts to the channel (about one a second) before claiming the
	// alert, so a long queue never outlasts the pending lease; the claim is
	// a compare-and-swap on the record read above, so a run that posted it
	// meanwhile wins.
	if err := c.pacer.Wait(ctx, channel); err != nil {
		return false, fmt.Errorf("post cost alert %s to %s: %w", id, channel, err)
	}
	saved, err := c.saveAlert(ctx, rec, stateFiring, st)
	if errors.Is(err, store.ErrConflict) {
		return false, nil // another worker took it
	}
	if err != nil {
		return false, err
	}
	ref, err := m.Post(ctx, channel, alertMessage(id, st, stateFiring, c.loc))
	if err != nil {
		// Put the record back as it was, so the job's retry posts it.
		back, backState := prev, state
		if back == nil || prev.Pending {
			back, backState = st, stateResolved
			back.Pending = false
		}
		if _, rerr := c.saveAlert(ctx, saved, backState, back); rerr != nil {
			c.log.Error("cost alert post failed and its record could not be reset; it is retried after the pending lease", "alert", id, "err", rerr)
		}
		return false, fmt.Errorf("post cost alert %s to %s: %w", id, channel, err)
	}
	st.Pending, st.Message = false, ref
	if _, err := c.saveAlert(ctx, saved, stateFiring, st); err != nil {
		c.log.Error("cost alert posted but not recorded; it may be posted again", "alert", id, "err", err)
	}
	c.audit(ctx, store.Event{
		ActorID: "platbot", Action: "cost.alert", Target: f.SubjectRef, Outcome: "posted",
		Details: map[string]any{"rule": f.RuleID, "level": f.Level, "period": f.Period, "channel": channel},
	})
	return true, nil
}

// saveAlert creates the record (rec nil) or replaces it, if it is still as
// read (compare-and-swap): a writer that lost the race gets
// store.ErrConflict.
func (c *Costs) saveAlert(ctx context.Context, rec *store.Item[alertState], state string, st *alertState) (*store.Item[alertState], error) {
	id := alertID(st.Rule, st.SubjectRef)
	out, err := c.alerts().Modify(ctx, id, asRead(rec, func(it *store.Item[alertState]) {
		it.State, it.Owner, it.Key, it.Value = state, st.Team, st.SubjectRef, *st
	}))
	if err != nil {
		return nil, fmt.Errorf("save alert %s: %w", id, err)
	}
	return out, nil
}

// resolve marks open alerts whose condition no longer holds. Nothing is
// posted; the record remembers the snooze, and the next occurrence is news.
func (c *Costs) resolve(ctx context.Context, checked map[string]bool, firing map[string]bool) error {
	recs, err := c.deps.Store.ListRecords(ctx, store.Query{Kind: kindAlert, States: []string{stateFiring, stateAcked, stateSnoozed}})
	if err != nil {
		return fmt.Errorf("list open cost alerts: %w", err)
	}
	for i := range recs {
		r := &recs[i]
		if !checked[r.ID] || firing[r.ID] {
			continue
		}
		next := *r
		next.State = stateResolved
		if _, err := c.deps.Store.UpdateRecord(ctx, next); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("resolve cost alert %s: %w", r.ID, err)
		}
	}
	return nil
}

// renderAlert writes a finding's message content.
func (c *Costs) renderAlert(f *Finding) renderedAlert {
	var title string
	switch f.RuleType {
	case RuleBudget:
		title = fmt.Sprintf("💸 %s: budget alert (%s)", f.Subject, f.Level)
	case RuleChange:
		title = fmt.Sprintf("📈 %s: spend changed", f.Subject)
		if f.Level == "down" {
			title = fmt.Sprintf("📉 %s: spend dropped", f.Subject)
		}
	default:
		title = fmt.Sprintf("🪫 %s: low efficiency", f.Subject)
	}
	body := []string{f.Headline}
	var lines []string
	for _, ct := range f.Categories {
		lines = append(lines, "• "+c.contributorLine(f, ct))
	}
	if len(lines) > 0 {
		body = append(body, "*Top cost categories* ("+f.Compared+"):\n"+strings.Join(lines, "\n"))
	}
	lines = lines[:0]
	for _, w := range f.Workloads {
		lines = append(lines, "• `"+w.Name+"` "+c.contributorValue(f, w))
	}
	if len(lines) > 0 {
		body = append(body, "*Top namespace/controller*:\n"+strings.Join(lines, "\n"))
	}
	owner := f.Team
	if owner == "" {
		owner = "no owner in the catalog"
	}
	return renderedAlert{
		Title: title, Body: body, Facts: f.Facts, Dashboard: f.Dashboard,
		Footer: fmt.Sprintf("%s · owner %s · %s", f.SubjectRef, owner, f.Origin),
	}
}

func (c *Costs) contributorLine(f *Finding, ct Contributor) string {
	return ct.Name + " " + c.contributorValue(f, ct)
}

func (c *Costs) contributorValue(f *Finding, ct Contributor) string {
	if f.RuleType == RuleEfficiency || ct.Current == ct.Expected {
		return c.money(ct.Current)
	}
	s := fmt.Sprintf("%s (%s", c.money(ct.Current), formatSigned(c.cfg.Currency, ct.Delta()))
	if ct.Expected > 0 {
		s += ", " + signedPercent((ct.Current-ct.Expected)/ct.Expected*100)
	}
	return s + ")"
}

func signedPercent(p float64) string {
	if p >= 0 {
		return "+" + formatPercent(p)
	}
	return "-" + formatPercent(-p)
}

// alertMessage builds the message of an alert in a state; only a firing
// alert carries the Snooze and Acknowledge buttons.
func alertMessage(id string, st *alertState, state string, loc *time.Location) bot.Message {
	r := st.Rendered
	blocks := []bot.Block{bot.Header{Text: r.Title}}
	for _, b := range r.Body {
		blocks = append(blocks, bot.Section{Text: b})
	}
	if len(r.Facts) > 0 {
		blocks = append(blocks, bot.Fields{Pairs: r.Facts})
	}
	var buttons []bot.Button
	switch state {
	case stateFiring:
		buttons = append(buttons,
			bot.Button{ActionID: ActionSnooze, Text: "Snooze 7 days", Value: id},
			bot.Button{ActionID: ActionAck, Text: "Acknowledge", Value: id, Style: bot.StylePrimary})
	case stateSnoozed:
		blocks = append(blocks, bot.Context{Text: fmt.Sprintf("😴 Snoozed by %s until %s", mention(st.SnoozedBy), st.SnoozedUntil.In(loc).Format("Mon 2 Jan 15:04 MST"))})
	case stateAcked:
		blocks = append(blocks, bot.Context{Text: fmt.Sprintf("✅ Acknowledged by %s at %s", mention(st.AckedBy), st.AckedAt.In(loc).Format("Mon 2 Jan 15:04 MST"))})
	}
	if r.Dashboard != "" {
		buttons = append(buttons, bot.Button{Text: "Open dashboard", URL: r.Dashboard})
	}
	if len(buttons) > 0 {
		blocks = append(blocks, bot.Actions{Buttons: buttons})
	}
	footer := r.Footer
	if r.Dashboard != "" {
		footer += " · <" + r.Dashboard + "|dashboard>"
	}
	blocks = append(blocks, bot.Context{Text: footer})
	text := r.Title
	if len(r.Body) > 0 {
		text += ": " + r.Body[0]
	}
	return bot.Message{Text: text, Blocks: blocks}
}

func mention(userID string) string {
	if userID == "" {
		return "someone"
	}
	if strings.HasPrefix(userID, "U") || strings.HasPrefix(userID, "W") {
		return "<@" + userID + ">"
	}
	return userID
}
