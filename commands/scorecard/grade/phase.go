package grade

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Phase says what a check's result does.
type Phase string

// Phases, from mildest to strictest.
const (
	// PhaseVisible checks are shown but do not count towards the grade.
	PhaseVisible Phase = "visible"
	// PhaseHighlighted checks count and appear in digests as gaps.
	PhaseHighlighted Phase = "highlighted"
	// PhaseRequired checks count, appear as gaps and gate production.
	PhaseRequired Phase = "required"
)

// Counts reports whether results in this phase count towards the grade.
func (p Phase) Counts() bool { return p == PhaseHighlighted || p == PhaseRequired }

func (p Phase) valid() bool {
	return p == PhaseVisible || p == PhaseHighlighted || p == PhaseRequired
}

// PhaseStep is one phase of a schedule and the date it starts (zero: from
// the start).
type PhaseStep struct {
	Phase Phase     `yaml:"phase"`
	From  time.Time `yaml:"from,omitempty"`
}

// PhaseSchedule is a check's phase over time, e.g. "visible; highlighted
// from 2027-01-01; required from 2027-03-01". Dates are days in UTC. An
// empty schedule means highlighted.
//
// In YAML it is a string of steps separated by ";" or ",", or a list of
// such strings or of {phase, from} maps.
type PhaseSchedule []PhaseStep

// At returns the phase in force at t: that of the latest step whose date is
// not after t. Before the first step of a schedule whose steps all have
// dates, the check is visible.
func (ps PhaseSchedule) At(t time.Time) Phase {
	if len(ps) == 0 {
		return PhaseHighlighted
	}
	cur := Phase("")
	for _, s := range ps {
		if s.From.IsZero() || !t.Before(s.From) {
			cur = s.Phase
		}
	}
	if cur == "" {
		return PhaseVisible
	}
	return cur
}

// Next returns the next scheduled change after t, if any.
func (ps PhaseSchedule) Next(t time.Time) (PhaseStep, bool) {
	for _, s := range ps {
		if !s.From.IsZero() && s.From.After(t) {
			return s, true
		}
	}
	return PhaseStep{}, false
}

// String renders the schedule in its YAML string form.
func (ps PhaseSchedule) String() string {
	if len(ps) == 0 {
		return string(PhaseHighlighted)
	}
	parts := make([]string, len(ps))
	for i, s := range ps {
		parts[i] = string(s.Phase)
		if !s.From.IsZero() {
			parts[i] += " from " + s.From.Format("2006-01-02")
		}
	}
	return strings.Join(parts, "; ")
}

// ParsePhaseSchedule reads the string form: "required",
// "highlighted from 2027-01-01", "visible; required from 2027-03-01".
func ParsePhaseSchedule(s string) (PhaseSchedule, error) {
	var ps PhaseSchedule
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		step, err := parsePhaseStep(part)
		if err != nil {
			return nil, err
		}
		ps = append(ps, step)
	}
	return ps, ps.validate()
}

func parsePhaseStep(s string) (PhaseStep, error) {
	words := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	var st PhaseStep
	switch {
	case len(words) == 1:
		st.Phase = Phase(words[0])
	case len(words) == 3 && words[1] == "from":
		st.Phase = Phase(words[0])
		d, err := time.Parse("2006-01-02", words[2])
		if err != nil {
			return st, fmt.Errorf("phase %q: date %q is not YYYY-MM-DD", s, words[2])
		}
		st.From = d
	default:
		return st, fmt.Errorf("phase %q: want \"<phase>\" or \"<phase> from YYYY-MM-DD\"", strings.TrimSpace(s))
	}
	if !st.Phase.valid() {
		return st, fmt.Errorf("phase %q: %q is not visible, highlighted or required", strings.TrimSpace(s), st.Phase)
	}
	return st, nil
}

func (ps PhaseSchedule) validate() error {
	undated := 0
	for _, s := range ps {
		if !s.Phase.valid() {
			return fmt.Errorf("phase %q is not visible, highlighted or required", s.Phase)
		}
		if s.From.IsZero() {
			undated++
		}
	}
	if undated > 1 {
		return fmt.Errorf("phase schedule %q has more than one step without a date", ps.String())
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].From.Before(ps[j].From) })
	return nil
}

// UnmarshalYAML accepts a string or a list of strings or {phase, from} maps.
func (ps *PhaseSchedule) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		out, err := ParsePhaseSchedule(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		*ps = out
		return nil
	case yaml.SequenceNode:
		var out PhaseSchedule
		for _, item := range n.Content {
			if item.Kind == yaml.ScalarNode {
				step, err := parsePhaseStep(item.Value)
				if err != nil {
					return fmt.Errorf("line %d: %w", item.Line, err)
				}
				out = append(out, step)
				continue
			}
			var raw struct {
				Phase string `yaml:"phase"`
				From  string `yaml:"from"`
			}
			if err := item.Decode(&raw); err != nil {
				return err
			}
			text := raw.Phase
			if raw.From != "" {
				text += " from " + raw.From
			}
			step, err := parsePhaseStep(text)
			if err != nil {
				return fmt.Errorf("line %d: %w", item.Line, err)
			}
			out = append(out, step)
		}
		if err := out.validate(); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		*ps = out
		return nil
	}
	return fmt.Errorf("line %d: phase must be a string or a list", n.Line)
}

// MarshalYAML writes the string form.
func (ps PhaseSchedule) MarshalYAML() (any, error) { return ps.String(), nil }
