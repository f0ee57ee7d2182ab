package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
)

// act handles the "access:*" buttons.
func (a *Access) act(ctx context.Context, req *bot.Request, act bot.Action) error {
	switch act.ID {
	case ActionApprove:
		return a.flow.Decide(ctx, req, normID(act.Value), true)
	case ActionDeny:
		return a.flow.Decide(ctx, req, normID(act.Value), false)
	case ActionRequest:
		// The catalog's "Request prod access" button: its value is the
		// service's entity ref.
		req.Command, req.Args, req.Flags = "access", []string{act.Value}, bot.Flags{}
		if _, _, err := a.service(act.Value); err != nil {
			return err
		}
		f, err := a.requestForm(ctx, req)
		if err != nil {
			return err
		}
		return req.OpenForm(ctx, f)
	case ActionExtend:
		req.Command, req.Args, req.Flags = "access extend", []string{act.Value}, bot.Flags{}
		return a.handleExtend(ctx, req)
	case ActionReview:
		req.Command, req.Args, req.Flags = "access review", []string{act.Value}, bot.Flags{}
		return a.handleReview(ctx, req)
	case ActionRevoke:
		// The Revoke button of a grant on its holder's Home.
		req.Command, req.Args, req.Flags = "access revoke", []string{act.Value, "revoked from the App Home"}, bot.Flags{}
		return a.handleRevoke(ctx, req)
	}
	return bot.Errorf("This button is no longer supported. Run `/plat access` again.")
}

// handleDecide is "/plat access approve|deny <id>": the Approve and Deny
// buttons as commands, for transports where the card is not at hand (a
// second shell session, a reviewer who only has the id). The same checks
// run; a recorded decision is confirmed to the reviewer.
func (a *Access) handleDecide(approve bool) func(context.Context, *bot.Request) error {
	return func(ctx context.Context, req *bot.Request) error {
		id := normID(req.Arg(0))
		if id == "" || len(req.Args) > 1 {
			return bot.Errorf("Usage: `/plat access approve <id>` or `/plat access deny <id>`; the id is on the request's card, e.g. `ar-k3j9x2mq7d`.")
		}
		if err := a.flow.Decide(ctx, req, id, approve); err != nil {
			return err
		}
		r, state, err := a.flow.Load(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case approve && r.ApprovedBy(req.User.ID):
			return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("👍 Your approval of `%s` (%s) is recorded; it is %s %s.", r.ID, what(r), statusIcon(state), statusLabel(state))})
		case !approve && r.Denial != nil && r.Denial.User.ID == req.User.ID:
			return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("❌ You denied `%s` (%s).", r.ID, what(r))})
		}
		return nil // refused: review explained why
	}
}

// normID is a request id as typed or carried by a button.
func normID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// approvalConfig is the approval of access requests: bot/approval runs the
// lifecycle; access says who may review, what the card and the messages
// say, and what an approval starts.
func (a *Access) approvalConfig() approval.Config[AccessRequest] {
	return approval.Config[AccessRequest]{
		Kind:   RecordKind,
		Noun:   "access request",
		States: approval.States{Pending: StatePending, Approved: StateApproved, Denied: StateDenied, Lapsed: StateLapsed},
		ID:     func(r *AccessRequest) string { return r.ID },
		Ballot: func(r *AccessRequest) *approval.Ballot { return &r.Ballot },
		Key:    func(r *AccessRequest) string { return r.Service },
		NotFound: func(id string) error {
			if id == "" {
				return bot.Errorf("Which request? Give its id, e.g. `ar-k3j9x2mq7d` (see `/plat access list`).")
			}
			return bot.Errorf("There is no access request `%s`. `/plat access list` shows yours.", bot.UserText(id))
		},
		StateText:    func(state string) string { return statusIcon(state) + " " + statusLabel(state) },
		SelfRefusal:  selfRefusal,
		MayDecide:    a.mayDecide,
		PolicyAction: bot.ActionApprove,
		Resource: func(r *AccessRequest) bot.Resource {
			e, _ := a.cat.Get(r.Service)
			return r.resource(e)
		},
		Card:    a.card,
		Channel: a.cardChannel,
		Prepare: func(ctx context.Context, r *AccessRequest) func(*AccessRequest) {
			recent := a.recent(ctx, r)
			peers, manager := a.approvers(r.Owner, r.Requester.ID)
			return func(x *AccessRequest) { x.Recent, x.Peers, x.Manager = recent, peers, manager }
		},
		AlsoShownAt: func(r *AccessRequest) []bot.MessageRef { return []bot.MessageRef{r.TeamPost} },
		Texts:       a.texts,
		OnApprove: func(r *AccessRequest, now time.Time) {
			r.ApprovedAt = now
			r.ExpiresAt = now.Add(r.Duration)
		},
		Approved:     a.approved,
		DecideAction: "access.review",
		LapseAction:  "access.lapse",
		AuditTarget:  func(r *AccessRequest) string { return r.Service },
		AuditDetails: auditDetails,
		LapseJob:     JobLapse,
		JobAttempts:  jobAttempts,
	}
}

// cardChannel is the approvals channel of r's owner in r's environment.
func (a *Access) cardChannel(r *AccessRequest) (string, error) {
	env, ok := a.cfg.Env(r.Environment)
	if !ok {
		return "", fmt.Errorf("access request %s: environment %q is no longer configured", r.ID, r.Environment)
	}
	return env.ChannelFor(r.Owner), nil
}

// selfRefusal is what a requester is told who tries to review their own
// request.
func selfRefusal(r *AccessRequest) string {
	return fmt.Sprintf("You can't review your own %s (`%s`): a peer in %s or their manager must.", r.Kind(), r.ID, r.Owner)
}

// mayDecide is who may approve or deny r: its eligible reviewers (the
// policy is checked by the lifecycle after).
func (a *Access) mayDecide(ctx context.Context, req *bot.Request, r *AccessRequest) (approval.Eligibility, error) {
	role, why, err := a.eligibility(ctx, req.User, r)
	if err != nil || why != "" {
		return approval.Eligibility{Refusal: why}, err
	}
	el := approval.Eligibility{Role: role}
	if who, err := a.cat.Identify(ctx, req.User); err == nil && who != nil {
		el.UserRef = who.UserRef
	}
	return el, nil
}

// texts are what the card's thread and the requester are told of an
// outcome.
func (a *Access) texts(r *AccessRequest, ev approval.Event) approval.Texts {
	switch ev.Outcome {
	case approval.Denied:
		return approval.Texts{
			Thread: fmt.Sprintf("❌ %s (%s) denied this request.", mention(ev.By), ev.Role),
			DM:     fmt.Sprintf("❌ Your request `%s` for %s was denied by %s.", r.ID, what(r), mention(ev.By)),
		}
	case approval.Counted:
		return approval.Texts{
			Thread: fmt.Sprintf("👍 %s (%s) approved — %d of %d approvals.", mention(ev.By), ev.Role, len(r.Approvals), r.Required),
			DM:     fmt.Sprintf("👍 %s approved your request `%s` for %s (%d of %d approvals).", mention(ev.By), r.ID, what(r), len(r.Approvals), r.Required),
		}
	case approval.Lapsed:
		return approval.Texts{
			Thread: fmt.Sprintf("⌛ Nobody decided by %s; this request expired.", stamp(r.PendingUntil)),
			DM: fmt.Sprintf("⌛ Your request `%s` for %s expired: it was not approved by %s. Run `/plat access %s %s` to ask again.",
				r.ID, what(r), stamp(r.PendingUntil), r.ServiceName, r.Environment),
		}
	}
	var names []string
	for _, v := range r.Approvals {
		names = append(names, mention(v.User))
	}
	if r.ExtendsID != "" {
		return approval.Texts{
			Thread: fmt.Sprintf("✅ Approved by %s. Extending `%s`.", strings.Join(names, ", "), r.ExtendsID),
			DM:     fmt.Sprintf("✅ Your extension `%s` of `%s` was approved by %s; a new kubeconfig follows.", r.ID, r.ExtendsID, strings.Join(names, ", ")),
		}
	}
	return approval.Texts{
		Thread: fmt.Sprintf("✅ Approved by %s. Issuing credentials; access ends at %s.", strings.Join(names, ", "), stamp(r.ExpiresAt)),
		DM: fmt.Sprintf("✅ Your request `%s` for %s was approved by %s. %s Access ends at %s.",
			r.ID, what(r), strings.Join(names, ", "), a.arrives(r), stamp(r.ExpiresAt)),
	}
}

// eligibility says whether u may review requests on r's service: "peer"
// (in the owning team, not the requester) or "manager" (of the owning
// team); "" with the reason otherwise.
func (a *Access) eligibility(ctx context.Context, u bot.User, r *AccessRequest) (role string, why string, err error) {
	if u.ID == r.Requester.ID {
		return "", selfRefusal(r), nil
	}
	who, err := a.cat.Identify(ctx, u)
	if err != nil {
		return "", "", fmt.Errorf("identify reviewer %s: %w", u.ID, err)
	}
	if who == nil || who.UserRef == "" {
		return "", fmt.Sprintf("platbot can't find you in the catalog, so it can't tell whether you may review `%s`. Only peers in %s or their manager can.", r.ID, r.Owner), nil
	}
	if who.UserRef == r.RequesterRef && r.RequesterRef != "" {
		return "", fmt.Sprintf("You can't review your own %s (`%s`).", r.Kind(), r.ID), nil
	}
	if m := a.teamManager(r.Owner); m != "" && m == who.UserRef {
		return "manager", "", nil
	}
	// The requester's own manager counts when the requester is in the
	// owning team (the catalog finds it through the team's parents when the
	// team names none).
	if req, err := a.cat.Identify(ctx, r.Requester); err == nil && req != nil && req.Manager != "" && directMember(req, r.Owner) &&
		catalog.NormalizeRef(req.Manager, catalog.KindUser, catalog.DefaultNamespace) == who.UserRef {
		return "manager", "", nil
	}
	if directMember(who, r.Owner) {
		return "peer", "", nil
	}
	return "", fmt.Sprintf("Only peers in %s or their manager can review `%s`; you are not in that team.", r.Owner, r.ID), nil
}

// checkReviewer runs the policy engine and our own rule for a reviewer of
// r. A refusal comes back as why (for the clicker), an outage as err.
func (a *Access) checkReviewer(ctx context.Context, req *bot.Request, r *AccessRequest) (role, why string, err error) {
	role, why, err = a.eligibility(ctx, req.User, r)
	if err != nil || why != "" {
		return "", why, err
	}
	e, _ := a.cat.Get(r.Service)
	if err := a.rt().Authorize(ctx, req, bot.ActionApprove, r.resource(e)); err != nil {
		return "", userText(err), nil
	}
	return role, "", nil
}

// approved starts an approved request's life as a grant (the lifecycle
// has announced it): its clock runs from the approval, credentials are
// issued by a job, and its expiry and warning are scheduled. An extension
// is applied by the issuing job.
func (a *Access) approved(ctx context.Context, r *AccessRequest) error {
	if r.ExtendsID != "" {
		return a.enqueue(ctx, JobIssue, jobPayload{ID: r.ID}, a.now(), JobIssue+":"+r.ID)
	}
	return a.scheduleGrant(ctx, r)
}

// scheduleGrant queues the issuing, the expiry and the warning of a grant.
func (a *Access) scheduleGrant(ctx context.Context, r *AccessRequest) error {
	var errs []error
	errs = append(errs, a.enqueue(ctx, JobIssue, jobPayload{ID: r.ID}, a.now(), JobIssue+":"+r.ID))
	errs = append(errs, a.scheduleDeadline(ctx, r))
	return errors.Join(errs...)
}

// scheduleDeadline queues the expiry and the warning for r's deadline.
func (a *Access) scheduleDeadline(ctx context.Context, r *AccessRequest) error {
	dl := r.ExpiresAt
	key := fmt.Sprintf("%s:%d", r.ID, dl.UnixNano())
	errExp := a.enqueue(ctx, JobExpire, jobPayload{ID: r.ID, Deadline: dl}, dl, JobExpire+":"+key)
	warnAt := dl.Add(-a.cfg.WarnBefore.D())
	var errWarn error
	if warnAt.After(a.now()) {
		errWarn = a.enqueue(ctx, JobWarn, jobPayload{ID: r.ID, Deadline: dl}, warnAt, JobWarn+":"+key)
	}
	return errors.Join(errExp, errWarn)
}

// isAdmin reports whether the user holds the admin role.
func (a *Access) isAdmin(ctx context.Context, u bot.User) (bool, error) {
	who, err := a.cat.Identify(ctx, u)
	if err != nil {
		return false, fmt.Errorf("identify %s: %w", u.ID, err)
	}
	return who != nil && who.IsAdmin(), nil
}

// mayEnd says whether u may end grant r early: its requester, anyone who
// approved it, anyone who may approve it now, or an admin.
func (a *Access) mayEnd(ctx context.Context, u bot.User, r *AccessRequest) (bool, error) {
	if u.ID == r.Requester.ID || r.ApprovedBy(u.ID) {
		return true, nil
	}
	if admin, err := a.isAdmin(ctx, u); err != nil || admin {
		return admin, err
	}
	role, _, err := a.eligibility(ctx, u, r)
	return role != "", err
}

// contains is slices.Contains for the states lists.
func contains(states []string, s string) bool { return slices.Contains(states, s) }
