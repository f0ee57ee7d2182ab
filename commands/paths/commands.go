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
			Name: "template approve", Usage: "<name> [--version <id>]", Action: bot.ActionAdmin,
			Summary:  "Approve the current version of a golden-path template (admins)",
			Help:     "Shows what changed since the last approved version and approves it: only approved versions appear in /plat help and run. Give --version (from `/plat template diff`) to approve exactly the version you reviewed.",
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
		f := t.Form(p.identify(ctx, req.User), formID)
		f.State = t.Hash
		if formID != t.Name {
			f.SubmitText = "Preview"
			f.Intro = strings.TrimSpace("Dry run: nothing will be created. " + f.Intro)
		}
		return f, nil
	}
}

// catalogKindsForNames are the kinds a new name must not collide with.
var catalogKindsForNames = []string{
	catalog.KindComponent, catalog.KindResource, catalog.KindAPI, catalog.KindSystem, catalog.KindDomain,
}

// validate checks a submission beyond the form's field rules: JSON Schema
// rules, DNS-1123 names, the owner, and that the name is not taken in the
// catalog or by another run. It is fast and has no side effects.
func (p *Paths) validate(ctx context.Context, req *bot.Request, t *Template, v bot.Values) bot.FieldErrors {
	errs := t.validateValues(v)
	if errs == nil {
		errs = bot.FieldErrors{}
	}
	if op := t.ownerProperty(); op != nil && errs[op.Name] == "" {
		if owner := strings.TrimSpace(v.Get(op.Name)); owner != "" {
			ref := catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
			found := false
			for _, g := range p.catalog.List(catalog.KindGroup) {
				found = found || g.Ref() == ref
			}
			if !found {
				errs[op.Name] = fmt.Sprintf("%s is not a group in the catalog", ref)
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
// and checks the user may scaffold for that group.
func (p *Paths) prepare(ctx context.Context, req *bot.Request, name string, v bot.Values) (*Template, map[string]any, string, error) {
	t := p.approvedTemplate(name)
	if t == nil {
		return nil, nil, "", bot.Errorf("The golden path `%s` is not approved any more, so nothing was created. `/plat templates` lists those you can run.", name)
	}
	if errs := p.validate(ctx, req, t, v); len(errs) > 0 {
		return nil, nil, "", errs
	}
	params := t.coerce(v)
	owner := ""
	if op := t.ownerProperty(); op != nil {
		owner = toString(params[op.Name])
	}
	if owner == "" {
		owner = p.identify(ctx, req.User).Team()
	}
	if owner == "" {
		return nil, nil, "", bot.Errorf("You belong to no team in the catalog, so I cannot tell who would own this. Ask the platform team to add you to a group.")
	}
	owner = catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	if op := t.ownerProperty(); op != nil {
		params[op.Name] = owner
	}
	for _, prop := range t.properties() {
		if s, ok := params[prop.Name].(string); ok && prop.UIField == "EntityPicker" && s != "" {
			params[prop.Name] = catalog.NormalizeRef(s, prop.entityKind(), catalog.DefaultNamespace)
		}
	}
	return t, params, owner, nil
}

// submit starts a run for a valid submission.
func (p *Paths) submit(ctx context.Context, req *bot.Request, name string, v bot.Values) error {
	t, params, owner, err := p.prepare(ctx, req, name, v)
	if err != nil {
		return err
	}
	if err := p.router.Authorize(ctx, req, bot.ActionScaffold, bot.Resource{Kind: "group", Ref: owner, Owner: owner}); err != nil {
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
		return nil, nil, bot.Errorf("There is no template `%s`. Known: %s.", name, strings.Join(names, ", "))
	}
	if e.Current == nil {
		return nil, nil, bot.Errorf("Template `%s` cannot be loaded from %s: %s", name, e.Source, strings.Join(e.Problems, "; "))
	}
	var old map[string][]byte
	if e.Approved != nil {
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

func (p *Paths) cmdApprove(ctx context.Context, req *bot.Request) error {
	e, old, err := p.templateForReview(ctx, req)
	if err != nil {
		return err
	}
	t := e.Current
	if len(e.Problems) > 0 {
		return bot.Errorf("Template `%s` cannot be approved until its owners (%s) fix this:\n• %s", t.Name, t.Owner, strings.Join(e.Problems, "\n• "))
	}
	if v := req.Flags["version"]; v != "" && !strings.HasPrefix(t.Hash, v) {
		return bot.Errorf("Template `%s` is now at version `%s`, not `%s`: it changed since you reviewed it. Look again with `/plat template diff %s`.", t.Name, shortHash(t.Hash), v, t.Name)
	}
	if e.Approved != nil && e.Approved.Hash == t.Hash {
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

// previewRecord is a dry run's submission, kept so "Create it" can start
// the real run from the same values.
type previewRecord struct {
	Template string     `json:"template"`
	Hash     string     `json:"hash"`
	Values   bot.Values `json:"values"`
	User     string     `json:"user"`
}

func (p *Paths) createFromPreview(ctx context.Context, req *bot.Request, id string) error {
	rec, err := p.store.GetRecord(ctx, KindPreview, id)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Errorf("That preview is gone; run the command again.")
	}
	if err != nil {
		return fmt.Errorf("load preview %s: %w", id, err)
	}
	var pr previewRecord
	if err := json.Unmarshal(rec.Data, &pr); err != nil {
		return fmt.Errorf("decode preview %s: %w", id, err)
	}
	if pr.User != req.User.ID {
		return bot.Errorf("Only the person who made this preview can create it; run `/plat %s` yourself.", pr.Template)
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
