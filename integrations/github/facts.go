package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// maxReadme caps how much of a README the scorecard keeps.
const maxReadme = 256 << 10

// RepoFacts is what the scorecard reads about a repository through the
// contents API: its README, whether CODEOWNERS and CI workflows exist, and
// the last commit on the default branch.
type RepoFacts struct {
	DefaultBranch string
	// Readme is the README's text ("" when there is none), cut at 256 KiB.
	Readme    string
	HasReadme bool
	// HasCodeowners is set when CODEOWNERS exists at the root, in .github/ or in docs/.
	HasCodeowners bool
	// Workflows are the file names under .github/workflows ending in .yml or .yaml.
	Workflows []string
	// LastCommit is the committer date of the default branch's head.
	LastCommit time.Time
}

// RepoFacts gathers the scorecard's repository facts of owner/repo. Files
// that are missing are reported as absent; only a failure to ask GitHub is an
// error.
func (c *Client) RepoFacts(ctx context.Context, owner, repo string) (RepoFacts, error) {
	var f RepoFacts
	r, _, err := c.gh.Repositories.Get(ctx, owner, repo)
	if err != nil {
		return f, wrap(owner+"/"+repo, err)
	}
	f.DefaultBranch = r.GetDefaultBranch()

	readme, _, err := c.gh.Repositories.GetReadme(ctx, owner, repo, nil)
	switch {
	case err == nil:
		s, derr := readme.GetContent()
		if derr != nil {
			return f, fmt.Errorf("github: decode README of %s/%s: %w", owner, repo, derr)
		}
		if len(s) > maxReadme {
			s = s[:maxReadme]
		}
		f.Readme, f.HasReadme = s, true
	case !factsNotFound(err):
		return f, wrap(owner+"/"+repo+" README", err)
	}

	for _, p := range []string{"CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"} {
		_, err := c.GetFile(ctx, owner, repo, p, "")
		if err == nil {
			f.HasCodeowners = true
			break
		}
		if !errors.Is(err, ErrNotFound) {
			return f, err
		}
	}

	entries, err := c.ListDir(ctx, owner, repo, ".github/workflows", "")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return f, err
	}
	for _, e := range entries {
		if ext := path.Ext(e.Name); e.Type == "file" && (ext == ".yml" || ext == ".yaml") {
			f.Workflows = append(f.Workflows, e.Name)
		}
	}

	if f.DefaultBranch != "" {
		b, _, err := c.gh.Repositories.GetBranch(ctx, owner, repo, f.DefaultBranch, 1)
		switch {
		case err == nil:
			f.LastCommit = b.GetCommit().GetCommit().GetCommitter().GetDate().Time
		case !factsNotFound(err):
			return f, wrap(owner+"/"+repo+" branch "+f.DefaultBranch, err)
		}
	}
	return f, nil
}

// LastDeployment returns when the newest successful deployment of owner/repo
// to environment ("" = any) went live, through the Deployments API: the
// newest deployments are read and, newest first, the first whose latest
// status is "success" wins (at most five are examined). ok is false when
// there is none.
func (c *Client) LastDeployment(ctx context.Context, owner, repo, environment string) (at time.Time, ok bool, err error) {
	deps, _, err := c.gh.Repositories.ListDeployments(ctx, owner, repo, &gh.DeploymentsListOptions{
		Environment: environment, ListOptions: gh.ListOptions{PerPage: 10},
	})
	if err != nil {
		if factsNotFound(err) {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, wrap(owner+"/"+repo+" deployments", err)
	}
	for i, d := range deps {
		if i >= 5 {
			break
		}
		sts, _, err := c.gh.Repositories.ListDeploymentStatuses(ctx, owner, repo, d.GetID(), &gh.ListOptions{PerPage: 1})
		if err != nil {
			return time.Time{}, false, wrap(fmt.Sprintf("%s/%s deployment %d statuses", owner, repo, d.GetID()), err)
		}
		if len(sts) > 0 && sts[0].GetState() == "success" {
			t := sts[0].GetCreatedAt().Time
			if t.IsZero() {
				t = d.GetCreatedAt().Time
			}
			return t, true, nil
		}
	}
	return time.Time{}, false, nil
}

// PRFile is one file changed by a pull request.
type PRFile struct {
	Path string
	// Status is added, modified, removed, renamed, copied, changed or unchanged.
	Status string
}

// PullRequestFiles lists the files a pull request changes
// (GET /repos/{owner}/{repo}/pulls/{number}/files, every page; GitHub stops
// at 3000 files).
func (c *Client) PullRequestFiles(ctx context.Context, owner, repo string, number int) ([]PRFile, error) {
	var out []PRFile
	opts := &gh.ListOptions{PerPage: 100}
	for page := 0; page < 30; page++ {
		files, resp, err := c.gh.PullRequests.ListFiles(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, wrap(fmt.Sprintf("%s/%s pull %d files", owner, repo, number), err)
		}
		for _, f := range files {
			out = append(out, PRFile{Path: f.GetFilename(), Status: f.GetStatus()})
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// Commit status states.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusPending = "pending"
	StatusError   = "error"
)

// CommitStatus is a status set on a commit.
type CommitStatus struct {
	State string // StatusSuccess, StatusFailure, StatusPending or StatusError
	// Context names the check, e.g. "platbot/scorecard".
	Context string
	// Description is cut at GitHub's 140 characters.
	Description string
	TargetURL   string
}

// CreateCommitStatus sets a status on a commit
// (POST /repos/{owner}/{repo}/statuses/{sha}). It is not retried: a second
// identical status is harmless, but the transport only retries reads.
func (c *Client) CreateCommitStatus(ctx context.Context, owner, repo, sha string, st CommitStatus) error {
	desc := st.Description
	if r := []rune(desc); len(r) > 140 {
		desc = string(r[:139]) + "…"
	}
	rs := &gh.RepoStatus{State: gh.String(st.State), Context: gh.String(st.Context), Description: gh.String(desc)}
	if st.TargetURL != "" {
		rs.TargetURL = gh.String(st.TargetURL)
	}
	if _, _, err := c.gh.Repositories.CreateStatus(ctx, owner, repo, sha, rs); err != nil {
		return wrap(fmt.Sprintf("%s/%s status of %s", owner, repo, shortSHA(sha)), err)
	}
	return nil
}

// factsNotFound reports whether a go-github error is a 404.
func factsNotFound(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return strings.TrimSpace(s)
}
