package grade

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testNow is the time the tests grade at.
var testNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

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

// TestConventionChecks: each catalog convention fails on the entity that
// misses it and only on it, reads nothing but the catalog (so it is never
// unknown), does not count towards the grade, and SetGaps lists it.
func TestConventionChecks(t *testing.T) {
	cs := CompileChecks(append(DefaultChecks(), ConventionChecks()...))
	if len(cs.Errors) > 0 {
		t.Fatal(cs.Errors)
	}
	if !cs.HasSet(ConventionsSet) || CompileChecks(DefaultChecks()).HasSet("nope") {
		t.Fatal("HasSet")
	}
	for _, c := range cs.Checks {
		if c.Set == ConventionsSet && c.ID != "has-readme-runbook" && (len(c.Reads()) != 0 || c.Phase.At(testNow) != PhaseVisible) {
			t.Errorf("%s reads %v and is %s; want the catalog only, visible", c.ID, c.Reads(), c.Phase.At(testNow))
		}
	}
	good := func() *Facts {
		return &Facts{
			Entity: EntityFacts{Ref: "component:default/a", Lifecycle: "production", System: "shop", Owner: "group:default/t",
				Annotations: map[string]string{"finops/cost-tag": "service=a", "pagerduty.com/service-id": "P1"}},
			Owner:   OwnerFacts{Ref: "group:default/t", Found: true},
			GitHub:  RepoFacts{Readme: "# a\n## Runbook\n"},
			OnCall:  OnCallFacts{Confirmed: true},
			Deploys: DeployFacts{Last: testNow},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Facts)
		want   []string // failing checks of the set
	}{
		{"all met", func(*Facts) {}, nil},
		{"owner missing from the catalog", func(f *Facts) { f.Owner.Found = false }, []string{"owner-resolves"}},
		{"no lifecycle", func(f *Facts) { f.Entity.Lifecycle = "" }, []string{"lifecycle-set"}},
		{"no system", func(f *Facts) { f.Entity.System = "" }, []string{"system-set"}},
		{"no cost tag", func(f *Facts) { delete(f.Entity.Annotations, "finops/cost-tag") }, []string{"cost-tag"}},
		{"empty cost tag", func(f *Facts) { f.Entity.Annotations["finops/cost-tag"] = "" }, []string{"cost-tag"}},
		{"on-call on the owner only", func(f *Facts) {
			delete(f.Entity.Annotations, "pagerduty.com/service-id")
			f.Owner.Annotations = map[string]string{"pagerduty.com/service-id": "P2"}
		}, nil},
		{"no on-call anywhere", func(f *Facts) { delete(f.Entity.Annotations, "pagerduty.com/service-id") }, []string{"on-call-annotation"}},
		{"no runbook", func(f *Facts) { f.GitHub.Readme = "# a\n" }, []string{"has-readme-runbook"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := good()
			tc.change(f)
			var r Result
			cs.Evaluator(testNow, nil).Evaluate(f, &r)
			var got []string
			for _, c := range r.SetGaps(ConventionsSet) {
				got = append(got, c.ID)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("failing conventions = %v, want %v", got, tc.want)
			}
			// Only the runbook (a required default check) moves the grade.
			wantGrade := GradeA
			if slices.Contains(tc.want, "has-readme-runbook") {
				wantGrade = GradeB
			}
			if r.Grade != wantGrade {
				t.Errorf("grade %s, want %s", r.Grade, wantGrade)
			}
		})
	}
}
