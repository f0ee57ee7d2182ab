package gitopsstatus

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// ServiceFact is a service's live status for service summaries (the
// Home's service list, a link's preview): one icon and environment per
// Application Argo CD deploys it with, nothing for a service Argo CD does
// not know. It satisfies catalog.SummaryFact and answers from the
// informer caches.
func (f *Feature) ServiceFact(_ context.Context, e *catalog.Entity) (bot.Pair, bool) {
	if e == nil || e.Kind != catalog.KindComponent {
		return bot.Pair{}, false
	}
	all := f.d.Live.Statuses(e.Metadata.Name)
	if len(all) == 0 {
		if !f.d.Live.HasSynced() {
			return bot.Pair{Label: "Live", Value: "loading"}, true
		}
		return bot.Pair{}, false
	}
	parts := make([]string, 0, len(all))
	for _, s := range all {
		parts = append(parts, statusIcon(s)+" "+esc(s.Environment)+" "+orDash(esc(s.Health)))
	}
	return bot.Pair{Label: "Live", Value: strings.Join(parts, ", ")}, true
}

var _ catalog.SummaryFact = (*Feature)(nil)

// liveChanged tells the Homes of the teams owning a service whose live
// status (as ServiceFact shows it) changed since this process's previous
// check; the first check only remembers. Check calls it, holding checkMu.
// Every replica checks, and the home feature publishes one person's Home
// once per debounce window whichever replica asked.
func (f *Feature) liveChanged(ctx context.Context) {
	seen := make(map[string]string)
	var teams []string
	for _, e := range f.d.Catalog.List(catalog.KindComponent) {
		p, _ := f.ServiceFact(ctx, e)
		seen[e.Ref()] = p.Value
		if f.lastLive != nil && f.lastLive[e.Ref()] != p.Value && !slices.Contains(teams, e.Owner()) {
			teams = append(teams, e.Owner())
		}
	}
	f.lastLive = seen
	f.mu.Lock()
	rt := f.router
	f.mu.Unlock()
	if rt != nil && len(teams) > 0 {
		rt.HomeChangedForTeams(ctx, teams...)
	}
}

// services lists the services Argo CD deploys (*argocd.Watcher has it).
type services interface{ Services() []string }

// ServiceForLink resolves a link to an Application's page in the Argo CD
// UI (its URL as the status carries it, or a page below it) to the
// service the Application deploys; it satisfies catalog.LinkResolver.
func (f *Feature) ServiceForLink(link string) (string, bool) {
	ls, ok := f.d.Live.(services)
	if !ok {
		return "", false
	}
	want := normLink(link)
	if want == "" {
		return "", false
	}
	for _, svc := range ls.Services() {
		for _, s := range f.d.Live.Statuses(svc) {
			base := normLink(s.URL)
			if base == "" || (want != base && !strings.HasPrefix(want, base+"/")) {
				continue
			}
			e, ok := f.d.Catalog.Get(catalog.NormalizeRef(svc, catalog.KindComponent, catalog.DefaultNamespace))
			if !ok {
				return "", false
			}
			return e.Ref(), true
		}
	}
	return "", false
}

// normLink is a URL's host and path, lower-case host, without a trailing
// slash, query or fragment ("" when it is no http(s) URL).
func normLink(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
}
