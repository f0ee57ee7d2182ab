package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/platbot/platbot/integrations/gitlocal"
)

// ReadFile returns the content of the file at p on the default branch of
// owner/name: through the GitHub client, or from the local repository's
// checked-out branch (git show HEAD:<p>, nothing changed). A file (or local repository) that is not there is
// an error wrapping fs.ErrNotExist.
func (r *Repositories) ReadFile(ctx context.Context, owner, name, p string) ([]byte, error) {
	if !r.Local() {
		b, err := r.gh.GetFile(ctx, owner, name, p, "")
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read %s of %s/%s: %w", p, owner, name, fs.ErrNotExist)
		}
		return b, err
	}
	git, err := r.localRead(owner, name, "read", p)
	if err != nil {
		return nil, err
	}
	out, err := git.run(ctx, nil, nil, "show", "HEAD:"+p)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "does not exist") || strings.Contains(msg, "exists on disk, but not in") || strings.Contains(msg, "invalid object name") {
			return nil, fmt.Errorf("gitops: read %s of %s/%s: %w", p, owner, name, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("gitops: read %s of %s/%s: %w", p, owner, name, err)
	}
	return []byte(out), nil
}

// ListDir returns the names of the entries of the folder at p on the
// default branch of owner/name, sorted: through the GitHub client, or from
// the local repository's checked-out branch (git ls-tree HEAD:<p>). A
// folder (or local repository) that is not there is an error wrapping
// fs.ErrNotExist.
func (r *Repositories) ListDir(ctx context.Context, owner, name, p string) ([]string, error) {
	var names []string
	if !r.Local() {
		ents, err := r.gh.ListDir(ctx, owner, name, p, "")
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("list %s of %s/%s: %w", p, owner, name, fs.ErrNotExist)
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			names = append(names, e.Name)
		}
		sort.Strings(names)
		return names, nil
	}
	git, err := r.localRead(owner, name, "list", p)
	if err != nil {
		return nil, err
	}
	out, err := git.run(ctx, nil, nil, "ls-tree", "-z", "--name-only", "HEAD:"+p)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "Not a valid object name") || strings.Contains(msg, "invalid object name") {
			return nil, fmt.Errorf("gitops: list %s of %s/%s: %w", p, owner, name, fs.ErrNotExist)
		}
		if strings.Contains(msg, "not a tree object") {
			return nil, fmt.Errorf("gitops: list %s of %s/%s: a file, not a folder", p, owner, name)
		}
		return nil, fmt.Errorf("gitops: list %s of %s/%s: %w", p, owner, name, err)
	}
	for _, n := range strings.Split(out, "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// localRead is the local repository owner/name, checked to exist, for
// reading path p in it (verb names the reading in errors). A repository
// that is not there is an error wrapping fs.ErrNotExist.
func (r *Repositories) localRead(owner, name, verb, p string) (localGit, error) {
	dir, err := r.localDir(owner, name)
	if err != nil {
		return localGit{}, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return localGit{}, fmt.Errorf("gitops: there is no local repository %s/%s (%s): %w", owner, name, dir, fs.ErrNotExist)
	}
	if err := gitlocal.CheckPath(p); err != nil {
		return localGit{}, fmt.Errorf("gitops: %s %s: %w", verb, p, err)
	}
	return localGit{dir: dir}, nil
}
