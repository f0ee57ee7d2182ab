package paths

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/store"
)

// e2eRepos is repository creation on GitHub seen through
// actions.Repositories, as cmd/platbot adapts it.
type e2eRepos struct{ r *gitops.Repositories }

func (a e2eRepos) Local() bool      { return a.r.Local() }
func (a e2eRepos) Describe() string { return a.r.Describe() }
func (a e2eRepos) WebURL(owner, name string) string {
	return "https://github.example/" + owner + "/" + name
}

func (a e2eRepos) CreateRepository(ctx context.Context, r actions.NewRepository) (*actions.Repository, error) {
	var files []github.NewFile
	for n, c := range r.Files {
		files = append(files, github.NewFile{Path: n, Content: []byte(c)})
	}
	repo, err := a.r.Create(ctx, github.RepositorySpec{Owner: r.Owner, Name: r.Name, Description: r.Description, Visibility: r.Visibility,
		DefaultBranch: r.DefaultBranch, Topics: r.Topics, Files: files, CommitMessage: r.CommitMessage, Marker: r.Marker})
	if errors.Is(err, github.ErrRepositoryTaken) {
		return nil, fmt.Errorf("%w: %w", actions.ErrRepositoryTaken, err)
	}
	if err != nil {
		return nil, err
	}
	return &actions.Repository{RemoteURL: repo.CloneURL, WebURL: repo.HTMLURL, CommitHash: repo.Commit, Created: repo.Created}, nil
}

func (a e2eRepos) OpenPullRequest(ctx context.Context, c actions.RepoChange) (*actions.PullRequest, error) {
	pr, base, err := a.r.OpenPullRequest(ctx, c.Owner, c.Repo, gitops.RepoPullRequest{
		Change: gitops.Change{Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage, Files: c.Files, Delete: c.Delete},
		Base:   c.Base, Draft: c.Draft, Reviewers: c.Reviewers, TeamReviewers: c.TeamReviewers,
	})
	if err != nil {
		return nil, err
	}
	return &actions.PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Base: base, Closed: pr.Closed}, nil
}

// ReadFile reads a file of a repository's default branch, as cmd/platbot's
// adapter does.
func (a e2eRepos) ReadFile(ctx context.Context, owner, name, p string) ([]byte, error) {
	return a.r.ReadFile(ctx, owner, name, p)
}

const newSvcTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: new-svc, title: New service}
spec:
  owner: group:default/payments
  parameters:
    - required: [name, owner]
      properties:
        name: {title: Name, type: string, pattern: '^[a-z][a-z0-9-]*$'}
        owner: {title: Owner, type: string, ui:field: OwnerPicker, ui:options: {allowedKinds: [Group]}}
  steps:
    - id: plain
      action: fetch:plain
      input: {url: ./skeleton}
    - id: write
      action: catalog:write
      input:
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata: {name: '${{ parameters.name }}'}
          spec: {type: service, lifecycle: experimental, owner: '${{ parameters.owner }}'}
    - id: publish
      action: publish:github
      input: {repoUrl: 'github.com?owner=acme&repo=${{ parameters.name }}', description: 'The ${{ parameters.name }} service'}
    - id: register
      action: catalog:register
      input: {repoContentsUrl: '${{ steps.publish.output.repoContentsUrl }}'}
  output:
    links:
      - {title: Repository, url: '${{ steps.publish.output.remoteUrl }}'}
`

// newRepoEnv is newEnv with golden paths that create repositories on the
// GitHub fake and register catalog locations in the test catalog.
func newRepoEnv(t *testing.T, gh *githubfake.Server, cat Catalog, locs actions.CatalogLocations) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	tpls := filepath.Join(dir, "templates")
	for name, body := range map[string]string{"new-svc/template.yaml": newSvcTemplate, "new-svc/skeleton/README.md": "# service\n", "new-svc/skeleton/img/x.bin": "\x00\xff\x01"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tpls, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tpls, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(ctx, filepath.Join(dir, "platbot.db"), store.WithAuditKey([]byte("0123456789abcdef0123456789abcdef")), store.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	repo, err := gitlocal.Open(ctx, filepath.Join(dir, "gitops"), gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	client, err := github.New(gh.URL(), "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	msgr := bottest.NewMessenger()
	r := bot.NewRouter(bot.RouterOptions{Policy: teamPolicy(cat), Audit: st, Queue: st, Logger: quietLogger(), Version: "test"})
	r.SetMessenger(bot.TransportShell, msgr)
	p, err := New(Config{TemplatesDir: tpls, DataDir: filepath.Join(dir, "data")}, Deps{
		Store: st, Catalog: cat, Publisher: localPublisher(repo), Secrets: planOnlySecrets{mount: "secret"}, Logger: quietLogger(),
		Repos: e2eRepos{gitops.GitHubRepositories(client)}, Locations: locs,
	})
	if err != nil {
		t.Fatal(err)
	}
	install(t, p, r)
	e := &env{t: t, ctx: ctx, dir: dir, st: st, router: r, msgr: msgr, paths: p, cat: cat}
	e.approve(t, "new-svc")
	return e
}

// A payments template run from chat creates the team's new repository on
// GitHub with the skeleton byte for byte and the written entity, and
// registers its catalog file as the team's location; a name another
// team's entity already claims is refused by the publish rule, named, at
// the form, before anything is created.
func TestActionsEndToEndFromChat(t *testing.T) {
	gh := githubfake.New(t)
	// The fake's repositories live on github.example: the catalog's GitHub.
	cfg := catalog.DefaultConfig()
	cfg.GitHubHost = "github.example"
	var ents []*catalog.Entity
	for _, name := range []string{"payments", "platform", "checkout"} {
		ents = append(ents, catalogtest.Group(name))
	}
	ents = append(ents, catalogtest.User("jane", userJane, "payments"), catalogtest.User("admin", userAdmin, "platform"),
		catalogtest.Component("ledger", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/ledger-api"))
	base := catalogtest.NewWith(t, catalogtest.Options{Config: cfg}, catalogtest.YAML(t, ents...))
	e := newRepoEnv(t, gh, base, base.Catalog)

	f := e.form(userJane, "new-svc")
	if errs := e.submit(userJane, f, bot.Values{"name": {"orders-api"}, "owner": {"group:default/payments"}}); len(errs) > 0 {
		t.Fatalf("field errors %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	files, msg := gh.RepoFiles("acme/orders-api", "main")
	if files["README.md"] != "# service\n" || files["img/x.bin"] != "\x00\xff\x01" || !strings.Contains(files["catalog-info.yaml"], "name: orders-api") || !strings.Contains(msg, "Platbot-Run: "+r.ID+"/publish") {
		t.Errorf("repository files %q, message %q", files, msg)
	}
	reg := base.Registered()
	if len(reg) != 1 || reg[0].Owner != "group:default/payments" || !strings.Contains(reg[0].Target, "acme/orders-api") {
		t.Errorf("registered %+v", reg)
	}
	if len(r.Links) != 1 || r.Links[0].URL != "https://github.example/acme/orders-api.git" {
		t.Errorf("links %+v", r.Links)
	}

	creates := gh.Count("POST", "/orgs/acme/repos")
	f = e.form(userJane, "new-svc")
	errs := e.submit(userJane, f, bot.Values{"name": {"ledger-api"}, "owner": {"group:default/payments"}})
	said := fmt.Sprint(errs) + e.msgr.Last().Text()
	if !strings.Contains(said, actions.RuleOwnRepositories) || !strings.Contains(said, "acme/ledger-api") {
		t.Errorf("refusal %q", said)
	}
	e.drain()
	if gh.Count("POST", "/orgs/acme/repos") != creates {
		t.Error("a repository was created despite the refusal")
	}
}
