package bottest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/shell"
	"github.com/platbot/platbot/bot/slack"
)

// Hostile is user input that, posted unescaped, pings the whole channel,
// mentions a user and shows a link to https://evil under the label
// "trusted". Tests type it wherever a feature takes free text.
const Hostile = "<!channel> <!here> <@U123> <https://evil|trusted> & done"

// HostileMrkdwn is Hostile as Slack must receive it: escaped, shown as typed.
const HostileMrkdwn = "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil|trusted&gt; &amp; done"

// hostileMarkup are the pieces of Hostile that act when Slack parses them.
var hostileMarkup = []string{"<!channel>", "<!here>", "<@U123>", "<https://evil"}

// Wire is the message as the Slack transport sends it to the Web API: its
// notification text and the JSON of its Block Kit blocks (HTML characters
// unescaped, as Slack decodes them), one after the other.
func (s Sent) Wire() string {
	var b bytes.Buffer
	b.WriteString(slack.FallbackText(s.Msg))
	b.WriteString("\n")
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(slack.RenderBlocks(s.Msg)); err != nil {
		b.WriteString("unencodable blocks: " + err.Error())
	}
	return b.String()
}

// Shell is the message as the shell prints it.
func (s Sent) Shell() string {
	if s.Form != nil || s.File != nil {
		return shell.Readable(s.Text())
	}
	return shell.Readable(bot.MrkdwnText(s.Msg))
}

// CarryingHostile returns the recorded messages that hold Hostile in any
// form (raw or escaped).
func (m *Messenger) CarryingHostile() []Sent {
	var out []Sent
	for _, s := range m.Sent() {
		if s.Form == nil && strings.Contains(s.Msg.Text+s.Wire(), "https://evil") {
			out = append(out, s)
		}
	}
	return out
}

// CheckHostile fails t unless s shows Hostile as text everywhere: Slack
// receives it escaped (HostileMrkdwn) and none of its markup, and the shell
// prints it as typed.
func CheckHostile(t testing.TB, s Sent) {
	t.Helper()
	wire := s.Wire()
	if !strings.Contains(wire, HostileMrkdwn) {
		t.Errorf("%s to %s: Slack does not get the user text escaped (want %q):\n%s", s.Op, s.Channel, HostileMrkdwn, wire)
	}
	for _, raw := range hostileMarkup {
		if strings.Contains(wire, raw) {
			t.Errorf("%s to %s: Slack gets live markup %q from user text:\n%s", s.Op, s.Channel, raw, wire)
		}
	}
	if sh := s.Shell(); !strings.Contains(sh, Hostile) {
		t.Errorf("%s to %s: the shell does not print the user text as typed (want %q):\n%s", s.Op, s.Channel, Hostile, sh)
	}
}
