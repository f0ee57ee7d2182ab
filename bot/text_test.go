package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

const hostile = "<!channel> <!here> <@U123> <https://evil|trusted> & done"

func TestUserTextEscapesOnceWhereverFormatted(t *testing.T) {
	const want = "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil|trusted&gt; &amp; done"
	u := bot.UserText(hostile)
	if got := u.Mrkdwn(); got != want {
		t.Fatalf("Mrkdwn = %q, want %q", got, want)
	}
	for _, format := range []string{"%s", "%v", "%+v", "%10s"} {
		if got := fmt.Sprintf(format, u); strings.TrimSpace(got) != want {
			t.Errorf("Sprintf(%q) = %q, want %q", format, got, want)
		}
	}
	if got := fmt.Sprintf("%q", u); got != fmt.Sprintf("%q", want) {
		t.Errorf("%%q = %s", got)
	}
	// Bot markup around it stays markup; already escaped text typed by a
	// user is escaped again, so it too shows as typed.
	got := fmt.Sprintf("<@U0BOT> *Reason:* %s", bot.UserText("a &lt; b"))
	if got != "<@U0BOT> *Reason:* a &amp;lt; b" {
		t.Fatalf("mixed = %q", got)
	}
}

func TestUserTextMarkdownForPullRequests(t *testing.T) {
	const wj = "\u2060"
	in := "@platform-team see [docs](https://evil) ![x](https://evil/p.png) <a href=\"https://evil\">trusted</a> &#64;ceo `orders-db`\n# Approved\n  > quoted\n[t]: https://evil\n- item"
	want := "@" + wj + "platform-team see [docs]" + wj + "(https://evil) ![x]" + wj + "(https://evil/p.png) <" + wj + "a href=\"https://evil\">trusted<" + wj +
		"/a> &" + wj + "#64;ceo `orders-db`\n" + wj + "# Approved\n  " + wj + "> quoted\n[t]" + wj + ": https://evil\n" + wj + "- item"
	if got := bot.UserText(in).Markdown(); got != want {
		t.Fatalf("Markdown =\n%q\nwant\n%q", got, want)
	}
	// Plain words, inside a template's code span or not, are unchanged.
	if got := bot.UserText("orders-db, 20 GB (small)").Markdown(); got != "orders-db, 20 GB (small)" {
		t.Fatalf("plain text changed: %q", got)
	}
	if got := bot.UserText(hostile).Markdown(); strings.Contains(got, "<!") || strings.Contains(got, "<@") || strings.Contains(got, "<https") {
		t.Fatalf("hostile text keeps markup: %q", got)
	}
}

func TestLinkOnlyFromValidatedURLs(t *testing.T) {
	cases := []struct{ url, label, want string }{
		{"https://wiki.example.com/a?b=1&c=2", "Runbook", "<https://wiki.example.com/a?b=1&amp;c=2|Runbook>"},
		{"http://x.example", "", "<http://x.example|http://x.example>"},
		{" https://x.example/p ", "a <b> & c|d", "<https://x.example/p|a &lt;b&gt; &amp; c|d>"},
		{"https://evil|trusted", "https://evil|trusted", "https://evil|trusted"},
		{"https://x.example/><!channel>", "t", "t"},
		{"javascript:alert(1)", "click", "click"},
		{"file:///srv/gitops?branch=plat/r1-x", "pull request", "<file:///srv/gitops?branch=plat/r1-x|pull request>"},
		{"file://", "no path", "no path"},
		{"https://", "no host", "no host"},
		{"/relative/path", "rel", "rel"},
		{"https://x.example/a b", "<!here>", "&lt;!here&gt;"},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := bot.Link(c.url, c.label); got != c.want {
			t.Errorf("Link(%q, %q) = %q, want %q", c.url, c.label, got, c.want)
		}
	}
}

func TestMrkdwnTextEscapesPlainParts(t *testing.T) {
	msg := bot.Message{Blocks: []bot.Block{
		bot.Header{Text: "<!channel> R&D"},
		bot.Section{Text: "<@U0BOT> asks", Accessory: &bot.Button{Text: "<!here>"}},
		bot.Fields{Pairs: []bot.Pair{{Label: "A<B", Value: "<@U1>"}}},
		bot.Code{Text: "if a < b && c > d"},
	}}
	want := "== &lt;!channel&gt; R&amp;D ==\n<@U0BOT> asks\n  [&lt;!here&gt;]\n  A&lt;B: <@U1>\nif a &lt; b &amp;&amp; c &gt; d"
	if got := bot.MrkdwnText(msg); got != want {
		t.Fatalf("MrkdwnText =\n%q\nwant\n%q", got, want)
	}
	if got := bot.PlainText(msg); !strings.Contains(got, "== <!channel> R&D ==") || !strings.Contains(got, "if a < b && c > d") {
		t.Fatalf("PlainText changed plain parts: %q", got)
	}
	if got := bot.MrkdwnText(bot.Message{Text: "<@U1> hi"}); got != "<@U1> hi" {
		t.Fatalf("text-only message = %q", got)
	}
}

func TestMoney(t *testing.T) {
	for v, want := range map[float64]string{
		0: "$0.00", 9.87: "$9.87", 9.996: "$10", 10: "$10", 5325.4: "$5,325", 1234567.5: "$1,234,568", -35.1: "-$35", -3.5: "-$3.50",
	} {
		if got := bot.Money("$", v); got != want {
			t.Errorf("Money(%v) = %q, want %q", v, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := bot.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
