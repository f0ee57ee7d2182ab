package cost

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/integrations/opencost"
)

// HygieneReport is cost that maps to no catalog entity, and the services
// that have no cost tag, over the last 30 days.
type HygieneReport struct {
	// Unclaimed is the total cost no service claims.
	Unclaimed float64
	// Groups are the unclaimed costs by label value, biggest first.
	Groups []UnclaimedCost
	// Untagged are the Components without a finops/cost-tag annotation.
	Untagged []string
	// Idle is idle cluster capacity (with include_idle).
	Idle float64
	AsOf time.Time
}

// UnclaimedCost is the cost of one label value (or of workloads without the
// label: Value "__unallocated__") that no catalog entity claims.
type UnclaimedCost struct {
	Kind, Key, Value string
	Cost             float64
	Namespaces       []string
	Workloads        []Contributor
}

// Hygiene computes the hygiene report.
func (c *Costs) Hygiene(ctx context.Context) (*HygieneReport, error) {
	d := c.directory()
	l, err := c.ledger(ctx, d)
	if err != nil {
		return nil, err
	}
	return hygiene(l, d), nil
}

// hygiene finds the workloads no tag claims. A workload counts as claimed
// when any aggregation key's value for it belongs to a catalog entity, so a
// workload tagged by one key is not reported as missing another.
func hygiene(l *Ledger, d *directory) *HygieneReport {
	last := l.lastDays(30)
	h := &HygieneReport{AsOf: l.AsOf}
	claimed := map[string]bool{}
	for agg, values := range l.groups {
		for v, s := range values {
			if v != opencost.Unallocated && len(d.byTag[agg][v]) > 0 {
				for w := range s.workloads {
					claimed[w] = true
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, agg := range l.order {
		kind, key, _ := strings.Cut(agg, ":")
		values := make([]string, 0, len(l.groups[agg]))
		for v := range l.groups[agg] {
			values = append(values, v)
		}
		sort.Strings(values)
		for _, v := range values {
			if v != opencost.Unallocated && len(d.byTag[agg][v]) > 0 {
				continue
			}
			s := l.groups[agg][v]
			totals := map[string]float64{}
			l.workloadTotals([]*series{s}, nil, last, totals)
			g := UnclaimedCost{Kind: kind, Key: key, Value: v}
			for w, t := range totals {
				if claimed[w] || seen[w] || t < 0.005 {
					delete(totals, w)
					continue
				}
				seen[w] = true
				g.Cost += t
			}
			if len(totals) == 0 {
				continue
			}
			g.Namespaces = namespacesOf(totals)
			g.Workloads = topShares(totals, 3)
			h.Groups = append(h.Groups, g)
			h.Unclaimed += g.Cost
		}
	}
	sort.SliceStable(h.Groups, func(i, j int) bool { return h.Groups[i].Cost > h.Groups[j].Cost })
	for _, s := range d.untagged {
		h.Untagged = append(h.Untagged, s.Name)
	}
	h.Idle = l.Idle
	return h
}

// postHygiene posts the report to the platform channel when there is
// something to report.
func (c *Costs) postHygiene(ctx context.Context) error {
	if c.cfg.PlatformChannel == "" {
		c.log.Info("cost hygiene report skipped: no cost.platform_channel")
		return nil
	}
	m := c.messenger()
	if m == nil {
		return fmt.Errorf("cost hygiene: no messenger to post with")
	}
	h, err := c.Hygiene(ctx)
	if err != nil {
		if ue, ok := err.(*UnavailableError); ok {
			return c.outageNotice(ctx, ue)
		}
		return fmt.Errorf("cost hygiene: %w", err)
	}
	if len(h.Groups) == 0 && len(h.Untagged) == 0 {
		return nil
	}
	if _, err := m.Post(ctx, c.cfg.PlatformChannel, c.hygieneMessage(h)); err != nil {
		return fmt.Errorf("post cost hygiene to %s: %w", c.cfg.PlatformChannel, err)
	}
	return nil
}
