package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/slack/slackfake"
)

// openGoldenModal sends /plat <command> as alice (U0PAYALICE), as Slack
// does, and returns the modal it opens, whose inputs must be inputs
// (block ids, comma-separated, in order).
func (b *jobBot) openGoldenModal(t *testing.T, command, inputs string) slackfake.View {
	t.Helper()
	b.command("U0PAYALICE", command)
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	if got := jobInputIDs(v.View); got != inputs {
		t.Fatalf("inputs = %s, want %s", got, inputs)
	}
	return v
}

// submitRefused submits the modal and wants one error, beside field,
// containing each of wants, with nothing posted and no pull-request branch
// in repo.
func (b *jobBot) submitRefused(t *testing.T, v slackfake.View, state jobState, repo, field string, wants ...string) {
	t.Helper()
	a, raw := b.submit(v, state)
	if a.ResponseAction != "errors" || len(a.Errors) != 1 {
		t.Fatalf("submission answered %s, want one error on %s", raw, field)
	}
	for _, want := range wants {
		if !strings.Contains(a.Errors[field], want) {
			t.Fatalf("submission answered %s, want on %s: %s", raw, field, want)
		}
	}
	if n := len(b.slack.Calls("chat.postMessage")); n != 0 || len(gitLines(t, repo, "branch", "--list", "plat/*")) != 0 {
		t.Fatalf("a refused submission posted %d messages or made a branch", n)
	}
}

// submitRun submits the modal, wants it closed, waits for the run's pull
// request and returns its branch, the one in repo.
func (b *jobBot) submitRun(t *testing.T, v slackfake.View, state jobState, repo string) string {
	t.Helper()
	if _, raw := b.submit(v, state); raw != "" {
		t.Fatalf("submission answered %s, want the modal closed", raw)
	}
	waitReviews(t, b.slack, 1)
	branches := gitLines(t, repo, "branch", "--list", "plat/*")
	if len(branches) != 1 {
		t.Fatalf("branches %q, want one", branches)
	}
	return branches[0]
}

// gitRepo makes repo a git repository whose main branch holds files (path
// → content) in one commit, and returns a runner of git commands in it
// (their trimmed output).
func gitRepo(t *testing.T, repo string, files map[string]string) func(args ...string) string {
	t.Helper()
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for name, content := range files {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "--quiet", "--initial-branch=main")
	git("add", ".")
	git("-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "init")
	return git
}
