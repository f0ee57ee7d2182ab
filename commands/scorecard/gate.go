package scorecard

import (
	"bytes"
	"context"
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
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/commands/scorecard/webhook"
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

// gateJobPayload is a pull request to gate.
type gateJobPayload struct {
	Owner    string `json:"owner"`
	Repo     string `json:"repo"`
	Number   int    `json:"number"`
	SHA      string `json:"sha"`
	Delivery string `json:"delivery,omitempty"`
}

// WebhookHandler serves POST /github/webhook (see package webhook): every
// delivery must carry a valid X-Hub-Signature-256 made with
// GITHUB_WEBHOOK_SECRET; pull_request events on catalog repositories are
// gated as a durable job.
func (s *Scorecards) WebhookHandler() http.Handler {
	return s.webhookHandler(httpguard.NewLimit(webhook.MaxInFlight))
}

func (s *Scorecards) webhookHandler(l *httpguard.Limit) http.Handler {
	rc := &webhook.Receiver{Secret: s.secret, Gated: s.gatedRepo, Submit: s.submitGate, Log: s.log}
	return rc.Handler(l)
}

// submitGate queues the gating of a pull request a delivery named (or runs
// it at once when the feature is not registered with a router).
func (s *Scorecards) submitGate(ctx context.Context, pr webhook.PullRequest) error {
	if s.gh == nil {
		return webhook.Unavailable("gate has no GitHub client")
	}
	p := gateJobPayload{Owner: pr.Owner, Repo: pr.Repo, Number: pr.Number, SHA: pr.SHA, Delivery: pr.Delivery}
	if rt := s.getRouter(); rt != nil {
		_, err := rt.Enqueue(ctx, bot.JobSpec{Kind: JobGate, Payload: p,
			DedupeKey: fmt.Sprintf("scorecard.gate:%s/%s#%d@%s", p.Owner, p.Repo, p.Number, p.SHA)})
		return err
	}
	_, err := s.GatePullRequest(ctx, p.Owner, p.Repo, p.Number, p.SHA)
	return err
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
