package opencost

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// canned answers every request with one status and body.
type canned struct {
	status int
	body   []byte
}

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.status, Body: io.NopCloser(bytes.NewReader(c.body)), Header: http.Header{}, Request: r}, nil
}

// fuzzPassword is in the client's base URL; no error may show it.
const fuzzPassword = "s3cr3t-canary-pw"

// FuzzAllocationResponse answers an allocation query with an arbitrary
// status and body, as a broken, hostile or newer OpenCost or Kubecost
// could. Nothing may panic; a result is returned or an error is, never
// both; errors never show the base URL's password unless the body itself
// held it; a result has no nil allocations and each is named.
func FuzzAllocationResponse(f *testing.F) {
	f.Add(200, []byte(`{"code":200,"data":[{"checkout":{"name":"checkout","properties":{"cluster":"prod","namespace":"shop","labels":{"service":"checkout"}},"window":{"start":"2026-05-01T00:00:00Z","end":"2026-05-02T00:00:00Z"},"start":"2026-05-01T00:00:00Z","end":"2026-05-02T00:00:00Z","cpuCost":10,"ramCost":5,"pvCost":2,"networkCost":1,"loadBalancerCost":1,"sharedCost":1,"totalCost":20,"cpuEfficiency":0.5,"ramEfficiency":0.8,"totalEfficiency":0.6},"__idle__":{"totalCost":100},"gone":null}]}`))
	f.Add(200, []byte(`{"code":200,"data":[{"":{"totalCost":"NaN"}}]}`))
	f.Add(200, []byte(`{"code":500,"message":"Error: failed to query Prometheus"}`))
	f.Add(200, []byte(`{"code":200}`))
	f.Add(200, []byte(`{"code":200,"data":[{"x":{"window":{"start":"yesterday"}}}]}`))
	f.Add(400, []byte(`{"code":400,"message":"invalid window: `+fuzzPassword+`"}`))
	f.Add(503, []byte("<html>Service Unavailable</html>"))
	f.Add(200, []byte("not json"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		c, err := New("http://platbot:"+fuzzPassword+"@opencost.opencost:9003", WithRetries(0),
			WithHTTPClient(&http.Client{Transport: canned{status, body}}))
		if err != nil {
			t.Fatal(err)
		}
		sets, err := c.Allocation(context.Background(), Query{Window: "7d", Aggregate: []string{"namespace"}, Step: 24 * time.Hour})
		if err != nil {
			if sets != nil {
				t.Fatalf("both a result and an error: %v", err)
			}
			if msg := err.Error(); strings.Contains(msg, fuzzPassword) && !bytes.Contains(body, []byte(fuzzPassword)) {
				t.Fatalf("error shows the password: %s", msg)
			}
			var ae *APIError
			var de *DecodeError
			if !errors.As(err, &ae) && !errors.As(err, &de) {
				t.Fatalf("error is neither an APIError nor a DecodeError: %v", err)
			}
			return
		}
		if status != http.StatusOK {
			t.Fatalf("status %d gave a result", status)
		}
		for _, set := range sets {
			for name, a := range set {
				if a == nil {
					t.Fatalf("nil allocation %q", name)
				}
				if a.Name == "" && name != "" {
					t.Fatalf("allocation %q without a name", name)
				}
			}
		}
	})
}

// FuzzParseWindow reads arbitrary windows and durations as /plat cost
// flags give them: nothing may panic, and a window that parses is
// non-empty and ordered.
func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"7d", "24h", "30m", "today", "yesterday", "week", "lastweek", "month", "lastmonth",
		"2026-05-01T00:00:00Z,2026-05-04T00:00:00Z", "1714521600,1714780800", "2026-05-04T00:00:00Z,2026-05-01T00:00:00Z", "-1d", "9999999999d", "NaNd", "+Infh", "1e-12m", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && d <= 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		start, end, err := ParseWindow(s, now)
		if err != nil {
			return
		}
		if !start.Before(end) {
			t.Fatalf("ParseWindow(%q) = %v .. %v", s, start, end)
		}
	})
}
