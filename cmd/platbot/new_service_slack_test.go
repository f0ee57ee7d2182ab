package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
)

// TestServeNewServiceOverSlack runs /plat new-service through the served
// bot (serve --demo: the example catalog, templates and placement) as
// Slack does: a signed slash command opens the two-page modal; a
// name the catalog has comes back as an error on the name field with
// nothing posted; the corrected submission starts the run, which creates
// the repository and the GitOps pull request with the placed Applications.
func TestServeNewServiceOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := &jobBot{servedBot: startServeEnv(t, "", map[string]string{"PLATBOT_DEMO": "1"})}
	b.command("U0PAYALICE", "new-service")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	if got := jobInputIDs(v.View); got != "name,description,owner,system,language,repoUrl.owner,repoUrl.repo,environments" {
		t.Fatalf("modal inputs = %s", got)
	}
	st := jobState{}
	st.set(t, v.View, "name", "payments-ledger", "")
	st.set(t, v.View, "description", "Keeps the ledger.", "")
	st.set(t, v.View, "owner", "group:default/payments", "payments")
	st.set(t, v.View, "language", "go", "Go")
	st.set(t, v.View, "repoUrl.owner", "acme", "acme")
	st.set(t, v.View, "repoUrl.repo", "ledger-api", "")
	envs := jobInput(v.View, "environments")
	ms, ok := envs.Element.(*goslack.MultiSelectBlockElement)
	if !ok {
		t.Fatalf("environments: element %T", envs.Element)
	}
	var selected []any
	for _, o := range ms.Options {
		selected = append(selected, jobOption(o.Value, o.Text.Text))
	}
	if len(selected) != 4 {
		t.Fatalf("environment options %d, want the seed's four", len(selected))
	}
	st["environments"] = map[string]any{ms.ActionID: map[string]any{"type": ms.Type, "selected_options": selected}}

	// A name the catalog has is refused beside the field, nothing posted.
	if _, raw := b.submit(v, st); !strings.Contains(raw, `"response_action":"errors"`) || !strings.Contains(raw, "payments-ledger already exists in the catalog") {
		t.Fatalf("a name the catalog has answered %s", raw)
	}
	if n := len(b.slack.Calls("chat.postMessage")); n != 0 {
		t.Fatalf("a refused submission posted %d messages", n)
	}
	st.set(t, v.View, "name", "ledger-api", "")
	if _, raw := b.submit(v, st); raw != "" {
		t.Fatalf("submission answered %s, want the modal closed", raw)
	}

	deadline := time.Now().Add(30 * time.Second)
	done := false
	for time.Now().Before(deadline) && !done {
		for _, c := range b.slack.Calls("chat.update", "chat.postMessage") {
			done = done || strings.Contains(c.Param("blocks")+c.Text(), "ready for review")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !done {
		var calls []string
		for _, c := range b.slack.Calls() {
			calls = append(calls, c.Method+": "+c.Text()+c.Param("blocks"))
		}
		t.Fatalf("the run never finished; calls:\n%s", strings.Join(calls, "\n"))
	}
	repo := b.env["PLATBOT_GITOPS_REPO"]
	out, err := exec.Command("git", "-C", repo, "branch", "--list", "plat/*").Output()
	if err != nil {
		t.Fatal(err)
	}
	branch := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "*"))
	files, err := exec.Command("git", "-C", repo, "diff", "--name-only", "main", branch).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"apps/payments/ledger-api/prod-eu.yaml", "teams/payments/ledger-api/prod-eu/servicemonitor.yaml", "teams/payments/ledger-api/dev/deployment.yaml"} {
		if !strings.Contains(string(files), want+"\n") {
			t.Errorf("pull request %s lacks %s:\n%s", branch, want, files)
		}
	}
	if n := len(withoutLineage(strings.Fields(string(files)))); n != 28 {
		t.Errorf("pull request has %d files, want 28", n)
	}
	dataDir := b.env["PLATBOT_DATA_DIR"]
	if readme, err := exec.Command("git", "-C", filepath.Join(dataDir, "repos", "acme", "ledger-api"), "show", "main:README.md").Output(); err != nil ||
		!strings.Contains(string(readme), "## Runbook") {
		t.Errorf("repository README: %v\n%s", err, readme)
	}
}
