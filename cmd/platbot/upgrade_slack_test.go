package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/integrations/github/githubfake"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// The upgrade tests drive /plat upgrade through the served bot the way
// Slack does (signed slash commands and view submissions), over the three
// versions of svc-config in testdata/upgrade: payments-service is
// generated from v1 and its pull request merged; its team then edits
// config.yaml and notes.md, changes kept.txt and deletes extra.yaml; v2 and
// v3 are approved. The upgrade to v3 merges config.yaml cleanly, marks the
// conflict in notes.md, adds new.txt, removes old.txt (unchanged), keeps
// kept.txt (changed) and leaves extra.yaml deleted, in one pull request
// with the template's changelog; a retry finds the same pull request, and
// bad input opens nothing.

const upgradeDir = "teams/payments/payments-service/"

// upgradeBackend is the GitOps repository the bot writes to, seen by the
// test.
type upgradeBackend struct {
	env   map[string]string
	merge func(t *testing.T, branch string)
	// edit commits changes on main (nil content: delete).
	edit  func(t *testing.T, changes map[string]*string)
	read  func(t *testing.T, branch, path string) (string, bool)
	pulls func(t *testing.T) []string // the pull requests' branches
	body  func(t *testing.T, branch string) string
}

// useVersion puts version v of svc-config in the templates folder dir.
func useVersion(t *testing.T, dir string, v int) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, "svc-config")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot(t), "cmd/platbot/testdata/upgrade", "v"+string(rune('0'+v))))); err != nil {
		t.Fatal(err)
	}
}

// repoRoot is the repository's root folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func runUpgradeOverSlack(t *testing.T, be upgradeBackend) {
	dir := t.TempDir()
	useVersion(t, dir, 1)
	b := startTemplatesBot(t, dir, be.env)
	approve := func() string {
		t.Helper()
		r := b.reply(b.command("U0PLATPRIYA", "template approve svc-config"))
		if !strings.Contains(r, "Approved template") {
			t.Fatalf("approve: %s", r)
		}
		return r
	}
	approve()
	v := b.openGoldenModal(t, "svc-config", "service,replicas")
	state := jobState{}
	state.set(t, v.View, "service", "component:default/payments-service", "payments-service")
	if _, raw := b.submit(v, state); raw != "" {
		t.Fatalf("submission answered %s, want the modal closed", raw)
	}
	waitReviews(t, b.slack, 1)
	prs := be.pulls(t)
	if len(prs) != 1 {
		t.Fatalf("pull requests %q, want the run's", prs)
	}
	be.merge(t, prs[0])
	text := func(s string) *string { return &s }
	be.edit(t, map[string]*string{
		upgradeDir + "config.yaml": text("service: payments-service\nreplicas: 2\nport: 8080\nlogLevel: debug\ntimeout: 30s\nimage: app:1\n"),
		upgradeDir + "notes.md":    text("# payments-service\n\nOwner: payments\nTier: gold\n"),
		upgradeDir + "kept.txt":    text("generated, then ours\n"),
		upgradeDir + "extra.yaml":  nil,
	})
	useVersion(t, dir, 2)
	approve()
	useVersion(t, dir, 3)
	// v3 is pending: its real id is not an approved version yet.
	pending, err := template.Load(os.DirFS(dir), "svc-config/template.yaml", "svc-config")
	if err != nil {
		t.Fatal(err)
	}
	want := "Version `" + pending.Hash + "` of `svc-config` is not approved"
	if got := b.reply(b.command("U0PAYALICE", "upgrade payments-service --version "+pending.Hash)); !strings.Contains(got, want) {
		t.Errorf("upgrade to the pending version answered:\n%s\nwant %q", got, want)
	}
	if n := len(be.pulls(t)); n != 1 {
		t.Fatalf("the upgrade to the pending version opened a pull request (%d)", n)
	}
	if r := approve(); !strings.Contains(r, "version `"+template.ShortHash(pending.Hash)+"`") {
		t.Fatalf("approving v3 approved another version than the pending one (%s):\n%s", template.ShortHash(pending.Hash), r)
	}
	drift := b.reply(b.command("U0PAYALICE", "template drift"))
	if !strings.Contains(drift, "`payments-service` — `svc-config`: 2 approved version(s) behind, never upgraded") {
		t.Fatalf("drift:\n%s", drift)
	}

	// Bad input: a clear answer, nothing opened.
	for _, c := range []struct{ user, cmd, want string }{
		{"U0PAYALICE", "upgrade retired-service", "`retired-service` has no golden-path lineage"},
		// Another team's service: refused before its lineage is looked at.
		{"U0PAYALICE", "upgrade checkout-service", "You may not scaffold group:default/checkout"},
		{"U0PAYALICE", "upgrade payments-service --template new-db", "`payments-service` did not come from `new-db`; it came from `svc-config`"},
		{"U0CHKERIK", "upgrade payments-service", "You may not scaffold group:default/payments"},
	} {
		if got := b.reply(b.command(c.user, c.cmd)); !strings.Contains(got, c.want) {
			t.Errorf("/plat %s answered:\n%s\nwant %q", c.cmd, got, c.want)
		}
		if n := len(be.pulls(t)); n != 1 {
			t.Fatalf("/plat %s opened a pull request (%d)", c.cmd, n)
		}
	}

	if dry := b.reply(b.command("U0PAYALICE", "upgrade payments-service --dry-run")); !strings.Contains(dry, "Dry run: nothing was opened") ||
		!strings.Contains(dry, "notes.md (1)") || len(be.pulls(t)) != 1 {
		t.Fatalf("dry run answered:\n%s", dry)
	}
	out := b.reply(b.command("U0PAYALICE", "upgrade payments-service"))
	if !strings.Contains(out, "Upgrade pull request opened") {
		t.Fatalf("upgrade answered:\n%s", out)
	}
	prs = be.pulls(t)
	if len(prs) != 2 || !strings.HasPrefix(prs[1], "plat/upgrade-payments-service-svc-config-") {
		t.Fatalf("pull requests %q, want the run's and the upgrade's", prs)
	}
	branch := prs[1]
	read := func(p string) string {
		t.Helper()
		s, ok := be.read(t, branch, p)
		if !ok {
			t.Fatalf("%s is not on %s", p, branch)
		}
		return s
	}
	for p, want := range map[string]string{
		"config.yaml": "service: payments-service\nreplicas: 2\nport: 8080\nlogLevel: debug\ntimeout: 30s\nimage: app:2\nhealthPath: /healthz\n",
		"notes.md":    "# payments-service\n\nOwner: payments\n<<<<<<< ours\nTier: gold\n||||||| base\nTier: standard\n=======\nTier: premium\n>>>>>>> new\n",
		"new.txt":     "hello\n",
		"kept.txt":    "generated, then ours\n",
	} {
		if got := read(upgradeDir + p); got != want {
			t.Errorf("%s on the upgrade branch:\n%s\nwant\n%s", p, got, want)
		}
	}
	for _, gone := range []string{"old.txt", "extra.yaml"} {
		if _, ok := be.read(t, branch, upgradeDir+gone); ok {
			t.Errorf("%s is on the upgrade branch", gone)
		}
	}
	if !strings.Contains(read(paths.LineageDir+"/payments-service/svc-config.yaml"), "tier: standard") {
		t.Error("the upgraded lineage file lacks the new parameter's default")
	}
	body := be.body(t, branch)
	for _, want := range []string{"## Conflicts to resolve before merging", upgradeDir + "notes.md (1)", "## Removed (dropped by the new version, unchanged since generated)",
		"## Kept deleted (you deleted them)", "## What changed in the template", "## v2", "## v3"} {
		if !strings.Contains(body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, body)
		}
	}
	// A retry finds the same pull request.
	if again := b.reply(b.command("U0PAYALICE", "upgrade payments-service")); !strings.Contains(again, "The upgrade pull request is already open.") || len(be.pulls(t)) != 2 {
		t.Fatalf("retry answered (%d pull requests):\n%s", len(be.pulls(t)), again)
	}
	drift = b.reply(b.command("U0PAYALICE", "template drift svc-config"))
	if !strings.Contains(drift, "|upgrade pull request>") {
		t.Fatalf("drift after the upgrade:\n%s", drift)
	}
}

func TestServeUpgradeOverSlackOnLocalGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := filepath.Join(t.TempDir(), "gitops")
	git := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	runUpgradeOverSlack(t, upgradeBackend{
		env:   map[string]string{"PLATBOT_GITOPS_REPO": repo},
		merge: func(t *testing.T, branch string) { git(t, repo, "update-ref", "refs/heads/main", branch) },
		edit: func(t *testing.T, changes map[string]*string) {
			wt := filepath.Join(t.TempDir(), "wt")
			git(t, repo, "worktree", "add", "--quiet", "--detach", wt, "main")
			for p, c := range changes {
				if c == nil {
					git(t, wt, "rm", "--quiet", p)
					continue
				}
				if err := os.WriteFile(filepath.Join(wt, filepath.FromSlash(p)), []byte(*c), 0o644); err != nil {
					t.Fatal(err)
				}
				git(t, wt, "add", p)
			}
			git(t, wt, "-c", "user.name=team", "-c", "user.email=team@example.com", "commit", "--quiet", "-m", "the team's edits")
			git(t, repo, "update-ref", "refs/heads/main", strings.TrimSpace(git(t, wt, "rev-parse", "HEAD")))
		},
		read: func(t *testing.T, branch, p string) (string, bool) {
			out, err := exec.Command("git", "-C", repo, "show", branch+":"+p).Output()
			return string(out), err == nil
		},
		pulls: func(t *testing.T) []string {
			var out []string
			for _, pr := range localPulls(t, repo) {
				out = append(out, pr.Branch)
			}
			return out
		},
		body: func(t *testing.T, branch string) string {
			for _, pr := range localPulls(t, repo) {
				if pr.Branch == branch {
					return pr.Body
				}
			}
			t.Fatalf("no pull request of %s", branch)
			return ""
		},
	})
}

// localPulls are the pull requests of the local GitOps repository, oldest
// first.
func localPulls(t *testing.T, repo string) []gitlocal.PullRequest {
	t.Helper()
	r, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	prs, err := r.PullRequests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(prs)
	return prs
}

func TestServeUpgradeOverSlackOnGitHub(t *testing.T) {
	gh := githubfake.New(t)
	runUpgradeOverSlack(t, upgradeBackend{
		env: map[string]string{"PLATBOT_GITOPS_REPO": "acme/gitops", "GITHUB_TOKEN": "ghp_test_token", "GITHUB_API_URL": gh.URL()},
		merge: func(t *testing.T, branch string) {
			if err := gh.Merge("acme/gitops", branch); err != nil {
				t.Fatal(err)
			}
		},
		edit: func(t *testing.T, changes map[string]*string) {
			if err := gh.Commit("acme/gitops", "the team's edits", changes); err != nil {
				t.Fatal(err)
			}
		},
		read: func(t *testing.T, branch, p string) (string, bool) {
			s, ok := gh.BranchFiles(branch)[p]
			return s, ok
		},
		pulls: func(t *testing.T) []string {
			// Wait for an opened pull request's labels and assignees to settle.
			time.Sleep(10 * time.Millisecond)
			var out []string
			for _, pr := range gh.PullRequests() {
				out = append(out, pr.Head)
			}
			return out
		},
		body: func(t *testing.T, branch string) string {
			for _, pr := range gh.PullRequests() {
				if pr.Head == branch {
					return pr.Body
				}
			}
			t.Fatalf("no pull request of %s", branch)
			return ""
		},
	})
}
