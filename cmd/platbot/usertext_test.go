package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/bot/slack/slackfake"
)

// TestServeUserTextArrivesEscaped: an access reason typed as Slack markup,
// submitted through the modal as Slack delivers it, reaches the approvals
// channel's chat.postMessage (blocks and notification text) escaped: it
// pings nobody, mentions nobody and links nowhere.
func TestServeUserTextArrivesEscaped(t *testing.T) {
	b := startServeEnv(t, "", map[string]string{"PLATBOT_DEMO": "1"})
	b.submitModal("U0PAYALICE", "access payments-service prod", "V0ACCESS", map[string][]string{
		"service": {"payments-service"}, "environment": {"prod"}, "level": {"view"},
		"reason": {bottest.Hostile}, "duration": {"1h"},
	})
	var card *slackfake.Call
	for deadline := time.Now().Add(20 * time.Second); card == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, c := range b.slack.Calls("chat.postMessage") {
			if c.Channel() == "#prod-approvals" && strings.Contains(c.Param("blocks"), "access:approve") {
				c := c
				card = &c
			}
		}
	}
	if card == nil {
		t.Fatalf("no request card in #prod-approvals; calls: %d", len(b.slack.Calls()))
	}
	// Slack decodes the JSON of the blocks; compare what it reads.
	var blocks any
	if err := json.Unmarshal([]byte(card.Param("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	decoded, _ := json.Marshal(blocks)
	wire := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(decoded)) + "\n" + card.Text()
	if !strings.Contains(wire, "*Reason:* "+bottest.HostileMrkdwn) {
		t.Errorf("the card does not carry the reason escaped:\n%s", wire)
	}
	for _, live := range []string{"<!channel>", "<!here>", "<@U123>", "<https://evil"} {
		if strings.Contains(wire, live) {
			t.Errorf("the card carries %q live:\n%s", live, wire)
		}
	}
}

// TestShellPrintsUserTextAsTyped: the shell shows the same reason exactly
// as it was typed, not as mentions or a link.
func TestShellPrintsUserTextAsTyped(t *testing.T) {
	script := strings.Join([]string{"/plat access payments-service", "", "", "", bottest.Hostile, "", ""}, "\n") + "\n"
	code, out, errOut := runBot(t, testEnv(t, nil), script, "shell", "--as", "alice.moreau")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "Reason: "+bottest.Hostile) || strings.Contains(out, "@channel") || strings.Contains(out, "trusted (https://evil)") {
		t.Fatalf("the shell does not print the reason as typed:\n%s", out)
	}
}
