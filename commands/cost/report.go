package cost

import (
	"math"
	"sort"
	"time"
)

// Trend compares a window's spend with the previous equal window.
type Trend struct {
	Current, Previous float64
	// Percent is the relative change; Known is false when Previous is 0.
	Percent float64
	Known   bool
	// Flat is the band, in percent, shown as →.
	Flat float64
}

func newTrend(cur, prev, flat float64) Trend {
	t := Trend{Current: cur, Previous: prev, Flat: flat}
	if prev > 0 {
		t.Percent, t.Known = (cur-prev)/prev*100, true
	}
	return t
}

// Arrow is ↑, ↓ or →.
func (t Trend) Arrow() string {
	switch {
	case !t.Known && t.Current > 0:
		return "↑"
	case !t.Known || math.Abs(t.Percent) < t.Flat:
		return "→"
	case t.Percent > 0:
		return "↑"
	}
	return "↓"
}

// String renders "↑ 12.5%", "↓ 3%", "→ 0.4%", "↑ new" or "→".
func (t Trend) String() string {
	switch {
	case !t.Known && t.Current > 0:
		return "↑ new"
	case !t.Known:
		return "→"
	}
	return t.Arrow() + " " + formatPercent(math.Abs(t.Percent))
}

// Contributor is one part of a subject's spend (a cost category, or a
// namespace/controller) over a recent window compared with what the
// baseline window's rate predicts for it.
type Contributor struct {
	Name     string
	Current  float64
	Expected float64
}

// Delta is the change over the window.
func (c Contributor) Delta() float64 { return c.Current - c.Expected }

// topContributors ranks categories and workloads by change in the direction
// up (or down), keeping up to n of each that moved that way.
func topContributors(cur, base map[string]float64, scale float64, up bool, n int) []Contributor {
	var out []Contributor
	for name, v := range cur {
		out = append(out, Contributor{Name: name, Current: v, Expected: base[name] * scale})
	}
	for name, v := range base {
		if _, ok := cur[name]; !ok {
			out = append(out, Contributor{Name: name, Expected: v * scale})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].Delta(), out[j].Delta()
		if di != dj {
			if up {
				return di > dj
			}
			return di < dj
		}
		return out[i].Name < out[j].Name
	})
	k := 0
	for _, c := range out {
		if k == n || (up && c.Delta() <= 0.005) || (!up && c.Delta() >= -0.005) {
			break
		}
		k++
	}
	return out[:k]
}

// topShares ranks by current spend, for subjects whose spend did not grow.
func topShares(cur map[string]float64, n int) []Contributor {
	out := make([]Contributor, 0, len(cur))
	for name, v := range cur {
		if v > 0.005 {
			out = append(out, Contributor{Name: name, Current: v, Expected: v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Current != out[j].Current {
			return out[i].Current > out[j].Current
		}
		return out[i].Name < out[j].Name
	})
	return out[:min(n, len(out))]
}

func categoryMap(c *Cost) map[string]float64 {
	m := make(map[string]float64, len(categories))
	for _, cat := range categories {
		if v := cat.get(c); v != 0 {
			m[cat.name] = v
		}
	}
	return m
}

// Report is the cost of one service or team.
type Report struct {
	// Subject is the service's or team's name, Ref its catalog ref.
	Subject, Ref string
	Team         string
	// Services are a team's services by last-30-days spend (nil for a service).
	Services []ServiceSpend
	// MTD is month-to-date spend; Projected is it extrapolated to month end.
	MTD, Projected float64
	// Last30 is the 30 complete days before today, Trend compares it with
	// the 30 days before.
	Last30 float64
	Trend  Trend
	// Breakdown is the last 30 days by category.
	Breakdown Cost
	// Efficiency (0..1) over the last 30 days, when known.
	Efficiency, CPUEfficiency, RAMEfficiency float64
	HasEfficiency                            bool
	// Daily is the spend of each of the last 30 complete days.
	Daily []float64
	// Requests over the last 30 days and cost per 1,000 of them.
	Requests, Per1K float64
	HasRequests     bool
	// NoRequestCounter says no request source is configured, so cost per
	// 1,000 requests shows as "not configured".
	NoRequestCounter bool
	// Budget is the monthly budget (0 = none).
	Budget float64
	// Workloads are the biggest namespace/controller spends of the last 30 days.
	Workloads []Contributor
	// MonthDays is how many days of the month have elapsed (fractional),
	// MonthLength how many it has.
	MonthDays, MonthLength float64
	AsOf                   time.Time
}

// ServiceSpend is one service's line in a roll-up.
type ServiceSpend struct {
	Name, Ref string
	Last30    float64
	Trend     Trend
	MTD       float64
}

// monthProgress is how far into its month the ledger's AsOf is, in days,
// and how long the month is.
func (l *Ledger) monthProgress() (elapsed, length float64) {
	ms := time.Date(l.AsOf.Year(), l.AsOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	return l.AsOf.Sub(ms).Hours() / 24, ms.AddDate(0, 1, 0).Sub(ms).Hours() / 24
}

// project extrapolates month-to-date spend linearly to month end.
func project(mtd, elapsed, length float64) float64 {
	if elapsed <= 0 {
		return 0
	}
	return mtd * length / elapsed
}

// report computes a subject's report from its series.
func (l *Ledger) report(ss []*series, flat float64) Report {
	last := l.lastDays(30)
	prev := before(last, 30)
	r := Report{AsOf: l.AsOf}
	r.MTD = l.total(ss, l.monthToDate())
	r.MonthDays, r.MonthLength = l.monthProgress()
	r.Projected = project(r.MTD, r.MonthDays, r.MonthLength)
	r.Breakdown = l.sum(ss, last)
	r.Last30 = r.Breakdown.Total
	r.Trend = newTrend(r.Last30, l.total(ss, prev), flat)
	r.Efficiency, r.CPUEfficiency, r.RAMEfficiency, r.HasEfficiency = r.Breakdown.Efficiency()
	r.Daily = l.daily(ss, last)
	r.Workloads = topShares(l.workloadTotals(ss, nil, last, nil), 3)
	return r
}

// serviceSpend is a service's roll-up line.
// It counts only the tags the service owns, so lines add up to team totals.
func (l *Ledger) serviceSpend(s *Service, flat float64) ServiceSpend {
	ss := l.ownedSeriesOf(s)
	last := l.lastDays(30)
	cur := l.total(ss, last)
	return ServiceSpend{
		Name: s.Name, Ref: s.Ref, Last30: cur,
		Trend: newTrend(cur, l.total(ss, before(last, 30)), flat),
		MTD:   l.total(ss, l.monthToDate()),
	}
}

// rank sorts roll-up lines by spend, biggest first.
func rank(lines []ServiceSpend) {
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].Last30 != lines[j].Last30 {
			return lines[i].Last30 > lines[j].Last30
		}
		return lines[i].Name < lines[j].Name
	})
}
