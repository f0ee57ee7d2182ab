package main

import (
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/store"
)

// vaultCanary is the Vault token: it must reach no message or record.
const vaultCanary = "hvs.VAULTcanary0123456789abcdef"

// TestServeVaultDownIsExplained: with Vault refusing connections, a
// secrets command over signed Slack requests says Vault is down since
// when and who owns it, not the connection error.
func TestServeVaultDownIsExplained(t *testing.T) {
	state := t.TempDir()
	b := startServeEnv(t, "status:\n  checkEvery: 1h\n", map[string]string{
		"VAULT_ADDR": "http://" + refusingAddr(t), "VAULT_TOKEN": vaultCanary,
		"PLATBOT_DEMO": "1", "PLATBOT_DB": filepath.Join(state, "platbot.db"), "PLATBOT_DATA_DIR": filepath.Join(state, "data"),
	})
	if err := b.app.feats.status.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := b.reply(b.command("U0CHKCARLOS", "secret list checkout-service"))
	if !strings.Contains(r, "failed: Vault is down since ") || !strings.Contains(r, "(owned by #platform-help)") ||
		strings.Contains(r, "cannot reach") || strings.Contains(r, "connection refused") {
		t.Fatalf("secret list while Vault is down: %s", r)
	}
	noCanary(t, b, vaultCanary)
}

// TestServeGoldenPathOnDownGitHubIsExplained: a golden-path run whose pull
// request GitHub answers with 500s, while GitHub is down, posts "GitHub is
// down since … (owned by …)" in its progress message; retried while GitHub
// answers the pull request with a 404 (still down by its probe), the
// failure keeps GitHub's own answer: a 404 is not an outage.
func TestServeGoldenPathOnDownGitHubIsExplained(t *testing.T) {
	gh := githubfake.New(t)
	state := t.TempDir()
	b := startServeEnv(t, "status:\n  checkEvery: 1h\n", map[string]string{
		"PLATBOT_GITOPS_REPO": "acme/gitops", "GITHUB_TOKEN": statusCanary, "GITHUB_API_URL": gh.URL(),
		"PLATBOT_DEMO": "1", "PLATBOT_DB": filepath.Join(state, "platbot.db"), "PLATBOT_DATA_DIR": filepath.Join(state, "data"),
	})
	gh.SetFail(func(method, path string) (int, string) {
		if path == "/rate_limit" || method == http.MethodPost {
			return 500, `{"message":"upstream failed for token ` + statusCanary + `"}`
		}
		return 0, ""
	})
	if err := b.app.feats.status.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.reply(b.command("U0PLATPRIYA", "template approve new-db"))
	b.submitModal("U0PAYALICE", "new-db", "V0GHDOWN", map[string][]string{
		"name": {"ledger-db"}, "owner": {"group:default/payments"}, "size": {"small"}, "storageGB": {"20"}, "environments": {"dev"},
	})
	stopped := waitStopped(t, b.slack, 1)
	for _, want := range []string{"GitHub is down since ", "(owned by #platform-help)", "Press Retry once it is back (reference: run "} {
		if !strings.Contains(stopped, want) {
			t.Fatalf("the failed run's message lacks %q:\n%s", want, stopped)
		}
	}
	if strings.Contains(stopped, "answered 500") || strings.Contains(stopped, "upstream failed") {
		t.Fatalf("the failed run's message shows the bare error:\n%s", stopped)
	}

	// GitHub's probe still fails, but the pull request is answered 404: an
	// answer, shown as it is.
	gh.SetFail(func(method, path string) (int, string) {
		if path == "/rate_limit" || (method == http.MethodPost && path == "/repos/acme/gitops/pulls") {
			code := 500
			if path != "/rate_limit" {
				code = 404
			}
			return code, `{"message":"Not Found"}`
		}
		return 0, ""
	})
	if err := b.app.feats.status.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("Run `([a-z0-9]+)`").FindStringSubmatch(stopped)
	if m == nil {
		t.Fatalf("no run id in:\n%s", stopped)
	}
	b.command("U0PAYALICE", "run retry "+m[1])
	again := waitStopped(t, b.slack, 2)
	if !strings.Contains(again, "404") || strings.Contains(again, "is down since") {
		t.Fatalf("a 404 on the pull request while GitHub is down:\n%s", again)
	}
	noCanary(t, b, statusCanary)
}

// waitStopped waits for the n-th progress message (post or update) of a
// stopped run and returns it.
func waitStopped(t *testing.T, f *slackfake.Server, n int) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var seen []string
		for _, c := range f.Calls() {
			if (c.Method == "chat.postMessage" || c.Method == "chat.update") && strings.Contains(c.Text(), " stopped") {
				seen = append(seen, c.Text())
			}
		}
		if len(seen) >= n {
			return seen[n-1]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %d stopped run messages; calls: %d", n, len(f.Calls()))
	return ""
}

// noCanary: the secret is in no Slack call and no integration record.
func noCanary(t *testing.T, b *servedBot, canary string) {
	t.Helper()
	for _, c := range b.slack.Calls() {
		if strings.Contains(string(c.Raw), canary) || strings.Contains(c.Text(), canary) {
			t.Fatalf("the secret is in a %s call: %s", c.Method, c.Raw)
		}
	}
	recs, err := b.app.Store.ListRecords(context.Background(), store.Query{Kind: status.KindIntegration})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(string(r.Data), canary) {
			t.Fatalf("the secret is in record %s: %s", r.ID, r.Data)
		}
	}
}
