package paths

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/integrations/gitlocal"
)

func cronJobValues(name, schedule string) bot.Values {
	return bot.Values{
		"jobName": {name}, "owner": {"group:default/payments"}, "service": {"orders-service"},
		"description": {"Exports yesterday's orders to the warehouse."},
		"schedule":    {schedule}, "timeZone": {"America/New_York"},
		"image": {"ghcr.io/acme/orders-export:2.0.1"}, "command": {"bin/export\n--since=yesterday"},
	}
}

// /plat new-cron-job, from the form to the pull request in local git: the
// CronJob, its PrometheusRule and its runbook land in the team's folder,
// the dry run and the pull request say the schedule in words with the next
// runs in the team's time zone; an invalid schedule, a name the team's
// folder already has and another team's service get field errors and
// create nothing.
func TestNewCronJobPath(t *testing.T) {
	cat := newCatalog(t, catalogtest.Component("cart-service", "group:default/checkout"))
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat})
	repo := filepath.Join(e.dir, "gitops")
	e.approve(t, "new-cron-job")

	// The dry run says when it runs, in words and in the team's zone.
	f := e.form(userJane, "new-cron-job --dry-run")
	if errs := e.submit(userJane, f, cronJobValues("orders-export", "0 3 * * 1-5")); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	preview := e.msgr.Last().Text()
	for _, want := range []string{"at 03:00 on Monday to Friday, America/New_York", "next runs: ", " EST (08:00 UTC)", "teams/payments/cronjobs/orders-export/cronjob.yaml"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q:\n%s", want, preview)
		}
	}
	if len(e.runs()) != 0 {
		t.Fatal("a dry run started a run")
	}

	f = e.form(userJane, "new-cron-job")
	if errs := e.submit(userJane, f, cronJobValues("orders-export", "0 3 * * 1-5")); errs != nil {
		t.Fatalf("valid job refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-cron-job"
	files := strings.Split(withoutLineage(git(t, repo, "ls-tree", "-r", "--name-only", branch)), "\n")
	want := []string{"teams/payments/cronjobs/orders-export/cronjob.yaml", "teams/payments/cronjobs/orders-export/prometheusrule.yaml", "teams/payments/runbooks/orders-export.md"}
	if !slices.Equal(files, want) {
		t.Fatalf("branch files %v, want %v", files, want)
	}
	var cj batchv1.CronJob
	if err := sigsyaml.UnmarshalStrict([]byte(git(t, repo, "show", branch+":"+want[0])), &cj); err != nil {
		t.Fatalf("CronJob: %v", err)
	}
	if cj.Name != "orders-export" || cj.Namespace != "payments" || cj.Spec.Schedule != "0 3 * * 1-5" || *cj.Spec.TimeZone != "America/New_York" ||
		strings.Join(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Command, " ") != "bin/export --since=yesterday" {
		t.Fatalf("CronJob %+v", cj)
	}
	var rule golden.PrometheusRule
	if err := sigsyaml.UnmarshalStrict([]byte(git(t, repo, "show", branch+":"+want[1])), &rule); err != nil {
		t.Fatalf("PrometheusRule: %v", err)
	}
	// The runbook's address is in the GitOps repository the platform uses
	// (here the local one).
	dir, err := filepath.EvalSymlinks(repo)
	if err != nil {
		t.Fatal(err)
	}
	runbook := "file://" + filepath.ToSlash(dir) + "/teams/payments/runbooks/orders-export.md"
	if len(rule.Spec.Groups) != 1 || len(rule.Spec.Groups[0].Rules) != 2 || rule.Spec.Groups[0].Rules[0].Annotations["runbook_url"] != runbook+"#a-run-failed" {
		t.Fatalf("PrometheusRule %+v", rule)
	}
	if book := git(t, repo, "show", branch+":"+want[2]); !strings.Contains(book, "Exports yesterday's orders to the warehouse.") || !strings.Contains(book, "## A run was missed") {
		t.Fatalf("runbook:\n%s", book)
	}
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := lr.FindPullRequest(context.Background(), branch)
	if err != nil || pr == nil {
		t.Fatalf("pull request record: %v", err)
	}
	if pr.Title != "new-cron-job: orders-export for orders-service" || !slices.Contains(pr.Labels, "new-cron-job") ||
		!strings.Contains(pr.Body, "It runs at 03:00 on Monday to Friday (`0 3 * * 1-5`, America/New_York). The next three runs: ") ||
		strings.Count(pr.Body, " EST (08:00 UTC)")+strings.Count(pr.Body, " EDT (07:00 UTC)") != 3 || !strings.Contains(pr.Body, runbook) {
		t.Fatalf("pull request %q:\n%s", pr.Title, pr.Body)
	}

	// Merged, the name is taken in the team's folder; bad values are refused
	// on their field, and nothing is created.
	git(t, repo, "update-ref", "refs/heads/main", branch)
	branches := git(t, repo, "branch", "--list", "plat/*")
	for _, c := range []struct {
		v            bot.Values
		field, wantE string
	}{
		{cronJobValues("orders-export", "0 4 * * *"), "jobName", "a job called orders-export already exists in the GitOps repository (teams/payments/cronjobs/orders-export/cronjob.yaml); pick another name"},
		{cronJobValues("orders-export-2", "0 25 * * *"), "schedule", `"0 25 * * *" is not a cron schedule`},
		{cronJobValues("orders-export-2", "0 3 * *"), "schedule", "five fields"},
		{func() bot.Values {
			v := cronJobValues("orders-export-2", "@daily")
			v["timeZone"] = []string{"New York"}
			return v
		}(), "timeZone", "not a time zone"},
		{func() bot.Values {
			v := cronJobValues("cart-export", "@daily")
			v["service"] = []string{"cart-service"}
			return v
		}(), "service", `"cart-service" is not one of the choices`},
	} {
		f := e.form(userJane, "new-cron-job")
		errs := e.submit(userJane, f, c.v)
		if len(errs) != 1 || !strings.Contains(errs[c.field], c.wantE) {
			t.Errorf("%v: field errors %v, want %s: %q", c.v, errs, c.field, c.wantE)
		}
	}
	if n := len(e.runs()); n != 1 {
		t.Fatalf("refused submissions left %d runs", n)
	}
	if after := git(t, repo, "branch", "--list", "plat/*"); after != branches {
		t.Fatalf("refused submissions created branches:\n%s\nwas:\n%s", after, branches)
	}
}
