package github

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// ErrNotFound is wrapped by errors for files, folders or repositories that
// do not exist (or that the token may not see: GitHub answers 404 for both).
// It is fs.ErrNotExist, so callers can test with errors.Is(err, fs.ErrNotExist)
// without importing this package.
var ErrNotFound = fs.ErrNotExist

// Entry is one item of a folder listing.
type Entry struct {
	Name string
	Path string
	// Type is "file", "dir", "symlink" or "submodule".
	Type string
	Size int
}

// GetFile returns the content of the file at filePath in owner/repo at ref
// (a branch, tag or commit; "" means the default branch), read through the
// contents API (GET /repos/{owner}/{repo}/contents/{path}?ref=).
func (c *Client) GetFile(ctx context.Context, owner, repo, filePath, ref string) ([]byte, error) {
	what := describe(owner, repo, filePath, ref)
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, owner, repo, cleanPath(filePath), &gh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, wrap(what, err)
	}
	if file == nil {
		if dir != nil {
			return nil, fmt.Errorf("github: %s is a folder, not a file", what)
		}
		return nil, fmt.Errorf("github: %s: empty answer", what)
	}
	if file.GetType() != "" && file.GetType() != "file" {
		return nil, fmt.Errorf("github: %s is a %s, not a file", what, file.GetType())
	}
	s, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("github: decode %s: %w", what, err)
	}
	return []byte(s), nil
}

// ListDir lists the folder at dirPath in owner/repo at ref.
func (c *Client) ListDir(ctx context.Context, owner, repo, dirPath, ref string) ([]Entry, error) {
	what := describe(owner, repo, dirPath, ref)
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, owner, repo, cleanPath(dirPath), &gh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, wrap(what, err)
	}
	if file != nil {
		return nil, fmt.Errorf("github: %s is a file, not a folder", what)
	}
	out := make([]Entry, 0, len(dir))
	for _, d := range dir {
		out = append(out, Entry{Name: d.GetName(), Path: d.GetPath(), Type: d.GetType(), Size: d.GetSize()})
	}
	return out, nil
}

func cleanPath(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "." {
		return ""
	}
	return p
}

func describe(owner, repo, p, ref string) string {
	s := owner + "/" + repo + "/" + cleanPath(p)
	if ref != "" {
		s += "@" + ref
	}
	return s
}

// wrap adds context to a go-github error and maps 404 to ErrNotFound.
func wrap(what string, err error) error {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return fmt.Errorf("github: %s: %w", what, ErrNotFound)
	}
	if errors.Is(err, gh.ErrPathForbidden) {
		return fmt.Errorf("github: %s: path may not contain \"..\": %w", what, err)
	}
	return fmt.Errorf("github: get %s: %w", what, err)
}
