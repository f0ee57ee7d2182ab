package scorecard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/scorecard/chart"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// seedHistory records grades for the weeks before testNow: last week
// checkout A, payments A, reports F.
func seedHistory(t *testing.T, st Store) {
	t.Helper()
	last := map[string]grade.Grade{"checkout-service": grade.GradeA, "payments-service": grade.GradeA, "reports-service": grade.GradeF}
	for w := 7; w >= 1; w-- {
		at := testNow.Add(-time.Duration(w) * 7 * 24 * time.Hour).Truncate(24 * time.Hour)
		for name, g := range last {
			if w > 1 {
				g = grade.Grades[(w+len(name))%5]
			}
			b, _ := json.Marshal(historyValue{Grade: g})
			if err := st.AppendPoint(context.Background(), store.Point{Series: SeriesGrade, Key: "component:default/" + name, At: at, Value: b}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// approvedWaiver stores an approved waiver directly.
func approvedWaiver(t *testing.T, st Store, id, service, check string, expires time.Time) {
	t.Helper()
	w := Waiver{ID: id, Service: "component:default/" + service, Check: check, Days: 14, Reason: "vendor patch pending",
		Ballot: approval.Ballot{Requester: bot.User{ID: "U-DEV"}}, Expires: expires}
	b, _ := json.Marshal(w)
	if _, err := st.PutRecord(context.Background(), store.Record{Kind: KindWaiver, ID: id, State: WaiverApproved, Key: w.Service, Data: b}); err != nil {
		t.Fatal(err)
	}
}

type fakeCost struct{}

func (fakeCost) CostSummary(_ context.Context, team string) (bot.Section, bool) {
	if team != "group:default/payments" {
		return bot.Section{}, false
	}
	return bot.Section{Text: "*Cost* $4,210 this month (budget $5,000)"}, true
}

func postsTo(m *bottest.Messenger, channel string) []bottest.Sent {
	var out []bottest.Sent
	for _, s := range m.Sent() {
		if (s.Op == "post" || s.Op == "upload") && s.Channel == channel {
			out = append(out, s)
		}
	}
	return out
}

func checkPNG(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	bounds := img.Bounds()
	if bounds.Dx() < 300 || bounds.Dy() < 150 {
		t.Fatalf("chart is %v", bounds)
	}
	colours := map[[3]uint32]int{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	if len(colours) < 5 {
		t.Fatalf("chart looks blank: %d colours", len(colours))
	}
	// Some bar of a grade colour is drawn.
	found := false
	for _, g := range grade.Grades {
		c := chart.Color(g, false)
		if colours[[3]uint32{uint32(c.R), uint32(c.G), uint32(c.B)}] > 20 {
			found = true
		}
	}
	if !found {
		t.Fatal("no grade-coloured bar in the chart")
	}
}

func TestDigest(t *testing.T) {
	h := newHarness(t)
	st := h.Store
	seedHistory(t, st)
	approvedWaiver(t, st, "w-1", "reports-service", "deploys-recently", testNow.Add(5*24*time.Hour))
	approvedWaiver(t, st, "w-2", "reports-service", "has-readme-runbook", testNow.Add(40*24*time.Hour))
	f := newFixture(t, fixtureOptions{harness: h})
	f.s.cost = fakeCost{}
	var out bytes.Buffer
	if err := f.s.RunDigest(context.Background(), DigestOptions{Now: testNow, Out: &out}); err != nil {
		t.Fatal(err)
	}

	pay := postsTo(f.m, "#team-payments")
	if len(pay) != 2 || pay[0].Op != "post" || pay[1].Op != "upload" {
		t.Fatalf("payments channel got %+v", pay)
	}
	text := pay[0].Text()
	for _, want := range []string{
		"Scorecard digest — payments — week 2026-W49", "payments-service", "B ↓", "↓ payments-service A → B",
		"Top gaps", "README has a runbook", `Add a "## Runbook" section`, "$4,210", "GPA 3.0",
		// The catalog conventions it misses, though they do not count yet.
		"*Catalog conventions*", "• *Has a FinOps cost tag* (medium) — payments-service", "Add the finops/cost-tag annotation",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("payments digest lacks %q:\n%s", want, text)
		}
	}
	var hasCode bool
	for _, b := range pay[0].Msg.Blocks {
		if _, ok := b.(bot.Code); ok {
			hasCode = true
		}
	}
	if !hasCode {
		t.Error("payments digest has no services table block")
	}
	// The chart goes into the summary's thread.
	if pay[1].Msg.ThreadTS != pay[0].Ref.TS || pay[1].File == nil {
		t.Fatalf("chart upload = %+v (summary %v)", pay[1], pay[0].Ref)
	}
	checkPNG(t, pay[1].File.Content)

	rep := postsTo(f.m, "#team-reports")
	if len(rep) != 2 {
		t.Fatalf("reports channel got %d posts", len(rep))
	}
	rt := rep[0].Text()
	for _, want := range []string{"↑ reports-service F → D", "Waivers expiring within 14 days", "deploys-recently` expires 2026-12-05", "No critical vulnerabilities"} {
		if !strings.Contains(rt, want) {
			t.Errorf("reports digest lacks %q:\n%s", want, rt)
		}
	}
	if strings.Contains(rt, "w-2") {
		t.Error("a waiver expiring in 40 days is listed")
	}
	if strings.Contains(rt, "$4,210") {
		t.Error("the payments cost section leaked into reports")
	}
	chk := postsTo(f.m, "#team-checkout")
	if len(chk) != 2 || !strings.Contains(chk[0].Text(), "No open gaps") || !strings.Contains(chk[0].Text(), "Every service meets the catalog conventions.") {
		t.Fatalf("checkout digest: %+v", chk)
	}

	org := postsTo(f.m, "#platform")
	if len(org) != 1 {
		t.Fatalf("platform channel got %d posts", len(org))
	}
	for _, want := range []string{"organisation — week 2026-W49", "By team", "By lifecycle", "By system", "reporting", "production"} {
		if !strings.Contains(org[0].Text(), want) {
			t.Errorf("org digest lacks %q:\n%s", want, org[0].Text())
		}
	}

	// ~1 post per second per channel: each chart waited for its channel.
	f.mu.Lock()
	sleeps := append([]time.Duration(nil), f.sleeps...)
	f.mu.Unlock()
	if len(sleeps) != 3 {
		t.Errorf("limiter sleeps = %v, want one 1s wait per team channel", sleeps)
	}
	for _, d := range sleeps {
		if d < 900*time.Millisecond || d > time.Second {
			t.Errorf("limiter slept %v", d)
		}
	}

	// The run recorded today's grades as history.
	pts, _ := st.LatestPoints(context.Background(), SeriesGrade, testNow)
	got := map[string]string{}
	for _, p := range pts {
		var v historyValue
		_ = json.Unmarshal(p.Value, &v)
		got[shortRef(p.Key)] = string(v.Grade) + p.At.Format(" 2006-01-02")
	}
	if got["payments-service"] != "B 2026-11-30" || got["reports-service"] != "D 2026-11-30" {
		t.Errorf("history = %v", got)
	}
	if !strings.Contains(out.String(), "posted 2026-W49 digest summary of payments to #team-payments") {
		t.Errorf("progress output:\n%s", out.String())
	}
}

func TestDigestDryRunWritesChart(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dir := t.TempDir()
	var out bytes.Buffer
	if err := f.s.RunDigest(context.Background(), DigestOptions{Team: "payments", DryRun: true, Now: testNow, Out: &out, ChartDir: dir}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.m.Sent()); n != 0 {
		t.Fatalf("dry run posted %d messages", n)
	}
	s := out.String()
	if !strings.Contains(s, "=== payments → #team-payments ===") || !strings.Contains(s, "payments-service") || strings.Contains(s, "checkout-service") {
		t.Fatalf("dry run output:\n%s", s)
	}
	i := strings.Index(s, "chart: ")
	if i < 0 {
		t.Fatalf("no chart path printed:\n%s", s)
	}
	path := strings.TrimSpace(strings.SplitN(s[i+len("chart: "):], "\n", 2)[0])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, b)
	if pts, _ := f.st.LatestPoints(context.Background(), SeriesGrade, time.Time{}); len(pts) != 0 {
		t.Error("a dry run stored history")
	}
}

// TestDigestDryRunCreatesChartDir: on a new install the data folder does
// not exist yet; a dry run creates it rather than failing.
func TestDigestDryRunCreatesChartDir(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dir := filepath.Join(t.TempDir(), "data", "files")
	var out bytes.Buffer
	if err := f.s.RunDigest(context.Background(), DigestOptions{DryRun: true, Now: testNow, Out: &out, ChartDir: dir}); err != nil {
		t.Fatalf("dry run into a missing folder: %v", err)
	}
	for _, team := range []string{"checkout", "payments", "reports"} {
		b, err := os.ReadFile(filepath.Join(dir, "scorecard-"+team+"-2026-W49.png"))
		if err != nil {
			t.Fatalf("chart of %s: %v\n%s", team, err, out.String())
		}
		checkPNG(t, b)
	}
}

// TestDigestUnknownTeam: naming a team that does not exist is an error that
// names it and suggests the closest team, and nothing is posted.
func TestDigestUnknownTeam(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var out bytes.Buffer
	err := f.s.RunDigest(context.Background(), DigestOptions{Team: "paymnts", Now: testNow, Out: &out})
	if err == nil || !strings.Contains(err.Error(), `no team "paymnts"`) || !strings.Contains(err.Error(), `did you mean "payments"?`) {
		t.Fatalf("unknown team: err = %v, output:\n%s", err, out.String())
	}
	err = f.s.RunDigest(context.Background(), DigestOptions{Team: "nosuch", DryRun: true, Now: testNow, Out: &out})
	if err == nil || !strings.Contains(err.Error(), `no team "nosuch"`) || !strings.Contains(err.Error(), "checkout, payments, platform, reports") {
		t.Fatalf("unknown team: err = %v", err)
	}
	if len(f.m.Sent()) != 0 || strings.Contains(out.String(), "skipped") {
		t.Fatalf("an unknown team's digest ran: %d sent, output:\n%s", len(f.m.Sent()), out.String())
	}
	// A known team by its group ref still works.
	if err := f.s.RunDigest(context.Background(), DigestOptions{Team: "group:default/payments", DryRun: true, Now: testNow, Out: &out, ChartDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
}

// flakyMessenger fails every upload (Slack down mid-run).
type flakyMessenger struct {
	*bottest.Messenger
}

func (flakyMessenger) Upload(context.Context, string, string, bot.File) error {
	return errors.New("slack: files.upload: 503")
}

// TestDigestExactlyOnceAcrossRestart: a run that fails half-way, then a new
// process over the same store, then a retried job: every part is posted
// exactly once.
func TestDigestExactlyOnceAcrossRestart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	first := newFixture(t, fixtureOptions{harness: h})
	flaky := flakyMessenger{bottest.NewMessenger()}
	first.s.msgr = flaky
	if err := first.s.RunDigest(ctx, DigestOptions{Now: testNow}); err == nil {
		t.Fatal("uploads failed but the run reported success")
	}
	if n := len(flaky.Ops("post")); n != 4 {
		t.Fatalf("first run posted %d messages, want 3 summaries + org", n)
	}

	// "Restart": a new instance over the same store.
	second := newFixture(t, fixtureOptions{harness: h})
	var out bytes.Buffer
	if err := second.s.RunDigest(ctx, DigestOptions{Now: testNow.Add(3 * time.Hour), Out: &out}); err != nil {
		t.Fatal(err)
	}
	if n := len(second.m.Ops("post")); n != 0 {
		t.Fatalf("restart re-posted %d summaries", n)
	}
	ups := second.m.Ops("upload")
	if len(ups) != 3 {
		t.Fatalf("restart uploaded %d charts, want the 3 that failed", len(ups))
	}
	// The retried charts still go into the summaries' threads.
	summaryTS := map[string]string{}
	for _, p := range flaky.Ops("post") {
		summaryTS[p.Channel] = p.Ref.TS
	}
	for _, u := range ups {
		if u.Msg.ThreadTS == "" || u.Msg.ThreadTS != summaryTS[u.Channel] {
			t.Errorf("chart for %s in thread %q, want %q", u.Channel, u.Msg.ThreadTS, summaryTS[u.Channel])
		}
	}
	if !strings.Contains(out.String(), "already posted") {
		t.Errorf("output does not say what was skipped:\n%s", out.String())
	}

	// A retried scheduled job for the same week posts nothing.
	third := newFixture(t, fixtureOptions{harness: h})
	for _, kind := range []string{JobDigestDefault, JobDigestOrg} {
		if _, err := third.r.Enqueue(ctx, bot.JobSpec{Kind: kind, Payload: digestJob{At: testNow}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := third.r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(third.m.Sent()); n != 0 {
		t.Fatalf("a retried job posted %d messages", n)
	}
	if failed := third.q.kinds(store.JobFailed); len(failed) != 0 {
		t.Fatalf("jobs failed: %v", failed)
	}

	// Next week is a new digest.
	if err := third.s.RunDigest(ctx, DigestOptions{Now: testNow.Add(7 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n := len(third.m.Ops("post")); n != 4 {
		t.Fatalf("next week posted %d messages, want 4", n)
	}
}

// TestDigestPartInFlightIsNotRepeated: a part a crashed run left "sending"
// may already be in Slack, so it is never posted again.
func TestDigestPartInFlightIsNotRepeated(t *testing.T) {
	h := newHarness(t)
	st := h.Store
	if _, err := st.PutRecord(context.Background(), store.Record{Kind: KindDigestPart, ID: "team|group:default/checkout|2026-W49|summary", State: partSending}); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{harness: h})
	if err := f.s.RunDigest(context.Background(), DigestOptions{Now: testNow}); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.m.Ops("post") {
		if s.Channel == "#team-checkout" {
			t.Fatal("a part left in flight was posted again")
		}
	}
	if len(postsTo(f.m, "#team-payments")) != 2 {
		t.Fatal("other teams' digests were not posted")
	}
}

func TestRegisterWithScheduler(t *testing.T) {
	cfg, err := ParseConfig([]byte(`teams:
  payments: {timezone: Europe/Berlin}
  reports: {schedule: "30 8 * * 2", channel: "#reports-digest"}
  checkout: {skip: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{config: cfg})
	sch := bot.NewScheduler(f.r.Worker(), quietLogger())
	reg := bot.NewRegistry(f.r, sch)
	if err := reg.Install(f.s); err != nil {
		t.Fatal(err)
	}
	// The team digests are one per-team job: the default entry, and an entry
	// of its own for each team with its own schedule or zone.
	var got []string
	for _, e := range reg.Schedules() {
		got = append(got, e.Kind+" "+e.Spec+" "+e.Loc.String())
	}
	want := []string{
		JobDigestDefault + " 0 9 * * 1 UTC",
		JobDigestOrg + " 0 9 * * 1 UTC",
		JobDigestTeam + "group:default/payments 0 9 * * 1 Europe/Berlin",
		JobDigestTeam + "group:default/reports 30 8 * * 2 UTC",
		JobRefresh + " 0 5 * * * UTC",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("schedules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := f.s.defaultScheduleTeams(); len(got) != 0 {
		t.Fatalf("default-schedule teams = %v (payments and reports have their own, checkout is skipped)", got)
	}
	if ch := f.s.teamChannel("group:default/reports"); ch != "#reports-digest" {
		t.Fatalf("reports channel = %q", ch)
	}
	// The per-team job digests that team only.
	if _, err := f.r.Enqueue(context.Background(), bot.JobSpec{Kind: JobDigestTeam + "group:default/reports", Payload: bot.TeamRun{At: testNow, Team: "group:default/reports"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Worker().RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(postsTo(f.m, "#reports-digest")) != 2 || len(f.m.Sent()) != 2 {
		t.Fatalf("team job posted %d: %+v", len(f.m.Sent()), f.m.Sent())
	}
	// A team digest job queued before team digests were a per-team job
	// has the team's kind and a payload without the team ({"at": ...}):
	// it still digests that team (here the next week's).
	f.m.Reset()
	if _, err := f.r.Enqueue(context.Background(), bot.JobSpec{Kind: JobDigestTeam + "group:default/reports", Payload: digestJob{At: testNow.Add(7 * 24 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Worker().RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(postsTo(f.m, "#reports-digest")) != 2 || len(f.m.Sent()) != 2 {
		t.Fatalf("old-shape team job posted %d: %+v", len(f.m.Sent()), f.m.Sent())
	}
	if _, err := New(Config{Digest: DigestConfig{Schedule: "every monday"}}, Deps{Catalog: catalogtest.New(t), Store: newHarness(t).Store}); err == nil {
		t.Fatal("a bad cron spec was accepted")
	}
	if _, err := New(Config{Teams: map[string]TeamConfig{"x": {Timezone: "Mars/Olympus"}}}, Deps{Catalog: catalogtest.New(t), Store: newHarness(t).Store}); err == nil {
		t.Fatal("a bad time zone was accepted")
	}
}
