package cost

import (
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/integrations/opencost"
)

const day = 24 * time.Hour

// Cost is spend by category over some period, in the configured currency.
// Total is OpenCost's totalCost, which may differ from the sum of the
// categories by adjustments.
type Cost struct {
	CPU, RAM, GPU, Storage, Network, LoadBalancer, Shared, External float64
	Total                                                           float64

	// Efficiency numerators: efficiency × the cost it applies to.
	effW, cpuEffW, ramEffW float64
}

func (c *Cost) add(o *Cost) {
	c.CPU += o.CPU
	c.RAM += o.RAM
	c.GPU += o.GPU
	c.Storage += o.Storage
	c.Network += o.Network
	c.LoadBalancer += o.LoadBalancer
	c.Shared += o.Shared
	c.External += o.External
	c.Total += o.Total
	c.effW += o.effW
	c.cpuEffW += o.cpuEffW
	c.ramEffW += o.ramEffW
}

func (c *Cost) addAllocation(a *opencost.Allocation) {
	c.CPU += a.CPUCost
	c.RAM += a.RAMCost
	c.GPU += a.GPUCost
	c.Storage += a.PVCost
	c.Network += a.NetworkCost
	c.LoadBalancer += a.LoadBalancerCost
	c.Shared += a.SharedCost
	c.External += a.ExternalCost
	c.Total += a.TotalCost
	c.effW += clampEff(a.TotalEfficiency) * (a.CPUCost + a.RAMCost)
	c.cpuEffW += clampEff(a.CPUEfficiency) * a.CPUCost
	c.ramEffW += clampEff(a.RAMEfficiency) * a.RAMCost
}

// clampEff bounds an efficiency to [0, 1]; OpenCost reports usage above
// requests as efficiency over 100%, which would hide waste elsewhere.
func clampEff(e float64) float64 {
	switch {
	case e != e || e < 0:
		return 0
	case e > 1:
		return 1
	}
	return e
}

// Efficiency is the cost-weighted efficiency of CPU and RAM together, and of
// each; ok is false when there was no CPU or RAM cost.
func (c Cost) Efficiency() (total, cpu, ram float64, ok bool) {
	if w := c.CPU + c.RAM; w > 0 {
		total, ok = c.effW/w, true
	}
	if c.CPU > 0 {
		cpu = c.cpuEffW / c.CPU
	}
	if c.RAM > 0 {
		ram = c.ramEffW / c.RAM
	}
	return total, cpu, ram, ok
}

// category is one line of a cost breakdown.
type category struct {
	name string
	get  func(*Cost) float64
}

var categories = []category{
	{"CPU", func(c *Cost) float64 { return c.CPU }},
	{"RAM", func(c *Cost) float64 { return c.RAM }},
	{"GPU", func(c *Cost) float64 { return c.GPU }},
	{"Storage", func(c *Cost) float64 { return c.Storage }},
	{"Network", func(c *Cost) float64 { return c.Network }},
	{"Load balancer", func(c *Cost) float64 { return c.LoadBalancer }},
	{"Shared", func(c *Cost) float64 { return c.Shared }},
	{"External", func(c *Cost) float64 { return c.External }},
}

// series is the daily cost of one aggregate value (one cost-tag value, or
// __unallocated__), with each workload's daily total.
type series struct {
	days []Cost
	// workloads maps "namespace/controller" to its daily total.
	workloads map[string][]float64
}

// Ledger is daily cost data for a run of UTC days ending today, grouped by
// aggregation key and value. Day Days-1 is today, up to AsOf.
type Ledger struct {
	// Start is midnight UTC of day 0.
	Start time.Time
	// AsOf is when the data ends (the time of the query).
	AsOf time.Time
	// Days is the number of daily buckets, today included.
	Days int
	// Idle is idle cost over the whole ledger (only with includeIdle).
	Idle float64

	order  []string                      // aggregation keys in query order
	groups map[string]map[string]*series // aggregate → value → series
	// dayTotals is all cost per day, for spotting gaps in the data.
	dayTotals []float64
	slab      []Cost
}

func newLedger(start, asOf time.Time, days int) *Ledger {
	return &Ledger{Start: start, AsOf: asOf, Days: days, groups: map[string]map[string]*series{}, dayTotals: make([]float64, days)}
}

// addSets files the daily sets of a query aggregated by
// [aggregate, "namespace", "controller"]. The first aggregate's sets also
// feed the day totals.
func (l *Ledger) addSets(aggregate string, sets []opencost.AllocationSet) {
	first := len(l.order) == 0
	l.order = append(l.order, aggregate)
	g := l.groups[aggregate]
	if g == nil {
		g = map[string]*series{}
		l.groups[aggregate] = g
	}
	kind, key, _ := strings.Cut(aggregate, ":")
	// The same names recur every step: resolve each once.
	type slot struct {
		s *series
		w []float64
	}
	var slots map[string]slot
	if len(sets) > 0 {
		slots = make(map[string]slot, len(sets[0]))
	}
	for i, set := range sets {
		for name, a := range set {
			d := i
			if !a.Window.Start.IsZero() {
				d = int(a.Window.Start.Sub(l.Start) / day)
			}
			if d < 0 || d >= l.Days {
				continue
			}
			if name == opencost.Idle {
				if first {
					l.Idle += a.TotalCost
				}
				continue
			}
			sl, ok := slots[name]
			if !ok {
				value, workload := splitName(name, a, kind, key)
				sl.s = g[value]
				if sl.s == nil {
					sl.s = l.newSeries()
					g[value] = sl.s
				}
				sl.w = sl.s.workloads[workload]
				if sl.w == nil {
					sl.w = make([]float64, l.Days)
					sl.s.workloads[workload] = sl.w
				}
				slots[name] = sl
			}
			sl.s.days[d].addAllocation(a)
			sl.w[d] += a.TotalCost
			if first {
				l.dayTotals[d] += a.TotalCost
			}
		}
	}
}

// newSeries allocates a series, carving its days from a shared slab so
// thousands of services cost a few large allocations, not thousands.
func (l *Ledger) newSeries() *series {
	if len(l.slab) < l.Days {
		l.slab = make([]Cost, l.Days*256)
	}
	s := &series{days: l.slab[:l.Days:l.Days], workloads: make(map[string][]float64, 1)}
	l.slab = l.slab[l.Days:]
	return s
}

// splitName reads "value/namespace/controller", falling back to the
// allocation's properties when the name has another shape.
func splitName(name string, a *opencost.Allocation, kind, key string) (value, workload string) {
	if i := strings.IndexByte(name, '/'); i >= 0 {
		if j := strings.IndexByte(name[i+1:], '/'); j >= 0 {
			return name[:i], name[i+1:]
		}
	}
	p := &a.Properties
	if kind == "annotation" {
		value = p.Annotations[key]
	} else {
		value = p.Labels[key]
	}
	if value == "" {
		value = opencost.Unallocated
	}
	ns, ctrl := p.Namespace, p.Controller
	if ns == "" {
		ns = opencost.Unallocated
	}
	if ctrl == "" {
		ctrl = opencost.Unallocated
	} else if p.ControllerKind != "" {
		ctrl = p.ControllerKind + ":" + ctrl
	}
	return value, ns + "/" + ctrl
}

// seriesOf returns the series a service's tags claim.
func (l *Ledger) seriesOf(s *Service) []*series {
	var out []*series
	for _, t := range s.Tags {
		if x := l.groups[t.Aggregate()][t.Value]; x != nil {
			out = append(out, x)
		}
	}
	return out
}

// ownedSeriesOf returns the series of the tags a service owns, for roll-ups.
func (l *Ledger) ownedSeriesOf(s *Service) []*series {
	var out []*series
	for _, t := range s.Owned {
		if x := l.groups[t.Aggregate()][t.Value]; x != nil {
			out = append(out, x)
		}
	}
	return out
}

// span is a range of day indexes [from, to).
type span struct{ from, to int }

func (l *Ledger) clamp(sp span) span {
	sp.from = max(0, min(sp.from, l.Days))
	sp.to = max(sp.from, min(sp.to, l.Days))
	return sp
}

// today is the index of today's (partial) bucket.
func (l *Ledger) today() int { return l.Days - 1 }

// lastDays is the n complete days before today.
func (l *Ledger) lastDays(n int) span { return span{l.today() - n, l.today()} }

// before is the n days before sp.
func before(sp span, n int) span { return span{sp.from - n, sp.from} }

// monthToDate is the current UTC month, today's partial day included.
func (l *Ledger) monthToDate() span {
	ms := time.Date(l.AsOf.Year(), l.AsOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	return span{int(ms.Sub(l.Start) / day), l.Days}
}

// covers reports whether the ledger holds all of sp.
func (l *Ledger) covers(sp span) bool { return sp.from >= 0 && sp.to <= l.Days && sp.from < sp.to }

// sum adds the series' costs over sp.
func (l *Ledger) sum(ss []*series, sp span) Cost {
	sp = l.clamp(sp)
	var c Cost
	for _, s := range ss {
		for d := sp.from; d < sp.to; d++ {
			c.add(&s.days[d])
		}
	}
	return c
}

// total adds the series' total cost over sp.
func (l *Ledger) total(ss []*series, sp span) float64 {
	sp = l.clamp(sp)
	var t float64
	for _, s := range ss {
		for d := sp.from; d < sp.to; d++ {
			t += s.days[d].Total
		}
	}
	return t
}

// daily returns the series' total per day over sp.
func (l *Ledger) daily(ss []*series, sp span) []float64 {
	sp = l.clamp(sp)
	out := make([]float64, sp.to-sp.from)
	for _, s := range ss {
		for d := sp.from; d < sp.to; d++ {
			out[d-sp.from] += s.days[d].Total
		}
	}
	return out
}

// workloadTotals sums each workload over sp; prefix names the series when
// several services are combined.
func (l *Ledger) workloadTotals(ss []*series, prefixes []string, sp span, into map[string]float64) map[string]float64 {
	sp = l.clamp(sp)
	if into == nil {
		into = map[string]float64{}
	}
	for i, s := range ss {
		p := ""
		if prefixes != nil {
			p = prefixes[i] + " · "
		}
		for w, days := range s.workloads {
			var t float64
			for d := sp.from; d < sp.to; d++ {
				t += days[d]
			}
			into[p+w] += t
		}
	}
	return into
}

// gap reports whether the last complete day has no cost at all while the
// days before it do: a hole in the data (OpenCost restarting, a Prometheus
// outage) that must not read as a drop in spend.
func (l *Ledger) gap() bool {
	t := l.today()
	if t < 1 {
		return false
	}
	if l.dayTotals[t-1] > 0 {
		return false
	}
	for d := 0; d < t-1; d++ {
		if l.dayTotals[d] > 0 {
			return true
		}
	}
	return false
}

// namespacesOf returns the sorted namespaces of workload names.
func namespacesOf(workloads map[string]float64) []string {
	seen := map[string]bool{}
	var out []string
	for w := range workloads {
		ns, _, _ := strings.Cut(w, "/")
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}
