// Package github is platbot's GitHub adapter: a typed client over go-github
// with timeouts, and retries with backoff for idempotent calls. Features
// reach it through small interfaces of their own (for example the catalog's
// GitHubContents), so they can be tested against fakes.
package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Defaults for the HTTP client New builds.
const (
	// DefaultTimeout bounds one call, retries included.
	DefaultTimeout = 30 * time.Second
	// DefaultRetries is how many times an idempotent call is retried.
	DefaultRetries = 3
)

// Client talks to the GitHub REST API (github.com or GitHub Enterprise).
// It is safe for concurrent use.
type Client struct {
	// gh is the go-github client; code in this package uses it directly.
	gh    *gh.Client
	retry *retryTransport
	log   *slog.Logger
}

// New returns a client for the API at baseURL ("" or https://api.github.com
// for github.com; a GitHub Enterprise or test server URL otherwise, to which
// go-github adds "/api/v3/"), authenticated with token when it is not empty.
//
// httpClient may be nil; a client with DefaultTimeout is used then. Either
// way, GET and HEAD requests are retried with exponential backoff and
// jitter on 429 and 5xx answers and on transport errors, honouring
// Retry-After. The caller's client is not modified.
func New(baseURL, token string, httpClient *http.Client) (*Client, error) {
	hc := &http.Client{Timeout: DefaultTimeout}
	if httpClient != nil {
		c := *httpClient
		hc = &c
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rt := &retryTransport{
		next:     base,
		retries:  DefaultRetries,
		minDelay: 250 * time.Millisecond,
		maxDelay: 8 * time.Second,
	}
	hc.Transport = rt

	c := gh.NewClient(hc)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	if u := strings.TrimRight(strings.TrimSpace(baseURL), "/"); u != "" && u != "https://api.github.com" {
		var err error
		c, err = c.WithEnterpriseURLs(u, u)
		if err != nil {
			return nil, fmt.Errorf("github: api url %q: %w", baseURL, err)
		}
	}
	return &Client{gh: c, retry: rt, log: slog.Default().With("component", "github")}, nil
}

// BaseURL returns the API base URL the client calls.
func (c *Client) BaseURL() string { return c.gh.BaseURL.String() }

// retryTransport retries idempotent requests on 429, 5xx and transport errors.
type retryTransport struct {
	next     http.RoundTripper
	retries  int
	minDelay time.Duration
	maxDelay time.Duration
}

// RoundTrip sends req, retrying idempotent ones with backoff.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead || retriesOff(req.Context()) {
		return t.next.RoundTrip(req)
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if attempt >= t.retries || !retryable(resp, err) || req.Context().Err() != nil {
			return resp, err
		}
		delay := t.backoff(attempt, resp)
		if resp != nil {
			resp.Body.Close()
		}
		slog.Debug("github: retrying", "method", req.Method, "url", req.URL.Redacted(), "attempt", attempt+1, "delay", delay, "status", status(resp), "err", err)
		timer := time.NewTimer(delay)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, fmt.Errorf("github: %s %s: %w", req.Method, req.URL.Redacted(), req.Context().Err())
		case <-timer.C:
		}
	}
}

func retryable(resp *http.Response, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
}

// backoff is minDelay·2^attempt with ±25% jitter, or the server's
// Retry-After, capped at maxDelay.
func (t *retryTransport) backoff(attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, t.maxDelay)
		}
	}
	d := t.minDelay << attempt
	d += time.Duration((rand.Float64() - 0.5) * 0.5 * float64(d))
	return min(d, t.maxDelay)
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}
