package place

import (
	"fmt"
	"slices"
	"strings"
)

// Target is one environment of one service: what a rule matches on.
type Target struct {
	Service string
	// Team is the owning group's name ("checkout").
	Team string
	// Labels are the service's metadata.labels.
	Labels map[string]string
	// Environment is the environment's name ("prod-us"), Tier and Region
	// its intent ("" when the service leaves them open).
	Environment string
	Tier        string
	Region      string
}

// Decision is where a target goes and why.
type Decision struct {
	Target  Target
	Cluster *Cluster
	Rule    *Rule
	// Matched are the rule's criteria as the target met them
	// ("tier=tier1", "region=us-east-1").
	Matched []string
	// Passed are the rule's clusters skipped before Cluster, with why
	// ("use1-prod-b (cordoned)").
	Passed []string
}

// Explain is the decision in one line: "prod-us → cluster use1-prod-a:
// rule `tier1-us` matched tier=tier1, region=us-east-1".
func (d Decision) Explain() string {
	return fmt.Sprintf("%s → cluster %s: %s", d.Target.Environment, d.Cluster.Name, d.Why())
}

// Why is the decision's reason without the environment and cluster.
func (d Decision) Why() string {
	s := fmt.Sprintf("rule `%s` matched ", d.Rule.Name)
	if len(d.Matched) == 0 {
		s += "every environment (it has no criteria)"
	} else {
		s += strings.Join(d.Matched, ", ")
	}
	if len(d.Passed) > 0 {
		s += "; passed over " + strings.Join(d.Passed, ", ")
	}
	return s
}

// NoMatchError says that no rule places a target, or that the rule that
// matched has no cluster that can take it.
type NoMatchError struct {
	Target Target
	// Rule is the rule that matched, nil when none did; Passed then say
	// why each of its clusters was passed over.
	Rule   *Rule
	Passed []string
}

func (e *NoMatchError) Error() string {
	t := e.Target
	if e.Rule != nil {
		return fmt.Sprintf("%s of %s: rule `%s` (line %d) matched, but none of its clusters can take it: %s",
			t.Environment, t.Service, e.Rule.Name, e.Rule.Line, strings.Join(e.Passed, ", "))
	}
	return fmt.Sprintf("%s of %s: no placement rule matches %s; add a rule to the placement configuration that matches it",
		t.Environment, t.Service, describe(t))
}

// describe lists what rules are matched against for t.
func describe(t Target) string {
	parts := []string{"environment=" + t.Environment, "tier=" + orNone(t.Tier), "region=" + orNone(t.Region), "team=" + orNone(t.Team)}
	if len(t.Labels) == 0 {
		parts = append(parts, "no labels")
	} else {
		keys := make([]string, 0, len(t.Labels))
		for k := range t.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			parts = append(parts, "label "+k+"="+t.Labels[k])
		}
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Load says how many environments run on a cluster now, the target's own
// environment not counted; clusters with a capacity are compared with it.
type Load func(cluster string) int

// Place decides where t goes: the most specific rule that matches it, and
// the first of that rule's clusters that is not cordoned and fits t's tier
// and region. No matching rule, or no cluster of the matching rule that can
// take t, is a *NoMatchError. Place is a pure function of the Placer and t;
// it ignores capacities (PlaceWith honours them).
func (p *Placer) Place(t Target) (Decision, error) { return p.PlaceWith(t, nil) }

// PlaceWith is Place that also passes over a full cluster: one with a
// capacity whose load is at least that capacity. A nil load ignores
// capacities.
func (p *Placer) PlaceWith(t Target, load Load) (Decision, error) {
	cr := p.rule(&t)
	if cr == nil {
		return Decision{}, &NoMatchError{Target: t}
	}
	var passed []string
	for _, c := range cr.clusters {
		if why := fitProblem(c, &t, load); why != "" {
			passed = append(passed, c.Name+" ("+why+")")
			continue
		}
		return Decision{Target: t, Cluster: c, Rule: cr.rule, Matched: cr.matched(&t), Passed: passed}, nil
	}
	return Decision{}, &NoMatchError{Target: t, Rule: cr.rule, Passed: passed}
}

// rule is the most specific rule matching t, nil when none does.
func (p *Placer) rule(t *Target) *compiled {
	rules := p.anyTier
	if list, ok := p.byTier[t.Tier]; ok && t.Tier != "" {
		rules = list
	}
	for _, cr := range rules {
		if cr.matches(t) {
			return cr
		}
	}
	return nil
}

// Fit says why cluster may not take t ("" when it may): it is cordoned, or
// its region or tiers do not fit t's intent.
func Fit(c *Cluster, t Target) string { return fitProblem(c, &t, nil) }

// Fit says why cluster c may not take t, a move chosen by hand ("" when it
// may): it is cordoned, full by load (nil: capacities ignored), its region
// or tiers do not fit t, a rule reserves it and that rule does not match
// t, no rule matches t, or c is not one of the clusters of the rule that
// matches t (a move stays within what the rules allow).
func (p *Placer) Fit(c *Cluster, t Target, load Load) string {
	if why := fitProblem(c, &t, load); why != "" {
		return why
	}
	if by := p.reservedBy[c.Name]; len(by) > 0 && !slices.ContainsFunc(by, func(cr *compiled) bool { return cr.matches(&t) }) {
		rules := make([]string, len(by))
		for i, cr := range by {
			rules[i] = fmt.Sprintf("rule `%s` (%s)", cr.rule.Name, cr.criteria())
		}
		return "reserved for " + strings.Join(rules, " and ") + ", which " + map[bool]string{true: "does", false: "do"}[len(by) == 1] + " not match it"
	}
	cr := p.rule(&t)
	if cr == nil {
		return "no placement rule matches " + describe(t) + ", so no cluster may take it"
	}
	if slices.Contains(cr.clusters, c) {
		return ""
	}
	names := make([]string, len(cr.clusters))
	for i, x := range cr.clusters {
		names[i] = x.Name
	}
	matched := "it has no criteria"
	if m := cr.matched(&t); len(m) > 0 {
		matched = strings.Join(m, ", ")
	}
	return fmt.Sprintf("not a cluster of rule `%s` (line %d), the rule that matches it (%s); its clusters are %s",
		cr.rule.Name, cr.rule.Line, matched, strings.Join(names, ", "))
}

// Reserved names the rules reserving cluster (none when it is not).
func (p *Placer) Reserved(cluster string) []string {
	var out []string
	for _, cr := range p.reservedBy[cluster] {
		out = append(out, cr.rule.Name)
	}
	return out
}

func fitProblem(c *Cluster, t *Target, load Load) string {
	switch {
	case c.Cordoned:
		return "cordoned: it takes no new placements"
	case t.Region != "" && c.Region != t.Region:
		return fmt.Sprintf("in %s, not %s", c.Region, t.Region)
	case t.Tier != "" && !slices.Contains(c.Tiers, t.Tier):
		return fmt.Sprintf("takes only %s, not %s", strings.Join(c.Tiers, ", "), t.Tier)
	}
	if c.Capacity > 0 && load != nil {
		if n := load(c.Name); n >= c.Capacity {
			return fmt.Sprintf("full: %d of %d placements, it takes no new ones", n, c.Capacity)
		}
	}
	return ""
}

// criteria describes a rule's criteria ("tier=tier1, team=payments").
func (cr *compiled) criteria() string {
	m := &cr.rule.Match
	var out []string
	for _, kv := range [][2]string{{"tier", m.Tier}, {"region", m.Region}, {"environment", m.Environment}, {"team", m.Team}} {
		if kv[1] != "" {
			out = append(out, kv[0]+"="+kv[1])
		}
	}
	for _, l := range cr.labels {
		out = append(out, "label "+l[0]+"="+l[1])
	}
	if len(out) == 0 {
		return "no criteria"
	}
	return strings.Join(out, ", ")
}

func (cr *compiled) matches(t *Target) bool {
	m := &cr.rule.Match
	if m.Tier != "" && m.Tier != t.Tier || m.Region != "" && m.Region != t.Region || m.Team != "" && m.Team != t.Team {
		return false
	}
	if m.Environment != "" {
		if cr.envExact {
			if t.Environment != cr.envPrefix {
				return false
			}
		} else if !strings.HasPrefix(t.Environment, cr.envPrefix) {
			return false
		}
	}
	for _, l := range cr.labels {
		if v, ok := t.Labels[l[0]]; !ok || v != l[1] {
			return false
		}
	}
	return true
}

// matched lists the criteria of a matching rule as t met them.
func (cr *compiled) matched(t *Target) []string {
	m := &cr.rule.Match
	var out []string
	if m.Tier != "" {
		out = append(out, "tier="+t.Tier)
	}
	if m.Region != "" {
		out = append(out, "region="+t.Region)
	}
	if m.Environment != "" {
		out = append(out, "environment="+m.Environment)
	}
	if m.Team != "" {
		out = append(out, "team="+t.Team)
	}
	for _, l := range cr.labels {
		out = append(out, "label "+l[0]+"="+l[1])
	}
	return out
}
