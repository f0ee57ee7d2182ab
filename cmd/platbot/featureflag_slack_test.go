package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/slack/slackfake"
)

// flagModal opens /plat new-feature-flag as alice (one modal: the
// template's pages fit in one), fills it (a boolean flag rolled out to 5%)
// and returns the submission's answer.
func flagModal(t *testing.T, b *jobBot, n int, key string) (jobAnswer, string) {
	t.Helper()
	b.command("U0PAYALICE", "new-feature-flag")
	open := b.waitCall("views.open", n)[n-1]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	st := jobState{}
	st.set(t, v.View, "key", key, "")
	st.set(t, v.View, "owner", "group:default/payments", "payments")
	st.set(t, v.View, "service", "component:default/payments-service", "payments-service")
	st.set(t, v.View, "description", "Instant payouts", "")
	st.set(t, v.View, "type", "boolean", "On or off (boolean; variants on and off)")
	st.set(t, v.View, "defaultVariant", "off", "")
	st.set(t, v.View, "state", "ENABLED", "Enabled")
	st.set(t, v.View, "rule", "percentage", "A percentage of users")
	st.set(t, v.View, "rolloutVariant", "on", "")
	setNumber(t, st, v.View, "rolloutPercent", "5")
	return b.submit(v, st)
}

// waitReviews waits for the n-th "ready for review" progress message.
func waitReviews(t *testing.T, s *slackfake.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got := 0
		for _, c := range s.Calls("chat.update", "chat.postMessage") {
			if strings.Contains(c.Param("blocks")+c.Text(), "ready for review") {
				got++
			}
		}
		if got >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run %d never finished", n)
}

// TestServeNewFeatureFlagOverSlack runs /plat new-feature-flag through the
// served bot as Slack does: the modal's submission opens the pull request
// with the service's flagd file; once it is merged, the same key is sent
// back with the reason beside the key field, and
// nothing starts.
func TestServeNewFeatureFlagOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startExamplesBot(t)
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-feature-flag")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	if _, raw := flagModal(t, b, 1, "instant-payouts"); raw != "" {
		t.Fatalf("final submission answered %s, want the modal closed", raw)
	}
	waitReviews(t, b.slack, 1)
	repo := b.env["PLATBOT_GITOPS_REPO"]
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	branches := strings.Fields(strings.ReplaceAll(git("branch", "--list", "plat/*"), "*", ""))
	if len(branches) != 1 {
		t.Fatalf("branches %q, want one", branches)
	}
	file := git("show", branches[0]+":teams/payments/flags/payments-service.flagd.json")
	if !strings.Contains(file, `"instant-payouts"`) || !strings.Contains(file, `"fractional"`) || !strings.Contains(file, `"$schema": "https://flagd.dev/schema/v0/flags.json"`) {
		t.Fatalf("flag file:\n%s", file)
	}

	git("update-ref", "refs/heads/main", branches[0])
	a, raw := flagModal(t, b, 2, "instant-payouts")
	if a.ResponseAction != "errors" || len(a.Errors) != 1 ||
		a.Errors["key"] != "payments-service already has a flag instant-payouts (teams/payments/flags/payments-service.flagd.json); pick another key" {
		t.Fatalf("a key the file has answered %s", raw)
	}
	if got := strings.Fields(strings.ReplaceAll(git("branch", "--list", "plat/*"), "*", "")); len(got) != 1 {
		t.Fatalf("the refused submission made branches %q", got)
	}
}
