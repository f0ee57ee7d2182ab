package placement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/placement/place"
	"github.com/platbot/platbot/store"
)

// MoveRequest is a move of one environment of a service to a cluster: the
// record of a production move waiting for (or past) its approval.
type MoveRequest struct {
	approval.Ballot
	ID          string `json:"id"`
	Service     string `json:"service"` // the catalog ref
	ServiceName string `json:"service_name"`
	Team        string `json:"team"`  // the owning group's name
	Owner       string `json:"owner"` // the owning group's ref
	Environment string `json:"environment"`
	Tier        string `json:"tier,omitempty"`
	Region      string `json:"region,omitempty"`
	// From is the cluster the GitOps repository has now ("" = none yet).
	From string `json:"from,omitempty"`
	To   string `json:"to"`
	// Why is the reason the target was chosen (the rule, or the request).
	Why string `json:"why"`
	// Path and Manifest are the Application file the pull request writes;
	// Set says it is the service's ApplicationSet, with the environment's
	// element moved or added.
	Path     string `json:"path"`
	Manifest string `json:"manifest"`
	Set      bool   `json:"set,omitempty"`
	// Base identifies the file on the base branch the move was asked
	// against (baseHash): when it changes, the move merged or was overtaken.
	Base string       `json:"base,omitempty"`
	PR   *PullRequest `json:"pr,omitempty"`
}

// moveResource makes the policy checks of move about the owning group: the
// default policy lets its members (and admins) ask.
func (p *Placement) moveResource(_ context.Context, req *bot.Request) (bot.Resource, error) {
	e, err := p.service(req.Arg(0), "move <service> <env> --to <cluster>")
	if err != nil {
		return bot.Resource{}, err
	}
	return groupResource(e), nil
}

func groupResource(e *catalog.Entity) bot.Resource {
	owner := e.Owner()
	return bot.Resource{Kind: "group", Name: teamName(e), Ref: owner, Owner: owner, Tags: []string{"service:" + e.Metadata.Name}}
}

// mayMove asks the policy whether the user may ask a move of env of e:
// the scaffold action on its owning group. A denial is said in terms of
// the move (not of scaffolding), with the deciding rule, and audited.
func (p *Placement) mayMove(ctx context.Context, req *bot.Request, e *catalog.Entity, env string) error {
	d := p.policy.Decide(ctx, req.User, bot.ActionScaffold, groupResource(e))
	if d.Allow {
		return nil
	}
	team := teamName(e)
	p.audit(ctx, req.User, "placement.move", "denied", e.Ref(), map[string]any{"environment": env, "rule": d.Rule})
	return bot.Errorf("🚫 You may not move %s of %s: only its owning team (%s) and the platform admins may ask for a move "+
		"(policy rule `%s`; a move is decided as the `%s` action on the owning team). Ask a member of %s, or a platform admin, to run it.",
		env, e.Metadata.Name, team, d.Rule, bot.ActionScaffold, team)
}

// States of a move request besides the approval lifecycle's: an approved
// move whose pull request's file changed on the base branch since
// (merged, or overtaken), and one a later move replaced (--replace).
const (
	StateMerged   = "merged"
	StateReplaced = "replaced"
)

func (p *Placement) handleMove(ctx context.Context, req *bot.Request) error {
	if p.placer == nil {
		return req.Reply(ctx, bot.Message{Text: notConfigured})
	}
	const usage = "`/plat move <service> <env> --to <cluster> [--reason \"…\"]` or `/plat move <service> <env> --auto` (add `--replace` to replace an open move)"
	to, auto := strings.TrimSpace(req.Flags["to"]), req.Flags.Has("auto")
	reason := strings.TrimSpace(req.Flags["reason"])
	if (to == "") == !auto || len(req.Args) != 2 || auto && reason != "" {
		return bot.Errorf("Usage: %s.", usage)
	}
	e, err := p.service(req.Arg(0), "move <service> <env> --to <cluster>")
	if err != nil {
		return err
	}
	in, err := p.intent(e)
	if err != nil {
		return err
	}
	env, ok := in.Env(req.Arg(1))
	if !ok {
		return bot.Errorf("`%s` has no environment `%s`; its environments are %s.", e.Metadata.Name, bot.UserText(req.Arg(1)), strings.Join(in.Names(), ", "))
	}
	if err := p.mayMove(ctx, req, e, env.Name); err != nil {
		return err
	}
	tg := target(e, env)
	app, current, err := p.application(ctx, e, env.Name)
	if err != nil {
		return bot.Errorf("Can't read the Application of %s in the GitOps repository: %s", env.Name, bot.UserText(err.Error()))
	}
	load := p.loadFor(ctx, e.Metadata.Name, env.Name)
	decision, placeErr := p.placer.PlaceWith(tg, load)
	var cluster *place.Cluster
	var why string
	if auto {
		if placeErr != nil {
			return bot.Errorf("Can't re-place %s: %s", env.Name, bot.UserText(placeErr.Error()))
		}
		cluster, why = decision.Cluster, decision.Why()
	} else {
		c, ok := p.placer.Cluster(to)
		if !ok {
			var names []string
			for _, c := range p.placer.Clusters() {
				names = append(names, c.Name)
			}
			msg := fmt.Sprintf("There is no cluster `%s`.", bot.UserText(to))
			if s := bot.Closest(to, names); s != "" {
				msg += fmt.Sprintf(" Did you mean `%s`?", s)
			}
			return bot.Errorf("%s `/plat where %s` shows where it runs now.", msg, e.Metadata.Name)
		}
		cluster = c
	}

	// At most one open move per environment: its request id is derived
	// from the service, the environment and how many moves it had before,
	// so two requests racing for it save one record. It is looked up
	// first: a move to where the environment is now does not hide one.
	var base []byte // what the move is asked against (baseHash)
	if app != nil {
		base = app.Base
	}
	prior, open, err := p.moves(ctx, e.Ref(), env.Name, base)
	if err != nil {
		return err
	}

	// Where it is now: its Application's cluster, else the rules' choice
	// (where a new Application would send it; it runs nowhere yet).
	here := ""
	if app != nil {
		here = app.Cluster
	} else if placeErr == nil {
		here = decision.Cluster.Name
	}
	if here == cluster.Name {
		return p.alreadyThere(ctx, req, e, env.Name, cluster.Name, app, decision, open)
	}
	if !auto {
		if problem := p.placer.Fit(cluster, tg, load); problem != "" {
			p.audit(ctx, req.User, "placement.move", "refused", e.Ref(), map[string]any{"environment": env.Name, "to": cluster.Name, "why": problem})
			return bot.Errorf("Can't move %s of %s to `%s` (%s).", env.Name, e.Metadata.Name, cluster.Name, problem)
		}
		why = p.pinnedWhy(req.User, cluster.Name, reason, decision, placeErr)
	}

	if open != nil {
		if !req.Flags.Has("replace") {
			return p.openMove(ctx, req, open, cluster.Name)
		}
		if err := p.replace(ctx, req.User, open); err != nil {
			return err
		}
	}

	spec := appSpec{
		Service: strings.ToLower(e.Metadata.Name), Team: teamName(e), Env: env.Name, Tier: env.Tier, Region: env.Region,
		Namespace: namespaceOf(e), Cluster: cluster, Why: why,
	}
	path, manifest, set, err := p.movedManifest(ctx, e, app, current, spec)
	if err != nil {
		return bot.Errorf("Can't write the Application of %s: %s", env.Name, bot.UserText(err.Error()))
	}
	if set {
		if err := p.setMoveOpen(ctx, e, env.Name, path); err != nil {
			return err
		}
	}
	from := ""
	if app != nil {
		from = app.Cluster
	}
	production := p.cfg.production(env.Name, env.Tier)
	timeout, _ := p.cfg.approvalTimeout()
	r := &MoveRequest{
		Ballot:  approval.Ballot{Requester: req.User, Transport: req.Transport},
		ID:      moveID(e.Ref(), env.Name, prior),
		Service: e.Ref(), ServiceName: e.Metadata.Name, Team: teamName(e), Owner: e.Owner(),
		Environment: env.Name, Tier: env.Tier, Region: env.Region,
		From: from, To: cluster.Name, Why: why, Path: path, Manifest: string(manifest), Set: set, Base: baseHash(base),
	}
	if production {
		if p.cfg.ApprovalChannel == "" {
			return bot.Errorf("Moving %s is a production move, which needs an approval, and no approval channel is configured "+
				"(placement.approvalChannel); ask an admin to set one.", env.Name)
		}
		r.Required, r.PendingUntil = p.cfg.Approvals, p.now().Add(timeout)
	}
	state := approval.StateApproved // a move without approval is approved as asked
	if production {
		state = approval.StatePending
	}
	created, err := p.flow.Save(ctx, r, state)
	if err != nil {
		return err
	}
	if !created {
		// Another request saved this move first (a double click, a retry).
		cur, st, err := p.flow.Load(ctx, r.ID)
		if err != nil {
			return err
		}
		return p.openMove(ctx, req, &openMove{r: cur, state: st}, cluster.Name)
	}
	if !production {
		return p.openNow(ctx, req, r)
	}
	if err := p.flow.Open(ctx, r); err != nil {
		return err
	}
	p.flow.Audit(ctx, req.User, "placement.move.request", "ok", r, nil)
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("🔐 Moving %s of %s %sto `%s` is a production move: it needs %d approval(s) in %s "+
		"(request `%s`). The pull request is opened once it is approved.", r.Environment, r.ServiceName, fromText(r.From), r.To,
		r.Required, p.cfg.ApprovalChannel, r.ID)})
}

// alreadyThere answers a move to where env is now: its Application's
// cluster, or, without an Application, the rules' choice. An open move
// elsewhere is reported (and, with --replace, replaced); otherwise there is
// nothing to move.
func (p *Placement) alreadyThere(ctx context.Context, req *bot.Request, e *catalog.Entity, env, to string, app *deployedApp, d place.Decision, open *openMove) error {
	var text string
	if app != nil {
		text = fmt.Sprintf("%s of %s already runs on `%s` (%s)", env, e.Metadata.Name, app.Cluster, app.where(env))
	} else {
		text = fmt.Sprintf("%s of %s has no Application in the GitOps repository yet, so it runs nowhere; the rules would place it on `%s` (%s)",
			env, e.Metadata.Name, d.Cluster.Name, d.Why())
	}
	if open != nil {
		if !req.Flags.Has("replace") {
			return p.openMove(ctx, req, open, to)
		}
		if err := p.replace(ctx, req.User, open); err != nil {
			return err
		}
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("%s. The open move to `%s` (request `%s`) is replaced; nothing new to open, nothing to approve.",
			text, open.r.To, open.r.ID)})
	}
	return req.Reply(ctx, bot.Message{Text: text + "; nothing to move, nothing to approve."})
}

// movedManifest is the file a move writes and its content: the
// environment's Application file, or the service's ApplicationSet with
// the environment's element, edited where it is (comments kept); without
// either, a new one in the configured output (an element added to the
// ApplicationSet the service has, or a new ApplicationSet). set says the
// file is the ApplicationSet.
func (p *Placement) movedManifest(ctx context.Context, e *catalog.Entity, app *deployedApp, current []byte, spec appSpec) (path string, out []byte, set bool, err error) {
	switch {
	case app != nil && app.Set:
		out, err = moveElement(current, spec)
		return app.Path, out, true, err
	case app != nil:
		out, err = moveApplication(current, spec)
		return app.Path, out, false, err
	case p.cfg.ArgoCD.Output == OutputApplicationSet:
		path = p.appSetPath(e)
		el := element(spec, p.cfg.sourcePath(spec.Team, spec.Service, spec.Env), nil)
		data, err := p.readFile(ctx, path)
		if err != nil {
			return "", nil, false, err
		}
		if data != nil {
			out, err = addElement(data, spec.Service, el)
			return path, out, true, err
		}
		s, err := p.cfg.newApplicationSet(spec.Service, spec.Team, spec.Namespace)
		if err != nil {
			return "", nil, false, err
		}
		s.Spec.Generators[0].List.Elements = []Element{el}
		out, err = s.encode()
		return path, out, true, err
	}
	a, err := p.cfg.newApplication(spec)
	if err != nil {
		return "", nil, false, err
	}
	out, err = a.encode()
	return p.appPath(e, spec.Env), out, false, err
}

// pinnedWhy is the placement annotation of a move chosen by hand: who
// pinned it where, when, why, and what the rules would choose.
func (p *Placement) pinnedWhy(u bot.User, cluster, reason string, d place.Decision, placeErr error) string {
	if reason == "" {
		reason = "no reason given"
	}
	s := fmt.Sprintf("%s to %s by %s (%s) on %s with /plat move --to: %s", pinnedPrefix, cluster, u.Name, u.ID,
		p.now().UTC().Format("2006-01-02 15:04 UTC"), reason)
	if placeErr == nil {
		s += fmt.Sprintf("; the rules would place it on %s", d.Cluster.Name)
	}
	return s
}

// openMove is an environment's move that is not finished: pending an
// approval, or approved and its pull request not merged.
type openMove struct {
	r     *MoveRequest
	state string
}

// moves reads an environment's earlier move requests: how many there are,
// and the one still open. An approved move whose file on the base branch
// (base, as read now) differs from when it was asked has merged, or was
// overtaken: it is marked merged and no longer blocks.
func (p *Placement) moves(ctx context.Context, service, env string, base []byte) (prior int, open *openMove, err error) {
	recs, err := p.st.ListRecords(ctx, store.Query{Kind: RecordKind, Key: service})
	if err != nil {
		return 0, nil, fmt.Errorf("list moves of %s: %w", service, err)
	}
	for _, rec := range recs {
		var r MoveRequest
		if err := json.Unmarshal(rec.Data, &r); err != nil {
			return 0, nil, fmt.Errorf("decode move %s: %w", rec.ID, err)
		}
		if r.Environment != env {
			continue
		}
		prior++
		switch rec.State {
		case approval.StatePending:
		case approval.StateApproved:
			if r.PR != nil && r.Base != baseHash(base) {
				if _, _, err := p.flow.Update(ctx, r.ID, func(st string, x *MoveRequest) (string, error) {
					if st != approval.StateApproved {
						return "", approval.ErrNoChange
					}
					return StateMerged, nil
				}); err != nil {
					return 0, nil, err
				}
				continue
			}
		default:
			continue
		}
		open = &openMove{r: &r, state: rec.State}
	}
	return prior, open, nil
}

// setMoveOpen refuses a move writing the ApplicationSet at path while a
// move of another environment of the service, writing the same file, is
// open: each pull request carries the whole file, so the second would
// conflict with (or undo) the first. The open one is linked; once it is
// merged (its element on the base branch changed) or replaced, the move
// is free.
func (p *Placement) setMoveOpen(ctx context.Context, e *catalog.Entity, env, path string) error {
	recs, err := p.st.ListRecords(ctx, store.Query{Kind: RecordKind, Key: e.Ref()})
	if err != nil {
		return fmt.Errorf("list moves of %s: %w", e.Ref(), err)
	}
	seen := map[string]bool{env: true}
	for _, rec := range recs {
		var r MoveRequest
		if err := json.Unmarshal(rec.Data, &r); err != nil {
			return fmt.Errorf("decode move %s: %w", rec.ID, err)
		}
		if seen[r.Environment] || !r.Set || r.Path != path || (rec.State != approval.StatePending && rec.State != approval.StateApproved) {
			continue
		}
		seen[r.Environment] = true
		other, _, err := p.application(ctx, e, r.Environment)
		if err != nil {
			return bot.Errorf("Can't read the Application of %s in the GitOps repository: %s", r.Environment, bot.UserText(err.Error()))
		}
		var base []byte
		if other != nil {
			base = other.Base
		}
		_, open, err := p.moves(ctx, e.Ref(), r.Environment, base)
		if err != nil {
			return err
		}
		if open == nil || !open.r.Set || open.r.Path != path {
			continue
		}
		where, err := p.openWhere(ctx, open)
		if err != nil {
			return err
		}
		return bot.Errorf("%s of %s can't be moved while the move of %s to `%s` (%s) is open: both change the ApplicationSet `%s`, "+
			"and a second pull request of that file would conflict with the first. Merge, deny or close that one first "+
			"(if its pull request was closed without merging, `/plat move %s %s --to <cluster> --replace` replaces it).",
			env, e.Metadata.Name, open.r.Environment, open.r.To, where, path, e.Metadata.Name, open.r.Environment)
	}
	return nil
}

// openWhere says where an open move is: its approval request, or its pull
// request (opened now if an outage stopped it after the approval).
func (p *Placement) openWhere(ctx context.Context, o *openMove) (string, error) {
	r := o.r
	if o.state != approval.StateApproved {
		return fmt.Sprintf("request `%s`, waiting for approval in %s", r.ID, p.cfg.ApprovalChannel), nil
	}
	if r.PR == nil {
		pr, err := p.recordPR(ctx, r)
		if err != nil {
			return "", err
		}
		r.PR = pr
	}
	return "pull request " + bot.Link(r.PR.URL, fmt.Sprintf("#%d", r.PR.Number)), nil
}

// openMove answers a move of an environment that has an open one: the
// same move is that one (said so, its pull request opened if an outage
// stopped it before); another is refused with a link to it.
func (p *Placement) openMove(ctx context.Context, req *bot.Request, o *openMove, to string) error {
	r := o.r
	where, err := p.openWhere(ctx, o)
	if err != nil {
		return err
	}
	if r.To == to {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("Moving %s of %s to `%s` was already asked by %s: %s. Nothing new was opened.",
			r.Environment, r.ServiceName, r.To, r.Requester.Name, where)})
	}
	return bot.Errorf("%s of %s already has an open move to `%s` (%s), which changes the same file `%s`. "+
		"Merge, deny or close it first; if its pull request was closed without merging, run this again with `--replace`.",
		r.Environment, r.ServiceName, r.To, where, r.Path)
}

// replace marks an open move replaced (--replace): its card, if any, shows
// it and its buttons go.
func (p *Placement) replace(ctx context.Context, by bot.User, o *openMove) error {
	out, state, err := p.flow.Update(ctx, o.r.ID, func(st string, x *MoveRequest) (string, error) {
		if st != approval.StatePending && st != approval.StateApproved {
			return "", approval.ErrNoChange
		}
		return StateReplaced, nil
	})
	if err != nil {
		return err
	}
	if state == StateReplaced {
		p.flow.Refresh(ctx, out, state)
		p.flow.Audit(ctx, by, "placement.move", StateReplaced, out, nil)
	}
	return nil
}

// openNow opens the pull request of a move that needs no approval.
func (p *Placement) openNow(ctx context.Context, req *bot.Request, r *MoveRequest) error {
	pr, err := p.recordPR(ctx, r)
	if err != nil {
		return err
	}
	r.PR = pr
	p.audit(ctx, req.User, "placement.move", "pr-opened", r.Service, p.moveDetails(r))
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("📦 Pull request to move %s of %s %sto `%s`: %s\n%s",
		r.Environment, r.ServiceName, fromText(r.From), r.To, bot.Link(pr.URL, fmt.Sprintf("#%d", pr.Number)), r.Why)})
}

// recordPR opens r's pull request (idempotent by branch) and records it on
// r's record.
func (p *Placement) recordPR(ctx context.Context, r *MoveRequest) (*PullRequest, error) {
	pr, err := p.openPR(ctx, r)
	if err != nil {
		return nil, err
	}
	if _, _, err := p.flow.Update(ctx, r.ID, func(st string, x *MoveRequest) (string, error) {
		if x.PR != nil {
			return "", approval.ErrNoChange
		}
		x.PR = pr
		return st, nil
	}); err != nil {
		return nil, err
	}
	return pr, nil
}

func fromText(from string) string {
	if from == "" {
		return ""
	}
	return "from `" + from + "` "
}

// namespaceOf is the Kubernetes namespace of a service: its
// backstage.io/kubernetes-namespace annotation, else its name.
func namespaceOf(e *catalog.Entity) string {
	if ns := e.Annotation(annotationNamespace); ns != "" {
		return ns
	}
	return strings.ToLower(e.Metadata.Name)
}

// moveID is a move request's id: the service, the environment and how many
// moves it had before — never the delivery, so a retried or doubled
// command, or two people asking at once, find one request.
func moveID(service, env string, prior int) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{service, env, strconv.Itoa(prior)}, "\x00")))
	return "mv-" + hex.EncodeToString(sum[:5])
}

// openPR opens the pull request of r (idempotent by branch).
func (p *Placement) openPR(ctx context.Context, r *MoveRequest) (*PullRequest, error) {
	if p.pub == nil {
		return nil, bot.Errorf("No GitOps repository is configured, so platbot can't open the pull request.")
	}
	title := fmt.Sprintf("Move %s %s to %s", r.ServiceName, r.Environment, r.To)
	var body strings.Builder
	what := "the Argo CD Application"
	if r.Set {
		what = "the element of the Argo CD ApplicationSet"
	}
	fmt.Fprintf(&body, "Moves %s of environment `%s` of `%s` %sto cluster `%s`.\n\n", what, r.Environment, r.ServiceName, fromText(r.From), r.To)
	fmt.Fprintf(&body, "- Why: %s\n- Requested by: %s\n", r.Why, r.Requester.Name)
	for _, v := range r.Approvals {
		fmt.Fprintf(&body, "- Approved by: %s\n", v.User.Name)
	}
	fmt.Fprintf(&body, "- File: `%s`\n", r.Path)
	if u := p.cfg.ArgoCD.URL; u != "" {
		// The Application's page in the Argo CD UI (argocd.url), named as
		// newApplication and the ApplicationSet's template name it.
		fmt.Fprintf(&body, "- Argo CD: %s/applications/%s/%s-%s\n", strings.TrimSuffix(u, "/"), p.cfg.ArgoCD.Namespace, strings.ToLower(r.ServiceName), r.Environment)
	}
	body.WriteString("\nOpened by platbot (`/plat move`).\n")
	pr, err := p.pub.Open(ctx, Change{
		Branch:        fmt.Sprintf("platbot/move/%s/%s/%s/%s", strings.ToLower(r.ServiceName), r.Environment, r.To, r.ID),
		Title:         title,
		Body:          body.String(),
		CommitMessage: title,
		Files:         map[string]string{r.Path: r.Manifest},
		Labels:        []string{"platbot", "placement"},
	})
	if err != nil {
		return nil, fmt.Errorf("open pull request moving %s of %s: %w", r.Environment, r.ServiceName, err)
	}
	return pr, nil
}

func (p *Placement) moveDetails(r *MoveRequest) map[string]any {
	d := map[string]any{
		"request": r.ID, "requester": r.Requester.ID, "environment": r.Environment, "from": r.From, "to": r.To,
		"why": r.Why, "path": r.Path, "production": p.cfg.production(r.Environment, r.Tier),
	}
	if r.PR != nil {
		d["pull_request"] = r.PR.URL
	}
	return d
}

// approvalConfig is the production move's approval flow.
func (p *Placement) approvalConfig() approval.Config[MoveRequest] {
	return approval.Config[MoveRequest]{
		Kind:   RecordKind,
		Noun:   "move request",
		ID:     func(r *MoveRequest) string { return r.ID },
		Ballot: func(r *MoveRequest) *approval.Ballot { return &r.Ballot },
		Key:    func(r *MoveRequest) string { return r.Service },
		SelfRefusal: func(r *MoveRequest) string {
			return fmt.Sprintf("You can't approve your own move request (`%s`): a platform admin or another member of %s must.", r.ID, r.Team)
		},
		MayDecide:    p.mayDecide,
		PolicyAction: bot.ActionApprove,
		Resource: func(r *MoveRequest) bot.Resource {
			return bot.Resource{Kind: "component", Name: r.ServiceName, Ref: r.Service, Owner: r.Owner,
				Tags: []string{"environment:" + r.Environment, "move-request:" + r.ID}}
		},
		Card:    p.card,
		Channel: func(*MoveRequest) (string, error) { return p.cfg.ApprovalChannel, nil },
		Texts:   texts,
		Approved: func(ctx context.Context, r *MoveRequest) error {
			return p.approved(ctx, r)
		},
		DecideAction: "placement.move.review",
		LapseAction:  "placement.move.lapse",
		AuditTarget:  func(r *MoveRequest) string { return r.Service },
		AuditDetails: p.moveDetails,
		LapseJob:     JobLapse,
	}
}

// mayDecide: platform admins and members of the owning team (never the
// requester: the lifecycle refuses that itself).
func (p *Placement) mayDecide(ctx context.Context, req *bot.Request, r *MoveRequest) (approval.Eligibility, error) {
	id, err := p.cat.Identify(ctx, req.User)
	if err != nil {
		return approval.Eligibility{}, fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	if id != nil {
		switch {
		case slices.Contains(id.Roles, "admin"):
			return approval.Eligibility{Role: "admin", UserRef: id.UserRef}, nil
		case slices.Contains(id.DirectGroups, r.Owner):
			return approval.Eligibility{Role: "team", UserRef: id.UserRef}, nil
		}
	}
	return approval.Eligibility{Refusal: fmt.Sprintf("Only the platform admins or members of %s may approve moving %s of %s.", r.Team, r.Environment, r.ServiceName)}, nil
}

// card is the approval card of r in state.
func (p *Placement) card(r *MoveRequest, state string) bot.Message {
	text := fmt.Sprintf("%s asks to move *%s* of *%s* (%s) %sto `%s`.\nWhy: %s\nFile: `%s`",
		r.Requester.Name, r.Environment, r.ServiceName, envTraits(Environment{Tier: r.Tier, Region: r.Region}), fromText(r.From), r.To, r.Why, r.Path)
	blocks := []bot.Block{bot.Header{Text: "Production move: " + r.ServiceName + " " + r.Environment}, bot.Section{Text: text}}
	status := fmt.Sprintf("Request `%s` · %s · %d of %d approval(s)", r.ID, state, len(r.Approvals), r.Required)
	if r.PR != nil {
		status += " · pull request " + bot.Link(r.PR.URL, fmt.Sprintf("#%d", r.PR.Number))
	}
	blocks = append(blocks, bot.Context{Text: status})
	if state == approval.StatePending {
		blocks = append(blocks, bot.Actions{Buttons: []bot.Button{
			approval.ApproveButton(ActionApprove, r.ID),
			approval.DenyButton(ActionDeny, r.ID, "Deny this production move?"),
		}})
	}
	return bot.Message{Text: "Production move " + r.ID + ": " + r.ServiceName + " " + r.Environment + " → " + r.To + " (" + state + ")", Blocks: blocks}
}

func texts(r *MoveRequest, ev approval.Event) approval.Texts {
	what := fmt.Sprintf("moving %s of %s to `%s` (`%s`)", r.Environment, r.ServiceName, r.To, r.ID)
	switch ev.Outcome {
	case approval.Approved:
		return approval.Texts{Thread: fmt.Sprintf("✅ %s (%s) approved %s; opening the pull request.", ev.By.Name, ev.Role, what),
			DM: fmt.Sprintf("✅ %s approved %s; the pull request follows.", ev.By.Name, what)}
	case approval.Denied:
		return approval.Texts{Thread: fmt.Sprintf("❌ %s (%s) denied %s.", ev.By.Name, ev.Role, what),
			DM: fmt.Sprintf("❌ %s denied %s.", ev.By.Name, what)}
	case approval.Lapsed:
		return approval.Texts{Thread: fmt.Sprintf("⌛ Nobody decided %s in time; the request lapsed.", what),
			DM: fmt.Sprintf("⌛ Your request %s lapsed: nobody decided it in time. Ask again if it is still needed.", what)}
	}
	return approval.Texts{Thread: fmt.Sprintf("👍 %s (%s) approved %s; %d of %d approvals.", ev.By.Name, ev.Role, what, len(r.Approvals), r.Required)}
}

// approved opens the pull request of an approved move and says so.
func (p *Placement) approved(ctx context.Context, r *MoveRequest) error {
	pr, err := p.openPR(ctx, r)
	if err != nil {
		return err
	}
	set := false // this call recorded the pull request
	out, state, err := p.flow.Update(ctx, r.ID, func(st string, x *MoveRequest) (string, error) {
		set = x.PR == nil
		if !set {
			return "", approval.ErrNoChange
		}
		x.PR = pr
		return st, nil
	})
	if err != nil {
		return err
	}
	if !set {
		return nil // announced by an earlier run
	}
	p.flow.Refresh(ctx, out, state)
	msg := fmt.Sprintf("📦 Pull request moving %s of %s to `%s`: %s", out.Environment, out.ServiceName, out.To, bot.Link(pr.URL, fmt.Sprintf("#%d", pr.Number)))
	p.flow.Thread(ctx, out, msg, false)
	p.flow.DM(ctx, out, bot.Message{Text: msg})
	p.flow.Audit(ctx, approval.System, "placement.move", "pr-opened", out, nil)
	return nil
}

// act handles the approval card's buttons.
func (p *Placement) act(ctx context.Context, req *bot.Request, a bot.Action) error {
	switch a.ID {
	case ActionApprove:
		return p.flow.Decide(ctx, req, a.Value, true)
	case ActionDeny:
		return p.flow.Decide(ctx, req, a.Value, false)
	}
	return bot.Errorf("Unknown placement button %q.", a.ID)
}
