package gitops

import (
	"context"
	"os/exec"
	"testing"

	"github.com/platbot/platbot/integrations/github"
)

// Exists tells a repository that is there from one that is not, on GitHub
// (its 404) and in local git (a repository under the folder); a GitHub
// that fails is an error, not "missing".
func TestRepositoriesExists(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	fake, c := fakeGitHub(t)
	fake.AddRepo("acme/orders", map[string]string{"README.md": "orders\n"})
	local := LocalRepositories(t.TempDir())
	if _, err := local.Create(ctx, github.RepositorySpec{Owner: "acme", Name: "orders", Marker: "r1", Files: []github.NewFile{{Path: "README.md", Content: []byte("orders\n")}}}); err != nil {
		t.Fatal(err)
	}
	for name, repos := range map[string]*Repositories{"GitHub": GitHubRepositories(c), "local": local} {
		for repo, want := range map[string]bool{"orders": true, "ledger": false} {
			if got, err := repos.Exists(ctx, "acme", repo); err != nil || got != want {
				t.Errorf("%s: Exists(acme/%s) = %v, %v; want %v", name, repo, got, err, want)
			}
		}
	}
	if _, err := local.Exists(ctx, "acme", ".."); err == nil {
		t.Error("local: Exists(acme/..) is no error")
	}
	fake.SetFail(func(method, path string) (int, string) { return 500, `{"message":"boom"}` })
	if got, err := GitHubRepositories(c).Exists(ctx, "acme", "ledger"); err == nil {
		t.Errorf("GitHub failing: Exists = %v with no error", got)
	}
}
