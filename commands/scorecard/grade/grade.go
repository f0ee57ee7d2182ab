package grade

import (
	"fmt"
	"strings"
)

// Severity says how much a failing check weighs.
type Severity string

// Severities, from least to most serious.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Weight is the demerit points a failing check of this severity costs:
// low 1, medium 2, high 4, critical 8.
func (s Severity) Weight() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 4
	case SeverityCritical:
		return 8
	}
	return 0
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return s.Weight() > 0 }

// Grade is a service's letter grade, A (best) to F.
type Grade string

// Grades.
const (
	GradeA Grade = "A"
	GradeB Grade = "B"
	GradeC Grade = "C"
	GradeD Grade = "D"
	GradeF Grade = "F"
)

// GradeUnknown is the grade of a service none of whose counted checks could
// be read: every one is unknown, so there is nothing to grade. It has no
// rank and never passes the gate.
const GradeUnknown Grade = "?"

// Grades lists the letter grades from best to worst.
var Grades = []Grade{GradeA, GradeB, GradeC, GradeD, GradeF}

// Label renders a grade for people: "A", "A (incomplete)" when some counted
// check behind it is unknown, or "?" when none is known.
func (g Grade) Label(incomplete bool) string {
	if incomplete && g.Rank() >= 0 {
		return string(g) + " (incomplete)"
	}
	return string(g)
}

// Rank is 4 for A down to 0 for F (-1 for an invalid grade), so grades
// compare as numbers and average as a GPA.
func (g Grade) Rank() int {
	switch g {
	case GradeA:
		return 4
	case GradeB:
		return 3
	case GradeC:
		return 2
	case GradeD:
		return 1
	case GradeF:
		return 0
	}
	return -1
}

// AtLeast reports whether g is as good as min or better.
func (g Grade) AtLeast(min Grade) bool { return g.Rank() >= min.Rank() }

// ParseGrade reads "A".."F" (any case).
func ParseGrade(s string) (Grade, error) {
	g := Grade(strings.ToUpper(strings.TrimSpace(s)))
	if g.Rank() < 0 {
		return "", fmt.Errorf("grade %q is not one of A, B, C, D, F", s)
	}
	return g, nil
}

// GradeFor turns demerit points into a grade (see the package doc):
// 0–1 A, 2–3 B, 4–7 C, 8–15 D, 16 or more F; a failing critical check caps
// the grade at D.
func GradeFor(demerits int, criticalFailing bool) Grade {
	var g Grade
	switch {
	case demerits <= 1:
		g = GradeA
	case demerits <= 3:
		g = GradeB
	case demerits <= 7:
		g = GradeC
	case demerits <= 15:
		g = GradeD
	default:
		g = GradeF
	}
	if criticalFailing && g.Rank() > GradeD.Rank() {
		g = GradeD
	}
	return g
}

// Arrow compares a grade with last week's: "↑", "↓" or "" when unchanged
// or either is not a letter (no history, or "?").
func Arrow(now, before Grade) string {
	if before.Rank() < 0 || now.Rank() < 0 {
		return ""
	}
	switch {
	case now.Rank() > before.Rank():
		return "↑"
	case now.Rank() < before.Rank():
		return "↓"
	}
	return ""
}
