package status

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// state is what is kept of one integration.
type state struct {
	Title      string `json:"title"`
	Configured bool   `json:"configured"`
	Health     string `json:"health"`
	Owner      string `json:"owner,omitempty"`
	// Since is when the integration entered its health (down since ...).
	Since       time.Time `json:"since,omitzero"`
	LastCheck   time.Time `json:"last_check,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastError is the last failure, redacted; kept after a recovery.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Notice is the owning team's notice of the current outage, Resolve
	// the resolution of the last one while it is being posted.
	Notice  notice `json:"notice"`
	Resolve notice `json:"resolve"`
}

// notice is one notice (or resolution) to an owning team.
type notice struct {
	// ClaimedAt is when a check claimed the post; zero when none is under way.
	ClaimedAt time.Time `json:"claimed_at,omitzero"`
	Channel   string    `json:"channel,omitempty"`
	DownSince time.Time `json:"down_since,omitzero"`
	// Message is the posted notice: its thread gets the resolution.
	Message bot.MessageRef `json:"message"`
	// Nowhere: the owner has no channel; nothing was posted.
	Nowhere    bool      `json:"nowhere,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

func (n notice) pending() bool { return !n.ClaimedAt.IsZero() }

func (f *Feature) states() store.Typed[state] {
	return store.RecordsOf[state](f.d.Store, KindIntegration)
}

// Check probes every configured integration at once (each under the
// timeout), records what it found, and posts the notices and resolutions
// that are due. Concurrent checks (another replica) post once: every step
// is a compare-and-swap on the integration's record.
func (f *Feature) Check(ctx context.Context) error {
	f.checkMu.Lock()
	defer f.checkMu.Unlock()
	results := make([]error, len(f.probes))
	var wg sync.WaitGroup
	for i, p := range f.probes {
		if !p.Configured {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.probe(ctx, p)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err // stopping: what the probes saw says nothing of the integrations
	}
	now := f.now()
	var errs []error
	for i, p := range f.probes {
		if err := f.track(ctx, p, results[i], now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Name, err))
		}
	}
	return errors.Join(errs...)
}

// probe runs one check under the timeout; a panic is a failure.
func (f *Feature) probe(ctx context.Context, p Probe) (err error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the probe panicked: %v", r)
		}
	}()
	err = p.Check(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %s: %w", f.timeout, err)
	}
	return err
}

// track records one probe's result and moves the notice along.
func (f *Feature) track(ctx context.Context, p Probe, result error, now time.Time) error {
	owner := f.Owner(p.Name)
	health := healthOf(p, result)
	var claimNotice, claimResolve bool
	saved, err := f.states().Modify(ctx, p.Name, func(cur *store.Item[state], exists bool) error {
		claimNotice, claimResolve = false, false
		s := &cur.Value
		if exists && !p.Configured && s.Health == NotConfigured && s.Owner == owner && s.Title == p.title() &&
			s.Notice == (notice{}) && s.Resolve == (notice{}) {
			return store.ErrNoChange // nothing to record: no write per check
		}
		if !exists || s.Health != health {
			s.Since = now
		}
		s.Title, s.Configured, s.Health, s.Owner = p.title(), p.Configured, health, owner
		cur.State, cur.Owner = health, owner
		if p.Configured {
			s.LastCheck = now
		}
		switch {
		case !p.Configured:
		case result == nil:
			s.LastSuccess = now
		default:
			s.LastError, s.LastErrorAt = f.redact(result.Error()), now
		}
		n := &s.Notice
		switch {
		case health == Down && n.Message.Zero() && !n.Nowhere && now.Sub(s.Since) >= f.grace &&
			(!n.pending() || now.Sub(n.ClaimedAt) >= postLease):
			*n = notice{ClaimedAt: now, Channel: f.channel(owner), DownSince: s.Since}
			claimNotice = true
		case health != Down && (!n.Message.Zero() || n.Nowhere):
			// Back: the posted notice gets its resolution.
			if !n.Message.Zero() {
				s.Resolve = notice{Channel: n.Channel, DownSince: n.DownSince, Message: n.Message, ResolvedAt: now}
			}
			*n = notice{}
		case health != Down && n.pending() && now.Sub(n.ClaimedAt) >= postLease:
			*n = notice{} // its poster died; nothing to resolve
		}
		r := &s.Resolve
		if !r.Message.Zero() && (!r.pending() || now.Sub(r.ClaimedAt) >= postLease) {
			r.ClaimedAt = now
			claimResolve = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	f.setMetric(p, health)
	var errs []error
	if claimNotice {
		errs = append(errs, f.notify(ctx, p, saved.Value.Notice, saved.Value.LastError))
	}
	if claimResolve {
		errs = append(errs, f.resolve(ctx, p, saved.Value.Resolve))
	}
	return errors.Join(errs...)
}

// healthOf maps a probe's result to a health.
func healthOf(p Probe, result error) string {
	var d degraded
	switch {
	case !p.Configured:
		return NotConfigured
	case result == nil:
		return Healthy
	case errors.As(result, &d):
		return Degraded
	}
	return Down
}

func (f *Feature) setMetric(p Probe, health string) {
	switch health {
	case NotConfigured:
		f.up.DeleteLabelValues(p.Name)
	case Down:
		f.up.WithLabelValues(p.Name).Set(0)
	default:
		f.up.WithLabelValues(p.Name).Set(1)
	}
}

// notify posts the claimed notice and records it.
func (f *Feature) notify(ctx context.Context, p Probe, n notice, lastErr string) error {
	m := f.messenger()
	mine := func(cur *store.Item[state]) bool { return cur.Value.Notice.ClaimedAt.Equal(n.ClaimedAt) }
	if n.Channel == "" || m == nil {
		f.log.Warn("status: an integration is down but its owner has no channel: set slack.com/channel on the team or status.channel",
			"integration", p.Name, "owner", f.Owner(p.Name))
		_, err := f.states().Modify(ctx, p.Name, func(cur *store.Item[state], _ bool) error {
			if !mine(cur) {
				return store.ErrNoChange
			}
			cur.Value.Notice.Nowhere = true
			return nil
		})
		return err
	}
	ref, err := m.Post(ctx, n.Channel, f.noticeMessage(p, n, lastErr))
	if err != nil {
		if _, rerr := f.states().Modify(ctx, p.Name, func(cur *store.Item[state], _ bool) error {
			if !mine(cur) {
				return store.ErrNoChange
			}
			cur.Value.Notice.ClaimedAt = time.Time{} // the next check posts it
			return nil
		}); rerr != nil {
			f.log.Error("status: notice not posted and its claim not released; retried after the post lease", "integration", p.Name, "err", rerr)
		}
		return fmt.Errorf("post the notice to %s: %w", n.Channel, err)
	}
	_, err = f.states().Modify(ctx, p.Name, func(cur *store.Item[state], _ bool) error {
		if !mine(cur) {
			// Recovered while the notice was being posted: resolve it.
			if cur.Value.Resolve.Message.Zero() {
				cur.Value.Resolve = notice{Channel: n.Channel, DownSince: n.DownSince, Message: ref, ResolvedAt: f.now()}
				return nil
			}
			return store.ErrNoChange
		}
		cur.Value.Notice.Message = ref
		return nil
	})
	if err != nil {
		f.log.Error("status: notice posted but not recorded", "integration", p.Name, "err", err)
	}
	f.audit(ctx, p, "posted", n)
	return nil
}

// resolve updates the notice, answers in its thread, and forgets it.
func (f *Feature) resolve(ctx context.Context, p Probe, n notice) error {
	m := f.messenger()
	if m == nil {
		return nil
	}
	mine := func(cur *store.Item[state]) bool { return cur.Value.Resolve.ClaimedAt.Equal(n.ClaimedAt) }
	if err := m.Update(ctx, n.Message, f.resolvedNotice(p, n)); err != nil {
		f.log.Warn("status: could not mark the notice resolved; its thread still gets the resolution", "integration", p.Name, "err", err)
	}
	reply := bot.Message{Text: f.resolvedText(p, n), ThreadTS: n.Message.TS}
	if _, err := m.Post(ctx, n.Message.Channel, reply); err != nil {
		if _, rerr := f.states().Modify(ctx, p.Name, func(cur *store.Item[state], _ bool) error {
			if !mine(cur) {
				return store.ErrNoChange
			}
			cur.Value.Resolve.ClaimedAt = time.Time{}
			return nil
		}); rerr != nil {
			f.log.Error("status: resolution not posted and its claim not released", "integration", p.Name, "err", rerr)
		}
		return fmt.Errorf("post the resolution to %s: %w", n.Message.Channel, err)
	}
	if _, err := f.states().Modify(ctx, p.Name, func(cur *store.Item[state], _ bool) error {
		if !mine(cur) {
			return store.ErrNoChange
		}
		cur.Value.Resolve = notice{}
		return nil
	}); err != nil {
		f.log.Error("status: resolution posted but not recorded", "integration", p.Name, "err", err)
	}
	f.audit(ctx, p, "resolved", n)
	return nil
}

// audit records a notice or a resolution in the audit log.
func (f *Feature) audit(ctx context.Context, p Probe, outcome string, n notice) {
	f.mu.Lock()
	r := f.router
	f.mu.Unlock()
	if r == nil {
		return
	}
	r.Audit(ctx, store.Event{
		ActorID: "platbot", Action: "status.integration", Target: p.Name, Outcome: outcome,
		Details: map[string]any{"owner": f.Owner(p.Name), "channel": n.Channel, "down_since": n.DownSince.UTC().Format(time.RFC3339)},
	})
}

var (
	// userinfoRe is the user info of a URL (https://user:pass@host).
	userinfoRe = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@`)
	// credParamRe is a credential-like query parameter or key=value pair.
	credParamRe = regexp.MustCompile(`(?i)\b([a-z_-]*(?:token|secret|password|passwd|key|signature|sig|auth)[a-z_-]*)=([^&\s"']+)`)
	// bearerRe is an Authorization value.
	bearerRe = regexp.MustCompile(`(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}`)
	// tokenRe are token shapes of the systems platbot talks to.
	tokenRe = regexp.MustCompile(`\b(xox[abpre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|gh[pousr]_[A-Za-z0-9]{8,}|github_pat_[A-Za-z0-9_]{8,}|hv[sbr]\.[A-Za-z0-9_-]{8,}|s\.[A-Za-z0-9]{20,})`)
)

// maxError bounds a kept error.
const maxError = 300

// redact removes credentials from an error's text: the configured
// secrets, URL user info, credential parameters, Authorization values and
// token shapes; and backquotes, since it is shown in a code span.
func (f *Feature) redact(s string) string {
	for _, sec := range f.d.Secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = userinfoRe.ReplaceAllString(s, "${1}[redacted]@")
	s = credParamRe.ReplaceAllString(s, "${1}=[redacted]")
	s = bearerRe.ReplaceAllString(s, "${1} [redacted]")
	s = tokenRe.ReplaceAllString(s, "[redacted]")
	s = strings.ReplaceAll(s, "`", "'") // shown in a code span
	if r := []rune(s); len(r) > maxError {
		s = string(r[:maxError]) + "…"
	}
	return s
}
