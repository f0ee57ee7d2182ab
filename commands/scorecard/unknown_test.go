package scorecard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest"

	"github.com/platbot/platbot/commands/scorecard/chart"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/integrations/github"
)

// outage serves the example facts, except that GitHub cannot be read for
// the services in github and no source at all for those in all.
type outage struct {
	p           facts.Providers
	mu          sync.Mutex
	github, all map[string]bool
}

func newOutage(t *testing.T, clk *bottest.Clock, github, all []string) *outage {
	t.Helper()
	ef, err := facts.LoadExampleFacts(exampleFactsPath, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	o := &outage{p: ef.Providers()}
	o.set(github, all)
	return o
}

func (o *outage) set(github, all []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.github, o.all = map[string]bool{}, map[string]bool{}
	for _, n := range github {
		o.github[n] = true
	}
	for _, n := range all {
		o.all[n] = true
	}
}

func (o *outage) down(s facts.Subject, src grade.Source) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := s.Entity.Metadata.Name; o.all[n] || (src == grade.SourceGitHub && o.github[n]) {
		return fmt.Errorf("503 service unavailable")
	}
	return nil
}

func (o *outage) RepoFacts(ctx context.Context, s facts.Subject) (grade.RepoFacts, error) {
	if err := o.down(s, grade.SourceGitHub); err != nil {
		return grade.RepoFacts{}, err
	}
	return o.p.Repo.RepoFacts(ctx, s)
}

func (o *outage) OnCallFacts(ctx context.Context, s facts.Subject) (grade.OnCallFacts, error) {
	if err := o.down(s, grade.SourceOnCall); err != nil {
		return grade.OnCallFacts{}, err
	}
	return o.p.OnCall.OnCallFacts(ctx, s)
}

func (o *outage) DeployFacts(ctx context.Context, s facts.Subject) (grade.DeployFacts, error) {
	if err := o.down(s, grade.SourceDeploys); err != nil {
		return grade.DeployFacts{}, err
	}
	return o.p.Deploys.DeployFacts(ctx, s)
}

func (o *outage) VulnFacts(ctx context.Context, s facts.Subject) (grade.VulnFacts, error) {
	if err := o.down(s, grade.SourceVulns); err != nil {
		return grade.VulnFacts{}, err
	}
	return o.p.Vulns.VulnFacts(ctx, s)
}

func (o *outage) providers() *facts.Providers {
	return &facts.Providers{Repo: o, OnCall: o, Deploys: o, Vulns: o}
}

// allUnknown is the order the gate names checkout-service's four unknown
// default checks in: most severe first, then as declared.
const allUnknown = "no-critical-cves, has-on-call, has-readme-runbook, deploys-recently"

// unknownGateFixture is a scorecard whose facts have the outage, with the
// GitHub REST fake serving pull requests that move checkout-service (#15)
// and payments-service (#13) to production.
func unknownGateFixture(t *testing.T, cfg Config, github_, all []string) (*fixture, *fakeGitHub) {
	t.Helper()
	ents := seedEntities()
	for _, e := range ents {
		if e.Metadata.Name == "checkout-service" || e.Metadata.Name == "payments-service" {
			e.Spec["lifecycle"] = "experimental"
		}
	}
	fake := &fakeGitHub{
		files: map[int][]map[string]any{
			13: {{"filename": "teams/payments/catalog-info.yaml", "status": "modified"}},
			15: {{"filename": "catalog/checkout.yaml", "status": "modified"}},
		},
		contents: map[string]string{
			"teams/payments/catalog-info.yaml@sha-13": prPayments,
			"catalog/checkout.yaml@sha-15":            "kind: Component\nmetadata: {name: checkout-service}\nspec: {lifecycle: production, owner: checkout}\n",
		},
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	gh, err := github.New(srv.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	cfg.Gate.Repos = []string{"acme/catalog"}
	f := newFixture(t, fixtureOptions{entities: ents, config: cfg, harness: h, providers: newOutage(t, h.Clock, github_, all).providers()})
	f.s.gh = gh
	return f, fake
}

// gatePR delivers a signed pull_request event, runs the gate job and
// returns the commit status it set.
func gatePR(t *testing.T, f *fixture, fake *fakeGitHub, number int) (state, desc string) {
	t.Helper()
	body := prEvent(number, fmt.Sprintf("sha-%d", number), "acme/catalog")
	if rec := postHook(t, f.s.WebhookHandler(), "pull_request", body, sign("whsec", body)); rec.Code != http.StatusAccepted {
		t.Fatalf("delivery of #%d: %d %s", number, rec.Code, rec.Body)
	}
	if _, err := f.r.Worker().RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := fake.lastStatus()
	if st == nil || st["sha"] != fmt.Sprintf("sha-%d", number) {
		t.Fatalf("no commit status for #%d: %v", number, st)
	}
	state, _ = st["state"].(string)
	desc, _ = st["description"].(string)
	return state, desc
}

// TestUnknownNeverPasses: a service none of whose checks could be read (0
// passing, 4 unknown) is not graded A, is shown as "?", and may not go to
// production; a service with one unknown check is "A (incomplete)" and is
// held back naming that check.
func TestUnknownNeverPasses(t *testing.T) {
	// The catalog conventions read only the catalog, which is always known:
	// without them "nothing known" is what the gathered sources say.
	f, fake := unknownGateFixture(t, Config{NoConventionChecks: true}, []string{"payments-service"}, []string{"checkout-service"})

	r := f.score(t, "checkout-service")
	if r.Count(grade.StatusPass) != 0 || r.Count(grade.StatusUnknown) != 4 {
		t.Fatalf("checkout-service: %d passing, %d unknown; want 0 and 4", r.Count(grade.StatusPass), r.Count(grade.StatusUnknown))
	}
	if r.Grade == grade.GradeA || r.Grade != grade.GradeUnknown || !r.Incomplete || r.RequiredGrade != grade.GradeUnknown || r.Label() != "?" {
		t.Fatalf("checkout-service with nothing known: grade %s (incomplete %v), required %s", r.Grade, r.Incomplete, r.RequiredGrade)
	}
	out := f.run(t, "U1", "scorecard checkout-service")
	for _, want := range []string{"checkout-service — grade ?", "Grade unknown:* no counted check could be read", "0 passing · 0 failing · 4 unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("scorecard reply lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "grade A") {
		t.Errorf("a service with nothing known is shown as A:\n%s", out)
	}
	v := f.s.Gate(r)
	if v.Pass || !strings.Contains(v.Summary(), "unknown: "+allUnknown) {
		t.Fatalf("gate of checkout-service: pass %v, %q", v.Pass, v.Summary())
	}
	out = f.run(t, "U1", "scorecard gate checkout-service")
	for _, want := range []string{"⛔ checkout-service may not be in production: grade ? on required checks", "Unknown: " + allUnknown, "not a pass"} {
		if !strings.Contains(out, want) {
			t.Errorf("gate reply lacks %q:\n%s", want, out)
		}
	}
	// The commit status of a pull request that moves it to production.
	state, desc := gatePR(t, f, fake, 15)
	if state != github.StatusFailure || !strings.Contains(desc, "checkout-service: grade ? on required checks, needs B; unknown: "+allUnknown) {
		t.Fatalf("status for #15: %s %q", state, desc)
	}

	// One unknown check beside three passing ones: A, but incomplete, and
	// the gate names the unknown check.
	p := f.score(t, "payments-service")
	if p.Grade != grade.GradeA || !p.Incomplete || p.Label() != "A (incomplete)" {
		t.Fatalf("payments-service with GitHub down: %s (incomplete %v)", p.Grade, p.Incomplete)
	}
	out = f.run(t, "U1", "scorecard payments-service")
	for _, want := range []string{"payments-service — grade A (incomplete)", "Incomplete:* 1 counted check is unknown (`has-readme-runbook`)"} {
		if !strings.Contains(out, want) {
			t.Errorf("scorecard reply lacks %q:\n%s", want, out)
		}
	}
	out = f.run(t, "U1", "scorecard gate payments-service")
	if !strings.Contains(out, "⛔ payments-service may not be in production: grade A (incomplete) on required checks (needs B). Unknown: has-readme-runbook") {
		t.Errorf("gate reply:\n%s", out)
	}
	state, desc = gatePR(t, f, fake, 13)
	if state != github.StatusFailure || desc != "payments-service: grade A (incomplete) on required checks; unknown: has-readme-runbook" {
		t.Fatalf("status for #13: %s %q", state, desc)
	}

	// Team and org views show the same.
	out = f.run(t, "U1", "scorecard team payments")
	if !strings.Contains(out, "payments-service  A (incomplete)") || !strings.Contains(out, "1 incomplete (unknown checks)") {
		t.Errorf("team reply:\n%s", out)
	}
	out = f.run(t, "U1", "scorecard team checkout")
	if !strings.Contains(out, "checkout-service  ?") || !strings.Contains(out, "1 incomplete (unknown checks), 1 of them graded ?") {
		t.Errorf("team reply:\n%s", out)
	}
	out = f.run(t, "U1", "scorecard org")
	if row := tableRow(out, "all"); row != "all 3 1 0 0 1 0 2.5 33% 1 2" {
		t.Errorf("org total row = %q:\n%s", row, out)
	}
}

// tableRow returns the row of a monospace table starting with first, its
// cells separated by single spaces.
func tableRow(text, first string) string {
	for _, l := range strings.Split(text, "\n") {
		if fs := strings.Fields(l); len(fs) > 0 && fs[0] == first {
			return strings.Join(fs, " ")
		}
	}
	return ""
}

// TestUnknownAsPassLetsGatePass: an admin marks has-readme-runbook
// `unknownAs: pass`; while GitHub is down the gate then passes
// payments-service (showing the grade as incomplete and naming the check),
// and the other unknown checks still block.
func TestUnknownAsPassLetsGatePass(t *testing.T) {
	cfg, err := ParseConfig([]byte(`checks:
  - id: has-readme-runbook
    title: README has a runbook
    severity: medium
    phase: required
    rule: github.readme.contains("## Runbook")
    unknownAs: pass
`))
	if err != nil {
		t.Fatal(err)
	}
	f, fake := unknownGateFixture(t, cfg, []string{"payments-service"}, []string{"checkout-service"})
	if len(f.s.Checks().Errors) > 0 {
		t.Fatal(f.s.Checks().Errors)
	}
	p := f.score(t, "payments-service")
	if v := f.s.Gate(p); !v.Pass || len(v.Unknown) != 0 || len(v.UnknownAllowed) != 1 {
		t.Fatalf("gate with unknownAs: pass: %+v", v)
	}
	out := f.run(t, "U1", "scorecard gate payments-service")
	for _, want := range []string{"✅ payments-service may be in production: grade A (incomplete) on required checks", "passed by the check's `unknownAs: pass`", "has-readme-runbook"} {
		if !strings.Contains(out, want) {
			t.Errorf("gate reply lacks %q:\n%s", want, out)
		}
	}
	state, desc := gatePR(t, f, fake, 13)
	if state != github.StatusSuccess || desc != "payments-service: grade A (incomplete) on required checks (unknown, passed by unknownAs: has-readme-runbook)" {
		t.Fatalf("status for #13: %s %q", state, desc)
	}
	// The scorecard still says the grade is incomplete.
	if out := f.run(t, "U1", "scorecard payments-service"); !strings.Contains(out, "grade A (incomplete)") {
		t.Errorf("scorecard reply:\n%s", out)
	}
	// checkout-service: the other three unknown checks still block.
	state, desc = gatePR(t, f, fake, 15)
	if state != github.StatusFailure || !strings.HasSuffix(desc, "unknown: no-critical-cves, has-on-call, deploys-recently") {
		t.Fatalf("status for #15: %s %q", state, desc)
	}
}

// TestUnknownAsValidated: unknownAs takes pass or fail (default fail); any
// other value keeps the check from loading, reported with its id.
func TestUnknownAsValidated(t *testing.T) {
	specs, perrs := grade.ParseChecks([]byte(`checks:
  - id: lenient
    severity: low
    rule: github.codeowners
    unknownAs: pass
  - id: strict
    severity: low
    rule: github.codeowners
    unknownAs: fail
  - id: default
    severity: low
    rule: github.codeowners
  - id: vague
    severity: low
    rule: github.codeowners
    unknownAs: maybe
`))
	cs := grade.CompileChecks(specs)
	if len(perrs) > 0 || len(cs.Errors) != 1 {
		t.Fatalf("errors: %v %v", perrs, cs.Errors)
	}
	if msg := cs.Errors[0].Error(); !strings.Contains(msg, "vague") || !strings.Contains(msg, `unknownAs "maybe" is not pass or fail`) {
		t.Fatalf("error = %q", msg)
	}
	for id, want := range map[string]bool{"lenient": true, "strict": false, "default": false} {
		c, ok := cs.Get(id)
		if !ok || c.UnknownPasses() != want {
			t.Errorf("%s: loaded %v, unknown passes %v; want %v", id, ok, ok && c.UnknownPasses(), want)
		}
	}

	// In the config, the bad check is listed by /plat scorecard checks and
	// the lenient one says so.
	cfg, err := ParseConfig([]byte(`checks:
  - id: vague
    severity: low
    rule: github.codeowners
    unknownAs: sometimes
  - id: lenient
    severity: low
    rule: github.codeowners
    unknownAs: pass
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{config: cfg})
	out := f.run(t, "U1", "scorecard checks")
	for _, want := range []string{"did not load", "check vague (config): unknownAs \"sometimes\" is not pass or fail", "`lenient`", "unknownAs: pass"} {
		if !strings.Contains(out, want) {
			t.Errorf("/plat scorecard checks lacks %q:\n%s", want, out)
		}
	}

	// The old gate.failOnUnknown: true is what happens now; false is refused.
	yes, no := true, false
	if err := (Config{Gate: GateConfig{FailOnUnknown: &yes}}).Validate(); err != nil {
		t.Errorf("failOnUnknown: true refused: %v", err)
	}
	if err := (Config{Gate: GateConfig{FailOnUnknown: &no}}).Validate(); err == nil || !strings.Contains(err.Error(), "unknownAs: pass") {
		t.Errorf("failOnUnknown: false: %v", err)
	}
}

// TestDigestCountsIncomplete: the weekly digest says how many services are
// incomplete per team and in the org roll-up, shows their grades as such,
// draws them in the chart, and keeps the mark in history for next week.
func TestDigestCountsIncomplete(t *testing.T) {
	h := newHarness(t)
	seedHistory(t, h.Store)
	out := newOutage(t, h.Clock, []string{"payments-service"}, []string{"checkout-service"})
	f := newFixture(t, fixtureOptions{harness: h, providers: out.providers()})
	if err := f.s.RunDigest(context.Background(), DigestOptions{Now: testNow}); err != nil {
		t.Fatal(err)
	}

	pay := postsTo(f.m, "#team-payments")
	if len(pay) != 2 {
		t.Fatalf("payments channel got %d posts", len(pay))
	}
	text := pay[0].Text()
	for _, want := range []string{"payments-service  A (incomplete)", "1 of 1 services at B or better · 1 incomplete (unknown checks)", "No grade changed."} {
		if !strings.Contains(text, want) {
			t.Errorf("payments digest lacks %q:\n%s", want, text)
		}
	}
	if !hasColour(t, pay[1].File.Content, chart.Color(grade.GradeA, true)) {
		t.Error("the payments chart does not draw the incomplete A")
	}
	chk := postsTo(f.m, "#team-checkout")
	if text := chk[0].Text(); !strings.Contains(text, "checkout-service  ?") || !strings.Contains(text, "1 incomplete (unknown checks), 1 of them graded ?") {
		t.Errorf("checkout digest:\n%s", text)
	}
	if !hasColour(t, chk[1].File.Content, chart.Color(grade.GradeUnknown, false)) {
		t.Error("the checkout chart does not draw the ? grade")
	}
	if text := postsTo(f.m, "#team-reports")[0].Text(); !strings.Contains(text, "· 0 incomplete (unknown checks)") {
		t.Errorf("reports digest:\n%s", text)
	}
	org := postsTo(f.m, "#platform")[0].Text()
	for first, want := range map[string]string{
		"checkout": "checkout 1 0 0 0 0 0 0.0 0% 1 1",
		"payments": "payments 1 1 0 0 0 0 4.0 100% 0 1",
		"reports":  "reports 1 0 0 0 1 0 1.0 0% 0 0",
		"all":      "all 3 1 0 0 1 0 2.5 33% 1 2",
	} {
		if row := tableRow(org, first); row != want {
			t.Errorf("org row %s = %q, want %q", first, row, want)
		}
	}
	if !strings.Contains(org, "3 services · 2 incomplete (unknown checks), 1 of them graded ?") {
		t.Errorf("org digest does not count incomplete services:\n%s", org)
	}

	// History keeps the mark: next week, with GitHub back, payments-service
	// moves from "A (incomplete)" to B.
	pts, _ := h.Store.LatestPoints(context.Background(), SeriesGrade, testNow)
	got := map[string]string{}
	for _, p := range pts {
		var v historyValue
		_ = json.Unmarshal(p.Value, &v)
		got[shortRef(p.Key)] = v.label()
	}
	if got["payments-service"] != "A (incomplete)" || got["checkout-service"] != "?" || got["reports-service"] != "D" {
		t.Fatalf("history = %v", got)
	}
	out.set(nil, nil)
	next := testNow.Add(7 * 24 * time.Hour)
	h.Clock.Set(next)
	if err := f.s.RunDigest(context.Background(), DigestOptions{Now: next, Team: "payments"}); err != nil {
		t.Fatal(err)
	}
	pay = postsTo(f.m, "#team-payments")
	if text := pay[len(pay)-2].Text(); !strings.Contains(text, "↓ payments-service A (incomplete) → B") {
		t.Errorf("next week's payments digest:\n%s", text)
	}
}

// hasColour reports whether a PNG has a patch of the colour.
func hasColour(t *testing.T, b []byte, c interface{ RGBA() (r, g, b, a uint32) }) bool {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	wr, wg, wb, _ := c.RGBA()
	n := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r>>8 == wr>>8 && g>>8 == wg>>8 && b>>8 == wb>>8 {
				n++
			}
		}
	}
	return n > 20
}
