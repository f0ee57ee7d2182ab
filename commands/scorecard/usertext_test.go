package scorecard

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/bottest"
)

// TestWaiverReasonNeverPings: a waiver reason typed as Slack markup reaches
// the admin channel (request and decided update) as text, and the shell
// prints it as typed.
func TestWaiverReasonNeverPings(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.run(t, "U-DEV", `scorecard waive payments-service has-readme-runbook --days 10 --reason "`+bottest.Hostile+`"`)
	approve, _, ref := lastButtons(t, f.m)
	f.click(t, "U-ADMIN", approve, ref)
	var post, update int
	for _, s := range f.m.CarryingHostile() {
		bottest.CheckHostile(t, s)
		switch s.Op {
		case "post":
			post++
		case "update":
			update++
		}
	}
	if post != 1 || update != 1 {
		t.Fatalf("the reason is on %d request posts and %d updates, want 1 and 1", post, update)
	}
}

// TestTypedNamesEchoedAsText: a service or check name typed as Slack
// markup is named in the answer as text.
func TestTypedNamesEchoedAsText(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for line, want := range map[string]string{
		"scorecard <!channel>": "`&lt;!channel&gt;`",
		`scorecard waive payments-service <!here> --days 3 --reason "because"`: "There is no check `&lt;!here&gt;`",
	} {
		f.run(t, "U-DEV", line)
		if wire := f.m.Last().Wire(); !strings.Contains(wire, want) || strings.Contains(wire, "<!channel>") || strings.Contains(wire, "<!here>") {
			t.Errorf("/plat %s answered:\n%s", line, wire)
		}
	}
}
