package paths

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// Preview is a dry run: every file a run would render and every side
// effect it would have, computed without doing any of them.
type Preview struct {
	Template *Template
	Run      *Run
	// Effects are the side effects in step order ("skip" notes included).
	Effects []string
	Files   map[string]string
}

// Plan computes a dry run of the template for the parameters.
func (p *Paths) Plan(ctx context.Context, t *Template, r *Run) (*Preview, error) {
	steps, err := expandSteps(t, r)
	if err != nil {
		return nil, err
	}
	r.Steps = steps
	pv := &Preview{Template: t, Run: r, Files: map[string]string{}}
	planned := map[int]map[string]any{}
	var effects []string
	for i, s := range r.Steps {
		spec := t.Steps[s.Index]
		scope := r.scope(t, i, planned)
		if spec.If != nil {
			cond, err := evalValue(spec.If, scope)
			if err != nil {
				return nil, fmt.Errorf("step %s condition: %w", s.Name, err)
			}
			if !truthy(cond) {
				pv.Effects = append(pv.Effects, fmt.Sprintf("%s: skipped (its condition is false)", s.Name))
				continue
			}
		}
		in, err := evalValue(spec.Input, scope)
		if err != nil {
			return nil, fmt.Errorf("step %s input: %w", s.Name, err)
		}
		input, _ := in.(map[string]any)
		if input == nil {
			input = map[string]any{}
		}
		a := p.actions[s.Action]
		if a == nil {
			return nil, fmt.Errorf("step %s: no action %s", s.Name, s.Action)
		}
		sc := &StepContext{Run: r, Step: s, Template: t, Input: input, Files: pv.Files, Effects: effects, DryRun: true}
		pl, err := a.Plan(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", s.Name, err)
		}
		planned[i] = pl.Output
		for _, e := range pl.Effects {
			pv.Effects = append(pv.Effects, s.Name+": "+e)
		}
		effects = append(effects, effectOf(s.Action, pl.Output)...)
	}
	return pv, nil
}

// preview answers "/plat <name> --dry-run": it shows every file and side
// effect, keeps the submission so "Create it" can start the real run, and
// changes nothing else.
func (p *Paths) preview(ctx context.Context, req *bot.Request, name string, v bot.Values) error {
	t, params, owner, err := p.prepare(ctx, req, name, v)
	if err != nil {
		return err
	}
	id := p.identify(ctx, req.User)
	runID := newRunID(req)
	r := &Run{
		ID: runID, Template: t.Name, TemplateTitle: t.Title, TemplateHash: t.Hash, Owner: owner,
		Requester: req.User, RequesterRef: id.UserRef, RequesterTeam: id.Team(), Params: params, Files: map[string]string{},
	}
	if np := t.nameProperty(); np != nil {
		r.Name = toString(params[np.Name])
	}
	pv, err := p.Plan(ctx, t, r)
	if err != nil {
		return bot.Errorf("The dry run of `%s` failed, so a real run would fail too: %v", t.Name, err)
	}
	b, err := json.Marshal(previewRecord{Template: t.Name, Hash: t.Hash, Values: v, User: req.User.ID})
	if err != nil {
		return fmt.Errorf("encode preview: %w", err)
	}
	pid := "p" + runID[1:]
	if _, err := p.store.PutRecord(ctx, store.Record{Kind: KindPreview, ID: pid, State: "open", Owner: req.User.ID, Data: b}); err != nil {
		return fmt.Errorf("store preview: %w", err)
	}
	msg, full := previewMessage(pv, pid, p.secrets.DevelopmentOnly())
	if err := req.Reply(ctx, msg); err != nil {
		return err
	}
	if full != "" && req.Channel != "" && req.Messenger() != nil {
		return req.Messenger().Upload(ctx, req.Channel, req.ThreadTS, bot.File{
			Name: t.Name + "-" + r.Name + "-preview.txt", Title: "Dry run of " + t.Name, Content: []byte(full),
			Comment: "Every file the run would create.",
		})
	}
	return nil
}

// previewMessage renders a dry run. When the files do not fit, the second
// result is the complete text to attach.
func previewMessage(pv *Preview, previewID string, devOnly bool) (bot.Message, string) {
	t, r := pv.Template, pv.Run
	head := fmt.Sprintf("Dry run of %s `%s` for %s — nothing was created", t.Title, r.Name, r.Owner)
	var eff []string
	for i, e := range pv.Effects {
		eff = append(eff, fmt.Sprintf("%d. %s", i+1, e))
	}
	names := sortedFiles(pv.Files)
	blocks := []bot.Block{
		bot.Header{Text: "Dry run: " + t.Name},
		bot.Section{Text: "*" + head + "*"},
		bot.Section{Text: "*It would:*\n" + strings.Join(eff, "\n")},
		bot.Section{Text: fmt.Sprintf("*Files (%d):*\n%s", len(names), "• `"+strings.Join(names, "`\n• `")+"`")},
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
		blocks = append(blocks, bot.Context{Text: "`" + n + "`"}, bot.Code{Text: shown})
	}
	ctxLine := "Nothing was written anywhere."
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
	msg := bot.Message{Text: head + "\nIt would:\n" + strings.Join(eff, "\n") + "\nFiles: " + strings.Join(names, ", "), Blocks: blocks}
	if truncated {
		return msg, full.String()
	}
	return msg, ""
}
