package main

import (
	"context"

	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/secrets"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitops"
)

// The features declare the small interfaces they use, with their own types;
// these adapters put the clients built once in features.go behind them.

// pathsPublisher is the GitOps publisher as golden paths use it.
type pathsPublisher struct{ p *gitops.Publisher }

func (a pathsPublisher) Describe() string { return a.p.Describe() }

func (a pathsPublisher) Open(ctx context.Context, c paths.Change) (*paths.PullRequest, error) {
	pr, err := a.p.Open(ctx, gitops.Change{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: c.Files, Labels: c.Labels, Assignees: c.Assignees,
	})
	if err != nil {
		return nil, err
	}
	return &paths.PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Note: pr.Note}, nil
}

// secretsPublisher is the GitOps publisher as self-service secrets use it.
type secretsPublisher struct{ p *gitops.Publisher }

func (a secretsPublisher) Open(ctx context.Context, c secrets.PRChange) (*secrets.PullRequestInfo, error) {
	pr, err := a.p.Open(ctx, gitops.Change{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: c.Files, Labels: c.Labels,
	})
	if err != nil {
		return nil, err
	}
	return &secrets.PullRequestInfo{Number: pr.Number, URL: pr.URL, Branch: pr.Branch}, nil
}

// pathsGitHubFiles is the GitHub client as golden paths read templates
// (and their skeletons) from GitHub catalog locations with it.
type pathsGitHubFiles struct{ c *github.Client }

func (a pathsGitHubFiles) GetFile(ctx context.Context, owner, repo, filePath, ref string) ([]byte, error) {
	return a.c.GetFile(ctx, owner, repo, filePath, ref)
}

func (a pathsGitHubFiles) ListDir(ctx context.Context, owner, repo, dirPath, ref string) ([]paths.DirEntry, error) {
	ents, err := a.c.ListDir(ctx, owner, repo, dirPath, ref)
	if err != nil {
		return nil, err
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
)
