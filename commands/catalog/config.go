package catalog

import (
	"fmt"
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
	// EnvCatalog names extra locations, comma-separated folders or files.
	EnvCatalog = "PLATBOT_CATALOG"
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
//	  rules:
//	    - allow: [Component, API, Resource, System, Domain, Group, User, Location]
//	  locations:
//	    - target: examples/catalog
//	    - repo: acme/payments
//	      path: catalog-info.yaml
//	      ref: main
//	      rules:
//	        - allow: [Template]
type Config struct {
	// Locations are where entities are read from.
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
}

// KindRule allows kinds, as an entry of Backstage's catalog.rules.
type KindRule struct {
	Allow []string `yaml:"allow" json:"allow"`
}

// DefaultConfig reads examples/catalog, makes group:default/platform the
// admins and refreshes every 10 minutes.
func DefaultConfig() Config {
	return Config{
		Locations:   []LocationConfig{{Target: DefaultLocation}},
		AdminGroups: []string{DefaultAdminGroup},
		ManagerFrom: []string{ManagerFromUser, ManagerFromGroup},
		Refresh:     DefaultRefresh,
	}
}

// ApplyEnv adds the locations named by PLATBOT_CATALOG (comma-separated
// folders or files, or https://github.com/{owner}/{repo}/blob/{ref}/{path}
// URLs) to the configured ones. Pass os.Getenv.
func (c *Config) ApplyEnv(getenv func(string) string) {
	for _, t := range strings.Split(getenv(EnvCatalog), ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		l := LocationConfig{Target: t}
		if owner, repo, ref, p, ok := parseGitHubURL(t); ok {
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
	c.Locations = slices.Clone(c.Locations)
	for i := range c.Locations {
		l := &c.Locations[i]
		_, _, _, _, isGitHubURL := parseGitHubURL(l.Target)
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
				return fmt.Errorf("catalog config: locations[%d]: file location needs a target", i)
			case isGitHubURL:
				return fmt.Errorf("catalog config: locations[%d]: target %q is a GitHub URL, not a local path: set type %q or leave type out", i, l.Target, LocationGitHub)
			case strings.Contains(l.Target, "://"):
				return fmt.Errorf("catalog config: locations[%d]: target %q: want a local folder or file, or a %s URL", i, l.Target, gitHubURLForm)
			}
		case LocationGitHub:
			if l.Repo == "" {
				if owner, repo, ref, p, ok := parseGitHubURL(l.Target); ok {
					l.Repo, l.Ref, l.Path = owner+"/"+repo, ref, p
				} else if l.Target != "" {
					return fmt.Errorf("catalog config: locations[%d]: target %q: want a %s URL, or repo and path", i, l.Target, gitHubURLForm)
				}
			}
			if o, r, ok := strings.Cut(l.Repo, "/"); !ok || o == "" || r == "" || strings.Contains(r, "/") {
				return fmt.Errorf("catalog config: locations[%d]: repo %q: want owner/name", i, l.Repo)
			}
			if l.Path == "" {
				l.Path = "catalog-info.yaml"
			}
		default:
			return fmt.Errorf("catalog config: locations[%d]: type %q: want %q or %q", i, l.Type, LocationFile, LocationGitHub)
		}
		if err := checkRules(fmt.Sprintf("locations[%d].rules", i), l.Rules); err != nil {
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

// gitHubURLForm is the GitHub URL form locations accept.
const gitHubURLForm = "https://github.com/{owner}/{repo}/blob/{ref}/{path}"

// parseGitHubURL splits https://github.com/{owner}/{repo}/blob/{ref}/{path}
// (or /tree/), ignoring a ?query or #fragment (as in a link to a line); it
// reports false for anything else.
func parseGitHubURL(u string) (owner, repo, ref, path string, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(u), "https://github.com/")
	if !found {
		return "", "", "", "", false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.SplitN(rest, "/", 5)
	if len(parts) < 5 || (parts[2] != "blob" && parts[2] != "tree") || parts[0] == "" || parts[1] == "" || parts[3] == "" || parts[4] == "" {
		return "", "", "", "", false
	}
	return parts[0], parts[1], parts[3], parts[4], true
}
