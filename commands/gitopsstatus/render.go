package gitopsstatus

import (
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/argocd"
)

func esc(s string) string { return bot.UserText(s).Mrkdwn() }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

const timeLayout = "2006-01-02 15:04 UTC"

func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeLayout)
}

// duration renders d in whole minutes (hours past two hours).
func duration(d time.Duration) string {
	if d < 2*time.Hour {
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// statusIcon is a glyph for a status at a glance.
func statusIcon(s argocd.Status) string {
	switch {
	case s.Degraded():
		return "🔴"
	case s.Health == argocd.HealthHealthy && s.Sync == argocd.SyncSynced:
		return "🟢"
	default:
		return "🟡"
	}
}

// noticeMessage is the root message of an incident.
func noticeMessage(inc incident, now time.Time) bot.Message {
	title := fmt.Sprintf("🔴 %s %s is %s", inc.Service, inc.Environment, inc.Problem)
	pairs := []bot.Pair{
		{Label: "Service", Value: esc(inc.Ref)},
		{Label: "Environment", Value: esc(inc.Environment)},
		{Label: "Since", Value: stamp(inc.Since) + " (" + duration(now.Sub(inc.Since)) + ")"},
		{Label: "Revision", Value: orDash(esc(inc.Revision))},
		{Label: "Application", Value: esc(inc.App)},
	}
	if inc.URL != "" {
		pairs = append(pairs, bot.Pair{Label: "Argo CD", Value: bot.Link(inc.URL, "open in Argo CD")})
	}
	owner := inc.Team
	if owner == "" {
		owner = "no owner in the catalog"
	}
	return bot.Message{
		Text: esc(title),
		Blocks: []bot.Block{
			bot.Header{Text: title},
			bot.Section{Text: fmt.Sprintf("*%s* in *%s* has been %s for %s. Argo CD keeps reporting it; this thread gets a message when it is healthy again.",
				esc(inc.Service), esc(inc.Environment), esc(inc.Problem), duration(now.Sub(inc.Since)))},
			bot.Fields{Pairs: pairs},
			bot.Context{Text: "owner " + esc(owner) + " · production environment · platbot watches Argo CD"},
		},
	}
}

// resolvedMessage is the thread reply that ends an incident; s is nil when
// the Application is no longer watched.
func resolvedMessage(inc incident, s *argocd.Status, now time.Time) bot.Message {
	lasted := duration(now.Sub(inc.Since))
	var text string
	if s == nil {
		text = fmt.Sprintf("⚪ %s %s: Argo CD no longer reports this Application (deleted, or moved out of the watched namespaces); closing the incident after %s.",
			esc(inc.Service), esc(inc.Environment), lasted)
	} else {
		text = fmt.Sprintf("✅ Resolved: %s %s is %s and %s at revision %s, after %s.",
			esc(inc.Service), esc(inc.Environment), orDash(esc(s.Sync)), orDash(esc(s.Health)), orDash(esc(s.ShortRevision())), lasted)
	}
	return bot.Message{Text: text}
}

// ServiceCardBlocks is the live deployment status of a service for its
// card (/plat service): one line per environment Argo CD deploys it to,
// nothing for a service Argo CD does not know.
func (f *Feature) ServiceCardBlocks(e *catalog.Entity) []bot.Block {
	if e == nil || e.Kind != catalog.KindComponent {
		return nil
	}
	all := f.d.Live.Statuses(e.Metadata.Name)
	if len(all) == 0 {
		if !f.d.Live.HasSynced() {
			return []bot.Block{bot.Context{Text: "Deployments: Argo CD status is loading"}}
		}
		return nil
	}
	var b strings.Builder
	b.WriteString("*Deployments* (live from Argo CD)")
	for _, s := range all {
		fmt.Fprintf(&b, "\n%s *%s* — %s · %s · `%s`", statusIcon(s), esc(s.Environment), orDash(esc(s.Sync)), orDash(esc(s.Health)), orDash(esc(s.ShortRevision())))
		if s.OperationPhase != "" && s.OperationPhase != "Succeeded" {
			b.WriteString(" · sync " + esc(s.OperationPhase))
		}
		if !s.LastSyncedAt.IsZero() {
			b.WriteString(" · synced " + stamp(s.LastSyncedAt))
		}
		if s.URL != "" {
			b.WriteString(" · " + bot.Link(s.URL, "Argo CD"))
		}
	}
	return []bot.Block{bot.Section{Text: b.String()}}
}
