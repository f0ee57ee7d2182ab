package paths

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
)

// setTimeZone replaces cat's contents with the same entities, the one
// named ref with its annotations replaced by the time zone zone
// (platbot.dev/timezone).
func setTimeZone(t *testing.T, cat *catalogtest.Catalog, ref, zone string) {
	t.Helper()
	var ents []*catalog.Entity
	for _, k := range catalog.Kinds {
		for _, e := range cat.List(k) {
			if e.Ref() == ref {
				c := *e
				c.Metadata.Annotations = map[string]string{catalog.AnnotationTimeZone: zone}
				e = &c
			}
			ents = append(ents, e)
		}
	}
	cat.Set(catalogtest.YAML(t, ents...))
}

// /plat new-cron-job --dry-run with the time zone left empty: the preview
// says the schedule in words in the owning team's zone (its Group's
// platbot.dev/timezone), and for a team without one in UTC, saying why.
func TestNewCronJobDryRunInTheTeamsTimeZone(t *testing.T) {
	cat := newCatalog(t, catalogtest.Component("platform-tool", "group:default/platform"))
	setTimeZone(t, cat, "group:default/payments", "Europe/Berlin")
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat})
	e.approve(t, "new-cron-job")
	for _, c := range []struct {
		user, owner, service string
		want                 []string
	}{
		{userJane, "group:default/payments", "orders-service", []string{
			"(at 03:00 on Monday to Friday, Europe/Berlin)", "time zone Europe/Berlin: the team's time zone"}},
		{userAdmin, "group:default/platform", "platform-tool", []string{
			"(at 03:00 on Monday to Friday, Etc/UTC)", "time zone Etc/UTC: UTC: group:default/platform has no platbot.dev/timezone annotation in the catalog"}},
	} {
		v := cronJobValues("nightly-export", "0 3 * * 1-5")
		delete(v, "timeZone")
		v["owner"], v["service"] = []string{c.owner}, []string{c.service}
		if errs := e.submit(c.user, e.form(c.user, "new-cron-job --dry-run"), v); errs != nil {
			t.Fatalf("%s: dry run refused: %v", c.owner, errs)
		}
		preview := e.msgr.Last().Text()
		for _, w := range c.want {
			if !strings.Contains(preview, w) {
				t.Errorf("%s: the preview lacks %q:\n%s", c.owner, w, preview)
			}
		}
		// The next runs are in the team's zone (winter or summer time).
		if c.owner == "group:default/payments" && !strings.Contains(preview, " CET (02:00 UTC)") && !strings.Contains(preview, " CEST (01:00 UTC)") {
			t.Errorf("the next runs are not in Berlin time:\n%s", preview)
		}
	}
	if len(e.runs()) != 0 {
		t.Fatal("a dry run started a run")
	}
}
