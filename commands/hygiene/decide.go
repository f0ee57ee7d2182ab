package hygiene

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// Decision actions.
const (
	DecisionDeprecate = "deprecate"
	DecisionDelete    = "delete"
)

// Decision states beyond the lifecycle's.
const (
	StatePending  = approval.StatePending
	StateApproved = approval.StateApproved
	StateDenied   = approval.StateDenied
	StateLapsed   = approval.StateLapsed
	// StateProposed: the pull request is open.
	StateProposed = "proposed"
	// StateFailed: the change could not be made automatically.
	StateFailed = "failed"
)

// Audit actions.
const (
	auditKeep    = "hygiene.keep"
	auditPropose = "hygiene.propose"
	auditDecide  = "hygiene.decide"
	auditLapse   = "hygiene.lapse"
	auditPR      = "hygiene.pr"
)

const (
	formKeep    = "catalog hygiene keep"
	fieldReason = "reason"
)

// Decision is a proposal to deprecate or delete an entity, decided through
// bot/approval: deprecating by another member of the owning team or a
// platform admin, deleting by a platform admin.
type Decision struct {
	ID      string `json:"id"`
	Action  string `json:"action"`
	Finding string `json:"finding"`
	Entity  string `json:"entity"`
	// Kind, Namespace and Name name the entity in its file.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Team      string `json:"team,omitempty"`
	File      string `json:"file"`
	// Location is the configured catalog location the entity was reached
	// from (catalog.Source.Location); "" in proposals recorded before it
	// was kept.
	Location  string    `json:"location,omitempty"`
	Why       string    `json:"why"`
	Channel   string    `json:"channel"`
	Requested time.Time `json:"requested"`
	// PR is the opened pull request; Failure why none could be opened.
	PR      *PullRequest `json:"pr,omitempty"`
	Failure string       `json:"failure,omitempty"`
	approval.Ballot
}

func (h *Hygiene) commands() []*bot.Command {
	return []*bot.Command{
		{
			Name: "catalog hygiene", Usage: "[--team <team>] [--dry-run]",
			Summary: "scan the catalog for orphans, owners who left, stale and unconventional services (admins)",
			Help: "Finds orphaned entities, owners that do not resolve or left, components with no deploy in a year, " +
				"deprecated components still used and components missing conventions, and posts the report to the platform " +
				"channel and each affected team's channel. `--dry-run` shows it to you only and records nothing. " +
				"Entities of a location whose last refresh failed are never flagged. It also runs on its schedule (hygiene.schedule).",
			Action: bot.ActionAdmin, Flags: []string{"team"}, BoolFlags: []string{"dry-run"}, Handle: h.handleScan,
		},
		{
			Name: formKeep, Usage: "<finding>", Summary: "keep a hygiene finding, with a reason (the report's Keep button)",
			Action: bot.ActionRead, Hidden: true, Form: h.keepForm, Submit: h.submitKeep,
		},
	}
}

// handleScan is `/plat catalog hygiene`.
func (h *Hygiene) handleScan(ctx context.Context, req *bot.Request) error {
	if len(req.Args) > 0 {
		return bot.Errorf("Usage: `/plat catalog hygiene [--team <team>] [--dry-run]`.")
	}
	team := strings.TrimSpace(req.Flags["team"])
	if req.Flags.Has("team") && (team == "" || team == "true") {
		return bot.Errorf("`--team` needs a team name, like `--team payments`.")
	}
	dry := req.Flags.Has("dry-run")
	if !dry && h.cfg.PlatformChannel == "" {
		return bot.Errorf("No platform channel is configured for hygiene reports (hygiene.platformChannel). Use `--dry-run` to see the report here.")
	}
	var m bot.Messenger
	if !dry {
		m = req.Messenger()
	}
	res, err := h.Run(ctx, m, ScanOptions{Team: team, DryRun: dry, ID: "request-" + req.ID})
	if err != nil {
		return err
	}
	if dry {
		msgs := reportMessages(res, res.Listed, res.Team, h.cfg.MaxListed)
		var b strings.Builder
		for _, msg := range msgs {
			b.WriteString(msg.Text + "\n")
		}
		return req.Reply(ctx, bot.Message{Text: "_Dry run: nothing recorded or posted._\n" + b.String()})
	}
	h.getRouter().Audit(ctx, store.Event{ActorID: req.User.ID, ActorName: req.User.Name, Action: "hygiene.scan", Target: "request-" + req.ID, Outcome: "ok",
		Details: map[string]any{"findings": len(res.Listed), "snoozed": res.Snoozed, "skipped_locations": len(res.Skipped), "team": res.Team}})
	msg := fmt.Sprintf("🧹 Posted the hygiene report: %s (%d snoozed) to %s", plural(len(res.Listed), "finding", "findings"), res.Snoozed, h.cfg.PlatformChannel)
	if len(res.Skipped) > 0 {
		msg += "; " + plural(len(res.Skipped), "location was", "locations were") + " skipped because their last refresh failed"
	}
	return req.Reply(ctx, bot.Message{Text: msg + "."})
}

// act handles the report's and the proposals' buttons.
func (h *Hygiene) act(ctx context.Context, req *bot.Request, a bot.Action) error {
	switch a.ID {
	case actionKeep:
		st, err := h.finding(ctx, a.Value)
		if err != nil {
			return err
		}
		if why, err := h.mayAct(ctx, req, st.Finding.Team, false); err != nil {
			return err
		} else if why != "" {
			return bot.Errorf("%s", why)
		}
		req.Command, req.Args, req.Flags = formKeep, []string{a.Value}, bot.Flags{}
		f, err := h.keepForm(ctx, req)
		if err != nil {
			return err
		}
		return req.OpenForm(ctx, f)
	case actionDeprecate:
		return h.propose(ctx, req, a.Value, DecisionDeprecate)
	case actionDelete:
		return h.propose(ctx, req, a.Value, DecisionDelete)
	case actionApprove:
		return h.flow.Decide(ctx, req, a.Value, true)
	case actionDeny:
		return h.flow.Decide(ctx, req, a.Value, false)
	}
	return bot.Errorf("This button is no longer supported. Run `/plat catalog hygiene` again.")
}

func (h *Hygiene) finding(ctx context.Context, id string) (*findingState, error) {
	it, err := h.findings.Get(ctx, strings.TrimSpace(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, bot.Errorf("Finding `%s` is not known here; run `/plat catalog hygiene` again.", bot.UserText(id))
	}
	if err != nil {
		return nil, fmt.Errorf("load finding %s: %w", id, err)
	}
	return &it.Value, nil
}

// mayAct says why req's user may not act on a finding of team ("" when
// they may): members of the team and platform admins may; adminOnly
// allows admins only.
func (h *Hygiene) mayAct(ctx context.Context, req *bot.Request, team string, adminOnly bool) (string, error) {
	id, err := h.deps.Catalog.Identify(ctx, req.User)
	if err != nil {
		return "", fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	switch {
	case id.IsAdmin():
		return "", nil
	case adminOnly:
		return "Only platform admins can do this.", nil
	case team != "" && id.InGroup(team):
		return "", nil
	case team == "":
		return "This finding has no owning team, so only platform admins can decide about it.", nil
	}
	return fmt.Sprintf("Only members of %s or platform admins can decide about this finding.", shortRef(team)), nil
}

// keepForm asks why the finding is kept.
func (h *Hygiene) keepForm(ctx context.Context, req *bot.Request) (*bot.Form, error) {
	st, err := h.finding(ctx, req.Arg(0))
	if err != nil {
		return nil, err
	}
	f := st.Finding
	return &bot.Form{
		ID: formKeep, Title: "Keep " + truncate(f.Name, 18), SubmitText: "Keep",
		Intro: fmt.Sprintf("*%s* · `%s`: %s. Keeping it snoozes this finding until %s.",
			kindTitles[f.Kind], bot.UserText(f.Name), bot.UserText(f.Why), h.now().Add(h.cfg.SnoozeFor).UTC().Format("2006-01-02")),
		Fields: []bot.Field{{ID: fieldReason, Label: "Why keep it?", Kind: bot.FieldLongText, Required: true, MinLen: 10, MaxLen: 500,
			Help: "who still uses it, what it is waiting for"}},
	}, nil
}

// submitKeep records the snooze. Submitting again while snoozed changes
// nothing.
func (h *Hygiene) submitKeep(ctx context.Context, req *bot.Request, v bot.Values) error {
	id := req.Arg(0)
	st, err := h.finding(ctx, id)
	if err != nil {
		return err
	}
	if why, err := h.mayAct(ctx, req, st.Finding.Team, false); err != nil {
		return err
	} else if why != "" {
		return bot.Errorf("%s", why)
	}
	reason := strings.TrimSpace(v.Get(fieldReason))
	now := h.now()
	kept := false
	it, err := h.findings.Modify(ctx, id, func(it *store.Item[findingState], exists bool) error {
		if !exists {
			return bot.Errorf("Finding `%s` is not known here.", bot.UserText(id))
		}
		if s := it.Value.Snooze; s != nil && now.Before(s.Until) {
			return store.ErrNoChange
		}
		it.Value.Snooze = &Snooze{Until: now.Add(h.cfg.SnoozeFor), Reason: reason, By: req.User, At: now}
		kept = true
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNoChange) {
		return err
	}
	if it == nil {
		if st, err = h.finding(ctx, id); err != nil {
			return err
		}
	} else {
		st = &it.Value
	}
	s := st.Snooze
	if !kept {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("This finding is already kept until %s (by <@%s>: %s).",
			s.Until.UTC().Format("2006-01-02"), s.By.ID, bot.UserText(s.Reason))})
	}
	h.getRouter().Audit(ctx, store.Event{ActorID: req.User.ID, ActorName: req.User.Name, Action: auditKeep, Target: st.Finding.Entity, Outcome: "ok",
		Details: map[string]any{"finding": id, "kind": st.Finding.Kind, "until": s.Until.Format(time.RFC3339), "reason": reason}})
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("👍 Kept `%s` (%s) until %s: %s",
		bot.UserText(st.Finding.Name), kindTitles[st.Finding.Kind], s.Until.UTC().Format("2006-01-02"), bot.UserText(reason))})
}

// propose records a Deprecate or Delete proposal and asks for a decision.
// A second click (or a retry) finds the same proposal.
func (h *Hygiene) propose(ctx context.Context, req *bot.Request, findingID, action string) error {
	st, err := h.finding(ctx, findingID)
	if err != nil {
		return err
	}
	f := st.Finding
	if why, err := h.mayAct(ctx, req, f.Team, false); err != nil {
		return err
	} else if why != "" {
		return bot.Errorf("%s", why)
	}
	e, ok := h.deps.Catalog.Get(f.Entity)
	if !ok {
		return bot.Errorf("`%s` is no longer in the catalog.", bot.UserText(f.Entity))
	}
	if e.Orphan {
		return bot.Errorf("`%s` is no longer in its file %s; an admin removes it from the catalog with `/plat catalog remove %s`.", bot.UserText(f.Entity), bot.UserText(e.Source.File), bot.UserText(f.Entity))
	}
	if action == DecisionDeprecate && strings.EqualFold(e.Lifecycle(), "deprecated") {
		return bot.Errorf("`%s` is already deprecated.", bot.UserText(e.Metadata.Name))
	}
	if h.deps.Files == nil {
		return bot.Errorf("This platbot cannot open pull requests on catalog files (no GitHub or git repository configured); edit %s by hand.", bot.UserText(e.Source.String()))
	}
	channel := h.cfg.PlatformChannel
	if action == DecisionDeprecate && f.Team != "" {
		if g, ok := h.deps.Catalog.Lookup(f.Team, catalog.KindGroup); ok && g.Annotation(catalog.AnnotationSlackChannel) != "" {
			channel = g.Annotation(catalog.AnnotationSlackChannel)
		}
	}
	if channel == "" {
		channel = req.Channel
	}
	d := &Decision{
		ID:     fmt.Sprintf("hd-%s-%s-%d", action[:3], strings.TrimPrefix(f.ID, "hf-"), st.Reported),
		Action: action, Finding: f.ID, Entity: f.Entity, Kind: e.Kind, Namespace: e.Metadata.Namespace, Name: e.Metadata.Name,
		Team: f.Team, File: e.Source.File, Location: e.Source.Location, Why: f.Why, Channel: channel, Requested: h.now(),
		Ballot: approval.Ballot{Requester: req.User, Transport: req.Transport, Required: 1, PendingUntil: h.now().Add(h.cfg.PendingTTL)},
	}
	created, err := h.flow.Save(ctx, d, StatePending)
	if err != nil {
		return err
	}
	if !created {
		cur, state, err := h.flow.Load(ctx, d.ID)
		if err != nil {
			return err
		}
		if state == StatePending {
			// An earlier click may have saved it and died before the card
			// was posted: Open posts it once.
			if err := h.flow.Open(ctx, cur); err != nil {
				return fmt.Errorf("ask about %s: %w", cur.ID, err)
			}
		}
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("Already proposed by <@%s>: %s (`%s`).", cur.Requester.ID, decisionStateText(cur, state), cur.ID)})
	}
	if err := h.flow.Open(ctx, d); err != nil {
		return fmt.Errorf("ask about %s: %w", d.ID, err)
	}
	h.flow.Audit(ctx, req.User, auditPropose, StatePending, d, nil)
	who := "another member of " + shortRef(f.Team) + " or a platform admin"
	if action == DecisionDelete || f.Team == "" {
		who = "a platform admin"
	}
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("🙋 Proposed to %s `%s` (`%s`); %s decides in %s. Nothing changes until the pull request is merged.",
		action, bot.UserText(e.Metadata.Name), d.ID, who, channel)})
}

// approvalConfig is the decision lifecycle: one approval, never by the
// proposer; a deletion by a platform admin (and the delete policy), a
// deprecation by another member of the owning team or an admin.
func (h *Hygiene) approvalConfig() approval.Config[Decision] {
	return approval.Config[Decision]{
		Kind:   KindDecision,
		Noun:   "hygiene proposal",
		ID:     func(d *Decision) string { return d.ID },
		Ballot: func(d *Decision) *approval.Ballot { return &d.Ballot },
		Key:    func(d *Decision) string { return d.Entity },
		NotFound: func(id string) error {
			return bot.Errorf("Hygiene proposal `%s` no longer exists.", bot.UserText(id))
		},
		SelfRefusal: func(d *Decision) string {
			return "🚫 You proposed this, so someone else must decide it."
		},
		MayDecide: func(ctx context.Context, req *bot.Request, d *Decision) (approval.Eligibility, error) {
			id, err := h.deps.Catalog.Identify(ctx, req.User)
			if err != nil {
				return approval.Eligibility{}, fmt.Errorf("identify %s: %w", req.User.ID, err)
			}
			switch {
			case d.Action == DecisionDelete && !id.IsAdmin():
				return approval.Eligibility{Refusal: "Only platform admins approve deleting a catalog entity."}, nil
			case d.Action == DecisionDelete:
				// Deletions also pass the policy's delete rule (admins by
				// default) on the entity.
				res := bot.Resource{Kind: strings.ToLower(d.Kind), Name: d.Name, Ref: d.Entity, Owner: d.Team}
				if err := h.getRouter().Authorize(ctx, req, bot.ActionDelete, res); err != nil {
					var ue *bot.UserError
					if errors.As(err, &ue) {
						return approval.Eligibility{Refusal: ue.Msg}, nil
					}
					return approval.Eligibility{}, err
				}
				return approval.Eligibility{Role: "admin", UserRef: id.UserRef}, nil
			case id.IsAdmin():
				return approval.Eligibility{Role: "admin", UserRef: id.UserRef}, nil
			case d.Team != "" && id.InGroup(d.Team):
				return approval.Eligibility{Role: "peer", UserRef: id.UserRef}, nil
			}
			return approval.Eligibility{Refusal: fmt.Sprintf("Only members of %s or platform admins decide about deprecating %s.", shortRef(d.Team), d.Name)}, nil
		},
		Card:         h.card,
		Channel:      func(d *Decision) (string, error) { return d.Channel, nil },
		Texts:        decisionTexts,
		Approved:     h.approved,
		DecideAction: auditDecide, LapseAction: auditLapse,
		DecisionOutcome: approval.DecisionState,
		AuditTarget:     func(d *Decision) string { return d.Entity },
		AuditDetails: func(d *Decision) map[string]any {
			return map[string]any{"proposal": d.ID, "action": d.Action, "finding": d.Finding, "file": d.File, "requester": d.Requester.ID}
		},
		LapseJob: JobLapse,
	}
}

func (h *Hygiene) card(d *Decision, state string) bot.Message {
	text := fmt.Sprintf("<@%s> proposes to *%s* `%s` (%s): %s.\nThe pull request will change `%s`; nothing leaves the catalog until it is merged and the catalog refreshes.",
		d.Requester.ID, d.Action, bot.UserText(d.Name), d.Kind, bot.UserText(d.Why), bot.UserText(d.File))
	blocks := []bot.Block{bot.Header{Text: "Catalog hygiene: " + d.Action + " " + truncate(d.Name, 80)}, bot.Section{Text: text}}
	if state == StatePending {
		who := "another member of " + shortRef(d.Team) + " or a platform admin"
		if d.Action == DecisionDelete || d.Team == "" {
			who = "a platform admin"
		}
		blocks = append(blocks, bot.Context{Text: "Decided by " + who + "."},
			bot.Actions{Buttons: []bot.Button{approval.ApproveButton(actionApprove, d.ID), approval.DenyButton(actionDeny, d.ID, "")}})
	} else {
		blocks = append(blocks, bot.Context{Text: decisionStateText(d, state)})
	}
	return bot.Message{Text: text, Blocks: blocks}
}

func decisionStateText(d *Decision, state string) string {
	switch state {
	case StatePending:
		return "⏳ waiting for a decision"
	case StateApproved:
		return fmt.Sprintf("✅ approved by <@%s>; opening the pull request", d.Approvals[0].User.ID)
	case StateProposed:
		return fmt.Sprintf("✅ approved by <@%s>; pull request %s", d.Approvals[0].User.ID, d.PR.URL)
	case StateDenied:
		return fmt.Sprintf("❌ denied by <@%s>", d.Denial.User.ID)
	case StateLapsed:
		return "⌛ lapsed: nobody decided in time"
	case StateFailed:
		return "⚠️ approved, but the change could not be made automatically: " + string(bot.UserText(d.Failure).Mrkdwn())
	}
	return state
}

func decisionTexts(d *Decision, ev approval.Event) approval.Texts {
	switch ev.Outcome {
	case approval.Approved:
		return approval.Texts{Thread: fmt.Sprintf("✅ Approved by <@%s>; opening the pull request.", ev.By.ID),
			DM: fmt.Sprintf("Your proposal to %s `%s` was approved by <@%s>; I'm opening the pull request.", d.Action, bot.UserText(d.Name), ev.By.ID)}
	case approval.Denied:
		return approval.Texts{Thread: fmt.Sprintf("❌ Denied by <@%s>.", ev.By.ID),
			DM: fmt.Sprintf("Your proposal to %s `%s` was denied by <@%s>.", d.Action, bot.UserText(d.Name), ev.By.ID)}
	case approval.Lapsed:
		return approval.Texts{Thread: "⌛ Nobody decided in time; the proposal lapsed.",
			DM: fmt.Sprintf("Your proposal to %s `%s` lapsed: nobody decided in time.", d.Action, bot.UserText(d.Name))}
	}
	return approval.Texts{}
}

// approved queues the pull request of an approved proposal.
func (h *Hygiene) approved(ctx context.Context, d *Decision) error {
	r := h.getRouter()
	if r == nil {
		return errors.New("hygiene is not registered")
	}
	if _, err := r.Enqueue(ctx, bot.JobSpec{Kind: JobPR, Payload: map[string]string{"id": d.ID}, DedupeKey: JobPR + ":" + d.ID}); err != nil {
		return fmt.Errorf("queue the pull request of %s: %w", d.ID, err)
	}
	return nil
}

// prJob opens the pull request of an approved proposal: the entity's file
// with spec.lifecycle set to deprecated, or without the entity's document
// (the file deleted when it was the only one, unless the file is itself a
// configured location, see keepFile). Idempotent: the branch is
// the proposal's, and a proposal already proposed is left alone.
func (h *Hygiene) prJob(ctx context.Context, payload json.RawMessage) error {
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.ID == "" {
		return bot.Permanent(fmt.Errorf("decode hygiene pull request: %v", err))
	}
	d, state, err := h.flow.Load(ctx, p.ID)
	if err != nil {
		return bot.Permanent(err)
	}
	if state != StateApproved {
		return nil // done already, or never approved
	}
	if h.deps.Files == nil {
		return h.fail(ctx, d, "no GitHub or git repository is configured to open pull requests on catalog files")
	}
	src, err := h.deps.Files.Read(ctx, d.File)
	if err != nil {
		return fmt.Errorf("read %s: %w", d.File, err)
	}
	name := EntityName{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name}
	var content, title, body string
	remove := false
	switch d.Action {
	case DecisionDeprecate:
		out, changed, err := SetLifecycle(src, name, "deprecated")
		if err != nil {
			return h.fail(ctx, d, err.Error())
		}
		if !changed {
			return h.fail(ctx, d, "it is already deprecated in "+d.File)
		}
		content = string(out)
		title = "Deprecate " + d.Name + " (catalog hygiene)"
		body = fmt.Sprintf("Sets `spec.lifecycle: deprecated` on %s %s.\n\nFinding: %s.\nProposed by %s, approved by %s (platbot proposal %s).",
			d.Kind, d.Name, d.Why, d.Requester, d.Approvals[0].User, d.ID)
	case DecisionDelete:
		out, last, err := RemoveEntity(src, name)
		if err != nil {
			return h.fail(ctx, d, err.Error())
		}
		content = string(out)
		keep := ""
		if last {
			if keep = keepFile(d); keep == "" {
				remove, content = true, ""
			} else {
				content = fmt.Sprintf(RemovedNote, d.ID)
			}
		}
		title = "Remove " + d.Name + " from the catalog (catalog hygiene)"
		body = fmt.Sprintf("Removes %s %s from its catalog file.\n\nFinding: %s.\nProposed by %s, approved by %s (platbot proposal %s).\n\n"+
			"Once merged, the next catalog refresh no longer finds it; it is kept as an orphan until an admin runs `/plat catalog remove %s`.",
			d.Kind, d.Name, d.Why, d.Requester, d.Approvals[0].User, d.ID, d.Entity)
		switch {
		case remove:
			body += "\n\nIt was the only entity of the file, so the pull request deletes the file."
		case last:
			body += "\n\nIt was the only entity of the file, which now holds only a comment: " + keep
		}
	default:
		return bot.Permanent(fmt.Errorf("proposal %s: unknown action %q", d.ID, d.Action))
	}
	pr, err := h.deps.Files.Propose(ctx, d.File, Change{
		Branch: "platbot/hygiene/" + d.ID, Title: title, Body: body, CommitMessage: title, Content: content, Delete: remove,
	})
	if err != nil {
		return fmt.Errorf("open the pull request of %s: %w", d.ID, err)
	}
	d, _, err = h.flow.Update(ctx, d.ID, func(state string, d *Decision) (string, error) {
		if state != StateApproved {
			return "", approval.ErrNoChange
		}
		d.PR = pr
		return StateProposed, nil
	})
	if errors.Is(err, approval.ErrNoChange) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record the pull request of %s: %w", p.ID, err)
	}
	h.flow.Audit(ctx, approval.System, auditPR, StateProposed, d, map[string]any{"pr": pr.URL})
	h.flow.Announce(ctx, d, StateProposed, "🔀 Pull request: "+pr.URL, fmt.Sprintf("The pull request to %s `%s` is open: %s", d.Action, bot.UserText(d.Name), pr.URL))
	return nil
}

// keepFile says why the file of a deleted entity that was its only one is
// kept (holding RemovedNote) rather than deleted, and what to do; "" when
// it is deleted. A file that is itself a configured catalog location
// (catalog.locations) is kept: deleting it would fail that location on
// every refresh, and the entities of a failed location are never flagged.
// A file reached from a location (a folder, a Location entity's target)
// is deleted: its entities become orphans like any vanished entity.
func keepFile(d *Decision) string {
	if d.Location == "" {
		return "platbot did not record which catalog location it was reached from, so it cannot tell whether the file is itself a configured location. " +
			"Delete the file in this pull request unless `catalog.locations` names it."
	}
	same := false
	if u, ok := strings.CutPrefix(d.Location, "url:"); ok {
		same = u == d.File
	} else if p, ok := strings.CutPrefix(d.Location, "file:"); ok {
		a, err1 := filepath.Abs(p)
		b, err2 := filepath.Abs(d.File)
		same = err1 == nil && err2 == nil && a == b
	}
	if !same {
		return ""
	}
	return "the file is itself the configured catalog location `" + d.Location + "`, and deleting it would make that location fail on every refresh. " +
		"Remove it from `catalog.locations` in platbot's configuration, then delete the file."
}

// fail records that an approved proposal could not be made automatically.
func (h *Hygiene) fail(ctx context.Context, d *Decision, why string) error {
	id := d.ID
	d, _, err := h.flow.Update(ctx, id, func(state string, d *Decision) (string, error) {
		if state != StateApproved {
			return "", approval.ErrNoChange
		}
		d.Failure = why
		return StateFailed, nil
	})
	if errors.Is(err, approval.ErrNoChange) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record the failure of %s: %w", id, err)
	}
	h.flow.Audit(ctx, approval.System, auditPR, StateFailed, d, map[string]any{"error": why})
	h.flow.Announce(ctx, d, StateFailed, "⚠️ I could not make this change automatically: "+why+". Edit "+d.File+" by hand.",
		fmt.Sprintf("Your approved proposal to %s `%s` could not be made automatically: %s", d.Action, bot.UserText(d.Name), bot.UserText(why)))
	return nil
}
