// Package pagerduty is platbot's PagerDuty adapter: a small typed client of
// the REST API v2 (https://api.pagerduty.com), with timeouts and retries with
// backoff for its idempotent reads. The scorecard uses it to confirm that the
// service named by a catalog entity's pagerduty.com/service-id annotation
// exists and is not disabled.
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/platbot/platbot/integrations/httpclient"
)

// DefaultBaseURL is PagerDuty's REST API.
const DefaultBaseURL = "https://api.pagerduty.com"

// Defaults of a Client.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 2
)

// ErrNotFound is wrapped by errors for services that do not exist (PagerDuty
// answers 404, also for ids the token may not see).
var ErrNotFound = errors.New("pagerduty: not found")

// Service is the part of a PagerDuty service the scorecard reads.
type Service struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Status  string `json:"status"` // active, warning, critical, maintenance, disabled
	HTMLURL string `json:"html_url"`
	// EscalationPolicy names who is paged.
	EscalationPolicy struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"escalation_policy"`
}

// Disabled reports whether the service pages nobody.
func (s *Service) Disabled() bool { return s.Status == "disabled" }

// Client calls the PagerDuty REST API with an API token. It is safe for
// concurrent use; the token never appears in errors or logs.
type Client struct {
	base    *url.URL
	token   string
	hc      *http.Client
	retries int
	// minDelay is the first retry's backoff.
	minDelay time.Duration
	log      *slog.Logger
}

// New returns a client for the API at baseURL (DefaultBaseURL when empty),
// authenticated with token ("Authorization: Token token=..."). httpClient may
// be nil; a client with DefaultTimeout is used then.
func New(baseURL, token string, httpClient *http.Client) (*Client, error) {
	if strings.TrimSpace(baseURL) == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(baseURL), "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("pagerduty: api url %q is not an absolute URL", redact(baseURL))
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{
		base: u, token: token, hc: httpClient, retries: DefaultRetries,
		minDelay: 200 * time.Millisecond,
		log:      slog.Default().With("component", "pagerduty"),
	}, nil
}

// GetService reads GET /services/{id}. A service that does not exist fails
// with an error wrapping ErrNotFound; any other failure means PagerDuty could
// not answer.
func (c *Client) GetService(ctx context.Context, id string) (*Service, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, fmt.Errorf("pagerduty: get service: empty id: %w", ErrNotFound)
	}
	var out struct {
		Service Service `json:"service"`
	}
	if err := c.get(ctx, "/services/"+url.PathEscape(id), &out); err != nil {
		return nil, fmt.Errorf("pagerduty: get service %s: %w", id, err)
	}
	return &out.Service, nil
}

// get performs an idempotent GET with retries on 429, 5xx and transport
// errors, and decodes a JSON answer into v.
func (c *Client) get(ctx context.Context, path string, v any) error {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	var lastErr error
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			// The parse error quotes the URL, user info and all.
			return fmt.Errorf("build request for %s: invalid URL", u.Redacted())
		}
		req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
		req.Header.Set("Content-Type", "application/json")
		if c.token != "" {
			req.Header.Set("Authorization", "Token token="+c.token)
		}
		resp, err := c.hc.Do(req)
		retryAfter := time.Duration(-1)
		switch {
		case err != nil:
			lastErr = fmt.Errorf("request: %w", err)
		default:
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
			resp.Body.Close()
			switch {
			case rerr != nil:
				lastErr = fmt.Errorf("read answer: %w", rerr)
			case resp.StatusCode == http.StatusNotFound:
				return ErrNotFound
			case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
				return fmt.Errorf("status %d: the token was refused", resp.StatusCode)
			case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
				lastErr = fmt.Errorf("status %d", resp.StatusCode)
				if s, perr := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); perr == nil && s >= 0 {
					retryAfter = time.Duration(s) * time.Second
				}
			case resp.StatusCode/100 != 2:
				return fmt.Errorf("status %d: %s", resp.StatusCode, snippet([]byte(c.scrub(string(body)))))
			default:
				if err := json.Unmarshal(body, v); err != nil {
					return fmt.Errorf("decode answer: %w", err)
				}
				return nil
			}
		}
		if attempt >= c.retries || ctx.Err() != nil {
			return lastErr
		}
		delay := c.minDelay << attempt
		delay += time.Duration(rand.Int64N(int64(delay/2) + 1))
		if retryAfter >= 0 {
			delay = min(retryAfter, 5*time.Second)
		}
		c.log.Debug("retrying", "path", path, "attempt", attempt+1, "delay", delay, "err", lastErr)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %v)", ctx.Err(), lastErr)
		case <-t.C:
		}
	}
}

// scrub removes the token from text that may echo it (an error body).
func (c *Client) scrub(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

func redact(raw string) string { return httpclient.Redact(raw) }

// snippet shortens an error body for a message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
