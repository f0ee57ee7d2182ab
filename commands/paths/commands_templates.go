package paths

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/template"
)

// ---- /plat templates, template approve, template diff ----

func (p *Paths) cmdTemplates(ctx context.Context, req *bot.Request) error {
	if err := p.Reload(ctx); err != nil {
		return err
	}
	id := p.identify(ctx, req.User)
	admin := id.IsAdmin()
	p.mu.RLock()
	st := p.state
	p.mu.RUnlock()
	// Approved paths are listed under the team that owns them (the user's
	// own teams first): a team's golden paths are its own.
	type line struct {
		text    string
		section bot.Block
	}
	byTeam := map[string][]line{}
	var pending []string
	for _, name := range st.names {
		e := st.entries[name]
		switch e.status() {
		case "approved", "changed":
			t := e.Approved
			text := fmt.Sprintf("• `/plat %s` — %s", t.Name, firstNonEmpty(t.Description, t.Title))
			if admin && e.status() == "changed" {
				text += " · ⚠️ _changed since approval: `/plat template diff " + t.Name + "`_"
			}
			if e.Demo {
				text += " · 🧪 _example template: counts as approved in demo mode_"
			}
			byTeam[t.Owner] = append(byTeam[t.Owner], line{text, bot.Section{Text: text, Accessory: &bot.Button{
				ActionID: ActionPrefix + ":preview:" + t.Name, Text: "Preview", Value: t.Name,
			}}})
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
	if len(byTeam) == 0 && len(pending) == 0 {
		return req.Reply(ctx, bot.Message{Text: "There are no golden paths yet."})
	}
	teams := make([]string, 0, len(byTeam))
	for team := range byTeam {
		teams = append(teams, team)
	}
	sort.Slice(teams, func(a, b int) bool {
		ma, mb := id.InGroup(teams[a]), id.InGroup(teams[b])
		if ma != mb {
			return ma
		}
		return teams[a] < teams[b]
	})
	blocks := []bot.Block{bot.Header{Text: "Golden paths"}}
	text := "Golden paths:\n"
	n := 0
	for _, team := range teams {
		n += len(byTeam[team]) + 1
	}
	for _, team := range teams {
		_, _, short := catalog.ParseRef(team, catalog.KindGroup, catalog.DefaultNamespace)
		head := "*" + bot.UserText(short).Mrkdwn() + "* (`" + team + "`)"
		if id.InGroup(team) {
			head += " · your team"
		}
		text += short + ":\n"
		var texts []string
		for _, l := range byTeam[team] {
			texts = append(texts, l.text)
			text += l.text + "\n"
		}
		if n <= 40 {
			blocks = append(blocks, bot.Section{Text: head})
			for _, l := range byTeam[team] {
				blocks = append(blocks, l.section)
			}
		} else {
			blocks = append(blocks, bot.Section{Text: head + "\n" + strings.Join(texts, "\n")})
		}
	}
	if len(byTeam) == 0 {
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
	head := fmt.Sprintf("Template `%s` version `%s` (from %s)", t.Name, template.ShortHash(t.Hash), e.Source)
	if e.Approved != nil && e.Approved.Hash == t.Hash {
		return req.Reply(ctx, bot.Message{Text: head + " is the approved version; nothing changed."})
	}
	diff := template.DiffFiles(old, t.Files)
	if old == nil {
		head += " has never been approved. Everything is new"
	} else {
		head += fmt.Sprintf(" differs from approved version `%s`", template.ShortHash(e.Approved.Hash))
	}
	if len(e.Problems) > 0 {
		head += ".\n🛑 It cannot be approved yet: " + strings.Join(e.Problems, "; ")
	} else {
		head += fmt.Sprintf(".\nApprove it with `/plat template approve %s --version %s`", t.Name, template.ShortHash(t.Hash))
	}
	return p.replyDiff(ctx, req, head, t.Name, diff, fmt.Sprintf("run `/plat template diff %s` in a channel, where it is attached.", t.Name))
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
		return bot.Errorf("`--version %s` is too short: give at least %d characters of the version you reviewed, as `/plat template diff %s` shows it (like `--version %s`).", v, minVersionPrefix, t.Name, template.ShortHash(t.Hash))
	}
	if v != "" && !strings.HasPrefix(t.Hash, v) {
		return bot.Errorf("Template `%s` is now at version `%s`, not `%s`: it changed since you reviewed it. Look again with `/plat template diff %s`.", t.Name, template.ShortHash(t.Hash), v, t.Name)
	}
	if e.Approved != nil && e.Approved.Hash == t.Hash && !e.Demo {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("Template `%s` version `%s` is already approved.", t.Name, template.ShortHash(t.Hash))})
	}
	prev := ""
	if e.Approval != nil {
		prev = e.Approval.Hash
	}
	if err := p.approve(ctx, req, t, prev, e.Source); err != nil {
		return err
	}
	if err := p.Reload(ctx); err != nil {
		return err
	}
	p.log.Info("template approved", "template", t.Name, "version", template.ShortHash(t.Hash), "by", req.User.ID)
	p.router.HomeChanged(ctx) // no longer waits on the admins' Homes
	head := fmt.Sprintf("✅ Approved template `%s` version `%s` (owner %s). `/plat %s` now runs this version.", t.Name, template.ShortHash(t.Hash), t.Owner, t.Name)
	if old == nil {
		head += " It had never been approved; this is everything it contains"
	} else {
		head += fmt.Sprintf(" Changes since version `%s`", template.ShortHash(prev))
	}
	// Once approved, `/plat template diff` has nothing to show: no hint.
	return p.replyDiff(ctx, req, head, t.Name, template.DiffFiles(old, t.Files), "")
}

// replyDiff answers with a heading and a diff, attaching the diff as a file
// when it is too long for a message.
//
// Where there is no channel to attach the file in (a click on the Home
// tab), the answer says the diff is cut, followed by hint when not empty.
func (p *Paths) replyDiff(ctx context.Context, req *bot.Request, head, name, diff, hint string) error {
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
	attach := req.Channel != "" && req.Messenger() != nil
	rest := "The whole diff is attached."
	if !attach {
		// A click on the Home tab has no channel to attach a file in.
		rest = strings.TrimSpace("The whole diff is too long for a message here. " + hint)
	}
	msg.Blocks = append(msg.Blocks, bot.Code{Text: cut + "\n…"}, bot.Context{Text: rest})
	msg.Text = head + ":\n" + cut + "\n…"
	if err := req.Reply(ctx, msg); err != nil {
		return err
	}
	if attach {
		return req.Messenger().Upload(ctx, req.Channel, req.ThreadTS, bot.File{Name: name + ".diff", Title: "Template " + name, Content: []byte(diff)})
	}
	return nil
}
