package paths

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/merge"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/store"
)

// An upgrade (/plat upgrade <service>) moves a service's generated files
// from the template version they were generated from (its Lineage) to the
// template's latest approved version, keeping the team's own edits: for
// each file, base is the recorded version rendered with the recorded
// inputs, new is the approved version rendered with the same inputs (new
// parameters take their defaults, or are asked for in a form), ours is the
// file in the repository today; they are merged three ways (package
// merge). One pull request per repository the run published to, on a
// branch named after the service, template and target version, so a retry
// finds the same pull request.

// ChangelogFile is a template's changelog, beside its template.yaml: its
// "## " sections that the target version has and the recorded version has
// not are quoted in the upgrade's pull request.
const ChangelogFile = template.ChangelogFile

// upgradeCommand is /plat upgrade.
func (p *Paths) upgradeCommand() *bot.Command {
	return &bot.Command{
		Name: "upgrade", Usage: "<service> [--template <name>] [--version <id>] [--dry-run]",
		Summary:   "Upgrade a service's generated files to the latest approved version of its golden path",
		Help:      "Merges what changed in the golden path since the service's files were generated into today's files (three-way, keeping your edits; conflicts are marked as git marks them) and opens one pull request with a summary and the template's changelog. `--template` picks the golden path when the service came from several; `--version` names an approved version other than the latest; `--dry-run` shows the merge without opening anything. Only the service's owners may upgrade it.",
		Flags:     []string{"template", "version"},
		BoolFlags: []string{"dry-run"},
		Action:    bot.ActionRead,
		Handle:    func(ctx context.Context, req *bot.Request) error { return p.cmdUpgrade(ctx, req, nil) },
		Submit:    func(ctx context.Context, req *bot.Request, v bot.Values) error { return p.cmdUpgrade(ctx, req, v) },
	}
}

// upgradePlan is an upgrade worked out: what each repository gets.
type upgradePlan struct {
	Lineage *Lineage
	From    *template.Template
	To      *template.Template
	Inputs  map[string]any
	Repos   []*repoUpgrade
	// Changelog are the changelog sections between the two versions.
	Changelog []string
	// Behind counts approved versions between From and To.
	Behind int
}

// repoUpgrade is the upgrade of one repository.
type repoUpgrade struct {
	Dest       actions.Destination
	Files      map[string]string
	Executable map[string]bool
	Delete     []string
	// What happened to each file, for people.
	Merged, Conflicts, Added, Removed, KeptDeleted, KeptChanged, Renamed []string
	// Lineage is the new lineage output.
	Lineage LineageOutput
}

func (u *repoUpgrade) empty() bool {
	return len(u.Merged)+len(u.Conflicts)+len(u.Added)+len(u.Removed) == 0
}

// cmdUpgrade answers /plat upgrade, and its form's submission (v: the
// values of new parameters that have no default).
func (p *Paths) cmdUpgrade(ctx context.Context, req *bot.Request, v bot.Values) error {
	service := strings.TrimSpace(req.Arg(0))
	if service == "" {
		return bot.Errorf("Which service? `/plat upgrade <service> [--template <name>] [--dry-run]`.")
	}
	// The catalog's owner of the service is asked first, before anything
	// about its templates is told or read from its repositories; only a
	// service the catalog no longer has is authorized against the owner
	// its lineage recorded.
	authorize := func(owner string) error {
		return p.router.Authorize(ctx, req, bot.ActionScaffold, bot.Resource{Kind: "group", Ref: owner, Owner: owner})
	}
	owner := p.catalogOwner(service)
	if owner != "" {
		if err := authorize(owner); err != nil {
			return err
		}
	}
	l, err := p.pickLineage(ctx, service, strings.TrimSpace(req.Flags["template"]))
	if err != nil {
		return err
	}
	if owner == "" {
		if err := authorize(l.Owner); err != nil {
			return err
		}
	}
	to, behind, err := p.upgradeTarget(l, strings.TrimSpace(req.Flags["version"]))
	if err != nil {
		return err
	}
	from, err := p.loadVersion(ctx, l.Template, l.Version)
	if err != nil {
		return bot.Errorf("`%s` was generated from version `%s` of `%s`, which platbot no longer keeps, so it cannot tell your edits from the template's; nothing was opened. (%v)", service, template.ShortHash(l.Version), l.Template, err)
	}
	inputs, missing := upgradeInputs(l, to)
	if len(missing) > 0 {
		if v == nil {
			return req.OpenForm(ctx, upgradeForm(to, missing, service))
		}
		vals := to.Pages.Coerce(v)
		errs := bot.FieldErrors{}
		for _, prop := range missing {
			x, ok := vals[prop.Name]
			if !ok || strings.TrimSpace(fmt.Sprint(x)) == "" {
				errs[prop.Name] = "required: the new version of " + l.Template + " needs it"
				continue
			}
			inputs[prop.Name] = x
		}
		if len(errs) > 0 {
			return errs
		}
	}
	plan, err := p.planUpgrade(ctx, req, l, from, to, inputs)
	if err != nil {
		return err
	}
	plan.Behind = behind
	if req.Flags.Has("dry-run") {
		return req.Reply(ctx, bot.Message{Text: plan.summary("Dry run: nothing was opened.", nil)})
	}
	return p.openUpgrade(ctx, req, plan)
}

// catalogOwner is the owner group of the service as the catalog has it
// now ("" when the catalog has no such entity, or it names no owner).
func (p *Paths) catalogOwner(service string) string {
	if e := p.serviceEntity(service); e != nil && e.Owner() != "" {
		return catalog.NormalizeRef(e.Owner(), catalog.KindGroup, catalog.DefaultNamespace)
	}
	return ""
}

// pickLineage finds the lineage to upgrade: the service's only one, or
// the one of tmpl ("<template>" or "<template>/<name>").
func (p *Paths) pickLineage(ctx context.Context, service, tmpl string) (*Lineage, error) {
	ls, err := p.serviceLineage(ctx, service)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, bot.Errorf("`%s` has no golden-path lineage: platbot did not generate it (or it was generated before lineage was recorded, and its repositories have no `%s/%s/` file), so there is nothing to upgrade and nothing was opened.", bot.UserText(service), LineageDir, bot.UserText(service))
	}
	var names []string
	var match []*Lineage
	for _, l := range ls {
		id := l.Template
		if l.Name != "" {
			id += "/" + l.Name
		}
		names = append(names, "`"+id+"`")
		if tmpl == "" || tmpl == l.Template || tmpl == id {
			match = append(match, l)
		}
	}
	switch {
	case len(match) == 0:
		return nil, bot.Errorf("`%s` did not come from `%s`; it came from %s. Nothing was opened.", bot.UserText(service), bot.UserText(tmpl), strings.Join(names, ", "))
	case len(match) > 1:
		return nil, bot.Errorf("`%s` came from %s: say which with `--template <name>`. Nothing was opened.", bot.UserText(service), strings.Join(names, ", "))
	}
	return p.refreshLineage(ctx, match[0]), nil
}

// approvedVersions are a template's approved versions, oldest first.
func (p *Paths) approvedVersions(name string) []string {
	e := p.entry(name)
	if e == nil {
		return nil
	}
	var out []string
	if e.Approval != nil {
		for _, h := range e.Approval.History {
			out = append(out, h.Hash)
		}
		out = append(out, e.Approval.Hash)
	} else if e.Approved != nil {
		out = append(out, e.Approved.Hash)
	}
	return out
}

// versionsBehind counts the approved versions after version (all of them
// when version is none of them).
func versionsBehind(approved []string, version string) int {
	for i := len(approved) - 1; i >= 0; i-- {
		if approved[i] == version {
			return len(approved) - 1 - i
		}
	}
	return len(approved)
}

// upgradeTarget is the version to upgrade l to: the latest approved one,
// or the approved version whose id starts with want; and how many
// approved versions it is ahead of l's.
func (p *Paths) upgradeTarget(l *Lineage, want string) (*template.Template, int, error) {
	t := p.approvedTemplate(l.Template)
	if t == nil {
		return nil, 0, bot.Errorf("The golden path `%s` has no approved version now, so there is nothing to upgrade `%s` to; nothing was opened.", l.Template, l.Service)
	}
	approved := p.approvedVersions(l.Template)
	if want != "" && !strings.HasPrefix(t.Hash, want) {
		if len(want) < 8 {
			return nil, 0, bot.Errorf("Give at least 8 characters of the version (`/plat template diff %s` shows ids); nothing was opened.", l.Template)
		}
		for _, h := range approved {
			if strings.HasPrefix(h, want) {
				return nil, 0, bot.Errorf("Version `%s` of `%s` was approved once but is not the approved version now (`%s`): upgrades go to the approved version. Nothing was opened.", bot.UserText(want), l.Template, template.ShortHash(t.Hash))
			}
		}
		return nil, 0, bot.Errorf("Version `%s` of `%s` is not approved, so `%s` cannot be upgraded to it; nothing was opened. The approved version is `%s`.", bot.UserText(want), l.Template, l.Service, template.ShortHash(t.Hash))
	}
	if t.Hash == l.Version {
		return nil, 0, bot.Errorf("`%s` is already on the approved version of `%s` (`%s`); nothing to upgrade.", l.Service, l.Template, template.ShortHash(t.Hash))
	}
	return t, versionsBehind(approved, l.Version), nil
}

// upgradeInputs are the recorded inputs for the new version: parameters it
// no longer has are dropped, new ones take their defaults; missing are
// the new required ones with no default.
func upgradeInputs(l *Lineage, to *template.Template) (map[string]any, []*forms.Property) {
	inputs := make(map[string]any, len(l.Inputs))
	var missing []*forms.Property
	for _, prop := range to.Pages.Properties() {
		if prop.Secret() {
			continue
		}
		if v, ok := l.Inputs[prop.Name]; ok {
			inputs[prop.Name] = v
			continue
		}
		if prop.Default != nil {
			inputs[prop.Name] = prop.Default
			continue
		}
		if prop.Required {
			missing = append(missing, prop)
		}
	}
	to.Pages.Retype(inputs)
	return inputs, missing
}

// upgradeForm asks for the new parameters that have no default.
func upgradeForm(to *template.Template, missing []*forms.Property, service string) *bot.Form {
	full := to.Pages.Form("upgrade", "Upgrade "+service, "", nil)
	f := &bot.Form{ID: "upgrade", Title: full.Title, SubmitText: "Upgrade",
		Intro: fmt.Sprintf("The new version of `%s` has parameters with no default. Fill them in to upgrade `%s`.", to.Name, service)}
	for _, fd := range full.Fields {
		for _, prop := range missing {
			if fd.ID == prop.Name {
				fd.Page = 0
				f.Fields = append(f.Fields, fd)
			}
		}
	}
	return f
}

// render renders t for the lineage's run with inputs, as a dry run, and
// returns what each repository would get (lineage files left out).
func (p *Paths) render(ctx context.Context, req *bot.Request, l *Lineage, t *template.Template, inputs map[string]any) (map[actions.Destination]map[string]string, map[actions.Destination]map[string]bool, error) {
	params := make(map[string]any, len(inputs))
	for k, v := range inputs {
		params[k] = v
	}
	id := p.identify(ctx, req.User)
	r := &Run{ID: l.Run, Template: t.Name, TemplateTitle: t.Title, TemplateHash: t.Hash, Owner: l.Owner,
		Requester: req.User, RequesterRef: id.UserRef, RequesterTeam: id.Team(), Transport: req.Transport,
		Params: params, Files: map[string]string{}, Created: l.Created,
		published: map[actions.Destination]map[string]string{}, publishedExec: map[actions.Destination]map[string]bool{}}
	if _, err := p.Plan(ctx, t, r); err != nil {
		return nil, nil, err
	}
	exec := map[actions.Destination]map[string]bool{}
	for d, files := range r.published {
		exec[d] = r.publishedExec[d]
		for n := range files {
			if strings.HasPrefix(n, LineageDir+"/") {
				delete(files, n)
			}
		}
	}
	return r.published, exec, nil
}

// planUpgrade renders both versions, reads today's files and merges them.
func (p *Paths) planUpgrade(ctx context.Context, req *bot.Request, l *Lineage, from, to *template.Template, inputs map[string]any) (*upgradePlan, error) {
	base, _, err := p.render(ctx, req, l, from, l.Inputs)
	if err != nil {
		return nil, bot.Errorf("The recorded version `%s` of `%s` no longer renders with `%s`'s recorded inputs, so nothing was opened: %s", template.ShortHash(from.Hash), l.Template, l.Service, actions.PlanProblem(err))
	}
	next, nextExec, err := p.render(ctx, req, l, to, inputs)
	if err != nil {
		return nil, bot.Errorf("The approved version `%s` of `%s` does not render with `%s`'s inputs, so nothing was opened: %s. Tell the template's owners (%s).", template.ShortHash(to.Hash), l.Template, l.Service, actions.PlanProblem(err), to.Owner)
	}
	plan := &upgradePlan{Lineage: l, From: from, To: to, Inputs: inputs, Changelog: changelogBetween(from, to)}
	dests := map[actions.Destination]bool{}
	for _, o := range l.Outputs {
		dests[o.Destination] = true
	}
	for d := range next {
		dests[d] = true
	}
	var order []actions.Destination
	for d := range dests {
		order = append(order, d)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].String() < order[j].String() })
	for _, d := range order {
		u, err := p.upgradeRepo(ctx, l, d, base[d], next[d], nextExec[d], to, inputs)
		if err != nil {
			return nil, err
		}
		plan.Repos = append(plan.Repos, u)
	}
	return plan, nil
}

// reader reads today's files of a destination (nil content: no such file).
func (p *Paths) reader(d actions.Destination) (func(ctx context.Context, name string) (*string, error), error) {
	var read func(ctx context.Context, name string) ([]byte, error)
	switch {
	case d.GitOps() && p.gitopsFiles != nil:
		read = p.gitopsFiles.ReadFile
	case !d.GitOps() && p.repoFiles != nil:
		read = func(ctx context.Context, name string) ([]byte, error) { return p.repoFiles(ctx, d.Owner, d.Repo, name) }
	default:
		return nil, bot.Errorf("platbot cannot read %s (no reader of it is configured), so it cannot merge your files; nothing was opened.", d)
	}
	return func(ctx context.Context, name string) (*string, error) {
		b, err := read(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s in %s: %w", name, d, err)
		}
		s := string(b)
		return &s, nil
	}, nil
}

// upgradeRepo merges one repository's files.
func (p *Paths) upgradeRepo(ctx context.Context, l *Lineage, d actions.Destination, base, next map[string]string, exec map[string]bool, to *template.Template, inputs map[string]any) (*repoUpgrade, error) {
	read, err := p.reader(d)
	if err != nil {
		return nil, err
	}
	recorded := LineageOutput{Destination: d, Files: map[string]string{}}
	if o := l.output(d); o != nil {
		recorded = *o
	}
	if recorded.File == "" {
		recorded.File = lineageFile(l.Service, l.Template, l.Name)
	}
	// The team may have recorded renames in the lineage file.
	renamed := map[string]string{}
	for k, v := range recorded.Renamed {
		renamed[k] = v
	}
	if cur, err := read(ctx, recorded.File); err != nil {
		return nil, err
	} else if cur != nil {
		if fl, err := parseLineage(recorded.File, []byte(*cur)); err == nil {
			if o := fl.output(d); o != nil {
				for k, v := range o.Renamed {
					renamed[k] = v
				}
			}
		}
	}
	u := &repoUpgrade{Dest: d, Files: map[string]string{}, Executable: map[string]bool{}}
	names := map[string]bool{}
	for n := range base {
		names[n] = true
	}
	for n := range next {
		names[n] = true
	}
	for n := range recorded.Files {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	newOut := LineageOutput{Destination: d, File: recorded.File, Files: map[string]string{}}
	for _, n := range sorted {
		at := n
		if r, ok := renamed[n]; ok {
			at = r
		}
		ours, err := read(ctx, at)
		if err != nil {
			return nil, err
		}
		// followed lists a rename found here once the upgrade writes or
		// removes the file at its new place (not when it leaves it alone).
		followed := func() {}
		if ours == nil && at == n && recorded.Files[n] != "" {
			// Moved as it was generated? Look for the same content beside it.
			if moved, content, err := p.findRenamed(ctx, d, n, recorded.Files[n], recorded.Files); err != nil {
				return nil, err
			} else if moved != "" {
				at, ours = moved, &content
				renamed[n] = moved
				followed = func() { u.Renamed = append(u.Renamed, n+" → "+moved) }
			}
		}
		b, inBase := base[n]
		nx, inNext := next[n]
		if inNext {
			newOut.Files[n] = fileHash(nx)
		}
		switch {
		case inNext && ours == nil && (inBase || recorded.Files[n] != ""):
			// The team deleted it: it stays deleted.
			u.KeptDeleted = append(u.KeptDeleted, at)
			delete(newOut.Files, n)
		case inNext && ours == nil:
			u.Files[at], u.Executable[at] = nx, exec[n]
			u.Added = append(u.Added, at)
		case inNext:
			if !inBase {
				b = "" // both added it
			}
			m := merge.Merge(b, *ours, nx)
			if m.Text == *ours {
				continue
			}
			u.Files[at], u.Executable[at] = m.Text, exec[n]
			followed()
			if m.Conflicts > 0 {
				u.Conflicts = append(u.Conflicts, fmt.Sprintf("%s (%d)", at, m.Conflicts))
			} else {
				u.Merged = append(u.Merged, at)
			}
		case ours == nil || !inBase:
			// Dropped by the new version and already gone; or generated
			// once but rendered by neither version now (an action that
			// builds on the repository's files): the new version does not
			// drop it, so it is left alone.
		case recorded.Files[n] != "" && fileHash(*ours) == recorded.Files[n]:
			u.Delete = append(u.Delete, at)
			u.Removed = append(u.Removed, at)
			followed()
		default:
			u.KeptChanged = append(u.KeptChanged, at)
		}
	}
	if len(renamed) > 0 {
		newOut.Renamed = renamed
	}
	u.Lineage = newOut
	if !u.empty() {
		nl := *l
		nl.Version, nl.Inputs, nl.Outputs = to.Hash, inputs, []LineageOutput{newOut}
		nl.Upgraded, nl.Upgrade, nl.UpgradeVersion = time.Time{}, "", ""
		content, err := nl.yaml()
		if err != nil {
			return nil, err
		}
		u.Files[recorded.File] = content
	}
	return u, nil
}

// findRenamed looks, in the GitOps repository's folder of a generated
// file that is gone, for a file no other generated file is at with the
// content it was generated with (a rename); "" when there is none or the
// folder cannot be listed.
func (p *Paths) findRenamed(ctx context.Context, d actions.Destination, name, hash string, generated map[string]string) (string, string, error) {
	if !d.GitOps() || p.gitopsFiles == nil {
		return "", "", nil
	}
	dir := path.Dir(name)
	entries, err := p.gitopsFiles.ListDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("list %s in %s: %w", dir, d, err)
	}
	for _, e := range entries {
		cand := path.Join(dir, path.Base(e))
		if _, ok := generated[cand]; ok || cand == name {
			continue
		}
		b, err := p.gitopsFiles.ReadFile(ctx, cand)
		if err != nil {
			continue // a folder
		}
		if fileHash(string(b)) == hash {
			return cand, string(b), nil
		}
	}
	return "", "", nil
}

// changelogBetween are the "## " sections of to's changelog that from's
// has not, in to's order.
func changelogBetween(from, to *template.Template) []string {
	have := map[string]bool{}
	for _, s := range changelogSections(from) {
		have[strings.SplitN(s, "\n", 2)[0]] = true
	}
	var out []string
	for _, s := range changelogSections(to) {
		if !have[strings.SplitN(s, "\n", 2)[0]] {
			out = append(out, s)
		}
	}
	return out
}

func changelogSections(t *template.Template) []string {
	raw := string(t.Files[ChangelogFile])
	var out []string
	for _, part := range strings.Split("\n"+raw, "\n## ")[1:] {
		out = append(out, "## "+strings.TrimSpace(part))
	}
	return out
}

// summary describes the plan for people (pull requests: where each went).
func (pl *upgradePlan) summary(head string, prs map[actions.Destination]string) string {
	l := pl.Lineage
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nUpgrade of `%s` from `%s` version `%s` to `%s`", head, l.Service, l.Template, template.ShortHash(pl.From.Hash), template.ShortHash(pl.To.Hash))
	if pl.Behind > 0 {
		fmt.Fprintf(&b, " (%d approved version(s) behind)", pl.Behind)
	}
	b.WriteString(".\n")
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "• %s: %s\n", title, strings.Join(quoteAll(items), ", "))
	}
	for _, u := range pl.Repos {
		where := u.Dest.String()
		if u.Dest.GitOps() {
			where = sentence(where)
		}
		fmt.Fprintf(&b, "\n*%s*", where)
		if url := prs[u.Dest]; url != "" {
			b.WriteString(" — " + url)
		}
		b.WriteString("\n")
		if u.empty() {
			b.WriteString("• nothing changes here\n")
		}
		list("merged cleanly", u.Merged)
		list("conflicts to resolve (marked <<<<<<< ours / ||||||| base / ======= / >>>>>>> new)", u.Conflicts)
		list("new files", u.Added)
		list("removed (the new version drops them and you had not changed them)", u.Removed)
		list("kept deleted (you deleted them)", u.KeptDeleted)
		list("kept (the new version drops them, but you changed them)", u.KeptChanged)
		list("followed renames", u.Renamed)
	}
	if len(pl.Changelog) > 0 {
		b.WriteString("\n*What changed in the template*\n")
		for _, sec := range pl.Changelog {
			head, rest, _ := strings.Cut(sec, "\n")
			fmt.Fprintf(&b, "*%s*\n%s\n", bot.UserText(strings.TrimPrefix(head, "## ")).Mrkdwn(), bot.UserText(strings.TrimSpace(rest)).Mrkdwn())
		}
	}
	return b.String()
}

func quoteAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = "`" + bot.UserText(s).Mrkdwn() + "`"
	}
	return out
}

// upgradeBranch is the upgrade's deterministic branch.
func upgradeBranch(l *Lineage, to string) string {
	b := "plat/upgrade-" + l.Service + "-" + l.Template
	if l.Name != "" {
		b += "-" + l.Name
	}
	return b + "-" + template.ShortHash(to)
}

// openUpgrade opens the pull requests of a plan and records them.
func (p *Paths) openUpgrade(ctx context.Context, req *bot.Request, pl *upgradePlan) error {
	l := pl.Lineage
	prs := map[actions.Destination]string{}
	var first string
	// notes name the declined pull requests a new one replaces; created
	// tells a first answer from a retry's (Slack's, or a double click).
	var notes []string
	created := false
	for _, u := range pl.Repos {
		if u.empty() {
			continue
		}
		title := fmt.Sprintf("upgrade %s: %s %s → %s", l.Service, l.Template, template.ShortHash(pl.From.Hash), template.ShortHash(pl.To.Hash))
		body := pl.body(u)
		c := Change{Branch: upgradeBranch(l, pl.To.Hash), Title: title, Body: body, Files: u.Files, Executable: u.Executable, Delete: u.Delete,
			Labels: []string{"upgrade", l.Template}, CommitMessage: title + "\n\nGolden-path upgrade requested by " + req.User.String() + "."}
		if !u.Dest.GitOps() && p.repos == nil {
			return bot.Errorf("platbot cannot open pull requests in %s (no repositories are configured); nothing was opened.", u.Dest)
		}
		pr, replaced, err := p.openUpgradePR(ctx, u.Dest, c)
		if err != nil {
			return fmt.Errorf("open the upgrade pull request in %s: %w", u.Dest, err)
		}
		if pr.Created {
			created = true
			for _, old := range replaced {
				notes = append(notes, fmt.Sprintf("The earlier upgrade pull request %s is closed; this one asks again.", old))
			}
		}
		prs[u.Dest] = pr.URL
		if first == "" {
			first = pr.URL
		}
	}
	if first == "" {
		return req.Reply(ctx, bot.Message{Text: pl.summary("Nothing to change: your files already have everything the new version changes.", nil)})
	}
	it, err := p.lineages().Modify(ctx, l.ID(), func(it *store.Item[Lineage], exists bool) error {
		if !exists {
			it.Key, it.State, it.Owner, it.Value = l.Service, "recorded", l.Owner, *l
		}
		it.Value.Upgraded, it.Value.Upgrade, it.Value.UpgradeVersion = p.now().UTC(), first, pl.To.Hash
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the upgrade of %s: %w", l.ID(), err)
	}
	if err := p.saveHead(ctx, &it.Value); err != nil {
		return err
	}
	p.auditEvent(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "paths.upgrade", Target: "component:" + l.Service, Outcome: "ok",
		Details: map[string]any{"template": l.Template, "from": pl.From.Hash, "to": pl.To.Hash, "pull_requests": prURLs(prs)},
	})
	p.log.Info("upgrade opened", "service", l.Service, "template", l.Template, "to", template.ShortHash(pl.To.Hash), "pr", first)
	head := "⬆️ The upgrade pull request is already open."
	if created {
		head = strings.Join(append([]string{"⬆️ Upgrade pull request opened."}, notes...), "\n")
	}
	return req.Reply(ctx, bot.Message{Text: pl.summary(head, prs)})
}

// maxUpgradeReopens bounds how many closed upgrade pull requests of one
// version openUpgradePR steps over.
const maxUpgradeReopens = 20

// openUpgradePR opens c in d, idempotent per branch. When the pull request
// of c's branch was closed (the team declined it, or it was merged before
// the lineage followed), asking again opens a new one on the branch
// "<branch>-after-<number of the closed one>", so a retry finds that one
// again; replaced are the closed pull requests stepped over.
func (p *Paths) openUpgradePR(ctx context.Context, d actions.Destination, c Change) (pr *PullRequest, replaced []string, err error) {
	root := c.Branch
	for range maxUpgradeReopens {
		if d.GitOps() {
			pr, err = p.pub.Open(ctx, c)
		} else {
			pr, err = p.repos.OpenPullRequest(ctx, actions.RepoChange{Owner: d.Owner, Repo: d.Repo, Change: c})
		}
		if err != nil || !pr.Closed {
			return pr, replaced, err
		}
		p.log.Info("the upgrade pull request is closed: opening another", "repository", d.String(), "closed", pr.URL)
		replaced = append(replaced, pr.URL)
		c.Branch = fmt.Sprintf("%s-after-%d", root, pr.Number)
	}
	return nil, replaced, bot.Errorf("The last %d upgrade pull requests of this version are closed (the latest: %s). Reopen and merge one of them, or wait for the next approved version; nothing new was opened.", maxUpgradeReopens, replaced[len(replaced)-1])
}

// prURLs are the pull requests by repository name, as the audit log
// stores them (JSON objects are keyed by strings).
func prURLs(prs map[actions.Destination]string) map[string]string {
	out := make(map[string]string, len(prs))
	for d, url := range prs {
		out[d.String()] = url
	}
	return out
}

// body is an upgrade pull request's description.
func (pl *upgradePlan) body(u *repoUpgrade) string {
	l := pl.Lineage
	var b strings.Builder
	fmt.Fprintf(&b, "Upgrades `%s` from golden path `%s` version `%s` to the approved version `%s`, keeping the team's edits (three-way merge of the recorded version, today's files and the new version, rendered with the inputs recorded in `%s`).\n\n",
		bot.UserText(l.Service).Markdown(), l.Template, template.ShortHash(pl.From.Hash), template.ShortHash(pl.To.Hash), u.Lineage.File)
	section := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		b.WriteString("## " + title + "\n\n")
		for _, s := range items {
			b.WriteString("- `" + bot.UserText(s).Markdown() + "`\n")
		}
		b.WriteString("\n")
	}
	if len(u.Conflicts) > 0 {
		b.WriteString("## Conflicts to resolve before merging\n\nBoth you and the template changed these lines; each conflict is marked as git marks them (`<<<<<<< ours`, `||||||| base`, `=======`, `>>>>>>> new`). Resolve them on this branch.\n\n")
		for _, s := range u.Conflicts {
			b.WriteString("- `" + bot.UserText(s).Markdown() + "`\n")
		}
		b.WriteString("\n")
	}
	section("Merged cleanly", u.Merged)
	section("New files", u.Added)
	section("Removed (dropped by the new version, unchanged since generated)", u.Removed)
	section("Kept deleted (you deleted them)", u.KeptDeleted)
	section("Kept (dropped by the new version, but changed since generated)", u.KeptChanged)
	section("Followed renames", u.Renamed)
	if len(pl.Changelog) > 0 {
		b.WriteString("## What changed in the template\n\n" + strings.Join(pl.Changelog, "\n\n") + "\n\n")
	}
	fmt.Fprintf(&b, "---\nOpened by platbot: `/plat upgrade %s`.\n", bot.UserText(l.Service).Markdown())
	return b.String()
}
