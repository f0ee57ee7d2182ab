package shell

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

func TestReadableText(t *testing.T) {
	cases := map[string]string{
		"*Links*": "Links",
		"• <https://runbooks.example/x|Runbook>":   "• Runbook (https://runbooks.example/x)",
		"Manager: Erik (<@U0CHKERIK>)":             "Manager: Erik (@U0CHKERIK)",
		"see <#C123|team-payments> now":            "see #team-payments now",
		"Reports &amp; Data &lt;3":                 "Reports & Data <3",
		":no_entry: You may not":                   "⛔ You may not",
		"results for _pay_":                        "results for pay",
		"keep `snake_case_name` and file_name.go":  "keep `snake_case_name` and file_name.go",
		"*Status:* ⏳ *PENDING* — 0 of 1 approvals": "Status: ⏳ PENDING — 0 of 1 approvals",
		// User text arrives escaped (bot.UserText) and prints as typed, beside live bot markup.
		"<@U0BOT>: &lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil|trusted&gt; &amp;lt; done": "@U0BOT: <!channel> <!here> <@U123> <https://evil|trusted> &lt; done",
	}
	for in, want := range cases {
		if got := readable(in); got != want {
			t.Errorf("readable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextWriter(t *testing.T) {
	var b strings.Builder
	w := &TextWriter{W: &b}
	w.Write([]byte("*Top gaps*\n• <https://x.example|Runbook> for _pay"))
	w.Write([]byte("ments_\nlast *line*"))
	w.Flush()
	want := "Top gaps\n• Runbook (https://x.example) for payments\nlast line"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

// TestShellPrintsTextAsTyped: user text, a header and code print exactly as
// written, while the bot's own mentions and links are made readable.
func TestShellPrintsTextAsTyped(t *testing.T) {
	const hostile = "<!channel> <!here> <@U123> <https://evil|trusted> & done"
	var out bytes.Buffer
	sh := New(Options{In: strings.NewReader(""), Out: &out, FilesDir: t.TempDir()})
	msg := bot.Message{Blocks: []bot.Block{
		bot.Header{Text: "<!here> R&D"},
		bot.Section{Text: "<@U0BOT> " + bot.Link("https://wiki.example.com/a?x=1&y=2", "R&D wiki") + " *Reason:* " + bot.UserText(hostile).Mrkdwn()},
		bot.Code{Text: "a &amp; b < c <@U9>"},
	}}
	if _, err := sh.Post(context.Background(), "#c", msg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"== <!here> R&D ==", "@U0BOT R&D wiki (https://wiki.example.com/a?x=1&y=2) Reason: " + hostile, "a &amp; b < c <@U9>"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("shell output lacks %q:\n%s", want, out.String())
		}
	}
}
