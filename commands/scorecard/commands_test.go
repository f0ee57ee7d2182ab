package scorecard

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"go.yaml.in/yaml/v3"
)

func TestServiceCommand(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	out := f.run(t, "U1", "scorecard payments-service")
	for _, want := range []string{
		"payments-service — grade B", "❌ *README has a runbook* `has-readme-runbook` · medium · required",
		`How to fix: Add a "## Runbook" section`, "✅ *Owner has a PagerDuty on-call*", "7 passing · 2 failing", "F 16+",
		// A catalog convention it misses is shown and not counted: still B.
		"❌ *Has a FinOps cost tag* `cost-tag` · medium · visible (not counted yet)", "✅ *Owner is a group or user in the catalog* `owner-resolves`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scorecard reply lacks %q:\n%s", want, out)
		}
	}
	// The failing check comes first.
	if strings.Index(out, "❌") > strings.Index(out, "✅") {
		t.Errorf("failing checks should be listed first:\n%s", out)
	}
	if out := f.run(t, "U1", "scorecard paymnts-service"); !strings.Contains(out, "Did you mean `payments-service`") {
		t.Errorf("typo: %s", out)
	}
	if out := f.run(t, "U1", "scorecard component:default/checkout-service"); !strings.Contains(out, "checkout-service — grade A") {
		t.Errorf("by ref: %s", out)
	}
}

func TestTeamAndOrgCommands(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	seedHistory(t, f.st)
	out := f.run(t, "U1", "scorecard team payments")
	for _, want := range []string{"team payments", "payments-service", "B ↓", "↓ payments-service A → B", "README has a runbook"} {
		if !strings.Contains(out, want) {
			t.Errorf("team reply lacks %q:\n%s", want, out)
		}
	}
	if out := f.run(t, "U1", "scorecard team paymnts"); !strings.Contains(out, "Did you mean `payments`") {
		t.Errorf("team typo: %s", out)
	}
	// Without an argument: the requester's team from the catalog.
	f.cat.AddEntities(catalogtest.User("rep", "U-REP", "reports"))
	if out := f.run(t, "U-REP", "scorecard team"); !strings.Contains(out, "team reports") || !strings.Contains(out, "reports-service") {
		t.Errorf("own team: %s", out)
	}
	if out := f.run(t, "U-NOBODY", "scorecard team"); !strings.Contains(out, "don't know your team") {
		t.Errorf("unknown team: %s", out)
	}

	out = f.run(t, "U1", "scorecard org")
	for _, want := range []string{"By team", "checkout", "payments", "reports", "all"} {
		if !strings.Contains(out, want) {
			t.Errorf("org reply lacks %q:\n%s", want, out)
		}
	}
	out = f.run(t, "U1", "scorecard org --by lifecycle")
	if !strings.Contains(out, "By lifecycle") || !strings.Contains(out, "production  3         1  1  0  1  0  2.7  67%") {
		t.Errorf("org by lifecycle:\n%s", out)
	}
	if out := f.run(t, "U1", "scorecard org --by colour"); !strings.Contains(out, "team, lifecycle or system") {
		t.Errorf("bad --by: %s", out)
	}
}

func TestRefreshJobRecordsHistory(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	if err := f.s.refreshJob(ctx, []byte(`{"at":"2026-11-30T05:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	if err := f.s.refreshJob(ctx, []byte(`{"at":"2026-11-30T06:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	pts, _ := f.st.LatestPoints(ctx, SeriesGrade, testNow)
	if len(pts) != 3 {
		t.Fatalf("points = %d, want one per service (same day replaces)", len(pts))
	}
}

func TestExampleConfig(t *testing.T) {
	b, err := os.ReadFile("../../examples/scorecard/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scorecard Config `yaml:"scorecard"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	cfg := doc.Scorecard
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.CheckFiles = []string{"../../examples/scorecard/checks.yaml"}
	f := newFixture(t, fixtureOptions{config: cfg})
	if len(f.s.Checks().Errors) > 0 || len(f.s.Checks().Checks) != 11 { // 4 built-in, 5 conventions, 2 of the file
		t.Fatalf("checks: %v %v", f.s.Checks().IDs(), f.s.Checks().Errors)
	}
	c := f.s.Config()
	if c.Digest.Timezone != "Europe/Berlin" || c.Teams["group:default/reports"].Timezone != "America/New_York" || c.Digest.ExpiringWithin != 14*24*time.Hour {
		t.Fatalf("config = %+v", c)
	}
	if spec, loc, err := f.s.teamSchedule("group:default/checkout"); err != nil || spec != "30 8 * * 2" || loc.String() != "Europe/Berlin" {
		t.Fatalf("checkout schedule = %q %v %v", spec, loc, err)
	}
}
