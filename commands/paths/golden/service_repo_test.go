package golden

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
)

func serviceRepoStep(over map[string]any) *actions.StepContext {
	in := map[string]any{
		"name": "ledger-api", "owner": "group:default/payments", "system": "system:default/billing",
		"description": "Keeps the ledger.", "language": "go", "environments": []any{"dev", "prod-eu"},
		"repoUrl": "github.com?owner=acme&repo=ledger-api", "targetPath": "repo",
	}
	for k, v := range over {
		in[k] = v
	}
	raw := map[string]any{}
	for _, k := range []string{"name", "owner", "system", "language", "environments", "repoUrl"} {
		raw[k] = "${{ parameters." + k + " }}"
	}
	return &actions.StepContext{Run: actions.Run{ID: "r1"}, StepKey: "repo-files",
		Input: in, RawInput: raw, Files: map[string]string{}, Executable: map[string]bool{}}
}

func TestServiceRepoCatalogEntryCodeOwnersAndCI(t *testing.T) {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("payments", AnnotationGitHubTeam+"=acme/payments-eng"),
		catalogtest.Group("search"),
	)
	a := serviceRepo{d: actions.Deps{Catalog: cat}}
	sc := serviceRepoStep(nil)
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if out["entityRef"] != "component:default/ledger-api" || out["codeOwner"] != "@acme/payments-eng" {
		t.Errorf("output %v", out)
	}
	if got := sc.Files["repo/CODEOWNERS"]; !strings.Contains(got, "\n* @acme/payments-eng\n") {
		t.Errorf("CODEOWNERS %q", got)
	}

	// The entry decodes strictly as a catalog entity, with what the
	// platform reads from it.
	raw := sc.Files["repo/catalog-info.yaml"]
	var ent catalog.Entity
	dec := yaml.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&ent); err != nil {
		t.Fatalf("catalog-info.yaml: %v\n%s", err, raw)
	}
	if ent.Kind != "Component" || ent.Owner() != "group:default/payments" || ent.Spec["system"] != "system:default/billing" || ent.Spec["lifecycle"] != "experimental" {
		t.Errorf("entity %+v", ent)
	}
	for k, v := range map[string]string{
		catalog.AnnotationGitHubSlug: "acme/ledger-api", catalog.AnnotationCostTag: "service=ledger-api",
		AnnotationArgoCDSelector: "app.kubernetes.io/name=ledger-api", catalog.AnnotationPagerDuty: "",
	} {
		if got, ok := ent.Metadata.Annotations[k]; !ok || got != v {
			t.Errorf("annotation %s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	if !strings.Contains(raw, "# The PagerDuty service's ID") {
		t.Errorf("no comment on where the PagerDuty ID comes from:\n%s", raw)
	}
	dep, _ := ent.Spec["deployment"].(map[string]any)
	envs, _ := dep["environments"].([]any)
	if len(envs) != 2 || envs[1].(map[string]any)["region"] != "eu-west-1" || envs[0].(map[string]any)["tier"] != "standard" {
		t.Errorf("deployment intent %v", ent.Spec["deployment"])
	}

	// The CI workflow is the platform's standard one for the language and
	// passes actionlint.
	ci := sc.Files["repo/"+CIWorkflowPath]
	if !strings.Contains(ci, "actions/setup-go@v5") {
		t.Errorf("workflow:\n%s", ci)
	}
	if probs, err := LintWorkflow([]byte(ci)); err != nil || len(probs) > 0 {
		t.Errorf("actionlint: %v %v", probs, err)
	}

	// Without a team-slug annotation CODEOWNERS names the group.
	sc = serviceRepoStep(map[string]any{"owner": "group:default/search", "language": "python"})
	if out, err := a.Run(context.Background(), sc); err != nil || out["codeOwner"] != "@acme/search" {
		t.Fatalf("owner without a team slug: %v %v", out, err)
	}
	if !strings.Contains(sc.Files["repo/"+CIWorkflowPath], "setup-python") {
		t.Errorf("python workflow:\n%s", sc.Files["repo/"+CIWorkflowPath])
	}
}

func TestServiceRepoRefusesBadInputOnItsField(t *testing.T) {
	a := serviceRepo{d: actions.Deps{Catalog: catalogtest.FromEntities(t, catalogtest.Group("payments"))}}
	for _, tc := range []struct {
		over  map[string]any
		field string
		want  string
	}{
		{map[string]any{"language": "cobol"}, "language", `"cobol" is not a language`},
		{map[string]any{"repoUrl": "github.com"}, "repoUrl", "is not a repository address"},
		{map[string]any{"environments": []any{"qa"}}, "environments", `"qa" is not an environment`},
	} {
		sc := serviceRepoStep(tc.over)
		_, err := a.Plan(context.Background(), sc)
		var fe bot.FieldErrors
		if !errors.As(err, &fe) || !strings.Contains(fe[tc.field], tc.want) {
			t.Errorf("%v: error %v, want on %s %q", tc.over, err, tc.field, tc.want)
		}
		if len(sc.Files) != 0 {
			t.Errorf("%v: files written: %v", tc.over, sc.Files)
		}
	}
}

// fakeRepos is repositories that exist (by owner/name) on GitHub, or in
// local git under a folder.
type fakeRepos struct {
	have  map[string]bool
	local bool
	err   error
}

func (f fakeRepos) Exists(_ context.Context, owner, name string) (bool, error) {
	return f.have[owner+"/"+name], f.err
}
func (f fakeRepos) Local() bool { return f.local }
func (f fakeRepos) Describe() string {
	if f.local {
		return "local git repositories under /srv/repos (no GitHub is configured)"
	}
	return "GitHub"
}

// An existing repository is a field error on repoUrl at the dry run (on
// GitHub and in local git, each named), before publish:github would fail
// on it; a new name plans; Run leaves it to publish:github (which knows the
// repository its own run created); a check that fails is no field error.
func TestServiceRepoPlanRefusesAnExistingRepository(t *testing.T) {
	ctx := context.Background()
	cat := catalogtest.FromEntities(t, catalogtest.Group("payments"))
	have := map[string]bool{"acme/ledger-api": true}
	for _, r := range []fakeRepos{{have: have}, {have: have, local: true}} {
		a := serviceRepo{d: actions.Deps{Catalog: cat, RepoFiles: missingFiles{r}}}
		_, err := a.Plan(ctx, serviceRepoStep(nil))
		var fe bot.FieldErrors
		where := map[bool]string{false: "on GitHub", true: "among the local git repositories under /srv/repos (no GitHub is configured)"}[r.local]
		if !errors.As(err, &fe) || !strings.Contains(fe["repoUrl"], "the repository acme/ledger-api already exists "+where) {
			t.Errorf("local %v: plan error %v, fields %v", r.local, err, fe)
		}
		if _, err := a.Plan(ctx, serviceRepoStep(map[string]any{"repoUrl": "github.com?owner=acme&repo=ledger-two"})); err != nil {
			t.Errorf("local %v: a new repository: %v", r.local, err)
		}
		if _, err := a.Run(ctx, serviceRepoStep(nil)); err != nil {
			t.Errorf("local %v: run: %v", r.local, err)
		}
	}
	a := serviceRepo{d: actions.Deps{Catalog: cat, RepoFiles: missingFiles{fakeRepos{err: errors.New("github: 502")}}}}
	_, err := a.Plan(ctx, serviceRepoStep(nil))
	var fe bot.FieldErrors
	if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "could not tell whether acme/ledger-api exists") {
		t.Errorf("failing check: %v", err)
	}
}

// A component whose repository is missing is a field error naming the
// repository and where it was looked for, for every path that changes a
// service's repository: add-ci-workflow at its dry run (it reads nothing
// else there), new-api-endpoint and new-sdk instead of "has no OpenAPI
// document".
func TestMissingServiceRepository(t *testing.T) {
	ctx := context.Background()
	cat := ciCatalog(t)
	for _, r := range []fakeRepos{{}, {local: true}} {
		where := map[bool]string{false: "is not on GitHub", true: "is not among the local git repositories under /srv/repos"}[r.local]
		want := "orders-api's repository acme/orders-api " + where
		_, err := ciWorkflow{d: actions.Deps{Catalog: cat, RepoFiles: missingFiles{r}}}.Plan(ctx, ciStep(map[string]any{"component": "orders-api", "language": "go"}))
		var fe bot.FieldErrors
		if !errors.As(err, &fe) || !strings.Contains(fe["component"], want) {
			t.Errorf("add-ci-workflow, local %v: %v", r.local, err)
		}
		d := actions.Deps{Catalog: cat, RepoFiles: missingFiles{r}}
		for name, plan := range map[string]func() error{
			"new-api-endpoint": func() error {
				_, err := apiEndpoint{d: d}.Plan(ctx, endpointStep(map[string]any{"component": "orders-api"}))
				return err
			},
			"new-sdk": func() error {
				_, err := sdkAction{d: d}.Plan(ctx, sdkStep(map[string]any{"component": "orders-api"}))
				return err
			},
		} {
			err := plan()
			fe = nil
			if !errors.As(err, &fe) || !strings.Contains(fe["component"], want) {
				t.Errorf("%s, local %v: %v", name, r.local, err)
			}
		}
	}
	// The repository is there: the document is what is missing.
	d := actions.Deps{Catalog: cat, RepoFiles: missingFiles{fakeRepos{have: map[string]bool{"acme/orders-api": true}}}}
	_, err := apiEndpoint{d: d}.Plan(ctx, endpointStep(map[string]any{"component": "orders-api"}))
	if err == nil || !strings.Contains(err.Error(), "acme/orders-api has no OpenAPI document at openapi.yaml") {
		t.Errorf("a repository without the document: %v", err)
	}
}

// missingFiles is repositories with no files at all.
type missingFiles struct{ fakeRepos }

func (missingFiles) ReadFile(_ context.Context, owner, repo, p string) ([]byte, error) {
	return nil, fmt.Errorf("read %s of %s/%s: %w", p, owner, repo, fs.ErrNotExist)
}
