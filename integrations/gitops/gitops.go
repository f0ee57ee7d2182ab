// Package gitops proposes changes to the GitOps repository, the one place
// every feature that changes infrastructure writes to: a pull request on
// GitHub (integrations/github), or a branch plus a pull-request record in a
// local git repository (integrations/gitlocal). cmd/platbot builds one
// Publisher from the configuration and hands it to the features, which
// declare the small interface they use with their own types.
package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// Change is one pull request's content.
type Change struct {
	// Branch is deterministic per request, so a retried Open finds the
	// branch and pull request of an earlier attempt.
	Branch        string
	Title         string
	Body          string
	CommitMessage string
	// Files maps repository paths to their content; Executable names those
	// committed with mode 100755.
	Files      map[string]string
	Executable map[string]bool
	// Delete names files of the base branch the commit removes, in the same
	// commit as Files. A path that is not a file there (nothing, or a
	// folder) fails the change; a path may not be both in Files and
	// Delete. A retry finds the branch of an earlier attempt, deletions
	// included.
	Delete    []string
	Labels    []string
	Assignees []string
}

// deletions returns the paths Delete names, sorted.
func (c Change) deletions() []string {
	out := append([]string(nil), c.Delete...)
	sort.Strings(out)
	return out
}

// PullRequest is an opened (or found again) pull request.
type PullRequest struct {
	Number int
	URL    string
	Branch string
	Commit string
	// Created is false when an earlier attempt's pull request was reused.
	Created bool
	// Note is something worth telling the user (an assignee GitHub refused).
	Note string
	// Closed reports that the pull request found for the branch is no
	// longer open (merged, or declined); nothing was changed on it.
	Closed bool
}

// Publisher opens pull requests in the GitOps repository and reads files
// of its base branch. It is safe for concurrent use.
type Publisher struct {
	// GitHub: prs opens pull requests, gh reads files of owner/repo at ref.
	prs              *github.PullRequests
	gh               *github.Client
	owner, repo, ref string
	// local git
	local *gitlocal.Repo
}

// GitHub returns the publisher of the GitHub repository slug ("owner/name"),
// through the client c. opts.Base is the branch pull requests target and
// files are read from ("" = the repository's default branch).
func GitHub(c *github.Client, slug string, opts github.PullRequestOptions) (*Publisher, error) {
	prs, err := c.PullRequests(slug, opts)
	if err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	owner, repo, _ := strings.Cut(prs.Repo(), "/")
	return &Publisher{prs: prs, gh: c, owner: owner, repo: repo, ref: opts.Base}, nil
}

// Local returns the publisher of a local git repository, where a pull
// request is a branch plus a record (see integrations/gitlocal).
func Local(repo *gitlocal.Repo) *Publisher { return &Publisher{local: repo} }

// Describe names the target for people ("GitHub acme/gitops").
func (p *Publisher) Describe() string {
	if p.local != nil {
		return "the local git repository " + p.local.Dir()
	}
	return "GitHub " + p.prs.Repo()
}

// Open proposes the change. It is idempotent per branch: an existing pull
// request or branch for it is reused (Created false); one that is closed
// is returned with Closed set, not opened again.
func (p *Publisher) Open(ctx context.Context, c Change) (*PullRequest, error) {
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	if p.local != nil {
		files := make([]gitlocal.File, len(names))
		for i, n := range names {
			files[i] = gitlocal.File{Path: n, Content: []byte(c.Files[n]), Executable: c.Executable[n]}
		}
		pr, created, err := p.local.OpenPullRequest(ctx, gitlocal.PullRequestSpec{
			Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
			Files: files, Delete: c.deletions(), Labels: c.Labels, Assignees: c.Assignees,
		})
		if err != nil {
			return nil, err
		}
		return &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: created, Closed: pr.Closed}, nil
	}
	files := make([]github.NewFile, len(names))
	for i, n := range names {
		files[i] = github.NewFile{Path: n, Content: []byte(c.Files[n]), Executable: c.Executable[n]}
	}
	pr, err := p.prs.Open(ctx, github.PullRequestSpec{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: files, Delete: c.deletions(), Labels: c.Labels, Assignees: c.Assignees,
	})
	if err != nil {
		return nil, err
	}
	out := &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Closed: pr.State == "closed"}
	if pr.AssigneeError != "" {
		out.Note = "could not assign " + strings.Join(c.Assignees, ", ")
	}
	return out, nil
}

// ReadFile returns the content of the file at path on the base branch. A
// file that is not there is an error wrapping fs.ErrNotExist.
func (p *Publisher) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if p.local != nil {
		return p.local.ReadFile(ctx, path)
	}
	b, err := p.gh.GetFile(ctx, p.owner, p.repo, path, p.ref)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, fs.ErrNotExist)
	}
	return b, err
}

// ListDir returns the names of the entries of the folder at path on the
// base branch, sorted. A folder that is not there is an error wrapping
// fs.ErrNotExist.
func (p *Publisher) ListDir(ctx context.Context, path string) ([]string, error) {
	if p.local != nil {
		return p.local.ListDir(ctx, path)
	}
	ents, err := p.gh.ListDir(ctx, p.owner, p.repo, path, p.ref)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name
	}
	sort.Strings(names)
	return names, nil
}

var slugRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)

// IsGitHubRepo reports whether a GitOps repository setting
// (PLATBOT_GITOPS_REPO) names a GitHub repository ("owner/name") rather
// than a local folder. A value starting with ".", "/" or "~", with more
// than one "/", or naming an existing folder is a folder.
func IsGitHubRepo(s string) bool {
	if !slugRe.MatchString(s) || strings.HasPrefix(s, ".") {
		return false
	}
	if _, err := os.Stat(s); err == nil {
		return false
	}
	return true
}
