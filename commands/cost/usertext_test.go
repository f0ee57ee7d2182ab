package cost

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/bottest"
)

// TestTypedNamesNeverPing: a service, team or count typed as Slack markup
// is named in the answer as text.
func TestTypedNamesNeverPing(t *testing.T) {
	w := newWorld(t, Config{})
	for _, line := range []string{"cost " + bottest.Hostile, "cost team " + bottest.Hostile} {
		w.run(line)
		bottest.CheckHostile(t, w.msgr.Last())
	}
	// A count is one word: the first.
	w.run("cost top " + bottest.Hostile)
	if wire := w.msgr.Last().Wire(); !strings.Contains(wire, "`&lt;!channel&gt;` is not a count") || strings.Contains(wire, "<!channel>") {
		t.Errorf("/plat cost top: %s", wire)
	}
}
