package gitops

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/integrations/github"
)

// Without GitHub, a repository is a local git repository under the folder:
// one commit with every file byte for byte on the default branch, file://
// URLs, the same marker finds it again, another marker is refused, and a
// pull request to it is a branch of it.
func TestLocalRepositories(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	repos := LocalRepositories(dir)
	ctx := context.Background()
	spec := github.RepositorySpec{
		Owner: "acme", Name: "orders", DefaultBranch: "trunk", CommitMessage: "Create orders", Marker: "r1/publish",
		Files: []github.NewFile{{Path: "README.md", Content: []byte("# orders\n")}, {Path: "bin/x", Content: []byte{0, 0xff, 0x89}}},
	}
	r, err := repos.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := "file://" + filepath.Join(dir, "acme", "orders")
	if !r.Created || r.CloneURL != want || r.HTMLURL != want || r.Commit == "" || !repos.Local() {
		t.Fatalf("repository %+v", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, "acme", "orders", "bin", "x"))
	if err != nil || string(b) != "\x00\xff\x89" {
		t.Fatalf("binary file %q, %v", b, err)
	}
	log, _ := localGit{dir: filepath.Join(dir, "acme", "orders")}.run(ctx, nil, nil, "log", "--format=%s", "trunk")
	if strings.TrimSpace(log) != "Create orders" {
		t.Errorf("history %q", log)
	}
	again, err := repos.Create(ctx, spec)
	if err != nil || again.Created || again.Commit != r.Commit {
		t.Fatalf("again: %+v, %v", again, err)
	}
	spec.Marker = "r2/publish"
	if _, err := repos.Create(ctx, spec); !errors.Is(err, github.ErrRepositoryTaken) {
		t.Errorf("another run: %v", err)
	}
	pr, base, err := repos.OpenPullRequest(ctx, "acme", "orders", RepoPullRequest{Change: Change{
		Branch: "plat/r3-docs", Title: "Docs", Files: map[string]string{"docs/a.md": "a\n"},
	}})
	if err != nil || base != "trunk" || !pr.Created || !strings.HasPrefix(pr.URL, want+"?branch=") {
		t.Fatalf("pull request %+v base %q: %v", pr, base, err)
	}
	if _, _, err := repos.OpenPullRequest(ctx, "acme", "nothing", RepoPullRequest{Change: Change{Branch: "b", Title: "t", Files: map[string]string{"a": "a"}}}); err == nil || !strings.Contains(err.Error(), "no local repository acme/nothing") {
		t.Errorf("missing repository: %v", err)
	}
}
