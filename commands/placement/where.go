package placement

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/placement/place"
)

// statusUnknown is shown without a StatusSource.
const statusUnknown = "live status unknown (Argo CD not configured)"

func (p *Placement) handleWhere(ctx context.Context, req *bot.Request) error {
	if p.placer == nil {
		return req.Reply(ctx, bot.Message{Text: notConfigured})
	}
	e, err := p.service(req.Arg(0), "where <service>")
	if err != nil {
		return err
	}
	in, err := p.intent(e)
	if err != nil {
		return err
	}
	blocks := []bot.Block{bot.Header{Text: "Where " + e.Metadata.Name + " runs"}}
	var lines []string
	for _, env := range in.Environments {
		text := p.whereEnv(ctx, e, env)
		lines = append(lines, text)
		blocks = append(blocks, bot.Section{Text: text})
	}
	blocks = append(blocks, bot.Context{Text: fmt.Sprintf("Intent from %s of %s. The platform places environments by its rules; "+
		"`/plat move %s <env> --to <cluster>` asks to move one.", in.From, e.Source, e.Metadata.Name)})
	return req.Reply(ctx, bot.Message{Text: strings.Join(lines, "\n"), Blocks: blocks})
}

// whereEnv is one environment's paragraph: where it runs — the cluster
// its Application in the GitOps repository names, or the rules' choice
// when it has none yet — why, and its live status.
func (p *Placement) whereEnv(ctx context.Context, e *catalog.Entity, env Environment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* (%s)", env.Name, envTraits(env))
	app, _, appErr := p.application(ctx, e, env.Name)
	d, err := p.placer.PlaceWith(target(e, env), p.loadFor(ctx, e.Metadata.Name, env.Name))
	switch {
	case appErr != nil:
		p.log.Warn("read Application", "service", e.Metadata.Name, "env", env.Name, "err", appErr)
		fmt.Fprintf(&b, " → ⚠️ its Application in the GitOps repository can't be read: %s", bot.UserText(appErr.Error()))
	case app != nil:
		fmt.Fprintf(&b, " → runs on `%s` (%s)", bot.UserText(app.Cluster), app.where(env.Name))
		if !app.Known {
			b.WriteString(", a destination that is no configured cluster")
		}
		switch {
		case err != nil:
			fmt.Fprintf(&b, "; the rules would not place it now: %s", bot.UserText(err.Error()))
		case d.Cluster.Name == app.Cluster:
			fmt.Fprintf(&b, ": %s", d.Why())
		default:
			fmt.Fprintf(&b, ", rules would place `%s`: %s", d.Cluster.Name, d.Why())
		}
		if app.Pinned {
			fmt.Fprintf(&b, "\nPinned by a move: %s", bot.UserText(app.Placement))
		}
		if err == nil && d.Cluster.Name != app.Cluster {
			fmt.Fprintf(&b, "\n`/plat move %s %s --auto` moves it where the rules place it", e.Metadata.Name, env.Name)
		}
	case err != nil:
		fmt.Fprintf(&b, " → ⚠️ not placed: %s", bot.UserText(err.Error()))
	default:
		fmt.Fprintf(&b, " → cluster `%s`: %s (no Application in the GitOps repository yet)", d.Cluster.Name, d.Why())
	}
	b.WriteString("\n" + p.liveStatus(ctx, e.Metadata.Name, env.Name))
	return b.String()
}

// envTraits describes an environment's intent: "tier1, us-east-1".
func envTraits(env Environment) string {
	var parts []string
	if env.Tier != "" {
		parts = append(parts, env.Tier)
	}
	if env.Region != "" {
		parts = append(parts, env.Region)
	}
	if len(parts) == 0 {
		return "no tier or region"
	}
	return strings.Join(parts, ", ")
}

// liveStatus is one environment's live status line.
func (p *Placement) liveStatus(ctx context.Context, service, env string) string {
	if p.status == nil {
		return "Live: " + statusUnknown
	}
	s, ok := p.status.Status(ctx, service, env)
	if !ok {
		return "Live: no Argo CD Application reports this environment yet"
	}
	var parts []string
	for _, v := range []string{s.Sync, s.Health} {
		if v != "" {
			parts = append(parts, bot.UserText(v).Mrkdwn())
		}
	}
	if s.Revision != "" {
		rev := s.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts = append(parts, "revision `"+bot.UserText(rev).Mrkdwn()+"`")
	}
	if !s.LastSynced.IsZero() {
		parts = append(parts, "last synced "+s.LastSynced.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if s.OperationPhase != "" {
		parts = append(parts, "operation "+bot.UserText(s.OperationPhase).Mrkdwn())
	}
	if s.URL != "" {
		parts = append(parts, bot.Link(s.URL, "Argo CD"))
	}
	if len(parts) == 0 {
		return "Live: reported, but with no status yet"
	}
	return "Live: " + strings.Join(parts, " · ")
}

// appPath is where the Application of a service's environment lives in the
// GitOps repository: <appsDir>/<team>/<service>/<env>.yaml.
func (p *Placement) appPath(e *catalog.Entity, env string) string {
	return fmt.Sprintf("%s/%s/%s/%s.yaml", strings.TrimSuffix(p.cfg.AppsDir, "/"), teamName(e), strings.ToLower(e.Metadata.Name), env)
}

// appSetPath is where a service's ApplicationSet lives in the GitOps
// repository: <appsDir>/<team>/<service>/applicationset.yaml.
func (p *Placement) appSetPath(e *catalog.Entity) string {
	return fmt.Sprintf("%s/%s/%s/%s", strings.TrimSuffix(p.cfg.AppsDir, "/"), teamName(e), strings.ToLower(e.Metadata.Name), appSetFile)
}

// readFile reads a file of the GitOps repository's base branch: nil (and
// no error) when there is none or no reader.
func (p *Placement) readFile(ctx context.Context, path string) ([]byte, error) {
	if p.files == nil {
		return nil, nil
	}
	data, err := p.files.ReadFile(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s from the GitOps repository: %w", path, err)
	}
	return data, nil
}

// clusterOf names the configured cluster of an Argo CD destination (known
// true), or describes the destination when none matches.
func (p *Placement) clusterOf(d Destination) (name string, known bool) {
	for _, c := range p.placer.Clusters() {
		if d.Server != "" && c.Server == d.Server || d.Name != "" && c.Destination == d.Name {
			return c.Name, true
		}
	}
	if d.Server != "" {
		return d.Server, false
	}
	return d.Name, false
}

func (p *Placement) handleClusters(ctx context.Context, req *bot.Request) error {
	if p.placer == nil {
		return req.Reply(ctx, bot.Message{Text: notConfigured})
	}
	inv := p.inventory(ctx)
	byCluster := map[string][]string{}
	apps := map[string]int{} // the load: Applications only (inventory.load)
	planned := 0
	for _, pl := range inv.placed {
		name := pl.Service + "/" + pl.Env
		if pl.FromApp {
			apps[pl.Cluster]++
		} else {
			name += " (planned)"
			planned++
		}
		byCluster[pl.Cluster] = append(byCluster[pl.Cluster], name)
	}
	clusters := p.placer.Clusters()
	blocks := []bot.Block{bot.Header{Text: fmt.Sprintf("Clusters (%d)", len(clusters))}}
	var lines []string
	for _, c := range clusters {
		placed := byCluster[c.Name]
		delete(byCluster, c.Name)
		sort.Strings(placed)
		text := fmt.Sprintf("*%s* — %s · tiers %s · %s", c.Name, c.Region, strings.Join(c.Tiers, ", "), destination(c))
		if c.Cordoned {
			text += " · 🚧 cordoned (no new placements)"
		}
		n := apps[c.Name]
		if c.Capacity > 0 && n >= c.Capacity {
			text += " · 🈵 full (no new placements)"
		}
		if r := p.placer.Reserved(c.Name); len(r) > 0 {
			text += " · reserved for rule(s) " + strings.Join(r, ", ")
		}
		if len(c.Labels) > 0 {
			text += " · labels " + labelList(c.Labels)
		}
		if c.Capacity > 0 {
			text += fmt.Sprintf("\n%d of %d placement(s)", n, c.Capacity)
		} else {
			text += fmt.Sprintf("\n%d placement(s)", n)
		}
		if k := len(placed) - n; k > 0 {
			text += fmt.Sprintf(" and %d planned", k)
		}
		text += placementList(placed)
		lines = append(lines, text)
		blocks = append(blocks, bot.Section{Text: text})
	}
	summary := fmt.Sprintf("%d service(s) declare environments; %d rule(s).", inv.services, len(p.placer.Rules()))
	if planned > 0 {
		summary += fmt.Sprintf(" %d environment(s) marked (planned) have no Application in the GitOps repository yet: shown where the rules place them, "+
			"and not counted against capacities; the others where their Application sends them.", planned)
	}
	if len(byCluster) > 0 {
		var other []string
		for dest, placed := range byCluster {
			sort.Strings(placed)
			other = append(other, fmt.Sprintf("`%s`%s", bot.UserText(dest), placementList(placed)))
		}
		sort.Strings(other)
		summary += fmt.Sprintf("\n⚠️ %d destination(s) that are no configured cluster: %s", len(other), strings.Join(other, "; "))
	}
	if len(inv.unread) > 0 {
		summary += fmt.Sprintf("\n⚠️ %d Application(s) that can't be read: %s", len(inv.unread), strings.Join(inv.unread, ", "))
	}
	if len(inv.unplaced) > 0 {
		summary += fmt.Sprintf("\n⚠️ %d environment(s) not placed: %s", len(inv.unplaced), strings.Join(inv.unplaced, "; "))
	}
	if len(inv.invalid) > 0 {
		summary += fmt.Sprintf("\n⚠️ %d service(s) with an invalid intent: %s", len(inv.invalid), strings.Join(inv.invalid, "; "))
	}
	lines = append(lines, summary)
	blocks = append(blocks, bot.Context{Text: summary})
	return req.Reply(ctx, bot.Message{Text: strings.Join(lines, "\n"), Blocks: blocks})
}

// placementList is ": a, b, c" (at most 20, then how many more), "" for none.
func placementList(placed []string) string {
	if len(placed) == 0 {
		return ""
	}
	const max = 20
	shown := placed
	if len(shown) > max {
		shown = shown[:max]
	}
	s := ": " + strings.Join(shown, ", ")
	if len(placed) > max {
		s += fmt.Sprintf(" and %d more", len(placed)-max)
	}
	return s
}

// destination describes a cluster's Argo CD destination.
func destination(c *place.Cluster) string {
	if c.Server != "" {
		return "server " + c.Server
	}
	return "Argo CD cluster " + c.Destination
}

func labelList(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}
