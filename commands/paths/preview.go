package paths

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/store"
)

// Preview is a dry run: every file a run would render and every side
// effect it would have, computed without doing any of them.
type Preview struct {
	Template *template.Template
	Run      *Run
	// Effects are the side effects in step order ("skip" notes included).
	Effects []string
	Files   map[string]string
	// Executable names the executable files among Files.
	Executable map[string]bool
	// Steps are the steps as planned, with their rendered input.
	Steps []PlannedStep
}

// PlannedStep is one step of a dry run.
type PlannedStep struct {
	Key, ID, Action string
	// Skipped: its condition was false.
	Skipped bool
	Input   map[string]any
	Output  map[string]any
}

// Plan computes a dry run of the template for the parameters.
func (p *Paths) Plan(ctx context.Context, t *template.Template, r *Run) (*Preview, error) {
	steps, err := p.expandSteps(ctx, t, r)
	if err != nil {
		return nil, err
	}
	r.Steps = steps
	pv := &Preview{Template: t, Run: r, Files: map[string]string{}, Executable: map[string]bool{}}
	planned := map[int]map[string]any{}
	var effects []string
	for i, s := range r.Steps {
		spec := t.Steps[s.Index]
		scope := p.scope(r, t, i, planned)
		if spec.If != nil {
			run, err := p.evalIf(ctx, s.Key, spec.If, scope)
			if err != nil {
				return nil, fmt.Errorf("step %s condition: %w", s.Name, err)
			}
			if !run {
				pv.Effects = append(pv.Effects, fmt.Sprintf("%s: skipped (its condition is false)", s.Name))
				pv.Steps = append(pv.Steps, PlannedStep{Key: s.Key, ID: s.ID, Action: s.Action, Skipped: true})
				continue
			}
		}
		input, err := p.evalInput(ctx, s.Key, spec.Input, scope)
		if err != nil {
			return nil, fmt.Errorf("step %s input: %w", s.Name, err)
		}
		pv.Steps = append(pv.Steps, PlannedStep{Key: s.Key, ID: s.ID, Action: s.Action, Input: input})
		a := p.actions[s.Action]
		if a == nil {
			return nil, fmt.Errorf("step %s: no action %s", s.Name, s.Action)
		}
		sc := &actions.StepContext{Run: r.info(), StepKey: s.Key, Template: t, Input: input, Files: pv.Files, Executable: pv.Executable, Effects: effects, DryRun: true, RawInput: spec.Input, Scope: scope, Engine: p.tmpl}
		if actions.Publishes(s.Action) {
			if err := p.addLineage(r, t, s.Action, sc); err != nil {
				return nil, fmt.Errorf("step %q: %w", s.Name, err)
			}
		}
		pl, err := a.Plan(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", s.Name, err)
		}
		if name := r.secretIn(pv.Files, pl.Output); name != "" {
			return nil, fmt.Errorf("step %q writes the secret parameter %s into a file or an output, which would store it in the clear (secrets may only be passed to actions' inputs)", s.Name, name)
		}
		planned[i] = pl.Output
		pv.Steps[len(pv.Steps)-1].Output = pl.Output
		for _, e := range pl.Effects {
			pv.Effects = append(pv.Effects, s.Name+": "+e)
		}
		effects = append(effects, effectOf(s.Action, pl.Output)...)
	}
	return pv, nil
}

// preview answers "/plat <name> --dry-run": it shows every file and side
// effect, keeps the submission (for Config.PreviewTTL) so "Create it" can
// start the real run, and changes nothing else. The user must be allowed
// to scaffold for the owner, as for a real run.
func (p *Paths) preview(ctx context.Context, req *bot.Request, name string, v bot.Values) error {
	t, params, owner, err := p.prepare(ctx, req, name, v)
	if err != nil {
		return err
	}
	secrets := t.Pages.Secrets(v)
	r := p.newRun(req, p.identify(ctx, req.User), t, params, secrets, owner)
	pv, err := p.Plan(ctx, t, r)
	if err != nil {
		return bot.Errorf("The dry run of `%s` failed, so a real run would fail too: %v", t.Name, err)
	}
	expires := p.now().Add(p.cfg.PreviewTTL).UTC()
	pid := "p" + r.ID[1:]
	// The secret values are kept sealed, as a run keeps them.
	kept := bot.Values{}
	for k, x := range v {
		if _, secret := secrets[k]; !secret {
			kept[k] = x
		}
	}
	rec := previewRecord{Template: t.Name, Hash: t.Hash, Values: kept, User: req.User.ID, Expires: expires}
	if len(secrets) > 0 {
		if rec.SealedSecrets, err = p.seal(secrets, "paths.preview:"+pid); err != nil {
			return err
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode preview: %w", err)
	}
	if _, err := p.store.PutRecord(ctx, store.Record{Kind: KindPreview, ID: pid, State: previewOpen, Owner: req.User.ID, Data: b}); err != nil {
		return fmt.Errorf("store preview: %w", err)
	}
	if _, err := p.router.Enqueue(ctx, bot.JobSpec{
		Kind: JobPreviewExpire, Payload: previewJob{Preview: pid}, RunAt: expires, DedupeKey: JobPreviewExpire + ":" + pid,
	}); err != nil {
		// Resume prunes it after the next restart.
		p.log.Warn("enqueue preview expiry", "preview", pid, "err", err)
	}
	msg, full := previewMessage(pv, pid, p.secrets.DevelopmentOnly(), p.cfg.PreviewTTL)
	if err := req.Reply(ctx, msg); err != nil {
		return err
	}
	if full != "" && req.Channel != "" && req.Messenger() != nil {
		return req.Messenger().Upload(ctx, req.Channel, req.ThreadTS, bot.File{
			Name: strings.TrimSuffix(t.Name+"-"+r.Name, "-") + "-preview.txt", Title: "Dry run of " + t.Name, Content: []byte(full),
			Comment: "Every file the run would create.",
		})
	}
	return nil
}

// previewOpen is the state of a stored preview.
const previewOpen = "open"

// previewRecord is a dry run's submission, kept so "Create it" can start
// the real run from the same values until it expires.
type previewRecord struct {
	Template string     `json:"template"`
	Hash     string     `json:"hash"`
	Values   bot.Values `json:"values"`
	// SealedSecrets are the secret fields' values, sealed (see Paths.seal).
	SealedSecrets string    `json:"sealed_secrets,omitempty"`
	User          string    `json:"user"`
	Expires       time.Time `json:"expires,omitzero"`
}

// expires is when the preview stops being usable (records from before
// previews had an expiry count from their creation).
func (pr *previewRecord) expires(rec *store.Record, ttl time.Duration) time.Time {
	if !pr.Expires.IsZero() {
		return pr.Expires
	}
	return rec.Created.Add(ttl)
}

// previewJob is the payload of a JobPreviewExpire job.
type previewJob struct {
	Preview string `json:"preview"`
}

// expirePreviewJob drops a preview once it expired.
func (p *Paths) expirePreviewJob(ctx context.Context, payload json.RawMessage) error {
	var j previewJob
	if err := json.Unmarshal(payload, &j); err != nil {
		return bot.Permanent(fmt.Errorf("decode preview expiry: %w", err))
	}
	return p.dropPreview(ctx, j.Preview)
}

// dropPreview deletes a preview. A missing preview is no error.
func (p *Paths) dropPreview(ctx context.Context, id string) error {
	return p.store.DeleteRecord(ctx, KindPreview, id)
}

// prunePreviews drops every expired preview (those whose expiry job was
// lost, or that were stored before previews expired). It returns how many.
func (p *Paths) prunePreviews(ctx context.Context) (int, error) {
	recs, err := p.store.ListRecords(ctx, store.Query{Kind: KindPreview})
	if err != nil {
		return 0, fmt.Errorf("list previews: %w", err)
	}
	n := 0
	now := p.now()
	for i := range recs {
		rec := &recs[i]
		var pr previewRecord
		if rec.State == previewOpen && json.Unmarshal(rec.Data, &pr) == nil && now.Before(pr.expires(rec, p.cfg.PreviewTTL)) {
			continue
		}
		if err := p.dropPreview(ctx, rec.ID); err != nil {
			return n, fmt.Errorf("drop preview %s: %w", rec.ID, err)
		}
		n++
	}
	return n, nil
}

// humanDuration writes a duration for people ("1 hour", "30 minutes").
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return d.String()
}

// previewMessage renders a dry run. When the files do not fit, the second
// result is the complete text to attach.
func previewMessage(pv *Preview, previewID string, devOnly bool, ttl time.Duration) (bot.Message, string) {
	t, r := pv.Template, pv.Run
	// The run's name, effects and file names hold parameters people typed:
	// user text in Slack, plain in the attached file.
	head := fmt.Sprintf("Dry run of %s `%s` for %s — nothing was created", t.Title, r.Name, r.Owner)
	if r.Name == "" { // a template without a name parameter (add-region)
		head = fmt.Sprintf("Dry run of %s for %s — nothing was created", t.Title, r.Owner)
	}
	var eff, effMd []string
	for i, e := range pv.Effects {
		eff = append(eff, fmt.Sprintf("%d. %s", i+1, e))
		effMd = append(effMd, fmt.Sprintf("%d. %s", i+1, bot.UserText(e)))
	}
	names := sortedFiles(pv.Files)
	namesMd := make([]string, len(names))
	for i, n := range names {
		namesMd[i] = bot.UserText(n).Mrkdwn()
	}
	headMd := bot.UserText(head).Mrkdwn()
	blocks := []bot.Block{
		bot.Header{Text: "Dry run: " + t.Name},
		bot.Section{Text: "*" + headMd + "*"},
		bot.Section{Text: "*It would:*\n" + strings.Join(effMd, "\n")},
		bot.Section{Text: fmt.Sprintf("*Files (%d):*\n%s", len(names), "• `"+strings.Join(namesMd, "`\n• `")+"`")},
	}
	var full strings.Builder
	full.WriteString(head + "\n\nIt would:\n" + strings.Join(eff, "\n") + "\n")
	const maxBlocks, maxCode = 40, 2800
	truncated := false
	for _, n := range names {
		c := pv.Files[n]
		full.WriteString("\n==> " + n + " <==\n" + c)
		if len(blocks) >= maxBlocks {
			truncated = true
			continue
		}
		shown := c
		if len(shown) > maxCode {
			shown, truncated = shown[:maxCode]+"\n…", true
		}
		blocks = append(blocks, bot.Context{Text: "`" + bot.UserText(n).Mrkdwn() + "`"}, bot.Code{Text: shown})
	}
	ctxLine := "Nothing was written anywhere. \"Create it\" works for " + humanDuration(ttl) + "; after that, preview again."
	if devOnly {
		ctxLine += " Secrets would go to the development-only local store."
	}
	if truncated {
		ctxLine += " Some files are cut short here; all of them are attached."
	}
	blocks = append(blocks,
		bot.Context{Text: ctxLine},
		bot.Actions{Buttons: []bot.Button{{ActionID: ActionPrefix + ":create:" + previewID, Text: "Create it", Value: previewID, Style: bot.StylePrimary}}},
	)
	msg := bot.Message{Text: headMd + "\nIt would:\n" + strings.Join(effMd, "\n") + "\nFiles: " + strings.Join(namesMd, ", "), Blocks: blocks}
	if truncated {
		return msg, full.String()
	}
	return msg, ""
}
