package actions

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// repoRef is a repository named by a step's repoUrl.
type repoRef struct {
	Host, Owner, Repo string
}

func (r repoRef) slug() string { return r.Owner + "/" + r.Repo }

// repoName is what GitHub accepts as an owner or repository name.
var repoName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// parseRepoURL reads a repoUrl ("github.com?owner=o&repo=r") with the rules
// of Backstage's parseRepoUrl (as the templating filter of the same name
// does, commands/paths/templating/backstage_filters.go): the value is read
// as https://<repoUrl>, the host must be the GitHub platbot talks to, and
// the query's owner and repo (trimmed of /) are required.
func parseRepoURL(s, githubHost string) (repoRef, error) {
	if githubHost == "" {
		githubHost = "github.com"
	}
	u, err := url.Parse("https://" + strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return repoRef{}, fmt.Errorf("input.repoUrl %q is not a repository URL (want %s?owner=<owner>&repo=<name>)", s, githubHost)
	}
	if !strings.EqualFold(u.Host, githubHost) {
		return repoRef{}, fmt.Errorf("input.repoUrl %q names host %s; platbot publishes only to %s", s, u.Host, githubHost)
	}
	q := u.Query()
	r := repoRef{Host: u.Host, Owner: strings.Trim(q.Get("owner"), "/"), Repo: strings.Trim(q.Get("repo"), "/")}
	for _, p := range []struct{ name, v string }{{"repo", r.Repo}, {"owner", r.Owner}} {
		if p.v == "" {
			return repoRef{}, fmt.Errorf("input.repoUrl %q is missing %s", s, p.name)
		}
		if !repoName.MatchString(p.v) || p.v == "." || p.v == ".." {
			return repoRef{}, fmt.Errorf("input.repoUrl %q: %s %q is not a GitHub name (letters, digits, '-', '_', '.')", s, p.name, p.v)
		}
	}
	return r, nil
}
