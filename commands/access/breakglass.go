package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
)

// Follow-up review verdicts of a break-glass grant.
const (
	VerdictJustified   = "justified"
	VerdictUnjustified = "not-justified"
)

// startBreakGlass announces a break-glass grant loudly, schedules its
// issuing, expiry and reminders, and tells the requester.
func (a *Access) startBreakGlass(ctx context.Context, req *bot.Request, r *AccessRequest, created bool) error {
	if created {
		a.audit(ctx, req.User, "access.breakglass", "ok", r, map[string]any{"approved_at": r.ApprovedAt.UTC().Format(time.RFC3339)})
	}
	if err := a.flow.PostCard(ctx, r); err != nil {
		return err
	}
	env, _ := a.cfg.Env(r.Environment)
	if team := a.teamChannel(r.Owner); team != "" && env != nil && team != env.ChannelFor(r.Owner) && r.TeamPost.Zero() {
		m, err := a.flow.Messenger(r)
		if err != nil {
			return err
		}
		ref, err := m.Post(ctx, team, a.card(r, StateApproved))
		if err != nil {
			a.log.Error("post break-glass to the team channel", "request", r.ID, "channel", team, "err", err)
		} else {
			if out, _, err := a.flow.Update(ctx, r.ID, func(st string, x *AccessRequest) (string, error) {
				if !x.TeamPost.Zero() {
					return "", approval.ErrNoChange
				}
				x.TeamPost = ref
				return st, nil
			}); err == nil {
				*r = *out
			}
		}
	}
	first, err := a.st.Once(ctx, "access.breakglass.announced:"+r.ID)
	if err != nil {
		return fmt.Errorf("break-glass %s: %w", r.ID, err)
	}
	if first {
		a.flow.Thread(ctx, r, fmt.Sprintf("🚨 *BREAK-GLASS* — %s took %s for %s without approval: _%s_\n%s must review this use afterwards.",
			mention(r.Requester), what(r), FormatDuration(r.Duration), bot.UserText(r.Reason), a.reviewers(r)), true)
	}
	if err := a.scheduleGrant(ctx, r); err != nil {
		return err
	}
	next := a.now().Add(a.cfg.BreakGlassNag.D())
	if err := a.enqueue(ctx, JobNag, jobPayload{ID: r.ID, N: 1}, next, fmt.Sprintf("%s:%s:%d", JobNag, r.ID, 1)); err != nil {
		return err
	}
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf(
		"🚨 Break-glass `%s`: %s until %s. %s This was announced in %s and must be reviewed by your team.",
		r.ID, what(r), stamp(r.ExpiresAt), a.arrives(r), channelLink(env.ChannelFor(r.Owner)))})
}

// reviewers names who should review a break-glass use, with mentions.
func (a *Access) reviewers(r *AccessRequest) string {
	var ms []string
	if r.Manager != "" {
		ms = append(ms, "<@"+r.Manager+">")
	}
	n := 0
	for _, p := range r.Peers {
		if n == 8 {
			break
		}
		if p != r.Manager {
			ms = append(ms, "<@"+p+">")
			n++
		}
	}
	if len(ms) == 0 {
		return "A peer in " + r.Owner + " or their manager"
	}
	return strings.Join(ms, " ") + " (a peer in " + r.Owner + " or their manager)"
}

func (a *Access) jobNag(ctx context.Context, payload json.RawMessage) error {
	p, err := decodePayload(JobNag, payload)
	if err != nil {
		return err
	}
	return permanentIfGone(a.nag(ctx, p.ID, p.N))
}

// nag reminds the team of an unreviewed break-glass grant and schedules
// the next reminder, until someone reviews it.
func (a *Access) nag(ctx context.Context, id string, n int) error {
	r, _, err := a.flow.Load(ctx, id)
	if err != nil {
		return err
	}
	if !r.BreakGlass || r.FollowUp != nil {
		return nil
	}
	next := a.now().Add(a.cfg.BreakGlassNag.D())
	if r.Nags >= n {
		// This reminder went out before a crash: only schedule the next.
		return a.enqueue(ctx, JobNag, jobPayload{ID: id, N: n + 1}, next, fmt.Sprintf("%s:%s:%d", JobNag, id, n+1))
	}
	if r.Card.Zero() {
		a.log.Warn("break-glass without a card; cannot remind", "request", id)
	} else if m, err := a.flow.Messenger(r); err == nil {
		msg := bot.Message{
			Text:      fmt.Sprintf("🔔 Reminder %d: break-glass `%s` by %s still needs its follow-up review.", n, r.ID, mention(r.Requester)),
			ThreadTS:  r.Card.TS,
			Broadcast: true,
		}
		msg.Blocks = []bot.Block{
			bot.Section{Text: msg.Text + " " + a.reviewers(r) + ", please review it."},
			bot.Actions{Buttons: []bot.Button{{ActionID: ActionReview, Text: "Review break-glass use", Value: r.ID, Style: bot.StylePrimary}}},
		}
		if _, err := m.Post(ctx, r.Card.Channel, msg); err != nil {
			return fmt.Errorf("remind review of %s: %w", id, err)
		}
		if r.Manager != "" {
			if _, err := m.DM(ctx, r.Manager, bot.Message{Text: fmt.Sprintf(
				"🔔 Break-glass `%s` by %s (%s) still needs its follow-up review: `/plat access review %s`.", r.ID, mention(r.Requester), what(r), r.ID)}); err != nil {
				a.log.Error("dm manager about break-glass review", "request", id, "err", err)
			}
		}
	}
	if _, _, err := a.flow.Update(ctx, id, func(st string, x *AccessRequest) (string, error) {
		if x.Nags >= n {
			return "", approval.ErrNoChange
		}
		x.Nags = n
		return st, nil
	}); err != nil {
		return err
	}
	a.audit(ctx, system, "access.breakglass.nag", "ok", r, map[string]any{"reminder": n})
	return a.enqueue(ctx, JobNag, jobPayload{ID: id, N: n + 1}, next, fmt.Sprintf("%s:%s:%d", JobNag, id, n+1))
}

// checkReviewable checks that req's user may record the follow-up review
// of break-glass grant id now; why explains a refusal.
func (a *Access) checkReviewable(ctx context.Context, req *bot.Request, id string) (r *AccessRequest, role, why string, err error) {
	r, _, err = a.loadUser(ctx, id)
	if err != nil {
		return nil, "", "", err
	}
	switch {
	case !r.BreakGlass:
		return r, "", fmt.Sprintf("`%s` is not a break-glass grant; there is nothing to review.", r.ID), nil
	case r.FollowUp != nil:
		return r, "", fmt.Sprintf("`%s` was already reviewed by %s (%s).", r.ID, mention(r.FollowUp.User), r.FollowUp.Verdict), nil
	}
	role, why, err = a.checkReviewer(ctx, req, r)
	return r, role, why, err
}

func (a *Access) handleReview(ctx context.Context, req *bot.Request) error {
	r, _, why, err := a.checkReviewable(ctx, req, req.Arg(0))
	if err != nil {
		return err
	}
	if why != "" {
		return a.flow.Refuse(ctx, req, r, "access.breakglass.review", why)
	}
	f, err := a.reviewForm(ctx, req)
	if err != nil {
		return err
	}
	return req.OpenForm(ctx, f)
}

func (a *Access) reviewForm(ctx context.Context, req *bot.Request) (*bot.Form, error) {
	r, _, err := a.loadUser(ctx, req.Arg(0))
	if err != nil {
		return nil, err
	}
	return &bot.Form{
		ID:         "access review",
		Title:      "Review break-glass",
		SubmitText: "Record review",
		Intro: fmt.Sprintf("`%s`: %s took %s for %s. Reason given: %s",
			r.ID, mention(r.Requester), what(r), FormatDuration(r.Duration), bot.UserText(r.Reason)),
		Fields: []bot.Field{
			{ID: fieldVerdict, Label: "Was it justified?", Kind: bot.FieldSelect, Required: true, Options: []bot.Option{
				{Value: VerdictJustified, Label: "Justified"},
				{Value: VerdictUnjustified, Label: "Not justified"},
			}},
			{ID: fieldNote, Label: "Notes", Kind: bot.FieldLongText, Required: true, MinLen: ReasonMin, MaxLen: ReasonMax,
				Help: "what was done, follow-ups, incident link"},
		},
	}, nil
}

func (a *Access) validateReview(ctx context.Context, req *bot.Request, v bot.Values) bot.FieldErrors {
	errs := bot.FieldErrors{}
	if vd := v.Get(fieldVerdict); vd != VerdictJustified && vd != VerdictUnjustified {
		errs[fieldVerdict] = "choose justified or not justified"
	}
	if msg := checkReason(strings.TrimSpace(v.Get(fieldNote))); msg != "" {
		errs[fieldNote] = msg
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// submitReview records the follow-up review of a break-glass grant, which
// stops the reminders.
func (a *Access) submitReview(ctx context.Context, req *bot.Request, v bot.Values) error {
	if errs := a.validateReview(ctx, req, v); errs != nil {
		return errs
	}
	r, role, why, err := a.checkReviewable(ctx, req, req.Arg(0))
	if err != nil {
		return err
	}
	if why != "" {
		if r != nil {
			a.audit(ctx, req.User, "access.breakglass.review", "deny", r, map[string]any{"why": why})
		}
		return bot.Errorf("%s", why)
	}
	rv := Review{User: req.User, Role: role, At: a.now(), Verdict: v.Get(fieldVerdict), Note: strings.TrimSpace(v.Get(fieldNote))}
	if who, err := a.cat.Identify(ctx, req.User); err == nil && who != nil {
		rv.UserRef = who.UserRef
	}
	out, state, err := a.flow.Update(ctx, r.ID, func(st string, x *AccessRequest) (string, error) {
		if x.FollowUp != nil {
			return "", bot.Errorf("`%s` was already reviewed by %s a moment ago.", x.ID, mention(x.FollowUp.User))
		}
		x.FollowUp = &rv
		return st, nil
	})
	if err != nil {
		var ue *bot.UserError
		if errors.As(err, &ue) {
			return err
		}
		return fmt.Errorf("record review of %s: %w", r.ID, err)
	}
	a.audit(ctx, req.User, "access.breakglass.review", "ok", out, map[string]any{"verdict": rv.Verdict, "note": rv.Note, "role": role})
	a.flow.Announce(ctx, out, state,
		fmt.Sprintf("📝 Follow-up review by %s (%s): *%s* — %s", mention(req.User), role, rv.Verdict, bot.UserText(rv.Note)),
		fmt.Sprintf("📝 Your break-glass `%s` was reviewed by %s: *%s* — %s", out.ID, mention(req.User), rv.Verdict, bot.UserText(rv.Note)))
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("📝 Review of `%s` recorded. Thanks.", out.ID)})
}
