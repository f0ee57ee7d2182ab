package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/commands/hygiene"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/integrations/gitops"
)

// TestHygieneSlackAccounts: users.info through the recording fake: a
// deactivated account is "deleted": true, an active one is not, and an
// account Slack does not know is an error (unknown), not a departure.
func TestHygieneSlackAccounts(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	fake.AddUser(slackfake.User{ID: "U0GONE", Name: "gone", Deleted: true})
	fake.AddUser(slackfake.User{ID: "U0HERE", Name: "here"})
	acc := newSlackAccounts("xoxb-test-token", fake.APIURL())
	ctx := context.Background()
	if gone, err := acc.Deactivated(ctx, "U0GONE"); err != nil || !gone {
		t.Errorf("deactivated account: %v, %v", gone, err)
	}
	if gone, err := acc.Deactivated(ctx, "U0HERE"); err != nil || gone {
		t.Errorf("active account: %v, %v", gone, err)
	}
	if _, err := acc.Deactivated(ctx, "U0NOBODY"); err == nil || !strings.Contains(err.Error(), "user_not_found") {
		t.Errorf("unknown account: %v", err)
	}
	calls := fake.Calls("users.info")
	if len(calls) != 3 || calls[0].Param("user") != "U0GONE" || calls[0].Token != "xoxb-test-token" {
		t.Errorf("users.info calls: %+v", calls)
	}
}

// TestHygieneLocalFiles: a local catalog file is read from its git
// repository's branch, and a proposal is a branch of that repository
// changing only the file, or deleting it (the checkout left alone).
func TestHygieneLocalFiles(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "--quiet", "--initial-branch=trunk")
	if err := os.MkdirAll(filepath.Join(dir, "teams"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "teams", "catalog-info.yaml")
	orig := "# the team's services\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: legacy\nspec:\n  type: service\n  lifecycle: production # since 2019\n  owner: payments\n"
	if err := os.WriteFile(file, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "--quiet", "-m", "catalog")
	files := hygieneFiles{host: "github.com"}
	ctx := context.Background()
	got, err := files.Read(ctx, file)
	if err != nil || string(got) != orig {
		t.Fatalf("read: %v\n%s", err, got)
	}
	out, _, err := hygiene.SetLifecycle(got, hygiene.EntityName{Kind: "Component", Name: "legacy"}, "deprecated")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := files.Propose(ctx, file, hygiene.Change{Branch: "platbot/hygiene/hd-dep-1", Title: "Deprecate legacy", Content: string(out)})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Branch != "platbot/hygiene/hd-dep-1" {
		t.Errorf("branch %q", pr.Branch)
	}
	if again, err := files.Propose(ctx, file, hygiene.Change{Branch: "platbot/hygiene/hd-dep-1", Title: "Deprecate legacy", Content: string(out)}); err != nil || again.Branch != pr.Branch {
		t.Errorf("a retry: %+v, %v", again, err)
	}
	if show := git("show", pr.Branch+":teams/catalog-info.yaml"); show != strings.Replace(orig, "lifecycle: production # since 2019", "lifecycle: deprecated # since 2019", 1) {
		t.Errorf("the branch's file:\n%s", show)
	}
	if stat := git("diff", "--name-only", "trunk", pr.Branch); stat != "teams/catalog-info.yaml\n" {
		t.Errorf("changed files: %q", stat)
	}
	del := hygiene.Change{Branch: "platbot/hygiene/hd-del-1", Title: "Remove legacy", Delete: true}
	gone, err := files.Propose(ctx, file, del)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := files.Propose(ctx, file, del); err != nil || again.Number != gone.Number {
		t.Errorf("a retry of the deletion: %+v, %v", again, err)
	}
	if stat := git("diff", "--name-status", "trunk", gone.Branch); stat != "D\tteams/catalog-info.yaml\n" {
		t.Errorf("the deletion's change: %q", stat)
	}
	if st := git("status", "--porcelain"); st != "" {
		t.Errorf("the checkout changed: %q", st)
	}
	// A file outside any repository says so.
	outside := filepath.Join(t.TempDir(), "catalog-info.yaml")
	if err := os.WriteFile(outside, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := files.Read(ctx, outside); err == nil || !strings.Contains(err.Error(), "is not in a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
}

// TestServeCatalogHygiene: `/plat catalog hygiene` signed as Slack sends
// it: a non-admin is refused by the policy; an admin's report reaches the
// platform channel with its buttons, and the Keep button opens the modal.
func TestServeCatalogHygiene(t *testing.T) {
	b := startServe(t)
	if r := b.reply(b.command("U0PAYALICE", "catalog hygiene")); strings.Contains(r, "Posted the hygiene report") || !strings.Contains(strings.ToLower(r), "admin") {
		t.Fatalf("a non-admin's scan: %s", r)
	}
	if r := b.reply(b.command("U0PLATPRIYA", "catalog hygiene")); !strings.Contains(r, "Posted the hygiene report") {
		t.Fatalf("an admin's scan: %s", r)
	}
	var keep *goslack.ButtonBlockElement
	var channel string
	deadline := time.Now().Add(10 * time.Second)
	for keep == nil && time.Now().Before(deadline) {
		for _, c := range b.slack.Calls("chat.postMessage") {
			for _, bl := range c.Blocks {
				a, ok := bl.(*goslack.ActionBlock)
				if !ok || a.Elements == nil {
					continue
				}
				for _, el := range a.Elements.ElementSet {
					if btn, ok := el.(*goslack.ButtonBlockElement); ok && btn.ActionID == "hygiene:keep" && keep == nil {
						keep, channel = btn, c.Channel()
					}
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if keep == nil {
		t.Fatalf("no Keep button was posted; calls: %+v", b.slack.Calls("chat.postMessage"))
	}
	if channel != "#platform-help" {
		t.Errorf("report posted to %s, want the platform team's channel", channel)
	}
	b.click("U0PLATPRIYA", keep.ActionID, keep.Value, channel)
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil || !strings.HasPrefix(open.View.Title.Text, "Keep ") {
		t.Fatalf("views.open: %+v", open)
	}
}

// TestHygieneSubcommand: `platbot hygiene --now --dry-run` prints the
// report of the example catalog and records nothing; without --now it
// says how it runs; a bad hygiene section is refused naming its key.
func TestHygieneSubcommand(t *testing.T) {
	e := testEnv(t, nil)
	code, out, errOut := runBot(t, e, "", "hygiene", "--now", "--dry-run")
	if code != 0 || !strings.Contains(out, "Catalog hygiene (dry run: nothing recorded or posted)") || !strings.Contains(out, "entities scanned") {
		t.Fatalf("hygiene --now --dry-run: exit %d\n%s\n%s", code, out, errOut)
	}
	// The cost feature's example data: the deprecated batch job still costs.
	if !strings.Contains(out, "deprecated-in-use    component:default/legacy-reports-batch: deprecated, but $347 of cost in the last 30 days") {
		t.Errorf("the deprecated, still costly example service is not reported:\n%s", out)
	}
	// On-call set on the owning group counts (payments has it, reports not).
	if strings.Contains(out, "component:default/payments-service: missing") || !strings.Contains(out, "component:default/reports-service: missing an on-call annotation") {
		t.Errorf("on-call conventions:\n%s", out)
	}
	code, out, _ = runBot(t, e, "", "hygiene", "--now", "--dry-run", "--team", "payments")
	if code != 0 || !strings.Contains(out, "Catalog hygiene for group:default/payments") {
		t.Errorf("--team payments: exit %d\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n")[1:] {
		if line != "" && !strings.HasPrefix(line, "SKIPPED") && !strings.Contains(line, "group:default/payments") && !strings.Contains(line, "user:") {
			t.Errorf("--team payments lists another team's finding: %s", line)
		}
	}
	if code, _, errOut := runBot(t, e, "", "hygiene"); code != 2 || !strings.Contains(errOut, "pass --now") {
		t.Errorf("without --now: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runBot(t, e, "", "hygiene", "--help"); code != 0 || !strings.Contains(errOut, "Usage: platbot hygiene --now [--dry-run] [--team <team>]") {
		t.Errorf("--help: exit %d, %q", code, errOut)
	}
	if code, out, _ := runBot(t, e, "", "--help"); code != 0 || !strings.Contains(out, "hygiene        scan the catalog") {
		t.Errorf("platbot --help does not list hygiene:\n%s", out)
	}
	p := filepath.Join(t.TempDir(), "platbot.yaml")
	if err := os.WriteFile(p, []byte("hygiene:\n  noDeployAfter: -1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e["PLATBOT_CONFIG"] = p
	if code, _, errOut := runBot(t, e, "", "hygiene", "--now", "--dry-run"); code == 0 || !strings.Contains(errOut, "hygiene") || !strings.Contains(errOut, "noDeployAfter must be a positive duration") {
		t.Errorf("bad section: exit %d, %q", code, errOut)
	}
}

// TestHygieneGitHubFiles: an entity read from a GitHub location is changed
// (or its file deleted) by a pull request in its own repository, against
// the branch its URL names; a retry finds the same pull request; a URL on
// another host is refused.
func TestHygieneGitHubFiles(t *testing.T) {
	fake := githubfake.New(t)
	orig := "# payments' services\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: old\nspec:\n  type: service\n  lifecycle: deprecated\n  owner: payments\n"
	fake.AddRepo("acme/payments", map[string]string{"catalog-info.yaml": orig, "README.md": "payments\n"})
	gh, err := github.New(fake.URL(), "test-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	files := hygieneFiles{gh: gh, repos: gitops.GitHubRepositories(gh), host: "github.com"}
	out, last, err := hygiene.RemoveEntity([]byte(orig), hygiene.EntityName{Kind: "Component", Name: "old"})
	if err != nil || last {
		t.Fatal(last, err)
	}
	file := "https://github.com/acme/payments/blob/main/catalog-info.yaml"
	ch := hygiene.Change{Branch: "platbot/hygiene/hd-del-1", Title: "Remove old", Body: "why", CommitMessage: "Remove old", Content: string(out)}
	pr, err := files.Propose(context.Background(), file, ch)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := files.Propose(context.Background(), file, ch); err != nil || again.Number != pr.Number {
		t.Errorf("a retry opened another pull request: %+v, %v", again, err)
	}
	pulls := fake.PullRequestsIn("acme/payments")
	if len(pulls) != 1 || pulls[0].Base != "main" || pulls[0].Head != "platbot/hygiene/hd-del-1" {
		t.Fatalf("pull requests: %+v", pulls)
	}
	got, _ := fake.RepoFiles("acme/payments", "platbot/hygiene/hd-del-1")
	if got["catalog-info.yaml"] != string(out) || got["README.md"] != "payments\n" || strings.Contains(got["catalog-info.yaml"], "name: old") {
		t.Errorf("branch files: %q", got)
	}
	del := hygiene.Change{Branch: "platbot/hygiene/hd-del-2", Title: "Remove ledger and old", Delete: true}
	gone, err := files.Propose(context.Background(), file, del)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := files.Propose(context.Background(), file, del); err != nil || again.Number != gone.Number {
		t.Errorf("a retry of the deletion: %+v, %v", again, err)
	}
	if got, _ := fake.RepoFiles("acme/payments", del.Branch); len(got) != 1 || got["README.md"] != "payments\n" {
		t.Errorf("the deletion's branch files: %q", got)
	}
	if _, err := files.Propose(context.Background(), "https://git.example/acme/payments/blob/main/catalog-info.yaml", ch); err == nil || !strings.Contains(err.Error(), "not a file URL on github.com") {
		t.Errorf("another host: %v", err)
	}
}
