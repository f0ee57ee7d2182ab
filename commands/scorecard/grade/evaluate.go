package grade

import (
	"sort"
	"sync"
	"time"
)

// Status is a check's outcome for one service.
type Status string

// Statuses.
const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusUnknown Status = "unknown" // a fact it reads could not be gathered, or the rule erred
	StatusWaived  Status = "waived"  // failing, but an approved waiver counts it as a pass
)

// CheckResult is one check's outcome for one service.
type CheckResult struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	Phase    Phase    `json:"phase"`
	Status   Status   `json:"status"`
	// Reason says why the result is unknown (or the rule's error).
	Reason   string `json:"reason,omitempty"`
	HowToFix string `json:"how_to_fix,omitempty"`
	Link     string `json:"link,omitempty"`
	// WaivedUntil and WaiverID are set for a waived check.
	WaivedUntil time.Time `json:"waived_until,omitzero"`
	WaiverID    string    `json:"waiver_id,omitempty"`
	// UnknownAs is how the production gate takes the check when it is
	// unknown: StatusFail (the default) or StatusPass (the check's
	// `unknownAs: pass`).
	UnknownAs Status `json:"unknown_as,omitempty"`
	// Set is the check's set (CheckSpec.Set), "" for none.
	Set string `json:"set,omitempty"`
}

// Gap reports whether the result is an open gap: a counted check that fails.
func (c CheckResult) Gap() bool { return c.Phase.Counts() && c.Status == StatusFail }

// Blocking reports whether the check, being unknown, holds a service back
// from production: it is required and not marked `unknownAs: pass`.
func (c CheckResult) Blocking() bool {
	return c.Phase == PhaseRequired && c.Status == StatusUnknown && c.UnknownAs != StatusPass
}

// Result is a service's scorecard at one time.
type Result struct {
	Ref       string    `json:"ref"`
	Name      string    `json:"name"`
	Title     string    `json:"title,omitempty"`
	Owner     string    `json:"owner,omitempty"`
	Lifecycle string    `json:"lifecycle,omitempty"`
	System    string    `json:"system,omitempty"`
	Type      string    `json:"type,omitempty"`
	At        time.Time `json:"at"`
	// Grade counts highlighted and required checks; Demerits are its points.
	// It is GradeUnknown ("?") when every counted check is unknown.
	Grade    Grade `json:"grade"`
	Demerits int   `json:"demerits"`
	// Incomplete is set when some counted check is unknown: the grade
	// counts only the known ones and is shown as "A (incomplete)".
	Incomplete bool `json:"incomplete,omitempty"`
	// RequiredGrade counts required checks only: the production gate. A
	// check with `unknownAs: pass` counts as passing here while unknown.
	RequiredGrade    Grade `json:"required_grade"`
	RequiredDemerits int   `json:"required_demerits"`
	// RequiredIncomplete is set when some required check is unknown.
	RequiredIncomplete bool          `json:"required_incomplete,omitempty"`
	Checks             []CheckResult `json:"checks"`
}

// Label is the grade as shown: "B", "B (incomplete)" or "?".
func (r *Result) Label() string { return r.Grade.Label(r.Incomplete) }

// RequiredLabel is the grade on required checks as shown.
func (r *Result) RequiredLabel() string { return r.RequiredGrade.Label(r.RequiredIncomplete) }

// Unknowns returns the counted checks that are unknown, most severe first.
func (r *Result) Unknowns() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Phase.Counts() && c.Status == StatusUnknown {
			out = append(out, c)
		}
	}
	SortBySeverity(out)
	return out
}

// Count returns how many checks have the status.
func (r *Result) Count(st Status) int {
	n := 0
	for i := range r.Checks {
		if r.Checks[i].Status == st {
			n++
		}
	}
	return n
}

// Gaps returns the open gaps, most severe first.
func (r *Result) Gaps() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Gap() {
			out = append(out, c)
		}
	}
	SortBySeverity(out)
	return out
}

// SetGaps returns the failing checks of one set, whatever their phase,
// most severe first: a convention is worth telling a team about before it
// counts towards the grade.
func (r *Result) SetGaps(set string) []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Set == set && c.Status == StatusFail {
			out = append(out, c)
		}
	}
	SortBySeverity(out)
	return out
}

// RequiredGaps returns the failing required checks, most severe first.
func (r *Result) RequiredGaps() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if c.Phase == PhaseRequired && c.Status == StatusFail {
			out = append(out, c)
		}
	}
	SortBySeverity(out)
	return out
}

// SortBySeverity orders check results most severe first, keeping the
// order of equally severe ones.
func SortBySeverity(cs []CheckResult) {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Severity.Weight() > cs[j].Severity.Weight() })
}

// grade applies the grading rule to the counted checks (required ones only
// when requiredOnly). Unknown checks cost nothing but make the grade
// incomplete; with no known counted check but some unknown, the grade is
// GradeUnknown. For the required grade (the gate's), a check with
// `unknownAs: pass` counts as a known pass while unknown.
func grade(checks []CheckResult, requiredOnly bool) (g Grade, demerits int, incomplete bool) {
	critical, known := false, false
	for i := range checks {
		c := &checks[i]
		if !c.Phase.Counts() || (requiredOnly && c.Phase != PhaseRequired) {
			continue
		}
		switch c.Status {
		case StatusUnknown:
			incomplete = true
			if requiredOnly && c.UnknownAs == StatusPass {
				known = true
			}
			continue
		case StatusFail:
			demerits += c.Severity.Weight()
			if c.Severity == SeverityCritical {
				critical = true
			}
		}
		known = true
	}
	if incomplete && !known {
		return GradeUnknown, 0, true
	}
	return GradeFor(demerits, critical), demerits, incomplete
}

// Waivers finds the approved waivers that cover failing checks.
type Waivers interface {
	// Waived returns the id and expiry of an approved waiver that covers
	// check on the entity ref at now (ok is false when none does).
	Waived(ref, check string, now time.Time) (id string, until time.Time, ok bool)
}

// Evaluator grades services against a CheckSet at one time. It reuses one
// activation, so a run over many services allocates only the results. An
// Evaluator is not safe for concurrent use.
type Evaluator struct {
	cs      *CheckSet
	a       activation
	now     time.Time
	waivers Waivers
}

// Evaluator returns an evaluator of the checks at now; waivers may be nil.
func (cs *CheckSet) Evaluator(now time.Time, waivers Waivers) *Evaluator {
	return &Evaluator{cs: cs, a: activation{now: nowValue(now)}, now: now, waivers: waivers}
}

// Evaluate scores one service's facts against the checks into out, reusing
// out.Checks' storage.
func (e *Evaluator) Evaluate(f *Facts, out *Result) {
	e.a.f = f
	e.cs.evaluate(f, &e.a, e.now, e.waivers, out)
}

// EvaluateAll scores fs[i] into out[i] (len(out) must be len(fs)), split
// into workers contiguous chunks graded concurrently, each by an Evaluator
// of its own (an Evaluator is for one goroutine; compiled CEL programs and
// waivers are only read). workers < 2 grades on the calling goroutine.
func (cs *CheckSet) EvaluateAll(now time.Time, waivers Waivers, fs []*Facts, out []Result, workers int) {
	workers = min(workers, len(fs))
	if workers < 2 {
		ev := cs.Evaluator(now, waivers)
		for i, f := range fs {
			ev.Evaluate(f, &out[i])
		}
		return
	}
	chunk := (len(fs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(fs); lo += chunk {
		hi := min(lo+chunk, len(fs))
		wg.Go(func() {
			ev := cs.Evaluator(now, waivers)
			for i := lo; i < hi; i++ {
				ev.Evaluate(fs[i], &out[i])
			}
		})
	}
	wg.Wait()
}

// evaluate scores one service's facts against the checks into out, reusing
// out.Checks' storage. a must already point at f and hold now.
func (cs *CheckSet) evaluate(f *Facts, a *activation, now time.Time, waivers Waivers, out *Result) {
	out.Ref, out.Name, out.Title = f.Entity.Ref, f.Entity.Name, f.Entity.Title
	out.Owner, out.Lifecycle, out.System, out.Type = f.Entity.Owner, f.Entity.Lifecycle, f.Entity.System, f.Entity.Type
	out.At = now
	if cap(out.Checks) < len(cs.Checks) {
		out.Checks = make([]CheckResult, 0, len(cs.Checks))
	}
	out.Checks = out.Checks[:0]
	unknown := f.unknownMask()
	for _, c := range cs.Checks {
		ok, err := c.applies(a)
		if err != nil {
			out.Checks = append(out.Checks, c.result(StatusUnknown, now, err.Error()))
			continue
		}
		if !ok {
			continue
		}
		if m := c.reads & unknown; m != 0 {
			out.Checks = append(out.Checks, c.result(StatusUnknown, now, unknownReasons(f, m)))
			continue
		}
		pass, err := c.eval(a)
		switch {
		case err != nil:
			out.Checks = append(out.Checks, c.result(StatusUnknown, now, "rule error: "+err.Error()))
		case pass:
			out.Checks = append(out.Checks, c.result(StatusPass, now, ""))
		default:
			r := c.result(StatusFail, now, "")
			if waivers != nil {
				if id, until, ok := waivers.Waived(out.Ref, c.ID, now); ok {
					r.Status, r.WaivedUntil, r.WaiverID = StatusWaived, until, id
				}
			}
			out.Checks = append(out.Checks, r)
		}
	}
	out.Grade, out.Demerits, out.Incomplete = grade(out.Checks, false)
	out.RequiredGrade, out.RequiredDemerits, out.RequiredIncomplete = grade(out.Checks, true)
}

func (c *Check) result(st Status, now time.Time, reason string) CheckResult {
	return CheckResult{
		ID: c.ID, Title: c.Title, Severity: c.Severity, Phase: c.Phase.At(now), Status: st,
		Reason: reason, HowToFix: c.HowToFix, Link: c.Link, UnknownAs: c.unknownAs, Set: c.Set,
	}
}
