package scorecard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/github"
)

// fakeGitHub speaks the REST shapes the gate uses on loopback: a pull
// request's files, file contents at a ref, and commit statuses.
type fakeGitHub struct {
	mu       sync.Mutex
	files    map[int][]map[string]any // PR number → files
	contents map[string]string        // path@ref → content
	statuses []map[string]any
	paths    []string
}

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
	g.paths = append(g.paths, r.Method+" "+p)
	w.Header().Set("Content-Type", "application/json")
	var n int
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/repos/acme/catalog/pulls/"):
		if _, err := fmt.Sscanf(p, "/repos/acme/catalog/pulls/%d/files", &n); err != nil {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(g.files[n])
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/repos/acme/catalog/contents/"):
		path := strings.TrimPrefix(p, "/repos/acme/catalog/contents/")
		body, ok := g.contents[path+"@"+r.URL.Query().Get("ref")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Not Found"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "file", "path": path, "encoding": "base64",
			"content": base64.StdEncoding.EncodeToString([]byte(body))})
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/repos/acme/catalog/statuses/"):
		var st map[string]any
		_ = json.NewDecoder(r.Body).Decode(&st)
		st["sha"] = strings.TrimPrefix(p, "/repos/acme/catalog/statuses/")
		g.statuses = append(g.statuses, st)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(st)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not Found"}`))
	}
}

func (g *fakeGitHub) lastStatus() map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.statuses) == 0 {
		return nil
	}
	return g.statuses[len(g.statuses)-1]
}

const prReports = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: reports-service
  annotations:
    github.com/project-slug: acme/reports-service
spec:
  type: service
  lifecycle: production
  owner: reports
  system: reporting
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: reports-api
spec:
  type: graphql
  lifecycle: production
  owner: reports
`

const prPayments = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-service
spec:
  type: service
  lifecycle: production
  owner: payments
`

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func prEvent(number int, sha, repo string) string {
	return fmt.Sprintf(`{"action":"synchronize","number":%d,"pull_request":{"number":%d,"head":{"sha":%q}},"repository":{"full_name":%q}}`, number, number, sha, repo)
}

func postHook(t *testing.T, h http.Handler, event, body, signature string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/github/webhook", strings.NewReader(body))
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "d-1")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func gateFixture(t *testing.T) (*fixture, *fakeGitHub) {
	t.Helper()
	// Before the pull requests, reports-service and payments-service are
	// not in production yet.
	ents := seedEntities()
	for _, e := range ents {
		if e.Metadata.Name == "reports-service" || e.Metadata.Name == "payments-service" {
			e.Spec["lifecycle"] = "experimental"
		}
	}
	fake := &fakeGitHub{
		files: map[int][]map[string]any{
			12: {{"filename": "catalog/reports.yaml", "status": "modified"}, {"filename": "README.md", "status": "modified"}, {"filename": "catalog/old.yaml", "status": "removed"}},
			13: {{"filename": "teams/payments/catalog-info.yaml", "status": "modified"}},
			14: {{"filename": "catalog/checkout.yaml", "status": "modified"}},
		},
		contents: map[string]string{
			"catalog/reports.yaml@sha-12":              prReports,
			"teams/payments/catalog-info.yaml@sha-13":  prPayments,
			"catalog/checkout.yaml@sha-14":             "kind: Component\nmetadata: {name: checkout-service}\nspec: {lifecycle: production, owner: checkout}\n",
			"catalog/reports.yaml@not-the-head-commit": "kind: Component\n",
		},
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	gh, err := github.New(srv.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{entities: ents, config: Config{Gate: GateConfig{Repos: []string{"acme/catalog"}}}})
	f.s.gh = gh
	return f, fake
}

func TestWebhookGate(t *testing.T) {
	f, fake := gateFixture(t)
	ctx := context.Background()
	h := f.s.WebhookHandler()

	// A forged signature is refused and does nothing.
	body := prEvent(12, "sha-12", "acme/catalog")
	if rec := postHook(t, h, "pull_request", body, sign("not-the-secret", body)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("forged signature: %d", rec.Code)
	}
	if rec := postHook(t, h, "pull_request", body, ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("no signature: %d", rec.Code)
	}
	tampered := strings.Replace(body, "sha-12", "sha-99", 1)
	if rec := postHook(t, h, "pull_request", tampered, sign("whsec", body)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("tampered body: %d", rec.Code)
	}
	if len(f.q.kinds("")) != 0 || fake.lastStatus() != nil {
		t.Fatal("a refused delivery had an effect")
	}

	// A valid one is queued as a job and gated: reports-service grades D
	// on required checks, so the status fails and lists the gaps.
	if rec := postHook(t, h, "pull_request", body, sign("whsec", body)); rec.Code != http.StatusAccepted {
		t.Fatalf("valid delivery: %d %s", rec.Code, rec.Body)
	}
	// A redelivery of the same head is not gated twice.
	postHook(t, h, "pull_request", body, sign("whsec", body))
	if got := f.q.kinds(""); len(got) != 1 || got[0] != JobGate {
		t.Fatalf("jobs = %v", got)
	}
	if _, err := f.r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	st := fake.lastStatus()
	if st == nil {
		t.Fatal("no commit status set")
	}
	desc, _ := st["description"].(string)
	if st["state"] != "failure" || st["context"] != "platbot/scorecard" || st["sha"] != "sha-12" {
		t.Fatalf("status = %v", st)
	}
	for _, want := range []string{"reports-service", "grade D", "needs B", "no-critical-cves", "has-on-call", "deploys-recently"} {
		if !strings.Contains(desc, want) {
			t.Errorf("description %q lacks %q", desc, want)
		}
	}
	fake.mu.Lock()
	for _, p := range fake.paths {
		if strings.Contains(p, "README.md") || strings.Contains(p, "old.yaml") {
			t.Errorf("gate read a file it should skip: %s", p)
		}
	}
	fake.mu.Unlock()

	// payments-service grades B: success.
	body = prEvent(13, "sha-13", "acme/catalog")
	postHook(t, h, "pull_request", body, sign("whsec", body))
	if _, err := f.r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if st := fake.lastStatus(); st["state"] != "success" || !strings.Contains(st["description"].(string), "payments-service: grade B") {
		t.Fatalf("payments status = %v", st)
	}

	// checkout-service is already in production: nothing moves, success.
	body = prEvent(14, "sha-14", "acme/catalog")
	postHook(t, h, "pull_request", body, sign("whsec", body))
	if _, err := f.r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if st := fake.lastStatus(); st["state"] != "success" || !strings.Contains(st["description"].(string), "No component moves") {
		t.Fatalf("checkout status = %v", st)
	}

	acts := strings.Join(outcomes(f.audit), " ")
	if !strings.Contains(acts, "scorecard.gate/failure") || !strings.Contains(acts, "scorecard.gate/success") {
		t.Errorf("gate decisions not audited: %s", acts)
	}
}

func TestWebhookOtherEvents(t *testing.T) {
	f, fake := gateFixture(t)
	h := f.s.WebhookHandler()
	if rec := postHook(t, h, "ping", `{"zen":"hi"}`, sign("whsec", `{"zen":"hi"}`)); rec.Code != http.StatusOK {
		t.Fatalf("ping: %d", rec.Code)
	}
	body := prEvent(12, "sha-12", "acme/not-the-catalog")
	if rec := postHook(t, h, "pull_request", body, sign("whsec", body)); rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), "not a catalog repository") {
		t.Fatalf("other repo: %d %s", rec.Code, rec.Body)
	}
	closed := strings.Replace(prEvent(12, "sha-12", "acme/catalog"), "synchronize", "closed", 1)
	if rec := postHook(t, h, "pull_request", closed, sign("whsec", closed)); rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), "ignored") {
		t.Fatalf("closed PR: %d %s", rec.Code, rec.Body)
	}
	req := httptest.NewRequest(http.MethodGet, "/github/webhook", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", rec.Code)
	}
	if len(f.q.kinds("")) != 0 || fake.lastStatus() != nil {
		t.Fatal("ignored events had an effect")
	}
}

func TestGateCommand(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	out := f.run(t, "U1", "scorecard gate reports-service")
	for _, want := range []string{"⛔ reports-service may not be in production: grade D", "no-critical-cves", "How to fix"} {
		if !strings.Contains(out, want) {
			t.Errorf("gate reply lacks %q:\n%s", want, out)
		}
	}
	if out := f.run(t, "U1", "scorecard gate payments-service"); !strings.Contains(out, "✅ payments-service may be in production: grade B") {
		t.Errorf("payments gate: %s", out)
	}
}

func TestParseEntities(t *testing.T) {
	es := parseEntities([]byte(prReports + "\n---\nnot: an entity\n"))
	if len(es) != 2 || es[0].Ref() != "component:default/reports-service" || es[0].Lifecycle() != "production" || es[1].Kind != catalog.KindAPI {
		t.Fatalf("entities = %+v", es)
	}
}
