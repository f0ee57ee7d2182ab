package paths

import (
	"strings"
	"testing"
)

// A diff too long for a message is attached where there is a channel; from
// the Home tab (no channel) the answer says where to get it instead of
// claiming an attachment.
func TestLongDiffAttachedOnlyWhereThereIsAChannel(t *testing.T) {
	e := newEnv(t, envOptions{})
	diff := strings.Repeat("+ a line of a long template diff\n", 200)
	for _, channel := range []string{"C-platform", ""} {
		req := e.request(userAdmin, "template diff new-db")
		req.Channel = channel
		n := len(e.msgr.Sent())
		if err := e.paths.replyDiff(e.ctx, req, "Changes", "new-db", diff, "run `/plat template diff new-db` in a channel, where it is attached."); err != nil {
			t.Fatal(err)
		}
		var text string
		files := 0
		for _, s := range e.msgr.Sent()[n:] {
			text += s.Text() + "\n"
			if s.File != nil {
				files++
			}
		}
		attached := strings.Contains(text, "The whole diff is attached.")
		hint := strings.Contains(text, "run `/plat template diff new-db` in a channel")
		if channel != "" && (files != 1 || !attached || hint) || channel == "" && (files != 0 || attached || !hint) {
			t.Errorf("channel %q: %d file(s), answered:\n%s", channel, files, text)
		}
	}
}
