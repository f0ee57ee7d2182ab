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
			"to a page where your browser encrypts the value for Vault. The link is yours: whoever opens it within " + durationWords(s.cfg.TokenTTL) +
			" can set that one secret, once, so don't forward it. " +
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
		if err := s.mayManage(ctx, req, e); err != nil {
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
// by their own teams, not by the groups above them (all of them for
// admins). submitAdd checks the same (mayManage).
func (s *Secrets) serviceOptions(ctx context.Context, req *bot.Request) ([]bot.Option, error) {
	id, err := s.cat.Identify(ctx, req.User)
	if err != nil {
		return nil, fmt.Errorf("identify %s: %w", req.User.ID, err)
	}
	var opts []bot.Option
	for _, e := range s.cat.List(catalog.KindComponent) {
		owner := e.Owner()
		if owner == "" || !ownsDirectly(id, e) {
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
		Expires: now.Add(s.cfg.TokenTTL), ExpectVersion: expect, DevOnly: s.devOnly(),
	}
	ch.TokenHash = tokenHash(ch, token)
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
	link := s.linkFor(token)
	verb := "enter the value of"
	if op == OpRotate {
		verb = "enter the new value of"
	}
	what := fmt.Sprintf("*%s* for *%s* (`%s`)", t.Name, t.Service, t.Env)
	blocks := []bot.Block{
		bot.Section{Text: fmt.Sprintf("🔐 Here is your one-time link to %s %s:\n%s", verb, what, bot.Link(link, link))},
		bot.Actions{Buttons: []bot.Button{{ActionID: "secrets:open", Text: "Open the sealing page", URL: link, Style: bot.StylePrimary}}},
		bot.Context{Text: fmt.Sprintf("This link is yours: don't forward it — whoever opens it within %s can set this one secret, once (until %s). Your browser encrypts the value for %s; it never passes through Slack.",
			durationWords(s.cfg.TokenTTL), ch.Expires.UTC().Format("15:04 MST"), s.sealerLabel())},
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

// linkFor is the one-time link of a token: Config.PublicURL (as the lead
// set it, or the default) + Prefix + token. Every link is built here.
func (s *Secrets) linkFor(token string) string {
	return s.cfg.PublicURL + Prefix + token
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
// Config.GeneratedKey; the others, like a username, are kept). The change
// is recorded in StateSealing and the intent audited before the write, so
// Reconcile can settle an interruption; a retry of the same request settles
// it at once.
func (s *Secrets) regenerate(ctx context.Context, req *bot.Request, t Target, info *KVInfo) error {
	id := changeID(req, OpRegenerate, t)
	ch := &Change{
		ID: id, Op: OpRegenerate, Target: t, Requester: req.User, Transport: req.Transport,
		Channel: req.Channel, Request: req.ID, ExpectVersion: info.Version, DevOnly: s.kv.DevelopmentOnly(),
		Claimed: s.now(), SecretCreated: info.Created,
	}
	data, err := json.Marshal(ch)
	if err != nil {
		return fmt.Errorf("encode change: %w", err)
	}
	created, err := s.store.PutRecord(ctx, store.Record{Kind: KindChange, ID: id, State: StateSealing, Owner: req.User.ID, Key: t.Path, Data: data})
	if err != nil {
		return fmt.Errorf("record change %s: %w", id, err)
	}
	// Whatever happens to the request from here, finish what was started.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sealTimeout)
	defer cancel()
	if !created {
		// A retry of this request: pick up where the first attempt got.
		rec, prev, err := s.loadChange(ctx, id)
		if err != nil {
			return err
		}
		switch rec.State {
		case StateSealed:
			return s.replyRegenerated(ctx, req, prev)
		case StateFailed:
			return bot.Errorf("This rotation of `%s` (%s) did not complete (%s). Run `/plat secret rotate %s %s %s` again.", t.Name, t.Env, prev.Failure, t.Service, t.Env, t.Name)
		}
		written, other, err := s.written(ctx, prev)
		if err != nil {
			return fmt.Errorf("check the earlier attempt of change %s: %w", id, err)
		}
		if written || other != "" {
			done, err := s.settle(ctx, id, false)
			if err != nil {
				return err
			}
			if done == nil || done.Version == 0 {
				return bot.Errorf("`%s` (%s) changed while I was rotating it; nothing was written. Run `/plat secret list %s` and try again.", t.Name, t.Env, t.Service)
			}
			return s.replyRegenerated(ctx, req, done)
		}
		ch = prev
	}
	pw, err := newPassword(32)
	if err != nil {
		s.finishFailed(ctx, id, "could not generate a value")
		return err
	}
	s.auditEvent(ctx, store.Event{
		ActorID: req.User.ID, ActorName: req.User.Name, Action: "secrets.sealing", Target: auditTarget(t), Outcome: "started",
		Details: map[string]any{"op": OpRegenerate, "service": t.ServiceRef, "env": t.Env, "name": t.Name,
			"expect_version": ch.ExpectVersion, "key": s.cfg.GeneratedKey, "change": id, "store": s.storeLabel(), "via": "rotate command"},
	})
	v, err := s.kv.Patch(ctx, t.Path, map[string]string{s.cfg.GeneratedKey: pw}, ch.ExpectVersion)
	if errors.Is(err, ErrVersionMismatch) {
		s.finishFailed(ctx, id, "the secret changed meanwhile")
		return bot.Errorf("`%s` (%s) changed while I was rotating it; nothing was written. Run `/plat secret list %s` and try again.", t.Name, t.Env, t.Service)
	}
	if err != nil {
		// The write may have happened although its answer was lost.
		if done, serr := s.settle(ctx, id, false); serr == nil && done != nil && done.Version > 0 {
			return s.replyRegenerated(ctx, req, done)
		}
		return fmt.Errorf("write a new %s to %s in the %s: %w", s.cfg.GeneratedKey, t.Path, s.storeLabel(), err)
	}
	done, err := s.complete(ctx, id, v, false)
	if err != nil {
		s.log.Error("value regenerated but the change could not be marked done; reconcile will", "change", id, "version", v, "err", err)
		ch.Version = v
		return s.replyRegenerated(ctx, req, ch)
	}
	return s.replyRegenerated(ctx, req, done)
}

func (s *Secrets) replyRegenerated(ctx context.Context, req *bot.Request, ch *Change) error {
	t := ch.Target
	text := fmt.Sprintf("🔁 Generated a new %s for *%s* of %s (`%s`): version %d in the %s at `%s/%s`. Nobody saw it. External Secrets picks it up at its next refresh (every %s); a pull request restarting the pods follows.",
		s.cfg.GeneratedKey, t.Name, t.Service, t.Env, ch.Version, s.storeLabel(), s.kv.Mount(), t.Path, s.cfg.RefreshInterval)
	return req.Reply(ctx, bot.Message{Text: text})
}

// finishFailed marks a pending or sealing change failed.
func (s *Secrets) finishFailed(ctx context.Context, id, why string) {
	if err := s.failChange(ctx, id, []string{StatePending, StateSealing}, why); err != nil {
		s.log.Warn("could not mark change failed", "change", id, "err", err)
	}
}

// failChange moves a change from one of the states from to StateFailed.
func (s *Secrets) failChange(ctx context.Context, id string, from []string, why string) error {
	_, err := s.store.TransitionRecord(ctx, KindChange, id, from, StateFailed, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.Failure = why
		r.Data, err = json.Marshal(c)
		return err
	})
	return err
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
		text += "\n_" + bot.UserText(r.sec.Description).Mrkdwn() + "_"
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

// historyScanLimit caps how many audit events one query of
// /plat secret history reads (newest first): the audit log cannot be
// filtered by target in the query, so the cap bounds the work.
var historyScanLimit = 5000

// historyMaxLines is how many lines /plat secret history shows.
const historyMaxLines = 30

// historyEntry is one line of a secret's history.
type historyEntry struct {
	seq  int64
	line string
}

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
		return bot.Errorf("`%s` is not a secret name.", bot.UserText(name))
	}
	entries, truncated, err := s.history(ctx, e, name, env)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		text := fmt.Sprintf("The audit log has nothing about `%s` of %s yet.", name, e.Metadata.Name)
		if truncated {
			text = fmt.Sprintf("The newest %d events of the audit log have nothing about `%s` of %s; older ones are in `platbot audit`.", historyScanLimit, name, e.Metadata.Name)
		}
		return req.Reply(ctx, bot.Message{Text: text})
	}
	lines := make([]string, len(entries))
	for i, en := range entries {
		lines[i] = en.line
	}
	title := fmt.Sprintf("History of %s (%s), newest first", name, e.Metadata.Name)
	foot := "From the audit log. Values are never recorded."
	if truncated || len(entries) == historyMaxLines {
		foot += " Older entries: `platbot audit`."
	}
	return req.Reply(ctx, bot.Message{
		Text:   title + ":\n" + strings.Join(lines, "\n") + "\n" + foot,
		Blocks: []bot.Block{bot.Header{Text: title}, bot.Section{Text: strings.Join(lines, "\n")}, bot.Context{Text: foot}},
	})
}

// history reads the audit trail of one secret (every environment, or env):
// this feature's secrets.* events, and the golden paths' writes of the
// path (a paths.step event of a vault:kv step, whose output names the
// path). Each query reads at most historyScanLimit events, newest first;
// truncated says a query hit the cap.
func (s *Secrets) history(ctx context.Context, e *catalog.Entity, name, env string) ([]historyEntry, bool, error) {
	team := teamOf(e)
	prefix := "secret:" + team + "/" + e.Metadata.Name + "/"
	kvPrefix := s.kv.Mount() + "/" + team + "/" + e.Metadata.Name + "/"
	var out []historyEntry
	truncated := false

	events, err := s.store.AuditEvents(ctx, store.AuditFilter{Action: "secrets.*"}, historyScanLimit)
	if err != nil {
		return nil, false, fmt.Errorf("read the audit log: %w", err)
	}
	truncated = truncated || len(events) >= historyScanLimit
	for _, ev := range events {
		if ev.Action == "secrets.sealing" {
			continue // the intent; its outcome has its own event
		}
		rest, ok := strings.CutPrefix(ev.Target, prefix)
		if !ok {
			continue
		}
		evEnv, evName, ok := strings.Cut(rest, "/")
		if !ok || evName != name || (env != "" && evEnv != env) {
			continue
		}
		out = append(out, historyEntry{seq: ev.Seq, line: historyLine(ev, evEnv)})
	}

	steps, err := s.store.AuditEvents(ctx, store.AuditFilter{Action: "paths.step"}, historyScanLimit)
	if err != nil {
		return nil, false, fmt.Errorf("read the audit log: %w", err)
	}
	truncated = truncated || len(steps) >= historyScanLimit
	for _, ev := range steps {
		path, created, ok := pathsWrite(ev)
		if !ok || !created {
			continue
		}
		rest, ok := strings.CutPrefix(path, kvPrefix)
		if !ok {
			continue
		}
		evEnv, evName, ok := strings.Cut(rest, "/")
		if !ok || evName != name || (env != "" && evEnv != env) {
			continue
		}
		out = append(out, historyEntry{seq: ev.Seq, line: pathsHistoryLine(ev, evEnv)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq > out[j].seq })
	if len(out) > historyMaxLines {
		out = out[:historyMaxLines]
	}
	return out, truncated, nil
}

// pathsWrite reads a golden path's "paths.step" audit event: the KV path a
// successful vault:kv step wrote (mount-qualified) and whether it created
// the secret (false when the step found it already written).
func pathsWrite(ev store.Event) (path string, created, ok bool) {
	if ev.Outcome != "ok" || fmt.Sprint(ev.Details["action"]) != "vault:kv" {
		return "", false, false
	}
	out, _ := ev.Details["output"].(map[string]any)
	path, _ = out["path"].(string)
	if path == "" {
		return "", false, false
	}
	created = true
	if c, isBool := out["created"].(bool); isBool {
		created = c
	}
	return path, created, true
}

func who(ev store.Event) string {
	if ev.ActorName == "" || ev.ActorName == ev.ActorID {
		return ev.ActorID
	}
	return ev.ActorName + " (" + ev.ActorID + ")"
}

func pathsHistoryLine(ev store.Event, env string) string {
	run := fmt.Sprint(ev.Details["run"])
	tmpl := strings.TrimPrefix(ev.Target, "template:")
	return fmt.Sprintf("• %s · `%s` · generated by golden path `%s` (run %s) for %s → version 1",
		ev.Time.UTC().Format("2006-01-02 15:04:05 UTC"), env, tmpl, run, who(ev))
}

func historyLine(ev store.Event, env string) string {
	w := who(ev)
	d := ev.Details
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	recovered := ""
	if str("recovered") == "true" {
		recovered = " (recorded after an interruption)"
	}
	var what string
	switch ev.Action {
	case "secrets.link":
		what = fmt.Sprintf("one-time link (%s) sent to %s", str("op"), w)
	case "secrets.sealed":
		what = fmt.Sprintf("value sealed through the link of %s → version %s%s", w, str("version"), recovered)
	case "secrets.regenerated":
		what = fmt.Sprintf("regenerated by %s → version %s%s", w, str("version"), recovered)
	case "secrets.refused":
		what = fmt.Sprintf("refused (%s) for the link of %s", str("reason"), w)
		if ev.ActorID == "anonymous" {
			what = fmt.Sprintf("refused (%s): a forged or damaged link", str("reason"))
		}
	case "secrets.reconciled":
		what = fmt.Sprintf("an interrupted %s of %s wrote nothing", opNoun(str("op")), w)
	case "secrets.pr":
		what = "pull request " + str("url")
		if ev.Outcome == "error" {
			what = "the pull request could not be opened"
		} else if str("url") == "" {
			what = "no pull request needed"
		}
	default:
		what = ev.Action + " by " + w
	}
	return fmt.Sprintf("• %s · `%s` · %s", ev.Time.UTC().Format("2006-01-02 15:04:05 UTC"), env, what)
}
