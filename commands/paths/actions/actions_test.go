package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// recordingPublisher keeps the changes it is asked to open.
type recordingPublisher struct{ opened []Change }

func (p *recordingPublisher) Describe() string { return "test GitOps" }

func (p *recordingPublisher) Open(_ context.Context, c Change) (*PullRequest, error) {
	p.opened = append(p.opened, c)
	return &PullRequest{Number: 7, URL: "https://example.test/pull/7", Branch: c.Branch, Created: true}, nil
}

const testTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: svc}
spec:
  owner: group:default/platform
  parameters: {properties: {name: {type: string}, note: {type: string}}}
  steps:
    - id: fetch
      action: fetch:template
      input: {url: ./skeleton, values: {name: '${{ parameters.name }}'}}
    - id: register
      action: catalog:register
      input: {catalogInfoPath: catalog-info.yaml}
    - id: publish
      action: publish:github:pull-request
      input: {title: 'Add ${{ parameters.name }}', description: '**New** ${{ parameters.note }}', labels: [svc]}
`

// The three steps of a template without secrets, run in order over one
// working set of files as the feature runs them: the skeleton is
// rendered, its entity checked against the catalog, and one pull request
// opened with the files, the run's branch, the labels, the requester's
// GitHub login as assignee, and the description in the template's own
// markdown with the typed value escaped (it mentions nobody).
func TestStepsRenderRegisterPublish(t *testing.T) {
	tpl, err := template.Load(fstest.MapFS{
		"t/template.yaml":              {Data: []byte(testTemplate)},
		"t/skeleton/catalog-info.yaml": {Data: []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: '${{ values.name }}'}\nspec: {owner: payments}\n")},
	}, "t/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if probs := template.Check(tpl, New(Deps{})); len(probs) > 0 {
		t.Fatalf("template problems: %v", probs)
	}
	cat := catalogtest.New(t, "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jane\n  annotations: {github.com/user-login: jane-gh}\nspec: {memberOf: []}\n")
	pub := &recordingPublisher{}
	acts := New(Deps{Catalog: cat, Publisher: pub, Labels: []string{"platbot"}})
	run := Run{ID: "r1", Branch: "plat/r1-svc", Requester: "Jane", RequesterRef: "user:default/jane", Owner: "group:default/payments"}
	scope := templating.Values{"parameters": map[string]any{"name": "orders-db", "note": "ping @all"}}
	eng := templating.New(templating.Options{})
	files := map[string]string{}
	var outs []map[string]any
	for _, spec := range tpl.Steps {
		in, _, err := eng.RenderValue(context.Background(), spec.ID, spec.Input, scope)
		if err != nil {
			t.Fatal(err)
		}
		sc := &StepContext{Run: run, StepKey: spec.ID, Template: tpl, Input: in.(map[string]any), Files: files, RawInput: spec.Input, Scope: scope, Engine: eng}
		out, err := acts[spec.Action].Run(context.Background(), sc)
		if err != nil {
			t.Fatalf("%s: %v", spec.ID, err)
		}
		outs = append(outs, out)
	}
	if !strings.Contains(files["catalog-info.yaml"], "orders-db") || outs[1]["entityRef"] != "component:default/orders-db" {
		t.Fatalf("files %v, register output %v", files, outs[1])
	}
	if len(pub.opened) != 1 {
		t.Fatalf("opened %d pull requests", len(pub.opened))
	}
	c := pub.opened[0]
	if c.Branch != "plat/r1-svc" || strings.Join(c.Labels, ",") != "platbot,svc" || strings.Join(c.Assignees, ",") != "jane-gh" || c.Files["catalog-info.yaml"] == "" {
		t.Errorf("change %+v", c)
	}
	if !strings.HasPrefix(c.Body, "**New** ping @\u2060all\n") || !strings.Contains(c.CommitMessage, "run r1, requested by Jane") {
		t.Errorf("body %q, commit message %q", c.Body, c.CommitMessage)
	}
	if outs[2]["remoteUrl"] != "https://example.test/pull/7" {
		t.Errorf("publish output %v", outs[2])
	}
}

// A step failure explained for the user reads as message and advice; a
// dry run shows the message without the advice.
func TestStepErrorAndPlanProblem(t *testing.T) {
	cause := errors.New("boom")
	err := error(&StepError{Msg: "it broke", Hint: "Press Retry", Err: cause})
	if err.Error() != "it broke. Press Retry" || !errors.Is(err, cause) {
		t.Errorf("StepError %q", err)
	}
	if got := PlanProblem(err); got != "it broke" {
		t.Errorf("PlanProblem = %q", got)
	}
	if got := PlanProblem(cause); got != "boom" {
		t.Errorf("PlanProblem(plain) = %q", got)
	}
	// vault:kv refuses a path segment that is not a DNS label before it
	// touches any store.
	sc := &StepContext{Template: &template.Template{Owner: "group:default/platform"}, Input: map[string]any{"team": "pay ments", "service": "svc", "environment": "dev"}}
	_, perr := New(Deps{})[VaultKV].Plan(context.Background(), sc)
	var se *StepError
	if !errors.As(perr, &se) || !strings.Contains(se.Msg, `"pay ments"`) {
		t.Errorf("vault:kv plan: %v", perr)
	}
}
