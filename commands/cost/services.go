package cost

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// Catalog is what the cost feature reads from the software catalog
// (*catalog.Catalog satisfies it).
type Catalog interface {
	Get(ref string) (*catalog.Entity, bool)
	List(kind string) []*catalog.Entity
	OwnedBy(groupRef string) []*catalog.Entity
}

// Problems receives problems found in catalog data, such as a malformed
// finops/monthly-budget annotation (the catalog's problem-report hook).
type Problems interface {
	ReportProblem(p catalog.Problem)
}

// Tag is one label or annotation a service's cost is aggregated by, from its
// finops/cost-tag annotation.
type Tag struct {
	// Kind is "label" or "annotation".
	Kind  string
	Key   string
	Value string
}

// Aggregate is the allocation API's aggregate parameter for the tag's key.
func (t Tag) Aggregate() string { return t.Kind + ":" + t.Key }

func (t Tag) String() string {
	if t.Kind == "label" {
		return t.Key + "=" + t.Value
	}
	return t.Kind + ":" + t.Key + "=" + t.Value
}

// ParseTags reads a finops/cost-tag annotation: one or more comma-separated
// "key=value" (a label), "label:key=value" or "annotation:key=value". Keys
// are spelled as OpenCost aggregates them: app.kubernetes.io/name is
// app_kubernetes_io_name.
func ParseTags(s string) ([]Tag, error) {
	var tags []Tag
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		t := Tag{Kind: "label"}
		if k, rest, ok := strings.Cut(part, ":"); ok && (k == "label" || k == "annotation") {
			t.Kind, part = k, rest
		}
		key, val, ok := strings.Cut(part, "=")
		t.Key, t.Value = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || t.Key == "" || t.Value == "" || strings.ContainsAny(t.Key+t.Value, " /\"") {
			return nil, fmt.Errorf("%q is not key=value (e.g. service=checkout, or annotation:team=payments)", part)
		}
		tags = append(tags, t)
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("%q names no key=value", s)
	}
	return tags, nil
}

// ParseBudget reads a finops/monthly-budget annotation: a positive amount
// such as "5000" or "12,500.50" (an optional leading currency symbol is
// ignored).
func ParseBudget(s string) (float64, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimLeft(v, "$€£¥")
	v = strings.ReplaceAll(v, ",", "")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || f != f || f > 1e15 {
		return 0, fmt.Errorf("%q is not a positive monthly amount (write it like \"5000\")", s)
	}
	return f, nil
}

// Service is a catalog entity whose cost is tracked.
type Service struct {
	Ref   string
	Name  string
	Title string
	// Owner is the owning group's ref ("" when none).
	Owner string
	// Tags come from finops/cost-tag; none means the service is untagged.
	Tags []Tag
	// Owned are the tags whose cost rolls up to this service: when several
	// entities name the same tag (a database Resource sharing its
	// Component's), the cost counts once, for the Component (then the
	// first by ref).
	Owned []Tag
	// SharedWith names the service that owns this one's shared tags.
	SharedWith string
	// Budget is the monthly budget from finops/monthly-budget (0 = none).
	Budget float64
	entity *catalog.Entity
}

// directory is a snapshot of the services the catalog knows, indexed the
// ways the cost feature looks them up.
type directory struct {
	services []*Service // tagged ones, sorted by ref
	// rollup are the tagged services that own at least one tag: the ones
	// team totals, top lists and "*" rules count, so no cost counts twice.
	rollup   []*Service
	untagged []*Service
	byRef    map[string]*Service
	// byTag maps an aggregate ("label:service") and value to the services claiming it.
	byTag       map[string]map[string][]*Service
	teamBudgets map[string]float64
	problems    []catalog.Problem
}

// costKinds are the entity kinds whose cost can be tagged.
var costKinds = []string{catalog.KindComponent, catalog.KindResource}

func newDirectory(cat Catalog) *directory {
	d := &directory{byRef: map[string]*Service{}, byTag: map[string]map[string][]*Service{}, teamBudgets: map[string]float64{}}
	problem := func(e *catalog.Entity, format string, args ...any) {
		d.problems = append(d.problems, catalog.Problem{
			Severity: catalog.SeverityWarning, Location: e.Source.Location, File: e.Source.File, Line: e.Source.Line,
			Entity: e.Ref(), Message: fmt.Sprintf(format, args...),
		})
	}
	for _, kind := range costKinds {
		for _, e := range cat.List(kind) {
			if e.Orphan {
				continue
			}
			s := &Service{Ref: e.Ref(), Name: e.Metadata.Name, Title: e.DisplayName(), Owner: e.Owner(), entity: e}
			if raw := e.Annotation(catalog.AnnotationCostTag); raw != "" {
				tags, err := ParseTags(raw)
				if err != nil {
					problem(e, "annotation %s: %v", catalog.AnnotationCostTag, err)
				}
				s.Tags = tags
			}
			if raw := e.Annotation(catalog.AnnotationBudget); raw != "" {
				b, err := ParseBudget(raw)
				if err != nil {
					problem(e, "annotation %s: %v; the budget is ignored until it is fixed", catalog.AnnotationBudget, err)
				}
				s.Budget = b
			}
			d.byRef[s.Ref] = s
			if len(s.Tags) == 0 {
				if kind == catalog.KindComponent {
					d.untagged = append(d.untagged, s)
				}
				continue
			}
			d.services = append(d.services, s)
			for _, t := range s.Tags {
				m := d.byTag[t.Aggregate()]
				if m == nil {
					m = map[string][]*Service{}
					d.byTag[t.Aggregate()] = m
				}
				m[t.Value] = append(m[t.Value], s)
			}
		}
	}
	for _, g := range cat.List(catalog.KindGroup) {
		if raw := g.Annotation(catalog.AnnotationBudget); raw != "" {
			b, err := ParseBudget(raw)
			if err != nil {
				problem(g, "annotation %s: %v; the budget is ignored until it is fixed", catalog.AnnotationBudget, err)
				continue
			}
			d.teamBudgets[g.Ref()] = b
		}
	}
	sort.Slice(d.services, func(i, j int) bool { return d.services[i].Ref < d.services[j].Ref })
	for _, values := range d.byTag {
		for _, claimers := range values {
			sort.SliceStable(claimers, func(i, j int) bool {
				ci, cj := claimers[i].entity.Kind == catalog.KindComponent, claimers[j].entity.Kind == catalog.KindComponent
				if ci != cj {
					return ci
				}
				return claimers[i].Ref < claimers[j].Ref
			})
		}
	}
	for _, s := range d.services {
		for _, t := range s.Tags {
			if owner := d.byTag[t.Aggregate()][t.Value][0]; owner == s {
				s.Owned = append(s.Owned, t)
			} else if s.SharedWith == "" {
				s.SharedWith = owner.Name
			}
		}
		if len(s.Owned) > 0 {
			d.rollup = append(d.rollup, s)
		}
	}
	sort.Slice(d.untagged, func(i, j int) bool { return d.untagged[i].Ref < d.untagged[j].Ref })
	return d
}

// aggregates lists the distinct aggregation keys, most used first, with
// fallback ("label:service") always present.
func (d *directory) aggregates(fallback string) []string {
	count := map[string]int{}
	for _, s := range d.rollup {
		for _, t := range s.Tags {
			count[t.Aggregate()]++
		}
	}
	if _, ok := count[fallback]; !ok {
		count[fallback] = 0
	}
	out := make([]string, 0, len(count))
	for k := range count {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if count[out[i]] != count[out[j]] {
			return count[out[i]] > count[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// find resolves what a user typed: a ref, an entity name, or a cost-tag value.
func (d *directory) find(cat Catalog, arg string) (*Service, error) {
	arg = strings.TrimSpace(arg)
	if e, ok := cat.Get(arg); ok {
		if s := d.byRef[e.Ref()]; s != nil {
			return s, nil
		}
		return nil, errNotService(e)
	}
	lower := strings.ToLower(arg)
	var hits []*Service
	for _, s := range d.services {
		for _, t := range s.Tags {
			if strings.ToLower(t.Value) == lower {
				hits = append(hits, s)
				break
			}
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	var names []string
	for _, s := range append(append([]*Service(nil), d.services...), d.untagged...) {
		if strings.ToLower(s.Name) == lower {
			return s, nil
		}
		if strings.Contains(strings.ToLower(s.Name), lower) && len(names) < 3 {
			names = append(names, "`"+s.Name+"`")
		}
	}
	msg := fmt.Sprintf("I can't find a service called `%s` in the catalog.", bot.UserText(arg))
	if len(names) > 0 {
		msg += " Did you mean " + strings.Join(names, ", ") + "?"
	}
	return nil, &bot.UserError{Msg: msg + " `/plat cost top` lists the services with cost data."}
}

func errNotService(e *catalog.Entity) error {
	if e.Kind == catalog.KindGroup {
		return &bot.UserError{Msg: fmt.Sprintf("`%s` is a team: try `/plat cost team %s`.", e.Metadata.Name, e.Metadata.Name)}
	}
	return &bot.UserError{Msg: fmt.Sprintf("`%s` is a %s; cost is tracked for Components and Resources.", e.Ref(), e.Kind)}
}

// ofTeam returns the tagged services a group owns.
func (d *directory) ofTeam(team string) []*Service {
	var out []*Service
	for _, s := range d.rollup {
		if s.Owner == team {
			out = append(out, s)
		}
	}
	return out
}

// teams returns every group that owns a tagged service, sorted.
func (d *directory) teams() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range d.rollup {
		if s.Owner != "" && !seen[s.Owner] {
			seen[s.Owner] = true
			out = append(out, s.Owner)
		}
	}
	sort.Strings(out)
	return out
}
