package grade

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// waiverMap waives checks by "ref|check" until the time given.
type waiverMap map[string]time.Time

func (w waiverMap) Waived(ref, check string, now time.Time) (string, time.Time, bool) {
	until, ok := w[ref+"|"+check]
	if !ok || !now.Before(until) {
		return "", time.Time{}, false
	}
	return "w-" + check, until, true
}

// TestEvaluatorWaivers: a failing check covered by a waiver is waived (and
// costs nothing) until the waiver's end, then fails again; a passing check
// is never marked waived, and a nil Waivers waives nothing.
func TestEvaluatorWaivers(t *testing.T) {
	specs, errs := ParseChecks([]byte(`
- id: runbook
  severity: high
  rule: github.readme.contains("## Runbook")
- id: owners
  severity: low
  rule: github.codeowners
`))
	cs := CompileChecks(specs)
	if len(errs) > 0 || len(cs.Errors) > 0 {
		t.Fatal(errs, cs.Errors)
	}
	f := &Facts{Entity: EntityFacts{Ref: "component:default/pay", Name: "pay"}, GitHub: RepoFacts{Codeowners: true, Workflows: []string{}}}
	until := testNow.Add(48 * time.Hour)
	w := waiverMap{"component:default/pay|runbook": until, "component:default/pay|owners": until}
	status := func(r *Result, id string) CheckResult {
		for _, c := range r.Checks {
			if c.ID == id {
				return c
			}
		}
		t.Fatalf("no result for %s in %+v", id, r.Checks)
		return CheckResult{}
	}

	var r Result
	cs.Evaluator(testNow, w).Evaluate(f, &r)
	if c := status(&r, "runbook"); c.Status != StatusWaived || c.WaiverID != "w-runbook" || !c.WaivedUntil.Equal(until) {
		t.Errorf("waived check = %+v", c)
	}
	if c := status(&r, "owners"); c.Status != StatusPass || c.WaiverID != "" {
		t.Errorf("a passing check is marked %+v", c)
	}
	if r.Grade != GradeA || r.Demerits != 0 {
		t.Errorf("grade with the gap waived = %s (%d demerits), want A (0)", r.Grade, r.Demerits)
	}

	cs.Evaluator(until, w).Evaluate(f, &r)
	if c := status(&r, "runbook"); c.Status != StatusFail || c.WaiverID != "" {
		t.Errorf("check at the waiver's end = %+v, want fail", c)
	}
	if r.Grade != GradeC || r.Demerits != 4 {
		t.Errorf("grade after the waiver = %s (%d demerits), want C (4)", r.Grade, r.Demerits)
	}

	cs.Evaluator(testNow, nil).Evaluate(f, &r)
	if c := status(&r, "runbook"); c.Status != StatusFail {
		t.Errorf("without waivers = %+v, want fail", c)
	}
}

// TestEvaluateAllMatchesOneByOne: grading split over goroutines gives each
// service exactly the result one Evaluator gives it (run with -race).
func TestEvaluateAllMatchesOneByOne(t *testing.T) {
	cs := CompileChecks(append(DefaultChecks(), ConventionChecks()...))
	fs := make([]*Facts, 1000)
	for i := range fs {
		fs[i] = &Facts{
			Entity:  EntityFacts{Ref: fmt.Sprintf("component:default/s%d", i), Lifecycle: []string{"", "production"}[i%2], System: "x"},
			Owner:   OwnerFacts{Found: i%3 != 0},
			GitHub:  RepoFacts{Readme: []string{"", "## Runbook"}[i%5%2]},
			OnCall:  OnCallFacts{Confirmed: i%7 != 0},
			Deploys: DeployFacts{Last: testNow.Add(-time.Duration(i) * time.Hour)},
			Vulns:   VulnFacts{Critical: i % 11 / 10},
		}
		if i%13 == 0 {
			fs[i].SetUnknown(SourceVulns, "down")
		}
	}
	want := make([]Result, len(fs))
	ev := cs.Evaluator(testNow, nil)
	for i, f := range fs {
		ev.Evaluate(f, &want[i])
	}
	for _, workers := range []int{0, 1, 3, 8, 5000} {
		got := make([]Result, len(fs))
		cs.EvaluateAll(testNow, nil, fs, got, workers)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d workers: results differ from one Evaluator's", workers)
		}
	}
}
