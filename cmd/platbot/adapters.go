package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/commands/placement"
	"github.com/platbot/platbot/commands/secrets"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitops"
)

// The features declare the small interfaces they use, with their own types;
// these adapters put the clients built once in features.go behind them.
// Errors saying GitHub could not answer leave them named (githubErr and
// gitopsErr in status.go, over status_wrap.go), so that a command failing
// on a GitHub that is down says so.

// pathsPublisher is the GitOps publisher as golden paths use it.
type pathsPublisher struct{ p *gitops.Publisher }

func (a pathsPublisher) Describe() string { return a.p.Describe() }

func (a pathsPublisher) Open(ctx context.Context, c paths.Change) (*paths.PullRequest, error) {
	pr, err := a.p.Open(ctx, gitops.Change{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: c.Files, Executable: c.Executable, Delete: c.Delete, Labels: c.Labels, Assignees: c.Assignees,
	})
	if err != nil {
		return nil, gitopsErr(a.p, err)
	}
	return &paths.PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Note: pr.Note, Closed: pr.Closed}, nil
}

// secretsPublisher is the GitOps publisher as self-service secrets use it.
type secretsPublisher struct{ p *gitops.Publisher }

func (a secretsPublisher) Open(ctx context.Context, c secrets.PRChange) (*secrets.PullRequestInfo, error) {
	pr, err := a.p.Open(ctx, gitops.Change{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: c.Files, Labels: c.Labels,
	})
	if err != nil {
		return nil, gitopsErr(a.p, err)
	}
	return &secrets.PullRequestInfo{Number: pr.Number, URL: pr.URL, Branch: pr.Branch}, nil
}

// placementPublisher is the GitOps publisher as placement moves use it.
type placementPublisher struct{ p *gitops.Publisher }

func (a placementPublisher) Open(ctx context.Context, c placement.Change) (*placement.PullRequest, error) {
	pr, err := a.p.Open(ctx, gitops.Change{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: c.Files, Labels: c.Labels,
	})
	if err != nil {
		return nil, gitopsErr(a.p, err)
	}
	return &placement.PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Created: pr.Created}, nil
}

// pathsGitHubFiles is the GitHub client as golden paths read templates
// (and their skeletons) from GitHub catalog locations with it.
type pathsGitHubFiles struct{ c *github.Client }

func (a pathsGitHubFiles) GetFile(ctx context.Context, owner, repo, filePath, ref string) ([]byte, error) {
	b, err := a.c.GetFile(ctx, owner, repo, filePath, ref)
	return b, githubErr(err)
}

func (a pathsGitHubFiles) ListDir(ctx context.Context, owner, repo, dirPath, ref string) ([]paths.DirEntry, error) {
	ents, err := a.c.ListDir(ctx, owner, repo, dirPath, ref)
	if err != nil {
		return nil, githubErr(err)
	}
	out := make([]paths.DirEntry, len(ents))
	for i, e := range ents {
		out[i] = paths.DirEntry{Path: e.Path, Type: e.Type}
	}
	return out, nil
}

var (
	_ paths.Publisher    = pathsPublisher{}
	_ paths.GitHubFiles  = pathsGitHubFiles{}
	_ secrets.Publisher  = secretsPublisher{}
	_ secrets.FileReader = (*gitops.Publisher)(nil)

	_ placement.Publisher  = placementPublisher{}
	_ placement.FileReader = (*gitops.Publisher)(nil)
)

// pathsRepositories is repository creation (GitHub, or local git
// repositories in the data folder) as golden paths' publish:github and
// repoUrl pull requests use it.
type pathsRepositories struct {
	r *gitops.Repositories
	// webBase is https://<GitHub host> (GitHub), or the local folder.
	webBase string
}

func (a pathsRepositories) Local() bool      { return a.r.Local() }
func (a pathsRepositories) Describe() string { return a.r.Describe() }

func (a pathsRepositories) WebURL(owner, name string) string {
	if a.r.Local() {
		return "file://" + filepath.Join(a.webBase, owner, name)
	}
	return a.webBase + "/" + owner + "/" + name
}

func (a pathsRepositories) CreateRepository(ctx context.Context, r actions.NewRepository) (*actions.Repository, error) {
	names := make([]string, 0, len(r.Files))
	for n := range r.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	files := make([]github.NewFile, len(names))
	for i, n := range names {
		files[i] = github.NewFile{Path: n, Content: []byte(r.Files[n]), Executable: r.Executable[n]}
	}
	cols := make([]github.Collaborator, len(r.Collaborators))
	for i, c := range r.Collaborators {
		cols[i] = github.Collaborator{User: c.User, Team: c.Team, Access: c.Access}
	}
	repo, err := a.r.Create(ctx, github.RepositorySpec{
		Owner: r.Owner, Name: r.Name, Description: r.Description, Visibility: r.Visibility, DefaultBranch: r.DefaultBranch,
		Topics: r.Topics, Collaborators: cols, Files: files, CommitMessage: r.CommitMessage,
		AuthorName: r.AuthorName, AuthorEmail: r.AuthorEmail, Marker: r.Marker,
	})
	if errors.Is(err, github.ErrRepositoryTaken) {
		return nil, fmt.Errorf("%w: %w", actions.ErrRepositoryTaken, err)
	}
	if err != nil {
		return nil, a.named(err)
	}
	return &actions.Repository{RemoteURL: repo.CloneURL, WebURL: repo.HTMLURL, CommitHash: repo.Commit, Created: repo.Created, Warnings: repo.Warnings}, nil
}

func (a pathsRepositories) OpenPullRequest(ctx context.Context, c actions.RepoChange) (*actions.PullRequest, error) {
	pr, base, err := a.r.OpenPullRequest(ctx, c.Owner, c.Repo, gitops.RepoPullRequest{
		Change: gitops.Change{
			Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
			Files: c.Files, Executable: c.Executable, Delete: c.Delete, Labels: c.Labels, Assignees: c.Assignees,
		},
		Base: c.Base, Draft: c.Draft, Reviewers: c.Reviewers, TeamReviewers: c.TeamReviewers,
	})
	if err != nil {
		return nil, a.named(err)
	}
	return &actions.PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Note: pr.Note, Base: base, Closed: pr.Closed}, nil
}

// ReadFile reads a file of a repository's default branch (GitHub, or the
// local repository), for actions that build on a service's repository
// (commands/paths/golden/apiendpoint.go).
func (a pathsRepositories) ReadFile(ctx context.Context, owner, name, p string) ([]byte, error) {
	b, err := a.r.ReadFile(ctx, owner, name, p)
	return b, a.named(err)
}

// ListDir lists a folder of a repository's default branch (GitHub, or the
// local repository), for reading lineage back (commands/paths/lineage.go).
func (a pathsRepositories) ListDir(ctx context.Context, owner, name, p string) ([]string, error) {
	names, err := a.r.ListDir(ctx, owner, name, p)
	return names, a.named(err)
}

func (a pathsRepositories) Exists(ctx context.Context, owner, name string) (bool, error) {
	ok, err := a.r.Exists(ctx, owner, name)
	return ok, a.named(err)
}

// named names GitHub behind an error when the repositories are there.
func (a pathsRepositories) named(err error) error {
	if a.r.Local() {
		return err
	}
	return githubErr(err)
}

var _ actions.Repositories = pathsRepositories{}
var _ golden.RepoFileReader = pathsRepositories{}
var _ golden.RepoExistence = pathsRepositories{}

// argoStatus is Argo CD's live status as placement's /plat where reads it.
type argoStatus struct{ w *argocd.Watcher }

func (a argoStatus) Status(_ context.Context, service, env string) (placement.Status, bool) {
	s, ok := a.w.Status(service, env)
	if !ok {
		return placement.Status{}, false
	}
	return placement.Status{Sync: s.Sync, Health: s.Health, Revision: s.Revision,
		LastSynced: s.LastSyncedAt, OperationPhase: s.OperationPhase, URL: s.URL}, true
}

var _ placement.StatusSource = argoStatus{}

// pathsPlacer is placement's placer of new environments as golden paths use
// it. envs is asked on each use: buildPaths runs before buildPlacement,
// and `template render` builds it only when a template needs it.
type pathsPlacer struct {
	envs func() (*placement.Environments, error)
}

// Regions are the regions of the configured clusters: the region
// choices of add-region's and new-environment's forms (none when
// placement is not configured).
func (a pathsPlacer) Regions() []string {
	envs, err := a.envs()
	if err != nil {
		return nil
	}
	return envs.Regions()
}

var _ actions.RegionLister = pathsPlacer{}

func (a pathsPlacer) PlaceEnvironment(ctx context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	envs, err := a.envs()
	if err != nil {
		return nil, err
	}
	pe, err := envs.Place(ctx, placement.NewEnvironment{
		Service: r.Service, Env: placement.Environment{Name: r.Environment, Tier: r.Tier, Region: r.Region},
		SourcePath: r.SourcePath, ValueFiles: r.ValueFiles, Owner: r.Owner,
	})
	if err != nil {
		var ee *placement.EnvironmentError
		if errors.As(err, &ee) {
			return nil, &actions.PlaceError{Input: ee.What, Err: ee.Err}
		}
		return nil, err
	}
	placed := &actions.Placed{Cluster: pe.Cluster, Explain: pe.Explain, Team: pe.Team, Path: pe.Path, Manifest: string(pe.Manifest)}
	if pe.Add != nil {
		// An ApplicationSet: the run's environments share the file.
		placed.Add = func(planned string) (string, error) {
			out, err := pe.Add([]byte(planned))
			return string(out), err
		}
	}
	return placed, nil
}

var _ actions.Placer = pathsPlacer{}
