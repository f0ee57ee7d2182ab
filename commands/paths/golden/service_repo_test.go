package golden

import (
	"bytes"
	"context"
	"errors"
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
