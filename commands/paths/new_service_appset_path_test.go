package paths

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/placement"
	exampleplacement "github.com/platbot/platbot/examples/placement"
)

// placementPlacer is the placement feature's placer of new environments
// behind actions.Placer, as cmd/platbot adapts it. envs is set once the
// test's catalog exists (before any run places anything).
type placementPlacer struct{ envs *placement.Environments }

func (p *placementPlacer) PlaceEnvironment(ctx context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	pe, err := p.envs.Place(ctx, placement.NewEnvironment{
		Service: r.Service, Env: placement.Environment{Name: r.Environment, Tier: r.Tier, Region: r.Region},
		SourcePath: r.SourcePath, ValueFiles: r.ValueFiles, Owner: r.Owner,
	})
	if err != nil {
		var ee *placement.EnvironmentError
		if errors.As(err, &ee) {
			return nil, &actions.PlaceError{Input: ee.What, Err: ee.Err}
		}
		return nil, err
	}
	out := &actions.Placed{Cluster: pe.Cluster, Explain: pe.Explain, Team: pe.Team, Path: pe.Path, Manifest: string(pe.Manifest)}
	if pe.Add != nil {
		out.Add = func(planned string) (string, error) {
			b, err := pe.Add([]byte(planned))
			return string(b), err
		}
	}
	return out, nil
}

// /plat new-service with the platform writing ApplicationSets
// (placement.argocd.output applicationSet): the run's four environments,
// placed by the example rules, end up in one ApplicationSet of the new
// service with one element each — its placed destination, intent and
// the folder of its manifests — and no Application files.
func TestNewServicePathWritesOneApplicationSet(t *testing.T) {
	cfg, err := placement.LoadFile(exampleplacement.Config, exampleplacement.File)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ArgoCD.Output = placement.OutputApplicationSet
	pl := &placementPlacer{}
	e, _, cat := newServiceEnv(t, pl)
	if pl.envs, err = placement.NewEnvironments(cfg, cat, nil); err != nil {
		t.Fatal(err)
	}
	gitopsRepo := filepath.Join(e.dir, "gitops")
	const setPath = "apps/payments/ledger-api/applicationset.yaml"

	if errs := e.submit(userJane, e.form(userJane, "new-service --dry-run"), newServiceValues("ledger-api", "go", seedEnvironments...)); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	e.drain()
	preview := e.msgr.Last().Text()
	if f := e.msgr.Last().File; f != nil {
		preview += "\n" + string(f.Content)
	}
	for _, want := range []string{
		"place prod-us → cluster use1-prod-a: rule `payments-tier1-us` matched tier=tier1, region=us-east-1, team=payments",
		"under teams/payments/ledger-api/prod-eu and its element of the Argo CD ApplicationSet " + setPath,
	} {
		if !strings.Contains(preview, want) {
			t.Errorf("dry run lacks %q:\n%s", want, preview)
		}
	}

	if errs := e.submit(userJane, e.form(userJane, "new-service"), newServiceValues("ledger-api", "go", seedEnvironments...)); errs != nil {
		t.Fatalf("valid service refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-service"
	files := strings.Split(withoutLineage(git(t, gitopsRepo, "diff", "--name-only", "main", branch)), "\n")
	var argo []string
	for _, f := range files {
		if strings.HasPrefix(f, "apps/") {
			argo = append(argo, f)
		}
	}
	if len(files) != 25 || strings.Join(argo, " ") != setPath {
		t.Fatalf("files on %s (want 24 manifests and the ApplicationSet):\n%s", branch, strings.Join(files, "\n"))
	}
	var set placement.ApplicationSet
	if err := sigsyaml.UnmarshalStrict([]byte(git(t, gitopsRepo, "show", branch+":"+setPath)), &set); err != nil {
		t.Fatal(err)
	}
	if set.Kind != placement.ApplicationSetKind || set.Metadata.Name != "ledger-api" || set.Spec.Template.Spec.Project != "payments" ||
		set.Spec.Template.Spec.Destination.Namespace != "ledger-api" || len(set.Spec.Generators) != 1 {
		t.Fatalf("ApplicationSet %+v", set)
	}
	want := map[string]placement.Element{
		"dev":     {Tier: "standard", Cluster: "use1-shared", Server: "https://use1-shared.k8s.acme.example"},
		"staging": {Tier: "standard", Cluster: "use1-shared", Server: "https://use1-shared.k8s.acme.example"},
		"prod-us": {Tier: "tier1", Region: "us-east-1", Cluster: "use1-prod-a", Server: "https://use1-prod-a.k8s.acme.example"},
		"prod-eu": {Tier: "tier1", Region: "eu-west-1", Cluster: "euw1-prod-a", DestinationName: "euw1-prod-a"},
	}
	els := set.Spec.Generators[0].List.Elements
	if len(els) != len(want) {
		t.Fatalf("%d elements, want %d: %+v", len(els), len(want), els)
	}
	for _, el := range els {
		w, ok := want[el.Environment]
		if !ok {
			t.Errorf("element %+v", el)
			continue
		}
		delete(want, el.Environment)
		if el.Tier != w.Tier || el.Region != w.Region || el.Cluster != w.Cluster || el.Server != w.Server || el.DestinationName != w.DestinationName ||
			el.Path != "teams/payments/ledger-api/"+el.Environment || !strings.HasPrefix(el.Placement, "rule `") {
			t.Errorf("element %+v, want %+v", el, w)
		}
	}
}
