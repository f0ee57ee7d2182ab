package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServeNewEnvironmentOverSlack drives /plat new-environment through the
// served bot (serve --demo: the example catalog, templates and placement)
// the way Slack does: a signed slash command opens the modal; another
// team's service and an environment the service already has come back as
// field errors; the corrected submission starts the run, whose pull
// request branch holds the values overlay and the Application placed by
// the rules.
func TestServeNewEnvironmentOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := &jobBot{servedBot: startServeEnv(t, "", map[string]string{"PLATBOT_DEMO": "1"})}
	b.command("U0PAYALICE", "new-environment")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, ok := b.slack.View(open.ViewID)
	if !ok {
		t.Fatalf("the fake holds no view %s", open.ViewID)
	}
	if got := jobInputIDs(v.View); got != "service,environment,tier,region,replicas,imageTag" {
		t.Fatalf("inputs = %s", got)
	}

	state := jobState{}
	state.set(t, v.View, "service", "component:default/checkout-service", "checkout-service")
	state.set(t, v.View, "environment", "perf", "")
	state.set(t, v.View, "tier", "standard", "Standard")
	state.set(t, v.View, "region", "eu-west-1", "EU West (eu-west-1)")
	a, raw := b.submit(v, state)
	// The picker offers only the user's teams' services: another team's
	// is not one of its choices.
	if want := `"component:default/checkout-service" is not one of the choices`; a.ResponseAction != "errors" || !strings.Contains(a.Errors["service"], want) {
		t.Fatalf("another team's service answered %s, want a service error %q", raw, want)
	}
	state.set(t, v.View, "service", "component:default/payments-service", "payments-service")
	state.set(t, v.View, "environment", "staging", "")
	a, raw = b.submit(v, state)
	if want := "payments-service already has an environment staging (standard, in annotation platbot.dev/environments)"; a.ResponseAction != "errors" || !strings.Contains(a.Errors["environment"], want) {
		t.Fatalf("an existing environment answered %s, want an environment error %q", raw, want)
	}
	state.set(t, v.View, "environment", "perf", "")
	if _, raw = b.submit(v, state); raw != "" {
		t.Fatalf("the valid submission answered %s, want the modal closed", raw)
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
		t.Fatalf("the run never finished; calls: %+v", b.slack.Calls("chat.postMessage", "chat.update"))
	}
	repo := b.env["PLATBOT_GITOPS_REPO"]
	branches := gitLines(t, repo, "branch", "--list", "plat/*")
	if len(branches) != 1 {
		t.Fatalf("branches %q, want the run's only", branches)
	}
	if files := withoutLineage(gitLines(t, repo, "diff", "--name-only", "main", branches[0])); strings.Join(files, ",") !=
		"apps/payments/payments-service/perf.yaml,services/payments-service/chart/values-perf.yaml" {
		t.Fatalf("pull request files %q", files)
	}
	app := string(gitShow(t, repo, branches[0]+":apps/payments/payments-service/perf.yaml"))
	for _, want := range []string{"name: euw1-shared", "platbot.dev/placement: rule `standard-eu` matched tier=standard, region=eu-west-1", "- values-perf.yaml"} {
		if !strings.Contains(app, want) {
			t.Errorf("the Application lacks %q:\n%s", want, app)
		}
	}
}
