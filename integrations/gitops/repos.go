package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// Repositories creates repositories and opens pull requests in them (other
// than the GitOps repository): on GitHub through the one client, or, when
// no GitHub is configured, as local git repositories under one folder
// (<dir>/<owner>/<name>), whose URLs are file:// URLs.
type Repositories struct {
	gh  *github.Client
	dir string
	mu  sync.Mutex
}

// GitHubRepositories creates repositories on GitHub through c.
func GitHubRepositories(c *github.Client) *Repositories { return &Repositories{gh: c} }

// LocalRepositories creates local git repositories under dir.
func LocalRepositories(dir string) *Repositories { return &Repositories{dir: dir} }

// Local reports whether repositories are local git repositories.
func (r *Repositories) Local() bool { return r.gh == nil }

// Describe names where repositories are created, for people.
func (r *Repositories) Describe() string {
	if r.Local() {
		return "local git repositories under " + r.dir + " (no GitHub is configured)"
	}
	return "GitHub"
}

// RepoPullRequest is a pull request to a repository other than the GitOps one.
type RepoPullRequest struct {
	Change
	// Base is the branch to merge into ("" = the repository's default branch).
	Base                     string
	Draft                    bool
	Reviewers, TeamReviewers []string
}

var localName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (r *Repositories) localDir(owner, name string) (string, error) {
	for _, s := range []string{owner, name} {
		if !localName.MatchString(s) || s == "." || s == ".." {
			return "", fmt.Errorf("gitops: %q is not a repository name", s)
		}
	}
	return filepath.Join(r.dir, owner, name), nil
}

// Create creates the repository with its first commit (see
// github.Client.CreateRepository; a local repository is idempotent per
// Marker the same way, and its URLs are file:// URLs).
func (r *Repositories) Create(ctx context.Context, spec github.RepositorySpec) (*github.Repository, error) {
	if !r.Local() {
		return r.gh.CreateRepository(ctx, spec)
	}
	dir, err := r.localDir(spec.Owner, spec.Name)
	if err != nil {
		return nil, err
	}
	if spec.DefaultBranch == "" {
		spec.DefaultBranch = "main"
	}
	if spec.CommitMessage == "" {
		spec.CommitMessage = "initial commit"
	}
	if len(spec.Files) == 0 {
		return nil, errors.New("gitops: a repository needs at least one file")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &github.Repository{
		FullName: spec.Owner + "/" + spec.Name, CloneURL: "file://" + dir, HTMLURL: "file://" + dir, DefaultBranch: spec.DefaultBranch,
	}
	g := localGit{dir: dir}
	marker := "Platbot-Run: " + spec.Marker
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		msg, err := g.run(ctx, nil, nil, "log", "-1", "--format=%B", "refs/heads/"+spec.DefaultBranch)
		if err != nil || !strings.Contains(msg, marker) {
			return nil, fmt.Errorf("gitops: local repository %s: %w (platbot did not create it for this run)", out.FullName, github.ErrRepositoryTaken)
		}
		sha, err := g.run(ctx, nil, nil, "rev-parse", "refs/heads/"+spec.DefaultBranch)
		if err != nil {
			return nil, err
		}
		out.Commit = strings.TrimSpace(sha)
		return out, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("gitops: local repository %s: %w", dir, err)
	}
	// Build it in a temporary folder and move it into place, so a crash
	// never leaves a half-made repository under the final name.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+spec.Name+".new-")
	if err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	defer os.RemoveAll(tmp)
	tg := localGit{dir: tmp}
	if _, err := tg.run(ctx, nil, nil, "init", "--quiet", "--initial-branch="+spec.DefaultBranch); err != nil {
		return nil, err
	}
	files := append([]github.NewFile(nil), spec.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	args := []string{"update-index", "--add"}
	for _, f := range files {
		if err := gitlocal.CheckPath(f.Path); err != nil {
			return nil, fmt.Errorf("gitops: %w", err)
		}
		sha, err := tg.run(ctx, nil, f.Content, "hash-object", "-w", "--stdin")
		if err != nil {
			return nil, err
		}
		args = append(args, "--cacheinfo", f.Mode()+","+strings.TrimSpace(sha)+","+f.Path)
	}
	if _, err := tg.run(ctx, nil, nil, args...); err != nil {
		return nil, err
	}
	tree, err := tg.run(ctx, nil, nil, "write-tree")
	if err != nil {
		return nil, err
	}
	name, email := spec.AuthorName, spec.AuthorEmail
	if name == "" {
		name = "platbot"
	}
	if email == "" {
		email = "platbot@localhost"
	}
	env := []string{"GIT_AUTHOR_NAME=" + name, "GIT_AUTHOR_EMAIL=" + email, "GIT_COMMITTER_NAME=platbot", "GIT_COMMITTER_EMAIL=platbot@localhost"}
	commit, err := tg.run(ctx, env, []byte(spec.CommitMessage+"\n\n"+marker+"\n"), "commit-tree", strings.TrimSpace(tree))
	if err != nil {
		return nil, err
	}
	out.Commit = strings.TrimSpace(commit)
	if _, err := tg.run(ctx, nil, nil, "update-ref", "refs/heads/"+spec.DefaultBranch, out.Commit); err != nil {
		return nil, err
	}
	if _, err := tg.run(ctx, nil, nil, "checkout", "--quiet", "--force", spec.DefaultBranch); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("gitops: create %s: %w", dir, err)
	}
	out.Created = true
	return out, nil
}

// OpenPullRequest opens a pull request in owner/name, idempotent per
// branch (see Publisher.Open). A local repository must exist.
func (r *Repositories) OpenPullRequest(ctx context.Context, owner, name string, c RepoPullRequest) (*PullRequest, string, error) {
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	if r.Local() {
		dir, err := r.localDir(owner, name)
		if err != nil {
			return nil, "", err
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
			return nil, "", fmt.Errorf("gitops: there is no local repository %s/%s (%s)", owner, name, dir)
		}
		base := c.Base
		if base == "" {
			head, err := localGit{dir: dir}.run(ctx, nil, nil, "symbolic-ref", "--short", "HEAD")
			if err != nil {
				return nil, "", err
			}
			base = strings.TrimSpace(head)
		}
		repo, err := gitlocal.Open(ctx, dir, gitlocal.Options{Base: base})
		if err != nil {
			return nil, "", err
		}
		files := make([]gitlocal.File, len(names))
		for i, n := range names {
			files[i] = gitlocal.File{Path: n, Content: []byte(c.Files[n]), Executable: c.Executable[n]}
		}
		pr, created, err := repo.OpenPullRequest(ctx, gitlocal.PullRequestSpec{
			Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
			Files: files, Delete: c.deletions(), Labels: c.Labels, Assignees: c.Assignees,
		})
		if err != nil {
			return nil, "", err
		}
		return &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: created, Closed: pr.Closed}, pr.Base, nil
	}
	prs, err := r.gh.PullRequests(owner+"/"+name, github.PullRequestOptions{Base: c.Base})
	if err != nil {
		return nil, "", fmt.Errorf("gitops: %w", err)
	}
	files := make([]github.NewFile, len(names))
	for i, n := range names {
		files[i] = github.NewFile{Path: n, Content: []byte(c.Files[n]), Executable: c.Executable[n]}
	}
	pr, err := prs.Open(ctx, github.PullRequestSpec{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage, Files: files, Delete: c.deletions(),
		Labels: c.Labels, Assignees: c.Assignees, Draft: c.Draft, Reviewers: c.Reviewers, TeamReviewers: c.TeamReviewers,
	})
	if err != nil {
		return nil, "", err
	}
	out := &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Closed: pr.State == "closed"}
	var notes []string
	if pr.AssigneeError != "" {
		notes = append(notes, "could not assign "+strings.Join(c.Assignees, ", "))
	}
	if pr.ReviewerError != "" {
		notes = append(notes, "could not request reviews from "+strings.Join(append(append([]string(nil), c.Reviewers...), c.TeamReviewers...), ", "))
	}
	out.Note = strings.Join(notes, "; ")
	return out, pr.Base, nil
}

// localGit runs git in one folder.
type localGit struct{ dir string }

func (g localGit) run(ctx context.Context, env []string, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		return "", fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(errb.String()+" "+err.Error()))
	}
	return out.String(), nil
}
