package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// act handles the "access:*" buttons.
func (a *Access) act(ctx context.Context, req *bot.Request, act bot.Action) error {
	switch act.ID {
	case ActionApprove:
		return a.review(ctx, req, act.Value, true)
	case ActionDeny:
		return a.review(ctx, req, act.Value, false)
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
	}
	return bot.Errorf("This button is no longer supported. Run `/plat access` again.")
}

// handleDecide is "/plat access approve|deny <id>": the Approve and Deny
// buttons as commands, for transports where the card is not at hand (a
// second shell session, a reviewer who only has the id). The same checks
// run; a recorded decision is confirmed to the reviewer.
func (a *Access) handleDecide(approve bool) func(context.Context, *bot.Request) error {
	return func(ctx context.Context, req *bot.Request) error {
		id := strings.ToLower(strings.TrimSpace(req.Arg(0)))
		if id == "" || len(req.Args) > 1 {
			return bot.Errorf("Usage: `/plat access approve <id>` or `/plat access deny <id>`; the id is on the request's card, e.g. `ar-k3j9x2mq7d`.")
		}
		if err := a.review(ctx, req, id, approve); err != nil {
			return err
		}
		r, state, err := a.load(ctx, id)
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

// refuse explains a refused click to the clicker only (ephemeral where the
// transport has a channel) and audits the refusal.
func (a *Access) refuse(ctx context.Context, req *bot.Request, r *AccessRequest, action, why string) error {
	if r != nil {
		a.audit(ctx, req.User, action, "deny", r, map[string]any{"why": why})
	}
	if req.Channel != "" && req.Messenger() != nil {
		if err := req.Messenger().Ephemeral(ctx, req.Channel, req.User.ID, bot.Message{Text: why}); err == nil {
			return nil
		}
	}
	return bot.Errorf("%s", why)
}

// eligibility says whether u may review requests on r's service: "peer"
// (in the owning team, not the requester) or "manager" (of the owning
// team); "" with the reason otherwise.
func (a *Access) eligibility(ctx context.Context, u bot.User, r *AccessRequest) (role string, why string, err error) {
	if u.ID == r.Requester.ID {
		return "", fmt.Sprintf("You can't review your own %s (`%s`): a peer in %s or their manager must.", r.Kind(), r.ID, r.Owner), nil
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

// review records an approval or a denial from a button click. The click is
// checked again now (team membership may have changed since the card was
// posted), and the decision is a compare-and-swap, so of concurrent clicks
// exactly one decides.
func (a *Access) review(ctx context.Context, req *bot.Request, id string, approve bool) error {
	r, state, err := a.loadUser(ctx, id)
	if err != nil {
		return err
	}
	action := "access.review"
	if state != StatePending {
		return a.refuse(ctx, req, nil, action, fmt.Sprintf("`%s` is already %s %s.", r.ID, statusIcon(state), statusLabel(state)))
	}
	role, why, err := a.checkReviewer(ctx, req, r)
	if err != nil {
		return err
	}
	if why != "" {
		return a.refuse(ctx, req, r, action, why)
	}
	now := a.now()
	rv := Review{User: req.User, Role: role, At: now}
	if who, err := a.cat.Identify(ctx, req.User); err == nil && who != nil {
		rv.UserRef = who.UserRef
	}
	var lost string // why this click did not count, when another won
	out, to, err := a.update(ctx, id, func(st string, x *AccessRequest) (string, error) {
		lost = ""
		if st != StatePending {
			lost = fmt.Sprintf("`%s` was %s %s a moment ago; your click did not change it.", x.ID, statusIcon(st), statusLabel(st))
			return "", errNoChange
		}
		if !approve {
			d := rv
			x.Denial = &d
			return StateDenied, nil
		}
		if x.ApprovedBy(req.User.ID) {
			lost = fmt.Sprintf("You already approved `%s`; it needs %d more approval(s) from someone else.", x.ID, x.Required-len(x.Approvals))
			return "", errNoChange
		}
		x.Approvals = append(x.Approvals, rv)
		if len(x.Approvals) < x.Required {
			return StatePending, nil
		}
		x.ApprovedAt = now
		x.ExpiresAt = now.Add(x.Duration)
		return StateApproved, nil
	})
	if err != nil {
		return err
	}
	if lost != "" {
		return a.refuse(ctx, req, nil, action, lost)
	}
	switch to {
	case StateDenied:
		a.audit(ctx, req.User, action, "deny", out, map[string]any{"role": role})
		a.announce(ctx, out, to,
			fmt.Sprintf("❌ %s (%s) denied this request.", mention(req.User), role),
			fmt.Sprintf("❌ Your request `%s` for %s was denied by %s.", out.ID, what(out), mention(req.User)))
		return nil
	case StatePending:
		a.audit(ctx, req.User, action, "allow", out, map[string]any{"role": role, "approvals": len(out.Approvals), "required": out.Required})
		a.announce(ctx, out, to,
			fmt.Sprintf("👍 %s (%s) approved — %d of %d approvals.", mention(req.User), role, len(out.Approvals), out.Required),
			fmt.Sprintf("👍 %s approved your request `%s` for %s (%d of %d approvals).", mention(req.User), out.ID, what(out), len(out.Approvals), out.Required))
		return nil
	}
	a.audit(ctx, req.User, action, "allow", out, map[string]any{"role": role, "approvals": len(out.Approvals), "required": out.Required})
	return a.approved(ctx, out)
}

// approved starts an approved request's life as a grant: its clock runs
// from now, credentials are issued by a job, and its expiry and warning are
// scheduled.
func (a *Access) approved(ctx context.Context, r *AccessRequest) error {
	var names []string
	for _, v := range r.Approvals {
		names = append(names, mention(v.User))
	}
	if r.ExtendsID != "" {
		a.announce(ctx, r, StateApproved,
			fmt.Sprintf("✅ Approved by %s. Extending `%s`.", strings.Join(names, ", "), r.ExtendsID),
			fmt.Sprintf("✅ Your extension `%s` of `%s` was approved by %s; a new kubeconfig follows.", r.ID, r.ExtendsID, strings.Join(names, ", ")))
		return a.enqueue(ctx, JobIssue, jobPayload{ID: r.ID}, a.now(), JobIssue+":"+r.ID)
	}
	a.announce(ctx, r, StateApproved,
		fmt.Sprintf("✅ Approved by %s. Issuing credentials; access ends at %s.", strings.Join(names, ", "), stamp(r.ExpiresAt)),
		fmt.Sprintf("✅ Your request `%s` for %s was approved by %s. %s Access ends at %s.",
			r.ID, what(r), strings.Join(names, ", "), a.arrives(r), stamp(r.ExpiresAt)))
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

// jobLapse expires a request nobody decided in time.
func (a *Access) jobLapse(ctx context.Context, payload json.RawMessage) error {
	var p jobPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return bot.Permanent(fmt.Errorf("decode %s payload: %w", JobLapse, err))
	}
	return a.lapse(ctx, p.ID)
}

func (a *Access) lapse(ctx context.Context, id string) error {
	now := a.now()
	out, to, err := a.update(ctx, id, func(st string, x *AccessRequest) (string, error) {
		if st != StatePending || now.Before(x.PendingUntil) {
			return "", errNoChange
		}
		return StateLapsed, nil
	})
	if errors.Is(err, errNotFound) {
		return bot.Permanent(err)
	}
	if err != nil || to != StateLapsed {
		return err
	}
	a.audit(ctx, system, "access.lapse", "expired", out, map[string]any{"approvals": len(out.Approvals), "required": out.Required})
	a.announce(ctx, out, to,
		fmt.Sprintf("⌛ Nobody decided by %s; this request expired.", stamp(out.PendingUntil)),
		fmt.Sprintf("⌛ Your request `%s` for %s expired: it was not approved by %s. Run `/plat access %s %s` to ask again.",
			out.ID, what(out), stamp(out.PendingUntil), out.ServiceName, out.Environment))
	return nil
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
