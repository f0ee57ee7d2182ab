package actions

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// PublishGitHub is Backstage's action that creates a repository.
const PublishGitHub = "publish:github"

// Repositories creates repositories and opens pull requests in repositories
// other than the GitOps one: on GitHub, or, when no GitHub is configured,
// as local git repositories (Local) with file:// URLs.
type Repositories interface {
	// CreateRepository creates the repository with the files as its first
	// commit on the default branch, then sets its topics and
	// collaborators. It is idempotent per Marker: the repository an
	// earlier call with the same Marker created is returned (Created
	// false); any other existing repository is ErrRepositoryTaken.
	CreateRepository(ctx context.Context, r NewRepository) (*Repository, error)
	// OpenPullRequest proposes the change to Owner/Repo, idempotent per
	// branch like Publisher.Open.
	OpenPullRequest(ctx context.Context, c RepoChange) (*PullRequest, error)
	// WebURL is the address of a repository for people (https://github.com/o/r,
	// or the file:// URL of a local one).
	WebURL(owner, name string) string
	// Local is true when repositories are local git repositories.
	Local() bool
	// Describe names where repositories are created ("GitHub").
	Describe() string
}

// ErrRepositoryTaken is returned (wrapped) by Repositories.CreateRepository
// for an existing repository this run did not create.
var ErrRepositoryTaken = errors.New("the repository already exists")

// NewRepository is a repository to create.
type NewRepository struct {
	Owner, Name, Description string
	// Visibility is private, internal or public.
	Visibility    string
	DefaultBranch string
	Topics        []string
	Collaborators []Collaborator
	// Files are the first commit's content by path; Executable names the
	// executable ones.
	Files                   map[string]string
	Executable              map[string]bool
	CommitMessage           string
	AuthorName, AuthorEmail string
	// Marker names the run and step creating it ("<run>/<step>").
	Marker string
}

// Collaborator is a user or team given access (pull, triage, push,
// maintain, admin).
type Collaborator struct {
	User, Team, Access string
}

// Repository is a created repository.
type Repository struct {
	// RemoteURL is the clone URL; WebURL the repository's page.
	RemoteURL, WebURL string
	CommitHash        string
	Created           bool
	// Warnings are topics or collaborators that were skipped.
	Warnings []string
}

// RepoChange is a pull request to a repository named by repoUrl.
type RepoChange struct {
	Owner, Repo string
	Change
	// Base is the target branch ("" = the repository's default branch).
	Base                     string
	Draft                    bool
	Reviewers, TeamReviewers []string
}

// publishGitHub creates a repository with the run's files (Backstage's
// publish:github: repoUrl, description, repoVisibility, defaultBranch,
// topics, collaborators, gitCommitMessage, gitAuthorName/Email,
// sourcePath; outputs remoteUrl, repoContentsUrl, commitHash).
type publishGitHub struct{ d Deps }

var visibilities = []string{"private", "internal", "public"}

func (a publishGitHub) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	switch u := s.Input["repoUrl"].(type) {
	case string:
		if !templating.Has(u) {
			if _, err := parseRepoURL(u, a.d.GitHubHost); err != nil {
				probs = append(probs, err.Error())
			}
		}
	default:
		probs = append(probs, "input.repoUrl is missing (github.com?owner=<owner>&repo=<name>)")
	}
	if v, ok := s.Input["repoVisibility"].(string); ok && !templating.Has(v) && !contains(visibilities, v) {
		probs = append(probs, fmt.Sprintf("input.repoVisibility %q must be private, internal or public", v))
	}
	if c, ok := s.Input["collaborators"].([]any); ok {
		for i, x := range c {
			if _, err := collaborator(x); err != nil {
				probs = append(probs, fmt.Sprintf("input.collaborators[%d]: %v", i, err))
			}
		}
	}
	return probs
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// collaborator reads one entry of input.collaborators: {user|team, access}
// (username is Backstage's deprecated name of team); an entity ref names
// the user or team by its name, as Backstage's entityRefToName.
func collaborator(v any) (Collaborator, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Collaborator{}, errors.New("want {user: <login>, access: <permission>} or {team: <slug>, access: <permission>}")
	}
	str := func(k string) string { return strings.TrimSpace(templating.Text(m[k])) }
	c := Collaborator{User: str("user"), Team: str("team"), Access: str("access")}
	if c.Team == "" && c.User == "" {
		c.Team = str("username")
	}
	name := func(ref string) string {
		if templating.Has(ref) {
			return ref
		}
		_, _, n := catalog.ParseRef(ref, "", catalog.DefaultNamespace)
		return n
	}
	switch {
	case c.User != "" && c.Team != "":
		return c, errors.New("name a user or a team, not both")
	case c.User == "" && c.Team == "":
		return c, errors.New("user or team is missing")
	case c.Access == "":
		return c, errors.New("access is missing (pull, triage, push, maintain or admin)")
	case !templating.Has(c.Access) && !contains([]string{"pull", "triage", "push", "maintain", "admin"}, c.Access):
		return c, fmt.Errorf("access %q must be pull, triage, push, maintain or admin", c.Access)
	}
	if c.User != "" {
		c.User = name(c.User)
	} else {
		c.Team = name(c.Team)
	}
	return c, nil
}

// sourceFiles are the run's files under input.sourcePath, by their path
// relative to it, with targetPath (when given) put in front, and which of
// them are executable.
func (sc *StepContext) sourceFiles(withTarget bool) (map[string]string, map[string]bool, error) {
	src := strings.Trim(strings.TrimPrefix(sc.str("sourcePath"), "./"), "/")
	if src == "." {
		src = ""
	}
	if src != "" {
		if err := skeleton.CheckOutputPath(src); err != nil {
			return nil, nil, &StepError{Msg: fmt.Sprintf("input.sourcePath %q: %v", sc.str("sourcePath"), err)}
		}
	}
	prefix := ""
	if withTarget {
		prefix = strings.Trim(strings.TrimPrefix(sc.str("targetPath"), "./"), "/")
		if prefix == "." {
			prefix = ""
		}
	}
	out, exec := map[string]string{}, map[string]bool{}
	for n, c := range sc.Files {
		rel := n
		if src != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(n, src+"/"); !ok {
				continue
			}
		}
		full := rel
		if prefix != "" {
			full = path.Join(prefix, rel)
		}
		if err := skeleton.CheckOutputPath(full); err != nil {
			return nil, nil, &StepError{Msg: fmt.Sprintf("file %s: %v", full, err)}
		}
		out[full] = c
		if sc.Executable[n] {
			exec[full] = true
		}
	}
	if len(out) == 0 {
		where := "the run"
		if src != "" {
			where = "sourcePath " + src
		}
		return nil, nil, &StepError{Msg: "there are no files to publish in " + where, Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	return out, exec, nil
}

// errNoRepos fails a step that needs Repositories when none were given
// (a plan still describes it).
var errNoRepos = &StepError{Msg: "this platbot cannot create repositories or open pull requests outside the GitOps repository (no GitHub client and no local repository folder were given to golden paths)", Hint: "Tell the platform team."}

// local reports whether repositories are local git repositories.
func (d Deps) local() bool { return d.Repos != nil && d.Repos.Local() }

// reposDescribe names where repositories are.
func (d Deps) reposDescribe() string {
	if d.Repos == nil {
		return "GitHub"
	}
	return d.Repos.Describe()
}

// webURL is a repository's address for people.
func (d Deps) webURL(owner, name string) string {
	if d.Repos == nil {
		host := d.GitHubHost
		if host == "" {
			host = "github.com"
		}
		return "https://" + host + "/" + owner + "/" + name
	}
	return d.Repos.WebURL(owner, name)
}

func (a publishGitHub) spec(sc *StepContext) (NewRepository, repoRef, error) {
	ref, err := parseRepoURL(sc.str("repoUrl"), a.d.GitHubHost)
	if err != nil {
		return NewRepository{}, ref, &StepError{Msg: err.Error(), Hint: "Check the repository you entered."}
	}
	files, exec, err := sc.sourceFiles(false)
	if err != nil {
		return NewRepository{}, ref, err
	}
	r := NewRepository{
		Owner: ref.Owner, Name: ref.Repo, Description: sc.str("description"),
		Visibility: sc.str("repoVisibility"), DefaultBranch: sc.str("defaultBranch"),
		Topics: templating.Strings(sc.Input["topics"]), Files: files, Executable: exec,
		CommitMessage: sc.str("gitCommitMessage"), AuthorName: sc.str("gitAuthorName"), AuthorEmail: sc.str("gitAuthorEmail"),
		Marker: sc.Run.ID + "/" + sc.StepKey,
	}
	if r.Visibility == "" {
		r.Visibility = "private"
	}
	if !contains(visibilities, r.Visibility) {
		return r, ref, &StepError{Msg: fmt.Sprintf("input.repoVisibility %q must be private, internal or public", r.Visibility)}
	}
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	if r.CommitMessage == "" {
		r.CommitMessage = "initial commit"
	}
	if c, ok := sc.Input["collaborators"].([]any); ok {
		for i, x := range c {
			col, err := collaborator(x)
			if err != nil {
				return r, ref, &StepError{Msg: fmt.Sprintf("input.collaborators[%d]: %v", i, err)}
			}
			r.Collaborators = append(r.Collaborators, col)
		}
	}
	return r, ref, nil
}

func (a publishGitHub) where() string {
	if a.d.local() {
		// "among the local git repositories under <folder> (no GitHub is configured)"
		return "among the " + a.d.reposDescribe()
	}
	return "on " + a.d.reposDescribe()
}

// output is Backstage's outputs: repoContentsUrl is the repository's
// page /blob/<default branch>; a local repository has its default branch
// checked out, so its contents are the repository's folder itself.
func (a publishGitHub) output(r NewRepository, remote, web, commit string) map[string]any {
	out := map[string]any{
		"remoteUrl": remote, "repoContentsUrl": web + "/blob/" + r.DefaultBranch, "commitHash": commit,
	}
	if a.d.local() {
		out["repoContentsUrl"] = web
		out["location"] = "local git repository (no GitHub is configured)"
	}
	return out
}

func (a publishGitHub) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	r, ref, err := a.spec(sc)
	if err != nil {
		return Plan{}, err
	}
	if err := a.d.checkPublish(ctx, sc, []PublishTarget{{Kind: TargetRepository, Host: ref.Host, Owner: ref.Owner, Repo: ref.Repo, Create: true}}); err != nil {
		return Plan{}, err
	}
	eff := fmt.Sprintf("create the %s repository %s %s, with %d file(s) as its first commit on %s", r.Visibility, ref.slug(), a.where(), len(r.Files), r.DefaultBranch)
	if len(r.Topics) > 0 {
		eff += ", topics " + strings.Join(r.Topics, ", ")
	}
	for _, c := range r.Collaborators {
		if c.User != "" {
			eff += fmt.Sprintf(", %s access for user %s", c.Access, c.User)
		} else {
			eff += fmt.Sprintf(", %s access for team %s", c.Access, c.Team)
		}
	}
	web := a.d.webURL(ref.Owner, ref.Repo)
	remote := web + ".git"
	if a.d.local() {
		remote = web
	}
	return Plan{Effects: []string{eff}, Output: a.output(r, remote, web, "(the first commit)")}, nil
}

func (a publishGitHub) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	r, ref, err := a.spec(sc)
	if err != nil {
		return nil, err
	}
	if err := a.d.checkPublish(ctx, sc, []PublishTarget{{Kind: TargetRepository, Host: ref.Host, Owner: ref.Owner, Repo: ref.Repo, Create: true}}); err != nil {
		return nil, err
	}
	if a.d.Repos == nil {
		return nil, errNoRepos
	}
	repo, err := a.d.Repos.CreateRepository(ctx, r)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		if errors.Is(err, ErrRepositoryTaken) {
			return nil, &StepError{Msg: fmt.Sprintf("the repository %s already exists and this run did not create it", ref.slug()),
				Hint: "Nothing was changed in it. Pick another name and start a new run.", Err: err}
		}
		return nil, &StepError{Msg: fmt.Sprintf("could not create the repository %s %s: %s", ref.slug(), a.where(), strings.TrimPrefix(err.Error(), "github: ")),
			Hint: "Press Retry to try again: a repository this run already created is reused.", Err: err}
	}
	out := a.output(r, repo.RemoteURL, repo.WebURL, repo.CommitHash)
	out["created"] = repo.Created
	if len(repo.Warnings) > 0 {
		sort.Strings(repo.Warnings)
		out["note"] = strings.Join(repo.Warnings, "; ")
	}
	return out, nil
}
