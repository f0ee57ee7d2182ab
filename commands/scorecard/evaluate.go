package scorecard

import (
	"sort"
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
}

// Gap reports whether the result is an open gap: a counted check that fails.
func (c CheckResult) Gap() bool { return c.Phase.Counts() && c.Status == StatusFail }

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
	Grade    Grade `json:"grade"`
	Demerits int   `json:"demerits"`
	// RequiredGrade counts required checks only: the production gate.
	RequiredGrade    Grade         `json:"required_grade"`
	RequiredDemerits int           `json:"required_demerits"`
	Checks           []CheckResult `json:"checks"`
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
	sortBySeverity(out)
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
	sortBySeverity(out)
	return out
}

func sortBySeverity(cs []CheckResult) {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Severity.Weight() > cs[j].Severity.Weight() })
}

// grade applies the grading rule to the counted checks (required ones only
// when requiredOnly).
func grade(checks []CheckResult, requiredOnly bool) (Grade, int) {
	demerits, critical := 0, false
	for i := range checks {
		c := &checks[i]
		if !c.Phase.Counts() || (requiredOnly && c.Phase != PhaseRequired) || c.Status != StatusFail {
			continue
		}
		demerits += c.Severity.Weight()
		if c.Severity == SeverityCritical {
			critical = true
		}
	}
	return GradeFor(demerits, critical), demerits
}

// waiverIndex holds approved, unexpired waivers by entity ref and check id.
type waiverIndex map[string]map[string]*Waiver

func (w waiverIndex) find(ref, check string, now time.Time) *Waiver {
	if w == nil {
		return nil
	}
	wv := w[ref][check]
	if wv == nil || !now.Before(wv.Expires) {
		return nil
	}
	return wv
}

// evaluate scores one service's facts against the checks into out, reusing
// out.Checks' storage. a must already point at f and hold now.
func (cs *CheckSet) evaluate(f *Facts, a *activation, now time.Time, waivers waiverIndex, out *Result) {
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
			if wv := waivers.find(out.Ref, c.ID, now); wv != nil {
				r.Status, r.WaivedUntil, r.WaiverID = StatusWaived, wv.Expires, wv.ID
			}
			out.Checks = append(out.Checks, r)
		}
	}
	out.Grade, out.Demerits = grade(out.Checks, false)
	out.RequiredGrade, out.RequiredDemerits = grade(out.Checks, true)
}

func (c *Check) result(st Status, now time.Time, reason string) CheckResult {
	return CheckResult{
		ID: c.ID, Title: c.Title, Severity: c.Severity, Phase: c.Phase.At(now), Status: st,
		Reason: reason, HowToFix: c.HowToFix, Link: c.Link,
	}
}
