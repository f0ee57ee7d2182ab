// Package webhook receives GitHub's webhook deliveries for the scorecard's
// production gate: it bounds and authenticates each delivery (the
// X-Hub-Signature-256 HMAC), answers ping, and hands each pull_request
// event worth gating to the feature as a PullRequest. It knows nothing of
// grades; the gate itself is in commands/scorecard/gate.go.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/platbot/platbot/bot/httpguard"
)

// MaxBody bounds a webhook delivery. A pull_request event is tens of
// kilobytes (a long description included); GitHub allows any event up to
// 25 MB, which the gate never needs. A larger body is answered 413: by its
// Content-Length before anything is read, or as soon as the limit is passed.
const MaxBody = 2 << 20

// MaxInFlight bounds the deliveries served at once; one more is answered
// 503 (GitHub shows it as a failed delivery to redeliver).
const MaxInFlight = 16

// ValidSignature checks GitHub's X-Hub-Signature-256 ("sha256=<hex HMAC of
// the body>") in constant time.
func ValidSignature(secret, body []byte, header string) bool {
	want, ok := parseSignature(header)
	if len(secret) == 0 || !ok {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(want, mac.Sum(nil))
}

// parseSignature reads an X-Hub-Signature-256 value: "sha256=" and 64 hex
// digits.
func parseSignature(header string) ([]byte, bool) {
	h, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(h) != 2*sha256.Size {
		return nil, false
	}
	b, err := hex.DecodeString(h)
	return b, err == nil
}

// PullRequest is a pull request to gate, as a delivery names it.
type PullRequest struct {
	Owner, Repo string
	Number      int
	SHA         string // the head commit
	Delivery    string // X-GitHub-Delivery
}

// Unavailable, returned by Receiver.Submit, is answered 503 with its text:
// the gate cannot run at all (e.g. it has no GitHub client).
type Unavailable string

func (u Unavailable) Error() string { return string(u) }

// Receiver serves the deliveries.
type Receiver struct {
	// Secret is the webhook secret (GITHUB_WEBHOOK_SECRET); with none,
	// every delivery is refused 503.
	Secret []byte
	// Gated reports whether pull requests of a repository ("owner/repo")
	// are gated; the others are answered 202 and dropped.
	Gated func(fullName string) bool
	// Submit gates (or queues the gating of) a pull request.
	Submit func(ctx context.Context, pr PullRequest) error
	Log    *slog.Logger
}

// pullRequestEvent is the part of GitHub's pull_request event the gate reads.
type pullRequestEvent struct {
	Action      string `json:"action"`
	Number      int    `json:"number"`
	PullRequest struct {
		Number int `json:"number"`
		Head   struct {
			SHA string `json:"sha"`
		} `json:"head"`
	} `json:"pull_request"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// Handler serves POST /github/webhook. Every delivery must carry a valid
// X-Hub-Signature-256 made with the secret (else 401). pull_request events
// (opened, synchronize, reopened, edited, ready_for_review) on gated
// repositories are submitted (202); ping is answered; other events are
// ignored. At most l's capacity of deliveries are served at once and none
// larger than MaxBody is read.
func (rc *Receiver) Handler(l *httpguard.Limit) http.Handler {
	return httpguard.Wrap(http.HandlerFunc(rc.serve), l, func(r *http.Request) {
		rc.Log.Warn("github webhook refused: too many deliveries in flight", "limit", l.Cap(), "remote", r.RemoteAddr)
	})
}

// serve refuses what it can before reading the body — a declared length
// over MaxBody, a missing or malformed signature — then streams the body
// through the HMAC, keeping it only for a pull_request event (the one
// payload it reads), and compares the signature at the end.
func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if len(rc.Secret) == 0 {
		rc.Log.Error("github webhook refused: no webhook secret is configured (GITHUB_WEBHOOK_SECRET)")
		http.Error(w, "webhook secret not configured", http.StatusServiceUnavailable)
		return
	}
	if httpguard.Declared(r, MaxBody) {
		w.Header().Set("Connection", "close")
		rc.Log.Warn("github webhook refused: body over the limit", "remote", r.RemoteAddr, "content_length", r.ContentLength, "limit", MaxBody)
		http.Error(w, fmt.Sprintf("body larger than %d bytes", MaxBody), http.StatusRequestEntityTooLarge)
		return
	}
	want, ok := parseSignature(r.Header.Get("X-Hub-Signature-256"))
	if !ok {
		w.Header().Set("Connection", "close")
		rc.Log.Warn("github webhook without a valid X-Hub-Signature-256", "remote", r.RemoteAddr, "delivery", r.Header.Get("X-GitHub-Delivery"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	event := r.Header.Get("X-GitHub-Event")
	mac := hmac.New(sha256.New, rc.Secret)
	var body []byte
	var err error
	if event == "pull_request" {
		body, err = httpguard.ReadBody(w, r, MaxBody, mac)
	} else {
		err = httpguard.Discard(w, r, MaxBody, mac)
	}
	switch {
	case errors.Is(err, httpguard.ErrTooLarge):
		rc.Log.Warn("github webhook refused: body over the limit", "remote", r.RemoteAddr, "limit", MaxBody)
		http.Error(w, fmt.Sprintf("body larger than %d bytes", MaxBody), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if !hmac.Equal(want, mac.Sum(nil)) {
		rc.Log.Warn("github webhook with a bad signature", "remote", r.RemoteAddr, "delivery", r.Header.Get("X-GitHub-Delivery"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	switch event {
	case "ping":
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("pong\n"))
		return
	case "pull_request":
	default:
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("ignored\n"))
		return
	}
	var ev pullRequestEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad pull_request payload", http.StatusBadRequest)
		return
	}
	switch ev.Action {
	case "opened", "synchronize", "reopened", "edited", "ready_for_review":
	default:
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("ignored\n"))
		return
	}
	owner, repo, ok := splitFullName(ev.Repository.FullName)
	number := ev.PullRequest.Number
	if number == 0 {
		number = ev.Number
	}
	if !ok || number == 0 || ev.PullRequest.Head.SHA == "" {
		http.Error(w, "pull_request payload lacks repository, number or head sha", http.StatusBadRequest)
		return
	}
	if !rc.Gated(ev.Repository.FullName) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("not a catalog repository\n"))
		return
	}
	pr := PullRequest{Owner: owner, Repo: repo, Number: number, SHA: ev.PullRequest.Head.SHA, Delivery: r.Header.Get("X-GitHub-Delivery")}
	if err := rc.Submit(r.Context(), pr); err != nil {
		var u Unavailable
		if errors.As(err, &u) {
			http.Error(w, u.Error(), http.StatusServiceUnavailable)
			return
		}
		rc.Log.Error("github webhook: gate not run", "repo", ev.Repository.FullName, "pr", number, "err", err)
		http.Error(w, "could not gate the pull request", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte("queued\n"))
}

// splitFullName splits a repository's full name ("owner/repo").
func splitFullName(s string) (owner, repo string, ok bool) {
	owner, repo, ok = strings.Cut(strings.TrimSpace(s), "/")
	return owner, repo, ok && owner != "" && repo != "" && !strings.Contains(repo, "/")
}
