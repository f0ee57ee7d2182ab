package main

import (
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/github/githubfake"
)

// TestServeNewDBOnGitHub: the golden path driven through signed Slack
// requests opens its pull request on GitHub (a loopback fake of the REST
// API): one branch, one commit with every file, a PR body that says what
// the path creates.
func TestServeNewDBOnGitHub(t *testing.T) {
	gh := githubfake.New(t)
	b := startServeEnv(t, "", map[string]string{
		"PLATBOT_GITOPS_REPO": "acme/gitops", "GITHUB_TOKEN": "ghp_test_token", "GITHUB_API_URL": gh.URL(),
	})
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-db")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.submitModal("U0PAYALICE", "new-db", "V0GH", map[string][]string{
		"name": {"ledger-db"}, "owner": {"group:default/payments"}, "size": {"small"}, "storageGB": {"20"}, "environments": {"dev", "prod"},
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(gh.PullRequests()) == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	prs := gh.PullRequests()
	if len(prs) != 1 {
		t.Fatalf("pull requests = %d, want 1", len(prs))
	}
	pr := prs[0]
	if !strings.HasPrefix(pr.Head, "plat/") || pr.Base != "main" || !strings.Contains(pr.Body, "ledger-db") {
		t.Fatalf("PR = %+v", pr)
	}
	if n := gh.CommitsAhead(pr.Head); n != 1 {
		t.Fatalf("the branch has %d commits, want exactly one", n)
	}
	files := gh.BranchFiles(pr.Head)
	for _, want := range []string{"dev/postgres-instance.yaml", "prod/postgres-instance.yaml", "dev/external-secret.yaml", "migrations/0001_init.sql", "catalog-info.yaml"} {
		found := false
		for p := range files {
			if strings.HasSuffix(p, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("the commit lacks %s (has %d files)", want, len(files))
		}
	}
	for _, r := range gh.Requests() {
		if strings.Contains(r.Body, "ghp_test_token") {
			t.Fatalf("the token leaked into a request body: %s %s", r.Method, r.Path)
		}
	}
}
