package secrets

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

func (s *Secrets) commands() []*bot.Command {
	return []*bot.Command{{
		Name:    "secret add",
		Usage:   "[service] [environment] [NAME]",
		Summary: "Add a secret to one of your team's services; you enter the value on a one-time page, never in Slack",
		Help: "Opens a form for the secret's service, environment, name and description. I then DM you a one-time link " +
			"(valid " + s.cfg.TokenTTL.String() + ", for you only) to a page where your browser encrypts the value for Vault. " +
			"The value goes straight into Vault; a pull request adds the ExternalSecret and the env entry to the service's Deployment.",
		Action: bot.ActionRead,
		Handle: s.handleAdd,
		Form:   s.addForm,
		Submit: s.submitAdd,
	}, {
		Name:    "secret list",
		Usage:   "<service>",
		Summary: "List a service's secrets: names, environments, versions, last rotation — never values",
		Action:  bot.ActionRead,
		Handle:  s.handleList,
	}, {
		Name:    "secret rotate",
		Usage:   "<service> <environment> <NAME>",
		Summary: "Rotate a secret: a fresh one-time link, or a new random value for a generated secret",
		Action:  bot.ActionRead,
		Handle: func(ctx context.Context, req *bot.Request) error {
			if len(req.Args) != 3 {
				return bot.Errorf("Usage: `/plat secret rotate <service> <environment> <NAME>` (or press Rotate in `/plat secret list <service>`).")
			}
			return s.rotate(ctx, req, req.Args[0], req.Args[1], req.Args[2])
		},
	}, {
		Name:    "secret history",
		Usage:   "<service> <NAME> [environment]",
		Summary: "Who requested, sealed and rotated a secret, when, and which Vault version — never the value",
		Action:  bot.ActionRead,
		Handle:  s.handleHistory,
	}}
}

// ---- /plat secret add ----

func (s *Secrets) handleAdd(ctx context.Context, req *bot.Request) error {
	if ref := req.Arg(0); ref != "" {
		e, err := s.service(ref)
		if err != nil {
			return err
		}
		if err := s.router.Authorize(ctx, req, bot.ActionScaffold, catalog.ResourceOf(e)); err != nil {
			return err
		}
	}
	f, err := s.addForm(ctx, req)
	if err != nil {
		return err
	}
	return req.OpenForm(ctx, f)
}

// serviceOptions are the services the user may add secrets to: those owned
// by their teams (all of them for admins).
func (s *Secrets) serviceOptions(ctx context.Context, req *bot.Request) ([]bot.Option, error) {
	id, err := s.cat.Identify(ctx, req.User)
	if err != nil {
		return nil, fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	var opts []bot.Option
	for _, e := range s.cat.List(catalog.KindComponent) {
		owner := e.Owner()
		if owner == "" || (!id.IsAdmin() && !id.InGroup(owner)) {
			continue
		}
		_, _, team := catalog.ParseRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
		opts = append(opts, bot.Option{Value: e.Ref(), Label: e.Metadata.Name + " (" + team + ")"})
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
	if len(opts) > 100 {
		opts = opts[:100] // Slack's limit for a static select
	}
	return opts, nil
}

func (s *Secrets) addForm(ctx context.Context, req *bot.Request) (*bot.Form, error) {
	opts, err := s.serviceOptions(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(opts) == 0 {
		return nil, bot.Errorf("None of your teams owns a service in the catalog, so there is nothing to add a secret to. Ask the platform team if that looks wrong.")
	}
	envs := make([]bot.Option, len(s.cfg.Environments))
	for i, e := range s.cfg.Environments {
		envs[i] = bot.Option{Value: e, Label: e}
	}
	svc := ""
	if ref := req.Arg(0); ref != "" {
		if e, ok := s.cat.Get(ref); ok {
			svc = e.Ref()
		}
	}
	env := req.Arg(1)
	if env == "" {
		env = s.cfg.Environments[0]
	}
	intro := "Only the secret's description goes through Slack. After you submit, I DM you a one-time link where you enter the value; your browser encrypts it for Vault."
	if s.devOnly() {
		intro += " ⚠️ No Vault is configured: the value goes to the " + DevLabel + " local store."
	}
	return &bot.Form{
		Title:      "Add a secret",
		SubmitText: "Get the link",
		Intro:      intro,
		Fields: []bot.Field{
			{ID: "service", Label: "Service", Kind: bot.FieldSelect, Required: true, Options: opts, Default: svc,
				Help: "One of your team's services."},
			{ID: "environment", Label: "Environment", Kind: bot.FieldSelect, Required: true, Options: envs, Default: env},
			{ID: "name", Label: "Name", Kind: bot.FieldText, Required: true, Default: req.Arg(2), MaxLen: 64,
				Placeholder: "STRIPE_API_KEY", Pattern: nameRe.String()[1 : len(nameRe.String())-1], PatternHint: nameHint,
				Help: "The environment variable the service reads it from."},
			{ID: "description", Label: "Description", Kind: bot.FieldLongText, MaxLen: 300,
				Help: "What it is and who issued it. Never the value itself.", Placeholder: "Stripe restricted key for refunds, issued by the payments team"},
		},
	}, nil
}

func (s *Secrets) submitAdd(ctx context.Context, req *bot.Request, v bot.Values) error {
	t, err := s.target(ctx, req, v.Get("service"), v.Get("environment"), v.Get("name"), true)
	if err != nil {
		return err
	}
	info, err := s.kv.Info(ctx, t.Path)
	expect := 0
	switch {
	case err == nil && !info.Deleted:
		return bot.Errorf("`%s` already exists for %s in %s (version %d). To change its value, press Rotate in `/plat secret list %s`.",
			t.Name, t.Service, t.Env, info.Version, t.Service)
	case err == nil:
		expect = info.Version
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("check whether %s exists in the %s: %w", t.Path, s.storeLabel(), err)
	}
	return s.sendLink(ctx, req, OpAdd, t, strings.TrimSpace(v.Get("description")), expect)
}

// ---- links ----

// changeID is deterministic per request, so a retried job finds the change
// an earlier attempt created.
func changeID(req *bot.Request, op string, t Target) string {
	sum := sha256.Sum256([]byte("secrets-change\x00" + req.ID + "\x00" + op + "\x00" + t.Path))
	return hex.EncodeToString(sum[:12])
}

// sendLink records a change with a fresh one-time token and DMs the link to
// the requester. A retry of the same request issues a new token for the
// same change (the earlier one stops working).
func (s *Secrets) sendLink(ctx context.Context, req *bot.Request, op string, t Target, desc string, expect int) error {
	id := changeID(req, op, t)
	token, err := newToken(id)
	if err != nil {
		return err
	}
	now := s.now()
	ch := &Change{
		ID: id, Op: op, Target: t, Description: desc, Requester: req.User,
		Transport: req.Transport, Channel: req.Channel, Request: req.ID,
		TokenHash: tokenHash(req.User.ID, token), Expires: now.Add(s.cfg.TokenTTL),
		ExpectVersion: expect, DevOnly: s.devOnly(),
	}
	data, err := json.Marshal(ch)
	if err != nil {
		return fmt.Errorf("encode change: %w", err)
	}
	created, err := s.store.PutRecord(ctx, store.Record{Kind: KindChange, ID: id, State: StatePending, Owner: req.User.ID, Key: t.Path, Data: data})
	if err != nil {
		return fmt.Errorf("record change %s: %w", id, err)
	}
	if !created {
		// A retry: replace the token of the pending change.
		_, err := s.store.TransitionRecord(ctx, KindChange, id, []string{StatePending}, StatePending, func(r *store.Record) error {
			r.Data = data
			return nil
		})
		if errors.Is(err, store.ErrConflict) {
			return bot.Errorf("This request was already handled; check your DMs for the link, or start again.")
		}
		if err != nil {
			return fmt.Errorf("renew link of change %s: %w", id, err)
		}
	}
	s.auditEvent(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "secrets.link", Target: auditTarget(t), Outcome: "ok",
		Details: map[string]any{
			"op": op, "service": t.ServiceRef, "env": t.Env, "name": t.Name, "change": id, "request": req.ID,
			"expires": ch.Expires.UTC().Format(time.RFC3339), "expect_version": expect, "store": s.storeLabel(),
		},
	})
	link := s.cfg.PublicURL + "/seal/" + token
	verb := "enter the value of"
	if op == OpRotate {
		verb = "enter the new value of"
	}
	what := fmt.Sprintf("*%s* for *%s* (`%s`)", t.Name, t.Service, t.Env)
	blocks := []bot.Block{
		bot.Section{Text: fmt.Sprintf("🔐 Here is your one-time link to %s %s:\n<%s|%s>", verb, what, link, link)},
		bot.Actions{Buttons: []bot.Button{{ActionID: "secrets:open", Text: "Open the sealing page", URL: link, Style: bot.StylePrimary}}},
		bot.Context{Text: fmt.Sprintf("It works once, for you only, until %s (%s). Your browser encrypts the value for %s; it never passes through Slack. Don't forward the link: whoever opens it can set the secret.",
			ch.Expires.UTC().Format("15:04 MST"), s.cfg.TokenTTL, s.sealerLabel())},
	}
	if s.devOnly() {
		blocks = append(blocks, bot.Context{Text: "⚠️ " + DevLabel + ": no Vault is configured, so the value goes to the " + s.storeLabel() + ", encrypted with a local key. Not for production secrets."})
	}
	msg := bot.Message{Text: fmt.Sprintf("One-time link to %s %s: %s", verb, what, link), Blocks: blocks}
	m := req.Messenger()
	if m == nil {
		return fmt.Errorf("send link: request %s has no messenger", req.ID)
	}
	if _, err := m.DM(ctx, req.User.ID, msg); err != nil {
		return fmt.Errorf("send the link to %s: %w", req.User.ID, err)
	}
	note := ""
	if s.devOnly() {
		note = " (" + DevLabel + ": local store, no Vault)"
	}
	return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("📬 I sent you a DM with a one-time link to %s %s%s. Slack never sees the value.", verb, what, note)})
}

func (s *Secrets) sealerLabel() string {
	d := s.sealer.Describe()
	if s.sealer.DevelopmentOnly() && !strings.Contains(d, DevLabel) {
		d += " (" + DevLabel + ")"
	}
	return d
}

// ---- rotation ----

func (s *Secrets) handleAction(ctx context.Context, req *bot.Request, a bot.Action) error {
	switch a.ID {
	case "secrets:rotate":
		parts := strings.Fields(a.Value)
		if len(parts) != 3 {
			return bot.Errorf("This Rotate button is broken; run `/plat secret list <service>` again.")
		}
		return s.rotate(ctx, req, parts[0], parts[1], parts[2])
	case "secrets:open":
		return nil // a link button; Slack opens the URL
	}
	return bot.Errorf("This button is no longer supported. Run `/plat secret list <service>` again.")
}

// rotate sends a fresh one-time link for a new value, or regenerates a
// generated secret.
func (s *Secrets) rotate(ctx context.Context, req *bot.Request, serviceRef, env, name string) error {
	t, err := s.target(ctx, req, serviceRef, env, name, false)
	if err != nil {
		return err
	}
	info, err := s.kv.Info(ctx, t.Path)
	if errors.Is(err, ErrNotFound) || err == nil && info.Deleted {
		return bot.Errorf("There is no secret `%s` for %s in %s. `/plat secret add %s %s %s` adds it.", t.Name, t.Service, t.Env, t.Service, t.Env, t.Name)
	}
	if err != nil {
		return fmt.Errorf("read %s in the %s: %w", t.Path, s.storeLabel(), err)
	}
	sec, err := s.loadSecret(ctx, t.Path)
	if err != nil {
		return err
	}
	if info.GeneratedBy != "" || sec != nil && sec.Generated {
		return s.regenerate(ctx, req, t, info)
	}
	desc := ""
	if sec != nil {
		desc = sec.Description
	}
	return s.sendLink(ctx, req, OpRotate, t, desc, info.Version)
}

const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// newPassword returns n characters from crypto/rand.
func newPassword(n int) (string, error) {
	max := big.NewInt(int64(len(passwordAlphabet)))
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("generate: %w", err)
		}
		b[i] = passwordAlphabet[k.Int64()]
	}
	return string(b), nil
}

// regenerate writes a new random value for a generated secret (the key
// Config.GeneratedKey; the others, like a username, are kept).
func (s *Secrets) regenerate(ctx context.Context, req *bot.Request, t Target, info *KVInfo) error {
	id := changeID(req, OpRegenerate, t)
	ch := &Change{
		ID: id, Op: OpRegenerate, Target: t, Requester: req.User, Transport: req.Transport,
		Channel: req.Channel, Request: req.ID, ExpectVersion: info.Version, DevOnly: s.kv.DevelopmentOnly(),
	}
	data, err := json.Marshal(ch)
	if err != nil {
		return fmt.Errorf("encode change: %w", err)
	}
	created, err := s.store.PutRecord(ctx, store.Record{Kind: KindChange, ID: id, State: StateSealing, Owner: req.User.ID, Key: t.Path, Data: data})
	if err != nil {
		return fmt.Errorf("record change %s: %w", id, err)
	}
	if !created {
		rec, prev, err := s.loadChange(ctx, id)
		if err != nil {
			return err
		}
		if rec.State == StateSealed {
			return s.replyRegenerated(ctx, req, prev)
		}
		ch.ExpectVersion = prev.ExpectVersion
	}
	pw, err := newPassword(32)
	if err != nil {
		return err
	}
	v, err := s.kv.Patch(ctx, t.Path, map[string]string{s.cfg.GeneratedKey: pw}, ch.ExpectVersion)
	if errors.Is(err, ErrVersionMismatch) {
		s.finishFailed(ctx, id, "the secret changed meanwhile")
		return bot.Errorf("`%s` (%s) changed while I was rotating it; nothing was written. Run `/plat secret list %s` and try again.", t.Name, t.Env, t.Service)
	}
	if err != nil {
		return fmt.Errorf("write a new %s to %s in the %s: %w", s.cfg.GeneratedKey, t.Path, s.storeLabel(), err)
	}
	now := s.now()
	rec, err := s.store.TransitionRecord(ctx, KindChange, id, []string{StateSealing}, StateSealed, func(r *store.Record) error {
		ch.Version, ch.Done = v, now
		b, err := json.Marshal(ch)
		r.Data = b
		return err
	})
	if err != nil {
		return fmt.Errorf("record change %s: %w", id, err)
	}
	if err := s.saveSecret(ctx, t, func(sec *Secret) {
		sec.Version, sec.Generated, sec.RotatedBy, sec.Rotated, sec.LastChange, sec.DevOnly = v, true, req.User, now, id, s.kv.DevelopmentOnly()
		if sec.Created.IsZero() {
			sec.Created = info.Created
		}
	}); err != nil {
		return fmt.Errorf("record secret %s: %w", t.Path, err)
	}
	s.auditEvent(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "secrets.regenerated", Target: auditTarget(t), Outcome: "ok",
		Details: map[string]any{"op": OpRegenerate, "service": t.ServiceRef, "env": t.Env, "name": t.Name, "version": v,
			"previous_version": ch.ExpectVersion, "key": s.cfg.GeneratedKey, "change": id, "store": s.storeLabel()},
	})
	if _, err := s.router.Enqueue(ctx, bot.JobSpec{Kind: JobPublish, Payload: publishPayload{Change: id}, DedupeKey: JobPublish + ":" + id}); err != nil {
		return fmt.Errorf("queue the pull request of change %s: %w", id, err)
	}
	c, err := decodeChange(rec)
	if err != nil {
		return err
	}
	return s.replyRegenerated(ctx, req, c)
}

func (s *Secrets) replyRegenerated(ctx context.Context, req *bot.Request, ch *Change) error {
	t := ch.Target
	text := fmt.Sprintf("🔁 Generated a new %s for *%s* of %s (`%s`): version %d in the %s at `%s/%s`. Nobody saw it. External Secrets picks it up at its next refresh (every %s); a pull request restarting the pods follows.",
		s.cfg.GeneratedKey, t.Name, t.Service, t.Env, ch.Version, s.storeLabel(), s.kv.Mount(), t.Path, s.cfg.RefreshInterval)
	return req.Reply(ctx, bot.Message{Text: text})
}

// finishFailed marks a change failed, whatever state it is in.
func (s *Secrets) finishFailed(ctx context.Context, id, why string) {
	_, err := s.store.TransitionRecord(ctx, KindChange, id, []string{StatePending, StateSealing}, StateFailed, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.Failure = why
		r.Data, err = json.Marshal(c)
		return err
	})
	if err != nil {
		s.log.Warn("could not mark change failed", "change", id, "err", err)
	}
}

// ---- /plat secret list ----

// listed is one row of /plat secret list.
type listed struct {
	Target
	info *KVInfo
	sec  *Secret
}

func (s *Secrets) handleList(ctx context.Context, req *bot.Request) error {
	e, err := s.service(req.Arg(0))
	if err != nil {
		return err
	}
	if err := s.router.Authorize(ctx, req, bot.ActionRead, catalog.ResourceOf(e)); err != nil {
		return err
	}
	rows, err := s.list(ctx, e)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s at `%s/%s/%s/…`", s.storeLabel(), s.kv.Mount(), teamOf(e), e.Metadata.Name)
	if len(rows) == 0 {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("%s has no secrets in the %s. `/plat secret add %s` adds one.", e.Metadata.Name, where, e.Metadata.Name)})
	}
	blocks := []bot.Block{bot.Header{Text: "Secrets of " + e.Metadata.Name}}
	lines := []string{"Secrets of " + e.Metadata.Name + ":"}
	const maxRows = 45 // Slack allows 50 blocks
	for i, r := range rows {
		if i == maxRows {
			blocks = append(blocks, bot.Context{Text: fmt.Sprintf("…and %d more.", len(rows)-maxRows)})
			break
		}
		text := describeRow(r)
		lines = append(lines, "• "+text)
		blocks = append(blocks, bot.Section{Text: text, Accessory: &bot.Button{
			ActionID: "secrets:rotate", Text: "Rotate", Value: r.ServiceRef + " " + r.Env + " " + r.Name,
			Confirm: fmt.Sprintf("Rotate %s in %s? %s", r.Name, r.Env, rotateHint(r)),
		}})
	}
	blocks = append(blocks, bot.Context{Text: "Values are never shown. Stored in the " + where + ". `/plat secret history " + e.Metadata.Name + " <NAME>` shows who changed what."})
	return req.Reply(ctx, bot.Message{Text: strings.Join(lines, "\n"), Blocks: blocks})
}

func teamOf(e *catalog.Entity) string {
	_, _, team := catalog.ParseRef(e.Owner(), catalog.KindGroup, catalog.DefaultNamespace)
	return team
}

func (r listed) generated() bool { return r.info.GeneratedBy != "" || r.sec != nil && r.sec.Generated }

func rotateHint(r listed) string {
	if r.generated() {
		return "A new random value is generated and written to Vault right away."
	}
	return "You get a one-time link to enter the new value."
}

func describeRow(r listed) string {
	parts := []string{fmt.Sprintf("*%s* · `%s` · v%d", r.Name, r.Env, r.info.Version)}
	when, who := r.info.Updated, ""
	if r.sec != nil {
		switch {
		case !r.sec.Rotated.IsZero():
			when, who = r.sec.Rotated, r.sec.RotatedBy.String()
		case !r.sec.Created.IsZero():
			when, who = r.sec.Created, r.sec.CreatedBy.String()
		}
	}
	if who == "" && r.info.GeneratedBy != "" {
		who = "golden path run " + r.info.GeneratedBy
	}
	last := "last written " + formatTime(when)
	if who != "" {
		last += " by " + who
	}
	parts = append(parts, last)
	if r.generated() {
		parts = append(parts, "generated")
	}
	text := strings.Join(parts, " · ")
	if r.sec != nil && r.sec.Description != "" {
		text += "\n_" + r.sec.Description + "_"
	}
	return text
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// list returns the secrets of a service in every configured environment,
// from the KV store's listing (so secrets written by golden paths show too).
func (s *Secrets) list(ctx context.Context, e *catalog.Entity) ([]listed, error) {
	var out []listed
	for _, env := range s.cfg.Environments {
		base, err := s.targetOf(e, env, "x", false)
		if err != nil {
			return nil, err
		}
		dir := base.Team + "/" + base.Service + "/" + env
		names, err := s.kv.List(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("list %s in the %s: %w", dir, s.storeLabel(), err)
		}
		for _, n := range names {
			if strings.HasSuffix(n, "/") || !existingNameRe.MatchString(n) {
				continue
			}
			t := base
			t.Name, t.Path = n, dir+"/"+n
			info, err := s.kv.Info(ctx, t.Path)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read %s in the %s: %w", t.Path, s.storeLabel(), err)
			}
			if info.Deleted {
				continue
			}
			sec, err := s.loadSecret(ctx, t.Path)
			if err != nil {
				return nil, err
			}
			out = append(out, listed{Target: t, info: info, sec: sec})
		}
	}
	return out, nil
}

// ---- /plat secret history ----

func (s *Secrets) handleHistory(ctx context.Context, req *bot.Request) error {
	if len(req.Args) < 2 {
		return bot.Errorf("Usage: `/plat secret history <service> <NAME> [environment]`.")
	}
	e, err := s.service(req.Arg(0))
	if err != nil {
		return err
	}
	if err := s.router.Authorize(ctx, req, bot.ActionRead, catalog.ResourceOf(e)); err != nil {
		return err
	}
	name, env := req.Arg(1), req.Arg(2)
	if !existingNameRe.MatchString(name) {
		return bot.Errorf("`%s` is not a secret name.", name)
	}
	prefix := "secret:" + teamOf(e) + "/" + e.Metadata.Name + "/"
	events, err := s.store.AuditEvents(ctx, store.AuditFilter{Action: "secrets.*"}, 0)
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	var lines []string
	for _, ev := range events {
		rest, ok := strings.CutPrefix(ev.Target, prefix)
		if !ok {
			continue
		}
		evEnv, evName, ok := strings.Cut(rest, "/")
		if !ok || evName != name || (env != "" && evEnv != env) {
			continue
		}
		lines = append(lines, historyLine(ev, evEnv))
		if len(lines) == 30 {
			break
		}
	}
	if len(lines) == 0 {
		return req.Reply(ctx, bot.Message{Text: fmt.Sprintf("The audit log has nothing about `%s` of %s yet.", name, e.Metadata.Name)})
	}
	title := fmt.Sprintf("History of %s (%s), newest first", name, e.Metadata.Name)
	return req.Reply(ctx, bot.Message{
		Text:   title + ":\n" + strings.Join(lines, "\n"),
		Blocks: []bot.Block{bot.Header{Text: title}, bot.Section{Text: strings.Join(lines, "\n")}, bot.Context{Text: "From the audit log. Values are never recorded."}},
	})
}

func historyLine(ev store.Event, env string) string {
	who := ev.ActorName
	if who == "" || who == ev.ActorID {
		who = ev.ActorID
	} else {
		who += " (" + ev.ActorID + ")"
	}
	d := ev.Details
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	var what string
	switch ev.Action {
	case "secrets.link":
		what = fmt.Sprintf("one-time link (%s) sent to %s", str("op"), who)
	case "secrets.sealed":
		what = fmt.Sprintf("value sealed by %s → version %s", who, str("version"))
	case "secrets.regenerated":
		what = fmt.Sprintf("regenerated by %s → version %s", who, str("version"))
	case "secrets.refused":
		what = fmt.Sprintf("refused (%s) for the link of %s", str("reason"), who)
	case "secrets.pr":
		what = "pull request " + str("url")
		if str("url") == "" {
			what = "no pull request needed"
		}
	default:
		what = ev.Action + " by " + who
	}
	return fmt.Sprintf("• %s · `%s` · %s", ev.Time.UTC().Format("2006-01-02 15:04:05 UTC"), env, what)
}
