package paths

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
)

// /plat add-ci-workflow, from the form to the pull request in the
// component's own repository (local git): the workflow decodes strictly
// and actionlint finds nothing in it; a branch pattern actionlint rejects,
// another team's component and a component without a repository get a
// field error and create nothing.
func TestAddCIWorkflowPath(t *testing.T) {
	cat := newCatalog(t,
		catalogtest.Component("orders-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/orders-api"),
		catalogtest.Component("ledger", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/ledger"),
	)
	reposDir := filepath.Join(t.TempDir(), "repos")
	for _, r := range []string{"acme/orders-api", "acme/ledger"} {
		dir := filepath.Join(reposDir, r)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "init", "--quiet", "--initial-branch=main")
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/orders\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "add", ".")
		git(t, dir, "-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "init")
	}
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, repos: e2eRepos{gitops.LocalRepositories(reposDir)}})
	e.approve(t, "add-ci-workflow")
	repo := filepath.Join(reposDir, "acme/orders-api")

	// --dry-run shows the workflow and creates nothing.
	f := e.form(userJane, "add-ci-workflow --dry-run")
	if errs := e.submit(userJane, f, bot.Values{"component": {"orders-api"}, "language": {"python"}}); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	e.drain()
	preview := e.msgr.Last().Text()
	for _, want := range []string{"nothing was created", "add .github/workflows/ci.yml to acme/orders-api (checked by actionlint)", "python -m pytest"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q:\n%s", want, preview)
		}
	}
	if len(e.runs()) != 0 || git(t, repo, "branch", "--list", "plat/*") != "" {
		t.Fatal("the dry run created a run or a branch")
	}

	f = e.form(userJane, "add-ci-workflow")
	if errs := e.submit(userJane, f, bot.Values{"component": {"orders-api"}, "language": {"go"}, "branches": {"release/*, develop"}}); errs != nil {
		t.Fatalf("valid submission refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-add-ci-workflow"
	if files := git(t, repo, "diff", "--name-only", "main", branch); files != golden.CIWorkflowPath+"\n"+LineageDir+"/orders-api/add-ci-workflow.go.yaml" {
		t.Fatalf("files changed on %s:\n%s", branch, files)
	}
	content := git(t, repo, "show", branch+":"+golden.CIWorkflowPath) + "\n"
	var w golden.Workflow
	dec := yaml.NewDecoder(bytes.NewReader([]byte(content)))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("workflow does not decode strictly: %v\n%s", err, content)
	}
	if probs, err := golden.LintWorkflow([]byte(content)); err != nil || len(probs) > 0 {
		t.Fatalf("actionlint: %v %v\n%s", probs, err, content)
	}
	job := w.Jobs["build"]
	if w.On.Push == nil || strings.Join(w.On.Push.Branches, ",") != "main,release/*,develop" || w.On.PullRequest == nil ||
		w.Permissions["contents"] != "read" || job == nil || len(job.Steps) < 3 ||
		job.Steps[0].Uses != "actions/checkout@v4" || job.Steps[1].Uses != "actions/setup-go@v5" {
		t.Fatalf("workflow %+v\n%s", w, content)
	}
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := lr.FindPullRequest(context.Background(), branch)
	if err != nil || pr == nil || pr.Title != "ci: the standard GitHub Actions workflow (go)" || !strings.Contains(pr.Body, "push to the main branch and release/*, develop") {
		t.Fatalf("pull request %+v %v", pr, err)
	}

	branches := func() string {
		return git(t, repo, "branch", "--list", "plat/*") + "|" + git(t, filepath.Join(reposDir, "acme/ledger"), "branch", "--list", "plat/*")
	}
	before := branches()
	for _, c := range []struct {
		values      bot.Values
		field, want string
	}{
		{bot.Values{"component": {"orders-api"}, "language": {"node"}, "branches": {"release/["}}, "branches", "actionlint rejects the workflow: 4:"},
		{bot.Values{"component": {"orders-api"}, "language": {"node"}, "branches": {"release/["}}, "branches", "invalid glob pattern"},
		{bot.Values{"component": {"ledger"}, "language": {"go"}}, "component", `"ledger" is not one of the choices`},
		{bot.Values{"component": {"orders-service"}, "language": {"python"}}, "component", "component:default/orders-service has no repository: its catalog entry needs a github.com/project-slug annotation"},
		{bot.Values{"component": {"orders-api"}, "language": {"ruby"}}, "language", "ruby"},
	} {
		errs := e.submit(userJane, e.form(userJane, "add-ci-workflow"), c.values)
		if !strings.Contains(errs[c.field], c.want) || len(errs) != 1 {
			t.Errorf("%v: field errors %v, want %s: %q", c.values, errs, c.field, c.want)
		}
	}
	if n := len(e.runs()); n != 1 {
		t.Fatalf("%d runs after refused submissions, want 1", n)
	}
	if after := branches(); after != before {
		t.Fatalf("refused submissions created branches:\n%s\nwas:\n%s", after, before)
	}
}
