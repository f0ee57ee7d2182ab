package gitops

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// TestRepoPath: a catalog file is found inside the GitOps repository by
// its GitHub blob URL (this repository only) or, for a local repository,
// by its path inside the folder.
func TestRepoPath(t *testing.T) {
	c, err := github.New("https://api.github.com/", "test-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	gh, err := GitHub(c, "acme/gitops", github.PullRequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ghe, err := github.New("https://ghe.acme.example/api/v3/", "test-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	onGHE, err := GitHub(ghe, "acme/gitops", github.PullRequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    *Publisher
		file string
		want string
	}{
		{gh, "https://github.com/acme/gitops/blob/main/catalog/orders.yaml", "catalog/orders.yaml"},
		{gh, "https://github.com/Acme/GitOps/blob/HEAD/services/orders/catalog-info.yaml", "services/orders/catalog-info.yaml"},
		{gh, "https://github.com/acme/orders/blob/main/catalog-info.yaml", ""},
		{gh, "https://github.com/acme/gitops/tree/main/catalog", ""},
		{gh, "https://ghe.acme.example/acme/gitops/blob/main/catalog/orders.yaml", ""},
		{gh, "examples/catalog/orders.yaml", ""},
		{onGHE, "https://ghe.acme.example/acme/gitops/blob/main/catalog/orders.yaml", "catalog/orders.yaml"},
	} {
		got, ok := c.p.RepoPath(c.file)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("RepoPath(%q) = %q %v, want %q", c.file, got, ok, c.want)
		}
	}

	dir := filepath.Join(t.TempDir(), "gitops")
	repo, err := gitlocal.Open(context.Background(), dir, gitlocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	local := Local(repo)
	if got, ok := local.RepoPath(filepath.Join(dir, "catalog", "orders.yaml")); !ok || got != "catalog/orders.yaml" {
		t.Errorf("local file inside = %q %v", got, ok)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(filepath.Dir(dir), "other", "orders.yaml"), filepath.Join(wd, "catalog.yaml"), "https://github.com/acme/gitops/blob/main/x.yaml", ""} {
		if got, ok := local.RepoPath(f); ok {
			t.Errorf("local RepoPath(%q) = %q, want outside", f, got)
		}
	}
}
