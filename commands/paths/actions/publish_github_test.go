package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/integrations/gitops"
)

// ghRepos puts gitops.Repositories behind Repositories, as cmd/platbot does.
type ghRepos struct{ r *gitops.Repositories }

func (a ghRepos) Local() bool      { return a.r.Local() }
func (a ghRepos) Describe() string { return a.r.Describe() }
func (a ghRepos) WebURL(owner, name string) string {
	return "https://github.example/" + owner + "/" + name
}

func (a ghRepos) CreateRepository(ctx context.Context, r NewRepository) (*Repository, error) {
	var files []github.NewFile
	for n, c := range r.Files {
		files = append(files, github.NewFile{Path: n, Content: []byte(c)})
	}
	var cols []github.Collaborator
	for _, c := range r.Collaborators {
		cols = append(cols, github.Collaborator{User: c.User, Team: c.Team, Access: c.Access})
	}
	repo, err := a.r.Create(ctx, github.RepositorySpec{Owner: r.Owner, Name: r.Name, Description: r.Description, Visibility: r.Visibility,
		DefaultBranch: r.DefaultBranch, Topics: r.Topics, Collaborators: cols, Files: files, CommitMessage: r.CommitMessage,
		AuthorName: r.AuthorName, AuthorEmail: r.AuthorEmail, Marker: r.Marker})
	if errors.Is(err, github.ErrRepositoryTaken) {
		return nil, fmt.Errorf("%w: %w", ErrRepositoryTaken, err)
	}
	if err != nil {
		return nil, err
	}
	return &Repository{RemoteURL: repo.CloneURL, WebURL: repo.HTMLURL, CommitHash: repo.Commit, Created: repo.Created, Warnings: repo.Warnings}, nil
}

func (a ghRepos) OpenPullRequest(ctx context.Context, c RepoChange) (*PullRequest, error) {
	pr, base, err := a.r.OpenPullRequest(ctx, c.Owner, c.Repo, gitops.RepoPullRequest{
		Change: gitops.Change{Branch: c.Branch, Title: c.Title, Body: c.Body, CommitMessage: c.CommitMessage, Files: c.Files, Labels: c.Labels},
		Base:   c.Base, Draft: c.Draft, Reviewers: c.Reviewers, TeamReviewers: c.TeamReviewers,
	})
	if err != nil {
		return nil, err
	}
	return &PullRequest{Number: pr.Number, URL: pr.URL, Branch: pr.Branch, Commit: pr.Commit, Created: pr.Created, Note: pr.Note, Base: base}, nil
}

// recordingLocations keeps the catalog locations registered.
type recordingLocations struct{ added []string }

func (l *recordingLocations) RegisterLocation(_ context.Context, target, owner string) (bool, error) {
	for _, a := range l.added {
		if a == target+" "+owner {
			return false, nil
		}
	}
	l.added = append(l.added, target+" "+owner)
	return true, nil
}

const canary = "s3cr3t-CANARY-value"

const repoTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: svc}
spec:
  owner: group:default/payments
  parameters: {properties: {name: {type: string}}}
  steps:
    - id: plain
      action: fetch:plain
      input: {url: ./static, targetPath: assets}
    - id: file
      action: fetch:plain:file
      input: {url: ./files/LICENSE, targetPath: LICENSE}
    - id: write
      action: catalog:write
      input:
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata: {name: '${{ parameters.name }}', annotations: {github.com/project-slug: 'acme/${{ parameters.name }}'}}
          spec: {type: service, lifecycle: experimental, owner: group:default/payments}
    - id: log
      action: debug:log
      input: {message: 'creating ${{ parameters.name }}', listWorkspace: true}
    - id: publish
      action: publish:github
      input:
        repoUrl: 'github.com?owner=acme&repo=${{ parameters.name }}'
        description: Orders
        repoVisibility: internal
        topics: [Go, payments]
        collaborators: [{user: user:default/jane, access: push}, {team: group:default/payments, access: admin}]
        gitCommitMessage: Create ${{ parameters.name }}
    - id: register
      action: catalog:register
      input: {repoContentsUrl: '${{ steps.publish.output.repoContentsUrl }}', catalogInfoPath: /catalog-info.yaml}
`

type harness struct {
	tpl   *template.Template
	acts  map[string]Action
	gh    *githubfake.Server
	locs  *recordingLocations
	logs  *bytes.Buffer
	scope templating.Values
	run   Run
}

func newHarness(t *testing.T, manifest string, cat *catalogtest.Catalog) *harness {
	t.Helper()
	tpl, err := template.Load(fstest.MapFS{
		"t/template.yaml":       {Data: []byte(manifest)},
		"t/static/logo.png":     {Data: []byte{0x89, 'P', 'N', 'G', 0, 0xff}},
		"t/static/css/site.css": {Data: []byte("body{}\n")},
		"t/files/LICENSE":       {Data: []byte("MIT\n")},
	}, "t/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	f := githubfake.New(t)
	c, err := github.New(f.URL(), "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{tpl: tpl, gh: f, locs: &recordingLocations{}, logs: &bytes.Buffer{},
		scope: templating.Values{"parameters": map[string]any{"name": "orders"}, "secrets": map[string]any{"token": canary}},
		run:   Run{ID: "r1", Branch: "plat/r1-orders", Requester: "Jane", Owner: "group:default/payments"}}
	h.acts = New(Deps{Catalog: cat, Publisher: &recordingPublisher{}, Repos: ghRepos{gitops.GitHubRepositories(c)}, Locations: h.locs,
		Policy: TeamPolicy{Catalog: cat, AdminGroups: []string{"group:default/platform"}}, Logger: slog.New(slog.NewTextHandler(h.logs, nil))})
	return h
}

// steps runs (or plans) every step in order over one set of files, as the
// feature does, and returns the outputs by step id.
func (h *harness) steps(t *testing.T, dry bool) (map[string]map[string]any, error) {
	t.Helper()
	eng := templating.New(templating.Options{})
	files := map[string]string{}
	outs := map[string]map[string]any{}
	stepOuts := map[string]any{}
	for _, spec := range h.tpl.Steps {
		scope := templating.Values{"steps": stepOuts}
		for k, v := range h.scope {
			scope[k] = v
		}
		in, _, err := eng.RenderValue(context.Background(), spec.ID, spec.Input, scope)
		if err != nil {
			t.Fatal(err)
		}
		sc := &StepContext{Run: h.run, StepKey: spec.ID, Template: h.tpl, Input: in.(map[string]any), Files: files, DryRun: dry, RawInput: spec.Input, Scope: scope, Engine: eng}
		var out map[string]any
		if dry {
			var pl Plan
			pl, err = h.acts[spec.Action].Plan(context.Background(), sc)
			out = pl.Output
			if err == nil && len(pl.Effects) == 0 {
				t.Errorf("%s: a plan without effects", spec.ID)
			}
		} else {
			out, err = h.acts[spec.Action].Run(context.Background(), sc)
		}
		if err != nil {
			return outs, fmt.Errorf("%s: %w", spec.ID, err)
		}
		outs[spec.ID] = out
		stepOuts[spec.ID] = map[string]any{"output": out}
	}
	return outs, nil
}

// A team's template copies files as they are (binary too), writes its
// entity, logs, creates its new repository on GitHub with the files as one
// commit, topics and collaborators, and registers the repository's
// catalog file; running the publish step again finds its repository, and
// no secret the template could read shows in outputs or logs.
func TestPublishGitHubRunsEndToEnd(t *testing.T) {
	cat := catalogtest.New(t)
	h := newHarness(t, repoTemplate, cat)
	if probs := template.Check(h.tpl, h.acts); len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	plan, err := h.steps(t, true)
	if err != nil {
		t.Fatal(err)
	}
	if plan["publish"]["repoContentsUrl"] != "https://github.example/acme/orders/blob/main" || len(h.gh.Requests()) != 0 {
		t.Fatalf("plan %v, %d GitHub requests", plan["publish"], len(h.gh.Requests()))
	}
	outs, err := h.steps(t, false)
	if err != nil {
		t.Fatal(err)
	}
	pub := outs["publish"]
	if pub["remoteUrl"] != "https://github.example/acme/orders.git" || pub["repoContentsUrl"] != "https://github.example/acme/orders/blob/main" || pub["commitHash"] == "" || pub["created"] != true {
		t.Errorf("publish output %v", pub)
	}
	files, msg := h.gh.RepoFiles("acme/orders", "main")
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "LICENSE,assets/css/site.css,assets/logo.png,catalog-info.yaml" || files["assets/logo.png"] != "\x89PNG\x00\xff" || !strings.HasPrefix(msg, "Create orders") {
		t.Errorf("repository files %v, message %q", names, msg)
	}
	if !strings.Contains(files["catalog-info.yaml"], "name: orders") || !strings.Contains(files["catalog-info.yaml"], "github.com/project-slug: acme/orders") {
		t.Errorf("catalog file %q", files["catalog-info.yaml"])
	}
	repo, _ := h.gh.Repository("acme/orders")
	if repo.Visibility != "internal" || strings.Join(repo.Topics, ",") != "go,payments" || repo.Collaborators["jane"] != "push" || repo.Teams["payments"] != "admin" {
		t.Errorf("repository %+v", repo)
	}
	reg := outs["register"]
	if reg["catalogInfoUrl"] != "https://github.example/acme/orders/blob/main/catalog-info.yaml" || reg["entityRef"] != "component:default/orders" ||
		len(h.locs.added) != 1 || h.locs.added[0] != "https://github.example/acme/orders/blob/main/catalog-info.yaml group:default/payments" {
		t.Errorf("register output %v, locations %v", reg, h.locs.added)
	}
	if outs["log"]["message"] != "creating orders" || !strings.Contains(h.logs.String(), "creating orders") || len(templating.Strings(outs["log"]["workspace"])) != 4 {
		t.Errorf("debug:log output %v, log %q", outs["log"], h.logs.String())
	}

	// Again, as after a crash: the repository and location are found.
	again, err := h.steps(t, false)
	if err != nil {
		t.Fatal(err)
	}
	if again["publish"]["commitHash"] != pub["commitHash"] || again["publish"]["created"] != false || h.gh.Count("POST", "/orgs/acme/repos") != 1 || again["register"]["created"] != false {
		t.Errorf("second run: %v %v, %d creations", again["publish"], again["register"], h.gh.Count("POST", "/orgs/acme/repos"))
	}
	all := fmt.Sprint(outs, again, h.logs.String())
	for _, r := range h.gh.Requests() {
		all += r.Body
	}
	if strings.Contains(all, canary) {
		t.Error("the secret canary leaked")
	}
}

// debug:log and catalog:write refuse to read secrets (they would be shown
// and logged); publish:github names a bad repoUrl or visibility at
// approval.
func TestChecksRefuseSecretsAndBadRepos(t *testing.T) {
	bad := strings.NewReplacer(
		"'creating ${{ parameters.name }}'", "'${{ secrets.token }}'",
		"repoVisibility: internal", "repoVisibility: secret",
		"'github.com?owner=acme&repo=${{ parameters.name }}'", "'gitlab.com?owner=acme&repo=x'",
	).Replace(repoTemplate)
	h := newHarness(t, bad, catalogtest.New(t))
	probs := strings.Join(template.Check(h.tpl, h.acts), "\n")
	for _, want := range []string{"step log (template.yaml:", "secrets.token", `input.repoVisibility "secret"`, "names host gitlab.com"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q:\n%s", want, probs)
		}
	}
}

// The publish rule: a team's template may not create or propose to a
// repository another team owns, nor write GitOps files outside its
// folders; the refusal names the rule, at plan time and at run time,
// before anything is written. The platform admins' templates publish
// anywhere; a team may propose to its own repository, with draft and
// reviewers.
func TestPublishPolicy(t *testing.T) {
	cat := catalogtest.FromEntities(t,
		catalogtest.Component("billing", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/orders"),
		catalogtest.Component("ledger", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/ledger"))
	h := newHarness(t, repoTemplate, cat)
	for _, dry := range []bool{true, false} {
		_, err := h.steps(t, dry)
		if err == nil || !strings.Contains(err.Error(), "publish: template svc (owned by group:default/payments) may not publish to repository acme/orders: rule "+RuleOwnRepositories) ||
			!strings.Contains(err.Error(), "group:default/checkout") {
			t.Errorf("dry %v: %v", dry, err)
		}
	}
	if n := len(h.gh.Requests()); n != 0 {
		t.Errorf("%d GitHub requests despite the refusal", n)
	}

	gitopsTpl := strings.Replace(repoTemplate[:strings.Index(repoTemplate, "    - id: log")], "targetPath: assets}", "targetPath: teams/payments/orders}", 1) +
		"    - id: pr\n      action: publish:github:pull-request\n      input: {title: Add orders, targetPath: TARGET}\n"
	for target, want := range map[string]string{"databases": RuleOwnGitOpsPaths, "teams/payments": "", "apps/ledger": ""} {
		h := newHarness(t, strings.Replace(gitopsTpl, "TARGET", target, 1), cat)
		_, err := h.steps(t, false)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", target, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), "rule "+want) || !strings.Contains(err.Error(), "teams/payments/")):
			t.Errorf("%s: %v", target, err)
		}
	}
	admin := newHarness(t, strings.Replace(strings.Replace(gitopsTpl, "TARGET", "databases", 1), "owner: group:default/payments", "owner: group:default/platform", 1), cat)
	if _, err := admin.steps(t, false); err != nil {
		t.Errorf("platform template: %v", err)
	}

	prTpl := repoTemplate[:strings.Index(repoTemplate, "    - id: log")] + `    - id: pr
      action: publish:github:pull-request
      input: {repoUrl: 'github.com?owner=acme&repo=ledger', title: Add docs, description: Docs, branchName: docs, targetPath: docs, draft: true, reviewers: [jane], teamReviewers: [payments], targetBranchName: main}
`
	h = newHarness(t, prTpl, cat)
	h.gh.AddRepo("acme/ledger", map[string]string{"go.mod": "module ledger\n"})
	outs, err := h.steps(t, false)
	if err != nil {
		t.Fatal(err)
	}
	pr := outs["pr"]
	pulls := h.gh.PullRequestsIn("acme/ledger")
	if len(pulls) != 1 || !pulls[0].Draft || strings.Join(pulls[0].Reviewers, ",") != "jane" || strings.Join(pulls[0].TeamReviewers, ",") != "payments" || pulls[0].Base != "main" {
		t.Fatalf("pull requests %+v", pulls)
	}
	files, _ := h.gh.RepoFiles("acme/ledger", pulls[0].Head)
	if files["docs/LICENSE"] != "MIT\n" || files["go.mod"] == "" || pr["remoteUrl"] != "https://github.example/acme/ledger/pull/1" || pr["pullRequestNumber"] != int64(1) || pr["targetBranchName"] != "main" {
		t.Errorf("files %v, output %v", files, pr)
	}
	if _, err := h.steps(t, false); err != nil || len(h.gh.PullRequestsIn("acme/ledger")) != 1 {
		t.Errorf("second run: %v, %d pull requests", err, len(h.gh.PullRequestsIn("acme/ledger")))
	}
	if len(h.gh.PullRequests()) != 0 {
		t.Errorf("the GitOps repository got a pull request")
	}
}

// localRepos is ghRepos over local git repositories under dir.
type localRepos struct {
	ghRepos
	dir string
}

func (a localRepos) WebURL(owner, name string) string {
	return "file://" + filepath.Join(a.dir, owner, name)
}

// Without GitHub the repository is a local git repository, said so in the
// plan and the output, with file:// URLs; catalog:register adds its
// catalog file to the real catalog as the team's location, whose entity
// appears at the next refresh. A retry of the whole run (as after a crash)
// finds the repository, the location and the entity it registered; a
// second template registering the same entity name is refused.
func TestPublishGitHubLocalModeRegistersInTheCatalog(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	cat := catalogtest.New(t, catalogtest.YAML(t, catalogtest.Group("payments")))
	h := newHarness(t, repoTemplate, cat)
	dir := t.TempDir()
	repos := localRepos{ghRepos{gitops.LocalRepositories(dir)}, dir}
	deps := Deps{Catalog: cat, Publisher: &recordingPublisher{}, Repos: repos, Locations: cat.Catalog,
		Policy: TeamPolicy{Catalog: cat, AdminGroups: []string{"group:default/platform"}}, Logger: slog.New(slog.NewTextHandler(h.logs, nil))}
	h.acts = New(deps)

	plan, err := h.steps(t, true)
	if err != nil {
		t.Fatal(err)
	}
	web := "file://" + filepath.Join(dir, "acme", "orders")
	if plan["publish"]["remoteUrl"] != web || plan["publish"]["location"] != "local git repository (no GitHub is configured)" {
		t.Errorf("plan %v", plan["publish"])
	}
	outs, err := h.steps(t, false)
	if err != nil {
		t.Fatal(err)
	}
	if outs["publish"]["repoContentsUrl"] != web || outs["register"]["catalogInfoUrl"] != web+"/catalog-info.yaml" || outs["register"]["created"] != true {
		t.Fatalf("outputs %v %v", outs["publish"], outs["register"])
	}
	if b, err := os.ReadFile(filepath.Join(dir, "acme", "orders", "assets", "logo.png")); err != nil || string(b) != "\x89PNG\x00\xff" {
		t.Fatalf("local repository file %q: %v", b, err)
	}
	if got := cat.Registered(); len(got) != 1 || got[0].Owner != "group:default/payments" || got[0].Target != filepath.Join(dir, "acme", "orders", "catalog-info.yaml") {
		t.Fatalf("registered %+v", got)
	}
	ctx := context.Background()
	if _, err := cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e, ok := cat.Get("component:default/orders")
	if !ok || e.Owner() != "group:default/payments" {
		t.Fatalf("the registered entity is not in the catalog: %v", cat.Errors())
	}

	again, err := h.steps(t, false)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if again["publish"]["created"] != false || again["register"]["created"] != false || again["register"]["entityRef"] != "component:default/orders" {
		t.Errorf("retry outputs %v %v", again["publish"], again["register"])
	}

	other := newHarness(t, strings.Replace(strings.Replace(repoTemplate, "metadata: {name: svc}", "metadata: {name: svc2}", 1), "repo=${{ parameters.name }}", "repo=orders2", 1), cat)
	other.acts = New(deps)
	if _, err := other.steps(t, false); err == nil || !strings.Contains(err.Error(), "component:default/orders already exists in the catalog") {
		t.Errorf("a second template registering the same entity: %v", err)
	}
}

// Without a repository client (a renderer, say) publish:github is planned
// with GitHub's addresses but refuses to run, and a pull request with
// repoUrl too.
func TestPublishWithoutRepositories(t *testing.T) {
	cat := catalogtest.New(t)
	h := newHarness(t, repoTemplate, cat)
	h.acts = New(Deps{Catalog: cat, Publisher: &recordingPublisher{}})
	plan, err := h.steps(t, true)
	if err != nil {
		t.Fatal(err)
	}
	if plan["publish"]["remoteUrl"] != "https://github.com/acme/orders.git" {
		t.Errorf("plan %v", plan["publish"])
	}
	if _, err := h.steps(t, false); err == nil || !strings.Contains(err.Error(), "publish: this platbot cannot create repositories") {
		t.Errorf("run: %v", err)
	}
}
