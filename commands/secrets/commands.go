package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
