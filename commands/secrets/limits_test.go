package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/bot/httpguard"
	"github.com/platbot/platbot/bot/httpguard/guardtest"
)

// unknownToken is a well-formed link nobody was given.
func unknownToken(t *testing.T) string {
	t.Helper()
	id, err := randomID()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := newToken(id)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// submitFrom posts a submission from peer with the given X-Forwarded-For
// values (none when empty) and returns the status.
func submitFrom(t *testing.T, e *env, token, peer string, xff ...string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"ciphertext": "vault:v1:AAAA"})
	req := httptest.NewRequest(http.MethodPost, "/seal/"+token, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = peer
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	rec := httptest.NewRecorder()
	e.sec.Handler().ServeHTTP(rec, req)
	return rec.Code
}

// TestForwardedForIsBelievedOnlyFromTrustedProxies: the per-address limit
// counts the client a trusted proxy names in X-Forwarded-For, and ignores
// the header from anyone else (who could otherwise name a new address with
// every request).
func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1"}
	e := newEnv(t, envOptions{cfg: &cfg, now: bottest.NewClock(time.Now()).Now})

	// A direct client rotating X-Forwarded-For is still one address.
	for i := range 10 {
		if code := submitFrom(t, e, unknownToken(t), "203.0.113.9:5555", fmt.Sprintf("198.18.0.%d", i)); code != http.StatusNotFound {
			t.Fatalf("direct submission %d: %d", i+1, code)
		}
	}
	if code := submitFrom(t, e, unknownToken(t), "203.0.113.9:5555", "198.18.0.99"); code != http.StatusTooManyRequests {
		t.Fatalf("11th direct submission with a fresh X-Forwarded-For: %d, want 429", code)
	}

	// Behind the proxy, each client has its own allowance: the client's
	// address is the right-most hop that is not a trusted proxy, whatever
	// the client itself wrote further left.
	for i := range 10 {
		if code := submitFrom(t, e, unknownToken(t), "10.0.0.5:40000", fmt.Sprintf("198.18.%d.1, 198.51.100.7", i)); code != http.StatusNotFound {
			t.Fatalf("proxied submission %d: %d", i+1, code)
		}
	}
	if code := submitFrom(t, e, unknownToken(t), "10.0.0.5:40000", "1.2.3.4, 198.51.100.7, 192.0.2.1"); code != http.StatusTooManyRequests {
		t.Fatalf("11th submission of 198.51.100.7 through two proxies: %d, want 429", code)
	}
	if code := submitFrom(t, e, unknownToken(t), "10.0.0.5:40000", "198.51.100.8"); code != http.StatusNotFound {
		t.Fatalf("another client through the same proxy: %d, want its own allowance", code)
	}
	// Two header lines are one list.
	if code := submitFrom(t, e, unknownToken(t), "10.0.0.5:40000", "198.51.100.7", "10.1.2.3"); code != http.StatusTooManyRequests {
		t.Fatalf("198.51.100.7 across two header lines: %d, want 429", code)
	}
}

func TestTrustedProxiesConfig(t *testing.T) {
	for _, ok := range [][]string{nil, {"10.0.0.0/8"}, {"fd00::/8", "192.0.2.1", " 172.16.0.0/12 "}} {
		c := DefaultConfig()
		c.TrustedProxies = ok
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	c := DefaultConfig()
	c.TrustedProxies = []string{"10.0.0.0/8", "proxy.internal"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `trustedProxies entry "proxy.internal"`) {
		t.Fatalf("a host name: %v", err)
	}

	p, _ := parseProxies([]string{"10.0.0.0/8"})
	for _, tc := range []struct{ peer, xff, key, remote string }{
		{"203.0.113.9:1", "1.1.1.1", "203.0.113.9", "203.0.113.9:1"},
		{"10.0.0.5:2", "", "10.0.0.5", "10.0.0.5:2"},
		{"10.0.0.5:2", "not-an-address", "10.0.0.5", "10.0.0.5:2"},
		{"10.0.0.5:2", "198.51.100.7", "198.51.100.7", "198.51.100.7 via 10.0.0.5:2"},
		{"[::ffff:10.0.0.5]:2", "[2001:db8::1]:443", "2001:db8::1", "2001:db8::1 via [::ffff:10.0.0.5]:2"},
		{"10.0.0.5:2", "10.9.9.9, 10.8.8.8", "10.9.9.9", "10.9.9.9 via 10.0.0.5:2"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/seal/x", nil)
		req.RemoteAddr = tc.peer
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		if key, remote := p.client(req); key != tc.key || remote != tc.remote {
			t.Errorf("peer %s XFF %q: %q, %q; want %q, %q", tc.peer, tc.xff, key, remote, tc.key, tc.remote)
		}
	}
}

// TestSealingPageEntryLimits: a 30 MB submission is refused 413 with
// memory bounded, declared or chunked; with the bound's requests in
// flight, one more is answered 503 at once.
func TestSealingPageEntryLimits(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.sec.inflight = httpguard.NewLimit(2)
	srv := httptest.NewServer(e.sec.Handler())
	t.Cleanup(srv.Close)
	target := srv.URL + "/seal/" + unknownToken(t)
	h := http.Header{"Content-Type": {"application/json"}}
	for _, chunked := range []bool{false, true} {
		var status int
		alloc := guardtest.Allocated(func() {
			status = guardtest.Post(t, target, h, guardtest.Body{Size: 30 << 20, Chunked: chunked})
		})
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("30 MB, chunked=%v: %d, want 413", chunked, status)
		}
		if alloc > 1<<20 {
			t.Fatalf("30 MB, chunked=%v: allocated %d bytes", chunked, alloc)
		}
	}

	release1 := guardtest.Hold(t, target, h, 1000)
	release2 := guardtest.Hold(t, target, h, 1000)
	guardtest.WaitFor(t, "two submissions in flight", func() bool { return e.sec.inflight.InFlight() == 2 })
	if status := guardtest.Post(t, target, h, guardtest.Body{Prefix: []byte(`{"ciphertext":"vault:v1:AAAA"}`), Size: 30}); status != http.StatusServiceUnavailable {
		t.Fatalf("third request: %d, want 503", status)
	}
	if got := counterValue(t, e.sec.metrics.requests.WithLabelValues("busy")); got != 1 {
		t.Fatalf("busy = %v, want 1", got)
	}
	release1()
	release2()
	guardtest.WaitFor(t, "the held submissions to end", func() bool { return e.sec.inflight.InFlight() == 0 })
	if status := guardtest.Post(t, target, h, guardtest.Body{Prefix: []byte(`{"ciphertext":"vault:v1:AAAA"}`), Size: 30}); status != http.StatusNotFound {
		t.Fatalf("after the others ended: %d, want 404 (nobody's link)", status)
	}
}
