package catalog

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"
)

// Defaults of Config.
const (
	// DefaultLocation is the folder read when no location is configured.
	DefaultLocation = "examples/catalog"
	// DefaultRefresh is the refresh schedule (a robfig/cron spec).
	DefaultRefresh = "@every 10m"
	// DefaultAdminGroup is the group whose members are platform admins.
	DefaultAdminGroup = "group:default/platform"
	// DefaultGitHubHost is the host GitHub URLs in locations must name.
	DefaultGitHubHost = "github.com"
)

// Location types.
const (
	LocationFile   = "file"
	LocationGitHub = "github"
)

// Manager sources, in Config.ManagerFrom.
const (
	// ManagerFromUser reads the manager annotation on the User.
	ManagerFromUser = "user"
	// ManagerFromGroup reads the manager annotation on the user's primary
	// team, then on its parents, skipping the user themself.
	ManagerFromGroup = "group"
)

// Config is the catalog's configuration (the "catalog" section of
// platbot.yaml).
//
//	catalog:
//	  refresh: "@every 10m"
//	  adminGroups: [group:default/platform]
//	  organization:
//	    - target: catalog/org.yaml
//	    - target: catalog/people.yaml
//	  locations:
//	    - target: catalog
//	    - repo: acme/payments
//	      path: catalog-info.yaml
//	      ref: main
//	      owner: payments
//
// Trust: only organisation sources may define identity and authority
// (User and Group entities, and with them group parents, members,
// slack.com/user-id and platbot.dev/manager). They are the Organization
// locations; when Organization is not configured, every location in
// Locations without an Owner is one (the single-list setup of the example
// catalog). Files reached through a Location entity, and locations with an
// Owner, are team sources: they may add only Component, API, Resource,
// System and Template entities owned by that team (the Location entity's
// spec.owner, or the location's Owner). See docs/catalog.md.
type Config struct {
	// Organization are the organisation sources: the only locations that
	// may add User and Group entities. Location entities in them are
	// followed, and the files they name are team sources.
	Organization []LocationConfig `yaml:"organization,omitempty" json:"organization,omitempty"`
	// Locations are where the other entities are read from. While
	// Organization is empty, those without an Owner are organisation
	// sources too.
	Locations []LocationConfig `yaml:"locations" json:"locations"`
	// Rules say which kinds a location may contribute when it has no rules
	// of its own (Backstage's catalog.rules). Empty allows every kind.
	Rules []KindRule `yaml:"rules,omitempty" json:"rules,omitempty"`
	// AdminGroups are the groups whose members (directly or through a
	// sub-group) hold the "admin" role.
	AdminGroups []string `yaml:"adminGroups" json:"adminGroups"`
	// Roles grant further roles to the members of groups: role → groups.
	Roles map[string][]string `yaml:"roles,omitempty" json:"roles,omitempty"`
	// ManagerFrom lists where a user's manager is looked up, in order:
	// "user" (the platbot.dev/manager annotation on the User) and "group"
	// (that annotation on the user's primary team, then its parents).
	ManagerFrom []string `yaml:"managerFrom,omitempty" json:"managerFrom,omitempty"`
	// Refresh is the robfig/cron spec of the refresh schedule.
	Refresh string `yaml:"refresh" json:"refresh"`
	// GitHubHost is the host GitHub URLs in locations and Location
	// entities must name (default github.com; the GitHub Enterprise host
	// when GitHub is reached through one). URLs on any other host are
	// refused.
	GitHubHost string `yaml:"githubHost,omitempty" json:"githubHost,omitempty"`
}

// LocationConfig is one configured location: a local folder or file, or a
// file in a GitHub repository.
type LocationConfig struct {
	// Type is "file" or "github"; empty means github when Repo is set or
	// Target is a GitHub URL, else file.
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	// Target is the local folder or file. A folder contributes the .yaml and
	// .yml files directly in it; its sub-folders are reached through
	// Location entities. A https://github.com/{owner}/{repo}/blob/{ref}/{path}
	// URL is read as a GitHub location.
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
	// Repo is "owner/name" of a GitHub repository.
	Repo string `yaml:"repo,omitempty" json:"repo,omitempty"`
	// Path is the file in Repo (default catalog-info.yaml).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Ref is the branch, tag or commit ("" = the default branch).
	Ref string `yaml:"ref,omitempty" json:"ref,omitempty"`
	// Rules restrict the kinds this location, and every file it leads to
	// through Location entities, may contribute. Empty means Config.Rules.
	Rules []KindRule `yaml:"rules,omitempty" json:"rules,omitempty"`
	// Owner makes the location a team source of that group (a bare name
	// means a Group): it may add only Component, API, Resource, System and
	// Template entities whose spec.owner is that group.
	Owner string `yaml:"owner,omitempty" json:"owner,omitempty"`
}

// KindRule allows kinds, as an entry of Backstage's catalog.rules.
type KindRule struct {
	Allow []string `yaml:"allow" json:"allow"`
}

// DefaultConfig reads examples/catalog, makes group:default/platform the
// admins and refreshes every 10 minutes. It sets no Organization, so the
// example folder's own files (org.yaml, people.yaml, …) are the
// organisation, and the payments team's file its Location entity brings
// in is a team file.
func DefaultConfig() Config {
	return Config{
		Locations:   []LocationConfig{{Target: DefaultLocation}},
		AdminGroups: []string{DefaultAdminGroup},
		ManagerFrom: []string{ManagerFromUser, ManagerFromGroup},
		Refresh:     DefaultRefresh,
	}
}

// AddLocations adds locations to the configured ones: folders or files, or
// https://github.com/{owner}/{repo}/blob/{ref}/{path} URLs (as
// PLATBOT_CATALOG lists them, comma-separated). Blank targets and places
// already configured are skipped.
func (c *Config) AddLocations(targets ...string) {
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		l := LocationConfig{Target: t}
		if _, owner, repo, ref, p, ok := parseGitHubURL(t); ok {
			l = LocationConfig{Type: LocationGitHub, Target: t, Repo: owner + "/" + repo, Ref: ref, Path: p}
		}
		if slices.ContainsFunc(c.Locations, l.sameAs) {
			continue
		}
		c.Locations = append(c.Locations, l)
	}
}

// sameAs reports whether two configured locations name the same place.
func (l LocationConfig) sameAs(o LocationConfig) bool {
	if l.Target != "" && l.Target == o.Target {
		return true
	}
	return l.Repo != "" && l.Repo == o.Repo && l.Ref == o.Ref && cleanRepoPath(l.Path) == cleanRepoPath(o.Path)
}

// Validate checks the configuration and fills defaults. Errors name the
// offending entry.
func (c *Config) Validate() error {
	if c.Refresh == "" {
		c.Refresh = DefaultRefresh
	}
	if _, err := cron.ParseStandard(c.Refresh); err != nil {
		return fmt.Errorf("catalog config: refresh %q: %w", c.Refresh, err)
	}
	if len(c.ManagerFrom) == 0 {
		c.ManagerFrom = []string{ManagerFromUser, ManagerFromGroup}
	}
	for _, m := range c.ManagerFrom {
		if m != ManagerFromUser && m != ManagerFromGroup {
			return fmt.Errorf("catalog config: managerFrom %q: want %q or %q", m, ManagerFromUser, ManagerFromGroup)
		}
	}
	if err := checkRules("rules", c.Rules); err != nil {
		return err
	}
	c.GitHubHost = strings.ToLower(strings.TrimSpace(c.GitHubHost))
	if c.GitHubHost == "" {
		c.GitHubHost = DefaultGitHubHost
	}
	if strings.ContainsAny(c.GitHubHost, "/@ ") {
		return fmt.Errorf("catalog config: githubHost %q: want a host name such as %s", c.GitHubHost, DefaultGitHubHost)
	}
	c.Organization = slices.Clone(c.Organization)
	for i := range c.Organization {
		if err := c.Organization[i].validate(fmt.Sprintf("organization[%d]", i), c.GitHubHost); err != nil {
			return err
		}
		if c.Organization[i].Owner != "" {
			return fmt.Errorf("catalog config: organization[%d]: an organisation source has no owner; move it to locations to make it a team source of %q", i, c.Organization[i].Owner)
		}
	}
	c.Locations = slices.Clone(c.Locations)
	for i := range c.Locations {
		if err := c.Locations[i].validate(fmt.Sprintf("locations[%d]", i), c.GitHubHost); err != nil {
			return err
		}
	}
	// Normalise group refs into fresh slices: the caller's stay as given.
	admins := make([]string, len(c.AdminGroups))
	for i, g := range c.AdminGroups {
		admins[i] = NormalizeRef(g, KindGroup, DefaultNamespace)
	}
	c.AdminGroups = admins
	roles := make(map[string][]string, len(c.Roles))
	for role, groups := range c.Roles {
		if role == "" {
			return fmt.Errorf("catalog config: roles: empty role name")
		}
		for _, g := range groups {
			roles[role] = append(roles[role], NormalizeRef(g, KindGroup, DefaultNamespace))
		}
	}
	c.Roles = roles
	return nil
}

// validate checks one configured location (where names it, e.g.
// "locations[2]") and fills its defaults.
func (l *LocationConfig) validate(where, host string) error {
	urlHost, _, _, _, _, isGitHubURL := parseGitHubURL(l.Target)
	if l.Type == "" {
		// A GitHub URL is recognised before the type defaults to file.
		l.Type = LocationFile
		if l.Repo != "" || isGitHubURL {
			l.Type = LocationGitHub
		}
	}
	switch l.Type {
	case LocationFile:
		switch {
		case l.Target == "":
			return fmt.Errorf("catalog config: %s: file location needs a target", where)
		case isGitHubURL:
			return fmt.Errorf("catalog config: %s: target %q is a GitHub URL, not a local path: set type %q or leave type out", where, l.Target, LocationGitHub)
		case strings.Contains(l.Target, "://"):
			return fmt.Errorf("catalog config: %s: target %q: want a local folder or file, or a %s URL", where, l.Target, gitHubURLForm)
		}
	case LocationGitHub:
		if l.Repo == "" {
			if _, owner, repo, ref, p, ok := parseGitHubURL(l.Target); ok {
				l.Repo, l.Ref, l.Path = owner+"/"+repo, ref, p
			} else if l.Target != "" {
				return fmt.Errorf("catalog config: %s: target %q: want a %s URL, or repo and path", where, l.Target, gitHubURLForm)
			}
		}
		if isGitHubURL && urlHost != host {
			return fmt.Errorf("catalog config: %s: target %q is on %s, but GitHub locations must stay on %s (catalog.githubHost)", where, l.Target, urlHost, host)
		}
		if o, r, ok := strings.Cut(l.Repo, "/"); !ok || o == "" || r == "" || strings.Contains(r, "/") {
			return fmt.Errorf("catalog config: %s: repo %q: want owner/name", where, l.Repo)
		}
		if l.Path == "" {
			l.Path = "catalog-info.yaml"
		}
	default:
		return fmt.Errorf("catalog config: %s: type %q: want %q or %q", where, l.Type, LocationFile, LocationGitHub)
	}
	if l.Owner != "" {
		if _, _, name := ParseRef(l.Owner, KindGroup, DefaultNamespace); name == "" {
			return fmt.Errorf("catalog config: %s: owner %q: want a group such as payments or group:default/payments", where, l.Owner)
		}
		l.Owner = NormalizeRef(l.Owner, KindGroup, DefaultNamespace)
	}
	return checkRules(where+".rules", l.Rules)
}

func checkRules(where string, rules []KindRule) error {
	for i, r := range rules {
		for _, k := range r.Allow {
			if canonicalKind(k) == "" {
				return fmt.Errorf("catalog config: %s[%d]: unknown kind %q (want one of %s)", where, i, k, strings.Join(Kinds, ", "))
			}
		}
	}
	return nil
}

// allowedKinds turns rules into a set of kinds; nil means every kind.
func allowedKinds(rules []KindRule) map[string]bool {
	if len(rules) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, r := range rules {
		for _, k := range r.Allow {
			set[canonicalKind(k)] = true
		}
	}
	return set
}

// GitHubHostFor returns the web host of the GitHub whose REST API is at
// apiURL: github.com for "" and https://api.github.com, else the API URL's
// host (GitHub Enterprise serves https://{host}/api/v3/). Use it to fill
// Config.GitHubHost from the GitHub client's configuration.
func GitHubHostFor(apiURL string) string {
	u, err := url.Parse(strings.TrimSpace(apiURL))
	if err != nil || u.Host == "" || strings.EqualFold(u.Hostname(), "api.github.com") {
		return DefaultGitHubHost
	}
	return strings.ToLower(u.Host)
}

// gitHubURLForm is the GitHub URL form locations accept.
const gitHubURLForm = "https://github.com/{owner}/{repo}/blob/{ref}/{path}"

// parseGitHubURL splits https://{host}/{owner}/{repo}/blob/{ref}/{path}
// (or /tree/), ignoring a ?query or #fragment (as in a link to a line); it
// reports false for anything else. The host is returned in lower case for
// the caller to check against Config.GitHubHost.
func parseGitHubURL(u string) (host, owner, repo, ref, path string, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(u), "https://")
	if !found {
		return "", "", "", "", "", false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.SplitN(rest, "/", 6)
	if len(parts) < 6 || parts[0] == "" || (parts[3] != "blob" && parts[3] != "tree") || parts[1] == "" || parts[2] == "" || parts[4] == "" || parts[5] == "" {
		return "", "", "", "", "", false
	}
	return strings.ToLower(parts[0]), parts[1], parts[2], parts[4], parts[5], true
}
