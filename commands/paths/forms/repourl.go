package forms

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// A RepoUrlPicker is asked as up to three fields, named after the
// parameter: the host (only when ui:options allowedHosts offers several),
// the owner and the repository name.
const (
	repoHostSuffix  = ".host"
	repoOwnerSuffix = ".owner"
	repoNameSuffix  = ".repo"
)

// DefaultRepoHost is the RepoUrlPicker's host when ui:options names no
// allowedHosts.
const DefaultRepoHost = "github.com"

var (
	// repoOwnerName is a GitHub user or organisation name.
	repoOwnerName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	// repoName is a GitHub repository name.
	repoName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
)

// repoHosts are the hosts a RepoUrlPicker allows, the default first.
func (p *Property) repoHosts() []string {
	if hs := strList(p.UIOptions["allowedHosts"]); len(hs) > 0 {
		return hs
	}
	return []string{DefaultRepoHost}
}

// repoOwners are the owners offered: ui:options allowedOwners, else the
// names of the user's teams (owners are group refs); none means the owner
// is typed.
func (p *Property) repoOwners(owners []string) []string {
	if os := strList(p.UIOptions["allowedOwners"]); len(os) > 0 {
		return os
	}
	var out []string
	for _, g := range owners {
		_, _, name := catalog.ParseRef(g, catalog.KindGroup, catalog.DefaultNamespace)
		out = append(out, name)
	}
	return out
}

// repoFields are the RepoUrlPicker's form fields.
func (p *Property) repoFields(owners []string, required bool) []bot.Field {
	help := p.help()
	var out []bot.Field
	if hosts := p.repoHosts(); len(hosts) > 1 {
		out = append(out, bot.Field{ID: p.Name + repoHostSuffix, Label: p.label() + ": host", Kind: bot.FieldSelect,
			Options: options(anys(hosts), nil), Default: hosts[0], Required: true})
	}
	owner := bot.Field{ID: p.Name + repoOwnerSuffix, Label: p.label() + ": owner", Required: required, Help: help}
	if os := p.repoOwners(owners); len(os) > 0 {
		owner.Kind, owner.Options, owner.Default = bot.FieldSelect, options(anys(os), nil), os[0]
	} else {
		owner.Kind, owner.Placeholder = bot.FieldText, "acme"
		owner.Pattern, owner.PatternHint = repoOwnerName.String()[1:len(repoOwnerName.String())-1], ownerHint
	}
	repo := bot.Field{ID: p.Name + repoNameSuffix, Label: p.label() + ": repository", Required: required}
	if rs := strList(p.UIOptions["allowedRepos"]); len(rs) > 0 {
		repo.Kind, repo.Options, repo.Default = bot.FieldSelect, options(anys(rs), nil), rs[0]
	} else {
		repo.Kind, repo.Placeholder, repo.MaxLen = bot.FieldText, "my-service", 100
		repo.Pattern, repo.PatternHint = `[A-Za-z0-9._-]+`, repoHint
	}
	if cur, ok := p.Default.(string); ok {
		if _, o, r, ok := parseRepoURL(cur); ok {
			if owner.Kind == bot.FieldText && o != "" {
				owner.Default = o
			}
			if repo.Kind == bot.FieldText {
				repo.Default = r
			}
		}
	}
	return append(out, owner, repo)
}

const (
	ownerHint = "use the owner's name on the host: letters, digits and '-' (like acme)"
	repoHint  = "use letters, digits, '.', '_' and '-' (like orders-service)"
)

// anys turns texts into enum values.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// repoValue reads a RepoUrlPicker: its host, owner and repository fields,
// or the whole value under the parameter's own name (as a command line
// gives it), as Backstage writes it: "github.com?owner=o&repo=r".
func (p *Property) repoValue(v bot.Values) (any, bool, string) {
	host, owner, repo := "", "", ""
	if whole := strings.TrimSpace(v.Get(p.Name)); whole != "" {
		var ok bool
		if host, owner, repo, ok = parseRepoURL(whole); !ok {
			return whole, true, "must be a repository location like " + DefaultRepoHost + "?owner=acme&repo=my-service"
		}
	} else {
		host = strings.TrimSpace(v.Get(p.Name + repoHostSuffix))
		owner = strings.TrimSpace(v.Get(p.Name + repoOwnerSuffix))
		repo = strings.TrimSpace(v.Get(p.Name + repoNameSuffix))
		if host == "" {
			host = p.repoHosts()[0]
		}
	}
	if owner == "" && repo == "" {
		return nil, false, ""
	}
	return repoURL(host, owner, repo), true, ""
}

// repoURL writes a repository location as Backstage's RepoUrlPicker does.
func repoURL(host, owner, repo string) string {
	q := url.Values{}
	if owner != "" {
		q.Set("owner", owner)
	}
	if repo != "" {
		q.Set("repo", repo)
	}
	return host + "?" + q.Encode()
}

// parseRepoURL reads "host?owner=o&repo=r".
func parseRepoURL(s string) (host, owner, repo string, ok bool) {
	u, err := url.Parse("https://" + s)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", "", "", false
	}
	q := u.Query()
	return u.Host, q.Get("owner"), q.Get("repo"), true
}

// repoProblems checks a RepoUrlPicker's parts (Backstage refuses a
// location without a repository; its host must be allowed, and so must
// its owner and repository where ui:options lists them), keyed by the
// field each concerns.
func (p *Property) repoProblems(v bot.Values, required bool) map[string]string {
	errs := map[string]string{}
	val, ok, msg := p.repoValue(v)
	ownerID, repoID, hostID := p.Name+repoOwnerSuffix, p.Name+repoNameSuffix, p.Name+repoHostSuffix
	if msg != "" {
		errs[repoID] = msg
		return errs
	}
	if !ok {
		if required {
			errs[ownerID], errs[repoID] = "is required", "is required"
		}
		return errs
	}
	host, owner, repo, _ := parseRepoURL(val.(string))
	switch allowed := strList(p.UIOptions["allowedOwners"]); {
	case owner == "":
		errs[ownerID] = "is required"
	case len(allowed) > 0 && !contains(allowed, owner):
		errs[ownerID] = "must be one of " + strings.Join(allowed, ", ")
	case !repoOwnerName.MatchString(owner):
		errs[ownerID] = ownerHint
	}
	switch allowed := strList(p.UIOptions["allowedRepos"]); {
	case repo == "":
		errs[repoID] = "is required"
	case len(allowed) > 0 && !contains(allowed, repo):
		errs[repoID] = "must be one of " + strings.Join(allowed, ", ")
	case !repoName.MatchString(repo) || repo == "." || repo == "..":
		errs[repoID] = repoHint
	}
	if hosts := p.repoHosts(); !contains(hosts, host) {
		if len(hosts) > 1 {
			errs[hostID] = "must be one of " + strings.Join(hosts, ", ")
		} else if errs[repoID] == "" {
			errs[repoID] = "must be on " + hosts[0]
		}
	}
	return errs
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}
