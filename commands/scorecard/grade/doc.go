// Package grade is the scorecard's grading engine: checks written in CEL
// (CheckSpec, compiled into a CheckSet), their phases over time, the typed
// facts document the rules read (Facts), and the grading rule that turns
// check results into a letter grade (Result, GradeFor). It is pure: it
// gathers nothing, stores nothing and talks to no chat; waivers come in
// through the Waivers interface. The rule itself is described in the
// scorecard package's documentation (commands/scorecard/doc.go).
package grade
