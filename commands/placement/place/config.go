// Package place decides which cluster each environment of a service runs
// on: the platform's clusters and its ordered placement rules, checked and
// compiled once (Compile), and a pure decision per environment (Place) with
// the explanation of why. The most specific matching rule wins (more
// criteria beat fewer); two equally specific rules that could both match
// one environment are a configuration error naming both rules' lines. A
// cordoned cluster receives no new placements.
//
// The package knows no feature, store or chat: commands/placement uses it.
package place

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Cluster is one cluster platbot may place environments on.
type Cluster struct {
	// Name is the cluster's name in placement rules and commands.
	Name string `yaml:"name"`
	// Server is the Argo CD destination server (its API URL); Destination
	// is the Argo CD cluster name instead. Exactly one is set.
	Server      string `yaml:"server"`
	Destination string `yaml:"destinationName"`
	// Region is where the cluster runs ("us-east-1").
	Region string `yaml:"region"`
	// Tiers are the service tiers the cluster takes ("tier1", "standard").
	Tiers []string `yaml:"tiers"`
	// Labels describe the cluster (shown by /plat clusters).
	Labels map[string]string `yaml:"labels"`
	// Cordoned clusters receive no new placements; what runs there stays.
	Cordoned bool `yaml:"cordoned"`
	// Capacity is how many environments the cluster may run (0: no
	// limit). A full cluster receives no new placements, like a cordoned
	// one; what runs there stays. The load is the caller's (PlaceWith).
	Capacity int `yaml:"capacity"`

	// Line is where the cluster is defined in its file.
	Line int `yaml:"-"`
}

// Match are a rule's criteria; an empty one matches anything. Every
// criterion set counts once toward the rule's specificity, and so does
// every label.
type Match struct {
	Tier   string `yaml:"tier"`
	Region string `yaml:"region"`
	// Environment is an environment name ("staging") or a name prefix
	// ending in * ("prod*").
	Environment string `yaml:"environment"`
	// Team is the owning group's name ("checkout").
	Team string `yaml:"team"`
	// Labels must all be set to these values on the service's metadata.labels.
	Labels map[string]string `yaml:"labels"`
}

// Rule places the environments it matches on the first of its clusters
// that is not cordoned and fits the environment's tier and region.
type Rule struct {
	Name     string   `yaml:"name"`
	Match    Match    `yaml:"match"`
	Clusters []string `yaml:"clusters"`
	// Reserved are those of Clusters that only environments this rule
	// matches may be placed on: no other rule may list them, and a move
	// to one of them of an environment the rule does not match is
	// refused. Several rules may reserve one cluster.
	Reserved []string `yaml:"reserved"`

	// Line is where the rule is defined in its file.
	Line int `yaml:"-"`
}

// Config is the placement part of the configuration: clusters and rules.
type Config struct {
	Clusters []Cluster `yaml:"clusters"`
	Rules    []Rule    `yaml:"rules"`
}

// Error is a configuration error at a line of a file.
type Error struct {
	File string // "" when the caller names the file itself
	Line int
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	}
	return e.Msg
}

// UnmarshalYAML decodes a cluster, refusing unknown keys with their line
// and remembering the cluster's own line.
func (c *Cluster) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "cluster", "name", "server", "destinationName", "region", "tiers", "labels", "cordoned", "capacity"); err != nil {
		return err
	}
	type plain Cluster
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*c = Cluster(p)
	c.Line = n.Line
	return nil
}

// UnmarshalYAML decodes a rule, refusing unknown keys (also in match) with
// their line and remembering the rule's own line.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "rule", "name", "match", "clusters", "reserved"); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "match" {
			if err := knownKeys(n.Content[i+1], "rule match", "tier", "region", "environment", "team", "labels"); err != nil {
				return err
			}
		}
	}
	type plain Rule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Rule(p)
	r.Line = n.Line
	return nil
}

// knownKeys refuses a mapping key of n that is not one of keys, as a
// yaml.TypeError naming its line (the form the configuration loader
// reports with the file).
func knownKeys(n *yaml.Node, what string, keys ...string) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a %s is a mapping (keys: %s)", n.Line, what, strings.Join(keys, ", "))}}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(keys, k.Value) {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: unknown key %q in a %s (keys: %s)", k.Line, k.Value, what, strings.Join(keys, ", "))}}
		}
	}
	return nil
}

// Placer is a checked configuration: Place decides with it. It is
// immutable and safe for concurrent use.
type Placer struct {
	clusters []*Cluster
	byName   map[string]*Cluster
	rules    []*compiled // configuration order
	// byTier holds, per tier named by some rule, the rules a target of
	// that tier can match (that tier's and the tier-less ones); other
	// tiers use anyTier. Each list is ordered most specific first.
	byTier  map[string][]*compiled
	anyTier []*compiled
	// reservedBy holds, per reserved cluster, the rules reserving it.
	reservedBy map[string][]*compiled
}

// compiled is a rule ready to match.
type compiled struct {
	rule        *Rule
	specificity int
	envPrefix   string // Environment without its trailing *
	envExact    bool   // Environment has no trailing *
	labels      [][2]string
	clusters    []*Cluster
	order       int
}

// Compile checks cfg and returns its Placer. file names the configuration
// in errors (each an *Error with the line of what is wrong). Checked: names
// present and unique, each cluster with exactly one Argo CD destination, a
// region and tiers, each rule naming known clusters that fit its own tier
// and region, environment patterns, and that no two equally specific rules
// could match the same environment (a tie).
func Compile(cfg Config, file string) (*Placer, error) {
	p := &Placer{byName: map[string]*Cluster{}, byTier: map[string][]*compiled{}, reservedBy: map[string][]*compiled{}}
	fail := func(line int, format string, args ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for i := range cfg.Clusters {
		c := &cfg.Clusters[i]
		switch {
		case c.Name == "":
			return nil, fail(c.Line, "cluster %d has no name", i+1)
		case p.byName[c.Name] != nil:
			return nil, fail(c.Line, "cluster %q is defined twice (first at line %d)", c.Name, p.byName[c.Name].Line)
		case (c.Server == "") == (c.Destination == ""):
			return nil, fail(c.Line, "cluster %q needs exactly one Argo CD destination: server (the API URL) or destinationName (the Argo CD cluster name)", c.Name)
		case c.Region == "":
			return nil, fail(c.Line, "cluster %q has no region", c.Name)
		case len(c.Tiers) == 0:
			return nil, fail(c.Line, "cluster %q lists no tiers (the service tiers it takes, e.g. [tier1])", c.Name)
		case c.Capacity < 0:
			return nil, fail(c.Line, "cluster %q: capacity %d is negative (the most environments it may run; 0 or absent: no limit)", c.Name, c.Capacity)
		}
		p.byName[c.Name] = c
		p.clusters = append(p.clusters, c)
	}
	names := map[string]int{}
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		if r.Name == "" {
			return nil, fail(r.Line, "rule %d has no name", i+1)
		}
		if line, dup := names[r.Name]; dup {
			return nil, fail(r.Line, "rule %q is defined twice (first at line %d)", r.Name, line)
		}
		names[r.Name] = r.Line
		cr := &compiled{rule: r, order: i}
		m := r.Match
		if env := m.Environment; env != "" {
			cr.envPrefix, cr.envExact = strings.CutSuffix(env, "*")
			cr.envExact = !cr.envExact
			if strings.Contains(cr.envPrefix, "*") {
				return nil, fail(r.Line, "rule %q: environment %q may only end in * (a name prefix such as prod*)", r.Name, env)
			}
		}
		for _, v := range []string{m.Tier, m.Region, m.Environment, m.Team} {
			if v != "" {
				cr.specificity++
			}
		}
		for k, v := range m.Labels {
			cr.labels = append(cr.labels, [2]string{k, v})
		}
		sort.Slice(cr.labels, func(a, b int) bool { return cr.labels[a][0] < cr.labels[b][0] })
		cr.specificity += len(cr.labels)
		if len(r.Clusters) == 0 {
			return nil, fail(r.Line, "rule %q names no clusters", r.Name)
		}
		for _, name := range r.Clusters {
			c := p.byName[name]
			if c == nil {
				msg := fmt.Sprintf("rule %q names cluster %q, which is not defined", r.Name, name)
				if s := closest(name, p.clusterNames()); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return nil, fail(r.Line, "%s", msg)
			}
			if m.Region != "" && c.Region != m.Region {
				return nil, fail(r.Line, "rule %q matches region=%s but its cluster %q is in %s", r.Name, m.Region, name, c.Region)
			}
			if m.Tier != "" && !slices.Contains(c.Tiers, m.Tier) {
				return nil, fail(r.Line, "rule %q matches tier=%s but its cluster %q takes only %s", r.Name, m.Tier, name, strings.Join(c.Tiers, ", "))
			}
			cr.clusters = append(cr.clusters, c)
		}
		for _, name := range r.Reserved {
			if !slices.Contains(r.Clusters, name) {
				return nil, fail(r.Line, "rule %q reserves cluster %q, which is not among its clusters (%s)", r.Name, name, strings.Join(r.Clusters, ", "))
			}
			if !slices.Contains(p.reservedBy[name], cr) {
				p.reservedBy[name] = append(p.reservedBy[name], cr)
			}
		}
		for _, o := range p.rules {
			if o.specificity == cr.specificity && overlap(o, cr) {
				return nil, fail(r.Line, "rules %q (line %d) and %q (line %d) tie: both have %d criteria and both match %s; "+
					"add a criterion to the one that should win, or make them exclusive", o.rule.Name, o.rule.Line, r.Name, r.Line,
					cr.specificity, both(o, cr))
			}
		}
		p.rules = append(p.rules, cr)
	}
	// A reserved cluster is listed only by the rules reserving it.
	for _, cr := range p.rules {
		for _, c := range cr.clusters {
			by := p.reservedBy[c.Name]
			if len(by) > 0 && !slices.Contains(by, cr) {
				return nil, fail(cr.rule.Line, "rule %q lists cluster %q, which rule %q (line %d) reserves; remove it from the rule, or reserve it there too",
					cr.rule.Name, c.Name, by[0].rule.Name, by[0].rule.Line)
			}
		}
	}
	// Index by tier, most specific first (configuration order among
	// equally specific rules, which never both match).
	for _, cr := range p.rules {
		if t := cr.rule.Match.Tier; t != "" {
			p.byTier[t] = append(p.byTier[t], cr)
		} else {
			p.anyTier = append(p.anyTier, cr)
		}
	}
	order := func(list []*compiled) {
		sort.SliceStable(list, func(a, b int) bool {
			if list[a].specificity != list[b].specificity {
				return list[a].specificity > list[b].specificity
			}
			return list[a].order < list[b].order
		})
	}
	for t, list := range p.byTier {
		p.byTier[t] = append(list, p.anyTier...)
		order(p.byTier[t])
	}
	order(p.anyTier)
	return p, nil
}

// overlap reports whether some environment could match both rules.
func overlap(a, b *compiled) bool {
	am, bm := a.rule.Match, b.rule.Match
	for _, pair := range [][2]string{{am.Tier, bm.Tier}, {am.Region, bm.Region}, {am.Team, bm.Team}} {
		if pair[0] != "" && pair[1] != "" && pair[0] != pair[1] {
			return false
		}
	}
	if am.Environment != "" && bm.Environment != "" && !envOverlap(a, b) {
		return false
	}
	for _, la := range a.labels {
		for _, lb := range b.labels {
			if la[0] == lb[0] && la[1] != lb[1] {
				return false
			}
		}
	}
	return true
}

// envOverlap reports whether some environment name matches both patterns.
func envOverlap(a, b *compiled) bool {
	switch {
	case a.envExact && b.envExact:
		return a.envPrefix == b.envPrefix
	case a.envExact:
		return strings.HasPrefix(a.envPrefix, b.envPrefix)
	case b.envExact:
		return strings.HasPrefix(b.envPrefix, a.envPrefix)
	}
	return strings.HasPrefix(a.envPrefix, b.envPrefix) || strings.HasPrefix(b.envPrefix, a.envPrefix)
}

// both describes what two overlapping rules both match.
func both(a, b *compiled) string {
	var parts []string
	add := func(k, x, y string) {
		switch {
		case x != "" && y != "" && len(y) > len(x):
			parts = append(parts, k+"="+y)
		case x != "":
			parts = append(parts, k+"="+x)
		case y != "":
			parts = append(parts, k+"="+y)
		}
	}
	am, bm := a.rule.Match, b.rule.Match
	add("tier", am.Tier, bm.Tier)
	add("region", am.Region, bm.Region)
	add("environment", am.Environment, bm.Environment)
	add("team", am.Team, bm.Team)
	seen := map[string]bool{}
	for _, l := range append(append([][2]string(nil), a.labels...), b.labels...) {
		if !seen[l[0]] {
			seen[l[0]] = true
			parts = append(parts, "label "+l[0]+"="+l[1])
		}
	}
	if len(parts) == 0 {
		return "every environment"
	}
	return strings.Join(parts, ", ")
}

// Clusters are the configured clusters, in configuration order.
func (p *Placer) Clusters() []*Cluster { return slices.Clone(p.clusters) }

// Cluster returns the cluster called name.
func (p *Placer) Cluster(name string) (*Cluster, bool) {
	c := p.byName[name]
	return c, c != nil
}

// Rules are the configured rules, in configuration order.
func (p *Placer) Rules() []*Rule {
	out := make([]*Rule, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.rule
	}
	return out
}

func (p *Placer) clusterNames() []string {
	out := make([]string, len(p.clusters))
	for i, c := range p.clusters {
		out[i] = c.Name
	}
	return out
}

// closest is the name among names nearest to s by edit distance, "" when
// none is near.
func closest(s string, names []string) string {
	best, bestD := "", len(s)/2+2
	for _, n := range names {
		if d := distance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
