package scorecard

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/httpguard"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/store"
)

// GateVerdict says whether a service may be in production: its grade on
// required checks must be at least the configured minimum (B), and no
// required check may be unknown unless it says `unknownAs: pass`.
type GateVerdict struct {
	Service  string      `json:"service"`
	Ref      string      `json:"ref"`
	Grade    grade.Grade `json:"grade"`
	MinGrade grade.Grade `json:"min_grade"`
	// Incomplete is set when some required check is unknown.
	Incomplete bool                `json:"incomplete,omitempty"`
	Pass       bool                `json:"pass"`
	Gaps       []grade.CheckResult `json:"gaps,omitempty"`
	// Unknown are the required checks that are unknown and block: an
	// unknown check is not a pass.
	Unknown []grade.CheckResult `json:"unknown,omitempty"`
	// UnknownAllowed are the required checks that are unknown but marked
	// `unknownAs: pass`: shown, not blocking.
	UnknownAllowed []grade.CheckResult `json:"unknown_allowed,omitempty"`
}

func checkIDs(cs []grade.CheckResult) string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

// Summary is the verdict in one line (a commit status description): the
// grade, the gaps when it is too low, and "unknown: <checks>" for the
// unknown required checks that block.
func (v GateVerdict) Summary() string {
	s := fmt.Sprintf("%s: grade %s on required checks", v.Service, v.Grade.Label(v.Incomplete))
	if v.Pass {
		if len(v.UnknownAllowed) > 0 {
			s += " (unknown, passed by unknownAs: " + checkIDs(v.UnknownAllowed) + ")"
		}
		return s
	}
	if !v.Grade.AtLeast(v.MinGrade) {
		s += ", needs " + string(v.MinGrade)
		if len(v.Gaps) > 0 {
			s += ": " + checkIDs(v.Gaps)
		}
	}
	if len(v.Unknown) > 0 {
		s += "; unknown: " + checkIDs(v.Unknown)
	}
	return s
}

// Gate judges a scored service. Its grade on required checks must reach the
// minimum, and every required check must be known: an unknown one fails
// the gate unless the check is configured `unknownAs: pass`.
func (s *Scorecards) Gate(r *grade.Result) GateVerdict {
	v := GateVerdict{Service: r.Name, Ref: r.Ref, Grade: r.RequiredGrade, MinGrade: s.cfg.Gate.MinGrade,
		Incomplete: r.RequiredIncomplete, Gaps: r.RequiredGaps()}
	for _, c := range r.Checks {
		switch {
		case c.Blocking():
			v.Unknown = append(v.Unknown, c)
		case c.Phase == grade.PhaseRequired && c.Status == grade.StatusUnknown:
			v.UnknownAllowed = append(v.UnknownAllowed, c)
		}
	}
	grade.SortBySeverity(v.Unknown)
	grade.SortBySeverity(v.UnknownAllowed)
	v.Pass = v.Grade.AtLeast(v.MinGrade) && len(v.Unknown) == 0
	return v
}

func (s *Scorecards) handleGate(ctx context.Context, req *bot.Request) error {
	r, err := s.Score(ctx, req.Arg(0))
	if err != nil {
		return err
	}
	return req.Reply(ctx, gateMessage(s.Gate(r)))
}

func gateMessage(v GateVerdict) bot.Message {
	grade := v.Grade.Label(v.Incomplete)
	head := fmt.Sprintf("✅ %s may be in production: grade %s on required checks (needs %s).", v.Service, grade, v.MinGrade)
	if !v.Pass {
		head = fmt.Sprintf("⛔ %s may not be in production: grade %s on required checks (needs %s).", v.Service, grade, v.MinGrade)
		if len(v.Unknown) > 0 {
			head += fmt.Sprintf(" Unknown: %s — an unknown required check is not a pass.", checkIDs(v.Unknown))
		}
	}
	lines := []string{head}
	for _, g := range v.Gaps {
		lines = append(lines, checkLine(g))
	}
	for _, u := range v.Unknown {
		lines = append(lines, checkLine(u))
	}
	if len(v.UnknownAllowed) > 0 {
		lines = append(lines, "*Unknown, passed by the check's `unknownAs: pass`:*")
		for _, u := range v.UnknownAllowed {
			lines = append(lines, checkLine(u))
		}
	}
	blocks := sections(lines)
	blocks = append(blocks, bot.Context{Text: "Gate: no lifecycle: production without grade ≥ " + string(v.MinGrade) +
		" on required checks and every required check known (unless the check says `unknownAs: pass`)."})
	return bot.Message{Text: head, Blocks: blocks}
}

// MaxWebhookBody bounds a webhook delivery. A pull_request event is tens of
// kilobytes (a long description included); GitHub allows any event up to
// 25 MB, which the gate never needs. A larger body is answered 413: by its
// Content-Length before anything is read, or as soon as the limit is passed.
const MaxWebhookBody = 2 << 20

// MaxWebhooksInFlight bounds the deliveries served at once; one more is
// answered 503 (GitHub shows it as a failed delivery to redeliver).
const MaxWebhooksInFlight = 16

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

// gateJobPayload is a pull request to gate.
type gateJobPayload struct {
	Owner    string `json:"owner"`
	Repo     string `json:"repo"`
	Number   int    `json:"number"`
	SHA      string `json:"sha"`
	Delivery string `json:"delivery,omitempty"`
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

// WebhookHandler serves POST /github/webhook. Every delivery must carry a
// valid X-Hub-Signature-256 made with GITHUB_WEBHOOK_SECRET (else 401).
// pull_request events (opened, synchronize, reopened, edited) on catalog
// repositories are gated as a durable job (202); ping is answered; other
// events are ignored. At most MaxWebhooksInFlight deliveries are served at
// once and none larger than MaxWebhookBody is read.
func (s *Scorecards) WebhookHandler() http.Handler {
	return s.webhookHandler(httpguard.NewLimit(MaxWebhooksInFlight))
}

func (s *Scorecards) webhookHandler(l *httpguard.Limit) http.Handler {
	return httpguard.Wrap(http.HandlerFunc(s.serveWebhook), l, func(r *http.Request) {
		s.log.Warn("github webhook refused: too many deliveries in flight", "limit", l.Cap(), "remote", r.RemoteAddr)
	})
}

// serveWebhook refuses what it can before reading the body — a declared
// length over MaxWebhookBody, a missing or malformed signature — then
// streams the body through the HMAC, keeping it only for a pull_request
// event (the one payload it reads), and compares the signature at the end.
func (s *Scorecards) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if len(s.secret) == 0 {
		s.log.Error("github webhook refused: no webhook secret is configured (GITHUB_WEBHOOK_SECRET)")
		http.Error(w, "webhook secret not configured", http.StatusServiceUnavailable)
		return
	}
	if httpguard.Declared(r, MaxWebhookBody) {
		w.Header().Set("Connection", "close")
		s.log.Warn("github webhook refused: body over the limit", "remote", r.RemoteAddr, "content_length", r.ContentLength, "limit", MaxWebhookBody)
		http.Error(w, fmt.Sprintf("body larger than %d bytes", MaxWebhookBody), http.StatusRequestEntityTooLarge)
		return
	}
	want, ok := parseSignature(r.Header.Get("X-Hub-Signature-256"))
	if !ok {
		w.Header().Set("Connection", "close")
		s.log.Warn("github webhook without a valid X-Hub-Signature-256", "remote", r.RemoteAddr, "delivery", r.Header.Get("X-GitHub-Delivery"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	event := r.Header.Get("X-GitHub-Event")
	mac := hmac.New(sha256.New, s.secret)
	var body []byte
	var err error
	if event == "pull_request" {
		body, err = httpguard.ReadBody(w, r, MaxWebhookBody, mac)
	} else {
		err = httpguard.Discard(w, r, MaxWebhookBody, mac)
	}
	switch {
	case errors.Is(err, httpguard.ErrTooLarge):
		s.log.Warn("github webhook refused: body over the limit", "remote", r.RemoteAddr, "limit", MaxWebhookBody)
		http.Error(w, fmt.Sprintf("body larger than %d bytes", MaxWebhookBody), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if !hmac.Equal(want, mac.Sum(nil)) {
		s.log.Warn("github webhook with a bad signature", "remote", r.RemoteAddr, "delivery", r.Header.Get("X-GitHub-Delivery"))
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
	owner, repo, ok := facts.SplitSlug(ev.Repository.FullName)
	number := ev.PullRequest.Number
	if number == 0 {
		number = ev.Number
	}
	if !ok || number == 0 || ev.PullRequest.Head.SHA == "" {
		http.Error(w, "pull_request payload lacks repository, number or head sha", http.StatusBadRequest)
		return
	}
	if !s.gatedRepo(ev.Repository.FullName) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("not a catalog repository\n"))
		return
	}
	if s.gh == nil {
		http.Error(w, "gate has no GitHub client", http.StatusServiceUnavailable)
		return
	}
	p := gateJobPayload{Owner: owner, Repo: repo, Number: number, SHA: ev.PullRequest.Head.SHA, Delivery: r.Header.Get("X-GitHub-Delivery")}
	ctx := r.Context()
	if rt := s.getRouter(); rt != nil {
		_, err = rt.Enqueue(ctx, bot.JobSpec{Kind: JobGate, Payload: p,
			DedupeKey: fmt.Sprintf("scorecard.gate:%s/%s#%d@%s", owner, repo, number, p.SHA)})
	} else {
		_, err = s.GatePullRequest(ctx, p.Owner, p.Repo, p.Number, p.SHA)
	}
	if err != nil {
		s.log.Error("github webhook: gate not run", "repo", ev.Repository.FullName, "pr", number, "err", err)
		http.Error(w, "could not gate the pull request", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte("queued\n"))
}

func (s *Scorecards) gatedRepo(fullName string) bool {
	if len(s.cfg.Gate.Repos) == 0 {
		return true
	}
	for _, r := range s.cfg.Gate.Repos {
		if strings.EqualFold(strings.TrimSpace(r), fullName) {
			return true
		}
	}
	return false
}

func (s *Scorecards) gateJob(ctx context.Context, payload json.RawMessage) error {
	var p gateJobPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return bot.Permanent(fmt.Errorf("decode gate job: %w", err))
	}
	_, err := s.GatePullRequest(ctx, p.Owner, p.Repo, p.Number, p.SHA)
	return err
}

// GatePullRequest reads the catalog files a pull request changes (at its
// head), finds the components it moves to lifecycle production, grades
// each on required checks, and sets the "platbot/scorecard" commit status on
// the head: failure listing the gaps when one grades below the minimum,
// success otherwise.
func (s *Scorecards) GatePullRequest(ctx context.Context, owner, repo string, number int, sha string) ([]GateVerdict, error) {
	if s.gh == nil {
		return nil, errors.New("scorecard gate: no GitHub client configured")
	}
	files, err := s.gh.PullRequestFiles(ctx, owner, repo, number)
	if err != nil {
		return nil, fmt.Errorf("gate %s/%s#%d: %w", owner, repo, number, err)
	}
	var moving []*catalog.Entity
	for _, f := range files {
		if f.Status == "removed" {
			continue
		}
		if ext := strings.ToLower(path.Ext(f.Path)); ext != ".yaml" && ext != ".yml" {
			continue
		}
		b, err := s.gh.GetFile(ctx, owner, repo, f.Path, sha)
		if err != nil {
			return nil, fmt.Errorf("gate %s/%s#%d: read %s: %w", owner, repo, number, f.Path, err)
		}
		for _, e := range parseEntities(b) {
			if !strings.EqualFold(e.Kind, catalog.KindComponent) || e.Lifecycle() != "production" {
				continue
			}
			if cur, ok := s.cat.Get(e.Ref()); ok && cur.Lifecycle() == "production" {
				continue // already in production: this PR does not move it
			}
			moving = append(moving, e)
		}
	}
	now := s.now()
	var verdicts []GateVerdict
	if len(moving) > 0 {
		rs, err := s.scoreEntities(ctx, moving, now)
		if err != nil {
			return nil, fmt.Errorf("gate %s/%s#%d: %w", owner, repo, number, err)
		}
		for _, r := range rs {
			verdicts = append(verdicts, s.Gate(r))
		}
	}
	st := github.CommitStatus{State: github.StatusSuccess, Context: s.cfg.Gate.Context, TargetURL: s.cfg.Gate.TargetURL,
		Description: "No component moves to production in this pull request"}
	var failing, passing []string
	for _, v := range verdicts {
		if v.Pass {
			passing = append(passing, v.Summary())
		} else {
			failing = append(failing, v.Summary())
		}
	}
	switch {
	case len(failing) > 0:
		st.State, st.Description = github.StatusFailure, strings.Join(failing, "; ")
	case len(passing) > 0:
		st.Description = strings.Join(passing, "; ")
	}
	if err := s.gh.CreateCommitStatus(ctx, owner, repo, sha, st); err != nil {
		return verdicts, fmt.Errorf("gate %s/%s#%d: %w", owner, repo, number, err)
	}
	s.audit(ctx, store.Event{
		ActorID: "github", Action: "scorecard.gate", Target: fmt.Sprintf("%s/%s#%d", owner, repo, number),
		Decision: map[bool]string{true: "deny", false: "allow"}[len(failing) > 0], Outcome: st.State,
		Details: map[string]any{"sha": sha, "entities": len(moving), "description": st.Description},
	})
	s.log.Info("scorecard gate", "repo", owner+"/"+repo, "pr", number, "state", st.State, "entities", len(moving))
	return verdicts, nil
}

// parseEntities reads the catalog entities of a YAML file with one or more
// documents; documents that are not entities are skipped (the catalog's
// own validation reports them on the pull request's merge).
func parseEntities(b []byte) []*catalog.Entity {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []*catalog.Entity
	for {
		var e catalog.Entity
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return out
		}
		if e.Kind == "" || e.Metadata.Name == "" {
			continue
		}
		out = append(out, &e)
	}
}
