package golden

import (
	"context"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
)

// With the time zone left empty, the schedule is shown (dry run) and runs
// in the owning team's zone, its Group's platbot.dev/timezone in the
// catalog; a team without one gets UTC, and the dry run says why; a zone
// typed in the form still wins.
func TestCronJobTimeZoneOfTheTeam(t *testing.T) {
	fixClock(t, time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC))
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("reports", "platbot.dev/timezone=Asia/Tokyo"), catalogtest.Group("payments"),
		catalogtest.Component("reports-etl", "reports"),
		catalogtest.Component("orders-service", "payments"),
	)
	a := cronJobAction{d: actions.Deps{Catalog: cat, GitOpsFiles: cronFiles{}}}
	for _, tc := range []struct {
		name             string
		over             map[string]any
		zone, source     string
		effect, firstRun string
	}{
		{"team zone", map[string]any{"timeZone": ""}, "Asia/Tokyo", "the team's time zone",
			"time zone Asia/Tokyo: the team's time zone", "Mon 30 Mar 2026 02:30 JST (17:30 UTC)"},
		{"no team zone", map[string]any{"timeZone": "", "owner": "group:default/payments", "service": "orders-service"}, "Etc/UTC",
			"UTC: group:default/payments has no platbot.dev/timezone annotation in the catalog",
			"time zone Etc/UTC: UTC: group:default/payments has no platbot.dev/timezone annotation in the catalog", "Mon 30 Mar 2026 02:30 UTC"},
		{"form wins", map[string]any{"timeZone": "Europe/Berlin"}, "Europe/Berlin", "chosen in the form",
			"time zone Europe/Berlin: chosen in the form", "Mon 30 Mar 2026 02:30 CEST (00:30 UTC)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := cronStep(tc.over)
			sc.DryRun = true
			plan, err := a.Plan(context.Background(), sc)
			if err != nil {
				t.Fatal(err)
			}
			effects := strings.Join(plan.Effects, "\n")
			for _, want := range []string{"(at 02:30 on Monday to Friday, " + tc.zone + ")", tc.effect, "next runs: " + tc.firstRun} {
				if !strings.Contains(effects, want) {
					t.Errorf("the dry run lacks %q:\n%s", want, effects)
				}
			}
			if plan.Output["timeZone"] != tc.zone || plan.Output["timeZoneSource"] != tc.source {
				t.Errorf("outputs %v / %v, want %s / %s", plan.Output["timeZone"], plan.Output["timeZoneSource"], tc.zone, tc.source)
			}
			var cj batchv1.CronJob
			for p, text := range sc.Files {
				if strings.HasSuffix(p, "/cronjob.yaml") {
					if err := sigsyaml.UnmarshalStrict([]byte(text), &cj); err != nil {
						t.Fatal(err)
					}
				}
			}
			if cj.Spec.TimeZone == nil || *cj.Spec.TimeZone != tc.zone {
				t.Errorf("the CronJob's timeZone is %v, want %s", cj.Spec.TimeZone, tc.zone)
			}
		})
	}
}
