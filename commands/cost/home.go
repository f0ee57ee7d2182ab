package cost

import (
	"context"
	"errors"
	"slices"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// ServiceFact is a service's cost over the last 30 days and its trend
// against the 30 days before, for service summaries (the Home's service
// list); it satisfies catalog.SummaryFact. It counts the tags the service
// owns, as the team roll-ups do, from the cached allocation data; nothing
// is said of an untagged service, a service whose tags another owns is
// "counted with" it, and "unavailable" while cost data is.
func (c *Costs) ServiceFact(ctx context.Context, e *catalog.Entity) (bot.Pair, bool) {
	if e == nil || e.Orphan {
		return bot.Pair{}, false
	}
	d := c.directory()
	s, ok := d.byRef[e.Ref()]
	if !ok || len(s.Tags) == 0 {
		return bot.Pair{}, false
	}
	if len(s.Owned) == 0 && s.SharedWith != "" {
		return bot.Pair{Label: "Cost 30d", Value: "counted with " + s.SharedWith}, true
	}
	l, err := c.ledger(ctx, d)
	var ue *UnavailableError
	switch {
	case errors.As(err, &ue):
		return bot.Pair{Label: "Cost", Value: "unavailable"}, true
	case err != nil:
		c.log.Warn("cost for a service summary", "service", e.Ref(), "err", err)
		return bot.Pair{}, false
	}
	sp := l.serviceSpend(s, c.cfg.FlatPercent)
	return bot.Pair{Label: "Cost 30d", Value: formatMoney(c.cfg.Currency, sp.Last30) + " " + sp.Trend.String()}, true
}

var _ catalog.SummaryFact = (*Costs)(nil)

// costsChanged tells the Homes of the teams owning a service whose cost
// fact (its 30-day cost and trend, as ServiceFact shows it) differs
// between the ledger a fetch replaced, prev, and the new one; the first
// fetch of the process (prev nil) only fills the cache.
func (c *Costs) costsChanged(ctx context.Context, d *directory, prev, next *Ledger) {
	if prev == nil || c.router == nil {
		return
	}
	var teams []string
	for _, s := range d.rollup {
		if s.Owner == "" || slices.Contains(teams, s.Owner) {
			continue
		}
		a, b := prev.serviceSpend(s, c.cfg.FlatPercent), next.serviceSpend(s, c.cfg.FlatPercent)
		if formatMoney(c.cfg.Currency, a.Last30) != formatMoney(c.cfg.Currency, b.Last30) || a.Trend.String() != b.Trend.String() {
			teams = append(teams, s.Owner)
		}
	}
	c.router.HomeChangedForTeams(ctx, teams...)
}
