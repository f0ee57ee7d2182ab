package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// maxCiphertext bounds a submitted ciphertext (an RSA-8192 ciphertext in
// base64 is about 1.4 kB).
const maxCiphertext = 4096

var ciphertextRe = regexp.MustCompile(`^vault:v[0-9]{1,6}:[A-Za-z0-9+/]+={0,2}$`)

// refusal is a sealing-page answer that is not a success: an HTTP status,
// a title and a sentence for the person holding the link. It never holds
// the value, the ciphertext or the token.
type refusal struct {
	status int
	title  string
	msg    string
	// reason is the audit log's word for it.
	reason string
}

func (r *refusal) Error() string { return r.title + ": " + r.msg }

var errInvalidLink = &refusal{
	status: http.StatusNotFound, title: "This link is not valid", reason: "invalid token",
	msg: "It was not issued by platbot, was changed or cut short, or a newer link replaced it. Nothing was stored. Run /plat secret add (or press Rotate) in Slack to get a new one.",
}

// open finds the change a token belongs to and checks the token against
// it. It does not check whether the link can still be used (see usable).
// A token that does not parse or names no change returns a nil change: it
// is nobody's link, so nothing about it is audited.
func (s *Secrets) open(ctx context.Context, token string) (*store.Record, *Change, error) {
	id, ok := parseToken(token)
	if !ok {
		return nil, nil, errInvalidLink
	}
	rec, ch, err := s.loadChange(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errInvalidLink
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load change %s: %w", id, err)
	}
	if !ch.tokenMatches(token) {
		return rec, ch, errInvalidLink
	}
	return rec, ch, nil
}

// usable explains why a change's link can no longer be used (nil if it can).
func (s *Secrets) usable(rec *store.Record, ch *Change) *refusal {
	switch rec.State {
	case StateSealed:
		return &refusal{status: http.StatusGone, title: "This link was already used", reason: "already used",
			msg: fmt.Sprintf("%s for %s (%s) was stored as version %d at %s. A link works once: to change the value again, press Rotate in /plat secret list %s.",
				ch.Target.Name, ch.Target.Service, ch.Target.Env, ch.Version, formatTime(ch.Done), ch.Target.Service)}
	case StateFailed:
		return &refusal{status: http.StatusGone, title: "This link can no longer be used", reason: "failed link",
			msg: "It was closed (" + ch.Failure + "). Nothing more will be stored through it. Get a new link in Slack: /plat secret add, or Rotate in /plat secret list " + ch.Target.Service + "."}
	case StatePending, StateSealing:
	default:
		return &refusal{status: http.StatusGone, title: "This link can no longer be used", reason: "unknown state " + rec.State,
			msg: "Get a new link in Slack."}
	}
	// Expiry first: a link left in "sealing" by an interruption must not
	// look usable (or busy) forever.
	if !s.now().Before(ch.Expires) {
		return &refusal{status: http.StatusGone, title: "This link has expired", reason: "expired",
			msg: fmt.Sprintf("It worked until %s (links work for %s). Get a new one in Slack: /plat secret add, or Rotate in /plat secret list %s. If you submitted a value and the page did not answer, platbot tells you in Slack whether it was stored.",
				formatTime(ch.Expires), durationWords(s.cfg.TokenTTL), ch.Target.Service)}
	}
	if rec.State == StateSealing {
		if s.now().Sub(ch.Claimed) > stuckAfter {
			return &refusal{status: http.StatusConflict, title: "A submission through this link was interrupted", reason: "interrupted",
				msg: "platbot is checking whether the value was stored and tells you in Slack. Reload this page in a few minutes."}
		}
		return &refusal{status: http.StatusConflict, title: "A value is being stored through this link", reason: "concurrent use",
			msg: "Another submission through this link is being processed right now. Wait a moment and reload this page."}
	}
	return nil
}

// sealed is what a successful submission stored.
type sealed struct {
	change  *Change
	version int
}

// sealTimeout bounds the work after a link is claimed: decrypting, the KV
// write and the bookkeeping. It runs detached from the HTTP request, so a
// browser that goes away cannot leave the link half done.
const sealTimeout = time.Minute

// stuckAfter is how long a change may stay in StateSealing before
// Reconcile settles it: longer than any seal or regeneration can take.
const stuckAfter = 2 * sealTimeout

// seal stores the value a ciphertext holds for the change a token names:
// the token is checked and consumed (one submission at a time, at most
// maxAttempts undecryptable ones), the sealer decrypts, and the value goes
// straight to the KV store with check-and-set on the version the link was
// issued for. The plaintext exists only inside this call.
func (s *Secrets) seal(ctx context.Context, token, ciphertext, remote string) (*sealed, error) {
	rec, ch, err := s.open(ctx, token)
	if err != nil {
		s.refused(ctx, ch, err, remote)
		return nil, err
	}
	if r := s.usable(rec, ch); r != nil {
		s.refused(ctx, ch, r, remote)
		return nil, r
	}
	if len(ciphertext) > maxCiphertext || !ciphertextRe.MatchString(ciphertext) {
		r := &refusal{status: http.StatusBadRequest, title: "That is not an encrypted value", reason: "malformed ciphertext",
			msg: "The page sends the value encrypted for Vault; what arrived was not. Nothing was stored. Reload the page and try again."}
		s.refused(ctx, ch, r, remote)
		return nil, r
	}
	// Claim the link: only one submission at a time, and it counts.
	claimed := s.now()
	rec, err = s.store.TransitionRecord(ctx, KindChange, ch.ID, []string{StatePending}, StateSealing, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.Attempts++
		c.Claimed, c.From = claimed, remote
		r.Data, err = json.Marshal(c)
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		r := &refusal{status: http.StatusConflict, title: "This link is being used or was used", reason: "concurrent use",
			msg: "Another submission through this link got there first. Reload this page to see what happened."}
		s.refused(ctx, ch, r, remote)
		return nil, r
	}
	if err != nil {
		return nil, fmt.Errorf("claim change %s: %w", ch.ID, err)
	}
	// From here on the link is "sealing": finish what was started even if
	// the browser goes away. A crash is settled by Reconcile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sealTimeout)
	defer cancel()
	id := ch.ID
	if ch, err = decodeChange(rec); err != nil {
		if rerr := s.releaseID(ctx, id, true); rerr != nil {
			s.log.Error("could not release a sealing link; reconcile will", "change", id, "err", rerr)
		}
		return nil, err
	}

	plain, err := s.sealer.Decrypt(ctx, ciphertext)
	if err != nil {
		if errors.Is(err, ErrBadCiphertext) {
			return nil, s.badCiphertext(ctx, ch, remote)
		}
		s.release(ctx, ch, true)
		s.log.Error("decrypting a sealed value failed", "change", ch.ID, "err", err)
		return nil, &refusal{status: http.StatusServiceUnavailable, title: "The value could not be decrypted right now", reason: "sealer unavailable",
			msg: "The key service did not answer. Nothing was stored and the link still works: try again in a minute."}
	}
	defer zero(plain)
	prefix := []byte(ch.ID + "\n")
	if !bytes.HasPrefix(plain, prefix) {
		// Encrypted on the page of another link: refuse, so a ciphertext
		// cannot be replayed into someone else's secret.
		return nil, s.badCiphertext(ctx, ch, remote)
	}
	value := plain[len(prefix):]
	if len(value) == 0 || !utf8.Valid(value) || bytes.IndexByte(value, 0) >= 0 {
		s.release(ctx, ch, false)
		r := &refusal{status: http.StatusBadRequest, title: "That value cannot be stored", reason: "empty or binary value",
			msg: "The value is empty or is not text. Nothing was stored; the link still works."}
		s.refused(ctx, ch, r, remote)
		return nil, r
	}

	// The intent goes on record before the write, so an interruption after
	// it is visible in the audit log and Reconcile can settle it.
	s.auditEvent(ctx, store.Event{
		ActorID: ch.Requester.ID, ActorName: ch.Requester.Name, Action: "secrets.sealing", Target: auditTarget(ch.Target), Outcome: "started",
		Details: map[string]any{"op": ch.Op, "service": ch.Target.ServiceRef, "env": ch.Target.Env, "name": ch.Target.Name,
			"expect_version": ch.ExpectVersion, "change": ch.ID, "store": s.storeLabel(), "via": "sealing page", "remote": remote},
	})
	version, err := s.kv.Put(ctx, ch.Target.Path, map[string]string{"value": string(value)}, ch.ExpectVersion)
	zero(plain)
	if errors.Is(err, ErrVersionMismatch) {
		s.finishFailed(ctx, ch.ID, "the secret changed after the link was issued")
		r := &refusal{status: http.StatusConflict, title: "The secret changed after this link was issued", reason: "version changed",
			msg: fmt.Sprintf("%s (%s) is no longer at version %d: someone else wrote it meanwhile. Nothing was stored. Check /plat secret history %s %s, then rotate it again if needed.",
				ch.Target.Name, ch.Target.Env, ch.ExpectVersion, ch.Target.Service, ch.Target.Name)}
		s.refused(ctx, ch, r, remote)
		return nil, r
	}
	if err != nil {
		s.log.Error("writing a sealed value failed", "change", ch.ID, "path", ch.Target.Path, "err", err)
		// The write may have happened even though the answer was lost:
		// settle from what the store holds now.
		if done, serr := s.settle(ctx, ch.ID, false); serr == nil && done != nil && done.Version > 0 {
			return &sealed{change: done, version: done.Version}, nil
		} else if serr != nil {
			s.release(ctx, ch, true)
		}
		return nil, &refusal{status: http.StatusServiceUnavailable, title: "The value could not be stored right now", reason: "store unavailable",
			msg: "The secret store did not take it. Nothing was stored and the link still works: try again in a minute."}
	}
	done, err := s.complete(ctx, ch.ID, version, false)
	if err != nil {
		// The value is stored; only our record of it is behind, which
		// Reconcile catches up on.
		s.log.Error("value stored but the change could not be marked sealed", "change", ch.ID, "version", version, "err", err)
		ch.Version, ch.Done = version, s.now()
		return &sealed{change: ch, version: version}, nil
	}
	return &sealed{change: done, version: version}, nil
}

// complete marks a change that is being sealed (or regenerated) as done at
// version and runs its follow-ups. Whoever moves the change to StateSealed
// does them, so they happen once however the change was completed.
func (s *Secrets) complete(ctx context.Context, id string, version int, recovered bool) (*Change, error) {
	now := s.now()
	rec, err := s.store.TransitionRecord(ctx, KindChange, id, []string{StateSealing}, StateSealed, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.Version, c.Done, c.Recovered = version, now, recovered
		r.Data, err = json.Marshal(c)
		return err
	})
	if err != nil {
		return nil, err
	}
	ch, err := decodeChange(rec)
	if err != nil {
		return nil, err
	}
	if err := s.followUp(ctx, ch); err != nil {
		s.log.Error("a sealed change's follow-ups are incomplete; reconcile retries them", "change", ch.ID, "err", err)
	}
	return ch, nil
}

// followUp records a sealed change: the secret's record, the audit event
// and the publish job, then marks the change Recorded. Reconcile runs it
// again for a sealed change that is not Recorded (a crash in between), so
// every step is idempotent but the audit event, which then says
// "recovered".
func (s *Secrets) followUp(ctx context.Context, ch *Change) error {
	var errs []error
	if err := s.saveSecret(ctx, ch.Target, func(sec *Secret) {
		sec.Version, sec.LastChange, sec.DevOnly = ch.Version, ch.ID, s.kv.DevelopmentOnly()
		switch ch.Op {
		case OpAdd:
			sec.CreatedBy, sec.Created = ch.Requester, ch.Done
		case OpRotate:
			sec.RotatedBy, sec.Rotated = ch.Requester, ch.Done
		case OpRegenerate:
			sec.Generated, sec.RotatedBy, sec.Rotated = true, ch.Requester, ch.Done
		}
		if sec.Created.IsZero() {
			sec.Created = ch.Done
			if !ch.SecretCreated.IsZero() {
				sec.Created = ch.SecretCreated
			}
		}
		if ch.Description != "" {
			sec.Description = ch.Description
		}
	}); err != nil {
		errs = append(errs, fmt.Errorf("record secret %s: %w", ch.Target.Path, err))
	}
	action, via := "secrets.sealed", "sealing page"
	details := map[string]any{"op": ch.Op, "service": ch.Target.ServiceRef, "env": ch.Target.Env, "name": ch.Target.Name,
		"version": ch.Version, "previous_version": ch.ExpectVersion, "change": ch.ID, "store": s.storeLabel()}
	if ch.Op == OpRegenerate {
		action, via = "secrets.regenerated", "rotate command"
		details["key"] = s.cfg.GeneratedKey
	} else {
		details["remote"] = ch.From
	}
	details["via"] = via
	if ch.Recovered {
		details["recovered"] = true
	}
	s.auditEvent(ctx, store.Event{ActorID: ch.Requester.ID, ActorName: ch.Requester.Name, Action: action,
		Target: auditTarget(ch.Target), Outcome: "ok", Details: details})
	if err := s.enqueuePublish(ctx, ch.ID); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	_, err := s.store.TransitionRecord(ctx, KindChange, ch.ID, []string{StateSealed}, StateSealed, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.Recorded = true
		r.Data, err = json.Marshal(c)
		return err
	})
	return err
}

// enqueuePublish queues a change's pull request (once per change).
func (s *Secrets) enqueuePublish(ctx context.Context, id string) error {
	if s.router == nil {
		return errors.New("secrets: not registered with a router")
	}
	_, err := s.router.Enqueue(ctx, bot.JobSpec{Kind: JobPublish, Payload: publishPayload{Change: id},
		DedupeKey: JobPublish + ":" + id, MaxAttempts: publishMaxAttempts + 2})
	if err != nil {
		return fmt.Errorf("queue the pull request of change %s: %w", id, err)
	}
	return nil
}

// badCiphertext counts an undecryptable submission: the link stays usable
// for maxAttempts of them.
func (s *Secrets) badCiphertext(ctx context.Context, ch *Change, remote string) error {
	left := maxAttempts - ch.Attempts
	r := &refusal{status: http.StatusBadRequest, title: "The encrypted value could not be decrypted", reason: "bad ciphertext",
		msg: fmt.Sprintf("It was changed on the way, or encrypted on another link's page. Nothing was stored. Reload this page and enter the value again (%d attempt(s) left).", left)}
	if left <= 0 {
		s.finishFailed(ctx, ch.ID, "too many values that could not be decrypted")
		r.msg = "It was changed on the way, or encrypted on another link's page. Nothing was stored, and this link is now closed. Get a new one in Slack."
	} else {
		s.release(ctx, ch, false)
	}
	s.refused(ctx, ch, r, remote)
	return r
}

// release returns a claimed link to pending; refund gives the attempt back
// (the failure was not the submitter's).
func (s *Secrets) release(ctx context.Context, ch *Change, refund bool) {
	if err := s.releaseID(ctx, ch.ID, refund); err != nil {
		s.log.Error("could not release a sealing link; reconcile will", "change", ch.ID, "err", err)
	}
}

func (s *Secrets) releaseID(ctx context.Context, id string, refund bool) error {
	_, err := s.store.TransitionRecord(ctx, KindChange, id, []string{StateSealing}, StatePending, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		if refund && c.Attempts > 0 {
			c.Attempts--
		}
		c.Claimed = time.Time{}
		r.Data, err = json.Marshal(c)
		return err
	})
	return err
}

// refused records a refused use of a link. A token that does not parse or
// names no change (ch nil) is nobody's link: it is counted and logged at
// debug level, never audited, so guessing cannot flood the audit log. A
// refusal concerning a real change is audited.
func (s *Secrets) refused(ctx context.Context, ch *Change, err error, remote string) {
	reason := refusalOf(err).reason
	if reason == "" {
		reason = "error"
	}
	if ch == nil {
		if reason != errInvalidLink.reason {
			s.log.Error("sealing link: could not look it up", "err", err)
			return
		}
		s.metrics.requests.WithLabelValues("unknown_token").Inc()
		s.log.Debug("sealing link refused: not a known link", "remote", remote)
		return
	}
	s.metrics.requests.WithLabelValues("refused").Inc()
	ev := store.Event{Action: "secrets.refused", Outcome: "rejected", Target: auditTarget(ch.Target),
		Details: map[string]any{"reason": reason, "remote": remote, "change": ch.ID, "env": ch.Target.Env, "name": ch.Target.Name}}
	if reason == "invalid token" {
		// A real change id with a wrong secret half: not the requester's
		// doing as far as anyone knows.
		ev.ActorID = "anonymous"
	} else {
		ev.ActorID, ev.ActorName = ch.Requester.ID, ch.Requester.Name
	}
	s.auditEvent(ctx, ev)
	s.log.Info("sealing link refused", "reason", reason, "change", ch.ID, "remote", remote)
}

func zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// pageInfo is what the sealing page shows about its link.
type pageInfo struct {
	change *Change
	key    *SealKey
}

// page checks a token for a GET and returns what the page needs.
func (s *Secrets) page(ctx context.Context, token, remote string) (*pageInfo, error) {
	rec, ch, err := s.open(ctx, token)
	if err != nil {
		// Page views are never audited: a GET writes nothing, so guessing
		// links cannot flood the audit log.
		s.log.Debug("sealing page refused", "reason", refusalOf(err).reason, "remote", remote)
		return nil, err
	}
	if r := s.usable(rec, ch); r != nil {
		return nil, r
	}
	key, err := s.sealer.PublicKey(ctx)
	if err != nil {
		s.log.Error("the sealing key is not available", "err", err)
		return nil, &refusal{status: http.StatusServiceUnavailable, title: "The encryption key is not available right now",
			msg: "The key service did not answer. Nothing was stored and the link still works: reload this page in a minute."}
	}
	return &pageInfo{change: ch, key: key}, nil
}

// maxValueBytes is how long a value may be for a key: RSA-OAEP with
// SHA-256 carries k-66 bytes, less the link binding prefix.
func maxValueBytes(bits int, changeID string) int {
	n := bits/8 - 2*32 - 2 - len(changeID) - 1
	if n < 0 {
		return 0
	}
	return n
}

// formatTime renders a moment for people, in UTC ("2025-03-01 14:05 UTC").
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// durationWords renders a link's lifetime for people ("15 minutes").
func durationWords(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		if d == time.Minute {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// expiresIn renders the time left on a link.
func expiresIn(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	return fmt.Sprintf("%d minute(s)", int(d.Round(time.Minute)/time.Minute))
}
