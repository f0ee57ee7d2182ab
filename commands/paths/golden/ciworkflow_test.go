package golden

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
)

// decodeWorkflow decodes a workflow file strictly into the typed workflow
// and parses it with actionlint's own parser.
func decodeWorkflow(t *testing.T, content string) (*Workflow, *actionlint.Workflow) {
	t.Helper()
	var w Workflow
	dec := yaml.NewDecoder(strings.NewReader(content))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, content)
	}
	parsed, errs := actionlint.Parse([]byte(content))
	if len(errs) > 0 {
		t.Fatalf("actionlint parse: %v\n%s", errs, content)
	}
	return &w, parsed
}

// Every language's workflow is clean for actionlint, decodes strictly, and
// is what GitHub reads: pushes to the branches, every pull request, a
// read-only token, checkout then the toolchain's setup and checks.
func TestStandardWorkflowPassesActionlint(t *testing.T) {
	setup := map[string]string{"go": "actions/setup-go@v5", "node": "actions/setup-node@v4", "python": "actions/setup-python@v5"}
	for _, lang := range CIToolchains() {
		w, err := StandardWorkflow(lang, "main", []string{"release/**", "main", "develop"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := MarshalWorkflow(w)
		if err != nil {
			t.Fatal(err)
		}
		if probs, err := LintWorkflow(b); err != nil || len(probs) > 0 {
			t.Fatalf("%s: actionlint: %v %v\n%s", lang, probs, err, b)
		}
		got, parsed := decodeWorkflow(t, string(b))
		if !bytes.Equal(mustMarshal(t, got), b) {
			t.Errorf("%s: the workflow does not survive a round trip", lang)
		}
		var push, pr *actionlint.WebhookEvent
		for _, ev := range parsed.On {
			if we, ok := ev.(*actionlint.WebhookEvent); ok {
				switch we.Hook.Value {
				case "push":
					push = we
				case "pull_request":
					pr = we
				}
			}
		}
		if push == nil || pr == nil || push.Branches == nil || len(push.Branches.Values) != 3 {
			t.Fatalf("%s: events %+v", lang, parsed.On)
		}
		var branches []string
		for _, v := range push.Branches.Values {
			branches = append(branches, v.Value)
		}
		if strings.Join(branches, ",") != "main,release/**,develop" {
			t.Errorf("%s: push branches %v", lang, branches)
		}
		if parsed.Permissions == nil || parsed.Permissions.Scopes["contents"] == nil || parsed.Permissions.Scopes["contents"].Value.Value != "read" {
			t.Errorf("%s: permissions %+v", lang, parsed.Permissions)
		}
		job := parsed.Jobs["build"]
		if job == nil || len(job.Steps) < 3 {
			t.Fatalf("%s: jobs %+v", lang, parsed.Jobs)
		}
		uses := func(i int) string {
			if a, ok := job.Steps[i].Exec.(*actionlint.ExecAction); ok {
				return a.Uses.Value
			}
			return ""
		}
		if uses(0) != "actions/checkout@v4" || uses(1) != setup[lang] {
			t.Errorf("%s: first steps %q %q", lang, uses(0), uses(1))
		}
		if _, ok := job.Steps[len(job.Steps)-1].Exec.(*actionlint.ExecRun); !ok {
			t.Errorf("%s: the last step runs no check", lang)
		}
	}
	if _, err := StandardWorkflow("ruby", "main", nil); err == nil || !strings.Contains(err.Error(), "known: go, node, python") {
		t.Fatalf("ruby: %v", err)
	}
}

func mustMarshal(t *testing.T, w *Workflow) []byte {
	t.Helper()
	b, err := MarshalWorkflow(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The linter really runs: a broken workflow is reported with its line.
func TestLintWorkflowReportsProblems(t *testing.T) {
	probs, err := LintWorkflow([]byte("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        run: echo both\n"))
	if err != nil || len(probs) == 0 || !strings.Contains(strings.Join(probs, "\n"), "6:9: unexpected key \"uses\"") {
		t.Fatalf("problems %q %v", probs, err)
	}
}

func ciCatalog(t *testing.T) *catalogtest.Catalog {
	return catalogtest.FromEntities(t,
		catalogtest.Group("payments"), catalogtest.Group("checkout"),
		catalogtest.User("jane", "U-jane", "payments"),
		catalogtest.Component("orders-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/orders-api"),
		catalogtest.Component("ledger", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/ledger"),
		catalogtest.Component("orders-ui", "group:default/payments"),
		catalogtest.Component("odd", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme"),
	)
}

func ciStep(input map[string]any) *actions.StepContext {
	sc := migrationStep(input)
	sc.RawInput = map[string]any{"component": "${{ parameters.component }}", "language": "${{ parameters.language }}", "branches": "${{ parameters.branches }}"}
	return sc
}

func TestCIWorkflowPlanAndRun(t *testing.T) {
	ctx := context.Background()
	a := ciWorkflow{d: actions.Deps{Catalog: ciCatalog(t), GitHubHost: "github.example"}}
	in := map[string]any{"component": "orders-api", "language": "python", "branches": "release/*,\n hotfix/*  release/*"}
	plan, err := a.Plan(ctx, ciStep(in))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Output["repoUrl"] != "github.example?owner=acme&repo=orders-api" || plan.Output["repo"] != "acme/orders-api" || plan.Output["path"] != CIWorkflowPath {
		t.Fatalf("plan output %v", plan.Output)
	}
	sc := ciStep(in)
	if _, err := a.Run(ctx, sc); err != nil || len(sc.Files) != 1 {
		t.Fatalf("run: %v, files %v", err, sc.Files)
	}
	w, _ := decodeWorkflow(t, sc.Files[CIWorkflowPath])
	if strings.Join(w.On.Push.Branches, ",") != "main,release/*,hotfix/*" || w.Jobs["build"].Steps[1].With["python-version"] != "3.12" {
		t.Fatalf("workflow %+v", w)
	}
	// A list of branches works as well.
	sc = ciStep(map[string]any{"component": "component:default/orders-api", "language": "go", "branches": []any{"develop"}})
	if _, err := a.Run(ctx, sc); err != nil {
		t.Fatal(err)
	}
	if w, _ := decodeWorkflow(t, sc.Files[CIWorkflowPath]); strings.Join(w.On.Push.Branches, ",") != "main,develop" {
		t.Fatalf("branches %v", w.On.Push.Branches)
	}
}

func TestCIWorkflowRefusals(t *testing.T) {
	ctx := context.Background()
	a := ciWorkflow{d: actions.Deps{Catalog: ciCatalog(t)}}
	for _, c := range []struct {
		in          map[string]any
		field, want string
	}{
		{map[string]any{"component": "orders-api", "language": "go", "branches": "release/["}, "branches", "actionlint rejects the workflow: 4:"},
		{map[string]any{"component": "orders-api", "language": "go", "branches": "feature/**/["}, "branches", "invalid glob pattern"},
		{map[string]any{"component": "ledger", "language": "go"}, "component", "component:default/ledger is owned by group:default/checkout, not one of your teams (group:default/payments)"},
		{map[string]any{"component": "orders-ui", "language": "go"}, "component", "component:default/orders-ui has no repository: its catalog entry needs a github.com/project-slug annotation"},
		{map[string]any{"component": "odd", "language": "go"}, "component", `it has "acme"`},
		{map[string]any{"component": "nope", "language": "go"}, "component", "component:default/nope is not in the catalog"},
		{map[string]any{"component": "", "language": "go"}, "component", "no component is given"},
		{map[string]any{"component": "orders-api", "language": "ruby"}, "language", `language "ruby" has no standard workflow`},
	} {
		sc := ciStep(c.in)
		_, err := a.Plan(ctx, sc)
		var fields bot.FieldErrors
		if err == nil || !errors.As(err, &fields) || len(fields) != 1 || !strings.Contains(fields[c.field], c.want) {
			t.Errorf("%v: plan err = %v (fields %v), want %s: %q", c.in, err, fields, c.field, c.want)
		}
		if _, err := a.Run(ctx, sc); err == nil || len(sc.Files) != 0 {
			t.Errorf("%v: run err = %v, files %v", c.in, err, sc.Files)
		}
	}
}

func TestCIWorkflowCheck(t *testing.T) {
	probs := ciWorkflow{}.Check(nil, template.StepSpec{Input: map[string]any{"language": "cobol"}})
	if strings.Join(probs, "; ") != `input.component is missing; input.language "cobol" has no standard workflow (known: go, node, python)` {
		t.Fatalf("problems %q", probs)
	}
	if probs := (ciWorkflow{}).Check(nil, template.StepSpec{Input: map[string]any{"component": "x", "language": "${{ parameters.language }}"}}); len(probs) != 0 {
		t.Fatalf("problems %q", probs)
	}
}
