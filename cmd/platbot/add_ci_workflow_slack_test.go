package main

import (
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
	git := gitRepo(t, repo, map[string]string{"go.mod": "module example.com/ledger\n"})

	if r := b.reply(b.command("U0PLATPRIYA", "template approve add-ci-workflow")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	v := b.openGoldenModal(t, "add-ci-workflow", "component,language,branches")
	state := jobState{}
	state.set(t, v.View, "component", "component:default/payments-ledger", "payments-ledger")
	state.set(t, v.View, "language", "go", "Go (go vet, go test -race, go build)")
	state.set(t, v.View, "branches", "release/[", "")
	b.submitRefused(t, v, state, repo, "branches", "actionlint rejects the workflow", "invalid glob pattern")

	state.set(t, v.View, "branches", "release/*", "")
	branch := b.submitRun(t, v, state, repo)
	if files := withoutLineageText(git("diff", "--name-only", "main", branch)); files != ".github/workflows/ci.yml" {
		t.Fatalf("files changed:\n%s", files)
	}
	wf := git("show", branch+":.github/workflows/ci.yml")
	if !strings.Contains(wf, "branches: [main, release/*]") || !strings.Contains(wf, "uses: actions/setup-go@v5") {
		t.Fatalf("workflow:\n%s", wf)
	}
}
