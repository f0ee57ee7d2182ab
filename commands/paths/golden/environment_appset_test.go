package golden

import (
	"context"
	"strings"
	"testing"
)

// new-environment's plan says the environment is added to the service's
// ApplicationSet when the platform writes those, not that a file of its
// own is added.
func TestEnvironmentPlanNamesTheApplicationSet(t *testing.T) {
	a := newEnvironmentActions(environmentDeps(t, setPlacer{}))[ActionEnvironment]
	plan, err := a.Plan(context.Background(), environmentStep(validInput()))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan.Effects, "\n")
	if want := "add prod-eu2 to apps/checkout/checkout-service.yaml (the Argo CD ApplicationSet of checkout-service; its element deploys prod-eu2 to euw1-prod-a)"; !strings.Contains(got, want) {
		t.Errorf("effects:\n%s\nwant %q", got, want)
	}
	if strings.Contains(got, "(the Argo CD Application deploying") {
		t.Errorf("effects name an Application file:\n%s", got)
	}
}
