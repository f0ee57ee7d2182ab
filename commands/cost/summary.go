package cost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// TeamCost is a team's cost for the scorecard digest: the last 30 days'
// total, its trend against the 30 days before, and the top 3 services.
type TeamCost struct {
	Team string
	// Services is how many tagged services the team owns (0: nothing to show).
	Services int
	Total    float64
	Trend    Trend
	Top      []ServiceSpend
	Currency string
	AsOf     time.Time
}

// Text renders the summary as a digest section ("" when the team has no
// tagged services).
func (t TeamCost) Text() string {
	if t.Services == 0 {
		return ""
	}
	var top []string
	for _, s := range t.Top {
		top = append(top, fmt.Sprintf("%s %s (%s)", s.Name, formatMoney(t.Currency, s.Last30), s.Trend))
	}
	out := fmt.Sprintf("*Cost, last 30 days:* %s %s vs the 30 days before", formatMoney(t.Currency, t.Total), t.Trend)
	if len(top) > 0 {
		out += "\nTop services: " + strings.Join(top, " · ")
	}
	return out
}

// TeamSummary computes a team's cost summary. team is a group ref or name.
// Cost data being unavailable is an *UnavailableError.
func (c *Costs) TeamSummary(ctx context.Context, team string) (TeamCost, error) {
	ref := catalog.NormalizeRef(team, catalog.KindGroup, catalog.DefaultNamespace)
	d := c.directory()
	svcs := d.ofTeam(ref)
	out := TeamCost{Team: ref, Services: len(svcs), Currency: c.cfg.Currency}
	if len(svcs) == 0 {
		return out, nil
	}
	l, err := c.ledger(ctx, d)
	if err != nil {
		return out, err
	}
	out.AsOf = l.AsOf
	var lines []ServiceSpend
	var cur, prev float64
	for _, s := range svcs {
		sp := l.serviceSpend(s, c.cfg.FlatPercent)
		cur += sp.Last30
		prev += sp.Trend.Previous
		lines = append(lines, sp)
	}
	rank(lines)
	out.Total = cur
	out.Trend = newTrend(cur, prev, c.cfg.FlatPercent)
	out.Top = lines[:min(3, len(lines))]
	return out, nil
}

// CostSummary is TeamSummary as a section of the weekly scorecard digest
// (it satisfies the scorecard's CostSummarizer). ok is false when the team
// has no tagged services; when cost data is unavailable the section says so.
func (c *Costs) CostSummary(ctx context.Context, team string) (section bot.Section, ok bool) {
	t, err := c.TeamSummary(ctx, team)
	var ue *UnavailableError
	switch {
	case errors.As(err, &ue):
		return bot.Section{Text: "*Cost:* " + ue.Error()}, true
	case err != nil:
		c.log.Error("cost summary for digest", "team", team, "err", err)
		return bot.Section{}, false
	case t.Services == 0:
		return bot.Section{}, false
	}
	return bot.Section{Text: t.Text()}, true
}
