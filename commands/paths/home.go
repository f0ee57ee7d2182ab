package paths

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// maxHomeRuns is the most runs a Home lists.
const maxHomeRuns = 10

// maxUnfurlRuns is how many of the newest runs a pull request link is
// looked for in.
const maxUnfurlRuns = 2000

// openRuns are req.User's runs still open: running, or failed (to retry
// or cancel), newest first.
func (p *Paths) openRuns(ctx context.Context, req *bot.Request) ([]*Run, error) {
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, Owner: req.User.ID, States: []string{RunRunning, RunFailed}})
	if err != nil {
		return nil, fmt.Errorf("list runs of %s: %w", req.User.ID, err)
	}
	var out []*Run
	for i := range recs {
		if r, err := decodeRun(&recs[i]); err == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// homeSection lists req.User's open runs; a failed one has its Retry
// button, as on its progress message.
func (p *Paths) homeSection(ctx context.Context, req *bot.Request) ([]bot.Block, error) {
	rs, err := p.openRuns(ctx, req)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	out := []bot.Block{bot.Section{Text: fmt.Sprintf("*Your open golden-path runs* (%d)", len(rs))}}
	for i, r := range rs {
		if i == maxHomeRuns {
			out = append(out, bot.Context{Text: fmt.Sprintf("…and %d more: `/plat runs`", len(rs)-maxHomeRuns)})
			break
		}
		line := fmt.Sprintf("%s `%s` %s `%s` for %s — %s, %d/%d steps, started %s", runIcon(r.State), r.ID, bot.UserText(r.Template), bot.UserText(r.Name),
			bot.UserText(r.Owner), r.State, r.stepsDone(), len(r.Steps), r.Created.UTC().Format("Jan 2 15:04 UTC"))
		sec := bot.Section{Text: line}
		if r.State == RunFailed {
			sec.Accessory = &bot.Button{ActionID: ActionPrefix + ":retry", Text: "Retry", Value: r.ID, Style: bot.StylePrimary}
		}
		out = append(out, sec)
	}
	return out, nil
}

// homeSummary counts req.User's open runs.
func (p *Paths) homeSummary(ctx context.Context, req *bot.Request) (string, error) {
	rs, err := p.openRuns(ctx, req)
	if err != nil || len(rs) == 0 {
		return "", err
	}
	failed := 0
	for _, r := range rs {
		if r.State == RunFailed {
			failed++
		}
	}
	return fmt.Sprintf("You have %d open golden-path run(s), %d of them failed.", len(rs), failed), nil
}

func runIcon(state string) string {
	return map[string]string{RunRunning: "⏳", RunFailed: "❌", RunSucceeded: "✅", RunCancelled: "🚫"}[state]
}

// homeChanged tells the requester's Home that run r changed.
func (p *Paths) homeChanged(ctx context.Context, r *Run) {
	if p.router != nil && r != nil {
		p.router.HomeChanged(ctx, r.Requester.ID)
	}
}

// unfurl previews a link to a pull request a run opened as the run: its
// template, requester and state. Only a sharer who may see the run (its
// requester, its owning team, an admin: as `/plat run`) gets a preview.
func (p *Paths) unfurl(ctx context.Context, req *bot.Request, link string) (bot.Message, bool, error) {
	want := prLink(link)
	if want == "" {
		return bot.Message{}, false, nil
	}
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, Limit: maxUnfurlRuns})
	if err != nil {
		return bot.Message{}, false, fmt.Errorf("list runs: %w", err)
	}
	for i := range recs {
		r, err := decodeRun(&recs[i])
		if err != nil || !r.opened(want) {
			continue
		}
		if !canSee(r, req.User, p.identify(ctx, req.User)) {
			return bot.Message{}, false, nil
		}
		return runPreview(r), true, nil
	}
	return bot.Message{}, false, nil
}

// prLink is a pull request URL as host/owner/repo/pull/N, lower-case,
// without the page below it ("/files"), query or fragment; "" when link
// is no pull request URL.
func prLink(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 4 || parts[2] != "pull" || parts[3] == "" {
		return ""
	}
	return strings.ToLower(u.Host + "/" + strings.Join(parts[:4], "/"))
}

// opened reports whether the run opened the pull request pr (prLink's
// form): one of its output links, or a URL a step put out.
func (r *Run) opened(pr string) bool {
	for _, l := range r.Links {
		if prLink(l.URL) == pr {
			return true
		}
	}
	for _, s := range r.Steps {
		for _, v := range s.Output {
			if str, ok := v.(string); ok && prLink(str) == pr {
				return true
			}
		}
	}
	return false
}

// runPreview is a run as a link preview.
func runPreview(r *Run) bot.Message {
	title := r.TemplateTitle
	if title == "" {
		title = r.Template
	}
	pairs := []bot.Pair{
		{Label: "Template", Value: fmt.Sprintf("%s (`%s`)", bot.UserText(title), bot.UserText(r.Template))},
		{Label: "Requester", Value: "<@" + r.Requester.ID + ">"},
		{Label: "State", Value: runIcon(r.State) + " " + r.State + fmt.Sprintf(", %d/%d steps", r.stepsDone(), len(r.Steps))},
		{Label: "For", Value: bot.UserText(r.Owner).Mrkdwn()},
	}
	when := "started " + r.Created.UTC().Format(time.DateTime+" UTC")
	if !r.Finished.IsZero() {
		when += " · finished " + r.Finished.UTC().Format(time.DateTime+" UTC")
	}
	return bot.Message{
		Text: fmt.Sprintf("Golden-path run %s: %s %s", r.ID, r.Template, r.State),
		Blocks: []bot.Block{
			bot.Section{Text: fmt.Sprintf("Opened by platbot's golden-path run `%s`: *%s* `%s`", r.ID, bot.UserText(title), bot.UserText(r.Name))},
			bot.Fields{Pairs: pairs},
			bot.Context{Text: when + " · `/plat run " + r.ID + "` shows every step"},
		},
	}
}
