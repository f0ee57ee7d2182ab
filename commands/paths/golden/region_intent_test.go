package golden

import (
	"context"
	"strings"
	"testing"
)

// intentRepo is a GitOps repository's base branch in memory that also
// says which entity sources are in it (blobs: Source.File → path), as
// integrations/gitops.Publisher does.
type intentRepo struct {
	cacheRepo
	blobs map[string]string
}

func (r intentRepo) RepoPath(file string) (string, bool) {
	p, ok := r.blobs[file]
	return p, ok
}

// TestRegionAddsToIntentInTheGitOpsRepository: add-region's environment
// reaches the service's deployment intent, as new-environment's does: the
// catalog file in the GitOps repository gains it with its tier and region
// (comments kept), the plan and the description say so, and a retried
// step adds it once.
func TestRegionAddsToIntentInTheGitOpsRepository(t *testing.T) {
	pl := &rulePlacer{clusters: map[string]string{"tier1/ap-southeast-1": "apse1-prod-a"}}
	repo := intentRepo{cacheRepo: regionRepo(), blobs: map[string]string{}}
	repo.cacheRepo["catalog/checkout.yaml"] = checkoutCatalogFile
	d, source := intentDeps(t, pl, checkoutWithSpecIntent(), repo)
	repo.blobs[source] = "catalog/checkout.yaml"
	a := newRegionActions(d)[ActionRegion]
	sc := regionStep(nil)
	plan, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "edit catalog/checkout.yaml: add prod-ap to the spec.deployment.environments of checkout-service (its deployment intent)") {
		t.Errorf("effects:\n%s", got)
	}
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	want := checkoutCatalogFile + "      - name: prod-ap\n        tier: tier1\n        region: ap-southeast-1\n"
	if got := sc.Files["catalog/checkout.yaml"]; got != want {
		t.Fatalf("catalog file:\n%s\nwant\n%s", got, want)
	}
	if out["catalogPath"] != "catalog/checkout.yaml" ||
		out["intent"] != "This pull request also adds `{name: prod-ap, tier: tier1, region: ap-southeast-1}` to the spec.deployment.environments of checkout-service in its catalog file, `catalog/checkout.yaml`, so that /plat where shows prod-ap once merged." {
		t.Errorf("output %v", out)
	}
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := sc.Files["catalog/checkout.yaml"]; got != want {
		t.Errorf("retry: catalog file\n%s", got)
	}
}

// TestRegionIntentElsewhere: a catalog file outside the GitOps repository
// is left alone and the intent output says what to add where; a service
// that declares no intent gets none.
func TestRegionIntentElsewhere(t *testing.T) {
	pl := &rulePlacer{clusters: map[string]string{"tier1/ap-southeast-1": "apse1-prod-a"}}
	repo := intentRepo{cacheRepo: regionRepo(), blobs: map[string]string{}}
	d, source := intentDeps(t, pl, checkoutWithSpecIntent(), repo)
	sc := regionStep(nil)
	out, err := newRegionActions(d)[ActionRegion].Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	want := "The catalog entity of checkout-service is read from " + source + ", outside the GitOps repository this pull request targets: " +
		"add `{name: prod-ap, tier: tier1, region: ap-southeast-1}` to `spec.deployment.environments` of checkout-service there"
	if !strings.Contains(out["intent"].(string), want) || out["catalogPath"] != "" {
		t.Errorf("output %v; want intent %q", out, want)
	}
	for f := range sc.Files {
		if !strings.HasPrefix(f, "apps/") && !strings.HasPrefix(f, "teams/") {
			t.Errorf("the run wrote %s", f)
		}
	}

	// Without a declared intent: nothing to edit, the note says so.
	out, err = regionAction(t, regionRepo()).Run(context.Background(), regionStep(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out["intent"].(string), "declares no deployment intent, so this pull request adds none") || out["catalogPath"] != "" {
		t.Errorf("output %v", out)
	}
}
