package catalog

import (
	"context"
	"net/url"
	"strings"

	"github.com/platbot/platbot/bot"
)

// LinkResolver names the service a link points at, for link previews: the
// catalog knows its services' repositories (github.com/project-slug on the
// configured GitHub host); Argo CD adds its Applications' pages.
type LinkResolver interface {
	// ServiceForLink returns the ref of the service link is about.
	ServiceForLink(link string) (ref string, ok bool)
}

// AddLinkResolver adds r to the resolvers the service unfurler asks after
// the repository links. It is safe to call while links are unfurled.
func (c *Catalog) AddLinkResolver(r LinkResolver) {
	for {
		old := c.linkResolvers.Load()
		var next []LinkResolver
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, r)
		if c.linkResolvers.CompareAndSwap(old, &next) {
			return
		}
	}
}

// repoRefs are the path parts after owner/repo that still show the
// repository itself (its tree, a file, its README), not a pull request or
// an issue.
var repoRefs = map[string]bool{"tree": true, "blob": true}

// ServiceForLink resolves a link to a service's repository on the
// configured GitHub host (https://<host>/<owner>/<repo>, its tree or a
// file in it) to the Component whose github.com/project-slug names it.
func (c *Catalog) ServiceForLink(link string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil || !strings.EqualFold(u.Hostname(), c.cfg.GitHubHost) {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" || (len(parts) > 2 && !repoRefs[parts[2]]) {
		return "", false
	}
	slug := parts[0] + "/" + strings.TrimSuffix(parts[1], ".git")
	for _, e := range c.List(KindComponent) {
		if !e.Orphan && strings.EqualFold(e.Annotation(AnnotationGitHubSlug), slug) {
			return e.Ref(), true
		}
	}
	return "", false
}

// serviceFor resolves link with the catalog's own resolution, then the
// added resolvers.
func (c *Catalog) serviceFor(link string) (*Entity, bool) {
	resolvers := []LinkResolver{c}
	if rs := c.linkResolvers.Load(); rs != nil {
		resolvers = append(resolvers, *rs...)
	}
	for _, r := range resolvers {
		if ref, ok := r.ServiceForLink(link); ok {
			if e, ok := c.Get(ref); ok && !e.Orphan {
				return e, true
			}
		}
	}
	return nil, false
}

// Unfurler previews links to a service (its repository, its Argo CD
// Application) as the service's summary: owner and the facts features add
// (grade, live status). It previews only for a sharer the policy lets read
// the service, as `/plat service` would for them there.
func (c *Catalog) Unfurler(auth interface {
	Authorize(ctx context.Context, req *bot.Request, action string, res bot.Resource) error
}) bot.Unfurler {
	return func(ctx context.Context, req *bot.Request, link string) (bot.Message, bool, error) {
		e, ok := c.serviceFor(link)
		if !ok {
			return bot.Message{}, false, nil
		}
		if err := auth.Authorize(ctx, req, bot.ActionRead, ResourceOf(e)); err != nil {
			return bot.Message{}, false, nil
		}
		return c.ServicePreview(ctx, e), true, nil
	}
}

// ServicePreview is a service's summary as a link preview.
func (c *Catalog) ServicePreview(ctx context.Context, e *Entity) bot.Message {
	title := e.Metadata.Title
	if title == "" {
		title = e.Metadata.Name
	}
	head := "*" + esc(title) + "*"
	if d := e.Metadata.Description; d != "" {
		head += " — " + esc(d)
	}
	return bot.Message{
		Text: "Service " + e.Ref(),
		Blocks: []bot.Block{
			bot.Section{Text: head},
			bot.Fields{Pairs: c.ServiceSummary(ctx, e, true)},
			bot.Context{Text: e.Ref() + " · `/plat service " + esc(e.Metadata.Name) + "` shows the whole card"},
		},
	}
}
