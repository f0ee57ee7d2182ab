package golden

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
	// Time zones are checked and shown with the zone database built in, so
	// a machine without one gives the same answers.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// CronJobAction is the action of the new-cron-job golden path.
const CronJobAction = "platbot:cronjob"

func init() { registry = append(registry, newCronJobActions) }

func newCronJobActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{CronJobAction: cronJobAction{d: d}}
}

// cronNow is the clock the next runs are counted from.
var cronNow = time.Now

// cronJobAction writes a Kubernetes CronJob for an existing service, a
// PrometheusRule alerting on its failed and missed runs, and a runbook
// the alerts link to, into the owning team's GitOps folder:
//
//	<folder>/cronjobs/<name>/cronjob.yaml
//	<folder>/cronjobs/<name>/prometheusrule.yaml
//	<folder>/runbooks/<name>.md
//
// where folder is input.folder (default teams/<team>). Inputs: name,
// service (a Component of the owning team), owner, schedule (five fields
// or a descriptor such as @daily, checked with robfig/cron as Kubernetes
// does), timeZone (IANA; optional: left empty, the owning team's
// catalog.AnnotationTimeZone, else Etc/UTC), image (pinned: a tag other than latest, or a
// digest), command (one argument per line), concurrencyPolicy,
// startingDeadlineSeconds, activeDeadlineSeconds, backoffLimit,
// cpuRequest, memoryRequest, cpuLimit, memoryLimit, metricsPort and
// metricsPath (Prometheus scrape annotations on the job's pods when the
// port is set), description, runbookBaseUrl (where the GitOps repository's
// files are browsed; by default the GitOps repository platbot is
// configured with, see GitOpsBrowser). Outputs: files, namespace, schedule (in words),
// timeZone, timeZoneSource (where the zone came from), nextRuns,
// runbookUrl.
type cronJobAction struct{ d actions.Deps }

var cronRequired = []string{"name", "service", "owner", "schedule", "image"}

// GitOpsBrowser is the GitOps repository (Deps.GitOpsFiles) telling where
// people read its base branch (integrations/gitops.Publisher: on GitHub,
// or the local repository's folder); host is the GitHub web host.
type GitOpsBrowser interface {
	BrowseURL(host string) string
}

func (cronJobAction) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range cronRequired {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	if v, ok := s.Input["schedule"].(string); ok && !templating.Has(v) {
		if _, err := parseCronSchedule(v); err != nil {
			probs = append(probs, "input.schedule: "+err.Error())
		}
	}
	if v, ok := s.Input["runbookBaseUrl"].(string); ok && !templating.Has(v) {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			probs = append(probs, "input.runbookBaseUrl must be an http(s) address, like https://github.com/acme/gitops/blob/main")
		}
	}
	return probs
}

// cronSpec is a checked step input.
type cronSpec struct {
	name, team, service, namespace, folder   string
	schedule, timeZone, words                string
	zoneSource                               string
	loc                                      *time.Location
	sched                                    cron.Schedule
	image                                    string
	command                                  []string
	concurrency                              batchv1.ConcurrencyPolicy
	startingDeadline, activeDeadline, backup int64
	resources                                corev1.ResourceRequirements
	metricsPort                              int64
	metricsPath                              string
	description                              string
	runbookBaseURL                           string
}

func (c *cronSpec) jobPath() string { return path.Join(c.folder, "cronjobs", c.name, "cronjob.yaml") }
func (c *cronSpec) rulePath() string {
	return path.Join(c.folder, "cronjobs", c.name, "prometheusrule.yaml")
}
func (c *cronSpec) runbookPath() string { return path.Join(c.folder, "runbooks", c.name+".md") }
func (c *cronSpec) runbookURL() string {
	return strings.TrimRight(c.runbookBaseURL, "/") + "/" + c.runbookPath()
}
func (c *cronSpec) labels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       c.name,
		"app.kubernetes.io/component":  "cronjob",
		"app.kubernetes.io/part-of":    c.service,
		"app.kubernetes.io/managed-by": "platbot",
		"platbot.dev/team":             c.team,
	}
}

// imageRe is an image reference: [registry/]repository[:tag][@digest].
var imageRe = regexp.MustCompile(`^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+/[a-z0-9]+([._/-][a-z0-9]+)*)?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

// spec reads and checks the step's input: a value the job cannot have is
// an error naming the input (and the form field that filled it).
func (a cronJobAction) spec(sc *actions.StepContext) (*cronSpec, error) {
	c := &cronSpec{}
	c.name = inputText(sc, "name")
	if c.name == "" {
		return nil, fieldError(sc, "name", "the job needs a name")
	}
	if errs := validation.IsDNS1123Label(c.name); len(errs) > 0 {
		return nil, fieldError(sc, "name", fmt.Sprintf("%q cannot name a Kubernetes CronJob: %s", c.name, strings.Join(errs, "; ")))
	}
	// Kubernetes appends 11 characters to a CronJob's name for its Jobs.
	if len(c.name) > 52 {
		return nil, fieldError(sc, "name", fmt.Sprintf("%q is %d characters; a CronJob's name may have at most 52", c.name, len(c.name)))
	}

	owner := inputText(sc, "owner")
	if owner == "" {
		owner = sc.Run.Owner
	}
	owner = catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	_, _, c.team = catalog.ParseRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	if c.team == "" {
		return nil, fieldError(sc, "owner", "the job needs an owning team")
	}

	svc := inputText(sc, "service")
	if svc == "" {
		return nil, fieldError(sc, "service", "name the service the job belongs to")
	}
	ref := catalog.NormalizeRef(svc, catalog.KindComponent, catalog.DefaultNamespace)
	var comp *catalog.Entity
	if a.d.Catalog != nil {
		for _, e := range a.d.Catalog.List(catalog.KindComponent) {
			if e.Ref() == ref {
				comp = e
			}
		}
	}
	if comp == nil {
		return nil, fieldError(sc, "service", ref+" is not a Component in the catalog")
	}
	if comp.Owner() != owner {
		return nil, fieldError(sc, "service", fmt.Sprintf("%s is owned by %s, not by %s: a team adds jobs to its own services", ref, orNobody(comp.Owner()), owner))
	}
	c.service = comp.Metadata.Name
	c.namespace = comp.Annotation("backstage.io/kubernetes-namespace")
	if c.namespace == "" {
		c.namespace = c.team
	}

	c.folder = strings.Trim(inputText(sc, "folder"), "/")
	if c.folder == "" {
		c.folder = "teams/" + c.team
	}
	if err := skeleton.CheckOutputPath(c.folder); err != nil {
		return nil, fieldError(sc, "folder", fmt.Sprintf("%q: %v", c.folder, err))
	}

	c.schedule = inputText(sc, "schedule")
	sched, err := parseCronSchedule(c.schedule)
	if err != nil {
		return nil, fieldError(sc, "schedule", err.Error())
	}
	c.timeZone, c.zoneSource = a.zone(inputText(sc, "timeZone"), owner)
	c.loc, err = catalog.LoadTimeZone(c.timeZone)
	if err != nil {
		return nil, fieldError(sc, "timeZone", fmt.Sprintf("%q is not a time zone of the IANA database (like Europe/Berlin or America/New_York)", c.timeZone))
	}
	sched.Location = c.loc
	c.sched = sched
	c.words = describeCron(sched)

	c.image = inputText(sc, "image")
	switch {
	case c.image == "":
		return nil, fieldError(sc, "image", "name the container image, like ghcr.io/acme/reports:1.4.2")
	case !imageRe.MatchString(c.image):
		return nil, fieldError(sc, "image", fmt.Sprintf("%q is not an image reference (like ghcr.io/acme/reports:1.4.2)", c.image))
	case !strings.Contains(c.image, "@") && !hasTag(c.image):
		return nil, fieldError(sc, "image", fmt.Sprintf("%q has no tag: pin a version (like %s:1.4.2) or a digest, so every run uses the same code", c.image, c.image))
	case strings.HasSuffix(c.image, ":latest"):
		return nil, fieldError(sc, "image", fmt.Sprintf("%q runs whatever latest is at the time: pin a version or a digest", c.image))
	}
	for _, l := range strings.Split(templating.Text(sc.Input["command"]), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			c.command = append(c.command, l)
		}
	}

	switch p := inputText(sc, "concurrencyPolicy"); p {
	case "", string(batchv1.ForbidConcurrent):
		c.concurrency = batchv1.ForbidConcurrent
	case string(batchv1.AllowConcurrent), string(batchv1.ReplaceConcurrent):
		c.concurrency = batchv1.ConcurrencyPolicy(p)
	default:
		return nil, fieldError(sc, "concurrencyPolicy", fmt.Sprintf("%q is not Forbid, Allow or Replace", p))
	}
	if c.startingDeadline, err = inputInt(sc, "startingDeadlineSeconds", 300, 10, 86400); err != nil {
		return nil, err
	}
	if c.activeDeadline, err = inputInt(sc, "activeDeadlineSeconds", 3600, 30, 7*86400); err != nil {
		return nil, err
	}
	if c.backup, err = inputInt(sc, "backoffLimit", 2, 0, 10); err != nil {
		return nil, err
	}
	if c.resources, err = cronResources(sc); err != nil {
		return nil, err
	}
	if c.metricsPort, err = inputInt(sc, "metricsPort", 0, 0, 65535); err != nil {
		return nil, err
	}
	c.metricsPath = inputText(sc, "metricsPath")
	if c.metricsPath == "" {
		c.metricsPath = "/metrics"
	}
	if !strings.HasPrefix(c.metricsPath, "/") || strings.ContainsAny(c.metricsPath, " \t\n?#") {
		return nil, fieldError(sc, "metricsPath", fmt.Sprintf("%q is not a URL path like /metrics", c.metricsPath))
	}
	c.description = inputText(sc, "description")
	c.runbookBaseURL = inputText(sc, "runbookBaseUrl")
	if c.runbookBaseURL == "" {
		// The GitOps repository the runbook is published to.
		b, ok := a.d.GitOpsFiles.(GitOpsBrowser)
		if !ok || b == nil {
			return nil, &actions.StepError{Msg: "platbot does not know where the GitOps repository is browsed, so the alerts cannot link to the runbook",
				Hint: "Give the template's platbot:cronjob step a runbookBaseUrl"}
		}
		c.runbookBaseURL = b.BrowseURL(a.d.GitHubHost)
	} else if u, err := url.Parse(c.runbookBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fieldError(sc, "runbookBaseUrl", "must be an http(s) address, like https://github.com/acme/gitops/blob/main")
	}
	return c, nil
}

// zone is the job's time zone and where it comes from: the one chosen in
// the form, else the owning team's, else UTC.
func (a cronJobAction) zone(chosen, owner string) (zone, source string) {
	switch {
	case chosen != "":
		return chosen, "chosen in the form"
	case a.teamZone(owner) != "":
		return a.teamZone(owner), "the team's time zone"
	}
	return "Etc/UTC", fmt.Sprintf("UTC: %s has no %s annotation in the catalog", owner, catalog.AnnotationTimeZone)
}

// FormHints says the schedule in words while the form is filled in, with
// the next three runs in the job's time zone (the one chosen, else the
// owning team's), so the user sees what the schedule means before
// submitting; a schedule or zone that cannot be used says why. The form
// rebuilds when the schedule, the time zone or the owner changes
// (commands/paths/hints.go).
func (a cronJobAction) FormHints(_ context.Context, in map[string]any) map[string]string {
	out := map[string]string{"schedule": "", "timeZone": "", "owner": ""}
	text := strings.TrimSpace(templating.Text(in["schedule"]))
	if text == "" {
		return out
	}
	sched, err := parseCronSchedule(text)
	if err != nil {
		out["schedule"] = "⚠️ " + err.Error()
		return out
	}
	owner := catalog.NormalizeRef(strings.TrimSpace(templating.Text(in["owner"])), catalog.KindGroup, catalog.DefaultNamespace)
	zone, source := a.zone(strings.TrimSpace(templating.Text(in["timeZone"])), owner)
	loc, err := catalog.LoadTimeZone(zone)
	if err != nil {
		out["timeZone"] = fmt.Sprintf("⚠️ %q is not a time zone of the IANA database (like Europe/Berlin or America/New_York)", zone)
		return out
	}
	sched.Location = loc
	var runs []string
	for _, t := range nextRuns(sched, cronNow(), 3) {
		runs = append(runs, runText(t, loc))
	}
	out["schedule"] = fmt.Sprintf("🕒 Runs %s, %s (%s). Next: %s.", describeCron(sched), zone, source, strings.Join(runs, "; "))
	return out
}

// teamZone is the time zone of the owning team's Group in the catalog
// (catalog.AnnotationTimeZone, checked when the catalog loads), "" when it
// has none.
func (a cronJobAction) teamZone(owner string) string {
	if a.d.Catalog == nil {
		return ""
	}
	for _, g := range a.d.Catalog.List(catalog.KindGroup) {
		if g.Ref() == owner {
			if _, ok := catalog.TimeZone(g); ok {
				return g.Annotation(catalog.AnnotationTimeZone)
			}
		}
	}
	return ""
}

func orNobody(s string) string {
	if s == "" {
		return "nobody"
	}
	return s
}

// hasTag reports whether an image reference names a tag (a ":" after its
// last "/").
func hasTag(image string) bool {
	return strings.Contains(image[strings.LastIndex(image, "/")+1:], ":")
}

// cronResources reads the requests and limits; a limit must not be below
// its request.
func cronResources(sc *actions.StepContext) (corev1.ResourceRequirements, error) {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	for _, f := range []struct {
		key, def string
		res      corev1.ResourceName
		list     corev1.ResourceList
	}{
		{"cpuRequest", "100m", corev1.ResourceCPU, r.Requests},
		{"memoryRequest", "128Mi", corev1.ResourceMemory, r.Requests},
		{"cpuLimit", "", corev1.ResourceCPU, r.Limits},
		{"memoryLimit", "256Mi", corev1.ResourceMemory, r.Limits},
	} {
		s := inputText(sc, f.key)
		if s == "" {
			s = f.def
		}
		if s == "" {
			continue
		}
		q, err := resource.ParseQuantity(s)
		if err != nil || q.Sign() <= 0 {
			return r, fieldError(sc, f.key, fmt.Sprintf("%q is not a positive Kubernetes quantity (like 250m, 1 or 512Mi)", s))
		}
		f.list[f.res] = q
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := r.Requests[res]
		lim, hasLim := r.Limits[res]
		if hasReq && hasLim && lim.Cmp(req) < 0 {
			key := "cpuLimit"
			if res == corev1.ResourceMemory {
				key = "memoryLimit"
			}
			return r, fieldError(sc, key, fmt.Sprintf("the %s limit %s is below its request %s", res, lim.String(), req.String()))
		}
	}
	if len(r.Limits) == 0 {
		r.Limits = nil
	}
	return r, nil
}

// parseCronSchedule checks a CronJob schedule as Kubernetes does
// (robfig/cron's standard parser: five fields or a descriptor). The time
// zone goes in its own field, never in the schedule.
func parseCronSchedule(s string) (*cron.SpecSchedule, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the schedule is empty: five fields (minute hour day-of-month month day-of-week), like 0 3 * * *")
	}
	if strings.Contains(s, "TZ=") {
		return nil, errors.New("the time zone goes in the time zone field, not in the schedule (Kubernetes refuses TZ= and CRON_TZ= there)")
	}
	if strings.HasPrefix(s, "@every") {
		return nil, fmt.Errorf("%q is an interval, not a schedule Kubernetes runs at fixed times: write it as five fields (every 15 minutes is */15 * * * *)", s)
	}
	parsed, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule: %v (five fields: minute hour day-of-month month day-of-week, like 0 3 * * *)", s, err)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%q is not a cron schedule of fixed times", s)
	}
	if spec.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("%q never runs (no such date)", s)
	}
	return spec, nil
}

// nextRuns are the next n times the schedule fires after from.
func nextRuns(s cron.Schedule, from time.Time, n int) []time.Time {
	var out []time.Time
	t := from
	for len(out) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// maxGap is the longest time between two runs over the next year (at most
// 2000 runs; a schedule that runs less than twice a year: its next gap):
// how long "no successful run" may last before a run was missed.
func maxGap(s cron.Schedule, from time.Time) time.Duration {
	var gap time.Duration
	prev := s.Next(from)
	end := from.AddDate(1, 0, 1)
	for i := 0; i < 2000 && !prev.IsZero() && (prev.Before(end) || gap == 0); i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); d > gap {
			gap = d
		}
		prev = next
	}
	return gap
}

// runText is one run time in the job's zone, with UTC beside it.
func runText(t time.Time, loc *time.Location) string {
	local := t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	if loc.String() == "UTC" || loc.String() == "Etc/UTC" {
		return local
	}
	return local + " (" + t.UTC().Format("15:04 MST") + ")"
}

func (a cronJobAction) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	c, err := a.spec(sc)
	if err != nil {
		return actions.Plan{}, err
	}
	checked, err := a.checkClash(ctx, sc, c)
	if err != nil {
		return actions.Plan{}, err
	}
	out, err := a.write(sc, c)
	if err != nil {
		return actions.Plan{}, err
	}
	effects := []string{
		fmt.Sprintf("write the CronJob %s/%s (%s, %s) with its alerts and runbook", c.namespace, c.name, c.words, c.timeZone),
		fmt.Sprintf("time zone %s: %s", c.timeZone, c.zoneSource),
		"next runs: " + strings.Join(strs(out["nextRuns"]), "; "),
	}
	if !checked {
		effects = append(effects, "not checked for an existing job: the GitOps repository cannot be read here")
	}
	return actions.Plan{Effects: effects, Output: out}, nil
}

func (a cronJobAction) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	c, err := a.spec(sc)
	if err != nil {
		return nil, err
	}
	if _, err := a.checkClash(ctx, sc, c); err != nil {
		return nil, err
	}
	return a.write(sc, c)
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			out = append(out, templating.Text(e))
		}
	}
	return out
}

// checkClash refuses a job whose files another step of the run, or the
// GitOps repository, already has. It reports whether the repository could
// be read.
func (a cronJobAction) checkClash(ctx context.Context, sc *actions.StepContext, c *cronSpec) (bool, error) {
	job, err := marshalCronJob(c)
	if err != nil {
		return true, fmt.Errorf("marshal CronJob: %w", err)
	}
	// The same CronJob already among the run's files is this step's own
	// earlier work (the step done again); anything else is another step's.
	if sc.Files[c.jobPath()] != string(job) {
		for _, p := range []string{c.jobPath(), c.rulePath(), c.runbookPath()} {
			if _, ok := sc.Files[p]; ok {
				return true, fieldError(sc, "name", fmt.Sprintf("another step of this run already writes %s", p))
			}
		}
	}
	r := a.d.GitOpsFiles
	if r == nil {
		if !sc.DryRun {
			return false, &actions.StepError{Msg: "the GitOps repository cannot be read here, so an existing job of the same name could be overwritten", Hint: "platbot needs its GitOps repository to run this path."}
		}
		return false, nil
	}
	for _, p := range []string{c.jobPath(), c.runbookPath()} {
		_, err := r.ReadFile(ctx, p)
		switch {
		case err == nil:
			return true, fieldError(sc, "name", fmt.Sprintf("a job called %s already exists in the GitOps repository (%s); pick another name", c.name, p))
		case !errors.Is(err, fs.ErrNotExist):
			return true, &actions.StepError{Msg: "could not check the GitOps repository for an existing " + p, Hint: "Press Retry when it can be reached.", Err: fmt.Errorf("read %s: %w", p, err)}
		}
	}
	return true, nil
}

// write adds the job's three files to the run and returns the outputs.
func (a cronJobAction) write(sc *actions.StepContext, c *cronSpec) (map[string]any, error) {
	job, err := marshalCronJob(c)
	if err != nil {
		return nil, fmt.Errorf("marshal CronJob: %w", err)
	}
	rule, err := sigsyaml.Marshal(cronRuleObject(c, cronNow()))
	if err != nil {
		return nil, fmt.Errorf("marshal PrometheusRule: %w", err)
	}
	var runs []any
	for _, t := range nextRuns(c.sched, cronNow(), 3) {
		runs = append(runs, runText(t, c.loc))
	}
	sc.Files[c.jobPath()] = string(job)
	sc.Files[c.rulePath()] = string(rule)
	sc.Files[c.runbookPath()] = cronRunbook(c, strs(runs))
	return map[string]any{
		"files":          []any{c.jobPath(), c.rulePath(), c.runbookPath()},
		"namespace":      c.namespace,
		"schedule":       c.words,
		"timeZone":       c.timeZone,
		"timeZoneSource": c.zoneSource,
		"nextRuns":       runs,
		"runbookUrl":     c.runbookURL(),
	}, nil
}

// marshalCronJob is the CronJob as YAML, without the empty status a typed
// object carries (a manifest in Git has none).
func marshalCronJob(c *cronSpec) ([]byte, error) {
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cronJobObject(c))
	if err != nil {
		return nil, err
	}
	delete(obj, "status")
	return sigsyaml.Marshal(obj)
}

// cronJobObject is the batch/v1 CronJob.
func cronJobObject(c *cronSpec) *batchv1.CronJob {
	podMeta := metav1.ObjectMeta{Labels: c.labels()}
	if c.metricsPort > 0 {
		// Job pods live minutes, so no Service or ServiceMonitor follows
		// them: Prometheus finds them by these annotations while they run.
		podMeta.Annotations = map[string]string{
			"prometheus.io/scrape": "true",
			"prometheus.io/port":   fmt.Sprint(c.metricsPort),
			"prometheus.io/path":   c.metricsPath,
		}
	}
	container := corev1.Container{
		Name:            c.name,
		Image:           c.image,
		Command:         c.command,
		Resources:       c.resources,
		SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
	}
	if c.metricsPort > 0 {
		container.Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: int32(c.metricsPort), Protocol: corev1.ProtocolTCP}}
	}
	annotations := map[string]string{"platbot.dev/schedule": c.words}
	if c.description != "" {
		annotations["platbot.dev/description"] = c.description
	}
	annotations["platbot.dev/runbook"] = c.runbookURL()
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: c.name, Namespace: c.namespace, Labels: c.labels(), Annotations: annotations},
		Spec: batchv1.CronJobSpec{
			Schedule:                   c.schedule,
			TimeZone:                   ptr.To(c.timeZone),
			ConcurrencyPolicy:          c.concurrency,
			StartingDeadlineSeconds:    ptr.To(c.startingDeadline),
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: c.labels()},
				Spec: batchv1.JobSpec{
					ActiveDeadlineSeconds: ptr.To(c.activeDeadline),
					BackoffLimit:          ptr.To(int32(c.backup)),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: podMeta,
						Spec: corev1.PodSpec{
							RestartPolicy: corev1.RestartPolicyNever,
							SecurityContext: &corev1.PodSecurityContext{
								RunAsNonRoot:   ptr.To(true),
								SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
							},
							Containers: []corev1.Container{container},
						},
					},
				},
			},
		},
	}
}

// PrometheusRule is prometheus-operator's monitoring.coreos.com/v1
// PrometheusRule, as far as the golden paths write it (the fields follow
// its CRD, commands/paths/golden/testdata/crds/prometheus-operator).
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              PrometheusRuleSpec `json:"spec"`
}

// PrometheusRuleSpec holds the rule groups.
type PrometheusRuleSpec struct {
	Groups []RuleGroup `json:"groups"`
}

// RuleGroup is a named list of rules.
type RuleGroup struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// Rule is one alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// missedAfter is how long the job may go without a successful run before
// a run counts as missed: the longest gap of its schedule, plus the time a
// run may take to start and to finish, plus ten minutes for scraping.
func missedAfter(c *cronSpec, from time.Time) time.Duration {
	return maxGap(c.sched, from) + time.Duration(c.startingDeadline+c.activeDeadline)*time.Second + 10*time.Minute
}

// cronRuleObject alerts on the job's failed runs and on missed ones, from
// kube-state-metrics' series.
func cronRuleObject(c *cronSpec, from time.Time) *PrometheusRule {
	sel := fmt.Sprintf(`namespace=%q`, c.namespace)
	cj := fmt.Sprintf(`%s, cronjob=%q`, sel, c.name)
	window := int64(missedAfter(c, from).Seconds())
	failed := fmt.Sprintf(`max by (namespace, job_name) (kube_job_status_failed{%s} > 0)
  * on (namespace, job_name) group_left (owner_name)
max by (namespace, job_name, owner_name) (kube_job_owner{%s, owner_kind="CronJob", owner_name=%q})
> 0`, sel, sel, c.name)
	missed := fmt.Sprintf(`(time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{%[1]s})) > %[2]d
or
(time() - max by (namespace, cronjob) (kube_cronjob_created{%[1]s}) > %[2]d
  unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{%[1]s})`, cj, window)
	labels := map[string]string{"severity": "warning", "team": c.team, "service": c.service}
	return &PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
		ObjectMeta: metav1.ObjectMeta{Name: c.name + "-cronjob", Namespace: c.namespace, Labels: c.labels()},
		Spec: PrometheusRuleSpec{Groups: []RuleGroup{{
			Name: "cronjob-" + c.name,
			Rules: []Rule{
				{
					Alert: "CronJobFailed", Expr: failed, Labels: labels,
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("A run of the cron job %s/%s failed", c.namespace, c.name),
						"description": fmt.Sprintf("Job {{ $labels.job_name }} of the cron job %s (%s, %s) failed after its retries.", c.name, c.words, c.timeZone),
						"runbook_url": c.runbookURL() + "#a-run-failed",
					},
				},
				{
					Alert: "CronJobMissedRun", Expr: missed, Labels: labels,
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("The cron job %s/%s has not succeeded on schedule", c.namespace, c.name),
						"description": fmt.Sprintf("No successful run of %s for %s; it should run %s (%s).", c.name, (time.Duration(window) * time.Second).String(), c.words, c.timeZone),
						"runbook_url": c.runbookURL() + "#a-run-was-missed",
					},
				},
			},
		}}},
	}
}

// cronRunbook is the runbook scaffold: what the job is, its alerts and
// what to do about each. Values people typed are escaped as markdown.
func cronRunbook(c *cronSpec, runs []string) string {
	md := func(s string) string { return bot.UserText(s).Markdown() }
	var b strings.Builder
	fmt.Fprintf(&b, "# Runbook: cron job %s\n\n", md(c.name))
	if c.description != "" {
		fmt.Fprintf(&b, "%s\n\n", md(c.description))
	}
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Service | %s |\n| Team | %s |\n| Namespace | `%s` |\n", md(c.service), md(c.team), c.namespace)
	fmt.Fprintf(&b, "| Schedule | `%s`: %s (%s) |\n", strings.ReplaceAll(c.schedule, "|", "\\|"), c.words, c.timeZone)
	fmt.Fprintf(&b, "| Image | `%s` |\n", c.image)
	fmt.Fprintf(&b, "| Concurrency | %s; starts up to %ds late; a run may take %ds; %d retries |\n", c.concurrency, c.startingDeadline, c.activeDeadline, c.backup)
	fmt.Fprintf(&b, "| Manifests | `%s`, `%s` |\n\n", c.jobPath(), c.rulePath())
	if len(runs) > 0 {
		fmt.Fprintf(&b, "Next runs when this was written: %s.\n\n", strings.Join(runs, "; "))
	}
	fmt.Fprintf(&b, "## What it does\n\nDescribe what the job changes, who notices when it does not run, and whether running it twice is safe.\n\n")
	fmt.Fprintf(&b, "## A run failed\n\nAlert `CronJobFailed`: a Job of this CronJob failed after %d retries.\n\n", c.backup)
	fmt.Fprintf(&b, "1. Read its logs: `kubectl -n %s logs job/<job-name>` (the alert names the Job).\n", c.namespace)
	fmt.Fprintf(&b, "2. See why it stopped: `kubectl -n %s describe job/<job-name>` (deadline exceeded, OOMKilled, image pull).\n", c.namespace)
	fmt.Fprintf(&b, "3. When the cause is fixed, run it once by hand: `kubectl -n %s create job --from=cronjob/%s %s-manual-$(date +%%s)`.\n", c.namespace, c.name, c.name)
	fmt.Fprintf(&b, "4. Delete the failed Job to clear the alert: `kubectl -n %s delete job/<job-name>`.\n\n", c.namespace)
	fmt.Fprintf(&b, "## A run was missed\n\nAlert `CronJobMissedRun`: no successful run for longer than the schedule allows.\n\n")
	fmt.Fprintf(&b, "1. Is it suspended? `kubectl -n %s get cronjob/%s -o jsonpath='{.spec.suspend}'`.\n", c.namespace, c.name)
	fmt.Fprintf(&b, "2. Did runs start? `kubectl -n %s get jobs -l app.kubernetes.io/name=%s`; a run blocked by the previous one (concurrency %s) or started more than %ds late is skipped.\n", c.namespace, c.name, c.concurrency, c.startingDeadline)
	fmt.Fprintf(&b, "3. Run it once by hand as above, then find why the schedule did not.\n\n")
	fmt.Fprintf(&b, "## Pausing it\n\nSet `spec.suspend: true` in `%s` through a pull request; a `kubectl patch` is undone by the next sync.\n", c.jobPath())
	return b.String()
}

// describeCron says when a schedule runs, in words ("at 03:00 every day",
// "every 15 minutes on Monday to Friday").
func describeCron(s *cron.SpecSchedule) string {
	mins := bitList(s.Minute, 0, 59)
	hours := bitList(s.Hour, 0, 23)
	var when string
	switch {
	case len(mins) == 60 && len(hours) == 24:
		when = "every minute"
	case len(hours) == 24 && evenly(mins, 60):
		when = fmt.Sprintf("every %d minutes", 60/len(mins))
	case len(hours) == 24:
		when = "every hour at minute " + joinInts(mins, "%d")
	case len(mins) == 60:
		when = "every minute of hour " + joinInts(hours, "%d")
	case len(mins)*len(hours) <= 6:
		var ts []string
		for _, h := range hours {
			for _, m := range mins {
				ts = append(ts, fmt.Sprintf("%02d:%02d", h, m))
			}
		}
		when = "at " + andList(ts)
	default:
		when = "at minute " + joinInts(mins, "%d") + " of hours " + joinInts(hours, "%d")
	}
	const star = 1 << 63
	domAll := s.Dom&star != 0
	dowAll := s.Dow&star != 0
	days := ""
	weekdays := []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	dows := bitList(s.Dow, 0, 6)
	dowText := func() string {
		if len(dows) == 7 {
			return "every day"
		}
		var names []string
		for _, r := range runs(dows) {
			if r[1]-r[0] >= 2 {
				names = append(names, weekdays[r[0]]+" to "+weekdays[r[1]])
			} else {
				for d := r[0]; d <= r[1]; d++ {
					names = append(names, weekdays[d])
				}
			}
		}
		return "on " + andList(names)
	}
	domText := "on day " + joinInts(bitList(s.Dom, 1, 31), "%d") + " of the month"
	switch {
	case domAll && dowAll:
		days = "every day"
	case domAll:
		days = dowText()
	case dowAll:
		days = domText
	default:
		days = domText + " and " + dowText()
	}
	out := when + " " + days
	if strings.HasPrefix(when, "every") && days == "every day" {
		out = when
	}
	if months := bitList(s.Month, 1, 12); len(months) < 12 {
		var names []string
		for _, m := range months {
			names = append(names, time.Month(m).String())
		}
		out += " in " + andList(names)
	}
	return out
}

func bitList(bits uint64, min, max int) []int {
	var out []int
	for i := min; i <= max; i++ {
		if bits&(1<<uint(i)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

// evenly reports whether vs are 0, n/len, 2n/len… (a */step field).
func evenly(vs []int, n int) bool {
	if len(vs) < 2 || n%len(vs) != 0 {
		return false
	}
	step := n / len(vs)
	for i, v := range vs {
		if v != i*step {
			return false
		}
	}
	return true
}

// runs groups sorted numbers into [first, last] runs of consecutive ones.
func runs(vs []int) [][2]int {
	var out [][2]int
	for _, v := range vs {
		if n := len(out); n > 0 && out[n-1][1] == v-1 {
			out[n-1][1] = v
			continue
		}
		out = append(out, [2]int{v, v})
	}
	return out
}

func joinInts(vs []int, format string) string {
	var parts []string
	for _, r := range runs(vs) {
		if r[1]-r[0] >= 2 {
			parts = append(parts, fmt.Sprintf(format+"–"+format, r[0], r[1]))
			continue
		}
		for v := r[0]; v <= r[1]; v++ {
			parts = append(parts, fmt.Sprintf(format, v))
		}
	}
	return andList(parts)
}

func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
