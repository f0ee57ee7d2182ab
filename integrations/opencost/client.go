package opencost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/platbot/platbot/integrations/httpclient"
)

// Client defaults.
const (
	// DefaultTimeout bounds one attempt of a call.
	DefaultTimeout = 60 * time.Second
	// DefaultRetries is how many times a failed call is retried.
	DefaultRetries = 3
	// MaxResponseBytes caps a response body.
	MaxResponseBytes = 512 << 20
)

// Client reads the allocation API of OpenCost (base "http://opencost:9003")
// or Kubecost (base "http://kubecost:9090/model"). It is safe for concurrent
// use. Every call is an idempotent GET: transport errors, timeouts, 429 and
// 5xx answers are retried with exponential backoff and jitter.
type Client struct {
	base *url.URL
	set  httpclient.Settings
}

// Option configures a Client (see integrations/httpclient).
type Option = httpclient.Option

// The options a Client takes.
var (
	// WithHTTPClient uses hc (its Timeout, if any, still applies per attempt).
	WithHTTPClient = httpclient.WithHTTPClient
	// WithTimeout bounds each attempt (default DefaultTimeout).
	WithTimeout = httpclient.WithTimeout
	// WithRetries sets how many times a failed call is retried (0 disables).
	WithRetries = httpclient.WithRetries
	// WithBackoff sets the first retry delay and its cap.
	WithBackoff = httpclient.WithBackoff
	// WithLogger logs retries to l.
	WithLogger = httpclient.WithLogger
)

// New returns a client for the API at baseURL: the OpenCost service
// ("http://opencost.opencost:9003") or a base path that ends before
// "/allocation" (Kubecost: "http://kubecost-cost-analyzer:9090/model").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("opencost: base url %q: want http(s)://host[:port][/path]", Redact(baseURL))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, set: httpclient.Settings{
		HTTP: &http.Client{}, Timeout: DefaultTimeout, Retries: DefaultRetries,
		FirstDelay: 500 * time.Millisecond, MaxDelay: 10 * time.Second,
		Log: slog.Default().With("component", "opencost"),
	}}
	c.set.Apply(opts)
	return c, nil
}

// BaseURL is the API base the client calls, with any password in it
// redacted (it is for messages and logs).
func (c *Client) BaseURL() string { return c.base.Redacted() }

// Redact returns raw with the password of its user info replaced by
// "xxxxx" (url.URL.Redacted), for errors, replies and logs. Text that does
// not parse as a URL with a host loses all of its user info (everything
// before the last "@" of its authority) instead.
func Redact(raw string) string { return httpclient.Redact(raw) }

// APIError is a non-success answer of the API: an HTTP status other than 200,
// or a "code" other than 200 in the envelope.
type APIError struct {
	URL     string // the request URL, password redacted
	Status  int    // HTTP status
	Code    int    // the envelope's code, when the body had one
	Message string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	code := e.Status
	if e.Code != 0 && e.Code != e.Status {
		code = e.Code
	}
	return fmt.Sprintf("GET %s: %d %s", withoutQuery(e.URL), code, msg)
}

// withoutQuery shortens a request URL for messages; the query is long and
// says nothing the caller does not know.
func withoutQuery(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}

// Temporary reports whether a retry may succeed.
func (e *APIError) Temporary() bool {
	code := e.Status
	if e.Code != 0 && code == http.StatusOK {
		code = e.Code
	}
	return code == http.StatusTooManyRequests || code >= 500
}

// DecodeError is a body that is not a valid allocation response.
type DecodeError struct {
	URL string // the request URL, password redacted
	Err error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("GET %s: malformed allocation response: %v", withoutQuery(e.URL), e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// AllocationURL is the request URL of q. It carries the base URL's user
// info, if any: pass it through Redact before showing it.
func (c *Client) AllocationURL(q Query) string {
	u := *c.base
	u.Path += "/allocation"
	v := url.Values{}
	v.Set("window", q.WindowParam())
	if len(q.Aggregate) > 0 {
		v.Set("aggregate", strings.Join(q.Aggregate, ","))
	}
	if s := FormatDuration(q.Step); s != "" {
		v.Set("step", s)
	}
	v.Set("accumulate", strconv.FormatBool(q.Accumulate))
	v.Set("includeIdle", strconv.FormatBool(q.IncludeIdle))
	v.Set("shareIdle", strconv.FormatBool(q.ShareIdle))
	if q.Filter != "" {
		v.Set("filter", q.Filter)
	}
	u.RawQuery = v.Encode()
	return u.String()
}

// Allocation runs an allocation query and returns its sets, one per step.
// Errors are *APIError, *DecodeError, or a transport error, each wrapped
// with the URL.
func (c *Client) Allocation(ctx context.Context, q Query) ([]AllocationSet, error) {
	if q.WindowParam() == "" {
		return nil, errors.New("opencost: allocation query without a window")
	}
	u := c.AllocationURL(q)
	shown := Redact(u)
	var lastErr error
	for attempt := 0; ; attempt++ {
		sets, err := c.get(ctx, u, shown)
		if err == nil {
			return sets, nil
		}
		lastErr = err
		if attempt >= c.set.Retries || !retryable(err) || ctx.Err() != nil {
			break
		}
		delay := c.set.Backoff(attempt)
		c.set.Log.Warn("opencost: retrying", "url", withoutQuery(shown), "attempt", attempt+1, "delay", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("opencost: %w (gave up: %w)", lastErr, ctx.Err())
		case <-t.C:
		}
	}
	if c.set.Retries > 0 && retryable(lastErr) {
		return nil, fmt.Errorf("opencost: %w (after %d attempts)", lastErr, c.set.Retries+1)
	}
	return nil, fmt.Errorf("opencost: %w", lastErr)
}

// get runs one attempt against u; shown is u as errors show it (redacted).
func (c *Client) get(ctx context.Context, u, shown string) ([]AllocationSet, error) {
	ctx, cancel := context.WithTimeout(ctx, c.set.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		// The parse error quotes u, user info and all: show it redacted.
		return nil, fmt.Errorf("build request for %s: invalid URL", withoutQuery(shown))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.set.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, MaxResponseBytes)
	var env Response
	decErr := json.NewDecoder(body).Decode(&env)
	if resp.StatusCode != http.StatusOK {
		apiErr := &APIError{URL: shown, Status: resp.StatusCode}
		if decErr == nil {
			apiErr.Code, apiErr.Message = env.Code, env.Message
		}
		return nil, apiErr
	}
	if decErr != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read body: %w", ctx.Err())
		}
		var ne net.Error
		if errors.As(decErr, &ne) {
			return nil, fmt.Errorf("read body: %w", decErr)
		}
		return nil, &DecodeError{URL: shown, Err: decErr}
	}
	if env.Code != 0 && env.Code != http.StatusOK {
		return nil, &APIError{URL: shown, Status: resp.StatusCode, Code: env.Code, Message: env.Message}
	}
	if env.Data == nil {
		return nil, &DecodeError{URL: shown, Err: errors.New(`no "data" field`)}
	}
	for _, set := range env.Data {
		for name, a := range set {
			if a == nil {
				delete(set, name)
				continue
			}
			if a.Name == "" {
				a.Name = name
			}
		}
	}
	return env.Data, nil
}

func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	var de *DecodeError
	return !errors.As(err, &de)
}
