package gitops

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A local repository's file is read from its committed default branch;
// files that are not committed there, and repositories that do not exist,
// are fs.ErrNotExist.
func TestRepositoriesReadFileLocal(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	base := t.TempDir()
	dir := filepath.Join(base, "acme", "orders")
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=dev", "-c", "user.email=dev@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "--quiet", "--initial-branch=trunk")
	if err := os.WriteFile(filepath.Join(dir, "docs", "api.md"), []byte("# API\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", ".")
	run("commit", "--quiet", "-m", "init")
	if err := os.WriteFile(filepath.Join(dir, "openapi.yaml"), []byte("openapi: 3.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := LocalRepositories(base)
	if b, err := r.ReadFile(ctx, "acme", "orders", "docs/api.md"); err != nil || string(b) != "# API\n" {
		t.Fatalf("read: %q %v", b, err)
	}
	for _, c := range [][3]string{{"acme", "orders", "openapi.yaml"}, {"acme", "orders", "nope.md"}, {"acme", "billing", "docs/api.md"}} {
		if _, err := r.ReadFile(ctx, c[0], c[1], c[2]); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%v: %v, want fs.ErrNotExist", c, err)
		}
	}
	if _, err := r.ReadFile(ctx, "..", "orders", "docs/api.md"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a name outside the folder: %v", err)
	}
	if _, err := r.ReadFile(ctx, "acme", "orders", "../x"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a path outside the repository: %v", err)
	}
}
