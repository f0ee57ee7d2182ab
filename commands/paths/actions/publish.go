package actions

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// Publisher opens GitOps pull requests (GitHub, or a local git repository).
type Publisher interface {
	// Open proposes the change. It is idempotent per branch: an existing
	// pull request or branch for it is reused.
	Open(ctx context.Context, c Change) (*PullRequest, error)
	// Describe names the target for people ("GitHub acme/gitops").
	Describe() string
}

// Change is one pull request's content.
type Change struct {
	Branch        string
	Title         string
	Body          string
	CommitMessage string
	Files         map[string]string
	// Executable names the files committed as executable (mode 100755).
	Executable map[string]bool
	// Delete names files of the base branch the commit removes (an
	// upgrade's files the new template version drops).
	Delete    []string
	Labels    []string
	Assignees []string
}

// PullRequest is an opened pull request.
type PullRequest struct {
	Number  int
	URL     string
	Branch  string
	Commit  string
	Created bool
	// Note is something worth telling the user (an assignee GitHub refused).
	Note string
	// Base is the branch the pull request merges into ("" when unknown).
	Base string
	// Closed reports that the pull request an earlier attempt opened from
	// the branch is no longer open (merged, or declined); nothing was
	// changed on it.
	Closed bool
}

// publish:github:pull-request

// publishPR opens the one GitOps pull request with the run's files.
type publishPR struct{ d Deps }

func (publishPR) Check(_ *template.Template, s template.StepSpec) []string {
	if _, ok := s.Input["title"]; !ok {
		return []string{"input.title is missing"}
	}
	return nil
}

func (a publishPR) change(sc *StepContext) (Change, error) {
	files, exec, err := sc.sourceFiles(true)
	if err != nil {
		return Change{}, err
	}
	branch := sc.Run.Branch
	if b := sc.str("branchName"); b != "" {
		b = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r + 32
			}
			return '-'
		}, b)
		branch = "plat/" + sc.Run.ID + "-" + strings.Trim(b, "-")
	}
	labels := append([]string(nil), a.d.Labels...)
	for _, l := range templating.Strings(sc.Input["labels"]) {
		if l != "" && !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	title := sc.str("title")
	return Change{
		Branch: branch, Title: title, Body: a.body(sc, files), Files: files, Executable: exec, Labels: labels,
		CommitMessage: title + "\n\nGolden path " + sc.Template.Name + ", run " + sc.Run.ID + ", requested by " + sc.Run.Requester + ".",
		Assignees:     a.assignees(sc.Run),
	}, nil
}

// body is the pull request's description: the template's own description,
// then everything the path creates, listed from the files themselves.
func (a publishPR) body(sc *StepContext, files map[string]string) string {
	var b strings.Builder
	if d := sc.markdownInput("description"); d != "" {
		b.WriteString(d + "\n\n")
	}
	b.WriteString("## What this creates\n\n")
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		docs := describeYAML(n, files[n])
		if len(docs) == 0 {
			fmt.Fprintf(&b, "- `%s`\n", bot.UserText(n).Markdown())
			continue
		}
		for _, d := range docs {
			fmt.Fprintf(&b, "- %s — `%s`\n", bot.UserText(d).Markdown(), bot.UserText(n).Markdown())
		}
	}
	if len(sc.Effects) > 0 {
		b.WriteString("\n## Also part of this run\n\n")
		for _, e := range sc.Effects {
			b.WriteString("- " + bot.UserText(e).Markdown() + "\n")
		}
	}
	fmt.Fprintf(&b, "\n---\nOpened by platbot: golden path `%s` (version %s), run `%s`, requested by %s for %s.\n",
		sc.Template.Name, template.ShortHash(sc.Template.Hash), sc.Run.ID, bot.UserText(sc.Run.Requester).Markdown(), sc.Run.Owner)
	return b.String()
}

// describeYAML lists "Kind namespace/name" of each document of a YAML file.
func describeYAML(name, content string) []string {
	if !skeleton.IsYAML(name) {
		return nil
	}
	var out []string
	dec := yaml.NewDecoder(bytes.NewReader([]byte(content)))
	for {
		var doc struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
		}
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc.Kind == "" {
			continue
		}
		n := doc.Metadata.Name
		if doc.Metadata.Namespace != "" {
			n = doc.Metadata.Namespace + "/" + n
		}
		out = append(out, fmt.Sprintf("%s `%s`", doc.Kind, n))
	}
	return out
}

// repoChange is the pull request to the repository input.repoUrl names
// (nil without repoUrl: the GitOps repository).
func (a publishPR) repoChange(sc *StepContext, c Change) (*RepoChange, error) {
	if sc.str("repoUrl") == "" {
		return nil, nil
	}
	ref, err := parseRepoURL(sc.str("repoUrl"), a.d.GitHubHost)
	if err != nil {
		return nil, &StepError{Msg: err.Error(), Hint: "Check the repository you entered."}
	}
	rc := &RepoChange{
		Owner: ref.Owner, Repo: ref.Repo, Change: c, Base: sc.str("targetBranchName"),
		Draft: templating.IsTruthy(sc.Input["draft"]), Reviewers: templating.Strings(sc.Input["reviewers"]),
		TeamReviewers: templating.Strings(sc.Input["teamReviewers"]),
	}
	if m := sc.str("commitMessage"); m != "" {
		rc.CommitMessage = m
	}
	return rc, nil
}

// targets are where the pull request writes, for the publish policy.
func (a publishPR) targets(c Change, rc *RepoChange) []PublishTarget {
	if rc != nil {
		return []PublishTarget{{Kind: TargetRepository, Host: a.d.GitHubHost, Owner: rc.Owner, Repo: rc.Repo}}
	}
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		// The run's lineage file is platbot's own record of the run, not
		// the template's (templates may not write there, see
		// commands/paths/lineage.go).
		if !strings.HasPrefix(n, LineageDir+"/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]PublishTarget, len(names))
	for i, n := range names {
		out[i] = PublishTarget{Kind: TargetGitOpsPath, Path: n}
	}
	return out
}

func (a publishPR) prepare(ctx context.Context, sc *StepContext) (Change, *RepoChange, string, error) {
	c, err := a.change(sc)
	if err != nil {
		return c, nil, "", err
	}
	rc, err := a.repoChange(sc, c)
	if err != nil {
		return c, nil, "", err
	}
	if err := a.d.checkPublish(ctx, sc, a.targets(c, rc)); err != nil {
		return c, nil, "", err
	}
	where := a.d.Publisher.Describe()
	if rc != nil {
		where = rc.Owner + "/" + rc.Repo
		if a.d.local() {
			where = "the local git repository " + where + " (no GitHub is configured)"
		} else {
			where = a.d.reposDescribe() + " " + where
		}
	}
	return c, rc, where, nil
}

func (a publishPR) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	c, rc, where, err := a.prepare(ctx, sc)
	if err != nil {
		return Plan{}, err
	}
	eff := fmt.Sprintf("open a pull request %q in %s from branch %s with %d file(s), labels %s",
		c.Title, where, c.Branch, len(c.Files), strings.Join(c.Labels, ", "))
	if len(c.Assignees) > 0 {
		eff += ", assigned to " + strings.Join(c.Assignees, ", ")
	}
	out := map[string]any{"remoteUrl": "(the pull request's address)", "branch": c.Branch, "repo": where}
	if rc != nil {
		if rc.Draft {
			eff += ", as a draft"
		}
		if r := append(append([]string(nil), rc.Reviewers...), rc.TeamReviewers...); len(r) > 0 {
			eff += ", asking " + strings.Join(r, ", ") + " to review"
		}
		if rc.Base != "" {
			eff += ", into " + rc.Base
			out["targetBranchName"] = rc.Base
		}
	}
	return Plan{Effects: []string{eff}, Output: out}, nil
}

func (a publishPR) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	c, rc, where, err := a.prepare(ctx, sc)
	if err != nil {
		return nil, err
	}
	var pr *PullRequest
	if rc != nil && a.d.Repos == nil {
		return nil, errNoRepos
	}
	if rc != nil {
		pr, err = a.d.Repos.OpenPullRequest(ctx, *rc)
	} else {
		pr, err = a.d.Publisher.Open(ctx, c)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &StepError{Msg: fmt.Sprintf("could not open the pull request in %s: %s", where, strings.TrimPrefix(err.Error(), "github: ")),
			Hint: "Press Retry to try again: the branch or pull request of this attempt, if any, is reused.", Err: err}
	}
	out := map[string]any{
		"remoteUrl": pr.URL, "pullRequestNumber": int64(pr.Number), "branch": pr.Branch,
		"commit": pr.Commit, "created": pr.Created, "repo": where,
	}
	if pr.Base != "" {
		out["targetBranchName"] = pr.Base
	}
	if pr.Note != "" {
		out["note"] = pr.Note
	}
	return out, nil
}

// assignees maps the requester to a GitOps login: the github.com/user-login
// annotation of their catalog User, else nothing.
func (a publishPR) assignees(r Run) []string {
	if r.RequesterRef == "" {
		return nil
	}
	for _, u := range a.d.Catalog.List(catalog.KindUser) {
		if u.Ref() == r.RequesterRef {
			if login := u.Annotation("github.com/user-login"); login != "" {
				return []string{login}
			}
		}
	}
	return nil
}
