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

// whereEnv is one environment's paragraph: placement, what GitOps has,
// live status.
func (p *Placement) whereEnv(ctx context.Context, e *catalog.Entity, env Environment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* (%s)", env.Name, envTraits(env))
	d, err := p.placer.Place(target(e, env))
	if err != nil {
		fmt.Fprintf(&b, " → ⚠️ not placed: %s", bot.UserText(err.Error()))
	} else {
		fmt.Fprintf(&b, " → cluster `%s`: %s", d.Cluster.Name, d.Why())
	}
	if cur, path, ok := p.deployed(ctx, e, env.Name); ok {
		switch {
		case err == nil && cur == d.Cluster.Name:
			fmt.Fprintf(&b, "\nGitOps: `%s` deploys it there", path)
		default:
			fmt.Fprintf(&b, "\nGitOps: `%s` deploys it to `%s` (`/plat move %s %s --auto` re-places it by the rules)", path, bot.UserText(cur), e.Metadata.Name, env.Name)
		}
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

// existing reads the Application of a service's environment from the
// GitOps repository: nil (and no error) when there is none or no reader.
func (p *Placement) existing(ctx context.Context, e *catalog.Entity, env string) ([]byte, error) {
	if p.files == nil {
		return nil, nil
	}
	path := p.appPath(e, env)
	data, err := p.files.ReadFile(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s from the GitOps repository: %w", path, err)
	}
	return data, nil
}

// deployed is the cluster the GitOps repository's Application sends the
// environment to (a cluster name, or the raw destination when it names no
// configured cluster), and the file; ok is false when there is none.
func (p *Placement) deployed(ctx context.Context, e *catalog.Entity, env string) (cluster, path string, ok bool) {
	data, err := p.existing(ctx, e, env)
	if err != nil {
		p.log.Warn("read Application", "service", e.Metadata.Name, "env", env, "err", err)
		return "", "", false
	}
	if data == nil {
		return "", "", false
	}
	dest, err := destinationOf(data)
	if err != nil {
		p.log.Warn("read Application", "service", e.Metadata.Name, "env", env, "err", err)
		return "", "", false
	}
	return p.clusterOf(dest), p.appPath(e, env), true
}

// clusterOf names the configured cluster of an Argo CD destination, or
// describes the destination when none matches.
func (p *Placement) clusterOf(d Destination) string {
	for _, c := range p.placer.Clusters() {
		if d.Server != "" && c.Server == d.Server || d.Name != "" && c.Destination == d.Name {
			return c.Name
		}
	}
	if d.Server != "" {
		return d.Server
	}
	return d.Name
}

func (p *Placement) handleClusters(ctx context.Context, req *bot.Request) error {
	if p.placer == nil {
		return req.Reply(ctx, bot.Message{Text: notConfigured})
	}
	byCluster := map[string][]string{}
	var unplaced, invalid []string
	services := 0
	for _, e := range p.cat.List(catalog.KindComponent) {
		in, ok, err := IntentOf(e)
		if err != nil {
			invalid = append(invalid, bot.UserText(err.Error()).Mrkdwn())
			continue
		}
		if !ok {
			continue
		}
		services++
		for _, env := range in.Environments {
			d, err := p.placer.Place(target(e, env))
			if err != nil {
				unplaced = append(unplaced, bot.UserText(err.Error()).Mrkdwn())
				continue
			}
			byCluster[d.Cluster.Name] = append(byCluster[d.Cluster.Name], e.Metadata.Name+"/"+env.Name)
		}
	}
	clusters := p.placer.Clusters()
	blocks := []bot.Block{bot.Header{Text: fmt.Sprintf("Clusters (%d)", len(clusters))}}
	var lines []string
	for _, c := range clusters {
		placed := byCluster[c.Name]
		sort.Strings(placed)
		text := fmt.Sprintf("*%s* — %s · tiers %s · %s", c.Name, c.Region, strings.Join(c.Tiers, ", "), destination(c))
		if c.Cordoned {
			text += " · 🚧 cordoned (no new placements)"
		}
		if len(c.Labels) > 0 {
			text += " · labels " + labelList(c.Labels)
		}
		text += fmt.Sprintf("\n%d placement(s)", len(placed))
		if len(placed) > 0 {
			const max = 20
			shown := placed
			if len(shown) > max {
				shown = shown[:max]
			}
			text += ": " + strings.Join(shown, ", ")
			if len(placed) > max {
				text += fmt.Sprintf(" and %d more", len(placed)-max)
			}
		}
		lines = append(lines, text)
		blocks = append(blocks, bot.Section{Text: text})
	}
	summary := fmt.Sprintf("%d service(s) declare environments; %d rule(s).", services, len(p.placer.Rules()))
	if len(unplaced) > 0 {
		summary += fmt.Sprintf("\n⚠️ %d environment(s) not placed: %s", len(unplaced), strings.Join(unplaced, "; "))
	}
	if len(invalid) > 0 {
		summary += fmt.Sprintf("\n⚠️ %d service(s) with an invalid intent: %s", len(invalid), strings.Join(invalid, "; "))
	}
	lines = append(lines, summary)
	blocks = append(blocks, bot.Context{Text: summary})
	return req.Reply(ctx, bot.Message{Text: strings.Join(lines, "\n"), Blocks: blocks})
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
