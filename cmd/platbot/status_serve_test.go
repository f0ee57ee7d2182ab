package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/store"
)

// statusCanary is the GitHub token, which the failing fake echoes in its
// error bodies: it must reach no message, record or reply.
const statusCanary = "ghp_STATUScanary0123456789abcdef"

// TestServeStatusGitHubDown: with GitHub answering 500s (a loopback fake),
// /plat status over signed Slack requests shows it down with its owner,
// the platform team's channel is told once across two checks and a
// restart, a command that needs GitHub says it is down since when and who
// owns it, /metrics reports it down, and once GitHub answers again the
// notice is resolved in its thread.
func TestServeStatusGitHubDown(t *testing.T) {
	gh := githubfake.New(t)
	state := t.TempDir()
	extra := map[string]string{
		"PLATBOT_GITOPS_REPO": "acme/gitops", "GITHUB_TOKEN": statusCanary, "GITHUB_API_URL": gh.URL(),
		"PLATBOT_DEMO": "1", "PLATBOT_DB": filepath.Join(state, "platbot.db"), "PLATBOT_DATA_DIR": filepath.Join(state, "data"),
	}
	// The grace is one nanosecond: the second check after the outage
	// started posts the notice. Checks run when the test says (and once at
	// start).
	const cfg = "status:\n  grace: 1ns\n  checkEvery: 1h\n  owners:\n    github: group:default/platform\n"
	b := startServeEnv(t, cfg, extra)
	ctx := context.Background()
	check := func(b *servedBot) {
		t.Helper()
		if err := b.app.feats.status.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check(b)
	r := b.reply(b.command("U0CHKCARLOS", "status"))
	for _, want := range []string{"🟢 *Slack* — healthy", "🟢 *GitHub* — healthy · owned by #platform-help", "🟢 *Catalog locations* — healthy", "Not configured: Vault, Kubernetes, Argo CD, OpenCost, Prometheus, PagerDuty"} {
		if !strings.Contains(r, want) {
			t.Fatalf("status while GitHub answers lacks %q: %s", want, r)
		}
	}

	// GitHub fails: its probe and every write answer 500, echoing the token.
	gh.SetFail(func(method, path string) (int, string) {
		if path == "/rate_limit" || method == http.MethodPost {
			return 500, `{"message":"upstream failed for token ` + statusCanary + `"}`
		}
		return 0, ""
	})
	check(b)
	check(b)
	r = b.reply(b.command("U0CHKCARLOS", "status"))
	for _, want := range []string{"🔴 *GitHub* — down since ", " · owned by #platform-help", "last error ", "500", "[redacted]", "Template sources"} {
		if !strings.Contains(r, want) {
			t.Errorf("status lacks %q: %s", want, r)
		}
	}
	notices := statusPosts(b.slack, "#platform-help", false)
	if len(notices) != 1 || !strings.Contains(notices[0].Text(), "*GitHub* is down since ") || !strings.Contains(notices[0].Text(), "(owned by #platform-help)") {
		t.Fatalf("notices to #platform-help: %d %v", len(notices), callTexts(notices))
	}

	metrics := statusMetrics(t, b.url)
	if !strings.Contains(metrics, `platbot_integration_up{integration="github"} 0`) || !strings.Contains(metrics, `platbot_integration_up{integration="catalog"} 1`) ||
		strings.Contains(metrics, `integration="vault"`) {
		t.Fatalf("metrics:\n%s", grepLines(metrics, "platbot_integration_up"))
	}
	statusNoCanary(t, b)

	// A restart over the same database: still down, told no one again.
	b.stop()
	sent := b.n
	b = startServeEnv(t, cfg, extra)
	b.n = sent // new trigger ids: the database knows the old ones
	check(b)
	check(b)
	if n := len(statusPosts(b.slack, "#platform-help", false)); n != 0 {
		t.Fatalf("%d notices after the restart", n)
	}

	// A command that opens a pull request on GitHub says GitHub is down,
	// since when and who owns it, instead of the bare error.
	r = b.reply(b.command("U0CHKCARLOS", "move checkout-service staging --to euw1-shared"))
	if !strings.Contains(r, "failed: GitHub is down since ") || !strings.Contains(r, "(owned by #platform-help)") || strings.Contains(r, "upstream failed") {
		t.Fatalf("move while GitHub is down: %s", r)
	}

	// GitHub answers again: the notice is marked resolved and its thread
	// told, once.
	gh.SetFail(nil)
	check(b)
	check(b)
	resolved := statusPosts(b.slack, "#platform-help", true)
	if len(resolved) != 1 || resolved[0].ThreadTS() == "" || !strings.Contains(resolved[0].Text(), "GitHub is back since ") {
		t.Fatalf("resolutions: %v", callTexts(resolved))
	}
	var updates int
	for _, c := range b.slack.Calls() {
		if c.Method == "chat.update" && strings.Contains(c.Text(), "GitHub was down from ") {
			updates++
		}
	}
	if updates != 1 {
		t.Fatalf("%d notice updates, want 1", updates)
	}
	if m := statusMetrics(t, b.url); !strings.Contains(m, `platbot_integration_up{integration="github"} 1`) {
		t.Fatalf("metrics after recovery:\n%s", grepLines(m, "platbot_integration_up"))
	}
	statusNoCanary(t, b)
}

// statusPosts are the chat.postMessage calls to channel: thread replies or
// root messages.
func statusPosts(f *slackfake.Server, channel string, replies bool) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range f.Calls() {
		if c.Method == "chat.postMessage" && c.Channel() == channel && (c.ThreadTS() != "") == replies {
			out = append(out, c)
		}
	}
	return out
}

func callTexts(cs []slackfake.Call) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Text()
	}
	return out
}

func statusMetrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// statusNoCanary: the token is in no Slack call and no integration record.
func statusNoCanary(t *testing.T, b *servedBot) {
	t.Helper()
	for _, c := range b.slack.Calls() {
		if strings.Contains(string(c.Raw), statusCanary) || strings.Contains(c.Text(), statusCanary) {
			t.Fatalf("the token is in a %s call: %s", c.Method, c.Raw)
		}
	}
	recs, err := b.app.Store.ListRecords(context.Background(), store.Query{Kind: status.KindIntegration})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no integration records")
	}
	for _, r := range recs {
		if strings.Contains(string(r.Data), statusCanary) {
			t.Fatalf("the token is in record %s: %s", r.ID, r.Data)
		}
	}
}
