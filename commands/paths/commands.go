package paths

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// commands are the feature's static commands.
func (p *Paths) commands() []*bot.Command {
	return []*bot.Command{
		{
			Name: "templates", Summary: "List the golden paths you can run",
			Help:   "Shows each golden path with its owner and description. Admins also see templates waiting for approval.",
			Handle: p.cmdTemplates,
		},
		{
			Name: "template approve", Usage: "<name> [--version <id>]", Action: bot.ActionAdmin, Flags: []string{"version"},
			Summary:  "Approve the current version of a golden-path template (admins)",
			Help:     "Shows what changed since the last approved version and approves it: only approved versions appear in /plat help and run. Give --version (from `/plat template diff`, at least 8 characters) to approve exactly the version you reviewed.",
			Resource: p.templateResource,
			Handle:   p.cmdApprove,
		},
		{
			Name: "template diff", Usage: "<name>",
			Summary:  "Show what changed in a golden-path template since it was last approved",
			Resource: p.templateResource,
			Handle:   p.cmdDiff,
		},
		{Name: "runs", Summary: "List your golden-path runs", Handle: p.cmdRuns},
		{Name: "run", Usage: "<id>", Summary: "Show a golden-path run", Handle: p.cmdRun},
		{
			Name: "run retry", Usage: "<id>", Summary: "Resume a failed golden-path run from the step that failed",
			Handle: func(ctx context.Context, req *bot.Request) error { return p.retry(ctx, req, req.Arg(0)) },
		},
		{
			Name: "run cancel", Usage: "<id>", Summary: "Give up a failed golden-path run (frees its name)",
			Handle: func(ctx context.Context, req *bot.Request) error { return p.cancel(ctx, req, req.Arg(0)) },
		},
	}
}

func (p *Paths) templateResource(_ context.Context, req *bot.Request) (bot.Resource, error) {
	name := req.Arg(0)
	res := bot.Resource{Kind: "template", Name: name, Ref: catalog.NormalizeRef(name, catalog.KindTemplate, catalog.DefaultNamespace)}
	if e := p.entry(name); e != nil {
		if e.Current != nil {
			res.Owner = e.Current.Owner
		} else if e.Approved != nil {
			res.Owner = e.Approved.Owner
		}
	}
	return res, nil
}

// templateCommand is the slash command of an approved template.
func (p *Paths) templateCommand(t *Template) *bot.Command {
	summary := t.Description
	if summary == "" {
		summary = t.Title
	}
	return &bot.Command{
		Name: t.Name, Usage: "[--dry-run]", Summary: summary, Action: bot.ActionRead,
		Help: fmt.Sprintf("Golden path *%s*, owned by %s. Opens a form; submitting it starts a run that reports its progress in one message. `--dry-run` shows every file and side effect without doing any.",
			t.Title, t.Owner),
		BoolFlags: []string{"dry-run", "preview"},
		Resource:  p.templateCmdResource(t.Name),
		Form:      p.templateForm(t.Name),
		Validate: func(ctx context.Context, req *bot.Request, v bot.Values) bot.FieldErrors {
			if cur := p.approvedTemplate(t.Name); cur != nil {
				return p.validate(ctx, req, cur, v)
			}
			return nil
		},
		Submit: func(ctx context.Context, req *bot.Request, v bot.Values) error {
			return p.submit(ctx, req, t.Name, v)
		},
	}
}

// pendingCommand answers "/plat <name>" for a template that is known but
// not (or no longer) approved: hidden from /plat help, it only says that an
// admin's approval is missing, so the user is not told the command does not
// exist.
func (p *Paths) pendingCommand(name string) *bot.Command {
	msg := pendingMessage(name)
	return &bot.Command{
		Name: name, Summary: "Golden path waiting for an admin's approval", Help: msg,
		Action: bot.ActionRead, Hidden: true,
		BoolFlags: []string{"dry-run", "preview"},
		Resource:  p.templateCmdResource(name),
		Handle: func(ctx context.Context, req *bot.Request) error {
			return req.Reply(ctx, bot.Message{Text: msg})
		},
	}
}

func pendingMessage(name string) string {
	return fmt.Sprintf("`/plat %s` is a golden path waiting for an admin's approval of its current version. An admin runs `/plat template approve %s` (`/plat template diff %s` shows what changed).", name, name, name)
}

// previewCommand receives the form of "/plat <name> --dry-run".
func (p *Paths) previewCommand(t *Template) *bot.Command {
	c := p.templateCommand(t)
	c.Name, c.Hidden, c.Usage = t.Name+" preview", true, ""
	c.Summary = "Preview " + t.Name + " without doing anything"
	c.Submit = func(ctx context.Context, req *bot.Request, v bot.Values) error {
		return p.preview(ctx, req, t.Name, v)
	}
	return c
}

func (p *Paths) templateCmdResource(name string) func(context.Context, *bot.Request) (bot.Resource, error) {
	return func(context.Context, *bot.Request) (bot.Resource, error) {
		res := bot.Resource{Kind: "template", Name: name, Ref: catalog.NormalizeRef(name, catalog.KindTemplate, catalog.DefaultNamespace)}
		if t := p.approvedTemplate(name); t != nil {
			res.Owner = t.Owner
		}
		return res, nil
	}
}

func (p *Paths) templateForm(name string) func(context.Context, *bot.Request) (*bot.Form, error) {
	return func(ctx context.Context, req *bot.Request) (*bot.Form, error) {
		t := p.approvedTemplate(name)
		if t == nil {
			return nil, bot.Errorf("The golden path `%s` is not approved any more. `/plat templates` lists those you can run.", name)
		}
		formID := t.Name
		if req.Flags.Has("dry-run") || req.Flags.Has("preview") || strings.HasSuffix(req.Command, " preview") {
			formID = t.Name + " preview"
		}
		owners := p.ownerChoices(p.identify(ctx, req.User))
		if t.ownerProperty() != nil && len(owners) == 0 {
			return nil, bot.Errorf("You belong to no team in the catalog, so nothing you create with `/plat %s` would have an owner. Ask the platform team to add you to your team (`spec.memberOf` of your User entity).", t.Name)
		}
		f := t.form(formID, owners)
		f.State = t.Hash
		if formID != t.Name {
			f.SubmitText = "Preview"
			f.Intro = strings.TrimSpace("Dry run: nothing will be created. " + f.Intro)
		}
		if e := p.entry(name); e != nil && e.Demo {
			f.Intro = strings.TrimSpace(strings.ReplaceAll(DemoNote, "<name>", t.Name) + "\n" + f.Intro)
		}
		return f, nil
	}
}

// catalogKindsForNames are the kinds a new name must not collide with.
var catalogKindsForNames = []string{
	catalog.KindComponent, catalog.KindResource, catalog.KindAPI, catalog.KindSystem, catalog.KindDomain,
}

// validate checks a submission beyond the form's field rules (see check).
// It is fast and has no side effects.
func (p *Paths) validate(ctx context.Context, req *bot.Request, t *Template, v bot.Values) bot.FieldErrors {
	errs, _ := p.check(ctx, req, t, v)
	return errs
}

// check validates a submission: JSON Schema rules, DNS-1123 names, the
// owner (one of the user's own teams), catalog references, names not
// taken; then a dry run of the whole run in memory, so values a step would
// fail on (a folder that leaves the output, a file that no longer parses)
// are refused on their field before anything exists. A dry-run failure
// that no single field explains is returned as the error.
func (p *Paths) check(ctx context.Context, req *bot.Request, t *Template, v bot.Values) (bot.FieldErrors, error) {
	id := p.identify(ctx, req.User)
	if errs := p.fieldErrors(ctx, req, id, t, v); len(errs) > 0 {
		return errs, nil
	}
	return p.planCheck(ctx, req, id, t, v)
}

func (p *Paths) fieldErrors(ctx context.Context, req *bot.Request, id *catalog.Identity, t *Template, v bot.Values) bot.FieldErrors {
	errs := t.validateValues(v)
	if errs == nil {
		errs = bot.FieldErrors{}
	}
	if op := t.ownerProperty(); op != nil && errs[op.Name] == "" {
		if owner := strings.TrimSpace(v.Get(op.Name)); owner != "" {
			if msg := p.checkOwner(id, owner); msg != "" {
				errs[op.Name] = msg
			}
		}
	}
	for _, prop := range t.properties() {
		val := strings.TrimSpace(v.Get(prop.Name))
		if prop.UIField != "EntityPicker" || val == "" || errs[prop.Name] != "" {
			continue
		}
		ref := catalog.NormalizeRef(val, prop.entityKind(), catalog.DefaultNamespace)
		kind, _, _ := catalog.ParseRef(ref, "", "")
		found := false
		for _, e := range p.catalog.List(catalogKind(kind)) {
			found = found || e.Ref() == ref
		}
		if !found {
			errs[prop.Name] = fmt.Sprintf("%s is not in the catalog", ref)
		}
	}
	if np := t.nameProperty(); np != nil && errs[np.Name] == "" {
		if name := strings.TrimSpace(v.Get(np.Name)); name != "" {
			if msg := p.nameTaken(ctx, name, newRunID(req)); msg != "" {
				errs[np.Name] = msg
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// ownerChoices are the owning groups a user may pick: their own teams
// (direct groups only), and for an admin also every team in the catalog
// (the Groups of spec.type team).
func (p *Paths) ownerChoices(id *catalog.Identity) []string {
	var teams []string
	if id.IsAdmin() {
		for _, g := range p.catalog.List(catalog.KindGroup) {
			if strings.EqualFold(g.Type(), "team") {
				teams = append(teams, g.Ref())
			}
		}
	}
	return ownerChoices(id, teams)
}

// checkOwner says why the user may not name owner as the owning group (""
// when they may): it must be one of the choices their form offers.
func (p *Paths) checkOwner(id *catalog.Identity, owner string) string {
	ref := catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	choices := p.ownerChoices(id)
	if contains(choices, ref) {
		return ""
	}
	if len(choices) == 0 {
		return fmt.Sprintf("you belong to no team in the catalog, so you cannot create things for %s; ask the platform team to add you to your team", ref)
	}
	names := make([]string, len(choices))
	for i, c := range choices {
		_, _, names[i] = catalog.ParseRef(c, catalog.KindGroup, catalog.DefaultNamespace)
	}
	return fmt.Sprintf("%s is not one of your teams (%s): you can create things only for a team you are a member of", ref, strings.Join(names, ", "))
}

// planCheck dry-runs the submission in memory. When that fails, the first
// field whose value, left out (its default applies), makes the dry run
// succeed is blamed for it; a failure no field explains is returned as is.
func (p *Paths) planCheck(ctx context.Context, req *bot.Request, id *catalog.Identity, t *Template, v bot.Values) (bot.FieldErrors, error) {
	err := p.tryPlan(ctx, req, id, t, v)
	if err == nil {
		return nil, nil
	}
	for _, prop := range t.properties() {
		if _, given := v[prop.Name]; !given || prop.UIHidden {
			continue
		}
		alt := make(bot.Values, len(v))
		for k, x := range v {
			if k != prop.Name {
				alt[k] = x
			}
		}
		if p.tryPlan(ctx, req, id, t, alt) == nil {
			return bot.FieldErrors{prop.Name: "this value cannot be used: " + planProblem(err)}, nil
		}
	}
	return nil, err
}

// tryPlan dry-runs the values (nil when no owner can be found: prepare
// says why).
func (p *Paths) tryPlan(ctx context.Context, req *bot.Request, id *catalog.Identity, t *Template, v bot.Values) error {
	params, owner := p.params(id, t, v)
	if owner == "" {
		return nil
	}
	_, err := p.Plan(ctx, t, p.newRun(req, id, t, params, owner))
	return err
}

// planProblem is a dry-run failure without the advice meant for a failed
// run ("Press Retry…").
func planProblem(err error) string {
	s := err.Error()
	var se *stepError
	if errors.As(err, &se) && se.hint != "" {
		s = strings.Replace(s, se.Error(), se.msg, 1)
	}
	return s
}

// nameTaken says why a name cannot be used ("" when it can). The run the
// submission itself started (self: a replayed submission) does not count.
func (p *Paths) nameTaken(ctx context.Context, name, self string) string {
	for _, k := range catalogKindsForNames {
		for _, e := range p.catalog.List(k) {
			if strings.EqualFold(e.Metadata.Name, name) {
				owner := e.Owner()
				if owner == "" {
					owner = "nobody"
				}
				return fmt.Sprintf("%s already exists in the catalog (%s, owned by %s); pick another name", name, e.Ref(), owner)
			}
		}
	}
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, Key: nameKey(name), States: []string{RunRunning, RunFailed, RunSucceeded}, Limit: 2})
	if err != nil {
		p.log.Warn("check runs for name", "name", name, "err", err)
		return ""
	}
	for i := range recs {
		if recs[i].ID == self {
			continue
		}
		if r, err := decodeRun(&recs[i]); err == nil {
			return fmt.Sprintf("run %s (by %s, %s) already creates %s; see `/plat run %s`", r.ID, r.Requester.String(), r.State, name, r.ID)
		}
	}
	return ""
}

// prepare turns a valid submission into parameters and the owning group,
// and checks the user may scaffold for that group. It is shared by the
// real run, the dry run and "Create it".
func (p *Paths) prepare(ctx context.Context, req *bot.Request, name string, v bot.Values) (*Template, map[string]any, string, error) {
	t := p.approvedTemplate(name)
	if t == nil {
		return nil, nil, "", bot.Errorf("The golden path `%s` is not approved any more, so nothing was created. `/plat templates` lists those you can run.", name)
	}
	errs, planErr := p.check(ctx, req, t, v)
	if len(errs) > 0 {
		return nil, nil, "", errs
	}
	params, owner := p.params(p.identify(ctx, req.User), t, v)
	if owner == "" {
		return nil, nil, "", bot.Errorf("You belong to no team in the catalog, so I cannot tell who would own this. Ask the platform team to add you to a group.")
	}
	if err := p.router.Authorize(ctx, req, bot.ActionScaffold, bot.Resource{Kind: "group", Ref: owner, Owner: owner}); err != nil {
		return nil, nil, "", err
	}
	if planErr != nil {
		return nil, nil, "", bot.Errorf("`/plat %s` cannot run with these values, so nothing was created: %s. If the values look right, the template is wrong; tell its owners (%s).", t.Name, planProblem(planErr), t.Owner)
	}
	return t, params, owner, nil
}

// params turns submitted values into the run's parameters and its owning
// group ("" when none can be found): the owner parameter, else the user's
// team. Group and entity references are normalised.
func (p *Paths) params(id *catalog.Identity, t *Template, v bot.Values) (map[string]any, string) {
	params := t.coerce(v)
	op := t.ownerProperty()
	owner := ""
	if op != nil {
		owner = toString(params[op.Name])
	}
	if owner == "" {
		owner = id.Team()
	}
	if owner == "" {
		return params, ""
	}
	owner = catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	if op != nil {
		params[op.Name] = owner
	}
	for _, prop := range t.properties() {
		if s, ok := params[prop.Name].(string); ok && prop.UIField == "EntityPicker" && s != "" {
			params[prop.Name] = catalog.NormalizeRef(s, prop.entityKind(), catalog.DefaultNamespace)
		}
	}
	return params, owner
}

// newRun is a new run of the template for the submission (not stored).
func (p *Paths) newRun(req *bot.Request, id *catalog.Identity, t *Template, params map[string]any, owner string) *Run {
	r := &Run{
		ID: newRunID(req), Template: t.Name, TemplateTitle: t.Title, TemplateHash: t.Hash,
		Owner: owner, Requester: req.User, RequesterRef: id.UserRef, RequesterTeam: id.Team(),
		Transport: req.Transport, Channel: req.Channel, ThreadTS: req.ThreadTS,
		Params: params, Files: map[string]string{}, Created: p.now().UTC(),
	}
	if np := t.nameProperty(); np != nil {
		r.Name = toString(params[np.Name])
	}
	return r
}

// submit starts a run for a valid submission.
func (p *Paths) submit(ctx context.Context, req *bot.Request, name string, v bot.Values) error {
	t, params, owner, err := p.prepare(ctx, req, name, v)
	if err != nil {
		return err
	}
	_, err = p.startRun(ctx, req, t, params, owner)
	return err
}

// ---- /plat templates, template approve, template diff ----

func (p *Paths) cmdTemplates(ctx context.Context, req *bot.Request) error {
	if err := p.Reload(ctx); err != nil {
		return err
	}
	admin := p.identify(ctx, req.User).IsAdmin()
	p.mu.RLock()
	st := p.state
	p.mu.RUnlock()
	var lines, pending []string
	var sections []bot.Block
	for _, name := range st.names {
		e := st.entries[name]
		switch e.status() {
		case "approved", "changed":
			t := e.Approved
			line := fmt.Sprintf("• `/plat %s` — %s · owner %s", t.Name, firstNonEmpty(t.Description, t.Title), t.Owner)
			if admin && e.status() == "changed" {
				line += " · ⚠️ _changed since approval: `/plat template diff " + t.Name + "`_"
			}
			if e.Demo {
				line += " · 🧪 _example template: counts as approved in demo mode_"
			}
			lines = append(lines, line)
			sections = append(sections, bot.Section{Text: line, Accessory: &bot.Button{
				ActionID: ActionPrefix + ":preview:" + t.Name, Text: "Preview", Value: t.Name,
			}})
		default:
			if !admin {
				continue
			}
			if e.status() == "broken" {
				pending = append(pending, fmt.Sprintf("• 🛑 `%s` cannot be approved: %s _(%s)_", name, strings.Join(e.Problems, "; "), e.Source))
				continue
			}
			t := e.Current
			pending = append(pending, fmt.Sprintf("• ⏸️ `%s` — %s · owner %s · *not approved*: `/plat template approve %s`", t.Name, firstNonEmpty(t.Description, t.Title), t.Owner, t.Name))
		}
	}
	if len(lines) == 0 && len(pending) == 0 {
		return req.Reply(ctx, bot.Message{Text: "There are no golden paths yet."})
	}
	blocks := []bot.Block{bot.Header{Text: "Golden paths"}}
	text := "Golden paths:\n"
	if len(lines) > 0 {
		if len(sections) <= 40 {
			blocks = append(blocks, sections...)
		} else {
			blocks = append(blocks, bot.Section{Text: strings.Join(lines, "\n")})
		}
		text += strings.Join(lines, "\n") + "\n"
	} else {
		blocks = append(blocks, bot.Section{Text: "_None approved yet._"})
	}
	if len(pending) > 0 {
		blocks = append(blocks, bot.Divider{}, bot.Section{Text: "*Waiting for an admin (only admins see this):*\n" + strings.Join(pending, "\n")})
		text += "Waiting for an admin:\n" + strings.Join(pending, "\n") + "\n"
	}
	blocks = append(blocks, bot.Context{Text: "`/plat <name> --dry-run` previews a path without creating anything."})
	return req.Reply(ctx, bot.Message{Text: strings.TrimSpace(text), Blocks: blocks})
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// templateForReview returns the current version of a template and the
// files of its last approved version (nil when none).
func (p *Paths) templateForReview(ctx context.Context, req *bot.Request) (*entry, map[string][]byte, error) {
	name := req.Arg(0)
	if name == "" {
		return nil, nil, bot.Errorf("Which template? `/plat templates` lists them.")
	}
	if err := p.Reload(ctx); err != nil {
		return nil, nil, err
	}
	e := p.entry(name)
	if e == nil {
		p.mu.RLock()
		names := p.state.names
		p.mu.RUnlock()
		return nil, nil, bot.Errorf("There is no template `%s`. Known: %s.", bot.UserText(name), strings.Join(names, ", "))
	}
	if e.Current == nil {
		return nil, nil, bot.Errorf("Template `%s` cannot be loaded from %s: %s", name, e.Source, strings.Join(e.Problems, "; "))
	}
	var old map[string][]byte
	if e.Approved != nil && !e.Demo {
		old = e.Approved.Files
	}
	return e, old, nil
}

func (p *Paths) cmdDiff(ctx context.Context, req *bot.Request) error {
	e, old, err := p.templateForReview(ctx, req)
	if err != nil {
		return err
	}
	t := e.Current
	head := fmt.Sprintf("Template `%s` version `%s` (from %s)", t.Name, shortHash(t.Hash), e.Source)
	if e.Approved != nil && e.Approved.Hash == t.Hash {
		return req.Reply(ctx, bot.Message{Text: head + " is the approved version; nothing changed."})
	}
	diff := diffFiles(old, t.Files)
	if old == nil {
		head += " has never been approved. Everything is new"
	} else {
		head += fmt.Sprintf(" differs from approved version `%s`", shortHash(e.Approved.Hash))
	}
	if len(e.Problems) > 0 {
		head += ".\n🛑 It cannot be approved yet: " + strings.Join(e.Problems, "; ")
	} else {
		head += fmt.Sprintf(".\nApprove it with `/plat template approve %s --version %s`", t.Name, shortHash(t.Hash))
	}
	return p.replyDiff(ctx, req, head, t.Name, diff)
}

// minVersionPrefix is the shortest --version prefix approve accepts: a
// shorter one could match a version the admin never reviewed.
const minVersionPrefix = 8

func (p *Paths) cmdApprove(ctx context.Context, req *bot.Request) error {
	e, old, err := p.templateForReview(ctx, req)
	if err != nil {
		return err
	}
	t := e.Current
	if len(e.Problems) > 0 {
		return bot.Errorf("Template `%s` cannot be approved until its owners (%s) fix this:\n• %s", t.Name, t.Owner, strings.Join(e.Problems, "\n• "))
	}
	v := strings.ToLower(strings.TrimSpace(req.Flags["version"]))
	if v != "" && len(v) < minVersionPrefix {
		return bot.Errorf("`--version %s` is too short: give at least %d characters of the version you reviewed, as `/plat template diff %s` shows it (like `--version %s`).", v, minVersionPrefix, t.Name, shortHash(t.Hash))
	}
	if v != "" && !strings.HasPrefix(t.Hash, v) {
		return bot.Errorf("Template `%s` is now at version `%s`, not `%s`: it changed since you reviewed it. Look again with `/plat template diff %s`.", t.Name, shortHash(t.Hash), v, t.Name)
	}
	if e.Approved != nil && e.Approved.Hash == t.Hash && !e.Demo {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("Template `%s` version `%s` is already approved.", t.Name, shortHash(t.Hash))})
	}
	prev := ""
	if e.Approval != nil {
		prev = e.Approval.Hash
	}
	if _, err := p.approve(ctx, t, req.User); err != nil {
		return err
	}
	p.auditEvent(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "paths.template.approve",
		Target: catalog.NormalizeRef(t.Name, catalog.KindTemplate, catalog.DefaultNamespace), Decision: "allow", Outcome: "ok",
		Details: map[string]any{"version": t.Hash, "previous": prev, "owner": t.Owner, "source": e.Source},
	})
	if err := p.Reload(ctx); err != nil {
		return err
	}
	p.log.Info("template approved", "template", t.Name, "version", shortHash(t.Hash), "by", req.User.ID)
	head := fmt.Sprintf("✅ Approved template `%s` version `%s` (owner %s). `/plat %s` now runs this version.", t.Name, shortHash(t.Hash), t.Owner, t.Name)
	if old == nil {
		head += " It had never been approved; this is everything it contains"
	} else {
		head += fmt.Sprintf(" Changes since version `%s`", shortHash(prev))
	}
	return p.replyDiff(ctx, req, head, t.Name, diffFiles(old, t.Files))
}

// replyDiff answers with a heading and a diff, attaching the diff as a file
// when it is too long for a message.
func (p *Paths) replyDiff(ctx context.Context, req *bot.Request, head, name, diff string) error {
	const maxInline = 2800
	msg := bot.Message{Text: head + ":\n" + diff, Blocks: []bot.Block{bot.Section{Text: head + ":"}}}
	if len(diff) <= maxInline {
		msg.Blocks = append(msg.Blocks, bot.Code{Text: diff})
		return req.Reply(ctx, msg)
	}
	cut := diff[:maxInline]
	if i := strings.LastIndex(cut, "\n"); i > 0 {
		cut = cut[:i]
	}
	msg.Blocks = append(msg.Blocks, bot.Code{Text: cut + "\n…"}, bot.Context{Text: "The whole diff is attached."})
	msg.Text = head + ":\n" + cut + "\n…"
	if err := req.Reply(ctx, msg); err != nil {
		return err
	}
	if req.Channel != "" && req.Messenger() != nil {
		return req.Messenger().Upload(ctx, req.Channel, req.ThreadTS, bot.File{Name: name + ".diff", Title: "Template " + name, Content: []byte(diff)})
	}
	return nil
}

// ---- /plat runs, /plat run ----

func (p *Paths) cmdRuns(ctx context.Context, req *bot.Request) error {
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, Owner: req.User.ID, Limit: 20})
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	if len(recs) == 0 {
		return req.Reply(ctx, bot.Message{Text: "You have no golden-path runs yet. `/plat templates` lists the paths."})
	}
	var lines []string
	for i := range recs {
		r, err := decodeRun(&recs[i])
		if err != nil {
			continue
		}
		icon := map[string]string{RunRunning: "⏳", RunFailed: "❌", RunSucceeded: "✅", RunCancelled: "🚫"}[r.State]
		line := fmt.Sprintf("%s `%s` %s `%s` for %s — %s, %d/%d steps, %s", icon, r.ID, r.Template, r.Name, r.Owner, r.State,
			r.stepsDone(), len(r.Steps), r.Created.Format(time.DateTime+" MST"))
		if r.State == RunFailed {
			line += " · `/plat run retry " + r.ID + "`"
		}
		lines = append(lines, line)
	}
	return req.Reply(ctx, bot.Message{
		Text:   "Your runs:\n" + strings.Join(lines, "\n"),
		Blocks: []bot.Block{bot.Header{Text: "Your golden-path runs"}, bot.Section{Text: strings.Join(lines, "\n")}, bot.Context{Text: "`/plat run <id>` shows one run."}},
	})
}

func (p *Paths) cmdRun(ctx context.Context, req *bot.Request) error {
	r, err := p.findRun(ctx, req.Arg(0))
	if err != nil {
		return err
	}
	if !canSee(r, req.User, p.identify(ctx, req.User)) {
		return bot.Errorf("There is no run `%s` you can see.", r.ID)
	}
	return req.Reply(ctx, progressMessage(r, p.secrets.DevelopmentOnly()))
}

// ---- buttons ----

// handleAction handles the feature's buttons: paths:retry:<run>,
// paths:create:<preview> and paths:preview:<template>.
func (p *Paths) handleAction(ctx context.Context, req *bot.Request, a bot.Action) error {
	parts := strings.SplitN(a.ID, ":", 3)
	if len(parts) < 2 {
		return bot.Errorf("This button is no longer supported.")
	}
	arg := a.Value
	if len(parts) == 3 && parts[2] != "" {
		arg = parts[2]
	}
	switch parts[1] {
	case "retry":
		return p.retry(ctx, req, arg)
	case "create":
		return p.createFromPreview(ctx, req, arg)
	case "preview":
		// Open the dry-run form of a template (the Preview button of /plat templates).
		sub := *req
		sub.Command, sub.Flags = arg+" preview", bot.Flags{"dry-run": "true"}
		f, err := p.templateForm(arg)(ctx, &sub)
		if err != nil {
			return err
		}
		return req.OpenForm(ctx, f)
	}
	return bot.Errorf("This button is no longer supported.")
}

func (p *Paths) createFromPreview(ctx context.Context, req *bot.Request, id string) error {
	rec, err := p.store.GetRecord(ctx, KindPreview, id)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Errorf("That preview expired or is gone; run the command again with `--dry-run`.")
	}
	if err != nil {
		return fmt.Errorf("load preview %s: %w", id, err)
	}
	if rec.State != previewOpen {
		return bot.Errorf("That preview expired or is gone; run the command again with `--dry-run`.")
	}
	var pr previewRecord
	if err := json.Unmarshal(rec.Data, &pr); err != nil {
		return fmt.Errorf("decode preview %s: %w", id, err)
	}
	if pr.User != req.User.ID {
		return bot.Errorf("Only the person who made this preview can create it; run `/plat %s` yourself.", pr.Template)
	}
	if !p.now().Before(pr.expires(rec, p.cfg.PreviewTTL)) {
		if err := p.dropPreview(ctx, id); err != nil {
			p.log.Warn("drop expired preview", "preview", id, "err", err)
		}
		return bot.Errorf("That preview expired (\"Create it\" works for %s after a preview); preview again with `/plat %s --dry-run`.", humanDuration(p.cfg.PreviewTTL), pr.Template)
	}
	if t := p.approvedTemplate(pr.Template); t == nil || t.Hash != pr.Hash {
		return bot.Errorf("The golden path `%s` changed since this preview; preview it again with `/plat %s --dry-run`.", pr.Template, pr.Template)
	}
	// The run id derives from the preview, so a second click finds the
	// same run instead of starting another.
	sub := *req
	sub.ID = "preview:" + id
	sub.Received = rec.Created
	return p.submit(ctx, &sub, pr.Template, pr.Values)
}

// sortedFiles returns file names sorted.
func sortedFiles(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// catalogKind maps a lower-case ref kind ("component") to the catalog's
// spelling ("Component").
func catalogKind(kind string) string {
	for _, k := range []string{catalog.KindComponent, catalog.KindAPI, catalog.KindResource, catalog.KindSystem,
		catalog.KindDomain, catalog.KindGroup, catalog.KindUser, catalog.KindLocation, catalog.KindTemplate} {
		if strings.EqualFold(k, kind) {
			return k
		}
	}
	return kind
}
