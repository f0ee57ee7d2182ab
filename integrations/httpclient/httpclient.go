// Package httpclient holds what platbot's small REST clients (OpenCost,
// Prometheus, PagerDuty) share: per-attempt timeouts, retry settings with
// jittered exponential backoff, and redaction of credentials in URLs so they
// never reach errors, replies or logs.
package httpclient

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Settings are a client's transport and retry settings.
type Settings struct {
	// HTTP sends the requests (its own Timeout, if any, still applies).
	HTTP *http.Client
	// Timeout bounds each attempt.
	Timeout time.Duration
	// Retries is how many times a failed idempotent call is retried.
	Retries int
	// FirstDelay and MaxDelay bound the backoff between attempts.
	FirstDelay, MaxDelay time.Duration
	// Log receives retry notices.
	Log *slog.Logger
}

// Option changes Settings.
type Option func(*Settings)

// WithHTTPClient uses hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *Settings) {
		if hc != nil {
			s.HTTP = hc
		}
	}
}

// WithTimeout bounds each attempt (ignored when d ≤ 0).
func WithTimeout(d time.Duration) Option {
	return func(s *Settings) {
		if d > 0 {
			s.Timeout = d
		}
	}
}

// WithRetries sets how many times a failed call is retried (0 disables;
// negative is ignored).
func WithRetries(n int) Option {
	return func(s *Settings) {
		if n >= 0 {
			s.Retries = n
		}
	}
}

// WithBackoff sets the first retry delay and the cap (each ignored when ≤ 0).
func WithBackoff(first, limit time.Duration) Option {
	return func(s *Settings) {
		if first > 0 {
			s.FirstDelay = first
		}
		if limit > 0 {
			s.MaxDelay = limit
		}
	}
}

// WithLogger logs retries to l.
func WithLogger(l *slog.Logger) Option {
	return func(s *Settings) {
		if l != nil {
			s.Log = l
		}
	}
}

// Apply applies opts over s.
func (s *Settings) Apply(opts []Option) {
	for _, o := range opts {
		o(s)
	}
}

// Backoff is FirstDelay·2^attempt with ±25% jitter, capped at MaxDelay.
func (s *Settings) Backoff(attempt int) time.Duration {
	d := s.FirstDelay << min(attempt, 20)
	d += time.Duration((rand.Float64() - 0.5) * 0.5 * float64(d))
	return min(d, s.MaxDelay)
}

// Redact returns raw with the password of its user info replaced by
// "xxxxx" (url.URL.Redacted). Text that does not parse as a URL with a
// host loses all of its user info (everything before the last "@" of its
// authority) instead.
func Redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		if _, ok := u.User.Password(); ok {
			return u.Redacted()
		}
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	rest := raw[start:]
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	if i := strings.LastIndex(rest[:end], "@"); i >= 0 {
		return raw[:start] + "xxxxx" + rest[i:]
	}
	return raw
}
