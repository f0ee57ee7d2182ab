package status

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// IntegrationError is an error of a call to an outside system, naming the
// integration (a probe's Name). cmd/platbot wraps with Wrap the errors that
// say an integration could not answer (refused connection, timeout, 5xx,
// 429; never an answer such as a 403 or 404) where its client reaches a
// feature; Explain phrases them when the integration is down. Its text is
// the wrapped error's.
type IntegrationError struct {
	Integration string
	Err         error
}

func (e *IntegrationError) Error() string { return e.Err.Error() }
func (e *IntegrationError) Unwrap() error { return e.Err }

// Wrap names the integration behind err (nil stays nil; an error already
// naming one keeps it).
func Wrap(integration string, err error) error {
	var ie *IntegrationError
	if err == nil || errors.As(err, &ie) {
		return err
	}
	return &IntegrationError{Integration: integration, Err: err}
}

// Explain phrases an error of a down or degraded integration for the user
// ("GitHub is down since 10:42 UTC (owned by #platform)"); "" when err
// names no integration or its integration was healthy at its last check.
func (f *Feature) Explain(ctx context.Context, err error) string {
	var ie *IntegrationError
	if !errors.As(err, &ie) {
		return ""
	}
	it, gerr := f.states().Get(ctx, ie.Integration)
	if gerr != nil {
		return ""
	}
	s := it.Value
	switch s.Health {
	case Down, Degraded:
	default:
		return ""
	}
	return fmt.Sprintf("%s is %s since %s (owned by %s). `/plat status` shows every integration.",
		s.Title, s.Health, f.clock(s.Since), f.ownerLabel(s.Owner))
}

// clock is a time as people read it: 10:42 UTC today, else with its date.
func (f *Feature) clock(t time.Time) string {
	t = t.UTC()
	if now := f.now().UTC(); t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04 UTC")
	}
	return t.Format("Jan 2 15:04 UTC")
}

var icons = map[string]string{Healthy: "🟢", Degraded: "🟡", Down: "🔴", NotConfigured: "⚪"}

// handleStatus is /plat status: every integration with its health, last
// success, last error and owner. An integration never checked yet (a new
// platbot) is checked first.
func (f *Feature) handleStatus(ctx context.Context, req *bot.Request) error {
	byName, err := f.load(ctx)
	if err != nil {
		return err
	}
	for _, p := range f.probes {
		if _, ok := byName[p.Name]; p.Configured && !ok {
			if err := f.Check(ctx); err != nil {
				f.log.Warn("status: checking integrations failed", "err", err)
			}
			if byName, err = f.load(ctx); err != nil {
				return err
			}
			break
		}
	}
	msg := f.statusMessage(byName)
	if f.d.Leadership != nil {
		msg.Blocks = append(msg.Blocks[:1:1], append(f.leaderBlocks(ctx), msg.Blocks[1:]...)...)
	}
	return req.Reply(ctx, msg)
}

// leaderBlocks say which replica leads (runs the schedules and resumes
// interrupted work) and which one answered, and name a failing election.
func (f *Feature) leaderBlocks(ctx context.Context) []bot.Block {
	l := f.d.Leadership
	self := "this replica `" + l.Identity() + "`"
	var text string
	info, err := l.Leader(ctx)
	switch {
	case err != nil:
		text = fmt.Sprintf("⚠️ *Leader* unknown: %s", bot.UserText(f.redact(err.Error())).Mrkdwn())
	case l.Leading():
		text = fmt.Sprintf("👑 *Leader:* %s (%s)", self, l.Mechanism())
		if info != nil && info.Identity == l.Identity() {
			text += " since " + f.clock(info.Since)
		}
	case info == nil:
		text = fmt.Sprintf("🔴 *No replica leads yet* (%s): cron schedules do not run · answered by %s", l.Mechanism(), self)
	case f.now().Sub(info.Renewed) > l.Stale():
		text = fmt.Sprintf("🔴 *No replica leads* since %s (last leader `%s`, %s): cron schedules do not run · answered by %s", f.clock(info.Renewed), bot.UserText(info.Identity).Mrkdwn(), l.Mechanism(), self)
	default:
		text = fmt.Sprintf("👑 *Leader:* `%s` since %s (%s) · answered by %s", bot.UserText(info.Identity).Mrkdwn(), f.clock(info.Since), l.Mechanism(), self)
	}
	blocks := []bot.Block{bot.Section{Text: text}}
	if e := l.Err(); e != "" {
		blocks = append(blocks, bot.Section{Text: "⚠️ Leader election fails on " + self + ": `" + bot.UserText(f.redact(e)).Mrkdwn() + "`"})
	}
	return blocks
}

// load reads every integration's state by name.
func (f *Feature) load(ctx context.Context) (map[string]state, error) {
	items, err := f.states().List(ctx, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("read integration states: %w", err)
	}
	byName := map[string]state{}
	for _, it := range items {
		byName[it.ID] = it.Value
	}
	return byName, nil
}

// human is a duration as people write it: 5m, 1h30m, 10s.
func human(d time.Duration) string {
	if d >= time.Minute {
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	return d.Round(time.Second).String()
}

// statusMessage renders the states in probe order.
func (f *Feature) statusMessage(byName map[string]state) bot.Message {
	blocks := []bot.Block{bot.Header{Text: "Integrations"}}
	var counts = map[string]int{}
	var off []string
	shown := 0
	for _, p := range f.probes {
		if !p.Configured {
			off = append(off, p.title())
			counts[NotConfigured]++
			continue
		}
		s, ok := byName[p.Name]
		health := s.Health
		if !ok || health == "" || health == NotConfigured {
			health = "not checked yet"
		}
		counts[health]++
		var b strings.Builder
		fmt.Fprintf(&b, "%s *%s* — %s", iconOf(health), p.title(), health)
		if ok && (health == Down || health == Degraded) {
			fmt.Fprintf(&b, " since %s", f.clock(s.Since))
		}
		fmt.Fprintf(&b, " · owned by %s", f.ownerLabel(f.Owner(p.Name)))
		var detail []string
		if ok && !s.LastSuccess.IsZero() {
			detail = append(detail, "last success "+f.clock(s.LastSuccess))
		} else if ok {
			detail = append(detail, "no success yet")
		}
		if ok && s.LastError != "" && (health != Healthy || s.LastErrorAt.After(f.now().Add(-24*time.Hour))) {
			detail = append(detail, fmt.Sprintf("last error %s: `%s`", f.clock(s.LastErrorAt), bot.UserText(s.LastError)))
		}
		if len(detail) > 0 {
			b.WriteString("\n" + strings.Join(detail, " · "))
		}
		shown++
		blocks = append(blocks, bot.Section{Text: b.String()})
	}
	if len(off) > 0 {
		blocks = append(blocks, bot.Context{Text: "⚪ Not configured: " + strings.Join(off, ", ")})
	}
	blocks = append(blocks, bot.Context{Text: fmt.Sprintf("Probed every %s; the owning team is told when one is down for %s. Owners: `status.owners` in platbot.yaml.", human(f.every), human(f.grace))})
	summary := fmt.Sprintf("Integrations: %d healthy, %d degraded, %d down, %d not configured", counts[Healthy], counts[Degraded], counts[Down], counts[NotConfigured])
	if shown == 0 {
		summary = "Integrations: none configured"
	}
	return bot.Message{Text: summary, Blocks: blocks}
}

func iconOf(health string) string {
	if i, ok := icons[health]; ok {
		return i
	}
	return "⏳"
}

// noticeMessage is the owning team's notice of an outage.
func (f *Feature) noticeMessage(p Probe, n notice, lastErr string) bot.Message {
	text := fmt.Sprintf("🔴 %s is down since %s (owned by %s)", p.title(), f.clock(n.DownSince), f.ownerLabel(f.Owner(p.Name)))
	blocks := []bot.Block{bot.Section{Text: fmt.Sprintf("🔴 *%s* is down since %s (owned by %s).", p.title(), f.clock(n.DownSince), f.ownerLabel(f.Owner(p.Name)))}}
	if lastErr != "" {
		blocks = append(blocks, bot.Section{Text: "Last error: `" + bot.UserText(lastErr).Mrkdwn() + "`"})
	}
	blocks = append(blocks, bot.Context{Text: "Features that use it tell their users so · the resolution follows in this thread · `/plat status` shows every integration"})
	return bot.Message{Text: text, Blocks: blocks}
}

// resolvedNotice is the notice once the integration is back.
func (f *Feature) resolvedNotice(p Probe, n notice) bot.Message {
	text := fmt.Sprintf("✅ %s was down from %s to %s (owned by %s)", p.title(), f.clock(n.DownSince), f.clock(n.ResolvedAt), f.ownerLabel(f.Owner(p.Name)))
	return bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: text}}}
}

// resolvedText is the resolution posted in the notice's thread.
func (f *Feature) resolvedText(p Probe, n notice) string {
	return fmt.Sprintf("✅ %s is back since %s, after %s down.", p.title(), f.clock(n.ResolvedAt), human(n.ResolvedAt.Sub(n.DownSince)))
}
