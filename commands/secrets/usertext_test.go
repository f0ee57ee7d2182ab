package secrets

import (
	"net/http"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/bottest"
)

// TestDescriptionNeverPings: a secret description typed as Slack and
// GitHub markup shows as text in `/plat secret list` (Slack and shell) and
// in the pull request body, where it mentions nobody and links nothing.
func TestDescriptionNeverPings(t *testing.T) {
	e := newEnv(t, envOptions{})
	desc := bottest.Hostile + " @platform-team [trusted](https://evil)"
	link, said := e.add(userJane, "component:default/orders-service", "dev", "STRIPE_API_KEY", desc)
	if link == "" {
		t.Fatalf("no link sent: %s", said)
	}
	token := tokenOf(link)
	if code, out := e.post(token, e.encrypt(mustID(t, token), canary(t))); code != http.StatusOK {
		t.Fatalf("seal: %d %v", code, out)
	}
	e.drain()

	prs, err := e.repo.PullRequests(e.ctx)
	if err != nil || len(prs) != 1 {
		t.Fatalf("pull requests: %v %+v", err, prs)
	}
	body := prs[0].Body
	const wj = "\u2060"
	want := "> <" + wj + "!channel> <" + wj + "!here> <" + wj + "@" + wj + "U123> <" + wj + "https://evil|trusted> &" + wj + " done @" + wj + "platform-team [trusted]" + wj + "(https://evil)"
	if !strings.Contains(body, want) {
		t.Errorf("PR body does not quote the description escaped; want %q in:\n%s", want, body)
	}
	for _, live := range []string{"<!channel>", "<!here>", "<@", "<https://evil", "@platform-team", "[trusted](https://evil)"} {
		if strings.Contains(body, live) {
			t.Errorf("PR body carries %q from the description:\n%s", live, body)
		}
	}

	e.reply(userBob, "secret list orders-service")
	bottest.CheckHostile(t, e.msgr.Last())

	// A secret name or environment typed as markup is named as text.
	for line, want := range map[string]string{
		"secret rotate orders-service dev <!channel>":  "`&lt;!channel&gt;` is not a secret name.",
		"secret rotate orders-service <!here> API_KEY": "`&lt;!here&gt;` is not an environment here",
		"secret history orders-service <!channel> dev": "`&lt;!channel&gt;` is not a secret name.",
	} {
		e.reply(userJane, line)
		if wire := e.msgr.Last().Wire(); !strings.Contains(wire, want) || strings.Contains(wire, "<!channel>") || strings.Contains(wire, "<!here>") {
			t.Errorf("/plat %s answered:\n%s", line, wire)
		}
	}
}
