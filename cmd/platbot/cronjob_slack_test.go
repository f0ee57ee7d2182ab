package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
)

// startExamplesBot is platbot serve over the shipped templates
// (examples/templates) and the example catalog; extra environment
// variables replace the defaults.
func startExamplesBot(t *testing.T, extra ...map[string]string) *jobBot {
	t.Helper()
	return startTemplatesBot(t, "examples/templates", extra...)
}

// setNumber records a number typed into a number input, as Slack reports it.
func setNumber(t *testing.T, s jobState, v goslack.ModalViewRequest, field, value string) {
	t.Helper()
	in := jobInput(v, field)
	if in == nil {
		t.Fatalf("the modal has no %s field", field)
	}
	el, ok := in.Element.(*goslack.NumberInputBlockElement)
	if !ok {
		t.Fatalf("field %s: element %T", field, in.Element)
	}
	s[field] = map[string]any{el.ActionID: map[string]any{"type": "number_input", "value": value}}
}

// TestServeNewCronJobOverSlack runs /plat new-cron-job through the served
// bot as Slack does: a signed slash command opens the three-page modal,
// each page is a signed view_submission; the schedule is said in words
// under its field, and again through views.update when it is edited (a
// signed block_actions); an invalid schedule on the last
// submission comes back as an error on the schedule field; the corrected
// one starts the run, whose pull request branch holds the CronJob, its
// PrometheusRule and its runbook in the team's folder.
func TestServeNewCronJobOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startExamplesBot(t)
	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-cron-job")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.command("U0PAYALICE", "new-cron-job")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	if got := jobInputIDs(v.View); got != "jobName,owner,service,description" {
		t.Fatalf("first page inputs = %s", got)
	}
	page1 := jobState{}
	page1.set(t, v.View, "jobName", "ledger-reconcile", "")
	page1.set(t, v.View, "owner", "group:default/payments", "payments")
	page1.set(t, v.View, "service", "component:default/payments-ledger", "payments-ledger")
	page1.set(t, v.View, "description", "Reconciles the ledger with the bank's statement.", "")
	a, raw := b.submit(v, page1)
	if a.ResponseAction != "update" {
		t.Fatalf("page 1 answered %s", raw)
	}
	v = b.slack.ReplaceView(v.ID, a.View)
	if got := jobInputIDs(v.View); !strings.HasPrefix(got, "schedule,timeZone,concurrencyPolicy") {
		t.Fatalf("second page inputs = %s", got)
	}
	// The schedule is said in words under its field before any submission:
	// the default one when the page opens; editing the schedule (it
	// dispatches) rebuilds the modal through views.update with the new one
	// in the chosen zone and its next runs.
	sched := jobInput(v.View, "schedule")
	if !sched.DispatchAction || sched.Hint == nil || !strings.HasPrefix(sched.Hint.Text, "🕒 Runs at 03:00") || !strings.Contains(sched.Hint.Text, "Next: ") {
		t.Fatalf("the schedule input on opening: dispatch %v, hint %+v", sched.DispatchAction, sched.Hint)
	}
	hinted := jobState{}
	hinted.set(t, v.View, "schedule", "30 1 * * 1-5", "")
	hinted.set(t, v.View, "timeZone", "Europe/Berlin", "")
	schedAction := sched.Element.(*goslack.PlainTextInputBlockElement).ActionID
	if code, body := b.interact("block_actions", v, hinted, map[string]any{"actions": []any{map[string]any{
		"action_id": schedAction, "block_id": "schedule", "type": "plain_text_input", "value": "30 1 * * 1-5", "action_ts": "1700000100.000100",
	}}}); code != 200 {
		t.Fatalf("block_actions: %d %s", code, body)
	}
	upd := b.waitCall("views.update", 1)[0]
	if upd.Failed() || upd.View == nil {
		t.Fatalf("views.update: %+v", upd)
	}
	if h := jobInput(*upd.View, "schedule").Hint; h == nil || !strings.HasPrefix(h.Text, "🕒 Runs at 01:30 on Monday to Friday, Europe/Berlin (chosen in the form). Next: ") ||
		strings.Count(h.Text, " CET (00:30 UTC)")+strings.Count(h.Text, " CEST (23:30 UTC)") != 3 {
		t.Fatalf("the rebuilt schedule hint: %+v", h)
	}
	v, _ = b.slack.View(v.ID)
	page2 := jobState{}
	page2.set(t, v.View, "schedule", "0 25 * * *", "")
	page2.set(t, v.View, "timeZone", "Europe/Berlin", "")
	page2.set(t, v.View, "concurrencyPolicy", "Forbid", "Skip the new run (Forbid)")
	for f, val := range map[string]string{"startingDeadlineSeconds": "300", "activeDeadlineSeconds": "3600", "backoffLimit": "2"} {
		setNumber(t, page2, v.View, f, val)
	}
	a, raw = b.submit(v, page2)
	if a.ResponseAction != "update" {
		t.Fatalf("page 2 answered %s", raw)
	}
	v = b.slack.ReplaceView(v.ID, a.View)
	page3 := jobState{}
	page3.set(t, v.View, "image", "ghcr.io/acme/ledger-reconcile:3.1.0", "")
	for f, val := range map[string]string{"cpuRequest": "100m", "memoryRequest": "128Mi", "memoryLimit": "256Mi", "metricsPath": "/metrics"} {
		page3.set(t, v.View, f, val, "")
	}
	setNumber(t, page3, v.View, "metricsPort", "0")
	// The schedule is refused on its field: the modal goes back to its
	// page with the reason beside it, and nothing starts.
	a, raw = b.submit(v, page3)
	if sched := jobInput(a.View, "schedule"); a.ResponseAction != "update" || sched == nil || sched.Hint == nil ||
		!strings.Contains(sched.Hint.Text, `"0 25 * * *" is not a cron schedule: end of range (25) above maximum (23)`) {
		t.Fatalf("an hour of 25 answered %s", raw)
	}
	if n := len(b.slack.Calls("chat.postMessage")); n != 0 {
		t.Fatalf("a refused submission posted %d messages", n)
	}
	v = b.slack.ReplaceView(v.ID, a.View)
	page2.set(t, v.View, "schedule", "30 1 * * *", "")
	if a, raw = b.submit(v, page2); a.ResponseAction != "update" {
		t.Fatalf("page 2 again answered %s", raw)
	}
	v = b.slack.ReplaceView(v.ID, a.View)
	if _, raw = b.submit(v, page3); raw != "" {
		t.Fatalf("final submission answered %s, want the modal closed", raw)
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
		t.Fatalf("the run never finished; logs:\n%s", b.logs.String())
	}
	repo := b.env["PLATBOT_GITOPS_REPO"]
	out, err := exec.Command("git", "-C", repo, "branch", "--list", "plat/*").Output()
	if err != nil {
		t.Fatal(err)
	}
	branches := strings.Fields(strings.ReplaceAll(string(out), "*", ""))
	if len(branches) != 1 {
		t.Fatalf("branches %q, want one", out)
	}
	files, err := exec.Command("git", "-C", repo, "ls-tree", "-r", "--name-only", branches[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "teams/payments/cronjobs/ledger-reconcile/cronjob.yaml\nteams/payments/cronjobs/ledger-reconcile/prometheusrule.yaml\nteams/payments/runbooks/ledger-reconcile.md\n"
	if withoutLineageText(string(files)) != want {
		t.Fatalf("branch files:\n%s\nwant:\n%s", files, want)
	}
	cj, err := exec.Command("git", "-C", repo, "show", branches[0]+":teams/payments/cronjobs/ledger-reconcile/cronjob.yaml").Output()
	if err != nil || !strings.Contains(string(cj), "schedule: 30 1 * * *") || !strings.Contains(string(cj), "timeZone: Europe/Berlin") {
		t.Fatalf("cronjob.yaml (%v):\n%s", err, cj)
	}
}
