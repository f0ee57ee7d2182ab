package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/store"
)

// Form field ids.
const (
	fieldService  = "service"
	fieldEnv      = "environment"
	fieldLevel    = "level"
	fieldDuration = "duration"
	fieldReason   = "reason"
	fieldTicket   = "ticket"
	fieldConfirm  = "confirm"
	fieldVerdict  = "verdict"
	fieldNote     = "note"
)

const flagBreakGlass = "break-glass"

func (a *Access) commands() []*bot.Command {
	return []*bot.Command{
		{
			Name:    "access",
			Usage:   "<service> [env] [--break-glass]",
			Summary: "request temporary access to a service's namespace in an environment",
			Help: "Opens a form: environment (" + strings.Join(a.cfg.EnvNames(), ", ") + "), access level (" +
				strings.Join(a.cfg.LevelNames(), ", ") + "), reason, duration and an optional ticket link. " +
				"The owning team approves in its approvals channel; your kubeconfig arrives by DM and stops working at the deadline.\n" +
				"`--break-glass` grants at once for at most 1h in an emergency: it is announced to the team and must be reviewed.\n" +
				"See also `/plat access list`, `/plat access revoke <id>`, `/plat access extend <id>`.",
			Action:    bot.ActionRead,
			BoolFlags: []string{flagBreakGlass},
			Flags:     []string{"reason"},
			Handle:    a.handleRequest,
			Form:      a.requestForm,
			Validate:  a.validateRequest,
			Submit:    a.submitRequest,
		},
		{
			Name:    "access list",
			Summary: "show your active and recent access grants (admins: everyone's)",
			Action:  bot.ActionRead,
			Handle:  a.handleList,
		},
		{
			Name:    "access revoke",
			Flags:   []string{"reason"},
			Usage:   "<id> [reason]",
			Summary: "end an access grant now (requester, approvers, admins)",
			Action:  bot.ActionRead,
			Handle:  a.handleRevoke,
		},
		{
			Name:     "access extend",
			Usage:    "<id>",
			Summary:  "ask to extend one of your active grants (a new, shorter approval)",
			Action:   bot.ActionRead,
			Handle:   a.handleExtend,
			Form:     a.extendForm,
			Validate: a.validateExtend,
			Submit:   a.submitExtend,
		},
		{
			Name:    "access approve",
			Usage:   "<id>",
			Summary: "approve an access request, as its Approve button does (peers in the owning team or its manager)",
			Action:  bot.ActionRead,
			Handle:  a.handleDecide(true),
		},
		{
			Name:    "access deny",
			Usage:   "<id>",
			Summary: "deny an access request, as its Deny button does (peers in the owning team or its manager)",
			Action:  bot.ActionRead,
			Handle:  a.handleDecide(false),
		},
		{
			Name:     "access review",
			Usage:    "<id>",
			Summary:  "record the follow-up review of a break-glass grant",
			Action:   bot.ActionRead,
			Handle:   a.handleReview,
			Form:     a.reviewForm,
			Validate: a.validateReview,
			Submit:   a.submitReview,
		},
	}
}

// requestArgs splits "<service> [env]" (or "<env> <service>", as in
// "/plat access prod checkout") into its words.
func (a *Access) requestArgs(req *bot.Request) (service, env string) {
	args := req.Args
	switch len(args) {
	case 0:
		return "", ""
	case 1:
		if len(a.cfg.MatchEnvs(args[0])) > 0 {
			if _, isService := a.cat.Get(args[0]); !isService {
				return "", args[0]
			}
		}
		return args[0], ""
	}
	first, second := args[0], args[1]
	if len(a.cfg.MatchEnvs(first)) > 0 && len(a.cfg.MatchEnvs(second)) == 0 {
		return second, first
	}
	return first, second
}

// handleRequest checks the command line and opens the request form.
func (a *Access) handleRequest(ctx context.Context, req *bot.Request) error {
	if len(req.Args) > 2 {
		return bot.Errorf("Usage: `/plat access <service> [env] [--break-glass]` (the reason goes in the form).")
	}
	svc, env := a.requestArgs(req)
	if svc != "" {
		if _, _, err := a.service(svc); err != nil {
			return err
		}
	}
	if env != "" && len(a.cfg.MatchEnvs(env)) == 0 {
		return bot.Errorf("There is no environment `%s`. Choose one of %s.", env, quoted(a.cfg.EnvNames()))
	}
	if req.Flags.Has(flagBreakGlass) && env != "" && !slices.ContainsFunc(a.cfg.MatchEnvs(env), (*Environment).BreakGlassAllowed) {
		return bot.Errorf("Break-glass access is not allowed in `%s`.", env)
	}
	f, err := a.requestForm(ctx, req)
	if err != nil {
		return err
	}
	return req.OpenForm(ctx, f)
}

// service resolves a service word to its catalog entity, its namespace and
// its owner, or says in words what is missing.
func (a *Access) service(word string) (*catalog.Entity, string, error) {
	e, ok := a.cat.Get(word)
	if !ok {
		return nil, "", bot.Errorf("There is no service `%s` in the catalog. Use the name shown by `/plat catalog search`.", bot.UserText(word))
	}
	ns := e.Annotation(catalog.AnnotationNamespace)
	if ns == "" {
		return nil, "", bot.Errorf("`%s` has no `%s` annotation, so platbot does not know its namespace. Ask %s to add it to catalog-info.yaml.",
			e.Ref(), catalog.AnnotationNamespace, orUnknown(e.Owner()))
	}
	if e.Owner() == "" {
		return nil, "", bot.Errorf("`%s` has no owner in the catalog, so nobody can approve access to it.", e.Ref())
	}
	if slices.Contains(kube.SystemNamespaces, ns) {
		return nil, "", bot.Errorf("`%s` names namespace `%s` (its `%s` annotation), a system namespace: platbot never grants access there. Ask %s to set the service's own namespace in catalog-info.yaml.",
			e.Ref(), ns, catalog.AnnotationNamespace, e.Owner())
	}
	return e, ns, nil
}

// checkNamespace says whether env allows access to be bound in ns, the
// namespace e's catalog entry names: the platform's rule for the
// environment decides (see Namespaces), not the catalog. A refusal is a
// UserError naming the namespace; a cluster outage is an error.
func (a *Access) checkNamespace(ctx context.Context, env *Environment, e *catalog.Entity, ns string) error {
	iss, err := a.issuer(env.Name)
	if err != nil {
		return err
	}
	err = iss.CheckNamespace(ctx, ns, env.ServiceAccountNamespace, env.Namespaces.Rule())
	var ne *kube.NamespaceError
	if errors.As(err, &ne) {
		return bot.Errorf("platbot does not grant access in namespace `%s` (the `%s` annotation of %s) in %s: %s. Ask the platform team if it should.",
			ne.Namespace, catalog.AnnotationNamespace, e.Metadata.Name, env.Name, ne.Why)
	}
	if err != nil {
		return fmt.Errorf("check namespace %s in %s: %w", ns, env.Name, err)
	}
	return nil
}

// directMember reports whether who is a direct member of group (its
// spec.memberOf): the members of a group above a team do not own the
// team's services, nor does a team own its parent's.
func directMember(who *catalog.Identity, group string) bool {
	if who == nil || group == "" {
		return false
	}
	g := catalog.NormalizeRef(group, catalog.KindGroup, catalog.DefaultNamespace)
	return slices.ContainsFunc(who.DirectGroups, func(x string) bool { return strings.EqualFold(x, g) })
}

// breakGlassResource is what a break-glass decision is about, for the
// policy engine: the service, its owner, and tags naming the requester,
// environment and level.
func breakGlassResource(e *catalog.Entity, env *Environment, level, requester string) bot.Resource {
	return bot.Resource{
		Kind:      strings.ToLower(e.Kind),
		Name:      e.Metadata.Name,
		Ref:       e.Ref(),
		Owner:     e.Owner(),
		Lifecycle: e.Lifecycle(),
		Tags: []string{
			"requester:" + requester,
			"environment:" + env.Name,
			"level:" + level,
			"break-glass",
		},
	}
}

// requestForm builds the request form (or the break-glass form) for the
// command line in req. It is deterministic for the same request.
func (a *Access) requestForm(_ context.Context, req *bot.Request) (*bot.Form, error) {
	svc, envWord := a.requestArgs(req)
	bg := req.Flags.Has(flagBreakGlass)
	envs := a.cfg.MatchEnvs(envWord)
	if len(envs) == 0 {
		for i := range a.cfg.Environments {
			envs = append(envs, &a.cfg.Environments[i])
		}
	}
	if bg {
		envs = slices.DeleteFunc(envs, func(e *Environment) bool { return !e.BreakGlassAllowed() })
		if len(envs) == 0 {
			return nil, bot.Errorf("Break-glass access is not allowed in any environment that matches.")
		}
	}
	var envOpts []bot.Option
	var levels []string
	var durations []time.Duration
	for _, e := range envs {
		label := e.Name
		if e.ApprovalsRequired > 1 && !bg {
			label += fmt.Sprintf(" (%d approvals)", e.ApprovalsRequired)
		}
		envOpts = append(envOpts, bot.Option{Value: e.Name, Label: label})
		for _, l := range a.cfg.EnvLevels(e) {
			if !slices.Contains(levels, l) {
				levels = append(levels, l)
			}
		}
		for _, d := range a.cfg.DurationChoices(e) {
			if bg && d > BreakGlassMaxDuration {
				continue
			}
			if !slices.Contains(durations, d) {
				durations = append(durations, d)
			}
		}
	}
	if bg && !slices.Contains(durations, BreakGlassMaxDuration) &&
		slices.ContainsFunc(envs, func(e *Environment) bool { return e.MaxDuration.D() >= BreakGlassMaxDuration }) {
		durations = append(durations, BreakGlassMaxDuration)
	}
	slices.Sort(durations)
	levels = sortLevels(levels)
	var levelOpts []bot.Option
	for _, l := range levels {
		levelOpts = append(levelOpts, bot.Option{Value: l, Label: l + " (" + a.cfg.Levels[l] + ")"})
	}
	var durOpts []bot.Option
	def := ""
	for _, d := range durations {
		s := FormatDuration(d)
		durOpts = append(durOpts, bot.Option{Value: s, Label: s})
		if d <= a.cfg.DefaultDuration.D() {
			def = s
		}
	}
	if def == "" && len(durOpts) > 0 {
		def = durOpts[0].Value
	}
	envDefault := ""
	if len(envs) == 1 {
		envDefault = envs[0].Name
	}
	f := &bot.Form{
		ID:         "access",
		Title:      "Request access",
		SubmitText: "Request",
		Intro:      "Approvers in the owning team see everything you enter here.",
		Fields: []bot.Field{
			{ID: fieldService, Label: "Service", Kind: bot.FieldText, Required: true, Default: svc,
				Help: "catalog name of the service, e.g. checkout-service"},
			{ID: fieldEnv, Label: "Environment", Kind: bot.FieldSelect, Required: true, Options: envOpts, Default: envDefault},
			{ID: fieldLevel, Label: "Access level", Kind: bot.FieldSelect, Required: true, Options: levelOpts, Default: first(levels)},
			{ID: fieldReason, Label: "Reason", Kind: bot.FieldLongText, Required: true, MinLen: ReasonMin, MaxLen: ReasonMax,
				Help: "what you need to do and why; approvers decide on this"},
			{ID: fieldDuration, Label: "Duration", Kind: bot.FieldSelect, Required: true, Options: durOpts, Default: def,
				Help: "starts when the request is approved"},
			{ID: fieldTicket, Label: "Ticket link", Kind: bot.FieldText, Pattern: `https?://\S+`,
				PatternHint: "a link such as https://jira.example.com/browse/OPS-123", Placeholder: "https://…"},
		},
	}
	if bg {
		f.Title = "Break-glass access"
		f.SubmitText = "Break glass"
		f.Intro = fmt.Sprintf("🚨 Emergency access is granted at once, for at most %s, without approval. "+
			"It is announced to the approvals channel and your team, and someone must review it afterwards.",
			FormatDuration(BreakGlassMaxDuration))
		f.Field(fieldReason).Help = "the incident and what you must do; this is broadcast"
		f.Field(fieldReason).Default = req.Flags["reason"]
		f.Fields = append(f.Fields, bot.Field{
			ID: fieldConfirm, Label: "I confirm this is an emergency and accept that it is announced and reviewed",
			Kind: bot.FieldBool, Required: true,
		})
	}
	return f, nil
}

// draft is a validated submission of the request form.
type draft struct {
	entity   *catalog.Entity
	env      *Environment
	ns       string
	level    string
	duration time.Duration
	reason   string
	ticket   string
	bg       bool
	who      *catalog.Identity
}

// checkRequest validates a submission beyond the fields' own rules. Field
// errors are returned as bot.FieldErrors.
func (a *Access) checkRequest(ctx context.Context, req *bot.Request, v bot.Values) (*draft, error) {
	d := &draft{bg: req.Flags.Has(flagBreakGlass)}
	errs := bot.FieldErrors{}
	svc := strings.TrimSpace(v.Get(fieldService))
	if svc == "" {
		errs[fieldService] = "this field is required"
	} else if e, ns, err := a.service(svc); err != nil {
		errs[fieldService] = userText(err)
	} else {
		d.entity, d.ns = e, ns
	}
	envName := v.Get(fieldEnv)
	if e, ok := a.cfg.Env(envName); !ok {
		errs[fieldEnv] = fmt.Sprintf("unknown environment %q; choose one of %s", envName, strings.Join(a.cfg.EnvNames(), ", "))
	} else {
		d.env = e
	}
	d.level = strings.ToLower(v.Get(fieldLevel))
	if _, ok := a.cfg.Levels[d.level]; !ok {
		errs[fieldLevel] = fmt.Sprintf("unknown access level %q; choose one of %s", d.level, strings.Join(a.cfg.LevelNames(), ", "))
	} else if d.env != nil && !slices.Contains(a.cfg.EnvLevels(d.env), d.level) {
		errs[fieldLevel] = fmt.Sprintf("%s allows only %s", d.env.Name, strings.Join(a.cfg.EnvLevels(d.env), ", "))
	}
	dur, err := ParseDuration(v.Get(fieldDuration))
	switch {
	case err != nil:
		errs[fieldDuration] = "choose one of the durations offered"
	case dur < MinDuration:
		errs[fieldDuration] = fmt.Sprintf("must be at least %s", FormatDuration(MinDuration))
	case dur > HardMaxDuration:
		errs[fieldDuration] = fmt.Sprintf("%s is more than the hard cap of %s", FormatDuration(dur), FormatDuration(HardMaxDuration))
	case d.env != nil && dur > d.env.MaxDuration.D():
		errs[fieldDuration] = fmt.Sprintf("%s allows at most %s", d.env.Name, d.env.MaxDuration)
	case d.bg && dur > BreakGlassMaxDuration:
		errs[fieldDuration] = fmt.Sprintf("break-glass access lasts at most %s", FormatDuration(BreakGlassMaxDuration))
	}
	d.duration = dur
	d.reason = strings.TrimSpace(v.Get(fieldReason))
	if msg := checkReason(d.reason); msg != "" {
		errs[fieldReason] = msg
	}
	d.ticket = strings.TrimSpace(v.Get(fieldTicket))
	if d.ticket != "" && !strings.HasPrefix(d.ticket, "https://") && !strings.HasPrefix(d.ticket, "http://") {
		errs[fieldTicket] = "a link such as https://jira.example.com/browse/OPS-123"
	}
	if d.bg {
		if v.Get(fieldConfirm) != "true" {
			errs[fieldConfirm] = "confirm that this is an emergency"
		}
		if d.env != nil && !d.env.BreakGlassAllowed() {
			errs[fieldEnv] = fmt.Sprintf("break-glass access is not allowed in %s", d.env.Name)
		}
	}
	if d.env != nil && d.entity != nil && d.env.ChannelFor(d.entity.Owner()) == "" {
		errs[fieldEnv] = fmt.Sprintf("no approvals channel is configured for %s in %s; ask the platform team", d.entity.Owner(), d.env.Name)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := a.checkNamespace(ctx, d.env, d.entity, d.ns); err != nil {
		var ue *bot.UserError
		if errors.As(err, &ue) {
			return nil, bot.FieldErrors{fieldService: ue.Msg}
		}
		return nil, err
	}
	who, err := a.cat.Identify(ctx, req.User)
	if err != nil {
		return nil, fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	d.who = who
	if d.bg {
		// The same rule as approving: the owners are the owning team's
		// direct members. Then the policy decides (action break-glass), so
		// admins can narrow it further with a rule.
		if !directMember(who, d.entity.Owner()) && (who == nil || !who.IsAdmin()) {
			return nil, bot.FieldErrors{fieldService: fmt.Sprintf("break-glass access to %s is for direct members of %s (and admins); members of a parent group are not its owners. Request normal access instead",
				d.entity.Metadata.Name, d.entity.Owner())}
		}
		rt := a.rt()
		if rt == nil {
			return nil, errors.New("access: not registered with a router")
		}
		if err := rt.Authorize(ctx, req, bot.ActionBreakGlass, breakGlassResource(d.entity, d.env, d.level, req.User.ID)); err != nil {
			var ue *bot.UserError
			if errors.As(err, &ue) {
				return nil, bot.FieldErrors{fieldService: ue.Msg}
			}
			return nil, err
		}
	}
	return d, nil
}

func checkReason(s string) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "say why you need access"
	case n < ReasonMin:
		return fmt.Sprintf("must be at least %d characters (got %d)", ReasonMin, n)
	case n > ReasonMax:
		return fmt.Sprintf("must be at most %d characters (got %d)", ReasonMax, n)
	}
	return ""
}

func (a *Access) validateRequest(ctx context.Context, req *bot.Request, v bot.Values) bot.FieldErrors {
	_, err := a.checkRequest(ctx, req, v)
	return fieldErrors(err, fieldService)
}

// fieldErrors turns the error of a form's check into its field errors: its
// own when it has them, else the error's text under field.
func fieldErrors(err error, field string) bot.FieldErrors {
	var fe bot.FieldErrors
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return fe
	}
	return bot.FieldErrors{field: userText(err)}
}

// submitRequest creates the request from a valid submission: a pending
// request posted to the approvals channel, or a break-glass grant.
func (a *Access) submitRequest(ctx context.Context, req *bot.Request, v bot.Values) error {
	d, err := a.checkRequest(ctx, req, v)
	if err != nil {
		return err
	}
	now := a.now()
	owner := d.entity.Owner()
	r := &AccessRequest{
		Ballot:      approval.Ballot{Requester: req.User, Transport: req.Transport, Required: d.env.ApprovalsRequired},
		ID:          requestID("ar-", req.ID+"|"+req.User.ID+"|"+canonical(v)),
		Service:     d.entity.Ref(),
		ServiceName: d.entity.Metadata.Name,
		Owner:       owner,
		Namespace:   d.ns,
		Environment: d.env.Name,
		Level:       d.level,
		ClusterRole: a.cfg.Levels[d.level],
		Duration:    d.duration,
		Reason:      d.reason,
		Ticket:      d.ticket,
		BreakGlass:  d.bg,
		Created:     now,
		KubeContext: d.env.KubeContext,
		SANamespace: d.env.ServiceAccountNamespace,
	}
	if d.who != nil {
		r.RequesterRef = d.who.UserRef
	}
	state := StatePending
	if d.bg {
		state = StateApproved
		r.Required = 0
		r.ApprovedAt = now
		r.ExpiresAt = now.Add(r.Duration)
	} else {
		r.PendingUntil = now.Add(a.cfg.PendingTTL.D())
	}
	r.KubeIdentity = r.grant().Username()
	created, err := a.flow.Save(ctx, r, state)
	if err != nil {
		return err
	}
	if !created {
		// A retried submission: carry on where it stopped.
		want := r
		if r, state, err = a.flow.Load(ctx, r.ID); err != nil {
			return err
		}
		if r.Requester.ID != want.Requester.ID || r.Service != want.Service {
			return fmt.Errorf("access request id %s collides with another request; submit again", r.ID)
		}
	}
	if d.bg {
		return a.startBreakGlass(ctx, req, r, created)
	}
	return a.startRequest(ctx, req, r, state, created)
}

// startRequest posts a pending request and schedules its lapse.
func (a *Access) startRequest(ctx context.Context, req *bot.Request, r *AccessRequest, state string, created bool) error {
	if created {
		a.audit(ctx, req.User, "access.request", "ok", r, map[string]any{"pending_until": r.PendingUntil.UTC().Format(time.RFC3339)})
	}
	if err := a.flow.Open(ctx, r); err != nil {
		return err
	}
	env, _ := a.cfg.Env(r.Environment)
	need := "an approval"
	if r.Required > 1 {
		need = fmt.Sprintf("%d approvals", r.Required)
	}
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf(
		"📨 Request `%s` for *%s* access to `%s` in *%s* for %s is posted in %s and needs %s from %s. "+
			"You'll get a DM when it is decided; it lapses at %s if nobody does.",
		r.ID, r.Level, r.ServiceName, r.Environment, FormatDuration(r.Duration), channelLink(env.ChannelFor(r.Owner)),
		need, r.Owner, stamp(r.PendingUntil))})
}

// recent summarises the requester's latest other requests.
func (a *Access) recent(ctx context.Context, r *AccessRequest) []Summary {
	recs, err := a.st.ListRecords(ctx, store.Query{Kind: RecordKind, Owner: r.Requester.ID, Limit: 6})
	if err != nil {
		a.log.Warn("list recent requests", "requester", r.Requester.ID, "err", err)
		return nil
	}
	var out []Summary
	for _, rec := range recs {
		if rec.ID == r.ID || len(out) == 5 {
			continue
		}
		x, err := decode(rec.Data)
		if err != nil {
			continue
		}
		out = append(out, Summary{ID: x.ID, Service: x.ServiceName, Environment: x.Environment, Level: x.Level,
			State: rec.State, Created: x.Created, BreakGlass: x.BreakGlass})
	}
	return out
}

// handleList shows the user's grants, or everyone's to admins.
func (a *Access) handleList(ctx context.Context, req *bot.Request) error {
	who, err := a.cat.Identify(ctx, req.User)
	if err != nil {
		return fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	admin := who != nil && who.IsAdmin()
	q := store.Query{Kind: RecordKind, Limit: 50}
	if !admin {
		q.Owner = req.User.ID
	}
	active, err := a.st.ListRecords(ctx, store.Query{Kind: RecordKind, Owner: q.Owner, States: []string{StatePending, StateApproved, StateActive}})
	if err != nil {
		return fmt.Errorf("list access requests: %w", err)
	}
	q.Since = a.now().Add(-30 * 24 * time.Hour)
	all, err := a.st.ListRecords(ctx, q)
	if err != nil {
		return fmt.Errorf("list access requests: %w", err)
	}
	var act, past []string
	seen := map[string]bool{}
	for _, rec := range active {
		if x, err := decode(rec.Data); err == nil {
			act = append(act, listLine(x, rec.State, admin))
			seen[rec.ID] = true
		}
	}
	for _, rec := range all {
		if seen[rec.ID] || len(past) == 15 {
			continue
		}
		if x, err := decode(rec.Data); err == nil {
			past = append(past, listLine(x, rec.State, admin))
		}
	}
	whose := "Your"
	if admin {
		whose = "All"
	}
	var blocks []bot.Block
	blocks = append(blocks, bot.Header{Text: whose + " access grants"})
	if len(act) == 0 {
		blocks = append(blocks, bot.Section{Text: "*Active and pending:* none"})
	} else {
		blocks = append(blocks, bot.Section{Text: "*Active and pending:*\n" + strings.Join(act, "\n")})
	}
	if len(past) > 0 {
		blocks = append(blocks, bot.Section{Text: "*Recent (30 days):*\n" + strings.Join(past, "\n")})
	}
	blocks = append(blocks, bot.Context{Text: "`/plat access revoke <id>` ends a grant now · `/plat access extend <id>` asks for more time"})
	return req.Reply(ctx, bot.Message{Text: bot.PlainText(bot.Message{Blocks: blocks}), Blocks: blocks})
}

func listLine(r *AccessRequest, state string, showWho bool) string {
	s := fmt.Sprintf("• `%s` %s %s · %s on `%s` in %s", r.ID, statusIcon(state), strings.ToUpper(state), r.Level, r.ServiceName, r.Environment)
	if showWho {
		s += " · <@" + r.Requester.ID + ">"
	}
	switch state {
	case StatePending:
		s += " · lapses " + stamp(r.PendingUntil)
	case StateApproved, StateActive:
		s += " · until " + stamp(r.ExpiresAt)
	default:
		s += " · " + stamp(r.Created)
	}
	if r.BreakGlass {
		s += " · 🚨 break-glass"
		if r.FollowUp == nil {
			s += " (review pending)"
		}
	}
	return s
}

// userText returns the message of a UserError, else the error text.
func userText(err error) string {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return ue.Msg
	}
	return err.Error()
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "its owner"
	}
	return s
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func sortLevels(levels []string) []string {
	c := Config{Levels: map[string]string{}}
	for _, l := range levels {
		c.Levels[l] = l
	}
	return c.LevelNames()
}

// canonical renders form values in a stable order, to seed request ids.
func canonical(v bot.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strings.Join(v[k], ",") + ";")
	}
	return b.String()
}
