package cost

import (
	"context"
	"slices"
	"time"

	"github.com/platbot/platbot/commands/catalog"
)

// ServiceAmount is one catalog entity's cost over the last 30 complete UTC
// days (the window of the team summaries and `/plat cost`).
type ServiceAmount struct {
	Ref string
	// Known is false when nothing says what the entity costs: it is no
	// Component or Resource in the catalog (or an orphan), its
	// finops/cost-tag is missing or malformed, or its tag's key is one no
	// allocation query asks about.
	Known    bool
	Amount   float64
	Currency string
	AsOf     time.Time
}

// ServiceCost returns the cost of the workloads ref's cost tags claim over
// the last 30 complete days, whichever service owns those tags (a service
// sharing another's tag is charged with it too) and whether or not it is
// among its team's top services. A workload carrying several of its tags
// counts once. The answer comes from the cached allocation data the team
// summaries and reports use: asking about many services costs no query
// beyond the one fetch per cache TTL. Cost data being unavailable is an
// *UnavailableError.
func (c *Costs) ServiceCost(ctx context.Context, ref string) (ServiceAmount, error) {
	out := ServiceAmount{Ref: ref, Currency: c.cfg.Currency}
	e, ok := c.deps.Catalog.Get(ref)
	if !ok || e.Orphan || !slices.Contains(costKinds, e.Kind) {
		return out, nil
	}
	out.Ref = e.Ref()
	tags, err := ParseTags(e.Annotation(catalog.AnnotationCostTag))
	if err != nil {
		return out, nil // missing, or malformed (the directory reports it)
	}
	l := c.freshLedger(tags)
	if l == nil {
		if l, err = c.ledger(ctx, c.directory()); err != nil {
			return out, err
		}
	}
	if !hasAggregates(l, tags) {
		return out, nil
	}
	out.Known, out.AsOf = true, l.AsOf
	out.Amount = l.tagTotal(tags, l.lastDays(30))
	return out, nil
}

// freshLedger is the cached ledger when it may still be served and holds
// every tag's aggregate; nil otherwise. It spares a caller asking about one
// service reading the whole catalog again.
func (c *Costs) freshLedger(tags []Tag) *Ledger {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fresh(c.now().UTC()) || !hasAggregates(c.cached, tags) {
		return nil
	}
	return c.cached
}

// hasAggregates reports whether the ledger's queries aggregated by every
// tag's key, so a value it lacks had no cost.
func hasAggregates(l *Ledger, tags []Tag) bool {
	for _, t := range tags {
		if !slices.Contains(l.order, t.Aggregate()) {
			return false
		}
	}
	return true
}

// tagTotal adds the cost of the workloads the tags claim over sp without
// counting a workload's cost twice: for each workload and day, the values
// of one aggregation key add up (an allocation has one value per key), and
// of several keys the largest counts (the same allocations, seen through
// each key). That is exact when a workload carries all of the tags or one.
func (l *Ledger) tagTotal(tags []Tag, sp span) float64 {
	sp = l.clamp(sp)
	byKey := map[string]map[string][]float64{} // aggregate → workload → day
	seen := map[Tag]bool{}
	for _, t := range tags {
		s := l.groups[t.Aggregate()][t.Value]
		if s == nil || seen[t] {
			continue
		}
		seen[t] = true
		ws := byKey[t.Aggregate()]
		if ws == nil {
			ws = map[string][]float64{}
			byKey[t.Aggregate()] = ws
		}
		for w, days := range s.workloads {
			sum := ws[w]
			if sum == nil {
				sum = make([]float64, sp.to-sp.from)
				ws[w] = sum
			}
			for d := sp.from; d < sp.to; d++ {
				sum[d-sp.from] += days[d]
			}
		}
	}
	most := map[string][]float64{} // workload → day → the largest key's cost
	for _, ws := range byKey {
		for w, days := range ws {
			m := most[w]
			if m == nil {
				m = make([]float64, len(days))
				most[w] = m
			}
			for i, v := range days {
				m[i] = max(m[i], v)
			}
		}
	}
	var t float64
	for _, days := range most {
		for _, v := range days {
			t += v
		}
	}
	return t
}
