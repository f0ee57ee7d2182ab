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
