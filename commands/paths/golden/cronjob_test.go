package golden

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
	"github.com/platbot/platbot/commands/paths/template"
)

const promRuleCRD = "testdata/crds/prometheus-operator/monitoring.coreos.com_prometheusrules.yaml"

// cronFiles is a GitOps repository's base branch held in memory.
type cronFiles map[string]string

func (f cronFiles) ReadFile(_ context.Context, p string) ([]byte, error) {
	if c, ok := f[p]; ok {
		return []byte(c), nil
	}
	return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
}

func (f cronFiles) ListDir(context.Context, string) ([]string, error) {
	return nil, errors.New("not used")
}

func cronAction(t *testing.T, files cronFiles) cronJobAction {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("reports"), catalogtest.Group("payments"),
		catalogtest.Component("reports-etl", "reports", "backstage.io/kubernetes-namespace=reports-ns"),
		catalogtest.Component("orders-service", "payments"),
	)
	d := actions.Deps{Catalog: cat}
	if files != nil {
		d.GitOpsFiles = files
	}
	return cronJobAction{d: d}
}

// cronStep is the step as the template fills it: each input from the
// parameter of the same name (jobName for name).
func cronStep(over map[string]any) *actions.StepContext {
	in := map[string]any{
		"name": "nightly-export", "owner": "group:default/reports", "service": "component:default/reports-etl",
		"schedule": "30 2 * * 1-5", "timeZone": "Europe/Berlin", "image": "ghcr.io/acme/reports-etl:1.4.2",
		"command": "python\n-m\netl.export\n", "metricsPort": 9102,
		"runbookBaseUrl": "https://github.com/acme/gitops/blob/main",
	}
	for k, v := range over {
		if v == nil {
			delete(in, k)
			continue
		}
		in[k] = v
	}
	raw := map[string]any{}
	for _, k := range []string{"name", "owner", "service", "description", "schedule", "timeZone", "concurrencyPolicy",
		"startingDeadlineSeconds", "activeDeadlineSeconds", "backoffLimit", "image", "command", "cpuRequest",
		"memoryRequest", "cpuLimit", "memoryLimit", "metricsPort", "metricsPath"} {
		p := k
		if k == "name" {
			p = "jobName"
		}
		raw[k] = "${{ parameters." + p + " }}"
	}
	return &actions.StepContext{Run: actions.Run{ID: "r1", Owner: "group:default/reports"}, StepKey: "cronjob",
		Input: in, RawInput: raw, Files: map[string]string{}, Executable: map[string]bool{}}
}

func fixClock(t *testing.T, at time.Time) {
	old := cronNow
	cronNow = func() time.Time { return at }
	t.Cleanup(func() { cronNow = old })
}

// The step writes a CronJob, a PrometheusRule and a runbook under the
// team's folder; each manifest decodes strictly into its type and passes
// a server-side dry run with prometheus-operator's CRD installed.
func TestCronJobWritesValidManifests(t *testing.T) {
	fixClock(t, time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC)) // a Friday; Berlin moves to summer time on Sunday
	a := cronAction(t, cronFiles{"teams/reports/cronjobs/other/cronjob.yaml": "x"})
	sc := cronStep(nil)
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"teams/reports/cronjobs/nightly-export/cronjob.yaml", "teams/reports/cronjobs/nightly-export/prometheusrule.yaml", "teams/reports/runbooks/nightly-export.md"}
	if fmt.Sprint(out["files"]) != fmt.Sprint([]any{want[0], want[1], want[2]}) || len(sc.Files) != 3 {
		t.Fatalf("files %v, run files %d", out["files"], len(sc.Files))
	}

	var cj batchv1.CronJob
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[want[0]]), &cj); err != nil {
		t.Fatalf("CronJob does not decode strictly: %v", err)
	}
	if strings.Contains(sc.Files[want[0]], "status:") {
		t.Errorf("the CronJob carries a status:\n%s", sc.Files[want[0]])
	}
	spec := cj.Spec
	pod := spec.JobTemplate.Spec.Template
	c := pod.Spec.Containers[0]
	if cj.Namespace != "reports-ns" || spec.Schedule != "30 2 * * 1-5" || *spec.TimeZone != "Europe/Berlin" ||
		spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || *spec.StartingDeadlineSeconds != 300 ||
		*spec.JobTemplate.Spec.ActiveDeadlineSeconds != 3600 || *spec.JobTemplate.Spec.BackoffLimit != 2 ||
		c.Image != "ghcr.io/acme/reports-etl:1.4.2" || strings.Join(c.Command, " ") != "python -m etl.export" ||
		c.Resources.Requests.Cpu().String() != "100m" || c.Resources.Limits.Memory().String() != "256Mi" ||
		pod.Annotations["prometheus.io/port"] != "9102" || pod.Annotations["prometheus.io/scrape"] != "true" {
		t.Fatalf("CronJob:\n%s", sc.Files[want[0]])
	}

	var rule PrometheusRule
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[want[1]]), &rule); err != nil {
		t.Fatalf("PrometheusRule does not decode strictly: %v", err)
	}
	rules := rule.Spec.Groups[0].Rules
	if len(rules) != 2 || rules[0].Alert != "CronJobFailed" || rules[1].Alert != "CronJobMissedRun" {
		t.Fatalf("rules: %+v", rules)
	}
	if !strings.Contains(rules[0].Expr, `kube_job_status_failed{namespace="reports-ns"}`) ||
		!strings.Contains(rules[0].Expr, `owner_kind="CronJob", owner_name="nightly-export"`) {
		t.Errorf("failed-run expression: %s", rules[0].Expr)
	}
	// Friday 02:30 to Monday 02:30 is the longest gap: 73h over the
	// weekend Berlin leaves summer time; plus 300s to start, 3600s to run
	// and 10 minutes: 74h15m = 267300s.
	if !strings.Contains(rules[1].Expr, `kube_cronjob_status_last_successful_time{namespace="reports-ns", cronjob="nightly-export"})) > 267300`) ||
		!strings.Contains(rules[1].Expr, "kube_cronjob_created") {
		t.Errorf("missed-run expression: %s", rules[1].Expr)
	}
	url := "https://github.com/acme/gitops/blob/main/teams/reports/runbooks/nightly-export.md"
	if rules[0].Annotations["runbook_url"] != url+"#a-run-failed" || rules[1].Annotations["runbook_url"] != url+"#a-run-was-missed" {
		t.Errorf("runbook links: %v / %v", rules[0].Annotations, rules[1].Annotations)
	}
	book := sc.Files[want[2]]
	for _, s := range []string{"## A run failed", "## A run was missed", "at 02:30 on Monday to Friday (Europe/Berlin)", "create job --from=cronjob/nightly-export"} {
		if !strings.Contains(book, s) {
			t.Errorf("runbook lacks %q:\n%s", s, book)
		}
	}

	// The next runs are said in the team's zone, with UTC beside them:
	// Monday is after the change to summer time.
	runs := strs(out["nextRuns"])
	if strings.Join(runs, "; ") != "Mon 30 Mar 2026 02:30 CEST (00:30 UTC); Tue 31 Mar 2026 02:30 CEST (00:30 UTC); Wed 1 Apr 2026 02:30 CEST (00:30 UTC)" {
		t.Errorf("next runs: %q", runs)
	}
	if out["schedule"] != "at 02:30 on Monday to Friday" || out["runbookUrl"] != url {
		t.Errorf("outputs: %v", out)
	}

	goldentest.InstallCRDs(t, promRuleCRD)
	goldentest.DryRun(t, sc.Files[want[0]]+"---\n"+sc.Files[want[1]])
}

// The dry run checks the PrometheusRule against its CRD's schema: a rule
// with a field the CRD does not have is refused, so the test above would
// fail on a bad manifest.
func TestCronJobDryRunWouldCatchABadManifest(t *testing.T) {
	a := cronAction(t, cronFiles{})
	sc := cronStep(nil)
	if _, err := a.Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	goldentest.InstallCRDs(t, promRuleCRD)
	bad := strings.Replace(sc.Files["teams/reports/cronjobs/nightly-export/prometheusrule.yaml"], "alert: CronJobFailed", "alertt: CronJobFailed", 1)
	if errs := goldentest.Check(t, bad); len(errs) != 1 {
		t.Fatalf("a PrometheusRule with an unknown field: %v", errs)
	}
}

// Bad values are errors naming the problem, carried as a field error on
// the parameter that filled the input, and nothing is written.
func TestCronJobRefusals(t *testing.T) {
	existing := cronFiles{"teams/reports/cronjobs/nightly-export/cronjob.yaml": "kind: CronJob\n"}
	for _, tc := range []struct {
		name  string
		files cronFiles
		over  map[string]any
		field string
		want  string
	}{
		{"invalid cron", cronFiles{}, map[string]any{"schedule": "61 * * * *"}, "schedule", "not a cron schedule"},
		{"six fields", cronFiles{}, map[string]any{"schedule": "0 0 3 * * *"}, "schedule", "not a cron schedule"},
		{"time zone in schedule", cronFiles{}, map[string]any{"schedule": "CRON_TZ=Europe/Paris 0 3 * * *"}, "schedule", "time zone field"},
		{"never", cronFiles{}, map[string]any{"schedule": "0 0 30 2 *"}, "schedule", "never runs"},
		{"interval", cronFiles{}, map[string]any{"schedule": "@every 1h"}, "schedule", "interval"},
		{"zone", cronFiles{}, map[string]any{"timeZone": "Mars/Olympus"}, "timeZone", "not a time zone"},
		{"name clash", existing, nil, "jobName", "already exists in the GitOps repository"},
		{"long name", cronFiles{}, map[string]any{"name": strings.Repeat("a", 53)}, "jobName", "at most 52"},
		{"other team's service", cronFiles{}, map[string]any{"service": "orders-service"}, "service", "owned by group:default/payments"},
		{"unknown service", cronFiles{}, map[string]any{"service": "nope"}, "service", "not a Component in the catalog"},
		{"unpinned image", cronFiles{}, map[string]any{"image": "ghcr.io/acme/etl"}, "image", "no tag"},
		{"latest image", cronFiles{}, map[string]any{"image": "ghcr.io/acme/etl:latest"}, "image", "latest"},
		{"limit below request", cronFiles{}, map[string]any{"memoryRequest": "1Gi"}, "memoryLimit", "below its request"},
		{"bad quantity", cronFiles{}, map[string]any{"cpuRequest": "lots"}, "cpuRequest", "not a positive Kubernetes quantity"},
		{"policy", cronFiles{}, map[string]any{"concurrencyPolicy": "Sometimes"}, "concurrencyPolicy", "not Forbid, Allow or Replace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := cronAction(t, tc.files)
			sc := cronStep(tc.over)
			sc.DryRun = true
			_, err := a.Plan(context.Background(), sc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			var fe bot.FieldErrors
			if !errors.As(err, &fe) || !strings.Contains(fe[tc.field], tc.want) {
				t.Fatalf("field errors %v, want %s", fe, tc.field)
			}
			if len(sc.Files) != 0 {
				t.Fatalf("wrote %v", sc.Files)
			}
		})
	}
}

// A run without a GitOps reader refuses (it could overwrite a job); a
// dry run says it did not check.
func TestCronJobWithoutGitOpsReader(t *testing.T) {
	a := cronAction(t, nil)
	sc := cronStep(nil)
	if _, err := a.Run(context.Background(), sc); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("run: %v", err)
	}
	sc = cronStep(nil)
	sc.DryRun = true
	pl, err := a.Plan(context.Background(), sc)
	if err != nil || !strings.Contains(strings.Join(pl.Effects, "\n"), "not checked for an existing job") {
		t.Fatalf("plan: %v %v", pl.Effects, err)
	}
}

func TestCronJobCheck(t *testing.T) {
	probs := cronJobAction{}.Check(nil, template.StepSpec{Input: map[string]any{"name": "x", "schedule": "* * *", "runbookBaseUrl": "gitops"}})
	got := strings.Join(probs, "\n")
	for _, want := range []string{"input.service is missing", "input.owner is missing", "input.image is missing", "input.schedule:", "runbookBaseUrl must be an http(s) address"} {
		if !strings.Contains(got, want) {
			t.Errorf("Check lacks %q:\n%s", want, got)
		}
	}
	if probs := (cronJobAction{}).Check(nil, template.StepSpec{Input: map[string]any{"name": "${{ parameters.n }}", "owner": "o", "service": "s", "schedule": "${{ parameters.s }}", "image": "i", "runbookBaseUrl": "https://x.example/b"}}); len(probs) != 0 {
		t.Errorf("a good step: %v", probs)
	}
}

func TestDescribeCron(t *testing.T) {
	for spec, want := range map[string]string{
		"0 3 * * *":       "at 03:00 every day",
		"@daily":          "at 00:00 every day",
		"@hourly":         "every hour at minute 0",
		"*/15 * * * *":    "every 15 minutes",
		"*/15 * * * 1-5":  "every 15 minutes on Monday to Friday",
		"* * * * *":       "every minute",
		"30 2 * * 1-5":    "at 02:30 on Monday to Friday",
		"0 9,17 * * 1,3":  "at 09:00 and 17:00 on Monday and Wednesday",
		"0 6 1 * *":       "at 06:00 on day 1 of the month",
		"0 6 1,15 * 0":    "at 06:00 on day 1 and 15 of the month and on Sunday",
		"5 4 * 1,7 *":     "at 04:05 every day in January and July",
		"0,30 8-18 * * *": "at minute 0 and 30 of hours 8–18 every day",
		"@weekly":         "at 00:00 on Sunday",
		"10 * * * 6,0":    "every hour at minute 10 on Sunday and Saturday",
	} {
		s, err := parseCronSchedule(spec)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		if got := describeCron(s); got != want {
			t.Errorf("%s: %q, want %q", spec, got, want)
		}
	}
}

func TestMaxGap(t *testing.T) {
	from := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for spec, want := range map[string]time.Duration{
		"0 3 * * *":    24 * time.Hour,
		"*/15 * * * *": 15 * time.Minute,
		"0 9 * * 1-5":  72 * time.Hour,
		"0 0 1 * *":    31 * 24 * time.Hour,
		"0 0 29 2 *":   (366 + 3*365) * 24 * time.Hour, // leap days: 2028 to 2032
	} {
		s, err := parseCronSchedule(spec)
		if err != nil {
			t.Fatal(err)
		}
		s.Location = time.UTC
		if got := maxGap(s, from); got != want {
			t.Errorf("%s: %v, want %v", spec, got, want)
		}
	}
}
