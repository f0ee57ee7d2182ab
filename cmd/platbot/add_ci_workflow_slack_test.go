package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeAddCIWorkflowOverSlack runs /plat add-ci-workflow through the
// served bot as Slack does: a branch pattern actionlint rejects comes back
// beside the branches field and nothing starts; the corrected submission
// opens the pull request in the component's own repository (a local git
// repository in the data folder, as without a GitHub token) with the
// workflow.
func TestServeAddCIWorkflowOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startExamplesBot(t)
	// payments-ledger's repository (github.com/project-slug acme/payments-ledger).
	repo := filepath.Join(b.env["PLATBOT_DATA_DIR"], "repos", "acme", "payments-ledger")
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "--quiet", "--initial-branch=main")
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module example.com/ledger\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "init")

	if r := b.reply(b.command("U0PLATPRIYA", "template approve add-ci-workflow")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.command("U0PAYALICE", "add-ci-workflow")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	if got := jobInputIDs(v.View); got != "component,language,branches" {
		t.Fatalf("inputs = %s", got)
	}
	state := jobState{}
	state.set(t, v.View, "component", "component:default/payments-ledger", "payments-ledger")
	state.set(t, v.View, "language", "go", "Go (go vet, go test -race, go build)")
	state.set(t, v.View, "branches", "release/[", "")
	a, raw := b.submit(v, state)
	if a.ResponseAction != "errors" || !strings.Contains(a.Errors["branches"], "actionlint rejects the workflow") ||
		!strings.Contains(a.Errors["branches"], "invalid glob pattern") {
		t.Fatalf("a pattern actionlint rejects answered %s", raw)
	}
	if n := len(b.slack.Calls("chat.postMessage")); n != 0 || git("branch", "--list", "plat/*") != "" {
		t.Fatalf("a refused submission posted %d messages or made a branch", n)
	}

	state.set(t, v.View, "branches", "release/*", "")
	if _, raw = b.submit(v, state); raw != "" {
		t.Fatalf("final submission answered %s, want the modal closed", raw)
	}
	waitReviews(t, b.slack, 1)
	branches := strings.Fields(strings.ReplaceAll(git("branch", "--list", "plat/*"), "*", ""))
	if len(branches) != 1 {
		t.Fatalf("branches %q, want one", branches)
	}
	if files := git("diff", "--name-only", "main", branches[0]); files != ".github/workflows/ci.yml" {
		t.Fatalf("files changed:\n%s", files)
	}
	wf := git("show", branches[0]+":.github/workflows/ci.yml")
	if !strings.Contains(wf, "branches: [main, release/*]") || !strings.Contains(wf, "uses: actions/setup-go@v5") {
		t.Fatalf("workflow:\n%s", wf)
	}
}
