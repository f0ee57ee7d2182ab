package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/store"
)

// event sends a signed Events API event_callback, as Slack does.
func (b *servedBot) event(id string, ev map[string]any) {
	b.t.Helper()
	raw, _ := json.Marshal(map[string]any{
		"token": "legacy", "team_id": "T0TEST", "api_app_id": "A0PLATBOT", "type": "event_callback",
		"event_id": id, "event_time": time.Now().Unix(), "event": ev,
	})
	if resp := b.post("/slack/events", raw, true); resp.StatusCode != http.StatusOK {
		b.t.Fatalf("event %s: %d", id, resp.StatusCode)
	}
}

// openHome sends app_home_opened for user's Home tab.
func (b *servedBot) openHome(user string) {
	b.t.Helper()
	b.n++
	b.event(fmt.Sprintf("Ev0HOME%d", b.n), map[string]any{
		"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home", "event_ts": fmt.Sprintf("1700000500.%06d", b.n),
	})
}

// homeClick presses a button on user's Home tab, as Slack sends it: a
// block_actions from the home view, with no channel, message or
// response_url.
func (b *servedBot) homeClick(user, actionID, value string) {
	b.t.Helper()
	b.n++
	raw, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": user},
		"team": map[string]any{"id": "T0TEST"}, "trigger_id": fmt.Sprintf("trigger.home.%d", b.n),
		"container": map[string]any{"type": "view", "view_id": "V0HOME" + user},
		"view":      map[string]any{"id": "V0HOME" + user, "type": "home", "callback_id": "platbot.home", "hash": "1700000000.abc"},
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": "b1", "value": value, "type": "button",
			"action_ts": fmt.Sprintf("1700000600.%06d", b.n),
		}},
	})
	if resp := b.post("/slack/interactions", []byte(url.Values{"payload": {string(raw)}}.Encode()), true); resp.StatusCode != http.StatusOK {
		b.t.Fatalf("home click %s: %d", actionID, resp.StatusCode)
	}
}

// homes waits until user's Home was published at least n times and
// returns the publications' blocks as JSON.
func (b *servedBot) homes(user string, n int) []string {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var out []string
		for _, c := range b.slack.Succeeded("views.publish") {
			if c.HomeUser == user {
				raw, _ := json.Marshal(c.Home.Blocks)
				out = append(out, string(raw))
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) < n {
				jobs, _ := b.app.Store.Jobs(context.Background(), nil, 0)
				for _, j := range jobs {
					if strings.HasPrefix(j.Kind, "home") {
						b.t.Logf("job %s (%s): %s, due %s %s", j.Kind, j.DedupeKey, j.State, j.RunAt, j.LastError)
					}
				}
				b.t.Fatalf("%s's Home published %d time(s), want %d", user, len(out), n)
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// homeUntil waits until the last publication of user's Home satisfies ok
// and returns it; it fails the test with the last one after a while.
func (b *servedBot) homeUntil(user, what string, ok func(home string) bool) string {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		hs := b.homes(user, 1)
		last := hs[len(hs)-1]
		if ok(last) {
			return last
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s's Home never %s; the last publication: %s", user, what, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeAppHome drives the App Home the way Slack does: Alice asks for
// production access; Bob opens his Home (signed app_home_opened) and finds
// his team's services with their grades and her request with its buttons;
// he approves from the Home, and his Home is published again without it;
// Alice's Home shows her grant with the time left, and revoking it from
// the Home ends it. `/plat` alone points to the Home.
func TestServeAppHome(t *testing.T) {
	b := startServeEnv(t, "home:\n  debounce: 1s\n  publishInterval: 0s\n", map[string]string{"PLATBOT_DEMO": "1"})
	b.submitModal("U0PAYALICE", "access payments-service prod", "V0ACCESS", map[string][]string{
		"service": {"payments-service"}, "environment": {"prod"}, "level": {"view"},
		"reason": {"Investigate stuck refunds in INC-4711 (read logs and pods)"}, "duration": {"1h"},
	})
	var id string
	for deadline := time.Now().Add(20 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, c := range b.slack.Calls("chat.postMessage") {
			if c.Channel() == "#prod-approvals" {
				if m := strings.Index(c.Param("blocks"), `"action_id":"access:approve","value":"`); m >= 0 {
					rest := c.Param("blocks")[m+len(`"action_id":"access:approve","value":"`):]
					id = rest[:strings.IndexByte(rest, '"')]
				}
			}
		}
	}
	if id == "" {
		t.Fatal("no access request card in #prod-approvals")
	}

	b.openHome("U0PAYBOB")
	home := b.homes("U0PAYBOB", 1)[0]
	for _, want := range []string{"Services of group:default/payments", "payments-service", "Grade", "Access requests waiting for you", id, `"action_id":"access:approve"`} {
		if !strings.Contains(home, want) {
			t.Errorf("Bob's Home lacks %q: %s", want, home)
		}
	}
	// The requester's own request does not wait for her.
	b.openHome("U0PAYALICE")
	if h := b.homes("U0PAYALICE", 1)[0]; strings.Contains(h, "access:approve") {
		t.Errorf("Alice's Home offers her own request for approval: %s", h)
	}

	// Bob approves from his Home: the request is decided as from its card,
	// and his Home is published again, without it.
	b.homeClick("U0PAYBOB", "access:approve", id)
	b.homeUntil("U0PAYBOB", "dropped the decided request", func(h string) bool { return !strings.Contains(h, `"action_id":"access:approve"`) })
	grant := b.homeUntil("U0PAYALICE", "showed her grant", func(h string) bool { return strings.Contains(h, `"action_id":"access:revoke"`) })
	for _, want := range []string{"Your production access", id, "left, until", `"action_id":"access:extend"`} {
		if !strings.Contains(grant, want) {
			t.Errorf("Alice's Home lacks %q: %s", want, grant)
		}
	}

	// Revoking from the Home ends the grant and tells Alice by DM.
	b.homeClick("U0PAYALICE", "access:revoke", id)
	revoked := false
	for deadline := time.Now().Add(20 * time.Second); !revoked && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, c := range b.slack.Calls("chat.postMessage") {
			if c.Channel() == "DU0PAYALICE" && strings.Contains(c.Text(), "is revoked") {
				revoked = true
			}
		}
	}
	if !revoked {
		t.Fatal("revoking from the Home said nothing to Alice")
	}
	b.homeUntil("U0PAYALICE", "dropped the revoked grant", func(h string) bool { return !strings.Contains(h, `"action_id":"access:revoke"`) })

	// `/plat` alone sums the Home up and points to it.
	if r := b.reply(b.command("U0PAYBOB", "")); !strings.Contains(r, "Your teams own") || !strings.Contains(r, "Home") {
		t.Fatalf("/plat = %s", r)
	}
}

// TestServeUnfurlsServiceLinks: a link to a service's repository shared in
// a channel (signed link_shared) is previewed with chat.unfurl as the
// service's summary; links on other hosts, and links typed in the
// composer, are left alone.
func TestServeUnfurlsServiceLinks(t *testing.T) {
	b := startServeEnv(t, "", map[string]string{"PLATBOT_DEMO": "1"})
	links := []any{
		map[string]any{"domain": "github.com", "url": "https://github.com/acme/payments-service"},
		map[string]any{"domain": "github.com", "url": "https://github.com/acme/unknown-repo"},
		map[string]any{"domain": "example.org", "url": "https://example.org/acme/payments-service"},
	}
	b.event("Ev0COMPOSER", map[string]any{"type": "link_shared", "user": "U0PAYBOB", "channel": "COMPOSER", "message_ts": "U0PAYBOB-1", "source": "composer", "links": links})
	b.event("Ev0LINKS", map[string]any{"type": "link_shared", "user": "U0PAYBOB", "channel": "C0TEST", "message_ts": "1700000700.000100", "source": "conversations_history", "links": links})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	calls, err := b.slack.Wait(ctx, 1, "chat.unfurl")
	if err != nil {
		t.Fatal(err)
	}
	c := calls[0]
	if c.Failed() || c.Channel() != "C0TEST" || c.Param("ts") != "1700000700.000100" || len(c.Unfurls) != 1 {
		t.Fatalf("chat.unfurl = channel %q ts %q unfurls %v", c.Channel(), c.Param("ts"), c.Unfurls)
	}
	u, ok := c.Unfurls["https://github.com/acme/payments-service"]
	if !ok {
		t.Fatalf("unfurls = %v", c.Unfurls)
	}
	raw, _ := json.Marshal(u.Blocks)
	for _, want := range []string{"Owner", "payments", "Grade", "component:default/payments-service", "/plat service payments-service"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("preview lacks %q: %s", want, raw)
		}
	}
	if strings.Contains(string(raw), "Cost") {
		t.Errorf("the preview, seen by the whole channel, shows the cost: %s", raw)
	}
	if n := len(b.slack.Calls("chat.unfurl")); n != 1 {
		t.Fatalf("chat.unfurl calls = %d, want 1", n)
	}
}

// TestServeUnfurlsPullRequestIntoItsRun: the pull request a golden path
// opened on GitHub, shared in a channel (signed link_shared), is previewed
// as the run that produced it — template, requester, state — when the
// sharer may see the run; someone outside the owning team sharing it gets
// no preview.
func TestServeUnfurlsPullRequestIntoItsRun(t *testing.T) {
	gh := githubfake.New(t)
	b := startServeEnv(t, "slack:\n  unfurlDomains: [github.example]\n", map[string]string{
		"PLATBOT_GITOPS_REPO": "acme/gitops", "GITHUB_TOKEN": "ghp_test_token", "GITHUB_API_URL": gh.URL(),
	})
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-db")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.submitModal("U0PAYALICE", "new-db", "V0GH", map[string][]string{
		"name": {"ledger-db"}, "owner": {"group:default/payments"}, "size": {"small"}, "storageGB": {"20"}, "environments": {"dev", "prod"},
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && len(gh.PullRequests()) == 0; {
		time.Sleep(50 * time.Millisecond)
	}
	if len(gh.PullRequests()) != 1 {
		t.Fatalf("pull requests = %d, want 1", len(gh.PullRequests()))
	}
	pr := fmt.Sprintf("https://github.example/acme/gitops/pull/%d", gh.PullRequests()[0].Number)
	share := func(id, user, ts string) {
		b.event(id, map[string]any{"type": "link_shared", "user": user, "channel": "C0TEST", "message_ts": ts, "source": "conversations_history",
			"links": []any{map[string]any{"domain": "github.example", "url": pr}}})
	}
	// Someone of another team first: no preview. Then Bob, of the owning team.
	share("Ev0PROTHER", "U0CHKCARLOS", "1700000800.000100")
	share("Ev0PRBOB", "U0PAYBOB", "1700000800.000200")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	calls, err := b.slack.Wait(ctx, 1, "chat.unfurl")
	if err != nil {
		t.Fatal(err)
	}
	c := calls[0]
	if c.Failed() || c.Param("ts") != "1700000800.000200" || len(c.Unfurls) != 1 {
		t.Fatalf("chat.unfurl = ts %q unfurls %v (failed %v)", c.Param("ts"), c.Unfurls, c.Failed())
	}
	raw, _ := json.Marshal(c.Unfurls[pr].Blocks)
	for _, want := range []string{"Opened by platbot's golden-path run", "new-db", "ledger-db", `\u003c@U0PAYALICE\u003e`, "/plat run "} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("preview lacks %q: %s", want, raw)
		}
	}
	// Both shares were handled; only Bob's was previewed.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		jobs, err := b.app.Store.Jobs(context.Background(), []string{store.JobDone}, 0)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, j := range jobs {
			if j.Kind == bot.JobUnfurl {
				done++
			}
		}
		if done == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unfurl jobs done = %d, want 2", done)
		}
	}
	if n := len(b.slack.Calls("chat.unfurl")); n != 1 {
		t.Fatalf("chat.unfurl calls = %d: the run was previewed for someone who may not see it", n)
	}
}
