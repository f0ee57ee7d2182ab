package paths

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

// /plat new-cron-job shows the schedule in words, with the next three runs
// in the team's time zone, under the schedule field before anything is
// submitted: the form opens with the default schedule described, and
// editing the schedule, the time zone or the owner rebuilds it (the
// Dispatch round trip Slack does with views.update) with the new
// description; a schedule that is no cron schedule says why there.
func TestNewCronJobFormSaysTheScheduleInWords(t *testing.T) {
	cat := newCatalog(t)
	setTimeZone(t, cat, "group:default/payments", "Europe/Berlin")
	e := newEnv(t, envOptions{cat: cat})
	e.approve(t, "new-cron-job")
	berlin := func(help string) bool {
		return strings.Count(help, " CET (02:00 UTC)")+strings.Count(help, " CEST (01:00 UTC)") == 3
	}

	f := e.form(userJane, "new-cron-job")
	for _, id := range []string{"schedule", "timeZone", "owner"} {
		if fd := f.Field(id); fd == nil || !fd.Dispatch {
			t.Errorf("field %s does not rebuild the form when it changes: %+v", id, fd)
		}
	}
	if fd := f.Field("jobName"); fd == nil || fd.Dispatch {
		t.Errorf("the job's name rebuilds the form: %+v", fd)
	}
	help := f.Field("schedule").Help
	if !strings.HasPrefix(help, "🕒 Runs at 03:00") || !strings.Contains(help, ", Europe/Berlin (the team's time zone). Next: ") || !berlin(help) ||
		!strings.Contains(help, "Five fields: minute hour") {
		t.Errorf("the opened form's schedule hint:\n%s", help)
	}

	rebuild := func(v bot.Values) string {
		t.Helper()
		f, err := e.router.BuildForm(e.ctx, e.request(userJane, ""), "new-cron-job", v)
		if err != nil || f == nil {
			t.Fatalf("rebuild with %v: %v", v, err)
		}
		return f.Field("schedule").Help + "\n" + f.Field("timeZone").Help
	}
	v := cronJobValues("orders-export", "0 3 * * 1-5")
	delete(v, "timeZone")
	if help := rebuild(v); !strings.HasPrefix(help, "🕒 Runs at 03:00 on Monday to Friday, Europe/Berlin (the team's time zone). Next: ") || !berlin(help) {
		t.Errorf("the schedule edited:\n%s", help)
	}
	v["timeZone"] = []string{"America/New_York"}
	if help := rebuild(v); !strings.HasPrefix(help, "🕒 Runs at 03:00 on Monday to Friday, America/New_York (chosen in the form). Next: ") ||
		strings.Count(help, " EST (08:00 UTC)")+strings.Count(help, " EDT (07:00 UTC)") != 3 {
		t.Errorf("the time zone edited:\n%s", help)
	}
	v["timeZone"] = []string{"Mars/Olympus"}
	if help := rebuild(v); !strings.Contains(help, `⚠️ "Mars/Olympus" is not a time zone`) {
		t.Errorf("an unknown time zone:\n%s", help)
	}
	v["timeZone"] = nil
	v["schedule"] = []string{"0 25 * * *"}
	if help := rebuild(v); !strings.HasPrefix(help, `⚠️ "0 25 * * *" is not a cron schedule`) {
		t.Errorf("a bad schedule:\n%s", help)
	}
	if len(e.runs()) != 0 {
		t.Fatal("describing the schedule started a run")
	}
}
