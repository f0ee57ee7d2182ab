package shell

import (
	"strings"
	"testing"
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
