package paths

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/template"
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
	preview := func(r *Run) (bot.Message, bool, error) {
		if !canSee(r, req.User, p.identify(ctx, req.User)) {
			return bot.Message{}, false, nil
		}
		return runPreview(r), true, nil
	}
	if rec, err := p.store.GetRecord(ctx, KindRunPullRequest, want); err == nil {
		r, err := p.loadRun(ctx, rec.Key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return bot.Message{}, false, fmt.Errorf("load the run of %s: %w", want, err)
		}
		if err == nil && r.opened(want) {
			return preview(r)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return bot.Message{}, false, fmt.Errorf("look up the run of %s: %w", want, err)
	}
	// Runs that opened their pull request before the index was kept (or
	// an index record that does not hold).
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, Limit: maxUnfurlRuns})
	if err != nil {
		return bot.Message{}, false, fmt.Errorf("list runs: %w", err)
	}
	for i := range recs {
		r, err := decodeRun(&recs[i])
		if err != nil || !r.opened(want) {
			continue
		}
		return preview(r)
	}
	return bot.Message{}, false, nil
}

// KindRunPullRequest records which run opened a pull request (id: the
// pull request as prLink has it; key: the run's id), so a link to it is
// previewed without reading the runs.
const KindRunPullRequest = "paths.run.pr"

// indexPullRequest records run id as the run that opened the pull request
// a publishing step put out as its remoteUrl (a retried step finds its
// record there already). Other outputs, which may only mention a pull
// request, are not recorded.
func (p *Paths) indexPullRequest(ctx context.Context, id string, out map[string]any) error {
	if s, ok := out["remoteUrl"].(string); ok {
		pr := prLink(s)
		if pr == "" {
			return nil
		}
		data, err := json.Marshal(map[string]string{"run": id})
		if err != nil {
			return fmt.Errorf("record the run of %s: %w", pr, err)
		}
		if _, err := p.store.PutRecord(ctx, store.Record{Kind: KindRunPullRequest, ID: pr, Key: id, State: "opened", Data: data}); err != nil {
			return fmt.Errorf("record the run of %s: %w", pr, err)
		}
	}
	return nil
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

// maxHomeTemplates is the most templates waiting for approval a Home lists.
const maxHomeTemplates = 10

// templatesWaiting are the templates whose current version waits for an
// admin's approval (never approved, or changed since), for an admin; none
// for anyone else.
func (p *Paths) templatesWaiting(ctx context.Context, req *bot.Request) []*entry {
	if !p.identify(ctx, req.User).IsAdmin() {
		return nil
	}
	p.mu.RLock()
	st := p.state
	p.mu.RUnlock()
	if st == nil {
		return nil
	}
	var out []*entry
	for _, name := range st.names {
		e := st.entries[name]
		if s := e.status(); (s == "unapproved" || s == "changed") && e.Current != nil && len(e.Problems) == 0 {
			out = append(out, e)
		}
	}
	return out
}

// templatesSection lists, for an admin, the template versions waiting for
// approval, each with a Diff button (`/plat template diff`) and an
// Approve button that approves exactly the version shown (`/plat template
// approve <name> --version <hash>`).
func (p *Paths) templatesSection(ctx context.Context, req *bot.Request) ([]bot.Block, error) {
	es := p.templatesWaiting(ctx, req)
	if len(es) == 0 {
		return nil, nil
	}
	out := []bot.Block{bot.Section{Text: fmt.Sprintf("*Template versions waiting for your approval* (%d)", len(es))}}
	for i, e := range es {
		if i == maxHomeTemplates {
			out = append(out, bot.Context{Text: fmt.Sprintf("…and %d more: `/plat templates`", len(es)-maxHomeTemplates)})
			break
		}
		t := e.Current
		what := "never approved"
		if e.Approved != nil {
			what = "changed since approved version `" + template.ShortHash(e.Approved.Hash) + "`"
		}
		out = append(out,
			bot.Section{Text: fmt.Sprintf("⏸️ `%s` version `%s` — %s · owner %s", t.Name, template.ShortHash(t.Hash), what, bot.UserText(t.Owner))},
			bot.Actions{Buttons: []bot.Button{
				{ActionID: ActionPrefix + ":diff", Text: "Diff", Value: t.Name},
				{ActionID: ActionPrefix + ":approve", Text: "Approve", Value: t.Name + "@" + t.Hash, Style: bot.StylePrimary,
					Confirm: fmt.Sprintf("Approve version %s of %s? `/plat %s` then runs it.", template.ShortHash(t.Hash), t.Name, t.Name)},
			}},
		)
	}
	return out, nil
}

// templatesSummary counts the template versions waiting for an admin.
func (p *Paths) templatesSummary(ctx context.Context, req *bot.Request) (string, error) {
	if n := len(p.templatesWaiting(ctx, req)); n > 0 {
		return fmt.Sprintf("%d template version(s) wait for your approval.", n), nil
	}
	return "", nil
}

// approveButton is the Approve button of a template version on an admin's
// Home (value "<name>@<hash>"): `/plat template approve <name> --version
// <hash>`, with the policy check the router makes for the command.
func (p *Paths) approveButton(ctx context.Context, req *bot.Request, value string) error {
	name, hash, ok := strings.Cut(value, "@")
	if !ok || name == "" || hash == "" {
		return bot.Errorf("This button is no longer supported. Run `/plat templates` again.")
	}
	req.Command, req.Args, req.Flags = "template approve", []string{name}, bot.Flags{"version": hash}
	if err := p.authorizeButton(ctx, req, bot.ActionAdmin); err != nil {
		return err
	}
	return p.cmdApprove(ctx, req)
}

// diffButton is the Diff button of a template on an admin's Home:
// `/plat template diff <name>`.
func (p *Paths) diffButton(ctx context.Context, req *bot.Request, name string) error {
	req.Command, req.Args, req.Flags = "template diff", []string{name}, bot.Flags{}
	if err := p.authorizeButton(ctx, req, bot.ActionRead); err != nil {
		return err
	}
	return p.cmdDiff(ctx, req)
}

// authorizeButton checks action on the template req names, as the router
// does before the command it stands for.
func (p *Paths) authorizeButton(ctx context.Context, req *bot.Request, action string) error {
	res, err := p.templateResource(ctx, req)
	if err != nil {
		return err
	}
	return p.router.Authorize(ctx, req, action, res)
}
