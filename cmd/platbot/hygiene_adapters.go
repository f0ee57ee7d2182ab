package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot/slack"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/hygiene"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
)

// The adapters of the hygiene feature's interfaces (commands/hygiene):
// Slack accounts, the scorecard's deploy facts and the files entities are
// read from (the cost feature's usage is in hygiene_usage.go).

// slackAccounts asks Slack's users.info whether an account is deactivated
// ("deleted": true).
type slackAccounts struct{ api *goslack.Client }

func newSlackAccounts(token, apiURL string) slackAccounts {
	return slackAccounts{api: goslack.New(token, goslack.OptionAPIURL(slack.APIURL(apiURL)))}
}

func (a slackAccounts) Deactivated(ctx context.Context, userID string) (bool, error) {
	u, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("slack users.info %s: %w", userID, err)
	}
	return u.Deleted, nil
}

// hygieneDeploys are the scorecard's deploy facts (Argo CD's watched
// history, GitHub Deployments, polled Argo CD, or the example facts). A
// provider that does not know is "unknown", never "no deploy".
type hygieneDeploys struct {
	p   facts.DeployProvider
	cat *catalog.Catalog
}

func (a hygieneDeploys) LastDeployed(ctx context.Context, e *catalog.Entity) (time.Time, bool, error) {
	s := facts.Subject{Entity: e}
	if o, ok := a.cat.Lookup(e.Owner(), catalog.KindGroup); ok && o.Kind == catalog.KindGroup {
		s.Owner = o
	}
	d, err := a.p.DeployFacts(ctx, s)
	if errors.Is(err, facts.ErrUnknown) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return d.Last, !d.Last.IsZero(), nil
}

// hygieneFiles reads and changes the files catalog entities come from: a
// GitHub file URL through the GitHub client (pull requests in its
// repository), a local file through the git repository that holds it (a
// branch plus a pull-request record, integrations/gitlocal).
type hygieneFiles struct {
	gh    *github.Client       // nil without GitHub
	repos *gitops.Repositories // GitHub repositories, nil without a token
	host  string               // the GitHub web host of catalog URLs
}

// ghFile is a file named by a GitHub URL https://<host>/<owner>/<repo>/blob/<ref>/<path>.
type ghFile struct{ owner, repo, ref, path string }

func (a hygieneFiles) parse(file string) (ghFile, bool, error) {
	if !strings.HasPrefix(file, "https://") {
		return ghFile{}, false, nil
	}
	u, err := url.Parse(file)
	if err != nil {
		return ghFile{}, true, fmt.Errorf("catalog file %s: %w", file, err)
	}
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 5)
	if u.Host != a.host || len(parts) != 5 || parts[2] != "blob" {
		return ghFile{}, true, fmt.Errorf("catalog file %s is not a file URL on %s", file, a.host)
	}
	f := ghFile{owner: parts[0], repo: parts[1], ref: parts[3], path: parts[4]}
	if f.ref == "HEAD" {
		f.ref = ""
	}
	return f, true, nil
}

func (a hygieneFiles) Read(ctx context.Context, file string) ([]byte, error) {
	f, remote, err := a.parse(file)
	if err != nil {
		return nil, err
	}
	if remote {
		if a.gh == nil {
			return nil, fmt.Errorf("%s is on GitHub, and no GitHub client is configured (GITHUB_TOKEN)", file)
		}
		return a.gh.GetFile(ctx, f.owner, f.repo, f.path, f.ref)
	}
	repo, rel, err := localRepo(ctx, file)
	if err != nil {
		return nil, err
	}
	return repo.ReadFile(ctx, rel)
}

func (a hygieneFiles) Propose(ctx context.Context, file string, c hygiene.Change) (*hygiene.PullRequest, error) {
	f, remote, err := a.parse(file)
	if err != nil {
		return nil, err
	}
	if remote {
		if a.repos == nil {
			return nil, fmt.Errorf("%s is on GitHub, and no GitHub token is configured to open pull requests (GITHUB_TOKEN)", file)
		}
		ch := gitops.Change{Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage, Files: map[string]string{f.path: c.Content}}
		if c.Delete {
			ch.Files, ch.Delete = nil, []string{f.path}
		}
		pr, _, err := a.repos.OpenPullRequest(ctx, f.owner, f.repo, gitops.RepoPullRequest{Change: ch, Base: f.ref})
		if err != nil {
			return nil, err
		}
		return &hygiene.PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch}, nil
	}
	repo, rel, err := localRepo(ctx, file)
	if err != nil {
		return nil, err
	}
	spec := gitlocal.PullRequestSpec{
		Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage,
		Files: []gitlocal.File{{Path: rel, Content: []byte(c.Content)}},
	}
	if c.Delete {
		spec.Files, spec.Delete = nil, []string{rel}
	}
	pr, _, err := repo.OpenPullRequest(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &hygiene.PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch}, nil
}

// localRepo opens the git repository that holds a local catalog file, with
// its checked-out branch as the base, and returns the file's path in it.
func localRepo(ctx context.Context, file string) (*gitlocal.Repo, string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, "", fmt.Errorf("catalog file %s: %w", file, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	git := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", filepath.Dir(abs)}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, "", fmt.Errorf("%s is not in a git repository, so no pull request can change it: edit it by hand", file)
	}
	base, err := git("symbolic-ref", "--short", "HEAD")
	if err != nil {
		return nil, "", fmt.Errorf("the git repository %s has no branch checked out: %w", top, err)
	}
	if _, err := os.Stat(filepath.Join(top, ".git")); err != nil {
		return nil, "", fmt.Errorf("the git repository of %s: %w", file, err)
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil {
		return nil, "", fmt.Errorf("catalog file %s: %w", file, err)
	}
	repo, err := gitlocal.Open(ctx, top, gitlocal.Options{Base: base})
	if err != nil {
		return nil, "", err
	}
	return repo, filepath.ToSlash(rel), nil
}

var (
	_ hygiene.Accounts = slackAccounts{}
	_ hygiene.Deploys  = hygieneDeploys{}
	_ hygiene.Files    = hygieneFiles{}
)
