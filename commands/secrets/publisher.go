package secrets

import "context"

// Publisher opens GitOps pull requests. cmd/platbot adapts the one GitOps
// publisher (integrations/gitops: GitHub, or a local git repository) to it.
type Publisher interface {
	// Open opens the pull request of c, or finds it again by branch: a
	// retried change never opens a second one.
	Open(ctx context.Context, c PRChange) (*PullRequestInfo, error)
}

// PRChange is one pull request's content.
type PRChange struct {
	Branch, Title, Body, CommitMessage string
	// Files maps repository paths to their content.
	Files  map[string]string
	Labels []string
}
