package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Exists reports whether the repository owner/name exists: on GitHub, or
// as a local git repository under the folder.
func (r *Repositories) Exists(ctx context.Context, owner, name string) (bool, error) {
	if !r.Local() {
		return r.gh.RepositoryExists(ctx, owner, name)
	}
	dir, err := r.localDir(owner, name)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return true, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("gitops: local repository %s/%s: %w", owner, name, err)
	}
	return false, nil
}
