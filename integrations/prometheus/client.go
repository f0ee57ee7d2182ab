// Package prometheus is platbot's adapter for the Prometheus HTTP API
// (GET <base>/api/v1/query): instant queries with timeouts, and retries with
// backoff, since every call is an idempotent read.
package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/platbot/platbot/integrations/httpclient"
)

// Client defaults.
const (
	DefaultTimeout = 30 * time.Second
	DefaultRetries = 2
	maxBody        = 64 << 20
)

// Client runs instant queries. It is safe for concurrent use.
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

// New returns a client for the Prometheus server at baseURL
// ("http://prometheus:9090", or a path prefix such as ".../prometheus").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus: base url %q: want http(s)://host[:port][/path]", redact(baseURL))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, set: httpclient.Settings{
		HTTP: &http.Client{}, Timeout: DefaultTimeout, Retries: DefaultRetries,
		FirstDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second,
		Log: slog.Default().With("component", "prometheus"),
	}}
	c.set.Apply(opts)
	return c, nil
}

// BaseURL is the server the client queries, with any password in it
// redacted (it is for messages and logs).
func (c *Client) BaseURL() string { return c.base.Redacted() }

func redact(raw string) string { return httpclient.Redact(raw) }

// Sample is one series' value of an instant vector.
type Sample struct {
	Metric map[string]string
	Value  float64
	At     time.Time
}

// Result is an instant query's answer.
type Result struct {
	// Type is "vector", "scalar", "matrix" or "string".
	Type    string
	Samples []Sample
	// Warnings are the server's non-fatal remarks.
	Warnings []string
}

// Sum adds the result's samples; ok is false when there are none.
func (r *Result) Sum() (v float64, ok bool) {
	for _, s := range r.Samples {
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			continue
		}
		v += s.Value
		ok = true
	}
	return v, ok
}

// APIError is an error answer ({"status":"error","errorType":...,"error":...})
// or an HTTP failure.
type APIError struct {
	Status    int
	ErrorType string
	Message   string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.ErrorType != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.ErrorType, msg)
	}
	return fmt.Sprintf("%d %s", e.Status, msg)
}

func (e *APIError) temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.ErrorType == "timeout"
}

type envelope struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// Query evaluates promql at the instant at (now when zero).
func (c *Client) Query(ctx context.Context, promql string, at time.Time) (*Result, error) {
	v := url.Values{"query": {promql}}
	if !at.IsZero() {
		v.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
	}
	u := *c.base
	u.Path += "/api/v1/query"
	u.RawQuery = v.Encode()
	var err error
	for attempt := 0; ; attempt++ {
		var res *Result
		if res, err = c.query(ctx, u.String()); err == nil {
			return res, nil
		}
		var ae *APIError
		temporary := !errors.Is(err, context.Canceled) && (!errors.As(err, &ae) || ae.temporary())
		if attempt >= c.set.Retries || !temporary || ctx.Err() != nil {
			break
		}
		d := c.set.Backoff(attempt)
		c.set.Log.Warn("prometheus: retrying", "attempt", attempt+1, "delay", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("prometheus: query %q: %w", promql, ctx.Err())
		case <-t.C:
		}
	}
	return nil, fmt.Errorf("prometheus: query %q: %w", promql, err)
}

func (c *Client) query(ctx context.Context, u string) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.set.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		// The parse error quotes u, user info and all.
		return nil, fmt.Errorf("build request for %s: invalid URL", c.BaseURL())
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.set.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var env envelope
	decErr := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&env)
	if resp.StatusCode != http.StatusOK || env.Status == "error" {
		return nil, &APIError{Status: resp.StatusCode, ErrorType: env.ErrorType, Message: env.Error}
	}
	if decErr != nil {
		return nil, &APIError{Status: resp.StatusCode, ErrorType: "bad_response", Message: decErr.Error()}
	}
	res := &Result{Type: env.Data.ResultType, Warnings: env.Warnings}
	switch env.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(env.Data.Result, &vec); err != nil {
			return nil, &APIError{Status: resp.StatusCode, ErrorType: "bad_response", Message: err.Error()}
		}
		for _, s := range vec {
			at, val, err := parsePair(s.Value)
			if err != nil {
				return nil, &APIError{Status: resp.StatusCode, ErrorType: "bad_response", Message: err.Error()}
			}
			res.Samples = append(res.Samples, Sample{Metric: s.Metric, Value: val, At: at})
		}
	case "scalar":
		var pair [2]any
		if err := json.Unmarshal(env.Data.Result, &pair); err != nil {
			return nil, &APIError{Status: resp.StatusCode, ErrorType: "bad_response", Message: err.Error()}
		}
		at, val, err := parsePair(pair)
		if err != nil {
			return nil, &APIError{Status: resp.StatusCode, ErrorType: "bad_response", Message: err.Error()}
		}
		res.Samples = []Sample{{Value: val, At: at}}
	default:
		return nil, &APIError{Status: resp.StatusCode, ErrorType: "bad_response", Message: fmt.Sprintf("result type %q: want vector or scalar", env.Data.ResultType)}
	}
	return res, nil
}

// parsePair reads a [<unix seconds>, "<value>"] sample.
func parsePair(p [2]any) (time.Time, float64, error) {
	ts, ok := p[0].(float64)
	s, ok2 := p[1].(string)
	if !ok || !ok2 {
		return time.Time{}, 0, fmt.Errorf("bad sample %v", p)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("bad sample value %q", s)
	}
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), v, nil
}
