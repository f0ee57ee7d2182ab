package gitlocal

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func quiet() Options {
	return Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func spec(branch string) PullRequestSpec {
	return PullRequestSpec{
		Branch: branch, Title: "Add orders-db", Body: "Creates a database.",
		Files: []File{
			{Path: "databases/orders-db/dev/claim.yaml", Content: []byte("kind: PostgresInstance\n")},
			{Path: "databases/orders-db/catalog-info.yaml", Content: []byte("kind: Resource\n")},
		},
		Labels: []string{"golden-path"}, Assignees: []string{"jane"},
	}
}

func TestOpenPullRequestCreatesRepoAndOneCommit(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	r, err := Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if gitOut(t, dir, "rev-list", "--count", "main") != "1" {
		t.Fatal("base branch should hold one initial commit")
	}
	pr, created, err := r.OpenPullRequest(ctx, spec("plat/r1-new-db"))
	if err != nil || !created {
		t.Fatalf("open: %+v %v %v", pr, created, err)
	}
	if pr.Number != 1 || pr.Base != "main" || !strings.Contains(pr.URL, "plat%2Fr1-new-db") {
		t.Fatalf("pr %+v", pr)
	}
	// Exactly one commit on the branch beyond main, holding both files.
	if n := gitOut(t, dir, "rev-list", "--count", "main..plat/r1-new-db"); n != "1" {
		t.Fatalf("commits on branch: %s", n)
	}
	files := gitOut(t, dir, "ls-tree", "-r", "--name-only", "plat/r1-new-db")
	if files != "databases/orders-db/catalog-info.yaml\ndatabases/orders-db/dev/claim.yaml" {
		t.Fatalf("files:\n%s", files)
	}
	if got := gitOut(t, dir, "show", "plat/r1-new-db:databases/orders-db/dev/claim.yaml"); got != "kind: PostgresInstance" {
		t.Fatalf("content %q", got)
	}
	// The working tree was not touched.
	if st := gitOut(t, dir, "status", "--porcelain"); st != "" {
		t.Fatalf("working tree changed:\n%s", st)
	}

	// Idempotent: the same branch returns the same pull request.
	again, created, err := r.OpenPullRequest(ctx, spec("plat/r1-new-db"))
	if err != nil || created || again.Commit != pr.Commit || again.Number != 1 {
		t.Fatalf("reopen: %+v %v %v", again, created, err)
	}
	if n := gitOut(t, dir, "rev-list", "--count", "--all"); n != "2" {
		t.Fatalf("commits in repo: %s", n)
	}
	// A second pull request gets the next number.
	pr2, _, err := r.OpenPullRequest(ctx, spec("plat/r2-new-db"))
	if err != nil || pr2.Number != 2 {
		t.Fatalf("second: %+v %v", pr2, err)
	}
	all, err := r.PullRequests(ctx)
	if err != nil || len(all) != 2 || all[0].Number != 2 {
		t.Fatalf("list: %+v %v", all, err)
	}
}

func TestBranchWithoutRecordIsReused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	// An earlier attempt created the branch, then crashed before recording.
	c, err := r.commit(ctx, spec("plat/r3-new-db"))
	if err != nil {
		t.Fatal(err)
	}
	gitOut(t, dir, "update-ref", "refs/heads/plat/r3-new-db", c)
	pr, created, err := r.OpenPullRequest(ctx, spec("plat/r3-new-db"))
	if err != nil || !created || pr.Commit != c {
		t.Fatalf("%+v %v %v", pr, created, err)
	}
	if n := gitOut(t, dir, "rev-list", "--count", "main..plat/r3-new-db"); n != "1" {
		t.Fatalf("commits: %s", n)
	}
}

func TestRejectsUnsafePaths(t *testing.T) {
	ctx := context.Background()
	r, err := Open(ctx, t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../x", "/etc/passwd", "a/../../b", ".git/hooks/post-commit", "a//b", "", "a/./b"} {
		s := spec("plat/bad")
		s.Files = []File{{Path: p, Content: []byte("x")}}
		if _, _, err := r.OpenPullRequest(ctx, s); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	s := spec("bad..branch")
	if _, _, err := r.OpenPullRequest(ctx, s); err == nil {
		t.Error("bad branch name accepted")
	}
	s = spec("main")
	if _, _, err := r.OpenPullRequest(ctx, s); err == nil {
		t.Error("base branch accepted as pull request branch")
	}
}

func TestFolderInsideAnotherRepoGetsItsOwn(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	gitOut(t, parent, "init", "--quiet")
	dir := filepath.Join(parent, "gitops")
	r, err := Open(ctx, dir, Options{Base: "trunk", Logger: quiet().Logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		t.Fatalf("no repository of its own: %v", err)
	}
	if _, _, err := r.OpenPullRequest(ctx, spec("plat/r1-x")); err != nil {
		t.Fatal(err)
	}
	if gitOut(t, dir, "rev-parse", "--verify", "plat/r1-x") == "" {
		t.Fatal("branch missing")
	}
	// Reopening finds the same repository.
	r2, err := Open(ctx, dir, Options{Base: "trunk", Logger: quiet().Logger})
	if err != nil {
		t.Fatal(err)
	}
	if pr, _ := r2.FindPullRequest(ctx, "plat/r1-x"); pr == nil || pr.Base != "trunk" {
		t.Fatalf("record lost: %+v", pr)
	}
}

func TestReadFileReadsTheBaseBranchOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	r, err := Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.OpenPullRequest(ctx, spec("plat/r1-new-db")); err != nil {
		t.Fatal(err)
	}
	// The file is on the pull request's branch, not yet on main.
	if _, err := r.ReadFile(ctx, "databases/orders-db/dev/claim.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file only on a branch: err = %v, want fs.ErrNotExist", err)
	}
	gitOut(t, dir, "update-ref", "refs/heads/main", "plat/r1-new-db")
	b, err := r.ReadFile(ctx, "databases/orders-db/dev/claim.yaml")
	if err != nil || string(b) != "kind: PostgresInstance\n" {
		t.Fatalf("after merge: %q %v", b, err)
	}
	if _, err := r.ReadFile(ctx, "databases/nothing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	for _, bad := range []string{"../etc/passwd", "/abs", ".git/config"} {
		if _, err := r.ReadFile(ctx, bad); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%q) = %v, want a path error", bad, err)
		}
	}
}

func TestListDirListsTheBaseBranchOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	r, err := Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.OpenPullRequest(ctx, spec("plat/r1-new-db")); err != nil {
		t.Fatal(err)
	}
	// The folder is on the pull request's branch, not yet on main.
	if _, err := r.ListDir(ctx, "databases/orders-db"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("folder only on a branch: err = %v, want fs.ErrNotExist", err)
	}
	gitOut(t, dir, "update-ref", "refs/heads/main", "plat/r1-new-db")
	names, err := r.ListDir(ctx, "databases/orders-db")
	if err != nil || strings.Join(names, ",") != "catalog-info.yaml,dev" {
		t.Fatalf("after merge: %q %v", names, err)
	}
	if _, err := r.ListDir(ctx, "databases/orders-db/catalog-info.yaml"); err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("a file: err = %v, want one saying it is not a folder", err)
	}
	for _, bad := range []string{"../etc", "/abs", ".git"} {
		if _, err := r.ListDir(ctx, bad); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ListDir(%q) = %v, want a path error", bad, err)
		}
	}
}

// TestSeedIsTheFirstCommitOfANewRepositoryOnly: a repository Open creates
// starts with the seed files as its base branch's one commit; opening it
// again with another seed, or opening a repository that already existed
// (even one without the base branch), changes nothing and adds no file.
func TestSeedIsTheFirstCommitOfANewRepositoryOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "gitops")
	opts := quiet()
	opts.Seed = []File{
		{Path: "teams/checkout/checkout-service/dev/deployment.yaml", Content: []byte("kind: Deployment\n")},
		{Path: "teams/checkout/checkout-service/dev/service.yaml", Content: []byte("kind: Service\n")},
	}
	opts.SeedMessage = "Initialize GitOps repository with the example services"
	r, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := gitOut(t, dir, "rev-list", "--count", "main"); n != "1" {
		t.Fatalf("main has %s commits, want the seed as the one first commit", n)
	}
	if msg := gitOut(t, dir, "log", "-1", "--format=%s", "main"); msg != opts.SeedMessage {
		t.Fatalf("first commit %q", msg)
	}
	if files := gitOut(t, dir, "ls-tree", "-r", "--name-only", "main"); files != "teams/checkout/checkout-service/dev/deployment.yaml\nteams/checkout/checkout-service/dev/service.yaml" {
		t.Fatalf("files on main:\n%s", files)
	}
	if b, err := r.ReadFile(ctx, "teams/checkout/checkout-service/dev/deployment.yaml"); err != nil || string(b) != "kind: Deployment\n" {
		t.Fatalf("read the seeded Deployment: %q %v", b, err)
	}
	head := gitOut(t, dir, "rev-parse", "main")

	again := opts
	again.Seed = []File{{Path: "other.yaml", Content: []byte("kind: Other\n")}}
	if _, err := Open(ctx, dir, again); err != nil {
		t.Fatal(err)
	}
	if now := gitOut(t, dir, "rev-parse", "main"); now != head {
		t.Fatalf("reopening moved main from %s to %s", head, now)
	}

	// A repository of someone else's, without the base branch yet: its
	// base gets the empty first commit, not the seed.
	theirs := filepath.Join(t.TempDir(), "theirs")
	if err := os.MkdirAll(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	gitOut(t, theirs, "init", "--quiet", "--initial-branch=trunk")
	if _, err := Open(ctx, theirs, opts); err != nil {
		t.Fatal(err)
	}
	if files := gitOut(t, theirs, "ls-tree", "-r", "--name-only", "main"); files != "" {
		t.Fatalf("an existing repository was seeded:\n%s", files)
	}

	// A seed path that is not a safe relative path is refused before
	// anything is created.
	bad := quiet()
	bad.Seed = []File{{Path: "../outside.yaml", Content: []byte("x")}}
	badDir := filepath.Join(t.TempDir(), "bad")
	if _, err := Open(ctx, badDir, bad); err == nil || !strings.Contains(err.Error(), "../outside.yaml") {
		t.Fatalf("unsafe seed path: %v", err)
	}
	if _, err := os.Stat(badDir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused seed created %s: %v", badDir, err)
	}
}

// Delete removes files in the branch's one commit (git rm on the branch,
// never in the working tree or index of the checkout); a retry finds the
// record; deleting what is not a file of the base branch is an error that
// leaves no branch.
func TestOpenPullRequestDeletesFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	gitOut(t, dir, "init", "--quiet", "--initial-branch=trunk")
	for p, c := range map[string]string{"teams/payments.yaml": "kind: Component\n", "teams/old.yaml": "kind: Component\n", "README.md": "catalog\n"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitOut(t, dir, "add", ".")
	gitOut(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "catalog")
	opts := quiet()
	opts.Base = "trunk"
	r, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := PullRequestSpec{
		Branch: "platbot/hygiene/hd-del-1", Title: "Remove old",
		Files:  []File{{Path: "teams/payments.yaml", Content: []byte("kind: Component # edited\n")}},
		Delete: []string{"teams/old.yaml"},
	}
	pr, created, err := r.OpenPullRequest(ctx, s)
	if err != nil || !created {
		t.Fatalf("%+v %v %v", pr, created, err)
	}
	if diff := gitOut(t, dir, "diff", "--name-status", "trunk", pr.Branch); diff != "D\tteams/old.yaml\nM\tteams/payments.yaml" {
		t.Errorf("the branch's change:\n%s", diff)
	}
	if n := gitOut(t, dir, "rev-list", "--count", "trunk.."+pr.Branch); n != "1" {
		t.Errorf("%s commits on the branch", n)
	}
	if st := gitOut(t, dir, "status", "--porcelain"); st != "" {
		t.Errorf("the checkout changed:\n%s", st)
	}
	if len(pr.Deleted) != 1 || pr.Deleted[0] != "teams/old.yaml" || len(pr.Files) != 1 {
		t.Errorf("record %+v", pr)
	}
	again, created, err := r.OpenPullRequest(ctx, s)
	if err != nil || created || again.Commit != pr.Commit || len(again.Deleted) != 1 {
		t.Errorf("a retry: %+v %v %v", again, created, err)
	}

	// Deleting alone is a change too.
	only, _, err := r.OpenPullRequest(ctx, PullRequestSpec{Branch: "platbot/hygiene/hd-del-2", Title: "Remove README", Delete: []string{"README.md"}})
	if err != nil {
		t.Fatal(err)
	}
	if files := gitOut(t, dir, "ls-tree", "-r", "--name-only", only.Branch); files != "teams/old.yaml\nteams/payments.yaml" {
		t.Errorf("files on %s:\n%s", only.Branch, files)
	}

	for i, c := range []struct{ path, want string }{
		{"teams/nope.yaml", "there is no such file on trunk"},
		{"teams", "a tree on trunk"},
	} {
		branch := "platbot/hygiene/hd-bad-" + string(rune('a'+i))
		_, _, err := r.OpenPullRequest(ctx, PullRequestSpec{Branch: branch, Title: "Remove", Delete: []string{c.path}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("deleting %s: %v", c.path, err)
		}
		if i == 0 && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("deleting a missing file: %v does not wrap fs.ErrNotExist", err)
		}
		if out, _ := exec.Command("git", "-C", dir, "branch", "--list", branch).Output(); len(out) != 0 {
			t.Errorf("deleting %s left the branch %s", c.path, out)
		}
	}
	for _, bad := range [][]string{{"teams/payments.yaml"}, {"../x"}, {".git/config"}} {
		s := s
		s.Branch, s.Delete = "platbot/hygiene/hd-bad", bad
		if _, _, err := r.OpenPullRequest(ctx, s); err == nil {
			t.Errorf("deleting %v accepted", bad)
		}
	}
}
