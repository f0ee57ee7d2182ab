package github

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/platbot/platbot/integrations/github/githubfake"
)

func newRepoClient(t *testing.T) (*Client, *githubfake.Server) {
	t.Helper()
	f := githubfake.New(t)
	c, err := New(f.URL(), "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func orderSpec(marker string) RepositorySpec {
	return RepositorySpec{
		Owner: "acme", Name: "orders", Description: "Orders service", Visibility: "internal", DefaultBranch: "main",
		Topics:        []string{"Go", "payments"},
		Collaborators: []Collaborator{{User: "jane", Access: "push"}, {Team: "payments", Access: "admin"}},
		Files: []NewFile{
			{Path: "README.md", Content: []byte("# orders\n")},
			{Path: "img/logo.png", Content: []byte{0x89, 'P', 'N', 'G', 0, 0xff, 0xfe}},
		},
		CommitMessage: "Create orders", AuthorName: "Jane", AuthorEmail: "jane@example.com", Marker: marker,
	}
}

// A repository in an organisation is created with one commit holding every
// file byte for byte on the default branch, its topics lower-cased and its
// collaborators and team set; the same marker finds it again without
// creating anything; another marker, or someone else's repository, is
// ErrRepositoryTaken.
func TestCreateRepositoryIdempotentPerMarker(t *testing.T) {
	c, f := newRepoClient(t)
	ctx := context.Background()
	r, err := c.CreateRepository(ctx, orderSpec("r1/publish"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Created || r.FullName != "acme/orders" || r.CloneURL != "https://github.example/acme/orders.git" || r.HTMLURL != "https://github.example/acme/orders" || r.Commit == "" || len(r.Warnings) > 0 {
		t.Fatalf("repository %+v", r)
	}
	repo, _ := f.Repository("acme/orders")
	if repo.Visibility != "internal" || repo.Private || repo.Description != "Orders service" || repo.DefaultBranch != "main" ||
		strings.Join(repo.Topics, ",") != "go,payments" || repo.Collaborators["jane"] != "push" || repo.Teams["payments"] != "admin" {
		t.Errorf("repository on GitHub %+v", repo)
	}
	files, msg := f.RepoFiles("acme/orders", "main")
	if len(files) != 2 || files["img/logo.png"] != "\x89PNG\x00\xff\xfe" || files["README.md"] != "# orders\n" {
		t.Errorf("files %q", files)
	}
	if !strings.HasPrefix(msg, "Create orders\n") || !strings.Contains(msg, "Platbot-Run: r1/publish") || f.RepoCommits("acme/orders", "main") != 1 {
		t.Errorf("commit %q, %d commits", msg, f.RepoCommits("acme/orders", "main"))
	}

	again, err := c.CreateRepository(ctx, orderSpec("r1/publish"))
	if err != nil || again.Created || again.Commit != r.Commit {
		t.Fatalf("second call: %+v, %v", again, err)
	}
	if n := f.Count("POST", "/orgs/acme/repos"); n != 1 {
		t.Errorf("created %d times", n)
	}

	if _, err := c.CreateRepository(ctx, orderSpec("r2/publish")); !errors.Is(err, ErrRepositoryTaken) || !strings.Contains(err.Error(), "acme/orders") {
		t.Errorf("another run's marker: %v", err)
	}
	f.AddRepo("acme/legacy", map[string]string{"main.go": "package main\n"})
	spec := orderSpec("r1/publish")
	spec.Name = "legacy"
	if _, err := c.CreateRepository(ctx, spec); !errors.Is(err, ErrRepositoryTaken) {
		t.Errorf("someone else's repository: %v", err)
	}
	if files, _ := f.RepoFiles("acme/legacy", "main"); files["main.go"] == "" || len(files) != 1 {
		t.Errorf("someone else's repository was changed: %q", files)
	}
}

// An attempt that stopped right after creating the repository (the push
// failed) is finished by the next attempt, which fills the empty
// repository instead of refusing it; a user (not an organisation) gets
// the repository created for the authenticated account, private by
// default.
func TestCreateRepositoryResumesAndUserOwner(t *testing.T) {
	c, f := newRepoClient(t)
	ctx := context.Background()
	failed := false
	f.SetFail(func(method, path string) (int, string) {
		if method == "PUT" && strings.Contains(path, "/contents/") && !failed {
			failed = true
			return 422, `{"message":"Validation Failed"}`
		}
		return 0, ""
	})
	spec := orderSpec("r1/publish")
	spec.Owner, spec.Visibility, spec.Collaborators, spec.Topics = "platbot-bot", "", nil, nil
	if _, err := c.CreateRepository(ctx, spec); err == nil {
		t.Fatal("the failed push went unnoticed")
	}
	r, err := c.CreateRepository(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if f.Count("POST", "/user/repos") != 1 || r.FullName != "platbot-bot/orders" {
		t.Errorf("created %d times as %s", f.Count("POST", "/user/repos"), r.FullName)
	}
	repo, _ := f.Repository("platbot-bot/orders")
	files, msg := f.RepoFiles("platbot-bot/orders", "main")
	if !repo.Private || len(files) != 2 || !strings.Contains(msg, "Platbot-Run: r1/publish") || f.RepoCommits("platbot-bot/orders", "main") != 1 {
		t.Errorf("repo %+v files %q message %q", repo, files, msg)
	}
}
