package secrets

import (
	"context"

	"github.com/platbot/platbot/commands/paths"
)

// This file is the only one that knows the golden paths' publisher types:
// the rest of the feature works with prChange and PullRequestInfo. The
// import stays because a Go interface is satisfied only by the exact
// parameter types, so accepting paths.NewPublisher's value as it is means
// naming paths.Change and paths.PullRequest here.

// Publisher opens GitOps pull requests; the golden paths' publisher
// (paths.NewPublisher, paths.LocalPublisher) satisfies it.
type Publisher interface {
	Open(ctx context.Context, c paths.Change) (*paths.PullRequest, error)
}

// prChange is one pull request's content.
type prChange struct {
	Branch, Title, Body, CommitMessage string
	Files                              map[string]string
	Labels                             []string
}

// openPR opens (or finds again, by branch) the pull request of c.
func (s *Secrets) openPR(ctx context.Context, c prChange) (*PullRequestInfo, error) {
	pr, err := s.pub.Open(ctx, paths.Change{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage, Files: c.Files, Labels: c.Labels,
	})
	if err != nil {
		return nil, err
	}
	return &PullRequestInfo{Number: pr.Number, URL: pr.URL, Branch: pr.Branch}, nil
}
