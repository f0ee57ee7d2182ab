package hygiene

import (
	"fmt"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

// TestReportMessagesStayWithinSlackLimits: a summary names at most
// maxSkippedShown locations, a message lists perMessage findings (two
// blocks each), and findings past max are counted, not listed.
func TestReportMessagesStayWithinSlackLimits(t *testing.T) {
	res := &Result{Report: Report{Scanned: 500}}
	for i := range maxSkippedShown + 5 {
		res.Skipped = append(res.Skipped, Skipped{Location: fmt.Sprintf("file:loc%d", i), Error: "down", Entities: 1})
	}
	var listed []Listed
	for i := range 70 {
		listed = append(listed, Listed{Finding: Finding{ID: fmt.Sprint(i), Kind: KindConventions, Name: fmt.Sprintf("svc-%d", i), EntityKind: "Component", Why: "missing spec.system"}})
	}
	msgs := reportMessages(res, listed, "", 60)
	for i, m := range msgs {
		if len(m.Blocks) > 50 {
			t.Errorf("message %d has %d blocks", i, len(m.Blocks))
		}
	}
	if last := msgs[0].Blocks[len(msgs[0].Blocks)-1].(bot.Context); !strings.Contains(last.Text, "and 5 more locations skipped") {
		t.Errorf("summary ends with %q", last.Text)
	}
	// 1 summary, 4 messages of up to 15 findings (60 listed), 1 "more".
	if len(msgs) != 6 || !strings.Contains(msgs[5].Text, "and 10 more findings not listed") {
		t.Errorf("%d messages, last %q", len(msgs), msgs[len(msgs)-1].Text)
	}
}

// TestReportTextReadsRight: a team's summary counts the team's entities,
// counts take the singular, the text (what a dry run replies and a
// notification shows) names the skipped locations, a vanished orphan says
// how an admin removes it, and the terminal report says "no owner".
func TestReportTextReadsRight(t *testing.T) {
	res := &Result{Report: Report{Scanned: 500, TeamScanned: map[string]int{"group:default/payments": 48},
		Skipped: []Skipped{{Location: "file:teams/fragile.yaml", Error: "down", Entities: 1}}}}
	gone := Listed{Finding: Finding{ID: "g", Kind: KindOrphan, Entity: "component:default/gone", Name: "gone", EntityKind: "Component",
		Why: "no longer found in file:org (last seen in org/catalog.yaml:3)", Team: "group:default/payments"}}
	msgs := reportMessages(res, []Listed{gone}, "group:default/payments", 60)
	sum := msgs[0].Text
	for _, want := range []string{"1 finding in 48 entities", "Skipped 1 location", "`file:teams/fragile.yaml`"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q: %s", want, sum)
		}
	}
	if strings.Contains(sum, "500") || strings.Contains(sum, "1 findings") {
		t.Errorf("summary counts the whole catalog or says 1 findings: %s", sum)
	}
	if ctx := msgs[0].Blocks[2].(bot.Context).Text; !strings.Contains(ctx, "none of its 1 entity was flagged") {
		t.Errorf("skipped context: %s", ctx)
	}
	if !strings.Contains(msgs[1].Text, "`/plat catalog remove component:default/gone`") {
		t.Errorf("vanished orphan does not say how to remove it: %s", msgs[1].Text)
	}
	// One still in its file gets the Delete button instead.
	marked := gone
	marked.Why = `annotated backstage.io/orphan: "true"`
	if txt := findingText(marked); strings.Contains(txt, "catalog remove") {
		t.Errorf("marked orphan: %s", txt)
	}

	res.Listed = []Listed{gone}
	var b strings.Builder
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"500 entities scanned, 1 finding\n", "(no owner, since", "1 entity was not looked at", "/plat catalog remove component:default/gone"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("terminal report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 findings", 1: "1 finding", 2: "2 findings", 1200: "1,200 findings"} {
		if got := plural(n, "finding", "findings"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
