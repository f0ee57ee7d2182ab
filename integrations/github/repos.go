package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// ErrRepositoryTaken is returned (wrapped) by CreateRepository when the
// repository exists and was not created by the same Marker.
var ErrRepositoryTaken = errors.New("the repository already exists")

// Collaborator is a user or a team (in the repository's organisation) given
// access to a new repository: access is pull, triage, push, maintain or
// admin.
type Collaborator struct {
	User, Team, Access string
}

// RepositorySpec is a repository to create with its first commit.
type RepositorySpec struct {
	Owner, Name string
	Description string
	// Visibility is private (default), internal or public.
	Visibility string
	// DefaultBranch receives the first commit (default "main").
	DefaultBranch string
	// Topics are set as they are given, lower-cased (as Backstage does).
	Topics        []string
	Collaborators []Collaborator
	// Files are the content of the first commit (at least one).
	Files                   []NewFile
	CommitMessage           string
	AuthorName, AuthorEmail string
	// Marker identifies who creates the repository (a run and step): it is
	// written into the first commit's message, so a second call with the
	// same Marker finds the repository it created instead of failing.
	Marker string
}

// Repository is a created (or found again) repository.
type Repository struct {
	FullName      string
	CloneURL      string
	HTMLURL       string
	DefaultBranch string
	Commit        string
	// Created is false when an earlier call with the same Marker had
	// created it.
	Created bool
	// Warnings are topics or collaborators GitHub refused: like Backstage,
	// they are skipped, not fatal.
	Warnings []string
}

const (
	markerTrailer    = "Platbot-Run: "
	bootstrapTrailer = "Platbot-Bootstrap: "
)

// CreateRepository creates owner/name (in the organisation when owner is
// one, else for the authenticated user, as Backstage's publish:github
// does), pushes the files as ONE commit on the default branch, then sets
// its topics and collaborators. It is idempotent per Marker: a repository
// whose default branch holds the Marker's commit is returned as is (its
// topics and collaborators set again); an empty repository with the same
// description (an attempt that stopped right after creating it) is filled;
// any other existing repository is ErrRepositoryTaken.
func (c *Client) CreateRepository(ctx context.Context, spec RepositorySpec) (*Repository, error) {
	if err := checkRepositorySpec(&spec); err != nil {
		return nil, err
	}
	p, err := c.PullRequests(spec.Owner+"/"+spec.Name, PullRequestOptions{Base: spec.DefaultBranch})
	if err != nil {
		return nil, err
	}
	repo, err := p.getRepository(ctx)
	if err != nil {
		return nil, err
	}
	created := false
	head := ""
	if repo == nil {
		if repo, err = p.createRepository(ctx, spec); err != nil {
			return nil, err
		}
		created = true
	} else {
		var done bool
		head, done, err = p.ownedHead(ctx, spec, repo)
		if err != nil {
			return nil, err
		}
		if done {
			out := repositoryOf(repo, spec, head, false)
			out.Warnings = p.grant(ctx, spec)
			return out, nil
		}
	}
	commit, err := p.pushFirstCommit(ctx, spec, head)
	if err != nil {
		return nil, err
	}
	if repo.GetDefaultBranch() != spec.DefaultBranch {
		err := p.call(ctx, "set the default branch to "+spec.DefaultBranch, func() (*gh.Response, error) {
			var resp *gh.Response
			var err error
			repo, resp, err = p.c.gh.Repositories.Edit(ctx, p.owner, p.repo, &gh.Repository{DefaultBranch: gh.String(spec.DefaultBranch)})
			return resp, err
		})
		if err != nil {
			return nil, err
		}
	}
	out := repositoryOf(repo, spec, commit, created)
	out.Warnings = p.grant(ctx, spec)
	c.log.Info("created repository", "repo", p.Repo(), "commit", commit, "created", created)
	return out, nil
}

func checkRepositorySpec(spec *RepositorySpec) error {
	if spec.Owner == "" || spec.Name == "" || strings.Contains(spec.Owner+spec.Name, "/") {
		return fmt.Errorf("github: repository %q/%q: want an owner and a name", spec.Owner, spec.Name)
	}
	if spec.Marker == "" {
		return errors.New("github: a repository needs a Marker")
	}
	if spec.DefaultBranch == "" {
		spec.DefaultBranch = "main"
	}
	switch spec.Visibility {
	case "":
		spec.Visibility = "private"
	case "private", "internal", "public":
	default:
		return fmt.Errorf("github: visibility %q: want private, internal or public", spec.Visibility)
	}
	if spec.CommitMessage == "" {
		spec.CommitMessage = "initial commit"
	}
	return checkSpec(PullRequestSpec{Branch: spec.DefaultBranch, Title: spec.CommitMessage, Files: spec.Files})
}

func repositoryOf(r *gh.Repository, spec RepositorySpec, commit string, created bool) *Repository {
	return &Repository{
		FullName: r.GetFullName(), CloneURL: r.GetCloneURL(), HTMLURL: r.GetHTMLURL(),
		DefaultBranch: spec.DefaultBranch, Commit: commit, Created: created,
	}
}

// getRepository returns the repository, or nil when it does not exist.
func (p *PullRequests) getRepository(ctx context.Context) (*gh.Repository, error) {
	var repo *gh.Repository
	err := p.call(ctx, "read repository "+p.Repo(), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		repo, resp, err = p.c.gh.Repositories.Get(ctx, p.owner, p.repo)
		return resp, err
	})
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	return repo, err
}

func isStatus(err error, code int) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == code
}

// createRepository creates the repository in the owner's organisation, or
// for the authenticated user when the owner is a user.
func (p *PullRequests) createRepository(ctx context.Context, spec RepositorySpec) (*gh.Repository, error) {
	var owner *gh.User
	err := p.call(ctx, "read account "+p.owner, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		owner, resp, err = p.c.gh.Users.Get(ctx, p.owner)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	org := ""
	if owner.GetType() == "Organization" {
		org = p.owner
	}
	in := &gh.Repository{
		Name: gh.String(p.repo), Description: gh.String(spec.Description),
		Private: gh.Bool(spec.Visibility == "private"),
	}
	if org != "" {
		in.Visibility = gh.String(spec.Visibility)
	}
	var repo *gh.Repository
	err = p.call(ctx, "create repository", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		repo, resp, err = p.c.gh.Repositories.Create(ctx, org, in)
		return resp, err
	})
	if err != nil {
		if isUnprocessable(err, "already exists") {
			return nil, fmt.Errorf("github: %s: %w", p.Repo(), ErrRepositoryTaken)
		}
		return nil, err
	}
	if !strings.EqualFold(repo.GetFullName(), p.Repo()) {
		return nil, fmt.Errorf("github: asked to create %s, GitHub created %s (the token's user is not %s)", p.Repo(), repo.GetFullName(), p.owner)
	}
	return repo, nil
}

// ownedHead decides whether an existing repository is this Marker's: done
// when its default branch holds the Marker's commit; else head is the
// bootstrap commit of an attempt that stopped while pushing ("" for an
// empty repository with the same description). Anything else is taken.
func (p *PullRequests) ownedHead(ctx context.Context, spec RepositorySpec, repo *gh.Repository) (head string, done bool, err error) {
	sha, err := p.refSHA(ctx, spec.DefaultBranch)
	if err != nil && !isStatus(err, http.StatusConflict) {
		return "", false, err
	}
	if sha == "" {
		if repo.GetSize() == 0 && repo.GetDescription() == spec.Description {
			return "", false, nil
		}
		return "", false, fmt.Errorf("github: %s: %w (platbot did not create it for this run)", p.Repo(), ErrRepositoryTaken)
	}
	var commit *gh.Commit
	err = p.call(ctx, "read commit "+sha, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		commit, resp, err = p.c.gh.Git.GetCommit(ctx, p.owner, p.repo, sha)
		return resp, err
	})
	if err != nil {
		return "", false, err
	}
	switch msg := commit.GetMessage(); {
	case strings.Contains(msg, markerTrailer+spec.Marker):
		return sha, true, nil
	case strings.Contains(msg, bootstrapTrailer+spec.Marker):
		return sha, false, nil
	}
	return "", false, fmt.Errorf("github: %s: %w (platbot did not create it for this run)", p.Repo(), ErrRepositoryTaken)
}

// pushFirstCommit makes the default branch point at one root commit
// holding every file. An empty repository accepts no Git Data API calls, so
// the first file is written with the contents API (a bootstrap commit),
// then the branch is moved to the real commit.
func (p *PullRequests) pushFirstCommit(ctx context.Context, spec RepositorySpec, head string) (string, error) {
	files := append([]NewFile(nil), spec.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	author := (*gh.CommitAuthor)(nil)
	if spec.AuthorName != "" || spec.AuthorEmail != "" {
		author = &gh.CommitAuthor{Name: gh.String(spec.AuthorName), Email: gh.String(spec.AuthorEmail)}
	}
	if head == "" {
		err := p.call(ctx, "write the first file", func() (*gh.Response, error) {
			res, resp, err := p.c.gh.Repositories.CreateFile(ctx, p.owner, p.repo, files[0].Path, &gh.RepositoryContentFileOptions{
				Message: gh.String("platbot: creating the repository\n\n" + bootstrapTrailer + spec.Marker),
				Content: files[0].Content, Branch: gh.String(spec.DefaultBranch), Author: author,
			})
			if err == nil {
				head = res.Commit.GetSHA()
			}
			return resp, err
		})
		if err != nil {
			return "", err
		}
	}
	entries, err := p.storeBlobs(ctx, files)
	if err != nil {
		return "", err
	}
	var tree *gh.Tree
	err = p.call(ctx, "create tree", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		tree, resp, err = p.c.gh.Git.CreateTree(ctx, p.owner, p.repo, "", entries)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	var commit *gh.Commit
	err = p.call(ctx, "create commit", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		commit, resp, err = p.c.gh.Git.CreateCommit(ctx, p.owner, p.repo, &gh.Commit{
			Message: gh.String(spec.CommitMessage + "\n\n" + markerTrailer + spec.Marker), Tree: &gh.Tree{SHA: tree.SHA}, Author: author,
		}, nil)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	err = p.call(ctx, "point "+spec.DefaultBranch+" at the first commit", func() (*gh.Response, error) {
		_, resp, err := p.c.gh.Git.UpdateRef(ctx, p.owner, p.repo, &gh.Reference{
			Ref: gh.String("refs/heads/" + spec.DefaultBranch), Object: &gh.GitObject{SHA: commit.SHA},
		}, true)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	return commit.GetSHA(), nil
}

// grant sets the topics and collaborators; what GitHub refuses is returned
// as a warning, as Backstage skips it with a warning.
func (p *PullRequests) grant(ctx context.Context, spec RepositorySpec) []string {
	var warn []string
	for _, c := range spec.Collaborators {
		var err error
		who := "user " + c.User
		if c.Team != "" {
			who = "team " + c.Team
			err = p.call(ctx, "give "+who+" "+c.Access+" access", func() (*gh.Response, error) {
				return p.c.gh.Teams.AddTeamRepoBySlug(ctx, p.owner, c.Team, p.owner, p.repo, &gh.TeamAddTeamRepoOptions{Permission: c.Access})
			})
		} else {
			err = p.call(ctx, "give "+who+" "+c.Access+" access", func() (*gh.Response, error) {
				_, resp, err := p.c.gh.Repositories.AddCollaborator(ctx, p.owner, p.repo, c.User, &gh.RepositoryAddCollaboratorOptions{Permission: c.Access})
				return resp, err
			})
		}
		if err != nil {
			if ctx.Err() != nil {
				return warn
			}
			warn = append(warn, fmt.Sprintf("skipped %s access for %s: %v", c.Access, who, err))
			p.c.log.Warn("could not add collaborator", "repo", p.Repo(), "who", who, "err", err)
		}
	}
	if len(spec.Topics) > 0 {
		names := make([]string, len(spec.Topics))
		for i, t := range spec.Topics {
			names[i] = strings.ToLower(t)
		}
		err := p.call(ctx, "set topics", func() (*gh.Response, error) {
			_, resp, err := p.c.gh.Repositories.ReplaceAllTopics(ctx, p.owner, p.repo, names)
			return resp, err
		})
		if err != nil && ctx.Err() == nil {
			warn = append(warn, fmt.Sprintf("skipped topics %s: %v", strings.Join(names, " "), err))
			p.c.log.Warn("could not set topics", "repo", p.Repo(), "err", err)
		}
	}
	return warn
}
