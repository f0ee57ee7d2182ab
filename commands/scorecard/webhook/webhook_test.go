package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/httpguard"
)

// sign makes an X-Hub-Signature-256 value as GitHub does.
func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestValidSignature(t *testing.T) {
	body := []byte(`{"a":1}`)
	good := sign("s", string(body))
	if !ValidSignature([]byte("s"), body, good) {
		t.Fatal("valid signature refused")
	}
	for _, bad := range []string{"", "sha1=" + good[7:], "sha256=zz", sign("t", string(body)), good[:len(good)-2]} {
		if ValidSignature([]byte("s"), body, bad) {
			t.Errorf("accepted %q", bad)
		}
	}
	if ValidSignature(nil, body, good) {
		t.Error("an empty secret verifies nothing")
	}
}

// post delivers a signed event to a receiver and returns the recorded answer.
func post(t *testing.T, rc *Receiver, event, body, signature string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/github/webhook", strings.NewReader(body))
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "d-1")
	req.Header.Set("X-Hub-Signature-256", signature)
	rec := httptest.NewRecorder()
	rc.Handler(httpguard.NewLimit(MaxInFlight)).ServeHTTP(rec, req)
	return rec
}

// TestReceiver: a signed pull_request event on a gated repository is
// submitted with its repository, number, head and delivery; the others are
// answered without submitting, and Submit's errors become 503 (Unavailable,
// with its text) or 500.
func TestReceiver(t *testing.T) {
	const pr = `{"action":"synchronize","number":7,"pull_request":{"number":7,"head":{"sha":"abc123"}},"repository":{"full_name":"acme/catalog"}}`
	var got []PullRequest
	var submitErr error
	rc := &Receiver{
		Secret: []byte("whsec"),
		Gated:  func(fullName string) bool { return fullName == "acme/catalog" },
		Submit: func(_ context.Context, p PullRequest) error { got = append(got, p); return submitErr },
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}

	if rec := post(t, rc, "pull_request", pr, sign("whsec", pr)); rec.Code != http.StatusAccepted || rec.Body.String() != "queued\n" {
		t.Fatalf("pull_request: %d %q", rec.Code, rec.Body)
	}
	if want := (PullRequest{Owner: "acme", Repo: "catalog", Number: 7, SHA: "abc123", Delivery: "d-1"}); len(got) != 1 || got[0] != want {
		t.Fatalf("submitted %+v, want %+v", got, want)
	}

	other := strings.Replace(pr, "acme/catalog", "acme/website", 1)
	closed := strings.Replace(pr, "synchronize", "closed", 1)
	for _, tc := range []struct {
		name, event, body, signature string
		code                         int
		answer                       string
	}{
		{"forged", "pull_request", pr, sign("other", pr), http.StatusUnauthorized, "bad signature\n"},
		{"ping", "ping", `{}`, sign("whsec", `{}`), http.StatusOK, "pong\n"},
		{"push", "push", `{}`, sign("whsec", `{}`), http.StatusAccepted, "ignored\n"},
		{"closed", "pull_request", closed, sign("whsec", closed), http.StatusAccepted, "ignored\n"},
		{"not gated", "pull_request", other, sign("whsec", other), http.StatusAccepted, "not a catalog repository\n"},
	} {
		got = nil
		if rec := post(t, rc, tc.event, tc.body, tc.signature); rec.Code != tc.code || rec.Body.String() != tc.answer {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Body, tc.code, tc.answer)
		}
		if len(got) != 0 {
			t.Errorf("%s: submitted %+v", tc.name, got)
		}
	}

	submitErr = Unavailable("gate has no GitHub client")
	if rec := post(t, rc, "pull_request", pr, sign("whsec", pr)); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "gate has no GitHub client\n" {
		t.Errorf("unavailable: %d %q", rec.Code, rec.Body)
	}
	submitErr = errors.New("queue: disk full")
	if rec := post(t, rc, "pull_request", pr, sign("whsec", pr)); rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("submit error: %d %q (the error's text stays in the log)", rec.Code, rec.Body)
	}
}
