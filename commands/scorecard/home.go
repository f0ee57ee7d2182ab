package scorecard

import (
	"context"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// ServiceFact is a service's grade for service summaries (the Home's
// service list, a link's preview); it satisfies catalog.SummaryFact. Facts
// come from the gatherer's cache where fresh, as for `/plat scorecard`.
func (s *Scorecards) ServiceFact(ctx context.Context, e *catalog.Entity) (bot.Pair, bool) {
	if e == nil || e.Kind != catalog.KindComponent || e.Orphan {
		return bot.Pair{}, false
	}
	rs, err := s.scoreEntities(ctx, []*catalog.Entity{e}, s.now())
	if err != nil || len(rs) == 0 {
		s.log.Warn("grade for a service summary", "service", e.Ref(), "err", err)
		return bot.Pair{}, false
	}
	return bot.Pair{Label: "Grade", Value: "*" + rs[0].Grade.Label(rs[0].Incomplete) + "*"}, true
}

var _ catalog.SummaryFact = (*Scorecards)(nil)
