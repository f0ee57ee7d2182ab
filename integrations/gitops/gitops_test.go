package gitops

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// fakeGitHub is a GitHub fake and a client of it.
func fakeGitHub(t *testing.T) (*githubfake.Server, *github.Client) {
	t.Helper()
	fake := githubfake.New(t)
	c, err := github.New(strings.TrimSuffix(fake.URL(), "/"), "test-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func change() Change {
	return Change{
		Branch: "plat/r1-new-db", Title: "Add orders-db", Body: "Creates a database.", CommitMessage: "Add orders-db",
		Files: map[string]string{
			"databases/orders-db/dev/claim.yaml":    "kind: PostgresInstance\n",
			"databases/orders-db/catalog-info.yaml": "kind: Resource\n",
		},
		Labels: []string{"golden-path"}, Assignees: []string{"jane-gh"},
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestLocalPublisherOpensOnceAndReadsTheBaseBranch(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	repo, err := gitlocal.Open(ctx, dir, gitlocal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	p := Local(repo)
	if p.Describe() != "the local git repository "+repo.Dir() {
		t.Fatalf("Describe = %q", p.Describe())
	}
	pr, err := p.Open(ctx, change())
	if err != nil || !pr.Created || pr.Number != 1 || pr.Branch != "plat/r1-new-db" || pr.Commit == "" {
		t.Fatalf("first open: %+v %v", pr, err)
	}
	again, err := p.Open(ctx, change())
	if err != nil || again.Created || again.Number != 1 || again.Commit != pr.Commit {
		t.Fatalf("second open must reuse the first: %+v %v", again, err)
	}
	if files := gitOut(t, repo.Dir(), "ls-tree", "-r", "--name-only", "plat/r1-new-db"); files != "databases/orders-db/catalog-info.yaml\ndatabases/orders-db/dev/claim.yaml" {
		t.Fatalf("branch files:\n%s", files)
	}

	if _, err := p.ReadFile(ctx, "databases/orders-db/dev/claim.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file only on the pull request's branch: err = %v, want fs.ErrNotExist", err)
	}
	gitOut(t, repo.Dir(), "update-ref", "refs/heads/main", "plat/r1-new-db")
	if b, err := p.ReadFile(ctx, "databases/orders-db/dev/claim.yaml"); err != nil || string(b) != "kind: PostgresInstance\n" {
		t.Fatalf("after merge: %q %v", b, err)
	}
	if names, err := p.ListDir(ctx, "databases/orders-db"); err != nil || strings.Join(names, ",") != "catalog-info.yaml,dev" {
		t.Fatalf("ListDir after merge: %q %v", names, err)
	}
	if _, err := p.ListDir(ctx, "databases/none"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing folder: err = %v, want fs.ErrNotExist", err)
	}
}

func TestGitHubPublisherOpensOnce(t *testing.T) {
	ctx := context.Background()
	fake, c := fakeGitHub(t)
	p, err := GitHub(c, "acme/gitops", github.PullRequestOptions{Attempts: 2, MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if p.Describe() != "GitHub acme/gitops" {
		t.Fatalf("Describe = %q", p.Describe())
	}
	pr, err := p.Open(ctx, change())
	if err != nil || !pr.Created || pr.Number == 0 || !strings.Contains(pr.URL, "acme/gitops/pull/") {
		t.Fatalf("first open: %+v %v", pr, err)
	}
	again, err := p.Open(ctx, change())
	if err != nil || again.Created || again.Number != pr.Number {
		t.Fatalf("second open must reuse the first: %+v %v", again, err)
	}
	if n := len(fake.PullRequests()); n != 1 {
		t.Fatalf("%d pull requests, want 1", n)
	}
	files := fake.BranchFiles("plat/r1-new-db")
	if files["databases/orders-db/dev/claim.yaml"] != "kind: PostgresInstance\n" || files["databases/orders-db/catalog-info.yaml"] != "kind: Resource\n" {
		t.Fatalf("branch files: %v", files)
	}
	if _, err := GitHub(c, "not-a-slug", github.PullRequestOptions{}); err == nil {
		t.Fatal("a repository that is not owner/name must be refused")
	}
}

// The GitHub publisher reads files of the base branch through the contents
// API, and answers fs.ErrNotExist for a file that is not there.
func TestGitHubPublisherReadsTheBaseBranch(t *testing.T) {
	var refs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refs = append(refs, r.URL.Query().Get("ref"))
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/repos/acme/gitops/contents/secrets/payments.yaml") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"type": "file", "encoding": "base64", "name": "payments.yaml",
				"path": "secrets/payments.yaml", "content": base64.StdEncoding.EncodeToString([]byte("kind: SealedSecret\n"))})
			return
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/repos/acme/gitops/contents/secrets") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode([]map[string]any{
				{"type": "file", "name": "payments.yaml", "path": "secrets/payments.yaml"},
				{"type": "dir", "name": "archive", "path": "secrets/archive"},
			})
			return
		}
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}))
	defer srv.Close()
	c, err := github.New(srv.URL, "test-token", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	p, err := GitHub(c, "acme/gitops", github.PullRequestOptions{Base: "release"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if b, err := p.ReadFile(ctx, "secrets/payments.yaml"); err != nil || string(b) != "kind: SealedSecret\n" {
		t.Fatalf("ReadFile = %q %v", b, err)
	}
	if _, err := p.ReadFile(ctx, "secrets/none.yaml"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "secrets/none.yaml") {
		t.Fatalf("missing file: err = %v, want fs.ErrNotExist naming the file", err)
	}
	if names, err := p.ListDir(ctx, "secrets"); err != nil || strings.Join(names, ",") != "archive,payments.yaml" {
		t.Fatalf("ListDir = %q %v", names, err)
	}
	if _, err := p.ListDir(ctx, "nothing"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "nothing") {
		t.Fatalf("missing folder: err = %v, want fs.ErrNotExist naming it", err)
	}
	if len(refs) != 4 || refs[0] != "release" || refs[2] != "release" {
		t.Fatalf("refs %v, want the base branch", refs)
	}
}

func TestIsGitHubRepo(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll("acme/existing", 0o755); err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"acme/gitops": true, "acme-corp/platform.gitops": true,
		"./gitops": false, "/srv/gitops": false, "gitops": false, "a/b/c": false, ".platbot/gitops": false,
		"acme/existing": false, // an existing folder
	} {
		if got := IsGitHubRepo(s); got != want {
			t.Errorf("IsGitHubRepo(%q) = %v", s, got)
		}
	}
}

// Change.Delete removes files in the pull request's one commit, through
// every publisher: the GitOps repository on GitHub and in local git, and
// another repository on GitHub and in local git.
func TestChangeDeletes(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	ch := Change{
		Branch: "plat/r9-cleanup", Title: "Clean up", Files: map[string]string{"docs/new.md": "new\n"}, Delete: []string{"README.md"},
	}
	fake, c := fakeGitHub(t)
	gp, err := GitHub(c, "acme/gitops", github.PullRequestOptions{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gp.Open(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if files := fake.BranchFiles(ch.Branch); len(files) != 1 || files["docs/new.md"] != "new\n" {
		t.Errorf("GitHub GitOps branch: %q", files)
	}
	fake.AddRepo("acme/orders", map[string]string{"README.md": "orders\n", "main.go": "package main\n"})
	if _, _, err := GitHubRepositories(c).OpenPullRequest(ctx, "acme", "orders", RepoPullRequest{Change: ch}); err != nil {
		t.Fatal(err)
	}
	if files, _ := fake.RepoFiles("acme/orders", ch.Branch); len(files) != 2 || files["README.md"] != "" || files["docs/new.md"] != "new\n" {
		t.Errorf("GitHub repository branch: %q", files)
	}

	dir := filepath.Join(t.TempDir(), "gitops")
	repo, err := gitlocal.Open(ctx, dir, gitlocal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Seed: []gitlocal.File{{Path: "README.md", Content: []byte("gitops\n")}, {Path: "apps/a.yaml", Content: []byte("a\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Local(repo).Open(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if files := gitOut(t, dir, "ls-tree", "-r", "--name-only", ch.Branch); files != "apps/a.yaml\ndocs/new.md" {
		t.Errorf("local GitOps branch:\n%s", files)
	}
	reposDir := t.TempDir()
	repos := LocalRepositories(reposDir)
	if _, err := repos.Create(ctx, github.RepositorySpec{Owner: "acme", Name: "orders", Marker: "r9", Files: []github.NewFile{{Path: "README.md", Content: []byte("orders\n")}, {Path: "main.go", Content: []byte("package main\n")}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := repos.OpenPullRequest(ctx, "acme", "orders", RepoPullRequest{Change: ch}); err != nil {
		t.Fatal(err)
	}
	if files := gitOut(t, filepath.Join(reposDir, "acme", "orders"), "ls-tree", "-r", "--name-only", ch.Branch); files != "docs/new.md\nmain.go" {
		t.Errorf("local repository branch:\n%s", files)
	}
}
