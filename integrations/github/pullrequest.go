package github

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// PullRequestOptions configure PullRequests.
type PullRequestOptions struct {
	// Base is the branch pull requests target ("" = the repository's default branch).
	Base string
	// Attempts bounds how often one call is tried when GitHub answers with
	// a rate limit (429, secondary rate limit) or a 5xx (default 4).
	Attempts int
	// MinDelay and MaxDelay bound the backoff between attempts (default 1s
	// and 60s). A Retry-After or rate-limit reset further away than
	// MaxDelay fails the call at once, saying when to try again.
	MinDelay, MaxDelay time.Duration
}

// PullRequests opens golden-path pull requests in one repository with the
// Git Data API: blobs, one tree, ONE commit and a branch ref, then the pull
// request, its labels and assignees. Every step checks before it creates,
// so a retried or resumed call reuses the branch and pull request of an
// earlier attempt instead of opening a second one.
type PullRequests struct {
	c           *Client
	owner, repo string
	opts        PullRequestOptions

	mu   sync.Mutex
	base string
}

// PullRequests returns the pull-request opener for "owner/name".
func (c *Client) PullRequests(slug string, opts PullRequestOptions) (*PullRequests, error) {
	owner, repo, ok := strings.Cut(strings.TrimSpace(slug), "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("github: repository %q: want owner/name", slug)
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 4
	}
	if opts.MinDelay <= 0 {
		opts.MinDelay = time.Second
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 60 * time.Second
	}
	return &PullRequests{c: c, owner: owner, repo: repo, opts: opts, base: opts.Base}, nil
}

// Repo returns "owner/name".
func (p *PullRequests) Repo() string { return p.owner + "/" + p.repo }

// NewFile is one file of a pull request.
type NewFile struct {
	Path    string
	Content []byte
	// Executable files are committed with mode 100755.
	Executable bool
}

// Mode is the file's git mode: 100755 when executable, else 100644.
func (f NewFile) Mode() string {
	if f.Executable {
		return "100755"
	}
	return "100644"
}

// PullRequestSpec is what to propose.
type PullRequestSpec struct {
	// Branch is created for the change; it must be deterministic per run
	// ("plat/<run-id>-<path>") so a retry finds the earlier attempt's work.
	Branch        string
	Title         string
	Body          string
	CommitMessage string
	Files         []NewFile
	// Delete names files of the base branch the commit removes (a tree
	// entry with "sha": null). GitHub refuses to delete a path that is not
	// a file there (nothing, or a folder); a path may not be both written
	// and deleted.
	Delete []string
	Labels []string
	// Assignees are GitHub logins; one GitHub refuses is skipped, not fatal.
	Assignees []string
	Draft     bool
	// Reviewers (logins) and TeamReviewers (team slugs) are asked to
	// review; a request GitHub refuses is noted, not fatal (as Backstage).
	Reviewers, TeamReviewers []string
}

// PullRequest is an opened (or found) pull request.
type PullRequest struct {
	Number int
	URL    string
	Branch string
	Base   string
	Commit string
	// State is "open" or "closed" (as GitHub says it); Merged tells a
	// closed pull request that was merged from one that was declined.
	State  string
	Merged bool
	// Created is false when an earlier attempt's pull request was reused.
	Created bool
	// AssigneeError says why assignees were skipped ("" when they were not).
	AssigneeError string
	// ReviewerError says why reviewers were not requested ("" when they were).
	ReviewerError string
}

// Open creates the branch with one commit holding every file (and without
// every deleted one) on top of the base branch, and a pull request from it, reusing whatever an earlier
// attempt with the same branch already created. A pull request from the
// branch that was closed is returned as it is (State "closed"), not opened
// again: whether to ask again, on another branch, is the caller's call.
func (p *PullRequests) Open(ctx context.Context, spec PullRequestSpec) (*PullRequest, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	base, err := p.baseBranch(ctx)
	if err != nil {
		return nil, err
	}
	pr, err := p.find(ctx, spec.Branch)
	if err != nil {
		return nil, err
	}
	created := false
	if pr == nil {
		if _, err := p.ensureBranch(ctx, spec, base); err != nil {
			return nil, err
		}
		pr, created, err = p.create(ctx, spec, base)
		if err != nil {
			return nil, err
		}
	}
	out := &PullRequest{
		Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Branch: spec.Branch, Base: pr.GetBase().GetRef(),
		Commit: pr.GetHead().GetSHA(), State: pr.GetState(), Merged: pr.MergedAt != nil, Created: created,
	}
	if out.Base == "" {
		out.Base = base
	}
	if out.State == "closed" {
		return out, nil
	}
	if len(spec.Labels) > 0 {
		err := p.call(ctx, "label pull request #"+strconv.Itoa(out.Number), func() (*gh.Response, error) {
			_, resp, err := p.c.gh.Issues.AddLabelsToIssue(ctx, p.owner, p.repo, out.Number, spec.Labels)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
	}
	if len(spec.Assignees) > 0 {
		err := p.call(ctx, "assign pull request #"+strconv.Itoa(out.Number), func() (*gh.Response, error) {
			_, resp, err := p.c.gh.Issues.AddAssignees(ctx, p.owner, p.repo, out.Number, spec.Assignees)
			return resp, err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			// A login that is not a collaborator is not worth failing for.
			out.AssigneeError = err.Error()
			p.c.log.Warn("could not assign pull request", "repo", p.Repo(), "number", out.Number, "err", err)
		}
	}
	if len(spec.Reviewers) > 0 || len(spec.TeamReviewers) > 0 {
		err := p.call(ctx, "request reviewers of pull request #"+strconv.Itoa(out.Number), func() (*gh.Response, error) {
			_, resp, err := p.c.gh.PullRequests.RequestReviewers(ctx, p.owner, p.repo, out.Number, gh.ReviewersRequest{Reviewers: spec.Reviewers, TeamReviewers: spec.TeamReviewers})
			return resp, err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			out.ReviewerError = err.Error()
			p.c.log.Warn("could not request reviewers", "repo", p.Repo(), "number", out.Number, "err", err)
		}
	}
	return out, nil
}

func checkSpec(spec PullRequestSpec) error {
	if spec.Branch == "" || strings.HasPrefix(spec.Branch, "/") || strings.Contains(spec.Branch, "..") ||
		strings.ContainsAny(spec.Branch, " ~^:?*[\\") {
		return fmt.Errorf("github: %q is not a usable branch name", spec.Branch)
	}
	if spec.Title == "" {
		return errors.New("github: a pull request needs a title")
	}
	if len(spec.Files) == 0 && len(spec.Delete) == 0 {
		return errors.New("github: a pull request needs at least one file to write or delete")
	}
	paths := make([]string, 0, len(spec.Files)+len(spec.Delete))
	for _, f := range spec.Files {
		paths = append(paths, f.Path)
	}
	paths = append(paths, spec.Delete...)
	seen := map[string]bool{}
	for _, p := range paths {
		if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") {
			return fmt.Errorf("github: file path %q must be relative and stay inside the repository", p)
		}
		if seen[p] {
			return fmt.Errorf("github: file %s listed twice (written or deleted)", p)
		}
		seen[p] = true
	}
	return nil
}

func (p *PullRequests) baseBranch(ctx context.Context) (string, error) {
	p.mu.Lock()
	b := p.base
	p.mu.Unlock()
	if b != "" {
		return b, nil
	}
	var repo *gh.Repository
	err := p.call(ctx, "read repository "+p.Repo(), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		repo, resp, err = p.c.gh.Repositories.Get(ctx, p.owner, p.repo)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	b = repo.GetDefaultBranch()
	if b == "" {
		b = "main"
	}
	p.mu.Lock()
	p.base = b
	p.mu.Unlock()
	return b, nil
}

// find returns the pull request whose head is branch (open or not), or nil.
func (p *PullRequests) find(ctx context.Context, branch string) (*gh.PullRequest, error) {
	var prs []*gh.PullRequest
	err := p.call(ctx, "look for a pull request from "+branch, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		prs, resp, err = p.c.gh.PullRequests.List(ctx, p.owner, p.repo, &gh.PullRequestListOptions{
			State: "all", Head: p.owner + ":" + branch, ListOptions: gh.ListOptions{PerPage: 10},
		})
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	// An open pull request from the branch before a closed one (GitHub
	// allows a new one once the earlier is closed).
	var found *gh.PullRequest
	for _, pr := range prs {
		if pr.GetHead().GetRef() != branch {
			continue
		}
		if pr.GetState() == "open" {
			return pr, nil
		}
		if found == nil {
			found = pr
		}
	}
	return found, nil
}

// ensureBranch returns the head commit of branch, creating the branch with
// one commit holding every file and without every deleted one when it does
// not exist.
func (p *PullRequests) ensureBranch(ctx context.Context, spec PullRequestSpec, base string) (string, error) {
	if sha, err := p.refSHA(ctx, spec.Branch); err != nil || sha != "" {
		if sha != "" {
			p.c.log.Info("reusing branch of an earlier attempt", "repo", p.Repo(), "branch", spec.Branch, "commit", sha)
		}
		return sha, err
	}
	baseSHA, err := p.refSHA(ctx, base)
	if err != nil {
		return "", err
	}
	if baseSHA == "" {
		return "", fmt.Errorf("github: base branch %s does not exist in %s", base, p.Repo())
	}
	var baseCommit *gh.Commit
	err = p.call(ctx, "read commit "+baseSHA, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		baseCommit, resp, err = p.c.gh.Git.GetCommit(ctx, p.owner, p.repo, baseSHA)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	entries, err := p.storeBlobs(ctx, spec.Files)
	if err != nil {
		return "", err
	}
	for _, d := range spec.Delete {
		// No SHA and no content: go-github sends "sha": null, which
		// deletes the path from the base tree.
		entries = append(entries, &gh.TreeEntry{Path: gh.String(d), Mode: gh.String("100644"), Type: gh.String("blob")})
	}
	var tree *gh.Tree
	err = p.call(ctx, "create tree", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		tree, resp, err = p.c.gh.Git.CreateTree(ctx, p.owner, p.repo, baseCommit.GetTree().GetSHA(), entries)
		return resp, err
	})
	if err != nil {
		if len(spec.Delete) > 0 && isUnprocessable(err, "") {
			return "", fmt.Errorf("%w (GitHub refuses to delete a path that is not a file on %s: check %s)", err, base, strings.Join(spec.Delete, ", "))
		}
		return "", err
	}
	msg := spec.CommitMessage
	if msg == "" {
		msg = spec.Title
	}
	var commit *gh.Commit
	err = p.call(ctx, "create commit", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		commit, resp, err = p.c.gh.Git.CreateCommit(ctx, p.owner, p.repo, &gh.Commit{
			Message: gh.String(msg), Tree: &gh.Tree{SHA: tree.SHA}, Parents: []*gh.Commit{{SHA: gh.String(baseSHA)}},
		}, nil)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	err = p.call(ctx, "create branch "+spec.Branch, func() (*gh.Response, error) {
		_, resp, err := p.c.gh.Git.CreateRef(ctx, p.owner, p.repo, &gh.Reference{
			Ref: gh.String("refs/heads/" + spec.Branch), Object: &gh.GitObject{SHA: commit.SHA},
		})
		return resp, err
	})
	if err != nil {
		// Created by an attempt whose answer was lost: use what is there.
		if isUnprocessable(err, "already exists") {
			return p.refSHA(ctx, spec.Branch)
		}
		return "", err
	}
	return commit.GetSHA(), nil
}

// storeBlobs stores each file as a blob and returns the tree entries
// naming them.
func (p *PullRequests) storeBlobs(ctx context.Context, files []NewFile) ([]*gh.TreeEntry, error) {
	entries := make([]*gh.TreeEntry, 0, len(files))
	for _, f := range files {
		var blob *gh.Blob
		err := p.call(ctx, "store "+f.Path, func() (*gh.Response, error) {
			var resp *gh.Response
			var err error
			blob, resp, err = p.c.gh.Git.CreateBlob(ctx, p.owner, p.repo, &gh.Blob{
				Content: gh.String(base64.StdEncoding.EncodeToString(f.Content)), Encoding: gh.String("base64"),
			})
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		entries = append(entries, &gh.TreeEntry{Path: gh.String(f.Path), Mode: gh.String(f.Mode()), Type: gh.String("blob"), SHA: blob.SHA})
	}
	return entries, nil
}

// refSHA returns the commit a branch points at ("" when it does not exist).
func (p *PullRequests) refSHA(ctx context.Context, branch string) (string, error) {
	var ref *gh.Reference
	err := p.call(ctx, "read branch "+branch, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		ref, resp, err = p.c.gh.Git.GetRef(ctx, p.owner, p.repo, "refs/heads/"+branch)
		return resp, err
	})
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return ref.GetObject().GetSHA(), nil
}

func (p *PullRequests) create(ctx context.Context, spec PullRequestSpec, base string) (*gh.PullRequest, bool, error) {
	var pr *gh.PullRequest
	err := p.call(ctx, "open pull request from "+spec.Branch, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		pr, resp, err = p.c.gh.PullRequests.Create(ctx, p.owner, p.repo, &gh.NewPullRequest{
			Title: gh.String(spec.Title), Head: gh.String(spec.Branch), Base: gh.String(base),
			Body: gh.String(spec.Body), Draft: gh.Bool(spec.Draft),
		})
		return resp, err
	})
	if err != nil {
		if isUnprocessable(err, "already exists") {
			found, ferr := p.find(ctx, spec.Branch)
			if ferr == nil && found != nil {
				return found, false, nil
			}
		}
		return nil, false, err
	}
	return pr, true, nil
}

func isUnprocessable(err error, substr string) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	if strings.Contains(strings.ToLower(er.Message), substr) {
		return true
	}
	for _, e := range er.Errors {
		if strings.Contains(strings.ToLower(e.Message), substr) {
			return true
		}
	}
	return false
}

// call runs one API call, retrying with backoff when GitHub answers with a
// rate limit (primary or secondary, including a plain 429, which go-github
// reports as an ErrorResponse) or a server error. The HTTP transport already
// retries GETs on 429 and 5xx, so those are not retried again here.
func (p *PullRequests) call(ctx context.Context, what string, f func() (*gh.Response, error)) error {
	var err error
	for attempt := 1; ; attempt++ {
		var resp *gh.Response
		resp, err = f()
		if err == nil {
			return nil
		}
		wait, retry, why := p.retryAfter(resp, err, attempt)
		if !retry || attempt >= p.opts.Attempts || ctx.Err() != nil {
			break
		}
		if wait > p.opts.MaxDelay {
			return fmt.Errorf("github: %s in %s: %s; GitHub asks to wait %s, try again after %s",
				what, p.Repo(), why, wait.Round(time.Second), time.Now().Add(wait).UTC().Format("15:04 UTC"))
		}
		p.c.log.Warn("github call failed, backing off", "what", what, "repo", p.Repo(), "attempt", attempt, "wait", wait, "why", why)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("github: %s in %s: %w", what, p.Repo(), ctx.Err())
		case <-t.C:
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("github: %s in %s: %w", what, p.Repo(), ctx.Err())
	}
	return &apiError{msg: fmt.Sprintf("github: %s in %s: %s", what, p.Repo(), describeGitHubError(err)), err: err}
}

// apiError is a failed call described for people, wrapping go-github's error.
type apiError struct {
	msg string
	err error
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

// retryAfter classifies an error: whether to retry, after how long, and why.
func (p *PullRequests) retryAfter(resp *gh.Response, err error, attempt int) (time.Duration, bool, string) {
	backoff := p.opts.MinDelay << (attempt - 1)
	backoff += time.Duration(rand.Float64() * 0.25 * float64(backoff))
	backoff = min(backoff, p.opts.MaxDelay)
	get := resp != nil && resp.Request != nil && (resp.Request.Method == http.MethodGet || resp.Request.Method == http.MethodHead)

	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	switch {
	case errors.As(err, &abuse):
		wait := backoff
		if abuse.RetryAfter != nil {
			wait = *abuse.RetryAfter
		}
		return wait, true, "secondary rate limit"
	case errors.As(err, &rl):
		wait := time.Until(rl.Rate.Reset.Time)
		if wait < p.opts.MinDelay {
			wait = p.opts.MinDelay
		}
		return wait, true, "API rate limit exceeded"
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		if code == http.StatusTooManyRequests || code >= 500 {
			if get {
				return 0, false, "" // the transport retried it already
			}
			wait := backoff
			if s, perr := strconv.Atoi(strings.TrimSpace(er.Response.Header.Get("Retry-After"))); perr == nil && s >= 0 {
				wait = time.Duration(s) * time.Second
			}
			if code == http.StatusTooManyRequests {
				return wait, true, "rate limited (429)"
			}
			return wait, true, fmt.Sprintf("server error (%d)", code)
		}
	}
	return 0, false, ""
}

// describeGitHubError turns a go-github error into one readable line.
func describeGitHubError(err error) string {
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	switch {
	case errors.As(err, &abuse):
		return "GitHub's secondary rate limit stopped us; try again in a few minutes"
	case errors.As(err, &rl):
		return fmt.Sprintf("GitHub API rate limit exceeded until %s", rl.Rate.Reset.UTC().Format("15:04 UTC"))
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		msg := er.Message
		if msg == "" {
			msg = http.StatusText(code)
		}
		switch {
		case code == http.StatusTooManyRequests:
			return fmt.Sprintf("GitHub kept answering 429 Too Many Requests (%s); try again in a few minutes", msg)
		case code >= 500:
			return fmt.Sprintf("GitHub answered %d %s; GitHub may be having problems, try again in a few minutes", code, msg)
		case code == http.StatusUnauthorized:
			return "GitHub rejected the token (401); check GITHUB_TOKEN"
		case code == http.StatusForbidden:
			return fmt.Sprintf("the token may not do this (403: %s); check GITHUB_TOKEN's permissions on the repository", msg)
		case code == http.StatusNotFound:
			return "not found (404): check PLATBOT_GITOPS_REPO and that the token can see the repository"
		}
		return fmt.Sprintf("GitHub answered %d: %s", code, msg)
	}
	return err.Error()
}
