package gitops

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// A pull request that is no longer open is found again, not reopened:
// Open answers it with Closed set and changes nothing, on GitHub (declined
// or merged there) and in local git (its branch deleted, or its commit on
// the base branch); an open one is not Closed.
func TestPublisherTellsAClosedPullRequest(t *testing.T) {
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
	for _, tc := range []struct {
		name           string
		p              *Publisher
		decline, merge func(pr *PullRequest)
		pulls          func() int
	}{
		{"GitHub", gh,
			func(pr *PullRequest) {
				if err := fake.Close("acme/gitops", pr.Number); err != nil {
					t.Fatal(err)
				}
			},
			func(pr *PullRequest) {
				if err := fake.Merge("acme/gitops", pr.Branch); err != nil {
					t.Fatal(err)
				}
			},
			func() int { return len(fake.PullRequests()) }},
		{"local", Local(repo),
			func(pr *PullRequest) { gitOut(t, dir, "branch", "--quiet", "-D", pr.Branch) },
			func(pr *PullRequest) { gitOut(t, dir, "update-ref", "refs/heads/main", pr.Commit) },
			func() int {
				prs, err := repo.PullRequests(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return len(prs)
			}},
	} {
		declined, merged := change(), change()
		merged.Branch = "plat/r2-new-db"
		for _, ch := range []Change{declined, merged} {
			pr, err := tc.p.Open(ctx, ch)
			if err != nil || pr.Closed {
				t.Fatalf("%s: open %s: %+v, %v", tc.name, ch.Branch, pr, err)
			}
			if again, err := tc.p.Open(ctx, ch); err != nil || again.Closed || again.Created {
				t.Fatalf("%s: open %s again while open: %+v, %v", tc.name, ch.Branch, again, err)
			}
			if ch.Branch == declined.Branch {
				tc.decline(pr)
			} else {
				tc.merge(pr)
			}
		}
		for _, ch := range []Change{declined, merged} {
			again, err := tc.p.Open(ctx, ch)
			if err != nil || !again.Closed || again.Created {
				t.Errorf("%s: open %s once closed: %+v, %v (want Closed)", tc.name, ch.Branch, again, err)
			}
		}
		if n := tc.pulls(); n != 2 {
			t.Errorf("%s: %d pull requests, want 2 (nothing reopened)", tc.name, n)
		}
	}
}
