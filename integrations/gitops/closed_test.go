package gitops

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// A pull request that is no longer open is found again, not reopened:
// the publisher and the repositories answer it with Closed set and change
// nothing (no new pull request, no label), on GitHub (declined or merged
// there) and in local git (its branch deleted, or its commit on the base
// branch); an open one is not Closed.
func TestOpenTellsAClosedPullRequest(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	fake, c := fakeGitHub(t)
	gh, err := GitHub(c, "acme/gitops", github.PullRequestOptions{Attempts: 2, MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "gitops")
	repo, err := gitlocal.Open(ctx, dir, gitlocal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	fake.AddRepo("acme/orders", map[string]string{"README.md": "orders\n"})
	reposDir := t.TempDir()
	local := LocalRepositories(reposDir)
	if _, err := local.Create(ctx, github.RepositorySpec{Owner: "acme", Name: "orders", Marker: "r1", Files: []github.NewFile{{Path: "README.md", Content: []byte("orders\n")}}}); err != nil {
		t.Fatal(err)
	}
	ordersDir := filepath.Join(reposDir, "acme", "orders")
	localPulls := func(dir string) func() int {
		return func() int {
			r, err := gitlocal.Open(ctx, dir, gitlocal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			prs, err := r.PullRequests(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(prs)
		}
	}
	ghDecline := func(slug string) func(*PullRequest) {
		return func(pr *PullRequest) {
			if err := fake.Close(slug, pr.Number); err != nil {
				t.Fatal(err)
			}
		}
	}
	ghMerge := func(slug string) func(*PullRequest) {
		return func(pr *PullRequest) {
			if err := fake.Merge(slug, pr.Branch); err != nil {
				t.Fatal(err)
			}
		}
	}
	localDecline := func(dir string) func(*PullRequest) {
		return func(pr *PullRequest) { gitOut(t, dir, "branch", "--quiet", "-D", pr.Branch) }
	}
	localMerge := func(dir string) func(*PullRequest) {
		return func(pr *PullRequest) { gitOut(t, dir, "update-ref", "refs/heads/main", pr.Commit) }
	}
	inRepo := func(r *Repositories) func(Change) (*PullRequest, error) {
		return func(ch Change) (*PullRequest, error) {
			pr, _, err := r.OpenPullRequest(ctx, "acme", "orders", RepoPullRequest{Change: ch})
			return pr, err
		}
	}
	for _, tc := range []struct {
		name           string
		open           func(Change) (*PullRequest, error)
		decline, merge func(*PullRequest)
		pulls          func() int
		labels         func(number int) []string
	}{
		{"GitHub GitOps publisher", func(ch Change) (*PullRequest, error) { return gh.Open(ctx, ch) }, ghDecline("acme/gitops"), ghMerge("acme/gitops"),
			func() int { return len(fake.PullRequests()) }, func(n int) []string { return fake.PullRequests()[n-1].Labels }},
		{"local GitOps publisher", func(ch Change) (*PullRequest, error) { return Local(repo).Open(ctx, ch) }, localDecline(dir), localMerge(dir),
			localPulls(dir), nil},
		{"GitHub repositories", inRepo(GitHubRepositories(c)), ghDecline("acme/orders"), ghMerge("acme/orders"),
			func() int { return len(fake.PullRequestsIn("acme/orders")) }, func(n int) []string { return fake.PullRequestsIn("acme/orders")[n-1].Labels }},
		{"local repositories", inRepo(local), localDecline(ordersDir), localMerge(ordersDir), localPulls(ordersDir), nil},
	} {
		declined, merged := change(), change()
		merged.Branch = "plat/r2-new-db"
		var numbers []int
		for _, ch := range []Change{declined, merged} {
			pr, err := tc.open(ch)
			if err != nil || pr.Closed || !pr.Created {
				t.Fatalf("%s: open %s: %+v, %v", tc.name, ch.Branch, pr, err)
			}
			if again, err := tc.open(ch); err != nil || again.Closed || again.Created || again.Number != pr.Number {
				t.Fatalf("%s: open %s again while open: %+v, %v", tc.name, ch.Branch, again, err)
			}
			numbers = append(numbers, pr.Number)
			if ch.Branch == declined.Branch {
				tc.decline(pr)
			} else {
				tc.merge(pr)
			}
		}
		for i, ch := range []Change{declined, merged} {
			ch.Labels = []string{"asked-again"}
			again, err := tc.open(ch)
			if err != nil || !again.Closed || again.Created || again.Number != numbers[i] {
				t.Errorf("%s: open %s once closed: %+v, %v (want #%d, Closed)", tc.name, ch.Branch, again, err, numbers[i])
			}
			if tc.labels != nil && slices.Contains(tc.labels(numbers[i]), "asked-again") {
				t.Errorf("%s: the closed pull request #%d was labelled: %v", tc.name, numbers[i], tc.labels(numbers[i]))
			}
		}
		if n := tc.pulls(); n != 2 {
			t.Errorf("%s: %d pull requests, want 2 (nothing reopened)", tc.name, n)
		}
	}

	// On GitHub a branch whose pull request was closed may have a newer,
	// open one (opened by hand): that one is found.
	resp, err := http.Post(fake.URL()+"repos/acme/gitops/pulls", "application/json",
		bytes.NewBufferString(`{"title":"by hand","head":"plat/r1-new-db","base":"main"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("opening a pull request by hand: %s", resp.Status)
	}
	pr, err := gh.Open(ctx, change())
	if err != nil || pr.Closed || pr.Number != 3 {
		t.Fatalf("open with a closed and a newer open pull request from the branch: %+v, %v (want #3, open)", pr, err)
	}
}
