package paths

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
	"github.com/platbot/platbot/store"
)

// stepJob is the payload of a JobStep job. It holds ids only.
type stepJob struct {
	Run  string `json:"run"`
	Step int    `json:"step"`
	Gen  int    `json:"gen"`
}

// enqueueStep enqueues the job of the run's current step. The dedupe key
// names the run, step and retry generation, so enqueueing twice (a resume
// racing a worker) runs the step once.
func (p *Paths) enqueueStep(ctx context.Context, r *Run) error {
	i := r.current()
	if i < 0 {
		return nil
	}
	_, err := p.router.Enqueue(ctx, bot.JobSpec{
		Kind: JobStep, Payload: stepJob{Run: r.ID, Step: i, Gen: r.Gen},
		DedupeKey: fmt.Sprintf("%s:%s:%d:%d", JobStep, r.ID, i, r.Gen), MaxAttempts: 10,
	})
	if err != nil {
		return fmt.Errorf("enqueue step %d of run %s: %w", i, r.ID, err)
	}
	return nil
}

// startRun persists a new run with all its steps, posts its progress
// message and enqueues its first step. Starting the same submission twice
// (a replayed job) finds the run it created.
func (p *Paths) startRun(ctx context.Context, req *bot.Request, t *template.Template, params map[string]any, secrets map[string]string, owner string) (*Run, error) {
	r := p.newRun(req, p.identify(ctx, req.User), t, params, secrets, owner)
	r.State = RunRunning
	if err := p.sealSecrets(r); err != nil {
		return nil, err
	}
	steps, err := p.expandSteps(ctx, t, r)
	if err != nil {
		return nil, &actions.StepError{Msg: "the template's steps could not be prepared: " + err.Error(), Hint: "Tell the template's owners (" + t.Owner + ")."}
	}
	r.Steps = steps
	rec, err := p.record(r)
	if err != nil {
		return nil, err
	}
	created, err := p.store.PutRecord(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("create run: %w", err)
	}
	if !created {
		// A replayed submission: continue the run it created.
		if r, err = p.loadRun(ctx, r.ID); err != nil {
			return nil, err
		}
	} else {
		r.Version = 1
		keys := make([]string, len(r.Steps))
		for i, s := range r.Steps {
			keys[i] = s.Key
		}
		p.auditEvent(ctx, store.Event{
			ActorID: req.User.ID, ActorName: req.User.Name, Action: "paths.run.create", Target: "template:" + t.Name,
			Outcome: "ok", Details: map[string]any{
				"run": r.ID, "template_version": t.Hash, "owner": owner, "name": r.Name, "steps": keys, "request": req.ID,
			},
		})
		p.log.Info("run created", "run", r.ID, "template", t.Name, "user", req.User.ID, "owner", owner, "steps", len(r.Steps))
	}
	if r.Progress.Zero() {
		if err := p.postProgress(ctx, r); err != nil {
			// Neither the channel nor a DM worked: the answer to the
			// submission is the last way to tell the user where the run is.
			p.log.Warn("post progress", "run", r.ID, "err", err)
			msg := fmt.Sprintf("⏳ Run `%s` started, but I could not post its progress, neither here nor by direct message. Follow it with `/plat run %s`; if it fails, `/plat run retry %s` resumes it.", r.ID, r.ID, r.ID)
			if err := req.Reply(ctx, bot.Message{Text: msg}); err != nil {
				p.log.Warn("tell the user where the run is", "run", r.ID, "err", err)
			}
		}
	}
	if r.State == RunRunning {
		if err := p.enqueueStep(ctx, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// postProgress posts the run's one progress message and records where it
// is: in the channel (thread) the run was started from, or, when that
// fails (the bot is not in the channel, the channel is archived), as a
// direct message to the requester, so progress, links and Retry still
// reach them; later updates edit whichever message was posted.
func (p *Paths) postProgress(ctx context.Context, r *Run) error {
	m := p.messenger(r)
	if m == nil {
		return fmt.Errorf("no messenger for transport %q", r.Transport)
	}
	devOnly := p.secrets.DevelopmentOnly()
	var ref bot.MessageRef
	var err error
	if r.Channel == "" {
		ref, err = m.DM(ctx, r.Requester.ID, progressMessage(r, devOnly))
	} else {
		msg := progressMessage(r, devOnly)
		msg.ThreadTS = r.ThreadTS
		ref, err = m.Post(ctx, r.Channel, msg)
		if err != nil {
			p.log.Warn("cannot post progress in the channel; sending it by direct message", "run", r.ID, "channel", r.Channel, "err", err)
			r.ProgressDM = true
			var dmErr error
			if ref, dmErr = m.DM(ctx, r.Requester.ID, progressMessage(r, devOnly)); dmErr != nil {
				r.ProgressDM = false
				return fmt.Errorf("post progress of run %s: in %s: %w; by direct message: %w", r.ID, r.Channel, err, dmErr)
			}
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("post progress of run %s: %w", r.ID, err)
	}
	r.Progress = ref
	return p.save(ctx, r)
}

// updateProgress edits the progress message in place.
func (p *Paths) updateProgress(ctx context.Context, r *Run) {
	m := p.messenger(r)
	if m == nil || r.Progress.Zero() {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := m.Update(ctx, r.Progress, progressMessage(r, p.secrets.DevelopmentOnly())); err != nil {
		p.log.Warn("update progress", "run", r.ID, "err", err)
	}
}

func (p *Paths) messenger(r *Run) bot.Messenger {
	if p.router == nil {
		return nil
	}
	return p.router.Outbound(r.Transport)
}

// runStepJob runs the current step of a run: the durable job behind every step.
func (p *Paths) runStepJob(ctx context.Context, payload json.RawMessage) error {
	var j stepJob
	if err := json.Unmarshal(payload, &j); err != nil {
		return bot.Permanent(fmt.Errorf("decode step job: %w", err))
	}
	r, err := p.loadRun(ctx, j.Run)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Permanent(err)
	}
	if err != nil {
		return err
	}
	if r.State != RunRunning || r.Gen != j.Gen {
		return nil // finished, failed, cancelled or retried meanwhile
	}
	i := r.current()
	if i != j.Step {
		if i < 0 {
			return p.finish(ctx, r)
		}
		// A stale job (its step finished, but the worker died before the
		// next one was enqueued, or a duplicate): make sure the current
		// step has its job; the dedupe key keeps it to one.
		return p.enqueueStep(ctx, r)
	}
	t, err := p.runTemplate(ctx, r)
	if err != nil {
		return p.fail(ctx, r, i, &actions.StepError{Msg: err.Error(), Hint: "The template version this run started with is gone; start a new run."})
	}
	if r.secretsErr != nil {
		p.log.Warn("secret values of a run cannot be opened", "run", r.ID, "err", r.secretsErr)
		return p.fail(ctx, r, i, &actions.StepError{Msg: "the secret values entered for this run can no longer be read (platbot restarted without its seal key)", Hint: "Cancel it with `/plat run cancel " + r.ID + "` and start a new run; to keep secret values across restarts, set the seal key (see the README)."})
	}
	s := r.Steps[i]
	spec := t.Steps[s.Index]
	log := p.log.With("run", r.ID, "step", s.Key, "action", s.Action)
	scope := p.scope(r, t, i, nil)

	if spec.If != nil {
		run, err := p.evalIf(ctx, s.Key, spec.If, scope)
		if err != nil {
			return p.fail(ctx, r, i, &actions.StepError{Msg: "its condition could not be evaluated: " + err.Error()})
		}
		if !run {
			s.State, s.Finished = StepSkipped, p.now().UTC()
			if err := p.save(ctx, r); err != nil {
				return err
			}
			p.auditStep(ctx, r, s, "skipped", nil)
			return p.advance(ctx, r)
		}
	}

	action := p.actions[s.Action]
	if action == nil {
		return p.fail(ctx, r, i, &actions.StepError{Msg: "platbot has no action " + s.Action})
	}
	s.State, s.Attempts, s.Started, s.Error = StepRunning, s.Attempts+1, p.now().UTC(), ""
	if err := p.save(ctx, r); err != nil {
		return err
	}
	p.updateProgress(ctx, r)
	log.Info("step started", "attempt", s.Attempts)

	input, err := p.evalInput(ctx, s.Key, spec.Input, scope)
	if err != nil {
		return p.fail(ctx, r, i, &actions.StepError{Msg: "its input could not be evaluated: " + err.Error(), Hint: "This is a problem in the template; tell its owners (" + t.Owner + ")."})
	}
	sc := &actions.StepContext{Run: r.info(), StepKey: s.Key, Template: t, Input: input, Files: r.Files, Executable: r.Executable, Effects: effectsOf(r, i), RawInput: spec.Input, Scope: scope, Engine: p.tmpl}
	if sc.Files == nil {
		sc.Files = map[string]string{}
	}
	if actions.Publishes(s.Action) {
		if err := p.addLineage(r, t, s.Action, sc); err != nil {
			return p.fail(ctx, r, i, err)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, p.cfg.StepTimeout)
	out, err := action.Run(sctx, sc)
	timedOut := sctx.Err() == context.DeadlineExceeded
	cancel()
	if ctx.Err() != nil {
		// Interrupted (shutdown): the step stays "running" and is done
		// again, idempotently, when the job is picked up after the restart.
		log.Warn("step interrupted", "err", ctx.Err())
		return ctx.Err()
	}
	if err != nil {
		if timedOut {
			err = &actions.StepError{Msg: fmt.Sprintf("it did not finish within %s", p.cfg.StepTimeout), Hint: "Press Retry to try again; what it already did is reused.", Err: err}
		}
		return p.fail(ctx, r, i, err)
	}
	if name := r.secretIn(sc.Files, out); name != "" {
		return p.fail(ctx, r, i, &actions.StepError{Msg: fmt.Sprintf("the template writes the secret parameter %s into a file or a step output, which would store it in the clear; nothing was published", name), Hint: "Secrets may only be passed to actions' inputs. Tell the template's owners (" + t.Owner + ")."})
	}
	r.Files, r.Executable = sc.Files, sc.Executable
	if err := p.indexPullRequest(ctx, r.ID, out); err != nil {
		return err
	}
	s.State, s.Output, s.Finished = StepDone, out, p.now().UTC()
	if err := p.save(ctx, r); err != nil {
		return err
	}
	log.Info("step done")
	p.auditStep(ctx, r, s, "ok", out)
	return p.advance(ctx, r)
}

// advance finishes the run after its last step, else enqueues the next.
func (p *Paths) advance(ctx context.Context, r *Run) error {
	if r.current() < 0 {
		return p.finish(ctx, r)
	}
	p.updateProgress(ctx, r)
	return p.enqueueStep(ctx, r)
}

// finish marks a run succeeded and shows its output links.
func (p *Paths) finish(ctx context.Context, r *Run) error {
	if t, err := p.runTemplate(ctx, r); err == nil {
		r.Links = p.outputLinks(ctx, t, r)
	}
	r.State, r.Finished, r.Error = RunSucceeded, p.now().UTC(), ""
	r.SealedSecrets = "" // a finished run needs them no more
	if r.Lineage != nil {
		if err := p.saveLineage(ctx, r.Lineage); err != nil {
			return err
		}
	}
	if err := p.save(ctx, r); err != nil {
		return err
	}
	p.auditEvent(ctx, store.Event{
		ActorID: r.Requester.ID, ActorName: r.Requester.Name, Action: "paths.run.finish", Target: "template:" + r.Template,
		Outcome: "ok", Details: map[string]any{"run": r.ID, "name": r.Name, "owner": r.Owner, "links": linkURLs(r.Links)},
	})
	p.log.Info("run succeeded", "run", r.ID, "template", r.Template)
	p.updateProgress(ctx, r)
	return nil
}

// fail stops the run at step i and tells the user why.
func (p *Paths) fail(ctx context.Context, r *Run, i int, cause error) error {
	s := r.Steps[i]
	msg := cause.Error()
	var se *actions.StepError
	switch down := p.explainDown(ctx, cause); {
	case down != "":
		// An outside system the step needs is down: say which, since when
		// and who owns it, not the call's own error.
		msg = down + " Press Retry once it is back (reference: run " + r.ID + ")."
	case !errors.As(cause, &se):
		msg += ". Press Retry to try this step again; if it keeps failing, tell the platform team (reference: run " + r.ID + ")."
	}
	s.State, s.Error, s.Finished = StepFailed, msg, p.now().UTC()
	r.State, r.Error = RunFailed, fmt.Sprintf("Step %q failed: %s", s.Name, msg)
	if err := p.save(ctx, r); err != nil {
		return err
	}
	p.log.Warn("step failed", "run", r.ID, "step", s.Key, "err", cause)
	p.auditStep(ctx, r, s, "error", nil)
	p.auditEvent(ctx, store.Event{
		ActorID: r.Requester.ID, ActorName: r.Requester.Name, Action: "paths.run.finish", Target: "template:" + r.Template,
		Outcome: "error", Details: map[string]any{"run": r.ID, "failed_step": s.Key, "error": msg},
	})
	p.updateProgress(ctx, r)
	return nil
}

func (p *Paths) auditStep(ctx context.Context, r *Run, s *Step, outcome string, out map[string]any) {
	details := map[string]any{"run": r.ID, "step": s.Key, "action": s.Action, "attempt": s.Attempts}
	if s.Error != "" {
		details["error"] = s.Error
	}
	if out != nil {
		details["output"] = auditOutput(out)
	}
	p.auditEvent(ctx, store.Event{
		ActorID: r.Requester.ID, ActorName: r.Requester.Name, Action: "paths.step", Target: "template:" + r.Template,
		Outcome: outcome, Details: details,
	})
}

// auditOutput keeps what is worth auditing of a step's outputs (never
// file contents; outputs hold no secrets by construction).
func auditOutput(out map[string]any) map[string]any {
	keep := map[string]any{}
	for k, v := range out {
		if k == "files" {
			keep["files"] = len(templating.Strings(v))
			continue
		}
		keep[k] = v
	}
	return keep
}

// effectsOf lists what the steps before i did outside the files, for the
// pull request's description.
func effectsOf(r *Run, before int) []string {
	var out []string
	for j, s := range r.Steps {
		if j >= before || s.State != StepDone {
			continue
		}
		out = append(out, effectOf(s.Action, s.Output)...)
	}
	return out
}

func effectOf(action string, o map[string]any) []string {
	switch action {
	case actions.VaultKV:
		return []string{fmt.Sprintf("Generated credentials are stored at `%s` in the %s, readable only by role `%s` (policy `%s`).",
			templating.Text(o["path"]), templating.Text(o["store"]), templating.Text(o["role"]), templating.Text(o["policy"]))}
	case actions.CatalogRegister:
		if u := templating.Text(o["catalogInfoUrl"]); u != "" {
			what := u
			if ref := templating.Text(o["entityRef"]); ref != "" {
				what = "`" + ref + "` (" + u + ")"
			}
			return []string{"Registered " + what + " in the catalog."}
		}
		return []string{fmt.Sprintf("Registers `%s` in the catalog when merged (`%s`).", templating.Text(o["entityRef"]), templating.Text(o["catalogInfoPath"]))}
	case actions.PublishGitHub:
		if u := templating.Text(o["remoteUrl"]); u != "" {
			return []string{"Created the repository " + u + "."}
		}
	}
	return nil
}

// outputLinks evaluates the template's output.links for a finished run.
func (p *Paths) outputLinks(ctx context.Context, t *template.Template, r *Run) []Link {
	sc := p.scope(r, t, len(r.Steps), nil)
	var out []Link
	for i, l := range t.Links {
		v, _, err := p.tmpl.RenderValue(ctx, fmt.Sprintf("output link %d", i+1), map[string]any{"title": l.Title, "url": l.URL, "entityRef": l.EntityRef}, sc)
		if err != nil {
			p.log.Warn("output link", "run", r.ID, "link", i+1, "err", err)
			continue
		}
		m, _ := v.(map[string]any)
		link := Link{Title: templating.Text(m["title"])}
		switch {
		case templating.Text(m["url"]) != "":
			link.URL = templating.Text(m["url"])
		case templating.Text(m["entityRef"]) != "":
			link.Text = templating.Text(m["entityRef"])
		default:
			continue
		}
		if link.Title == "" {
			link.Title = link.URL + link.Text
		}
		out = append(out, link)
	}
	return out
}

func linkURLs(ls []Link) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.URL+l.Text)
	}
	return out
}

// retry resumes a failed (or stuck) run from its failed step.
func (p *Paths) retry(ctx context.Context, req *bot.Request, runID string) error {
	r, err := p.findRun(ctx, runID)
	if err != nil {
		return err
	}
	id := p.identify(ctx, req.User)
	if !canSee(r, req.User, id) {
		return bot.Errorf("There is no run `%s` you can see.", r.ID)
	}
	stuck := r.State == RunRunning && p.now().Sub(r.Updated) > p.cfg.StuckAfter
	if r.State != RunFailed && !stuck {
		switch r.State {
		case RunRunning:
			return bot.Errorf("Run `%s` is still running (step %d of %d). Nothing to retry.", r.ID, r.current()+1, len(r.Steps))
		case RunSucceeded:
			return bot.Errorf("Run `%s` already succeeded. Nothing to retry.", r.ID)
		}
		return bot.Errorf("Run `%s` was cancelled; start a new one with `/plat %s`.", r.ID, r.Template)
	}
	if err := p.router.Authorize(ctx, req, bot.ActionScaffold, bot.Resource{Kind: "group", Ref: r.Owner, Owner: r.Owner}); err != nil {
		return err
	}
	from := []string{RunFailed}
	if stuck {
		from = []string{RunRunning}
	}
	var next *Run
	rec, err := p.store.TransitionRecord(ctx, KindRun, r.ID, from, RunRunning, func(rec *store.Record) error {
		cur, err := decodeRun(rec)
		if err != nil {
			return err
		}
		cur.Gen++
		cur.Error = ""
		if i := cur.current(); i >= 0 {
			cur.Steps[i].State, cur.Steps[i].Error = StepPending, ""
		}
		b, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		rec.Data = b
		next = cur
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return bot.Errorf("Run `%s` is already being retried.", r.ID)
	}
	if err != nil {
		return fmt.Errorf("retry run %s: %w", r.ID, err)
	}
	next.State, next.Version, next.Updated = rec.State, rec.Version, rec.Updated
	i := next.current()
	p.auditEvent(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "paths.run.retry", Target: "template:" + r.Template,
		Outcome: "ok", Details: map[string]any{"run": r.ID, "from_step": next.Steps[i].Key, "gen": next.Gen},
	})
	p.log.Info("run retried", "run", r.ID, "step", next.Steps[i].Key, "by", req.User.ID)
	p.updateProgress(ctx, next)
	if err := p.enqueueStep(ctx, next); err != nil {
		return err
	}
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("🔁 Retrying run `%s` from step %d, *%s*. Progress is in the run's message.", r.ID, i+1, next.Steps[i].Name)})
}

// cancel stops a failed run for good and frees its name.
func (p *Paths) cancel(ctx context.Context, req *bot.Request, runID string) error {
	r, err := p.findRun(ctx, runID)
	if err != nil {
		return err
	}
	if !canSee(r, req.User, p.identify(ctx, req.User)) {
		return bot.Errorf("There is no run `%s` you can see.", r.ID)
	}
	if r.State != RunFailed {
		return bot.Errorf("Only a failed run can be cancelled; run `%s` is %s.", r.ID, r.State)
	}
	rec, err := p.store.TransitionRecord(ctx, KindRun, r.ID, []string{RunFailed}, RunCancelled, func(rec *store.Record) error {
		cur, err := decodeRun(rec)
		if err != nil {
			return err
		}
		if cur.SealedSecrets == "" {
			return nil
		}
		cur.SealedSecrets = "" // a cancelled run needs them no more
		b, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		rec.Data = b
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return bot.Errorf("Run `%s` changed meanwhile; look at it again with `/plat run %s`.", r.ID, r.ID)
		}
		return fmt.Errorf("cancel run %s: %w", r.ID, err)
	}
	r.State, r.Version = rec.State, rec.Version
	p.homeChanged(ctx, r)
	p.auditEvent(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "paths.run.cancel", Target: "template:" + r.Template,
		Outcome: "ok", Details: map[string]any{"run": r.ID},
	})
	p.updateProgress(ctx, r)
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("Run `%s` is cancelled; the name `%s` is free again. Whatever it already created stays (see its message).", r.ID, r.Name)})
}

// ---- progress message ----

func stepIcon(r *Run, s *Step) string {
	switch s.State {
	case StepDone:
		return "✅"
	case StepFailed:
		return "❌"
	case StepSkipped:
		return "⏭️"
	}
	if r.State != RunRunning {
		return "⏸️" // not run: the run stopped before it
	}
	return "⏳"
}

// sentence capitalises the first letter of a message.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// progressMessage renders a run: ⏳ / ✅ / ❌ per step, then the links.
func progressMessage(r *Run, devOnly bool) bot.Message {
	// Run names, step names and outputs hold parameters people typed.
	title := fmt.Sprintf("%s `%s`", bot.UserText(r.TemplateTitle), bot.UserText(r.Name))
	if r.Name == "" {
		title = bot.UserText(r.TemplateTitle).Mrkdwn()
	}
	var head string
	switch r.State {
	case RunSucceeded:
		head = "✅ " + title + " is ready for review"
	case RunFailed:
		head = "❌ " + title + " stopped"
	case RunCancelled:
		head = "🚫 " + title + " was cancelled"
	default:
		head = "⏳ " + title + fmt.Sprintf(" — step %d of %d", min(r.stepsDone()+1, len(r.Steps)), len(r.Steps))
	}
	var lines []string
	for _, s := range r.Steps {
		line := stepIcon(r, s) + " " + bot.UserText(s.Name).Mrkdwn()
		if s.State == StepRunning {
			line += " _(running)_"
		}
		if s.State == StepDone {
			if d := stepSummary(s); d != "" {
				line += " — " + d
			}
		}
		if s.State == StepFailed {
			line += "\n      " + bot.UserText(sentence(s.Error)).Mrkdwn()
		}
		lines = append(lines, line)
	}
	blocks := []bot.Block{
		bot.Section{Text: "*" + head + "*"},
		bot.Section{Text: strings.Join(lines, "\n")},
	}
	text := head + "\n" + strings.Join(lines, "\n")
	if len(r.Links) > 0 {
		var ls []string
		for _, l := range r.Links {
			if l.URL != "" {
				ls = append(ls, bot.Link(l.URL, l.Title))
			} else {
				ls = append(ls, fmt.Sprintf("%s: `%s`", bot.UserText(l.Title), bot.UserText(l.Text)))
			}
		}
		blocks = append(blocks, bot.Section{Text: "🔗 " + strings.Join(ls, " · ")})
		text += "\n🔗 " + strings.Join(ls, " · ")
	}
	ctxLine := fmt.Sprintf("Run `%s` · for %s · requested by %s · `/plat run %s`", r.ID, r.Owner, bot.UserText(r.Requester.String()), r.ID)
	if devOnly {
		ctxLine += " · secrets go to the development-only local store"
	}
	if r.ProgressDM {
		note := fmt.Sprintf("📬 I could not post in <#%s>, so this run's progress goes to the requester's direct messages. Invite me to the channel (`/invite @platbot`) to see future runs there.", r.Channel)
		blocks = append(blocks, bot.Context{Text: note})
		text += "\n" + note
	}
	blocks = append(blocks, bot.Context{Text: ctxLine})
	if r.State == RunFailed {
		blocks = append(blocks, bot.Actions{Buttons: []bot.Button{
			{ActionID: ActionPrefix + ":retry:" + r.ID, Text: "Retry", Value: r.ID, Style: bot.StylePrimary},
		}})
		text += "\nRetry with `/plat run retry " + r.ID + "`."
	}
	return bot.Message{Text: text, Blocks: blocks}
}

// stepSummary is a short note on what a finished step did.
func stepSummary(s *Step) string {
	o := s.Output
	switch s.Action {
	case actions.FetchTemplate, actions.FetchPlain, actions.FetchPlainFile, actions.CatalogWrite:
		return fmt.Sprintf("%d file(s)", len(templating.Strings(o["files"])))
	case actions.CatalogRegister:
		if ref := templating.Text(o["entityRef"]); ref != "" {
			return "`" + bot.UserText(ref).Mrkdwn() + "`"
		}
		return bot.UserText(templating.Text(o["catalogInfoUrl"])).Mrkdwn()
	case actions.PublishGitHub:
		if u := templating.Text(o["remoteUrl"]); strings.HasPrefix(u, "https://") {
			return bot.Link(u, "repository")
		}
		return bot.UserText(templating.Text(o["remoteUrl"])).Mrkdwn()
	case actions.VaultKV:
		d := "`" + bot.UserText(templating.Text(o["path"])).Mrkdwn() + "`"
		if templating.Text(o["label"]) == "development-only" {
			d += " (development-only local store)"
		}
		return d
	case actions.PublishPR:
		if u := templating.Text(o["remoteUrl"]); u != "" {
			return bot.Link(u, "pull request")
		}
	}
	return ""
}

// explainDown is Deps.Explain's phrasing of a step's cause, "" without one.
func (p *Paths) explainDown(ctx context.Context, cause error) string {
	if p.explain == nil {
		return ""
	}
	return p.explain(ctx, cause)
}
