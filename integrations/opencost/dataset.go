package opencost

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// Dataset is an in-memory allocation store that answers allocation queries
// the way the API does: it slices the window into steps, pro-rates each
// recorded allocation by how much of its window falls into a step,
// aggregates by the requested properties (missing ones become
// __unallocated__), and filters. Rows are allocations at the finest grain
// recorded (typically one controller over one day), with complete
// properties. Idle rows are named __idle__.
//
// It backs the offline Recorded source and the loopback fakes in tests.
// A Dataset is not safe for concurrent Add; concurrent queries are fine.
type Dataset struct {
	rows []*Allocation
}

// NewDataset returns a dataset holding rows (not copied).
func NewDataset(rows ...*Allocation) *Dataset { return &Dataset{rows: rows} }

// Add appends rows.
func (d *Dataset) Add(rows ...*Allocation) { d.rows = append(d.rows, rows...) }

// Rows returns the rows.
func (d *Dataset) Rows() []*Allocation { return d.rows }

// Query answers q as of now.
func (d *Dataset) Query(q Query, now time.Time) ([]AllocationSet, error) {
	start, end := q.Start.UTC(), q.End.UTC()
	if start.IsZero() || end.IsZero() {
		var err error
		if start, end, err = ParseWindow(q.Window, now); err != nil {
			return nil, err
		}
	}
	if !end.After(start) {
		return nil, fmt.Errorf("bad window: end %s is not after start %s", end, start)
	}
	for _, k := range q.Aggregate {
		if _, err := segment(k, &Allocation{}); err != nil {
			return nil, err
		}
	}
	match, err := parseFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	step := q.Step
	if step <= 0 || q.Accumulate {
		step = end.Sub(start)
	}
	n := int((end.Sub(start) + step - 1) / step)
	sets := make([]*setBuilder, n)
	for i := range sets {
		ws := start.Add(time.Duration(i) * step)
		we := ws.Add(step)
		if we.After(end) {
			we = end
		}
		sets[i] = &setBuilder{win: Window{Start: ws, End: we}, out: map[string]*aggregate{}}
	}
	for _, r := range d.rows {
		idle := r.Name == Idle
		if idle && !q.IncludeIdle && !q.ShareIdle {
			continue
		}
		if !idle && !match(r) {
			continue
		}
		rs, re := r.Window.Start, r.Window.End
		dur := re.Sub(rs)
		if dur <= 0 || !re.After(start) || !rs.Before(end) {
			continue
		}
		first := max(0, int(rs.Sub(start)/step))
		for i := first; i < n && sets[i].win.Start.Before(re); i++ {
			ovs, ove := laterOf(rs, sets[i].win.Start), earlierOf(re, sets[i].win.End)
			ov := ove.Sub(ovs)
			if ov <= 0 {
				continue
			}
			f := float64(ov) / float64(dur)
			name := Idle
			if !idle {
				name = aggregateName(q.Aggregate, r)
			}
			sets[i].add(name, r, f, ovs, ove)
		}
	}
	out := make([]AllocationSet, n)
	for i, s := range sets {
		if q.ShareIdle {
			s.shareIdle(q.IncludeIdle)
		}
		out[i] = s.finish()
	}
	return out, nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// aggregateName is the name of r under the aggregation keys.
func aggregateName(keys []string, r *Allocation) string {
	if len(keys) == 0 {
		if r.Name != "" {
			return r.Name
		}
		return strings.Join([]string{orUnallocated(r.Properties.Cluster), orUnallocated(r.Properties.Namespace), orUnallocated(r.Properties.Pod), orUnallocated(r.Properties.Container)}, "/")
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i], _ = segment(k, r)
	}
	return strings.Join(parts, "/")
}

// segment is r's value for one aggregation key.
func segment(key string, r *Allocation) (string, error) {
	p := &r.Properties
	switch {
	case key == "cluster":
		return orUnallocated(p.Cluster), nil
	case key == "node":
		return orUnallocated(p.Node), nil
	case key == "namespace":
		return orUnallocated(p.Namespace), nil
	case key == "controllerKind":
		return orUnallocated(p.ControllerKind), nil
	case key == "controller":
		if p.Controller == "" {
			return Unallocated, nil
		}
		if p.ControllerKind != "" {
			return p.ControllerKind + ":" + p.Controller, nil
		}
		return p.Controller, nil
	case key == "pod":
		return orUnallocated(p.Pod), nil
	case key == "container":
		return orUnallocated(p.Container), nil
	case strings.HasPrefix(key, "label:") && len(key) > len("label:"):
		return orUnallocated(p.Labels[key[len("label:"):]]), nil
	case strings.HasPrefix(key, "annotation:") && len(key) > len("annotation:"):
		return orUnallocated(p.Annotations[key[len("annotation:"):]]), nil
	}
	return "", fmt.Errorf("unsupported aggregate %q (want cluster, node, namespace, controllerKind, controller, pod, container, label:<key> or annotation:<key>)", key)
}

func orUnallocated(s string) string {
	if s == "" {
		return Unallocated
	}
	return s
}

// aggregate accumulates one output allocation.
type aggregate struct {
	a                     *Allocation
	effW, cpuEffW, ramEfW float64 // weighted efficiency sums
	first                 bool
}

type setBuilder struct {
	win Window
	out map[string]*aggregate
}

func (s *setBuilder) add(name string, r *Allocation, f float64, rs, re time.Time) {
	g := s.out[name]
	if g == nil {
		g = &aggregate{a: &Allocation{Name: name, Window: s.win, Start: rs, End: re}, first: true}
		s.out[name] = g
	}
	a := g.a
	if g.first {
		a.Properties = r.Properties
		a.Properties.Labels = maps.Clone(r.Properties.Labels)
		a.Properties.Annotations = maps.Clone(r.Properties.Annotations)
		g.first = false
	} else {
		intersect(&a.Properties, &r.Properties)
	}
	if rs.Before(a.Start) {
		a.Start = rs
	}
	if re.After(a.End) {
		a.End = re
	}
	a.Minutes += r.Minutes * f
	a.CPUCores += r.CPUCores * f
	a.CPUCoreRequestAverage += r.CPUCoreRequestAverage * f
	a.CPUCoreUsageAverage += r.CPUCoreUsageAverage * f
	a.CPUCoreHours += r.CPUCoreHours * f
	a.CPUCost += r.CPUCost * f
	a.CPUCostAdjustment += r.CPUCostAdjustment * f
	a.GPUCount += r.GPUCount * f
	a.GPUHours += r.GPUHours * f
	a.GPUCost += r.GPUCost * f
	a.NetworkTransferBytes += r.NetworkTransferBytes * f
	a.NetworkReceiveBytes += r.NetworkReceiveBytes * f
	a.NetworkCost += r.NetworkCost * f
	a.LoadBalancerCost += r.LoadBalancerCost * f
	a.PVBytes += r.PVBytes * f
	a.PVByteHours += r.PVByteHours * f
	a.PVCost += r.PVCost * f
	a.RAMBytes += r.RAMBytes * f
	a.RAMByteRequestAverage += r.RAMByteRequestAverage * f
	a.RAMByteUsageAverage += r.RAMByteUsageAverage * f
	a.RAMByteHours += r.RAMByteHours * f
	a.RAMCost += r.RAMCost * f
	a.RAMCostAdjustment += r.RAMCostAdjustment * f
	a.SharedCost += r.SharedCost * f
	a.ExternalCost += r.ExternalCost * f
	a.TotalCost += r.TotalCost * f
	g.effW += r.TotalEfficiency * (r.CPUCost + r.RAMCost) * f
	g.cpuEffW += r.CPUEfficiency * r.CPUCost * f
	g.ramEfW += r.RAMEfficiency * r.RAMCost * f
}

// shareIdle spreads the idle allocation's CPU, RAM and GPU cost over the
// others in proportion to their own, as shareIdle=true does.
func (s *setBuilder) shareIdle(keep bool) {
	idle := s.out[Idle]
	if idle == nil {
		return
	}
	if !keep {
		delete(s.out, Idle)
	}
	var cpu, ram, gpu float64
	for name, g := range s.out {
		if name != Idle {
			cpu, ram, gpu = cpu+g.a.CPUCost, ram+g.a.RAMCost, gpu+g.a.GPUCost
		}
	}
	for name, g := range s.out {
		if name == Idle {
			continue
		}
		a := g.a
		var add float64
		if cpu > 0 {
			x := idle.a.CPUCost * a.CPUCost / cpu
			a.CPUCost, add = a.CPUCost+x, add+x
		}
		if ram > 0 {
			x := idle.a.RAMCost * a.RAMCost / ram
			a.RAMCost, add = a.RAMCost+x, add+x
		}
		if gpu > 0 {
			x := idle.a.GPUCost * a.GPUCost / gpu
			a.GPUCost, add = a.GPUCost+x, add+x
		}
		a.TotalCost += add
	}
}

func (s *setBuilder) finish() AllocationSet {
	set := make(AllocationSet, len(s.out))
	for name, g := range s.out {
		a := g.a
		if w := a.CPUCost + a.RAMCost; w > 0 {
			a.TotalEfficiency = g.effW / w
		}
		if a.CPUCost > 0 {
			a.CPUEfficiency = g.cpuEffW / a.CPUCost
		}
		if a.RAMCost > 0 {
			a.RAMEfficiency = g.ramEfW / a.RAMCost
		}
		set[name] = a
	}
	return set
}

// intersect keeps in dst only the properties src shares.
func intersect(dst, src *Properties) {
	keep := func(d *string, s string) {
		if *d != s {
			*d = ""
		}
	}
	keep(&dst.Cluster, src.Cluster)
	keep(&dst.Node, src.Node)
	keep(&dst.Namespace, src.Namespace)
	keep(&dst.ControllerKind, src.ControllerKind)
	keep(&dst.Controller, src.Controller)
	keep(&dst.Pod, src.Pod)
	keep(&dst.Container, src.Container)
	for k, v := range dst.Labels {
		if src.Labels[k] != v {
			delete(dst.Labels, k)
		}
	}
	for k, v := range dst.Annotations {
		if src.Annotations[k] != v {
			delete(dst.Annotations, k)
		}
	}
}

// parseFilter reads the allocation filter language's common subset:
// clauses joined by "+", each `prop:"v1","v2"` (or `prop!:` to exclude),
// where prop is cluster, node, namespace, controllerKind, controllerName,
// pod, container, label[key] or annotation[key].
func parseFilter(s string) (func(*Allocation) bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return func(*Allocation) bool { return true }, nil
	}
	type clause struct {
		get    func(*Allocation) string
		values []string
		not    bool
	}
	var clauses []clause
	for _, part := range strings.Split(s, "+") {
		prop, vals, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("bad filter %q: want prop:\"value\"", part)
		}
		c := clause{}
		if strings.HasSuffix(prop, "!") {
			c.not, prop = true, strings.TrimSuffix(prop, "!")
		}
		get, err := filterProp(prop)
		if err != nil {
			return nil, err
		}
		c.get = get
		for _, v := range strings.Split(vals, ",") {
			c.values = append(c.values, strings.Trim(strings.TrimSpace(v), `"`))
		}
		clauses = append(clauses, c)
	}
	return func(a *Allocation) bool {
		for _, c := range clauses {
			v := c.get(a)
			hit := false
			for _, want := range c.values {
				if v == want {
					hit = true
					break
				}
			}
			if hit == c.not {
				return false
			}
		}
		return true
	}, nil
}

func filterProp(prop string) (func(*Allocation) string, error) {
	switch prop {
	case "cluster":
		return func(a *Allocation) string { return a.Properties.Cluster }, nil
	case "node":
		return func(a *Allocation) string { return a.Properties.Node }, nil
	case "namespace":
		return func(a *Allocation) string { return a.Properties.Namespace }, nil
	case "controllerKind":
		return func(a *Allocation) string { return a.Properties.ControllerKind }, nil
	case "controllerName":
		return func(a *Allocation) string { return a.Properties.Controller }, nil
	case "pod":
		return func(a *Allocation) string { return a.Properties.Pod }, nil
	case "container":
		return func(a *Allocation) string { return a.Properties.Container }, nil
	}
	for _, kind := range []string{"label", "annotation"} {
		if strings.HasPrefix(prop, kind+"[") && strings.HasSuffix(prop, "]") {
			key := prop[len(kind)+1 : len(prop)-1]
			if kind == "label" {
				return func(a *Allocation) string { return a.Properties.Labels[key] }, nil
			}
			return func(a *Allocation) string { return a.Properties.Annotations[key] }, nil
		}
	}
	return nil, fmt.Errorf("unsupported filter property %q", prop)
}

// Days returns the distinct UTC days the dataset's rows start on, sorted.
func (d *Dataset) Days() []time.Time {
	seen := map[time.Time]bool{}
	var out []time.Time
	for _, r := range d.rows {
		day := r.Window.Start.UTC().Truncate(24 * time.Hour)
		if !seen[day] {
			seen[day] = true
			out = append(out, day)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
