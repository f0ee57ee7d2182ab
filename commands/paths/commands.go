package paths

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
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
		p.upgradeCommand(),
		p.driftCommand(),
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
func (p *Paths) templateCommand(t *template.Template) *bot.Command {
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
		Suggest: func(ctx context.Context, req *bot.Request, fieldID, query string) ([]bot.Option, error) {
			cur := p.approvedTemplate(t.Name)
			if cur == nil {
				return nil, bot.Errorf("The golden path `%s` is not approved any more.", t.Name)
			}
			return cur.Pages.Suggest(p.catalog, fieldID, query, p.pickable(p.identify(ctx, req.User)))
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
func (p *Paths) previewCommand(t *template.Template) *bot.Command {
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
		id := p.identify(ctx, req.User)
		owners := p.ownerChoices(id)
		if t.Pages.OwnerProperty() != nil && len(owners) == 0 {
			return nil, bot.Errorf("You belong to no team in the catalog, so nothing you create with `/plat %s` would have an owner. Ask the platform team to add you to your team (`spec.memberOf` of your User entity).", t.Name)
		}
		f := t.Pages.Build(formID, t.Title, t.Description, forms.Env{Values: req.FormValues, Owners: owners, Choices: p.formChoices(ctx, t)})
		f.State = t.Hash
		p.hintForm(ctx, req, id, t, f)
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
func (p *Paths) validate(ctx context.Context, req *bot.Request, t *template.Template, v bot.Values) bot.FieldErrors {
	errs, _ := p.check(ctx, req, t, v)
	return errs
}

// check validates a submission: JSON Schema rules, DNS-1123 names, the
// owner (one of the user's own teams), catalog references, names not
// taken; then a dry run of the whole run in memory, so values a step would
// fail on (a folder that leaves the output, a file that no longer parses)
// are refused on their field before anything exists. A dry-run failure
// that no single field explains is returned as the error.
func (p *Paths) check(ctx context.Context, req *bot.Request, t *template.Template, v bot.Values) (bot.FieldErrors, error) {
	id := p.identify(ctx, req.User)
	if errs := p.fieldErrors(ctx, req, id, t, v); len(errs) > 0 {
		return errs, nil
	}
	return p.planCheck(ctx, req, id, t, v)
}

func (p *Paths) fieldErrors(ctx context.Context, req *bot.Request, id *catalog.Identity, t *template.Template, v bot.Values) bot.FieldErrors {
	errs := t.Pages.Validate(v)
	if errs == nil {
		errs = bot.FieldErrors{}
	}
	if op := t.Pages.OwnerProperty(); op != nil && errs[op.Name] == "" {
		if owner := strings.TrimSpace(v.Get(op.Name)); owner != "" {
			if msg := p.checkOwner(id, owner); msg != "" {
				errs[op.Name] = msg
			}
		}
	}
	mayPick := p.pickable(id)
	if mayPick == nil {
		mayPick = func(*catalog.Entity) bool { return true }
	}
	for _, prop := range t.Pages.Properties() {
		val := strings.TrimSpace(v.Get(prop.Name))
		if prop.UIField != "EntityPicker" || val == "" || errs[prop.Name] != "" {
			continue
		}
		ref := catalog.NormalizeRef(val, prop.EntityKind(), catalog.DefaultNamespace)
		kind, _, _ := catalog.ParseRef(ref, "", "")
		var found *catalog.Entity
		for _, e := range p.catalog.List(catalogKind(kind)) {
			if e.Ref() == ref {
				found = e
			}
		}
		switch {
		case found == nil:
			errs[prop.Name] = fmt.Sprintf("%s is not in the catalog", ref)
		case !mayPick(found):
			errs[prop.Name] = p.notYours(id, found)
		}
	}
	if np := t.Pages.NameProperty(); np != nil && errs[np.Name] == "" && strings.TrimSpace(v.Get(np.Name)) != "" {
		params, _ := p.params(id, t, v)
		if msg := p.nameTaken(ctx, t, params, newRunID(req)); msg != "" {
			errs[np.Name] = msg
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
	return forms.OwnerChoices(id, teams)
}

// teamKinds are the kinds of entity a team owns and a golden path
// changes (a service, a database, an API): an EntityPicker over them offers
// only the requester's teams' entities. Systems and domains group many
// teams' entities, so any of them may be picked.
var teamKinds = []string{catalog.KindComponent, catalog.KindResource, catalog.KindAPI}

// pickable is the policy of EntityPicker fields for a user (nil admits
// every entity): an entity of a teamKinds kind must be owned by one of the
// user's own teams, the owners their form offers (ownerChoices); an admin
// may pick any.
func (p *Paths) pickable(id *catalog.Identity) func(*catalog.Entity) bool {
	if id.IsAdmin() {
		return nil
	}
	teams := p.ownerChoices(id)
	return func(e *catalog.Entity) bool {
		if !slices.ContainsFunc(teamKinds, func(k string) bool { return strings.EqualFold(e.Kind, k) }) {
			return true
		}
		owner := strings.TrimSpace(e.Owner())
		return owner != "" && slices.Contains(teams, catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace))
	}
}

// notYours says why the user may not pick e: it is not their teams'.
func (p *Paths) notYours(id *catalog.Identity, e *catalog.Entity) string {
	owner := strings.TrimSpace(e.Owner())
	if owner == "" {
		owner = "nobody"
	} else {
		owner = catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	}
	choices := p.ownerChoices(id)
	if len(choices) == 0 {
		return fmt.Sprintf("%s is owned by %s and you belong to no team in the catalog; ask the platform team to add you to your team", e.Ref(), owner)
	}
	names := make([]string, len(choices))
	for i, c := range choices {
		_, _, names[i] = catalog.ParseRef(c, catalog.KindGroup, catalog.DefaultNamespace)
	}
	return fmt.Sprintf("%s is owned by %s, not by one of your teams (%s): pick one of your own", e.Ref(), owner, strings.Join(names, ", "))
}

// checkOwner says why the user may not name owner as the owning group (""
// when they may): it must be one of the choices their form offers.
func (p *Paths) checkOwner(id *catalog.Identity, owner string) string {
	ref := catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	choices := p.ownerChoices(id)
	if slices.Contains(choices, ref) {
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

// planCheck dry-runs the submission in memory. When that fails because of
// fields an action names (a bot.FieldErrors in the error's chain: the
// action knows which parameter filled the value it refuses, like a name
// the GitOps repository already has), those fields are blamed; otherwise
// the first field whose value, left out (its default applies), makes the
// dry run succeed is blamed for it; a failure no field explains is
// returned as is.
func (p *Paths) planCheck(ctx context.Context, req *bot.Request, id *catalog.Identity, t *template.Template, v bot.Values) (bot.FieldErrors, error) {
	err := p.tryPlan(ctx, req, id, t, v)
	if err == nil {
		return nil, nil
	}
	var named bot.FieldErrors
	if errors.As(err, &named) {
		blamed := bot.FieldErrors{}
		for _, prop := range t.Pages.Properties() {
			if msg, ok := named[prop.Name]; ok && !prop.UIHidden {
				// A RepoUrlPicker's problem goes to its repository field.
				blamed[prop.FieldID(v)] = msg
			}
		}
		if len(blamed) > 0 {
			return blamed, nil
		}
	}
	for _, prop := range t.Pages.Properties() {
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
			return bot.FieldErrors{prop.Name: "this value cannot be used: " + actions.PlanProblem(err)}, nil
		}
	}
	return nil, err
}

// tryPlan dry-runs the values (nil when no owner can be found: prepare
// says why).
func (p *Paths) tryPlan(ctx context.Context, req *bot.Request, id *catalog.Identity, t *template.Template, v bot.Values) error {
	params, owner := p.params(id, t, v)
	if owner == "" {
		return nil
	}
	_, err := p.Plan(ctx, t, p.newRun(req, id, t, params, t.Pages.Secrets(v), owner))
	return err
}

// runNameKey is the key a run of t with params holds its name under (""
// when t names nothing; see Run.NameKey). The name of a new catalog entity
// (forms.Pages.EntityNameProperty) is one name across every template and
// the catalog. Another name (a cache's) is unique only among the
// template's runs for the same scope: the values of its EntityPickers and
// of a parameter called environment (new-cache: the same service and
// environment).
func runNameKey(t *template.Template, params map[string]any) string {
	if np := t.Pages.EntityNameProperty(); np != nil {
		if name := strings.TrimSpace(templating.Text(params[np.Name])); name != "" {
			return nameKey(name)
		}
		return ""
	}
	np := t.Pages.NameProperty()
	if np == nil {
		return ""
	}
	name := strings.TrimSpace(templating.Text(params[np.Name]))
	if name == "" {
		return ""
	}
	parts := []string{t.Name}
	for _, prop := range nameScope(t) {
		parts = append(parts, prop.Name+"="+strings.TrimSpace(templating.Text(params[prop.Name])))
	}
	return nameKey(strings.Join(append(parts, name), ";"))
}

// nameScope are the parameters within whose values a name that is no
// catalog entity's must be unique (see runNameKey).
func nameScope(t *template.Template) []*forms.Property {
	var out []*forms.Property
	for _, prop := range t.Pages.Properties() {
		if prop.UIField == "EntityPicker" || prop.Name == "environment" {
			out = append(out, prop)
		}
	}
	return out
}

// nameTaken says why the name a run of t with params would create cannot
// be used ("" when it can): a new catalog entity's name must be in no
// catalog entity and no other run; another name (a cache's) in no other
// run of t for the same scope (runNameKey). The run the submission itself
// started (self: a replayed submission) does not count.
func (p *Paths) nameTaken(ctx context.Context, t *template.Template, params map[string]any, self string) string {
	key := runNameKey(t, params)
	if key == "" {
		return ""
	}
	np := t.Pages.NameProperty()
	name := strings.TrimSpace(templating.Text(params[np.Name]))
	entity := t.Pages.EntityNameProperty() != nil
	if entity {
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
	}
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, Key: key, States: []string{RunRunning, RunFailed, RunSucceeded}, Limit: 2})
	if err != nil {
		p.log.Warn("check runs for name", "name", name, "err", err)
		return ""
	}
	for i := range recs {
		if recs[i].ID == self {
			continue
		}
		r, err := decodeRun(&recs[i])
		if err != nil {
			continue
		}
		if entity {
			return fmt.Sprintf("run %s (by %s, %s) already creates %s; see `/plat run %s`", r.ID, r.Requester.String(), r.State, name, r.ID)
		}
		var scope []string
		for _, prop := range nameScope(t) {
			if v := strings.TrimSpace(templating.Text(params[prop.Name])); v != "" {
				scope = append(scope, v)
			}
		}
		where := ""
		if len(scope) > 0 {
			where = " for " + strings.Join(scope, " in ")
		}
		return fmt.Sprintf("run %s (by %s, %s) already creates %s%s; pick another name, or see `/plat run %s`", r.ID, r.Requester.String(), r.State, name, where, r.ID)
	}
	return ""
}

// prepare turns a valid submission into parameters and the owning group,
// and checks the user may scaffold for that group. It is shared by the
// real run, the dry run and "Create it".
func (p *Paths) prepare(ctx context.Context, req *bot.Request, name string, v bot.Values) (*template.Template, map[string]any, string, error) {
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
		return nil, nil, "", bot.Errorf("`/plat %s` cannot run with these values, so nothing was created: %s. If the values look right, the template is wrong; tell its owners (%s).", t.Name, actions.PlanProblem(planErr), t.Owner)
	}
	return t, params, owner, nil
}

// params turns submitted values into the run's parameters and its owning
// group ("" when none can be found): the owner parameter, else the user's
// team. Group and entity references are normalised.
func (p *Paths) params(id *catalog.Identity, t *template.Template, v bot.Values) (map[string]any, string) {
	params := t.Pages.Coerce(v)
	return params, normalizeParams(t, params, id.Team())
}

// normalizeParams normalises the group and entity references among params
// in place and returns the owning group: the owner parameter, else
// fallback ("" when neither names one).
func normalizeParams(t *template.Template, params map[string]any, fallback string) string {
	op := t.Pages.OwnerProperty()
	owner := ""
	if op != nil {
		owner = templating.Text(params[op.Name])
	}
	if owner == "" {
		owner = fallback
	}
	if owner == "" {
		return ""
	}
	owner = catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	if op != nil {
		params[op.Name] = owner
	}
	for _, prop := range t.Pages.Properties() {
		if s, ok := params[prop.Name].(string); ok && prop.UIField == "EntityPicker" && s != "" {
			params[prop.Name] = catalog.NormalizeRef(s, prop.EntityKind(), catalog.DefaultNamespace)
		}
	}
	return owner
}

// newRun is a new run of the template for the submission (not stored).
// secrets are the values of its secret parameters (kept sealed, see Run).
func (p *Paths) newRun(req *bot.Request, id *catalog.Identity, t *template.Template, params map[string]any, secrets map[string]string, owner string) *Run {
	r := &Run{secrets: secrets,
		ID: newRunID(req), Template: t.Name, TemplateTitle: t.Title, TemplateHash: t.Hash,
		Owner: owner, Requester: req.User, RequesterRef: id.UserRef, RequesterTeam: id.Team(),
		Transport: req.Transport, Channel: req.Channel, ThreadTS: req.ThreadTS,
		Params: params, Files: map[string]string{}, Created: p.now().UTC(),
	}
	if np := t.Pages.NameProperty(); np != nil {
		r.Name = templating.Text(params[np.Name])
	}
	r.NameKey = runNameKey(t, params)
	return r
}

// submit starts a run for a valid submission.
func (p *Paths) submit(ctx context.Context, req *bot.Request, name string, v bot.Values) error {
	t, params, owner, err := p.prepare(ctx, req, name, v)
	if err != nil {
		return err
	}
	_, err = p.startRun(ctx, req, t, params, t.Pages.Secrets(v), owner)
	return err
}
