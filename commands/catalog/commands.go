package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/platbot/platbot/bot"
)

// Action ids of the buttons the catalog's messages carry.
const (
	// ActionRequestAccess opens a prod access request; its value is the
	// entity ref. The access feature handles the "access" prefix.
	ActionRequestAccess = "access:request"
)

// Limits of chat output.
const (
	searchResults = 10
	maxErrorLines = 40
)

// Commands returns the catalog's chat commands: service, team, catalog
// search, catalog reload, catalog errors, catalog remove and whoami.
func (c *Catalog) Commands() []*bot.Command {
	return []*bot.Command{
		{
			Name:    "service",
			Aliases: []string{"svc"},
			Usage:   "<name>",
			Summary: "Show a service's card: owner, lifecycle, system, links, on-call",
			Help:    "Shows the catalog card of a component (or API, Resource, System): owner, lifecycle, system, type, repository, on-call, links and annotations, with a button to request prod access.",
			Action:  bot.ActionRead,
			Resource: func(_ context.Context, req *bot.Request) (bot.Resource, error) {
				return c.resourceFor(req.Arg(0), KindComponent), nil
			},
			Handle: c.handleService,
		},
		{
			Name:    "team",
			Usage:   "<name>",
			Summary: "Show a team: members, manager, services and their lifecycles",
			Action:  bot.ActionRead,
			Resource: func(_ context.Context, req *bot.Request) (bot.Resource, error) {
				return c.resourceFor(req.Arg(0), KindGroup), nil
			},
			Handle: c.handleTeam,
		},
		{
			Name:    "catalog search",
			Aliases: []string{"search"},
			Usage:   "<query>",
			Summary: "Search the catalog by name, title, tag or description",
			Action:  bot.ActionRead,
			Handle:  c.handleSearch,
		},
		{
			Name:    "catalog reload",
			Summary: "Read every catalog location again now (admins)",
			Action:  bot.ActionAdmin,
			Handle:  c.handleReload,
		},
		{
			Name:    "catalog errors",
			Summary: "List the catalog's validation problems with location, file and line, and a failed refresh (admins)",
			Action:  bot.ActionAdmin,
			Handle:  c.handleErrors,
		},
		{
			Name:    "catalog remove",
			Usage:   "<entity-ref>",
			Summary: "Remove an orphaned entity from the catalog (admins)",
			Action:  bot.ActionDelete,
			Resource: func(_ context.Context, req *bot.Request) (bot.Resource, error) {
				return c.resourceFor(req.Arg(0), KindComponent), nil
			},
			Handle: c.handleRemove,
		},
		{
			Name:    "whoami",
			Summary: "Show who platbot thinks you are: catalog user, groups, manager, roles",
			Action:  bot.ActionRead,
			Handle:  c.handleWhoami,
		},
	}
}

// resourceFor describes the entity an argument names, or a bare resource
// of the default kind when there is none.
func (c *Catalog) resourceFor(arg, kind string) bot.Resource {
	if e, ok := c.find(arg, kind); ok {
		return ResourceOf(e)
	}
	return bot.Resource{Kind: strings.ToLower(kind), Name: arg}
}

// find looks an argument up with a default kind, then as any short ref.
func (c *Catalog) find(arg, kind string) (*Entity, bool) {
	if arg == "" {
		return nil, false
	}
	if e, ok := c.Lookup(arg, kind); ok {
		return e, true
	}
	return c.Get(arg)
}

func (c *Catalog) handleService(ctx context.Context, req *bot.Request) error {
	name := req.Arg(0)
	if name == "" {
		return bot.Errorf("usage: /plat service <name>")
	}
	e, ok := c.find(name, KindComponent)
	if !ok || e.Kind == KindUser || e.Kind == KindGroup || e.Kind == KindLocation {
		return c.notFound("service", name, KindComponent, KindAPI, KindResource, KindSystem)
	}
	return req.Reply(ctx, bot.Message{Text: "Service " + e.Ref(), Blocks: c.ServiceCard(e)})
}

func (c *Catalog) notFound(what, name string, kinds ...string) error {
	if s := c.Suggest(name, kinds...); s != "" {
		return bot.Errorf("no %s named %s — did you mean %s?", what, bot.UserText(name), s)
	}
	return bot.Errorf("no %s named %s. Try /plat catalog search %s", what, bot.UserText(name), bot.UserText(name))
}

// ServiceCard renders an entity as a card: header, description, facts,
// links, annotations and a "Request prod access" button.
func (c *Catalog) ServiceCard(e *Entity) []bot.Block {
	title := e.DisplayName()
	if e.Orphan {
		title += " (orphaned)"
	}
	blocks := []bot.Block{bot.Header{Text: title}}
	if d := e.Metadata.Description; d != "" {
		blocks = append(blocks, bot.Section{Text: esc(d)})
	}
	system := e.SpecString("system")
	if system != "" {
		system = NormalizeRef(system, KindSystem, namespaceOf(e))
	}
	pairs := []bot.Pair{
		{Label: "Owner", Value: orNone(c.ownerLabel(e.Owner()))},
		{Label: "Lifecycle", Value: orNone(esc(e.Lifecycle()))},
		{Label: "System", Value: orNone(system)},
		{Label: "Type", Value: orNone(esc(e.Type()))},
		{Label: "Repository", Value: orNone(repoLink(e.Annotation(AnnotationGitHubSlug)))},
		{Label: "On-call", Value: c.onCall(e)},
	}
	if ns := e.Annotation(AnnotationNamespace); ns != "" {
		pairs = append(pairs, bot.Pair{Label: "Kubernetes namespace", Value: esc(ns)})
	}
	if t := e.Metadata.Tags; len(t) > 0 {
		pairs = append(pairs, bot.Pair{Label: "Tags", Value: esc(strings.Join(t, ", "))})
	}
	blocks = append(blocks, bot.Fields{Pairs: pairs})
	if len(e.Metadata.Links) > 0 {
		var b strings.Builder
		b.WriteString("*Links*")
		for _, l := range e.Metadata.Links {
			b.WriteString("\n• " + link(l.URL, l.Title))
		}
		blocks = append(blocks, bot.Section{Text: b.String()})
	}
	if ann := shownAnnotations(e); ann != "" {
		blocks = append(blocks, bot.Context{Text: ann})
	}
	if secs := c.cardSections.Load(); secs != nil {
		for _, s := range *secs {
			blocks = append(blocks, s.ServiceCardBlocks(e)...)
		}
	}
	blocks = append(blocks, bot.Context{Text: fmt.Sprintf("%s · from %s", e.Ref(), esc(e.Source.String()))})
	if !e.Orphan {
		blocks = append(blocks, bot.Actions{Buttons: []bot.Button{{
			ActionID: ActionRequestAccess, Text: "Request prod access", Value: e.Ref(), Style: bot.StylePrimary,
		}}})
	}
	return blocks
}

// ownerLabel shows an owner ref with its display name.
func (c *Catalog) ownerLabel(ref string) string {
	if ref == "" {
		return ""
	}
	o, ok := c.Get(ref)
	if !ok {
		return ref
	}
	name := profileString(o, "displayName")
	if name == "" {
		name = o.Metadata.Title
	}
	if name == "" {
		return ref
	}
	return esc(name) + " (" + ref + ")"
}

// onCall names the PagerDuty service of an entity, or of its owner.
func (c *Catalog) onCall(e *Entity) string {
	if pd := e.Annotation(AnnotationPagerDuty); pd != "" {
		return "PagerDuty " + esc(pd)
	}
	if o, ok := c.Get(e.Owner()); ok && e.Owner() != "" {
		if pd := o.Annotation(AnnotationPagerDuty); pd != "" {
			return "PagerDuty " + esc(pd) + " (via " + o.Ref() + ")"
		}
	}
	return "none (add " + AnnotationPagerDuty + " to the service or its owner)"
}

// hiddenAnnotations are shown elsewhere on the card or are bookkeeping.
var hiddenAnnotations = map[string]bool{
	AnnotationGitHubSlug: true, AnnotationPagerDuty: true, AnnotationNamespace: true,
	AnnotationOrigin: true, AnnotationManagedBy: true, AnnotationSourceFile: true,
}

func shownAnnotations(e *Entity) string {
	var keys []string
	for k := range e.Metadata.Annotations {
		if !hiddenAnnotations[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = esc(k) + ": " + esc(e.Metadata.Annotations[k])
	}
	return strings.Join(parts, " · ")
}

func (c *Catalog) handleTeam(ctx context.Context, req *bot.Request) error {
	name := req.Arg(0)
	if name == "" {
		return bot.Errorf("usage: /plat team <name>")
	}
	g, ok := c.find(name, KindGroup)
	if !ok || g.Kind != KindGroup {
		return c.notFound("team", name, KindGroup)
	}
	return req.Reply(ctx, bot.Message{Text: "Team " + g.Ref(), Blocks: c.TeamCard(g)})
}

// TeamCard renders a group: facts, members, sub-teams and what it owns.
func (c *Catalog) TeamCard(g *Entity) []bot.Block {
	ref := g.Ref()
	title := profileString(g, "displayName")
	if title == "" {
		title = g.DisplayName()
	}
	blocks := []bot.Block{bot.Header{Text: title}}
	if d := g.Metadata.Description; d != "" {
		blocks = append(blocks, bot.Section{Text: esc(d)})
	}
	members := c.Members(ref)
	pairs := []bot.Pair{
		{Label: "Type", Value: orNone(esc(g.Type()))},
		{Label: "Parent", Value: orNone(strings.Join(c.Parents(ref), ", "))},
		{Label: "Manager", Value: orNone(c.userLabel(c.ManagerOf(ref)))},
		{Label: "Members", Value: fmt.Sprint(len(members))},
	}
	if ch := g.Annotation(AnnotationSlackChannel); ch != "" {
		pairs = append(pairs, bot.Pair{Label: "Channel", Value: esc(ch)})
	}
	if pd := g.Annotation(AnnotationPagerDuty); pd != "" {
		pairs = append(pairs, bot.Pair{Label: "On-call", Value: "PagerDuty " + esc(pd)})
	} else {
		pairs = append(pairs, bot.Pair{Label: "On-call", Value: "none"})
	}
	blocks = append(blocks, bot.Fields{Pairs: pairs})

	var b strings.Builder
	b.WriteString("*Members*")
	if len(members) == 0 {
		b.WriteString("\nnone")
	}
	for _, m := range members {
		b.WriteString("\n• " + c.userLabel(m.Ref()))
	}
	blocks = append(blocks, bot.Section{Text: b.String()})

	if kids := c.Children(ref); len(kids) > 0 {
		blocks = append(blocks, bot.Section{Text: "*Sub-teams*\n• " + strings.Join(kids, "\n• ")})
	}

	owned := c.OwnedBy(ref)
	b.Reset()
	b.WriteString("*Services*")
	var others []string
	n := 0
	for _, e := range owned {
		if e.Kind != KindComponent {
			others = append(others, fmt.Sprintf("%s (%s)", e.Metadata.Name, e.Kind))
			continue
		}
		n++
		fmt.Fprintf(&b, "\n• *%s* — %s", esc(e.Metadata.Name), orNone(esc(e.Lifecycle())))
		if t := e.Type(); t != "" {
			fmt.Fprintf(&b, " (%s)", esc(t))
		}
	}
	if n == 0 {
		b.WriteString("\nnone")
	}
	blocks = append(blocks, bot.Section{Text: b.String()})
	if len(others) > 0 {
		blocks = append(blocks, bot.Context{Text: "Also owns: " + esc(strings.Join(others, ", "))})
	}
	blocks = append(blocks, bot.Context{Text: fmt.Sprintf("%s · from %s", ref, esc(g.Source.String()))})
	return blocks
}

// userLabel shows a user ref as "Display Name (<@U123>)".
func (c *Catalog) userLabel(ref string) string {
	if ref == "" {
		return ""
	}
	u, ok := c.Lookup(ref, KindUser)
	if !ok {
		return ref
	}
	name := profileString(u, "displayName")
	if name == "" {
		name = u.Metadata.Name
	}
	if id := u.Annotation(AnnotationSlackUserID); id != "" {
		return esc(name) + " (<@" + id + ">)"
	}
	return esc(name) + " (" + u.Ref() + ")"
}

func (c *Catalog) handleSearch(ctx context.Context, req *bot.Request) error {
	q := strings.TrimSpace(strings.Join(req.Args, " "))
	if q == "" {
		return bot.Errorf("usage: /plat catalog search <query>")
	}
	hits := c.Search(q, searchResults)
	if len(hits) == 0 {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("Nothing in the catalog matches “%s”.", bot.UserText(q))})
	}
	var b strings.Builder
	for i, e := range hits {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d. *%s* (%s)", i+1, esc(e.Metadata.Name), e.Kind)
		if o := e.Owner(); o != "" {
			b.WriteString(" — owner " + o)
		}
		if d := e.Metadata.Description; d != "" {
			b.WriteString(" — " + esc(truncate(d, 80)))
		}
	}
	return req.Reply(ctx, bot.Message{
		Text: fmt.Sprintf("%d results for %q", len(hits), q),
		Blocks: []bot.Block{
			bot.Section{Text: fmt.Sprintf("*%d results for* _%s_", len(hits), esc(q))},
			bot.Section{Text: b.String()},
		},
	})
}

func (c *Catalog) handleReload(ctx context.Context, req *bot.Request) error {
	rep, err := c.Refresh(ctx)
	if err != nil {
		return bot.Errorf("catalog reload failed, still serving the last good state: %v", err)
	}
	text := "Catalog reloaded: " + rep.String() + "."
	if rep.Errors+rep.Warnings > 0 {
		text += " See /plat catalog errors."
	}
	return req.Reply(ctx, bot.Message{Text: text})
}

// timeLayout is how times show in catalog replies.
const timeLayout = "2006-01-02 15:04 MST"

// refreshFailure says that the last refresh failed and what is served
// instead ("" when the last refresh succeeded).
func (c *Catalog) refreshFailure() string {
	at, err := c.LastRefreshError()
	if err == nil {
		return ""
	}
	served := "an empty catalog (no refresh has succeeded yet)"
	if r := c.Refreshed(); !r.IsZero() {
		served = "the state of " + r.Format(timeLayout)
		if c.Restored() {
			served += " (restored from the saved snapshot)"
		}
	}
	return fmt.Sprintf("last refresh failed at %s: %v; serving %s", at.Format(timeLayout), err, served)
}

func (c *Catalog) handleErrors(ctx context.Context, req *bot.Request) error {
	ps := c.Errors()
	failure := c.refreshFailure()
	if len(ps) == 0 && failure == "" {
		return req.Reply(ctx, bot.Message{Text: "The catalog has no problems."})
	}
	// A failed refresh comes first: the problems below are those of the
	// state still served, not of the locations as they are now.
	var blocks []bot.Block
	var text []string
	if failure != "" {
		failure = strings.ToUpper(failure[:1]) + failure[1:] + "."
		blocks = append(blocks, bot.Section{Text: ":warning: *Catalog refresh failed.* " + esc(failure)})
		text = append(text, failure)
	}
	if len(ps) == 0 {
		const none = "The served catalog has no problems."
		blocks = append(blocks, bot.Section{Text: none})
		text = append(text, none)
		return req.Reply(ctx, bot.Message{Text: strings.Join(text, " "), Blocks: blocks})
	}
	errs := 0
	for _, p := range ps {
		if p.Severity == SeverityError {
			errs++
		}
	}
	summary := fmt.Sprintf("%d errors, %d warnings (refreshed %s)", errs, len(ps)-errs, c.Refreshed().Format(timeLayout))
	var b strings.Builder
	for i, p := range ps {
		if i == maxErrorLines {
			fmt.Fprintf(&b, "… and %d more", len(ps)-i)
			break
		}
		fmt.Fprintf(&b, "%-7s %s\n", p.Severity, p)
	}
	text = append(text, summary)
	blocks = append(blocks, bot.Section{Text: "*Catalog problems:* " + summary}, bot.Code{Text: strings.TrimRight(b.String(), "\n")})
	return req.Reply(ctx, bot.Message{Text: strings.Join(text, " "), Blocks: blocks})
}

func (c *Catalog) handleRemove(ctx context.Context, req *bot.Request) error {
	ref := req.Arg(0)
	if ref == "" {
		return bot.Errorf("usage: /plat catalog remove <entity-ref>")
	}
	if err := c.Remove(ctx, ref); err != nil {
		var nf *NotFoundError
		if errors.As(err, &nf) {
			return bot.Errorf("no entity %s in the catalog", ref)
		}
		return bot.Errorf("%v", err)
	}
	return req.Reply(ctx, bot.Message{Text: "Removed orphan " + ref + " from the catalog."})
}

func (c *Catalog) handleWhoami(ctx context.Context, req *bot.Request) error {
	id, err := c.Identify(ctx, req.User)
	if err != nil {
		return fmt.Errorf("whoami: %w", err)
	}
	return req.Reply(ctx, bot.Message{Text: "whoami: " + req.User.String(), Blocks: c.WhoamiCard(req.User, id)})
}

// WhoamiCard renders an identity as /plat whoami shows it.
func (c *Catalog) WhoamiCard(u bot.User, id *Identity) []bot.Block {
	blocks := []bot.Block{bot.Header{Text: "Who you are to platbot"}}
	if !id.Known() {
		fix := fmt.Sprintf("add the annotation `%s: %s` under metadata.annotations of your User entity", AnnotationSlackUserID, u.ID)
		if u.Email != "" {
			fix += fmt.Sprintf(", or set its spec.profile.email to your Slack email (%s)", esc(u.Email))
		}
		blocks = append(blocks,
			bot.Fields{Pairs: []bot.Pair{
				{Label: "Slack id", Value: esc(u.ID)},
				{Label: "Display name", Value: orNone(esc(u.Name))},
				{Label: "Catalog user", Value: "not found"},
				{Label: "Roles", Value: "none (you can read the catalog)"},
			}},
			bot.Section{Text: fmt.Sprintf("You are not in the catalog, so platbot does not know your team, manager or roles. To fix it, %s, then run /plat catalog reload (or wait for the next refresh).", fix)},
		)
		return blocks
	}
	groups := func(refs []string) string {
		if len(refs) == 0 {
			return "none"
		}
		return strings.Join(refs, ", ")
	}
	pairs := []bot.Pair{
		{Label: "Slack id", Value: esc(u.ID)},
		{Label: "Display name", Value: orNone(esc(id.Name))},
		{Label: "Catalog user", Value: id.UserRef},
		{Label: "Email", Value: orNone(esc(id.Email))},
		{Label: "Teams", Value: groups(id.DirectGroups)},
		{Label: "All groups", Value: groups(id.Groups)},
		{Label: "Manager", Value: orNone(c.userLabel(id.Manager))},
		{Label: "Roles", Value: strings.Join(id.Roles, ", ")},
	}
	if len(id.Manages) > 0 {
		pairs = append(pairs, bot.Pair{Label: "Manages", Value: strings.Join(id.Manages, ", ")})
	}
	return append(blocks, bot.Fields{Pairs: pairs})
}

// esc shows catalog text, typed by teams, as user text (bot.UserText), so a
// description cannot ping a channel or forge a link.
func esc(s string) string { return bot.UserText(s).Mrkdwn() }

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// link renders an http(s) URL as a Slack link (bot.Link); anything else
// as text.
func link(url, title string) string {
	if title == "" {
		title = url
	}
	if _, ok := bot.LinkURL(url); !ok {
		return esc(title) + " (" + esc(url) + ")"
	}
	return bot.Link(url, title)
}

func repoLink(slug string) string {
	if slug == "" {
		return ""
	}
	return link("https://github.com/"+slug, slug)
}
