package scorecard

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestGradeFor(t *testing.T) {
	tests := []struct {
		demerits int
		critical bool
		want     Grade
	}{
		{0, false, GradeA}, {1, false, GradeA}, {2, false, GradeB}, {3, false, GradeB},
		{4, false, GradeC}, {7, false, GradeC}, {8, false, GradeD}, {15, false, GradeD},
		{16, false, GradeF}, {40, false, GradeF},
		// The critical cap: never better than D with a failing critical check.
		{0, true, GradeD}, {8, true, GradeD}, {14, true, GradeD}, {16, true, GradeF},
	}
	for _, tt := range tests {
		if got := GradeFor(tt.demerits, tt.critical); got != tt.want {
			t.Errorf("GradeFor(%d, %v) = %s, want %s", tt.demerits, tt.critical, got, tt.want)
		}
	}
}

func TestGradeTable(t *testing.T) {
	res := func(checks ...CheckResult) []CheckResult { return checks }
	c := func(sev Severity, ph Phase, st Status) CheckResult {
		return CheckResult{ID: string(sev) + string(ph) + string(st), Severity: sev, Phase: ph, Status: st}
	}
	unknownAsPass := func(cr CheckResult) CheckResult { cr.UnknownAs = StatusPass; return cr }
	tests := []struct {
		name          string
		checks        []CheckResult
		want, wantReq Grade
		demerits      int
		// incomplete and reqIncomplete: some counted (required) check is unknown.
		incomplete, reqIncomplete bool
	}{
		{"all pass", res(c(SeverityCritical, PhaseRequired, StatusPass), c(SeverityHigh, PhaseRequired, StatusPass)), GradeA, GradeA, 0, false, false},
		{"one low gap", res(c(SeverityLow, PhaseRequired, StatusFail)), GradeA, GradeA, 1, false, false},
		{"one medium gap", res(c(SeverityMedium, PhaseRequired, StatusFail)), GradeB, GradeB, 2, false, false},
		{"one high gap", res(c(SeverityHigh, PhaseHighlighted, StatusFail)), GradeC, GradeA, 4, false, false},
		{"critical caps", res(c(SeverityCritical, PhaseRequired, StatusFail)), GradeD, GradeD, 8, false, false},
		// Until unknown checks were made incomplete, this row was A/A: an
		// unknown check passed silently.
		{"only unknown is ?", res(c(SeverityCritical, PhaseRequired, StatusUnknown)), GradeUnknown, GradeUnknown, 0, true, true},
		{"unknown beside a pass is incomplete", res(c(SeverityCritical, PhaseRequired, StatusUnknown), c(SeverityHigh, PhaseRequired, StatusPass)), GradeA, GradeA, 0, true, true},
		{"unknown beside a gap is incomplete", res(c(SeverityHigh, PhaseRequired, StatusUnknown), c(SeverityMedium, PhaseRequired, StatusFail)), GradeB, GradeB, 2, true, true},
		{"unknownAs pass is known to the gate only", res(unknownAsPass(c(SeverityCritical, PhaseRequired, StatusUnknown))), GradeUnknown, GradeA, 0, true, true},
		{"unknown highlighted check leaves the required grade complete", res(c(SeverityHigh, PhaseHighlighted, StatusUnknown), c(SeverityHigh, PhaseRequired, StatusPass)), GradeA, GradeA, 0, true, false},
		{"unknown visible check does not count", res(c(SeverityHigh, PhaseVisible, StatusUnknown), c(SeverityHigh, PhaseRequired, StatusPass)), GradeA, GradeA, 0, false, false},
		{"waived counts as pass", res(c(SeverityCritical, PhaseRequired, StatusWaived)), GradeA, GradeA, 0, false, false},
		{"visible does not count", res(c(SeverityCritical, PhaseVisible, StatusFail)), GradeA, GradeA, 0, false, false},
		{"many gaps fail", res(c(SeverityCritical, PhaseRequired, StatusFail), c(SeverityCritical, PhaseHighlighted, StatusFail)), GradeF, GradeD, 16, false, false},
	}
	for _, tt := range tests {
		g, d, inc := grade(tt.checks, false)
		rg, _, rinc := grade(tt.checks, true)
		if g != tt.want || rg != tt.wantReq || d != tt.demerits || inc != tt.incomplete || rinc != tt.reqIncomplete {
			t.Errorf("%s: grade %s (%d demerits, incomplete %v), required %s (incomplete %v); want %s (%d, %v), %s (%v)",
				tt.name, g, d, inc, rg, rinc, tt.want, tt.demerits, tt.incomplete, tt.wantReq, tt.reqIncomplete)
		}
	}
}

func TestGradeLabel(t *testing.T) {
	for _, tt := range []struct {
		g          Grade
		incomplete bool
		want       string
	}{{GradeA, false, "A"}, {GradeA, true, "A (incomplete)"}, {GradeD, true, "D (incomplete)"}, {GradeUnknown, true, "?"}} {
		if got := tt.g.Label(tt.incomplete); got != tt.want {
			t.Errorf("%s.Label(%v) = %q, want %q", tt.g, tt.incomplete, got, tt.want)
		}
	}
	if GradeUnknown.AtLeast(GradeF) || Arrow(GradeUnknown, GradeA) != "" {
		t.Error(`"?" must rank below every letter and never move`)
	}
}

// TestSeedTable is the seed's table: with the example facts, checkout-service
// is A with no open gaps, payments-service B (missing runbook), and
// reports-service D (no on-call, stale deploy, 2 critical CVEs).
func TestSeedTable(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	want := map[string]struct {
		grade Grade
		gaps  []string
	}{
		"checkout-service": {GradeA, nil},
		"payments-service": {GradeB, []string{"has-readme-runbook"}},
		"reports-service":  {GradeD, []string{"deploys-recently", "has-on-call", "no-critical-cves"}},
	}
	for name, w := range want {
		r := f.score(t, name)
		if r.Grade != w.grade || !reflect.DeepEqual(gapIDs(r), w.gaps) {
			t.Errorf("%s: grade %s gaps %v, want %s %v", name, r.Grade, gapIDs(r), w.grade, w.gaps)
		}
		if n := r.Count(StatusUnknown); n != 0 {
			t.Errorf("%s: %d unknown checks with example facts", name, n)
		}
	}
}

// TestSeedTableOnExamplesCatalog grades the real examples/catalog with the
// example facts and the example checks file.
func TestSeedTableOnExamplesCatalog(t *testing.T) {
	ents := loadExampleCatalog(t)
	f := newFixture(t, fixtureOptions{entities: ents, config: Config{CheckFiles: []string{"../../examples/scorecard/checks.yaml"}}})
	if len(f.s.Checks().Errors) > 0 {
		t.Fatalf("example checks: %v", f.s.Checks().Errors)
	}
	rs, err := f.s.ScoreAll(context.Background(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*Result{}
	for _, r := range rs {
		got[r.Name] = r
		if n := r.Count(StatusUnknown); n != 0 {
			t.Errorf("%s has %d unknown checks: example facts should cover every component", r.Name, n)
		}
	}
	for name, want := range map[string]Grade{"checkout-service": GradeA, "payments-service": GradeB, "reports-service": GradeD} {
		r := got[name]
		if r == nil {
			t.Fatalf("%s not in examples/catalog", name)
		}
		if r.Grade != want {
			t.Errorf("%s: grade %s, want %s (gaps %v)", name, r.Grade, want, gapIDs(r))
		}
	}
	if g := gapIDs(got["checkout-service"]); len(g) != 0 {
		t.Errorf("checkout-service gaps = %v, want none", g)
	}
	if g := gapIDs(got["payments-service"]); !reflect.DeepEqual(g, []string{"has-readme-runbook"}) {
		t.Errorf("payments-service gaps = %v", g)
	}
	if g := gapIDs(got["reports-service"]); !reflect.DeepEqual(g, []string{"deploys-recently", "has-on-call", "no-critical-cves"}) {
		t.Errorf("reports-service gaps = %v", g)
	}
}

func TestDefaultChecksCompile(t *testing.T) {
	cs := CompileChecks(DefaultChecks())
	if len(cs.Errors) > 0 {
		t.Fatal(cs.Errors)
	}
	if got := cs.IDs(); !reflect.DeepEqual(got, []string{"deploys-recently", "has-on-call", "has-readme-runbook", "no-critical-cves"}) {
		t.Fatalf("default checks = %v", got)
	}
	for _, c := range cs.Checks {
		if c.Phase.At(testNow) != PhaseRequired {
			t.Errorf("%s is %s, want required", c.ID, c.Phase.At(testNow))
		}
	}
}

func TestCELCompileErrors(t *testing.T) {
	yml := `checks:
  - id: good
    severity: low
    rule: github.codeowners
  - id: syntax
    severity: low
    rule: github.readme.contains(
  - id: not-bool
    severity: low
    rule: vulns.critical + 1
  - id: no-such-field
    severity: high
    rule: github.licence == "MIT"
  - id: bad-severity
    severity: urgent
    rule: "true"
  - id: filter-reads-facts
    severity: low
    rule: "true"
    filter: github.codeowners
  - id: bad-phase
    severity: low
    rule: "true"
    phase: mandatory from 2027-01-01
  - id: also-good
    severity: medium
    rule: vulns.critical == 0
    filter: entity.type == "service"
`
	specs, perrs := ParseChecks([]byte(yml))
	cs := CompileChecks(specs)
	errs := append(perrs, cs.Errors...)
	if got := cs.IDs(); !reflect.DeepEqual(got, []string{"also-good", "good"}) {
		t.Fatalf("loaded = %v, want the two good ones (errors %v)", got, errs)
	}
	byID := map[string]string{}
	for _, e := range errs {
		byID[e.ID] = e.Error()
	}
	for id, frag := range map[string]string{
		"syntax":             "Syntax error",
		"not-bool":           "must be a bool",
		"no-such-field":      "licence",
		"bad-severity":       "not low, medium, high or critical",
		"filter-reads-facts": "undeclared reference to 'github'",
		"bad-phase":          "mandatory",
	} {
		msg, ok := byID[id]
		if !ok {
			t.Errorf("%s: no error reported", id)
			continue
		}
		if !strings.Contains(msg, id) || !strings.Contains(msg, frag) {
			t.Errorf("%s: error %q should name the check and contain %q", id, msg, frag)
		}
	}
}

func TestBadConfigCheckStillRunsOthers(t *testing.T) {
	cfg, err := ParseConfig([]byte(`checks:
  - id: broken
    severity: low
    rule: "github.readme.contains(1)"
  - id: bad-phase
    severity: low
    rule: "true"
    phase: [sometimes]
  - id: fine
    severity: low
    rule: github.codeowners
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{config: cfg})
	ids := f.s.Checks().IDs()
	if !reflect.DeepEqual(ids, []string{"deploys-recently", "fine", "has-on-call", "has-readme-runbook", "no-critical-cves"}) {
		t.Fatalf("loaded checks = %v", ids)
	}
	out := f.run(t, "U1", "scorecard checks")
	for _, want := range []string{"broken", "found no matching overload", "bad-phase", "sometimes", "did not load"} {
		if !strings.Contains(out, want) {
			t.Errorf("/plat scorecard checks does not mention %q:\n%s", want, out)
		}
	}
	if r := f.score(t, "checkout-service"); statusOf(r, "fine") != StatusPass {
		t.Errorf("the good config check did not run: %+v", r.Checks)
	}
}

func TestPhaseSchedule(t *testing.T) {
	ps, err := ParsePhaseSchedule("visible; highlighted from 2027-01-01; required from 2027-03-01")
	if err != nil {
		t.Fatal(err)
	}
	for at, want := range map[string]Phase{
		"2026-12-31": PhaseVisible, "2027-01-01": PhaseHighlighted, "2027-02-28": PhaseHighlighted, "2027-03-01": PhaseRequired,
	} {
		d, _ := time.Parse("2006-01-02", at)
		if got := ps.At(d); got != want {
			t.Errorf("At(%s) = %s, want %s", at, got, want)
		}
	}
	only, _ := ParsePhaseSchedule("highlighted from 2027-01-01")
	if only.At(testNow) != PhaseVisible || only.At(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)) != PhaseHighlighted {
		t.Errorf("a dated-only schedule is visible before its date: %v", only)
	}
	if (PhaseSchedule{}).At(testNow) != PhaseHighlighted {
		t.Error("an empty schedule means highlighted")
	}
	for _, bad := range []string{"sometimes", "required from tomorrow", "visible; required", "required after 2027-01-01"} {
		if _, err := ParsePhaseSchedule(bad); err == nil {
			t.Errorf("ParsePhaseSchedule(%q) accepted", bad)
		}
	}
	var cs []CheckSpec
	specs, errs := ParseChecks([]byte("- id: x\n  severity: low\n  rule: \"true\"\n  phase:\n    - visible\n    - {phase: required, from: 2027-06-01}\n"))
	cs = append(cs, specs...)
	if len(errs) > 0 || len(cs) != 1 || cs[0].Phase.At(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)) != PhaseRequired {
		t.Fatalf("list form: %+v %v", cs, errs)
	}
}

// TestPhasesOverTime: a highlighted-from check does not count before its
// date and counts after; a visible one never counts; only required checks
// gate.
func TestPhasesOverTime(t *testing.T) {
	cfg, err := ParseConfig([]byte(`noDefaultChecks: true
checks:
  - id: runbook
    severity: high
    rule: github.readme.contains("## Runbook")
    phase: visible; highlighted from 2027-01-01; required from 2027-03-01
  - id: cves
    severity: low
    rule: vulns.critical == 0
    phase: visible
`))
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock(testNow)
	f := newFixture(t, fixtureOptions{config: cfg, clock: clk})
	steps := []struct {
		at        time.Time
		phase     Phase
		grade     Grade
		gatePass  bool
		gapsShown int
	}{
		{testNow, PhaseVisible, GradeA, true, 0},
		{time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC), PhaseHighlighted, GradeC, true, 1},
		{time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC), PhaseRequired, GradeC, false, 1},
	}
	for _, st := range steps {
		clk.Set(st.at)
		r := f.score(t, "payments-service")
		var runbook CheckResult
		for _, c := range r.Checks {
			if c.ID == "runbook" {
				runbook = c
			}
		}
		if runbook.Phase != st.phase || runbook.Status != StatusFail {
			t.Errorf("%s: runbook %s/%s, want %s/fail", st.at.Format("2006-01-02"), runbook.Phase, runbook.Status, st.phase)
		}
		if r.Grade != st.grade || len(r.Gaps()) != st.gapsShown {
			t.Errorf("%s: grade %s gaps %d, want %s %d", st.at.Format("2006-01-02"), r.Grade, len(r.Gaps()), st.grade, st.gapsShown)
		}
		if v := f.s.Gate(r); v.Pass != st.gatePass {
			t.Errorf("%s: gate pass %v, want %v (%s)", st.at.Format("2006-01-02"), v.Pass, st.gatePass, v.Summary())
		}
		// cves is visible: reports-service fails it (and has a runbook), yet
		// it never counts.
		rr := f.score(t, "reports-service")
		if statusOf(rr, "cves") != StatusFail || rr.Demerits != 0 || rr.Grade != GradeA {
			t.Errorf("%s: visible check counted for reports-service: %+v", st.at.Format("2006-01-02"), rr)
		}
	}
}

// failingProvider fails, or blocks until its context ends.
type failingProvider struct {
	calls atomic.Int32
	block bool
	// noDeadline counts calls whose context had no deadline.
	noDeadline atomic.Int32
}

func (p *failingProvider) RepoFacts(ctx context.Context, _ Subject) (RepoFacts, error) {
	p.calls.Add(1)
	if _, ok := ctx.Deadline(); !ok {
		p.noDeadline.Add(1)
	}
	if p.block {
		<-ctx.Done()
		return RepoFacts{}, ctx.Err()
	}
	return RepoFacts{}, errors.New("github: 502 bad gateway")
}

func TestUnknownFacts(t *testing.T) {
	ef, err := LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	down := &failingProvider{}
	provs := ef.Providers()
	provs.Repo = down
	provs.Vulns = nil // not configured
	f := newFixture(t, fixtureOptions{providers: &provs})
	r := f.score(t, "payments-service")
	if st := statusOf(r, "has-readme-runbook"); st != StatusUnknown {
		t.Fatalf("runbook check with GitHub down = %s, want unknown", st)
	}
	if st := statusOf(r, "no-critical-cves"); st != StatusUnknown {
		t.Fatalf("CVE check without a provider = %s, want unknown", st)
	}
	if r.Grade != GradeA || len(r.Gaps()) != 0 {
		t.Fatalf("unknown checks counted: grade %s gaps %v", r.Grade, gapIDs(r))
	}
	for _, c := range r.Checks {
		if c.ID == "has-readme-runbook" && !strings.Contains(c.Reason, "502") {
			t.Errorf("unknown reason = %q", c.Reason)
		}
	}
	out := f.run(t, "U1", "scorecard payments-service")
	if !strings.Contains(out, "Unknown: github: github: 502 bad gateway") || !strings.Contains(out, "❔") {
		t.Errorf("scorecard does not show the unknown check:\n%s", out)
	}
	// Failures are cached briefly: a second look within a minute does not
	// ask GitHub again; after the TTL it does.
	calls := down.calls.Load()
	f.score(t, "payments-service")
	if down.calls.Load() != calls {
		t.Errorf("GitHub asked again within the failure TTL")
	}
	f.clock.Set(testNow.Add(2 * time.Minute))
	f.score(t, "payments-service")
	if down.calls.Load() != calls+1 {
		t.Errorf("GitHub not asked again after the failure TTL")
	}
}

func TestProviderTimeout(t *testing.T) {
	ef, _ := LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	slow := &failingProvider{block: true}
	provs := ef.Providers()
	provs.Repo = slow
	f := newFixture(t, fixtureOptions{providers: &provs, config: Config{Facts: FactsConfig{Timeout: 50 * time.Millisecond}}})
	r := f.score(t, "checkout-service")
	// The provider was asked once, under a context with a deadline (the
	// timeout); the check's reason below names the timeout.
	if n := slow.calls.Load(); n != 1 {
		t.Fatalf("provider calls = %d, want 1", n)
	}
	if n := slow.noDeadline.Load(); n != 0 {
		t.Fatalf("%d provider calls had no deadline", n)
	}
	for _, c := range r.Checks {
		if c.ID == "has-readme-runbook" && (c.Status != StatusUnknown || !strings.Contains(c.Reason, "did not answer within 50ms")) {
			t.Fatalf("timed-out check = %+v", c)
		}
	}
}

func TestFactsCachedWithTTL(t *testing.T) {
	counting := &countingRepo{}
	ef, _ := LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	provs := ef.Providers()
	provs.Repo = counting
	f := newFixture(t, fixtureOptions{providers: &provs, config: Config{Facts: FactsConfig{TTL: 10 * time.Minute}}})
	f.score(t, "checkout-service")
	f.score(t, "checkout-service")
	if counting.calls.Load() != 1 {
		t.Fatalf("calls within TTL = %d, want 1", counting.calls.Load())
	}
	f.clock.Set(testNow.Add(11 * time.Minute))
	f.score(t, "checkout-service")
	if counting.calls.Load() != 2 {
		t.Fatalf("calls after TTL = %d, want 2", counting.calls.Load())
	}
}

type countingRepo struct{ calls atomic.Int32 }

func (c *countingRepo) RepoFacts(context.Context, Subject) (RepoFacts, error) {
	c.calls.Add(1)
	return RepoFacts{Readme: "## Runbook", Workflows: []string{}}, nil
}

func TestRuleRuntimeErrorIsUnknown(t *testing.T) {
	cfg, _ := ParseConfig([]byte(`checks:
  - id: needs-annotation
    severity: high
    rule: entity.annotations["acme.com/tier"] == "1"
`))
	f := newFixture(t, fixtureOptions{config: cfg})
	r := f.score(t, "checkout-service")
	if st := statusOf(r, "needs-annotation"); st != StatusUnknown {
		t.Fatalf("missing map key = %s, want unknown", st)
	}
}

// TestFactCachePruned: expired facts are dropped when new ones are cached,
// and the cache never grows past its cap.
func TestFactCachePruned(t *testing.T) {
	clk := newClock(testNow)
	g := newGatherer(Providers{}, FactsConfig{TTL: 10 * time.Minute, Timeout: time.Second}, clk.Now, quietLogger())
	fetch := func(context.Context) (any, error) { return 1, nil }
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		if _, err := g.cached(ctx, SourceGitHub, fmt.Sprintf("component:default/old-%d", i), fetch); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(g.cache); n != 100 {
		t.Fatalf("cache = %d entries, want 100", n)
	}
	// Past the TTL, caching one new fact sweeps the expired ones.
	clk.Set(testNow.Add(11 * time.Minute))
	if _, err := g.cached(ctx, SourceGitHub, "component:default/new", fetch); err != nil {
		t.Fatal(err)
	}
	if n := len(g.cache); n != 1 {
		t.Fatalf("after the TTL the cache holds %d entries, want 1", n)
	}

	// Live entries beyond the cap make room for new ones.
	g.maxEntries = 20
	for i := 0; i < 50; i++ {
		clk.Set(testNow.Add(11*time.Minute + time.Duration(i)*time.Millisecond))
		if _, err := g.cached(ctx, SourceGitHub, fmt.Sprintf("component:default/live-%d", i), fetch); err != nil {
			t.Fatal(err)
		}
		if n := len(g.cache); n > 20 {
			t.Fatalf("cache grew to %d entries past its cap of 20", n)
		}
	}
	if _, ok := g.cache[string(SourceGitHub)+"|component:default/live-49"]; !ok {
		t.Error("the newest entry was not cached")
	}
}
