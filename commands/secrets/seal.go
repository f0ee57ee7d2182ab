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
	msg: "It was not issued by platbot, was changed, or belongs to someone else: each link works only for the person it was sent to. Nothing was stored. Run /plat secret add (or press Rotate) in Slack to get a new one.",
}

// open finds the change a token belongs to and checks the token against
// it. It does not check whether the link can still be used (see usable).
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
	case StateSealing:
		return &refusal{status: http.StatusConflict, title: "A value is being stored through this link", reason: "concurrent use",
			msg: "Another submission through this link is being processed right now. Wait a moment and reload this page."}
	case StatePending:
	default:
		return &refusal{status: http.StatusGone, title: "This link can no longer be used", reason: "unknown state " + rec.State,
			msg: "Get a new link in Slack."}
	}
	if !s.now().Before(ch.Expires) {
		return &refusal{status: http.StatusGone, title: "This link has expired", reason: "expired",
			msg: fmt.Sprintf("It worked until %s (links work for %s). Nothing was stored. Get a new one in Slack: /plat secret add, or Rotate in /plat secret list %s.",
				formatTime(ch.Expires), s.cfg.TokenTTL, ch.Target.Service)}
	}
	return nil
}

// sealed is what a successful submission stored.
type sealed struct {
	change  *Change
	version int
}

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
	rec, err = s.store.TransitionRecord(ctx, KindChange, ch.ID, []string{StatePending}, StateSealing, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.Attempts++
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
	if ch, err = decodeChange(rec); err != nil {
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
		s.release(ctx, ch, true)
		s.log.Error("writing a sealed value failed", "change", ch.ID, "path", ch.Target.Path, "err", err)
		return nil, &refusal{status: http.StatusServiceUnavailable, title: "The value could not be stored right now", reason: "store unavailable",
			msg: "The secret store did not take it. Nothing was stored and the link still works: try again in a minute."}
	}

	now := s.now()
	ch.Version, ch.Done = version, now
	if _, err := s.store.TransitionRecord(ctx, KindChange, ch.ID, []string{StateSealing}, StateSealed, func(r *store.Record) error {
		b, err := json.Marshal(ch)
		r.Data = b
		return err
	}); err != nil {
		// The value is stored; only our record of it is behind.
		s.log.Error("value stored but the change could not be marked sealed", "change", ch.ID, "version", version, "err", err)
	}
	if err := s.saveSecret(ctx, ch.Target, func(sec *Secret) {
		sec.Version, sec.LastChange, sec.DevOnly = version, ch.ID, s.kv.DevelopmentOnly()
		if ch.Description != "" {
			sec.Description = ch.Description
		}
		if ch.Op == OpAdd || sec.Created.IsZero() {
			sec.CreatedBy, sec.Created = ch.Requester, now
		}
		if ch.Op == OpRotate {
			sec.RotatedBy, sec.Rotated = ch.Requester, now
		}
	}); err != nil {
		s.log.Error("value stored but the secret's record could not be updated", "change", ch.ID, "err", err)
	}
	s.auditEvent(ctx, store.Event{
		ActorID: ch.Requester.ID, ActorName: ch.Requester.Name, Action: "secrets.sealed", Target: auditTarget(ch.Target), Outcome: "ok",
		Details: map[string]any{"op": ch.Op, "service": ch.Target.ServiceRef, "env": ch.Target.Env, "name": ch.Target.Name,
			"version": version, "previous_version": ch.ExpectVersion, "change": ch.ID, "store": s.storeLabel(), "via": "sealing page", "remote": remote},
	})
	if s.router != nil {
		if _, err := s.router.Enqueue(ctx, bot.JobSpec{Kind: JobPublish, Payload: publishPayload{Change: ch.ID}, DedupeKey: JobPublish + ":" + ch.ID}); err != nil {
			s.log.Error("could not queue the pull request of a sealed secret", "change", ch.ID, "err", err)
		}
	}
	return &sealed{change: ch, version: version}, nil
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
	_, err := s.store.TransitionRecord(ctx, KindChange, ch.ID, []string{StateSealing}, StatePending, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		if refund && c.Attempts > 0 {
			c.Attempts--
		}
		r.Data, err = json.Marshal(c)
		return err
	})
	if err != nil {
		s.log.Error("could not release a sealing link", "change", ch.ID, "err", err)
	}
}

// refused audits a refused use of a link.
func (s *Secrets) refused(ctx context.Context, ch *Change, err error, remote string) {
	var r *refusal
	reason := "error"
	if errors.As(err, &r) {
		reason = r.reason
	}
	ev := store.Event{Action: "secrets.refused", Outcome: "rejected", Details: map[string]any{"reason": reason, "remote": remote}}
	if ch != nil && reason != "invalid token" {
		ev.ActorID, ev.ActorName, ev.Target = ch.Requester.ID, ch.Requester.Name, auditTarget(ch.Target)
		ev.Details["change"], ev.Details["env"], ev.Details["name"] = ch.ID, ch.Target.Env, ch.Target.Name
	} else {
		ev.ActorID = "anonymous"
		if ch != nil {
			ev.Details["change"] = ch.ID
		}
	}
	s.auditEvent(ctx, ev)
	s.log.Info("sealing link refused", "reason", reason, "remote", remote)
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
		// Only submissions are audited: a page view writes nothing, so
		// guessing links cannot flood the audit log.
		s.log.Info("sealing page refused", "reason", refusalOf(err).reason, "remote", remote)
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

// expiresIn renders the time left on a link.
func expiresIn(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	return fmt.Sprintf("%d minute(s)", int(d.Round(time.Minute)/time.Minute))
}
