package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/integrations/kube"
)

// errGrantEnded aborts an extension whose grant ended first.
var errGrantEnded = errors.New("the grant ended before the extension was applied")

func decodePayload(kind string, payload json.RawMessage) (jobPayload, error) {
	var p jobPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.ID == "" {
		return p, bot.Permanent(fmt.Errorf("decode %s payload: %v", kind, err))
	}
	return p, nil
}

// permanentIfGone stops retrying a job whose request does not exist.
func permanentIfGone(err error) error {
	if errors.Is(err, approval.ErrNotFound) {
		return bot.Permanent(err)
	}
	return err
}

func (a *Access) jobIssue(ctx context.Context, payload json.RawMessage) error {
	p, err := decodePayload(JobIssue, payload)
	if err != nil {
		return err
	}
	return permanentIfGone(a.issue(ctx, p.ID))
}

func (a *Access) issuer(env string) (Issuer, error) {
	iss := a.issuers[env]
	if iss == nil {
		return nil, fmt.Errorf("access: no issuer for environment %q", env)
	}
	return iss, nil
}

// issue issues the credentials of an approved grant and sends them to the
// requester (or applies an approved extension). It is idempotent: a retry
// after a crash mints a fresh token when the last one may not have arrived,
// and does nothing once the kubeconfig was delivered or the grant ended.
func (a *Access) issue(ctx context.Context, id string) error {
	unlock := a.lock(id)
	defer unlock()
	r, state, err := a.flow.Load(ctx, id)
	if err != nil {
		return err
	}
	if r.ExtendsID != "" {
		return a.applyExtension(ctx, r, state)
	}
	switch {
	case state == StateApproved:
	case state == StateActive && r.Deliveries > 0 && r.DeliveredFor.Equal(r.ExpiresAt):
		return nil
	case state == StateActive:
	default:
		return nil // ended: the expiry or revocation cleans up
	}
	if !a.now().Before(r.ExpiresAt) {
		return nil // too late: the expiry job revokes
	}
	iss, err := a.issuer(r.Environment)
	if err != nil {
		return bot.Permanent(err)
	}
	creds, err := iss.Issue(ctx, a.issueGrant(r))
	if err != nil {
		if errors.Is(err, kube.ErrRejected) {
			return a.fail(ctx, r, err)
		}
		return fmt.Errorf("issue credentials for %s: %w", id, err)
	}
	if state == StateApproved {
		out, to, moved, err := a.move(ctx, id, func(st string, x *AccessRequest) (string, error) {
			if st != StateApproved {
				return "", approval.ErrNoChange
			}
			x.KubeIdentity = creds.Username
			return StateActive, nil
		})
		switch {
		case err != nil:
			return err
		case to != StateActive:
			// Revoked or expired while we issued: remove what we made.
			return a.cleanupLocked(ctx, id)
		case moved:
			a.started(ctx, out, creds)
		case out.Deliveries > 0 && out.DeliveredFor.Equal(out.ExpiresAt):
			// Another run (a replica running the same job) started the
			// grant and delivered it. One that has not delivered yet
			// may have stopped, so this run delivers too.
			return nil
		}
		r = out
	}
	if err := a.deliver(ctx, r, creds, ""); err != nil {
		return err
	}
	_, _, err = a.flow.Update(ctx, id, func(st string, x *AccessRequest) (string, error) {
		if st != StateActive {
			return "", approval.ErrNoChange
		}
		x.Deliveries++
		x.DeliveredFor = x.ExpiresAt
		return st, nil
	})
	return err
}

// started audits and announces a grant this run moved to active.
func (a *Access) started(ctx context.Context, r *AccessRequest, creds *kube.Credentials) {
	var approvers []string
	for _, v := range r.Approvals {
		approvers = append(approvers, v.User.ID)
	}
	details := map[string]any{
		"approved_by":      approvers,
		"approved_at":      r.ApprovedAt.UTC().Format(time.RFC3339),
		"token_expires_at": creds.ExpiresAt.UTC().Format(time.RFC3339),
		"credential_id":    creds.TokenID,
	}
	if creds.DryRun {
		details["dry_run"] = true
	}
	a.audit(ctx, system, "access.grant", "ok", r, details)
	a.flow.Refresh(ctx, r, StateActive)
	if creds.DryRun {
		a.flow.Thread(ctx, r, fmt.Sprintf("🧪 Dry run (demo mode): nothing was created in a cluster. %s was sent, by DM, the ServiceAccount `%s` and RoleBinding that would give them *%s* in `%s` until %s.",
			mention(r.Requester), r.KubeIdentity, r.Level, r.Namespace, stamp(r.ExpiresAt)), false)
		return
	}
	a.flow.Thread(ctx, r, fmt.Sprintf("🔑 Credentials sent to %s by DM. Kubernetes identity `%s` (context %s) until %s.",
		mention(r.Requester), r.KubeIdentity, r.KubeContext, stamp(r.ExpiresAt)), false)
}

// deliver sends a kubeconfig to the requester by DM: a message, then the
// file uploaded into the DM (or, when the transport cannot upload, a code
// block in the DM). Never anywhere else.
func (a *Access) deliver(ctx context.Context, r *AccessRequest, creds *kube.Credentials, note string) error {
	m, err := a.flow.Messenger(r)
	if err != nil {
		return err
	}
	if creds.DryRun {
		return a.deliverDryRun(ctx, m, r, creds, note)
	}
	name := "platbot-" + r.ID + ".kubeconfig"
	intro := fmt.Sprintf("🔑 Your %s access to `%s` in *%s* is ready%s. It works until *%s*; platbot revokes it then.\n"+
		"Identity: `%s` · namespace `%s`.\nUse it with `KUBECONFIG=%s kubectl get pods`. Keep it to yourself: anyone holding it acts as you.",
		r.Level, r.ServiceName, r.Environment, note, stamp(r.ExpiresAt), creds.Username, r.Namespace, name)
	ref, err := m.DM(ctx, r.Requester.ID, bot.Message{Text: intro})
	if err != nil {
		return fmt.Errorf("dm kubeconfig of %s to %s: %w", r.ID, r.Requester.ID, err)
	}
	err = m.Upload(ctx, ref.Channel, "", bot.File{
		Name: name, Title: "kubeconfig for " + r.ServiceName + " in " + r.Environment, Content: creds.Kubeconfig,
		Comment: "expires " + stamp(r.ExpiresAt),
	})
	if err == nil {
		return nil
	}
	a.log.Warn("upload kubeconfig failed; sending it as a code block in the DM", "request", r.ID, "err", err)
	if _, err := m.DM(ctx, r.Requester.ID, bot.Message{
		Text:   "kubeconfig for " + r.ServiceName + " (save as " + name + ")",
		Blocks: []bot.Block{bot.Section{Text: "Save this as `" + name + "`:"}, bot.Code{Text: string(creds.Kubeconfig)}},
	}); err != nil {
		return fmt.Errorf("dm kubeconfig of %s to %s: %w", r.ID, r.Requester.ID, err)
	}
	return nil
}

// arrives says what the requester of r receives by DM: a kubeconfig, or,
// from a dry-run issuer (demo mode), what would have been created.
func (a *Access) arrives(r *AccessRequest) string {
	if _, dry := a.issuers[r.Environment].(*kube.DryRunIssuer); dry {
		return "Dry run (demo mode): what platbot would create in the cluster arrives by DM; nothing is created."
	}
	return "Your kubeconfig arrives by DM."
}

// deliverDryRun tells the requester what a dry-run issuer would have
// created: the ServiceAccount, the RoleBinding and when they expire.
func (a *Access) deliverDryRun(ctx context.Context, m bot.Messenger, r *AccessRequest, creds *kube.Credentials, note string) error {
	text := fmt.Sprintf("🧪 *Dry run (demo mode)*: your %s access to `%s` in *%s* is approved%s, but no cluster is connected, so nothing was created and there is no kubeconfig.\n"+
		"platbot would create ServiceAccount `%s`, a RoleBinding in namespace `%s` to ClusterRole `%s`, and a token that expires at *%s*; platbot would revoke them then.",
		r.Level, r.ServiceName, r.Environment, note, creds.Username, r.Namespace, r.ClusterRole, stamp(r.ExpiresAt))
	if _, err := m.DM(ctx, r.Requester.ID, bot.Message{
		Text: text,
		Blocks: []bot.Block{
			bot.Section{Text: text},
			bot.Code{Text: string(creds.Objects)},
			bot.Context{Text: "Demo mode runs prod access against a dry-run issuer. Configure an `access` section and KUBECONFIG (examples/access/platbot.yaml) for real credentials."},
		},
	}); err != nil {
		return fmt.Errorf("dm dry run of %s to %s: %w", r.ID, r.Requester.ID, err)
	}
	return nil
}

// fail ends a grant that cannot be issued, cleans up and says why.
func (a *Access) fail(ctx context.Context, r *AccessRequest, cause error) error {
	now := a.now()
	msg := cause.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	_, to, err := a.flow.Update(ctx, r.ID, func(st string, x *AccessRequest) (string, error) {
		if !contains(live, st) {
			return "", approval.ErrNoChange
		}
		x.Failure = msg
		x.EndedAt = now
		return StateFailed, nil
	})
	if err != nil {
		return err
	}
	a.log.Error("access could not be issued", "request", r.ID, "err", cause)
	if to != StateFailed {
		return nil
	}
	// Also when another run failed it first: cleanupLocked removes what is
	// left and announces the end once (its CleanedUp mark decides).
	return a.cleanupLocked(ctx, r.ID)
}

func (a *Access) jobExpire(ctx context.Context, payload json.RawMessage) error {
	p, err := decodePayload(JobExpire, payload)
	if err != nil {
		return err
	}
	return permanentIfGone(a.expire(ctx, p.ID, p.Deadline))
}

// expire ends a grant whose deadline has passed and revokes it. A job for
// a deadline that an extension moved does nothing.
func (a *Access) expire(ctx context.Context, id string, deadline time.Time) error {
	now := a.now()
	_, _, err := a.flow.Update(ctx, id, func(st string, x *AccessRequest) (string, error) {
		if !contains(live, st) || x.ExtendsID != "" {
			return "", approval.ErrNoChange
		}
		if !deadline.IsZero() && x.ExpiresAt.After(deadline) {
			return "", approval.ErrNoChange
		}
		if now.Before(x.ExpiresAt) {
			return "", approval.ErrNoChange
		}
		x.EndedAt = now
		x.EndReason = "deadline reached"
		return StateExpired, nil
	})
	if err != nil {
		return err
	}
	return a.cleanup(ctx, id)
}

func (a *Access) jobCleanup(ctx context.Context, payload json.RawMessage) error {
	p, err := decodePayload(JobCleanup, payload)
	if err != nil {
		return err
	}
	return permanentIfGone(a.cleanup(ctx, p.ID))
}

// cleanup removes an ended grant's cluster objects, then tells everyone,
// once. It returns an error (so the job retries) while the cluster refuses.
func (a *Access) cleanup(ctx context.Context, id string) error {
	unlock := a.lock(id)
	defer unlock()
	return a.cleanupLocked(ctx, id)
}

func (a *Access) cleanupLocked(ctx context.Context, id string) error {
	r, state, err := a.flow.Load(ctx, id)
	if err != nil {
		return err
	}
	if !contains(ended, state) || r.CleanedUp {
		return nil
	}
	if r.ExtendsID == "" {
		iss, err := a.issuer(r.Environment)
		if err != nil {
			return bot.Permanent(err)
		}
		if err := iss.Revoke(ctx, r.grant()); err != nil {
			return fmt.Errorf("revoke %s in %s: %w", r.ID, r.Environment, err)
		}
	}
	out, state, moved, err := a.move(ctx, id, func(st string, x *AccessRequest) (string, error) {
		if x.CleanedUp {
			return "", approval.ErrNoChange
		}
		x.CleanedUp = true
		return st, nil
	})
	if err != nil || !moved {
		return err
	}
	a.ended(ctx, out, state)
	return nil
}

// ended announces and audits the end of a grant whose credentials are gone.
func (a *Access) ended(ctx context.Context, r *AccessRequest, state string) {
	ident := r.KubeIdentity
	switch state {
	case StateExpired:
		a.audit(ctx, system, "access.expire", "revoked", r, map[string]any{"ended_at": r.EndedAt.UTC().Format(time.RFC3339)})
		a.flow.Announce(ctx, r, state,
			fmt.Sprintf("⌛ Access ended at its deadline (%s). `%s` was deleted; its tokens no longer work.", stamp(r.EndedAt), ident),
			fmt.Sprintf("⌛ Your access `%s` (%s) ended at %s; its kubeconfig no longer works.", r.ID, what(r), stamp(r.EndedAt)))
	case StateRevoked:
		by := system
		if r.EndedBy != nil {
			by = *r.EndedBy
		}
		a.audit(ctx, by, "access.revoked", "revoked", r, map[string]any{"ended_at": r.EndedAt.UTC().Format(time.RFC3339), "why": r.EndReason})
		text := fmt.Sprintf("🔒 Revoked by %s: %s. `%s` was deleted; its tokens no longer work.", mention(by), bot.UserText(r.EndReason), ident)
		if r.ApprovedAt.IsZero() {
			text = fmt.Sprintf("🔒 Cancelled by %s before a decision: %s.", mention(by), bot.UserText(r.EndReason))
		}
		a.flow.Announce(ctx, r, state, text,
			fmt.Sprintf("🔒 Your access `%s` (%s) was revoked by %s: %s.", r.ID, what(r), mention(by), bot.UserText(r.EndReason)))
	case StateFailed:
		a.audit(ctx, system, "access.fail", "error", r, map[string]any{"failure": r.Failure})
		a.flow.Announce(ctx, r, state,
			"⚠️ Credentials could not be issued: "+r.Failure+". Nothing is left in the cluster.",
			fmt.Sprintf("⚠️ Your approved request `%s` (%s) could not be issued: %s. The platform team has the details.", r.ID, what(r), r.Failure))
	}
}

func (a *Access) jobWarn(ctx context.Context, payload json.RawMessage) error {
	p, err := decodePayload(JobWarn, payload)
	if err != nil {
		return err
	}
	return permanentIfGone(a.warn(ctx, p.ID, p.Deadline))
}

// warn tells the requester their access ends soon and offers an extension.
func (a *Access) warn(ctx context.Context, id string, deadline time.Time) error {
	r, state, err := a.flow.Load(ctx, id)
	if err != nil {
		return err
	}
	if !contains(live, state) || !r.ExpiresAt.Equal(deadline) || !a.now().Before(deadline) {
		return nil
	}
	first, err := a.st.Once(ctx, fmt.Sprintf("access.warned:%s:%d", id, deadline.UnixNano()))
	if err != nil || !first {
		return err
	}
	left := FormatDuration(deadline.Sub(a.now()))
	a.flow.DM(ctx, r, bot.Message{
		Text: fmt.Sprintf("⏰ Your access `%s` (%s) ends in %s, at %s.", r.ID, what(r), left, stamp(deadline)),
		Blocks: []bot.Block{
			bot.Section{Text: fmt.Sprintf("⏰ Your access `%s` (%s) ends in *%s*, at %s.", r.ID, what(r), left, stamp(deadline))},
			bot.Context{Text: "Need longer? An extension is a new, shorter request that the team approves again."},
			bot.Actions{Buttons: []bot.Button{{ActionID: ActionExtend, Text: "Extend", Value: r.ID, Style: bot.StylePrimary}}},
		},
	})
	a.flow.Thread(ctx, r, fmt.Sprintf("⏰ Ends in %s; %s was offered an extension.", left, mention(r.Requester)), false)
	return nil
}

// handleRevoke ends a grant early: "/plat access revoke <id> [reason]".
func (a *Access) handleRevoke(ctx context.Context, req *bot.Request) error {
	if len(req.Args) == 0 {
		return bot.Errorf("Usage: `/plat access revoke <id> [reason]`. `/plat access list` shows the ids.")
	}
	r, state, err := a.loadUser(ctx, req.Args[0])
	if err != nil {
		return err
	}
	ok, err := a.mayEnd(ctx, req.User, r)
	if err != nil {
		return err
	}
	if !ok {
		a.audit(ctx, req.User, "access.revoke", "deny", r, nil)
		return bot.Errorf("Only the requester of `%s`, its approvers, peers in %s or their manager, and admins can revoke it.", r.ID, r.Owner)
	}
	reason := strings.TrimSpace(strings.Join(req.Args[1:], " "))
	if reason == "" {
		reason = strings.TrimSpace(req.Flags["reason"])
	}
	if reason == "" {
		reason = "no reason given"
	}
	now := a.now()
	out, to, err := a.flow.Update(ctx, r.ID, func(st string, x *AccessRequest) (string, error) {
		switch {
		case st == StatePending:
		case contains(live, st) && x.ExtendsID == "":
		case x.ExtendsID != "" && st != StateDenied && st != StateLapsed && st != StateRevoked:
			return "", bot.Errorf("`%s` is an extension of `%s`; revoke the grant `%s` instead.", x.ID, x.ExtendsID, x.ExtendsID)
		default:
			return "", bot.Errorf("`%s` is already %s %s; nothing to revoke.", x.ID, statusIcon(st), statusLabel(st))
		}
		u := req.User
		x.EndedAt, x.EndedBy, x.EndReason = now, &u, reason
		return StateRevoked, nil
	})
	if err != nil {
		return err
	}
	a.audit(ctx, req.User, "access.revoke", "ok", out, map[string]any{"previous_state": state, "why": reason})
	if to != StateRevoked {
		return nil
	}
	if err := a.cleanup(ctx, out.ID); err != nil {
		a.log.Error("revoke: cluster cleanup failed; a job retries it", "request", out.ID, "err", err)
		if qerr := a.enqueue(ctx, JobCleanup, jobPayload{ID: out.ID}, now, JobCleanup+":"+out.ID); qerr != nil {
			return errors.Join(err, qerr)
		}
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("🔒 `%s` is revoked. Removing its credentials from %s failed for now; platbot keeps retrying.", out.ID, out.Environment)})
	}
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("🔒 `%s` is revoked; its credentials no longer work.", out.ID)})
}

// extendable checks that u may ask to extend grant r.
func (a *Access) extendable(u bot.User, r *AccessRequest, state string) error {
	switch {
	case r.ExtendsID != "":
		return bot.Errorf("`%s` is itself an extension; extend the grant `%s`.", r.ID, r.ExtendsID)
	case u.ID != r.Requester.ID:
		return bot.Errorf("Only %s, who holds `%s`, can ask to extend it.", mention(r.Requester), r.ID)
	case !contains(live, state):
		return bot.Errorf("`%s` is %s %s; request access again with `/plat access %s %s`.", r.ID, statusIcon(state), statusLabel(state), r.ServiceName, r.Environment)
	}
	return nil
}

// extensionChoices are the durations an extension of r may ask for: no
// longer than the grant itself, its environment's maximum, or what keeps
// the whole grant within the hard cap.
func (a *Access) extensionChoices(r *AccessRequest) []time.Duration {
	env, ok := a.cfg.Env(r.Environment)
	if !ok {
		return nil
	}
	limit := min(r.Duration, env.MaxDuration.D())
	if room := HardMaxDuration - r.ExpiresAt.Sub(r.ApprovedAt); room < limit {
		limit = room
	}
	var out []time.Duration
	for _, d := range a.cfg.DurationChoices(env) {
		if d <= limit {
			out = append(out, d)
		}
	}
	return out
}

func (a *Access) handleExtend(ctx context.Context, req *bot.Request) error {
	r, state, err := a.loadUser(ctx, req.Arg(0))
	if err != nil {
		return err
	}
	if err := a.extendable(req.User, r, state); err != nil {
		return err
	}
	if len(a.extensionChoices(r)) == 0 {
		return bot.Errorf("`%s` cannot be extended further (grants last at most %s in all). Request access again when it ends.", r.ID, FormatDuration(HardMaxDuration))
	}
	f, err := a.extendForm(ctx, req)
	if err != nil {
		return err
	}
	return req.OpenForm(ctx, f)
}

func (a *Access) extendForm(ctx context.Context, req *bot.Request) (*bot.Form, error) {
	r, _, err := a.loadUser(ctx, req.Arg(0))
	if err != nil {
		return nil, err
	}
	var opts []bot.Option
	for _, d := range a.extensionChoices(r) {
		opts = append(opts, bot.Option{Value: FormatDuration(d), Label: "+" + FormatDuration(d)})
	}
	def := ""
	if len(opts) > 0 {
		def = opts[0].Value
	}
	return &bot.Form{
		ID:         "access extend",
		Title:      "Extend access",
		SubmitText: "Ask",
		Intro: fmt.Sprintf("`%s`: %s until %s. An extension is approved by the team again, like a new request.",
			r.ID, what(r), stamp(r.ExpiresAt)),
		Fields: []bot.Field{
			{ID: fieldDuration, Label: "Extend by", Kind: bot.FieldSelect, Required: true, Options: opts, Default: def},
			{ID: fieldReason, Label: "Reason", Kind: bot.FieldLongText, Required: true, MinLen: ReasonMin, MaxLen: ReasonMax,
				Help: "why you need longer"},
		},
	}, nil
}

func (a *Access) checkExtend(ctx context.Context, req *bot.Request, v bot.Values) (*AccessRequest, time.Duration, error) {
	r, state, err := a.loadUser(ctx, req.Arg(0))
	if err != nil {
		return nil, 0, err
	}
	if err := a.extendable(req.User, r, state); err != nil {
		return nil, 0, err
	}
	errs := bot.FieldErrors{}
	d, err := ParseDuration(v.Get(fieldDuration))
	if err != nil || !slices.Contains(a.extensionChoices(r), d) {
		errs[fieldDuration] = "choose one of the durations offered (an extension is at most as long as the grant)"
	}
	if msg := checkReason(strings.TrimSpace(v.Get(fieldReason))); msg != "" {
		errs[fieldReason] = msg
	}
	if len(errs) > 0 {
		return nil, 0, errs
	}
	return r, d, nil
}

func (a *Access) validateExtend(ctx context.Context, req *bot.Request, v bot.Values) bot.FieldErrors {
	_, _, err := a.checkExtend(ctx, req, v)
	return fieldErrors(err, fieldDuration)
}

// submitExtend posts an extension request for approval.
func (a *Access) submitExtend(ctx context.Context, req *bot.Request, v bot.Values) error {
	g, d, err := a.checkExtend(ctx, req, v)
	if err != nil {
		return err
	}
	env, ok := a.cfg.Env(g.Environment)
	if !ok {
		return bot.Errorf("Environment %s is no longer configured.", g.Environment)
	}
	now := a.now()
	x := *g
	x.ID = requestID("ax-", req.ID+"|"+req.User.ID+"|"+g.ID+"|"+canonical(v))
	x.ExtendsID = g.ID
	x.Transport = req.Transport
	x.Duration = d
	x.Reason = strings.TrimSpace(v.Get(fieldReason))
	x.BreakGlass = false
	x.Required = env.ApprovalsRequired
	x.Approvals, x.Denial, x.FollowUp = nil, nil, nil
	x.Created = now
	x.PendingUntil = now.Add(a.cfg.PendingTTL.D())
	if g.ExpiresAt.Before(x.PendingUntil) {
		x.PendingUntil = g.ExpiresAt
	}
	x.Card, x.TeamPost = bot.MessageRef{}, bot.MessageRef{}
	x.ApprovedAt, x.ExpiresAt = time.Time{}, time.Time{}
	x.Deliveries, x.DeliveredFor, x.Extensions, x.ExtendedTo = 0, time.Time{}, nil, time.Time{}
	x.Recent, x.Peers, x.Manager = nil, nil, ""
	x.Nags = 0
	created, err := a.flow.Save(ctx, &x, StatePending)
	if err != nil {
		return err
	}
	if created {
		a.audit(ctx, req.User, "access.extend.request", "ok", &x, map[string]any{"grant_expires_at": g.ExpiresAt.UTC().Format(time.RFC3339)})
		a.flow.Thread(ctx, g, fmt.Sprintf("⏱️ %s asked to extend this grant by %s: `%s`.", mention(req.User), FormatDuration(d), x.ID), false)
	}
	if err := a.flow.Open(ctx, &x); err != nil {
		return err
	}
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("📨 Extension `%s` of `%s` by %s is posted in %s for approval.",
		x.ID, g.ID, FormatDuration(d), channelLink(env.ChannelFor(g.Owner)))})
}

// applyExtension extends an approved extension's grant, once, and sends the
// requester a kubeconfig valid until the new deadline.
func (a *Access) applyExtension(ctx context.Context, x *AccessRequest, state string) error {
	if state != StateApproved {
		return nil
	}
	unlock := a.lock(x.ExtendsID)
	defer unlock()
	now := a.now()
	g, gstate, err := a.flow.Update(ctx, x.ExtendsID, func(st string, p *AccessRequest) (string, error) {
		if !contains(live, st) || !now.Before(p.ExpiresAt) {
			return "", errGrantEnded
		}
		if slices.Contains(p.Extensions, x.ID) {
			return "", approval.ErrNoChange
		}
		p.ExpiresAt = p.ExpiresAt.Add(x.Duration)
		p.Extensions = append(p.Extensions, x.ID)
		return st, nil
	})
	if errors.Is(err, errGrantEnded) {
		out, to, moved, uerr := a.move(ctx, x.ID, func(st string, e *AccessRequest) (string, error) {
			if st != StateApproved {
				return "", approval.ErrNoChange
			}
			e.Failure = errGrantEnded.Error()
			e.EndedAt = now
			e.CleanedUp = true // an extension owns no cluster objects
			return StateFailed, nil
		})
		if uerr != nil || !moved {
			return uerr
		}
		a.audit(ctx, system, "access.extend", "error", out, map[string]any{"failure": out.Failure})
		a.flow.Announce(ctx, out, to, "⚠️ "+out.Failure+"; nothing was extended.",
			fmt.Sprintf("⚠️ Your extension `%s` could not be applied: %s. Request access again with `/plat access %s %s`.",
				out.ID, out.Failure, out.ServiceName, out.Environment))
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.scheduleDeadline(ctx, g); err != nil {
		return err
	}
	iss, err := a.issuer(g.Environment)
	if err != nil {
		return bot.Permanent(err)
	}
	if !(g.Deliveries > 0 && g.DeliveredFor.Equal(g.ExpiresAt)) {
		creds, err := iss.Issue(ctx, a.issueGrant(g))
		if errors.Is(err, kube.ErrRejected) {
			a.log.Error("extension: the cluster refused new credentials", "request", g.ID, "extension", x.ID, "err", err)
			return bot.Permanent(fmt.Errorf("issue extended credentials for %s: %w", g.ID, err))
		}
		if err != nil {
			return fmt.Errorf("issue extended credentials for %s: %w", g.ID, err)
		}
		if err := a.deliver(ctx, g, creds, " (extended by "+FormatDuration(x.Duration)+")"); err != nil {
			return err
		}
		if _, _, err := a.flow.Update(ctx, g.ID, func(st string, p *AccessRequest) (string, error) {
			p.Deliveries++
			p.DeliveredFor = p.ExpiresAt
			return st, nil
		}); err != nil {
			return err
		}
	}
	out, to, moved, err := a.move(ctx, x.ID, func(st string, e *AccessRequest) (string, error) {
		if st != StateApproved {
			return "", approval.ErrNoChange
		}
		e.ExtendedTo = g.ExpiresAt
		e.KubeIdentity = g.KubeIdentity
		return StateApplied, nil
	})
	if err != nil || !moved {
		return err
	}
	var approvers []string
	for _, v := range out.Approvals {
		approvers = append(approvers, v.User.ID)
	}
	a.audit(ctx, system, "access.extend", "ok", g, map[string]any{
		"extension": out.ID, "extended_by": FormatDuration(out.Duration), "approved_by": approvers, "why": out.Reason,
	})
	a.flow.Refresh(ctx, out, to)
	a.flow.Thread(ctx, out, fmt.Sprintf("✅ `%s` now ends at %s.", g.ID, stamp(g.ExpiresAt)), false)
	a.flow.Refresh(ctx, g, gstate)
	a.flow.Thread(ctx, g, fmt.Sprintf("⏱️ Extended by %s until %s (approved in `%s`); a new kubeconfig was sent to %s.",
		FormatDuration(out.Duration), stamp(g.ExpiresAt), out.ID, mention(g.Requester)), false)
	return nil
}
