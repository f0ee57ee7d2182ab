package golden

import (
	"context"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
)

// appSetPlacer places like rulePlacer, each environment an element of the
// service's ApplicationSet (one line per environment here), as the
// placement feature does with argocd.output applicationSet.
type appSetPlacer struct{ *rulePlacer }

func (p appSetPlacer) PlaceEnvironment(ctx context.Context, r actions.PlaceRequest) (*actions.Placed, error) {
	pl, err := p.rulePlacer.PlaceEnvironment(ctx, r)
	if err != nil {
		return nil, err
	}
	el := "- " + r.Environment + " on " + pl.Cluster + "\n"
	pl.Path = "apps/checkout/" + strings.TrimPrefix(r.Service, "component:default/") + "/applicationset.yaml"
	pl.Manifest = el
	pl.Add = func(planned string) (string, error) {
		if strings.Contains(planned, el) {
			return planned, nil
		}
		return planned + el, nil
	}
	return pl, nil
}

// add-region with the platform writing ApplicationSets adds the new
// region's environment to the ApplicationSet the run already planned (an
// earlier step's environment stays), and again on a retry changes
// nothing; a file of its own that the run planned differently is an
// error.
func TestRegionAddsToThePlannedApplicationSet(t *testing.T) {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("checkout"), catalogtest.User("erik", "U-erik", "checkout"),
		catalogtest.Component("checkout-service", "group:default/checkout"),
		&catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindResource,
			Metadata: catalog.Metadata{Name: "carts-db", Annotations: map[string]string{"platbot.dev/golden-path": "new-db"}},
			Spec:     map[string]any{"type": "database", "owner": "group:default/checkout", "dependencyOf": []any{"checkout-service"}}},
	)
	rules := &rulePlacer{clusters: map[string]string{"tier1/ap-southeast-1": "apse1-prod-a"}}
	a := newRegionActions(actions.Deps{Catalog: cat, Placer: appSetPlacer{rules}, GitOpsFiles: regionRepo()})[ActionRegion]
	const path = "apps/checkout/checkout-service/applicationset.yaml"
	sc := regionStep(nil)
	sc.Files[path] = "- prod-eu on euw1-prod-a\n"
	plan, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "add prod-ap to "+path+" (the Argo CD ApplicationSet of checkout-service; its element deploys prod-ap to apse1-prod-a)") {
		t.Errorf("effects:\n%s", got)
	}
	for i := 0; i < 2; i++ {
		if _, err := a.Run(context.Background(), sc); err != nil {
			t.Fatal(err)
		}
		if got := sc.Files[path]; got != "- prod-eu on euw1-prod-a\n- prod-ap on apse1-prod-a\n" {
			t.Fatalf("run %d: the ApplicationSet is\n%s", i+1, got)
		}
	}

	// One Application per environment: another content planned for its
	// file is an error, nothing overwritten.
	apps := newRegionActions(actions.Deps{Catalog: cat, Placer: rules, GitOpsFiles: regionRepo()})[ActionRegion]
	sc = regionStep(nil)
	const appPath = "apps/checkout/checkout-service/prod-ap.yaml"
	sc.Files[appPath] = "kind: Application\n"
	if _, err := apps.Run(context.Background(), sc); err == nil || !strings.Contains(err.Error(), "already wrote "+appPath) {
		t.Errorf("a conflicting Application: %v", err)
	}
	if sc.Files[appPath] != "kind: Application\n" {
		t.Errorf("overwritten: %s", sc.Files[appPath])
	}
}
