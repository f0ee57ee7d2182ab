package secrets

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

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
