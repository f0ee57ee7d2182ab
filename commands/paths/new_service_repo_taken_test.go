package paths

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/integrations/gitops"
)

// takenRepos is e2eRepos that also tells whether a repository exists, as
// cmd/platbot's adapter does.
type takenRepos struct{ e2eRepos }

func (a takenRepos) Exists(ctx context.Context, owner, name string) (bool, error) {
	return a.r.Exists(ctx, owner, name)
}

var _ golden.RepoExistence = takenRepos{}

// /plat new-service naming a repository that exists is refused at the
// dry run and at the submission, on the RepoUrlPicker's repository field
// (the form field a Slack modal and the shell show the error beside), on
// GitHub and in local git, each named; nothing is created. Another name
// goes through.
func TestNewServiceExistingRepositoryIsAFieldError(t *testing.T) {
	ctx := context.Background()
	fake := githubfake.New(t)
	fake.AddRepo("acme/ledger-api", map[string]string{"README.md": "ledger\n"})
	client, err := github.New(fake.URL(), "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	reposDir := filepath.Join(t.TempDir(), "repos")
	local := gitops.LocalRepositories(reposDir)
	if _, err := local.Create(ctx, github.RepositorySpec{Owner: "acme", Name: "ledger-api", Marker: "elsewhere",
		Files: []github.NewFile{{Path: "README.md", Content: []byte("ledger\n")}}}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		repos *gitops.Repositories
		where string
	}{
		"GitHub": {gitops.GitHubRepositories(client), "on GitHub"},
		"local":  {local, "among the local git repositories under " + reposDir},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{templates: "../../examples/templates", cat: newCatalog(t),
				placer: &newServicePlacer{clusters: seedClusters()}, repos: takenRepos{e2eRepos{c.repos}}})
			e.command(userAdmin, "template approve new-service")
			for _, cmd := range []string{"new-service --dry-run", "new-service"} {
				errs := e.submit(userJane, e.form(userJane, cmd), newServiceValues("ledger-api", "go", "dev"))
				if msg := errs["repoUrl.repo"]; !strings.Contains(msg, "the repository acme/ledger-api already exists "+c.where) || len(errs) != 1 {
					t.Fatalf("%s: errors %v", cmd, errs)
				}
			}
			if runs := e.runs(); len(runs) != 0 {
				t.Fatalf("a refused submission started %d run(s)", len(runs))
			}
			v := newServiceValues("ledger-two", "go", "dev")
			if errs := e.submit(userJane, e.form(userJane, "new-service --dry-run"), v); errs != nil {
				t.Fatalf("a new repository refused: %v", errs)
			}
		})
	}
}
