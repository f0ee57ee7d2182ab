package pagerduty

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestPing(t *testing.T) {
	const token = "pd-CANARY-token-0123"
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Token token="+token:
			w.WriteHeader(http.StatusUnauthorized)
		case down.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/abilities":
			w.Write([]byte(`{"abilities":["teams","sso"]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.minDelay = 0
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	if err := c.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("ping of a failing PagerDuty = %v", err)
	}
	bad, _ := New(srv.URL, "wrong", nil)
	if err := bad.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "token was refused") || strings.Contains(err.Error(), token) {
		t.Fatalf("ping with a wrong token = %v", err)
	}
}
