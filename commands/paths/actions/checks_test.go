package actions

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/template"
)

// Each new action names what is wrong with its step's input at approval,
// with the step and its line.
func TestNewActionsCheckTheirInput(t *testing.T) {
	manifest := `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: bad}
spec:
  owner: group:default/payments
  steps:
    - id: p1
      action: fetch:plain
      input: {url: 'https://example.com/skeleton'}
    - id: p2
      action: fetch:plain:file
      input: {url: ./static/logo.png}
    - id: w
      action: catalog:write
      input: {filePath: ../out.yaml}
    - id: r
      action: catalog:register
      input: {catalogInfoUrl: 'https://github.com/a/b/blob/main/c.yaml', repoContentsUrl: 'https://github.com/a/b/blob/main'}
    - id: g
      action: publish:github
      input: {repoUrl: 'github.com?owner=acme', collaborators: [{user: jane, access: write}, {team: t}]}
    - id: g2
      action: publish:github
      input: {description: x}
`
	tpl, err := template.Load(fstest.MapFS{
		"t/template.yaml":   {Data: []byte(manifest)},
		"t/static/logo.png": {Data: []byte{1}},
	}, "t/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(template.Check(tpl, New(Deps{})), "\n")
	for _, want := range []string{
		`step p1 (template.yaml:8): input.url "https://example.com/skeleton" must be a path beside the template or a GitHub address`,
		"step p2 (template.yaml:11): input.targetPath is missing",
		"step w (template.yaml:14): input.entity is missing",
		`step w (template.yaml:14): input.filePath "../out.yaml"`,
		"step r (template.yaml:17): input.catalogInfoUrl and input.repoContentsUrl cannot both be set",
		`step g (template.yaml:20): input.repoUrl "github.com?owner=acme" is missing repo`,
		`step g (template.yaml:20): input.collaborators[0]: access "write" must be pull, triage, push, maintain or admin`,
		"step g (template.yaml:20): input.collaborators[1]: access is missing",
		"step g2 (template.yaml:23): input.repoUrl is missing",
	} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q:\n%s", want, probs)
		}
	}
}

// The team rule decides by the catalog: a repository its entities name,
// a new one nobody claims, a GitOps path in the team's folder or in the
// folder of an entity it owns; the admins' templates anywhere.
func TestTeamPolicy(t *testing.T) {
	cat := catalogtest.FromEntities(t,
		catalogtest.Component("ledger", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/Ledger"),
		catalogtest.Component("cart", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/cart"))
	p := TeamPolicy{Catalog: cat, AdminGroups: []string{"platform"}}
	ctx := context.Background()
	repo := func(slug string, create bool) PublishTarget {
		o, r, _ := strings.Cut(slug, "/")
		return PublishTarget{Kind: TargetRepository, Owner: o, Repo: r, Create: create}
	}
	path := func(p string) PublishTarget { return PublishTarget{Kind: TargetGitOpsPath, Path: p} }
	for _, c := range []struct {
		owner  string
		target PublishTarget
		allow  bool
		rule   string
	}{
		{"payments", repo("acme/ledger", false), true, RuleOwnRepositories},
		{"group:default/payments", repo("acme/cart", false), false, RuleOwnRepositories},
		{"payments", repo("acme/cart", true), false, RuleOwnRepositories},
		{"payments", repo("acme/new-thing", true), true, RuleOwnRepositories},
		{"payments", repo("acme/new-thing", false), false, RuleOwnRepositories},
		{"payments", path("teams/payments/x.yaml"), true, RuleOwnGitOpsPaths},
		{"payments", path("teams/paymentsx/x.yaml"), false, RuleOwnGitOpsPaths},
		{"payments", path("apps/ledger/dev/deployment.yaml"), true, RuleOwnGitOpsPaths},
		{"payments", path("apps/cart/dev/deployment.yaml"), false, RuleOwnGitOpsPaths},
		{"payments", path("apps/ledger"), false, RuleOwnGitOpsPaths},
		{"group:default/platform", path("anything/at/all.yaml"), true, RuleAdminsPublishAnywhere},
		{"platform", repo("acme/cart", false), true, RuleAdminsPublishAnywhere},
	} {
		ok, rule, reason := p.AllowPublish(ctx, c.owner, c.target)
		if ok != c.allow || rule != c.rule || reason == "" {
			t.Errorf("%s → %s: %v %s (%s), want %v %s", c.owner, c.target, ok, rule, reason, c.allow, c.rule)
		}
	}
}
