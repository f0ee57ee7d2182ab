package scorecard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/integrations/github"
)

// FuzzScorecardConfig reads an arbitrary scorecard section of platbot.yaml
// (and the same bytes as a check file), compiles its checks' CEL and
// scores a service with them against the example facts. Nothing may panic;
// every check either compiles or is reported with an error; compiled ids
// are trimmed, unique and free of the separators ids may not hold; every
// result has a known status.
func FuzzScorecardConfig(f *testing.F) {
	for _, p := range []string{"../../examples/scorecard/config.yaml", "../../examples/scorecard/checks.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("checks:\n  - id: has-owner-channel\n    severity: low\n    rule: owner.slackChannel != \"\"\n    filter: entity.lifecycle == \"production\"\n    phase: highlighted from 2027-01-01\n  - id: ' spaced '\n    severity: urgent\n    rule: 1\n  - id: a:b\n    rule: true\n    phase: [1]\n"))
	f.Add([]byte("digest: {schedule: '0 9 * * MON', timezone: Europe/Paris}\ngate: {minGrade: Z}\nrefresh: nonsense\n"))
	f.Add([]byte("- id: bare\n  severity: high\n  rule: vulns.critical == 0 && deploys.last >= now - duration(\"720h\")\n"))
	ef, err := facts.LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	if err != nil {
		f.Fatal(err)
	}
	provs := ef.Providers()
	seed := catalogtest.FromEntities(f, seedEntities()...)
	h := newHarness(f) // grading only reads the store
	f.Fuzz(func(t *testing.T, data []byte) {
		// The same bytes as a check file.
		specs, errs := grade.ParseChecks(data)
		cs := grade.CompileChecks(specs)
		checkSet(t, cs, len(specs))
		_ = errs

		cfg, err := ParseConfig(data)
		if err != nil {
			return
		}
		cfg.CheckFiles = nil // no reading of arbitrary paths
		// The built-in checks are not under test; compiling them every time
		// would take most of the budget.
		cfg.NoDefaultChecks = true
		verr := cfg.Validate()
		s, err := New(cfg, Deps{Catalog: seed, Store: h.Store,
			Providers: provs, Logger: quietLogger(), Now: h.Clock.Now})
		if (err == nil) != (verr == nil) {
			t.Fatalf("Validate says %v but New says %v", verr, err)
		}
		if err != nil {
			return
		}
		checkSet(t, s.Checks(), -1)
		r, err := s.Score(context.Background(), "payments-service")
		if err != nil {
			t.Fatalf("score: %v", err)
		}
		for _, c := range r.Checks {
			switch c.Status {
			case grade.StatusPass, grade.StatusFail, grade.StatusUnknown, grade.StatusWaived:
			default:
				t.Fatalf("check %s has status %q", c.ID, c.Status)
			}
			if _, ok := s.Checks().Get(c.ID); !ok {
				t.Fatalf("result for check %q, which is not loaded", c.ID)
			}
		}
	})
}

// checkSet checks the invariants of compiled checks; specs is how many
// specs were compiled (-1 when unknown).
func checkSet(t *testing.T, cs *grade.CheckSet, specs int) {
	t.Helper()
	if specs >= 0 && len(cs.Checks) > specs {
		t.Fatalf("%d checks from %d specs", len(cs.Checks), specs)
	}
	seen := map[string]bool{}
	for _, c := range cs.Checks {
		if c.ID == "" || c.ID != strings.TrimSpace(c.ID) || strings.ContainsAny(c.ID, " \t:|/") {
			t.Fatalf("compiled check with id %q", c.ID)
		}
		if seen[c.ID] {
			t.Fatalf("check %q compiled twice", c.ID)
		}
		seen[c.ID] = true
		if got, ok := cs.Get(c.ID); !ok || got != c {
			t.Fatalf("check %q not found by id", c.ID)
		}
	}
	for _, e := range cs.Errors {
		if e.Err == nil || e.Error() == "" {
			t.Fatalf("check error without a cause: %+v", e)
		}
	}
}

// noGitHub is a gate GitHub client that is never reached: webhooks queue
// a job, which the fuzz target does not run.
type noGitHub struct{}

var errNotReached = errors.New("not reached in the webhook path")

func (noGitHub) PullRequestFiles(context.Context, string, string, int) ([]github.PRFile, error) {
	return nil, errNotReached
}
func (noGitHub) GetFile(context.Context, string, string, string, string) ([]byte, error) {
	return nil, errNotReached
}
func (noGitHub) CreateCommitStatus(context.Context, string, string, string, github.CommitStatus) error {
	return errNotReached
}

// FuzzGitHubWebhook posts arbitrary GitHub webhook deliveries (event name,
// body, signed with the webhook secret or not) to the gate's handler. An
// unsigned delivery is refused with 401 and changes nothing; a signed one
// is answered 200 (ping), 202 or 400, never a server error; a queued gate
// names a pull request (number, head sha) of a gated repository.
func FuzzGitHubWebhook(f *testing.F) {
	f.Add("pull_request", []byte(prEvent(12, "sha-12", "acme/catalog")), true)
	f.Add("pull_request", []byte(`{"action":"opened","number":7,"pull_request":{"head":{"sha":"abc"}},"repository":{"full_name":"ACME/Catalog"}}`), true)
	f.Add("pull_request", []byte(`{"action":"closed","number":7,"pull_request":{"number":7,"head":{"sha":"abc"}},"repository":{"full_name":"acme/catalog"}}`), true)
	f.Add("pull_request", []byte(`{"action":"synchronize","pull_request":{"number":1,"head":{"sha":"x"}},"repository":{"full_name":"acme/other"}}`), true)
	f.Add("ping", []byte(`{"zen":"Design for failure.","hook_id":1}`), true)
	f.Add("push", []byte(`{"ref":"refs/heads/main"}`), true)
	f.Add("pull_request", []byte(prEvent(12, "sha-12", "acme/catalog")), false)
	f.Add("pull_request", []byte(`{"action":"opened","number":1e3}`), true)
	seed := catalogtest.FromEntities(f, seedEntities()...)
	f.Fuzz(func(t *testing.T, event string, body []byte, signed bool) {
		// Each delivery gets a queue of its own: the kit's harness in the
		// input's temporary folder ("seed#0").
		h := newHarness(t)
		q := queueView{h.Store}
		s, err := New(Config{Gate: GateConfig{Repos: []string{"acme/catalog"}}}, Deps{Catalog: seed,
			Store: h.Store, GitHub: noGitHub{}, Logger: quietLogger(), Now: h.Clock.Now, WebhookSecret: "whsec"})
		if err != nil {
			t.Fatal(err)
		}
		if err := bot.NewRegistry(h.Router, nil).Install(s); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/github/webhook", strings.NewReader(string(body)))
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", "d-1")
		sig := "sha256=00"
		if signed {
			sig = sign("whsec", string(body))
		}
		req.Header.Set("X-Hub-Signature-256", sig)
		rec := httptest.NewRecorder()
		s.WebhookHandler().ServeHTTP(rec, req)

		jobs := q.kinds("")
		switch {
		case !signed:
			if rec.Code != http.StatusUnauthorized || len(jobs) != 0 {
				t.Fatalf("unsigned delivery answered %d with %d jobs", rec.Code, len(jobs))
			}
			return
		case rec.Code == http.StatusOK && event == "ping":
		case rec.Code == http.StatusAccepted, rec.Code == http.StatusBadRequest:
		default:
			t.Fatalf("%s delivery answered %d: %s", event, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), "queued") {
			if len(jobs) != 0 {
				t.Fatalf("%d answered %q but queued %v", rec.Code, rec.Body, jobs)
			}
			return
		}
		if event != "pull_request" || len(jobs) != 1 || jobs[0] != JobGate {
			t.Fatalf("%s delivery queued %v", event, jobs)
		}
		var p gateJobPayload
		queued, err := h.Store.Jobs(context.Background(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(queued[0].Payload, &p); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(p.Owner+"/"+p.Repo, "acme/catalog") || p.Number == 0 || p.SHA == "" {
			t.Fatalf("queued gate %+v from %s", p, body)
		}
	})
}
