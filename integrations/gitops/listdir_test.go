package gitops

import (
	"context"
	"errors"
	"io/fs"
	"os/exec"
	"slices"
	"testing"

	"github.com/platbot/platbot/integrations/github"
)

// ListDir lists a folder of a repository's default branch the same way on
// GitHub (the contents API) and in local git; a folder or repository that
// is not there wraps fs.ErrNotExist, a path leaving the repository is
// refused.
func TestRepositoriesListDir(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	files := map[string]string{
		"README.md": "orders\n",
		".platbot/lineage/orders/new-api-endpoint.get-order.yaml":  "a: 1\n",
		".platbot/lineage/orders/new-api-endpoint.post-order.yaml": "a: 2\n",
		".platbot/lineage/orders/add-ci-workflow.yaml":             "a: 3\n",
	}
	fake, c := fakeGitHub(t)
	fake.AddRepo("acme/orders", files)
	local := LocalRepositories(t.TempDir())
	var nf []github.NewFile
	for p, c := range files {
		nf = append(nf, github.NewFile{Path: p, Content: []byte(c)})
	}
	if _, err := local.Create(ctx, github.RepositorySpec{Owner: "acme", Name: "orders", Marker: "r1", Files: nf}); err != nil {
		t.Fatal(err)
	}
	want := []string{"add-ci-workflow.yaml", "new-api-endpoint.get-order.yaml", "new-api-endpoint.post-order.yaml"}
	for name, repos := range map[string]*Repositories{"GitHub": GitHubRepositories(c), "local": local} {
		got, err := repos.ListDir(ctx, "acme", "orders", ".platbot/lineage/orders")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: ListDir = %q, %v; want %q", name, got, err, want)
		}
		for _, c := range [][3]string{{"acme", "orders", ".platbot/lineage/ledger"}, {"acme", "ledger", ".platbot"}} {
			if _, err := repos.ListDir(ctx, c[0], c[1], c[2]); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: ListDir(%v) = %v, want fs.ErrNotExist", name, c, err)
			}
		}
	}
	if _, err := local.ListDir(ctx, "acme", "orders", "../x"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("local: a path outside the repository: %v", err)
	}
}
