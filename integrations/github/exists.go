package github

import (
	"context"
	"errors"
)

// RepositoryExists reports whether owner/repo exists (and the token can
// see it): false on GitHub's 404, an error when GitHub cannot be asked.
func (c *Client) RepositoryExists(ctx context.Context, owner, repo string) (bool, error) {
	_, _, err := c.gh.Repositories.Get(ctx, owner, repo)
	if err == nil {
		return true, nil
	}
	if err = wrap(owner+"/"+repo, err); errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return false, err
}
