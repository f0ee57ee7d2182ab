package actions

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/platbot/platbot/commands/catalog"
)

// Publish target kinds.
const (
	// TargetRepository is a repository publish:github creates or a pull
	// request with repoUrl proposes to.
	TargetRepository = "repository"
	// TargetGitOpsPath is a file of a GitOps pull request.
	TargetGitOpsPath = "gitops-path"
)

// PublishTarget is where a publishing step writes.
type PublishTarget struct {
	// Kind is TargetRepository or TargetGitOpsPath.
	Kind string
	// Host, Owner and Repo name a repository (TargetRepository).
	Host, Owner, Repo string
	// Create is set when the step creates the repository (publish:github).
	Create bool
	// Path is a file of the GitOps repository (TargetGitOpsPath).
	Path string
}

// String names the target for people.
func (t PublishTarget) String() string {
	if t.Kind == TargetGitOpsPath {
		return "GitOps path " + t.Path
	}
	return "repository " + t.Owner + "/" + t.Repo
}

// PublishPolicy decides whether a template may publish to a target (the
// rule: a team's scaffolder workflows only touch their resources). It is
// asked before anything is written, by the dry run and by the run itself.
type PublishPolicy interface {
	// AllowPublish reports whether templates owned by templateOwner (a
	// group ref) may write to target; rule names the rule that decided and
	// reason says why, for people.
	AllowPublish(ctx context.Context, templateOwner string, target PublishTarget) (allowed bool, rule, reason string)
}

// Rule names of TeamPolicy.
const (
	RuleAdminsPublishAnywhere   = "platform-admin-templates-publish-anywhere"
	RuleOwnRepositories         = "publish-only-to-own-repositories"
	RuleOwnGitOpsPaths          = "publish-only-to-own-gitops-paths"
	DefaultTeamGitOpsPathFormat = "teams/{team}/"
)

// TeamPolicy is the platform's publish rule over the software catalog:
//
//   - templates owned by one of AdminGroups (the platform admins) may
//     publish anywhere;
//   - a repository belongs to the team owning a catalog entity whose
//     github.com/project-slug annotation names it; a team's template may
//     open pull requests only in its own repositories, and may create a new
//     repository only when no other team's entity names it;
//   - a GitOps path belongs to a team when it lies in one of the team's
//     folders (TeamPaths: "teams/{team}/"), or in a folder named after a
//     catalog entity the team owns ("apps/{owned}/").
type TeamPolicy struct {
	Catalog Catalog
	// AdminGroups are the platform admins' groups.
	AdminGroups []string
	// TeamPaths are folder patterns of the GitOps repository a team owns:
	// {team} is the owning group's name, {owned} the name of any catalog
	// entity it owns. Empty means DefaultTeamPaths.
	TeamPaths []string
}

// DefaultTeamPaths are the GitOps folders a team owns by default.
var DefaultTeamPaths = []string{DefaultTeamGitOpsPathFormat, "apps/{owned}/"}

// AllowPublish implements PublishPolicy.
func (p TeamPolicy) AllowPublish(_ context.Context, templateOwner string, t PublishTarget) (bool, string, string) {
	owner := catalog.NormalizeRef(templateOwner, catalog.KindGroup, catalog.DefaultNamespace)
	for _, g := range p.AdminGroups {
		if catalog.NormalizeRef(g, catalog.KindGroup, catalog.DefaultNamespace) == owner {
			return true, RuleAdminsPublishAnywhere, "the template is owned by the platform admins (" + owner + ")"
		}
	}
	if t.Kind == TargetGitOpsPath {
		return p.allowPath(owner, t.Path)
	}
	slug := strings.ToLower(t.Owner + "/" + t.Repo)
	var owners []string
	for _, kind := range []string{catalog.KindComponent, catalog.KindResource, catalog.KindSystem, catalog.KindAPI} {
		for _, e := range p.Catalog.List(kind) {
			if strings.ToLower(strings.TrimSpace(e.Annotation(catalog.AnnotationGitHubSlug))) == slug && !slices.Contains(owners, e.Owner()) {
				owners = append(owners, e.Owner())
			}
		}
	}
	switch {
	case slices.Contains(owners, owner):
		return true, RuleOwnRepositories, fmt.Sprintf("%s is owned by %s in the catalog", slug, owner)
	case len(owners) > 0:
		return false, RuleOwnRepositories, fmt.Sprintf("%s belongs to %s in the catalog (github.com/project-slug), not to %s, which owns the template", slug, strings.Join(owners, ", "), owner)
	case t.Create:
		return true, RuleOwnRepositories, fmt.Sprintf("%s is a new repository no other team owns", slug)
	}
	return false, RuleOwnRepositories, fmt.Sprintf("no catalog entity of %s names %s (github.com/project-slug), so its templates may not propose changes there", owner, slug)
}

func (p TeamPolicy) allowPath(owner, file string) (bool, string, string) {
	_, _, team := catalog.ParseRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	file = path.Clean(strings.TrimPrefix(file, "/"))
	patterns := p.TeamPaths
	if len(patterns) == 0 {
		patterns = DefaultTeamPaths
	}
	var owned map[string]bool
	var shown []string
	for _, pat := range patterns {
		pat = strings.ReplaceAll(pat, "{team}", team)
		shown = append(shown, pat)
		pre, post, hasOwned := strings.Cut(pat, "{owned}")
		if !hasOwned {
			if strings.HasPrefix(file, strings.TrimSuffix(pat, "/")+"/") {
				return true, RuleOwnGitOpsPaths, fmt.Sprintf("%s is in %s's folder %s", file, owner, pat)
			}
			continue
		}
		rest, ok := strings.CutPrefix(file, pre)
		if !ok {
			continue
		}
		name, _, ok := strings.Cut(rest, "/")
		if !ok || !strings.HasPrefix(rest[len(name):], strings.TrimSuffix(post, "/")) {
			continue
		}
		if owned == nil {
			owned = p.ownedNames(owner)
		}
		if owned[strings.ToLower(name)] {
			return true, RuleOwnGitOpsPaths, fmt.Sprintf("%s is in the folder of %s, which %s owns", file, name, owner)
		}
	}
	return false, RuleOwnGitOpsPaths, fmt.Sprintf("%s is outside the GitOps folders of %s (%s)", file, owner, strings.Join(shown, ", "))
}

// ownedNames are the names of the catalog entities owner owns.
func (p TeamPolicy) ownedNames(owner string) map[string]bool {
	out := map[string]bool{}
	for _, kind := range []string{catalog.KindComponent, catalog.KindResource, catalog.KindSystem, catalog.KindAPI} {
		for _, e := range p.Catalog.List(kind) {
			if e.Owner() == owner {
				out[strings.ToLower(e.Metadata.Name)] = true
			}
		}
	}
	return out
}

// checkPublish asks the policy about every target before a step writes
// anything; the first refusal fails the step, naming the rule.
func (d Deps) checkPublish(ctx context.Context, sc *StepContext, targets []PublishTarget) error {
	if d.Policy == nil {
		return nil
	}
	for _, t := range targets {
		ok, rule, reason := d.Policy.AllowPublish(ctx, sc.Template.Owner, t)
		if !ok {
			return &StepError{
				Msg:  fmt.Sprintf("template %s (owned by %s) may not publish to %s: rule %s: %s", sc.Template.Name, sc.Template.Owner, t, rule, reason),
				Hint: "Nothing was published. A team's templates only touch that team's repositories and GitOps folders; ask the platform team if this one should be allowed.",
			}
		}
	}
	return nil
}
