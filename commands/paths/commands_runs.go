package paths

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

// ---- /plat runs, /plat run ----

func (p *Paths) cmdRuns(ctx context.Context, req *bot.Request) error {
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindRun, Owner: req.User.ID, Limit: 20})
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	if len(recs) == 0 {
		return req.Reply(ctx, bot.Message{Text: "You have no golden-path runs yet. `/plat templates` lists the paths."})
	}
	var lines []string
	for i := range recs {
		r, err := decodeRun(&recs[i])
		if err != nil {
			continue
		}
		icon := map[string]string{RunRunning: "⏳", RunFailed: "❌", RunSucceeded: "✅", RunCancelled: "🚫"}[r.State]
		line := fmt.Sprintf("%s `%s` %s `%s` for %s — %s, %d/%d steps, %s", icon, r.ID, r.Template, r.Name, r.Owner, r.State,
			r.stepsDone(), len(r.Steps), r.Created.Format(time.DateTime+" MST"))
		if r.State == RunFailed {
			line += " · `/plat run retry " + r.ID + "`"
		}
		lines = append(lines, line)
	}
	return req.Reply(ctx, bot.Message{
		Text:   "Your runs:\n" + strings.Join(lines, "\n"),
		Blocks: []bot.Block{bot.Header{Text: "Your golden-path runs"}, bot.Section{Text: strings.Join(lines, "\n")}, bot.Context{Text: "`/plat run <id>` shows one run."}},
	})
}

func (p *Paths) cmdRun(ctx context.Context, req *bot.Request) error {
	r, err := p.findRun(ctx, req.Arg(0))
	if err != nil {
		return err
	}
	if !canSee(r, req.User, p.identify(ctx, req.User)) {
		return bot.Errorf("There is no run `%s` you can see.", r.ID)
	}
	return req.Reply(ctx, progressMessage(r, p.secrets.DevelopmentOnly()))
}

// ---- buttons ----

// handleAction handles the feature's buttons: paths:retry:<run>,
// paths:create:<preview>, paths:preview:<template>, and on an admin's
// Home paths:approve (<template>@<version>) and paths:diff (<template>).
func (p *Paths) handleAction(ctx context.Context, req *bot.Request, a bot.Action) error {
	parts := strings.SplitN(a.ID, ":", 3)
	if len(parts) < 2 {
		return bot.Errorf("This button is no longer supported.")
	}
	arg := a.Value
	if len(parts) == 3 && parts[2] != "" {
		arg = parts[2]
	}
	switch parts[1] {
	case "retry":
		return p.retry(ctx, req, arg)
	case "approve":
		// A template version's Approve button on an admin's Home.
		return p.approveButton(ctx, req, arg)
	case "diff":
		return p.diffButton(ctx, req, arg)
	case "upgrade":
		return p.upgradeFromButton(ctx, req, arg)
	case "create":
		return p.createFromPreview(ctx, req, arg)
	case "preview":
		// Open the dry-run form of a template (the Preview button of /plat templates).
		sub := *req
		sub.Command, sub.Flags = arg+" preview", bot.Flags{"dry-run": "true"}
		f, err := p.templateForm(arg)(ctx, &sub)
		if err != nil {
			return err
		}
		return req.OpenForm(ctx, f)
	}
	return bot.Errorf("This button is no longer supported.")
}

func (p *Paths) createFromPreview(ctx context.Context, req *bot.Request, id string) error {
	rec, err := p.store.GetRecord(ctx, KindPreview, id)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Errorf("That preview expired or is gone; run the command again with `--dry-run`.")
	}
	if err != nil {
		return fmt.Errorf("load preview %s: %w", id, err)
	}
	if rec.State != previewOpen {
		return bot.Errorf("That preview expired or is gone; run the command again with `--dry-run`.")
	}
	var pr previewRecord
	if err := json.Unmarshal(rec.Data, &pr); err != nil {
		return fmt.Errorf("decode preview %s: %w", id, err)
	}
	if pr.User != req.User.ID {
		return bot.Errorf("Only the person who made this preview can create it; run `/plat %s` yourself.", pr.Template)
	}
	if !p.now().Before(pr.expires(rec, p.cfg.PreviewTTL)) {
		if err := p.dropPreview(ctx, id); err != nil {
			p.log.Warn("drop expired preview", "preview", id, "err", err)
		}
		return bot.Errorf("That preview expired (\"Create it\" works for %s after a preview); preview again with `/plat %s --dry-run`.", humanDuration(p.cfg.PreviewTTL), pr.Template)
	}
	if t := p.approvedTemplate(pr.Template); t == nil || t.Hash != pr.Hash {
		return bot.Errorf("The golden path `%s` changed since this preview; preview it again with `/plat %s --dry-run`.", pr.Template, pr.Template)
	}
	// The run id derives from the preview, so a second click finds the
	// same run instead of starting another.
	sub := *req
	sub.ID = "preview:" + id
	sub.Received = rec.Created
	v := pr.Values
	if pr.SealedSecrets != "" {
		secrets, err := p.unseal(pr.SealedSecrets, "paths.preview:"+id)
		if err != nil {
			return bot.Errorf("This preview's secret values can no longer be read (platbot restarted without a seal key, see the README); run `/plat %s` again.", pr.Template)
		}
		for k, x := range secrets {
			v[k] = []string{x}
		}
	}
	return p.submit(ctx, &sub, pr.Template, v)
}

// sortedFiles returns file names sorted.
func sortedFiles(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// catalogKind maps a lower-case ref kind ("component") to the catalog's
// spelling ("Component").
func catalogKind(kind string) string {
	for _, k := range []string{catalog.KindComponent, catalog.KindAPI, catalog.KindResource, catalog.KindSystem,
		catalog.KindDomain, catalog.KindGroup, catalog.KindUser, catalog.KindLocation, catalog.KindTemplate} {
		if strings.EqualFold(k, kind) {
			return k
		}
	}
	return kind
}
