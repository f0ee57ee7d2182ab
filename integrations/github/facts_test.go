package github

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRepoAPI speaks the REST shapes RepoFacts, LastDeployment,
// PullRequestFiles and CreateCommitStatus use, for one repository acme/shop.
type fakeRepoAPI struct {
	mu       sync.Mutex
	statuses []map[string]any
	down     bool
}

func (f *fakeRepoAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, `{"message":"unavailable"}`, http.StatusBadGateway)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	file := func(name, body string) map[string]any {
		return map[string]any{"type": "file", "name": name, "path": name, "encoding": "base64",
			"content": base64.StdEncoding.EncodeToString([]byte(body))}
	}
	switch {
	case r.Method == http.MethodGet && p == "/repos/acme/shop":
		_ = enc.Encode(map[string]any{"name": "shop", "default_branch": "main"})
	case r.Method == http.MethodGet && p == "/repos/acme/shop/readme":
		_ = enc.Encode(file("README.md", "# Shop\n\n## Runbook\nRestart it.\n"))
	case r.Method == http.MethodGet && p == "/repos/acme/shop/contents/.github/CODEOWNERS":
		_ = enc.Encode(file("CODEOWNERS", "* @acme/shop\n"))
	case r.Method == http.MethodGet && p == "/repos/acme/shop/contents/.github/workflows":
		_ = enc.Encode([]map[string]any{
			{"type": "file", "name": "ci.yml", "path": ".github/workflows/ci.yml"},
			{"type": "file", "name": "notes.txt", "path": ".github/workflows/notes.txt"},
		})
	case r.Method == http.MethodGet && p == "/repos/acme/shop/branches/main":
		_ = enc.Encode(map[string]any{"name": "main", "commit": map[string]any{"sha": "abc",
			"commit": map[string]any{"committer": map[string]any{"date": "2026-11-20T10:00:00Z"}}}})
	case r.Method == http.MethodGet && p == "/repos/acme/shop/deployments":
		if r.URL.Query().Get("environment") != "production" {
			_ = enc.Encode([]any{})
			return
		}
		_ = enc.Encode([]map[string]any{
			{"id": 3, "created_at": "2026-11-25T08:00:00Z"},
			{"id": 2, "created_at": "2026-11-10T08:00:00Z"},
		})
	case r.Method == http.MethodGet && p == "/repos/acme/shop/deployments/3/statuses":
		_ = enc.Encode([]map[string]any{{"state": "failure", "created_at": "2026-11-25T08:05:00Z"}})
	case r.Method == http.MethodGet && p == "/repos/acme/shop/deployments/2/statuses":
		_ = enc.Encode([]map[string]any{{"state": "success", "created_at": "2026-11-10T08:07:00Z"}})
	case r.Method == http.MethodGet && p == "/repos/acme/shop/pulls/7/files":
		if r.URL.Query().Get("page") == "2" {
			_ = enc.Encode([]map[string]any{{"filename": "catalog/b.yaml", "status": "removed"}})
			return
		}
		w.Header().Set("Link", `<`+"http://"+r.Host+r.URL.Path+`?page=2>; rel="next"`)
		_ = enc.Encode([]map[string]any{{"filename": "catalog/a.yaml", "status": "modified"}})
	case r.Method == http.MethodPost && p == "/repos/acme/shop/statuses/deadbeef":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.statuses = append(f.statuses, body)
		w.WriteHeader(http.StatusCreated)
		_ = enc.Encode(body)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not Found"}`))
	}
}

func newFactsTestClient(t *testing.T) (*Client, *fakeRepoAPI) {
	t.Helper()
	fake := &fakeRepoAPI{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.retry.minDelay = time.Millisecond
	c.retry.retries = 1
	return c, fake
}

func TestRepoFacts(t *testing.T) {
	c, fake := newFactsTestClient(t)
	ctx := context.Background()
	f, err := c.RepoFacts(ctx, "acme", "shop")
	if err != nil {
		t.Fatal(err)
	}
	if !f.HasReadme || !strings.Contains(f.Readme, "## Runbook") || !f.HasCodeowners || f.DefaultBranch != "main" {
		t.Fatalf("facts = %+v", f)
	}
	if len(f.Workflows) != 1 || f.Workflows[0] != "ci.yml" {
		t.Fatalf("workflows = %v", f.Workflows)
	}
	if want := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC); !f.LastCommit.Equal(want) {
		t.Fatalf("last commit = %v", f.LastCommit)
	}

	empty, err := c.RepoFacts(ctx, "acme", "gone")
	if err == nil {
		t.Fatalf("missing repository: facts %+v, want an error", empty)
	}

	fake.mu.Lock()
	fake.down = true
	fake.mu.Unlock()
	if _, err := c.RepoFacts(ctx, "acme", "shop"); err == nil {
		t.Fatal("GitHub down: want an error")
	}
}

func TestLastDeployment(t *testing.T) {
	c, _ := newFactsTestClient(t)
	at, ok, err := c.LastDeployment(context.Background(), "acme", "shop", "production")
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if want := time.Date(2026, 11, 10, 8, 7, 0, 0, time.UTC); !at.Equal(want) {
		t.Fatalf("last successful deployment at %v, want %v (the failed newer one is skipped)", at, want)
	}
	if _, ok, err := c.LastDeployment(context.Background(), "acme", "shop", "staging"); ok || err != nil {
		t.Fatalf("staging: ok=%v err=%v, want none", ok, err)
	}
}

func TestPullRequestFilesAndStatus(t *testing.T) {
	c, fake := newFactsTestClient(t)
	ctx := context.Background()
	files, err := c.PullRequestFiles(ctx, "acme", "shop", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Path != "catalog/a.yaml" || files[1].Status != "removed" {
		t.Fatalf("files = %+v", files)
	}
	long := strings.Repeat("x", 200)
	if err := c.CreateCommitStatus(ctx, "acme", "shop", "deadbeef", CommitStatus{State: StatusFailure, Context: "platbot/scorecard", Description: long}); err != nil {
		t.Fatal(err)
	}
	if len(fake.statuses) != 1 || fake.statuses[0]["context"] != "platbot/scorecard" || fake.statuses[0]["state"] != "failure" {
		t.Fatalf("statuses = %v", fake.statuses)
	}
	if d := fake.statuses[0]["description"].(string); len([]rune(d)) > 140 {
		t.Fatalf("description is %d runes", len([]rune(d)))
	}
}
