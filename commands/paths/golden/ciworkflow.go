package golden

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// ActionCIWorkflow builds the platform's standard GitHub Actions workflow
// for a component's repository (examples/templates/add-ci-workflow).
const ActionCIWorkflow = "platbot:ci-workflow"

// CIWorkflowPath is where the workflow goes in the repository.
const CIWorkflowPath = ".github/workflows/ci.yml"

func init() { registry = append(registry, newCIWorkflowActions) }

func newCIWorkflowActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionCIWorkflow: ciWorkflow{d: d}}
}

// Workflow is a GitHub Actions workflow file, as much of it as the
// standard workflow uses (fields in the order GitHub documents them).
type Workflow struct {
	Name        string            `yaml:"name"`
	On          WorkflowOn        `yaml:"on"`
	Permissions map[string]string `yaml:"permissions,omitempty"`
	Concurrency *Concurrency      `yaml:"concurrency,omitempty"`
	Jobs        map[string]*Job   `yaml:"jobs"`
}

// WorkflowOn are the events that run the workflow.
type WorkflowOn struct {
	Push        *BranchFilter `yaml:"push,omitempty"`
	PullRequest *BranchFilter `yaml:"pull_request,omitempty"`
}

// BranchFilter limits an event to branches (glob patterns).
type BranchFilter struct {
	Branches []string `yaml:"branches,omitempty,flow"`
}

// Concurrency cancels a run superseded by a newer one of the same group.
type Concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress bool   `yaml:"cancel-in-progress"`
}

// Job is one job of the workflow.
type Job struct {
	Name           string `yaml:"name,omitempty"`
	RunsOn         string `yaml:"runs-on"`
	TimeoutMinutes int    `yaml:"timeout-minutes,omitempty"`
	Steps          []Step `yaml:"steps"`
}

// Step is one step of a job: an action (Uses, With) or a command (Run).
type Step struct {
	Name string            `yaml:"name,omitempty"`
	Uses string            `yaml:"uses,omitempty"`
	With map[string]string `yaml:"with,omitempty"`
	Run  string            `yaml:"run,omitempty"`
}

// ciToolchains are the languages the standard workflow knows, with the
// steps that set up the toolchain and check the code.
var ciToolchains = map[string][]Step{
	"go": {
		{Name: "Set up Go", Uses: "actions/setup-go@v5", With: map[string]string{"go-version-file": "go.mod"}},
		{Name: "Vet", Run: "go vet ./..."},
		{Name: "Test", Run: "go test -race ./..."},
		{Name: "Build", Run: "go build ./..."},
	},
	"node": {
		{Name: "Set up Node.js", Uses: "actions/setup-node@v4", With: map[string]string{"node-version": "lts/*", "cache": "npm"}},
		{Name: "Install", Run: "npm ci"},
		{Name: "Lint", Run: "npm run lint --if-present"},
		{Name: "Test", Run: "npm test"},
		{Name: "Build", Run: "npm run build --if-present"},
	},
	"python": {
		{Name: "Set up Python", Uses: "actions/setup-python@v5", With: map[string]string{"python-version": "3.12", "cache": "pip"}},
		{Name: "Install", Run: "python -m pip install --upgrade pip\npython -m pip install -r requirements.txt"},
		{Name: "Test", Run: "python -m pytest"},
	},
}

// CIToolchains lists the languages the standard workflow knows.
func CIToolchains() []string {
	out := make([]string, 0, len(ciToolchains))
	for k := range ciToolchains {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// StandardWorkflow is the platform's CI workflow for a language: on
// pushes to the default branch (and the extra branch patterns) and on
// every pull request, read-only token, superseded runs cancelled, one job
// that checks out the code and runs the toolchain's checks.
func StandardWorkflow(language, defaultBranch string, extraBranches []string) (*Workflow, error) {
	steps, ok := ciToolchains[language]
	if !ok {
		return nil, fmt.Errorf("language %q has no standard workflow (known: %s)", language, strings.Join(CIToolchains(), ", "))
	}
	branches := []string{defaultBranch}
	for _, b := range extraBranches {
		if b != defaultBranch && !contains(branches, b) {
			branches = append(branches, b)
		}
	}
	job := &Job{Name: "Build and test", RunsOn: "ubuntu-latest", TimeoutMinutes: 20,
		Steps: append([]Step{{Name: "Check out", Uses: "actions/checkout@v4"}}, steps...)}
	return &Workflow{
		Name:        "CI",
		On:          WorkflowOn{Push: &BranchFilter{Branches: branches}, PullRequest: &BranchFilter{}},
		Permissions: map[string]string{"contents": "read"},
		Concurrency: &Concurrency{Group: "ci-${{ github.ref }}", CancelInProgress: true},
		Jobs:        map[string]*Job{"build": job},
	}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MarshalWorkflow writes the workflow as YAML.
func MarshalWorkflow(w *Workflow) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("marshal workflow: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal workflow: %w", err)
	}
	return b.Bytes(), nil
}

// LintWorkflow checks a workflow file with actionlint (its syntax, the
// events and their filters, expressions, runner labels, the inputs of
// popular actions), without shellcheck or pyflakes. It returns one line
// per problem, "line:column: message [rule]".
func LintWorkflow(content []byte) ([]string, error) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{StdinFileName: CIWorkflowPath})
	if err != nil {
		return nil, fmt.Errorf("actionlint: %w", err)
	}
	errs, err := l.Lint("<stdin>", content, nil)
	if err != nil {
		return nil, fmt.Errorf("actionlint: %w", err)
	}
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = fmt.Sprintf("%d:%d: %s [%s]", e.Line, e.Column, e.Message, e.Kind)
	}
	return out, nil
}

// ciWorkflow is platbot:ci-workflow. Input: component (the component's
// catalog ref: one of the requester's teams' Components, with a
// github.com/project-slug annotation), language (go, node or python),
// branches (extra branch patterns pushes to which run the workflow: a
// list, or text separated by commas, spaces or lines) and defaultBranch
// (default main). It adds .github/workflows/ci.yml, checked by actionlint,
// to the run's files. Outputs: repoUrl (for publish:github:pull-request),
// repo (owner/name), path.
type ciWorkflow struct{ d actions.Deps }

func (ciWorkflow) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"component", "language"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	if l, ok := s.Input["language"].(string); ok && !strings.Contains(l, "${{") {
		if _, known := ciToolchains[l]; !known {
			probs = append(probs, fmt.Sprintf("input.language %q has no standard workflow (known: %s)", l, strings.Join(CIToolchains(), ", ")))
		}
	}
	return probs
}

// ciPlan is what the step adds.
type ciPlan struct {
	slug    string
	repoURL string
	content string
}

func (a ciWorkflow) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	p, err := a.prepare(ctx, sc)
	if err != nil {
		return actions.Plan{}, err
	}
	sc.Files[CIWorkflowPath] = p.content
	return actions.Plan{
		Effects: []string{fmt.Sprintf("add %s to %s (checked by actionlint)", CIWorkflowPath, p.slug)},
		Output:  p.output(),
	}, nil
}

func (a ciWorkflow) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	p, err := a.prepare(ctx, sc)
	if err != nil {
		return nil, err
	}
	sc.Files[CIWorkflowPath] = p.content
	return p.output(), nil
}

func (p *ciPlan) output() map[string]any {
	return map[string]any{"repoUrl": p.repoURL, "repo": p.slug, "path": CIWorkflowPath}
}

// branchSep separates the branch patterns of a text input.
var branchSep = regexp.MustCompile(`[\s,]+`)

func (a ciWorkflow) prepare(ctx context.Context, sc *actions.StepContext) (*ciPlan, error) {
	ref := strings.TrimSpace(templating.Text(sc.Input["component"]))
	if ref == "" {
		return nil, fieldError(sc, "component", "no component is given")
	}
	comp, err := a.component(sc, ref)
	if err != nil {
		return nil, err
	}
	slug, owner, repo, err := repoSlug(sc, "component", comp)
	if err != nil {
		return nil, err
	}
	// The pull request goes to that repository: a dry run must not
	// promise one to a repository that is not there.
	if err := missingRepository(ctx, a.d, sc, "component", comp, owner, repo); err != nil {
		return nil, err
	}
	language := strings.TrimSpace(templating.Text(sc.Input["language"]))
	var extra []string
	switch v := sc.Input["branches"].(type) {
	case []any, []string:
		extra = templating.Strings(v)
	default:
		extra = branchSep.Split(strings.TrimSpace(templating.Text(v)), -1)
	}
	var branches []string
	for _, b := range extra {
		if b = strings.TrimSpace(b); b != "" {
			branches = append(branches, b)
		}
	}
	def := strings.TrimSpace(templating.Text(sc.Input["defaultBranch"]))
	if def == "" {
		def = "main"
	}
	w, err := StandardWorkflow(language, def, branches)
	if err != nil {
		return nil, fieldError(sc, "language", err.Error())
	}
	b, err := MarshalWorkflow(w)
	if err != nil {
		return nil, err
	}
	probs, err := LintWorkflow(b)
	if err != nil {
		return nil, &actions.StepError{Msg: "could not check the workflow", Err: err}
	}
	if len(probs) > 0 {
		// A branch pattern the user gave is the only free text in it.
		key := "branches"
		if len(branches) == 0 {
			key = "language"
		}
		return nil, fieldError(sc, key, "actionlint rejects the workflow: "+strings.Join(probs, "; "))
	}
	host := a.d.GitHubHost
	if host == "" {
		host = "github.com"
	}
	q := url.Values{"owner": {owner}, "repo": {repo}}
	return &ciPlan{slug: slug, repoURL: host + "?" + q.Encode(), content: string(b)}, nil
}

// component is the catalog's Component ref names, when one of the
// requester's teams owns it.
func (a ciWorkflow) component(sc *actions.StepContext, ref string) (*catalog.Entity, error) {
	ref = catalog.NormalizeRef(ref, catalog.KindComponent, catalog.DefaultNamespace)
	if a.d.Catalog == nil {
		return nil, &actions.StepError{Msg: "platbot has no catalog to find " + ref + " in"}
	}
	for _, e := range a.d.Catalog.List(catalog.KindComponent) {
		if e.Ref() == ref {
			if err := ownedByRequester(a.d, sc, "component", e, "add the workflow"); err != nil {
				return nil, err
			}
			return e, nil
		}
	}
	return nil, fieldError(sc, "component", ref+" is not in the catalog")
}
