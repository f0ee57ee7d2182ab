package pagerduty

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakePagerDuty speaks GET /services/{id} as PagerDuty's REST API v2 does.
func fakePagerDuty(t *testing.T, token string, failFirst int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Method != http.MethodGet {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("Authorization") != "Token token="+token {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"message":"Unauthorized","code":2006}}`))
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "version=2") {
			http.Error(w, "accept", http.StatusBadRequest)
			return
		}
		if n <= failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/services/PABC123":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"service":{"id":"PABC123","name":"Checkout","status":"active","html_url":"https://acme.pagerduty.com/services/PABC123","escalation_policy":{"id":"P1","summary":"Checkout on-call"}}}`))
		case "/services/PDIS":
			_, _ = w.Write([]byte(`{"service":{"id":"PDIS","name":"Old","status":"disabled"}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"message":"Not Found","code":2100}}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestGetService(t *testing.T) {
	srv, _ := fakePagerDuty(t, "s3cret", 0)
	c, err := New(srv.URL, "s3cret", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := c.GetService(ctx, "PABC123")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Checkout" || s.Disabled() || s.EscalationPolicy.Summary != "Checkout on-call" {
		t.Fatalf("service = %+v", s)
	}
	d, err := c.GetService(ctx, "PDIS")
	if err != nil || !d.Disabled() {
		t.Fatalf("disabled service = %+v, %v", d, err)
	}
	if _, err := c.GetService(ctx, "PNOPE"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing service: err = %v, want ErrNotFound", err)
	}
}

func TestGetServiceBadTokenIsNotLogged(t *testing.T) {
	srv, _ := fakePagerDuty(t, "right", 0)
	c, _ := New(srv.URL, "wrong-token-value", nil)
	_, err := c.GetService(context.Background(), "PABC123")
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want an authorization error", err)
	}
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("error leaks the token: %v", err)
	}
}

func TestGetServiceRetries(t *testing.T) {
	srv, calls := fakePagerDuty(t, "tok", 2)
	c, _ := New(srv.URL, "tok", nil)
	c.minDelay = time.Millisecond
	if _, err := c.GetService(context.Background(), "PABC123"); err != nil {
		t.Fatalf("after two 503s: %v", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("calls = %d, want 3", calls.Load())
	}
}

func TestGetServiceDown(t *testing.T) {
	srv, _ := fakePagerDuty(t, "tok", 100)
	c, _ := New(srv.URL, "tok", nil)
	c.minDelay = time.Millisecond
	_, err := c.GetService(context.Background(), "PABC123")
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want an outage error that is not ErrNotFound", err)
	}
}

func TestNewRejectsRelativeURL(t *testing.T) {
	if _, err := New("not a url", "t", nil); err == nil {
		t.Fatal("want an error")
	}
	c, err := New("", "t", nil)
	if err != nil || c.base.String() != DefaultBaseURL {
		t.Fatalf("default base = %v, %v", c, err)
	}
}

// TestSecretsRedacted: neither the token nor a password in the API URL
// (PAGERDUTY_API_URL) reaches an error or log line, even when PagerDuty
// echoes the token back.
func TestSecretsRedacted(t *testing.T) {
	const token = "tok-s3cret-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/services/PECHO":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"bad header: ` + r.Header.Get("Authorization") + `"}}`))
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	base := strings.Replace(srv.URL, "http://", "http://admin:pw-s3cret@", 1)
	c, err := New(base, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.minDelay = time.Millisecond
	var logs bytes.Buffer
	c.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var msgs []string
	for _, id := range []string{"PECHO", "PDOWN"} {
		if _, err := c.GetService(context.Background(), id); err == nil {
			t.Fatalf("%s: no error", id)
		} else {
			msgs = append(msgs, err.Error())
		}
	}
	srv.Close()
	if _, err := c.GetService(context.Background(), "PGONE"); err == nil {
		t.Fatal("connection refused: no error")
	} else {
		msgs = append(msgs, err.Error())
	}
	if _, err := New("admin:pw-s3cret@pagerduty", token, nil); err == nil {
		t.Fatal("relative URL accepted")
	} else {
		msgs = append(msgs, err.Error())
	}
	msgs = append(msgs, logs.String())
	all := strings.Join(msgs, "\n")
	if strings.Contains(all, "s3cret") {
		t.Fatalf("a secret leaked:\n%s", all)
	}
	if !strings.Contains(all, "bad header: Token token=[redacted]") {
		t.Fatalf("the echoed error is gone:\n%s", all)
	}
}
