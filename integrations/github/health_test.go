package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestPingIsOneAuthenticatedCallNotRetried(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	var last atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		last.Store(r.Method + " " + r.URL.Path + " " + r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		if fail.Load() {
			w.WriteHeader(500)
			w.Write([]byte(`{"message":"boom"}`))
			return
		}
		w.Write([]byte(`{"resources":{"core":{"limit":5000,"remaining":4999,"reset":1700000000}}}`))
	}))
	defer srv.Close()
	c, err := New(srv.URL, "tok-123", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := last.Load(); got != "GET /api/v3/rate_limit Bearer tok-123" {
		t.Fatalf("ping sent %v", got)
	}
	fail.Store(true)
	calls.Store(0)
	err = c.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("ping = %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d requests for a failing ping, want 1 (no retries)", n)
	}
	// Other GETs still retry.
	calls.Store(0)
	c.retry.minDelay, c.retry.maxDelay = 0, 0
	if _, err := c.GetFile(context.Background(), "acme", "x", "README.md", ""); err == nil {
		t.Fatal("GetFile succeeded on a failing server")
	}
	if n := calls.Load(); n != 1+DefaultRetries {
		t.Fatalf("GetFile made %d requests, want %d", n, 1+DefaultRetries)
	}
}
