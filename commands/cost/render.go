package cost

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/opencost"
)

// asOf renders when the data ends.
func asOf(r Report) string { return "data to " + r.AsOf.UTC().Format("2006-01-02 15:04 MST") }

// reportMessage renders a service's or team's cost report.
func (c *Costs) reportMessage(r Report, footer string) bot.Message {
	title := "💰 " + r.Subject + " — cost"
	month := r.AsOf.Format("January")
	pairs := []bot.Pair{
		{Label: "Month to date", Value: fmt.Sprintf("%s (projected %s for %s)", c.money(r.MTD), c.money(r.Projected), month)},
		{Label: "Last 30 days", Value: fmt.Sprintf("%s  %s vs the 30 days before (%s)", c.money(r.Last30), r.Trend, c.money(r.Trend.Previous))},
	}
	if r.HasEfficiency {
		pairs = append(pairs, bot.Pair{Label: "Efficiency", Value: fmt.Sprintf("%s (CPU %s, RAM %s)",
			formatPercent(r.Efficiency*100), formatPercent(r.CPUEfficiency*100), formatPercent(r.RAMEfficiency*100))})
	}
	if r.HasRequests {
		pairs = append(pairs, bot.Pair{Label: "Per 1,000 requests", Value: fmt.Sprintf("%s (%s requests in 30 days)", formatUnitCost(c.cfg.Currency, r.Per1K), formatCount(r.Requests))})
	} else if r.NoRequestCounter {
		pairs = append(pairs, bot.Pair{Label: "Per 1,000 requests", Value: "not configured (set PROMETHEUS_URL or cost.prometheus.url to count requests)"})
	}
	if r.Budget > 0 {
		pairs = append(pairs, bot.Pair{Label: "Monthly budget", Value: fmt.Sprintf("%s — projected %s of it", c.money(r.Budget), formatPercent(r.Projected/r.Budget*100))})
	}
	blocks := []bot.Block{bot.Header{Text: title}, bot.Fields{Pairs: pairs}}
	if lines := c.breakdownLines(&r.Breakdown); len(lines) > 0 {
		blocks = append(blocks, bot.Section{Text: "*Breakdown, last 30 days*\n" + strings.Join(lines, "\n")})
	}
	if len(r.Services) > 0 {
		var lines []string
		for i, s := range r.Services {
			if i == 10 {
				lines = append(lines, fmt.Sprintf("…and %d more", len(r.Services)-10))
				break
			}
			lines = append(lines, fmt.Sprintf("%d. *%s* %s  %s", i+1, s.Name, c.money(s.Last30), s.Trend))
		}
		blocks = append(blocks, bot.Section{Text: "*Services, last 30 days*\n" + strings.Join(lines, "\n")})
	}
	if len(r.Workloads) > 0 {
		var lines []string
		for _, w := range r.Workloads {
			lines = append(lines, fmt.Sprintf("• `%s` %s", w.Name, c.money(w.Current)))
		}
		blocks = append(blocks, bot.Section{Text: "*Biggest workloads*\n" + strings.Join(lines, "\n")})
	}
	blocks = append(blocks, bot.Context{Text: footer + " · " + asOf(r)})
	text := fmt.Sprintf("%s: %s month to date, %s in the last 30 days (%s)", r.Subject, c.money(r.MTD), c.money(r.Last30), r.Trend)
	return bot.Message{Text: text, Blocks: blocks}
}

// breakdownLines renders the categories with a share of the total.
func (c *Costs) breakdownLines(b *Cost) []string {
	var sum float64
	for _, cat := range categories {
		sum += cat.get(b)
	}
	var lines []string
	for _, cat := range categories {
		v := cat.get(b)
		if math.Abs(v) < 0.005 && cat.name != "CPU" && cat.name != "RAM" {
			continue
		}
		share := ""
		if sum > 0 {
			share = " (" + formatPercent(v/sum*100) + ")"
		}
		lines = append(lines, fmt.Sprintf("• %s %s%s", cat.name, c.money(v), share))
	}
	return lines
}

// topMessage renders `/plat cost top`.
func (c *Costs) topMessage(lines []ServiceSpend, n int, unclaimed float64, l *Ledger) bot.Message {
	var total float64
	for _, s := range lines {
		total += s.Last30
	}
	shown := lines[:min(n, len(lines))]
	var b []string
	for i, s := range shown {
		b = append(b, fmt.Sprintf("%d. *%s* %s  %s  (MTD %s)", i+1, s.Name, c.money(s.Last30), s.Trend, c.money(s.MTD)))
	}
	if len(b) == 0 {
		b = append(b, "No service has a finops/cost-tag annotation yet.")
	}
	blocks := []bot.Block{
		bot.Header{Text: fmt.Sprintf("💰 Top %d services by spend, last 30 days", len(shown))},
		bot.Section{Text: strings.Join(b, "\n")},
	}
	ctx := fmt.Sprintf("%d services with cost tags: %s in all", len(lines), c.money(total))
	if unclaimed > 0.005 {
		ctx += fmt.Sprintf(" · %s maps to no service (`/plat cost unallocated`)", c.money(unclaimed))
	}
	blocks = append(blocks, bot.Context{Text: ctx + " · data to " + l.AsOf.UTC().Format("2006-01-02 15:04 MST")})
	return bot.Message{Text: fmt.Sprintf("Top %d services by spend, last 30 days", len(shown)), Blocks: blocks}
}

// hygieneMessage renders a hygiene report.
func (c *Costs) hygieneMessage(h *HygieneReport) bot.Message {
	title := fmt.Sprintf("🧹 Cost hygiene: %s of the last 30 days maps to no service", c.money(h.Unclaimed))
	blocks := []bot.Block{bot.Header{Text: title}}
	if len(h.Groups) > 0 {
		var lines []string
		for i, g := range h.Groups {
			if i == 15 {
				lines = append(lines, fmt.Sprintf("…and %d more", len(h.Groups)-15))
				break
			}
			var why string
			if g.Value == opencost.Unallocated {
				why = fmt.Sprintf("no `%s` %s", g.Key, g.Kind)
			} else {
				why = fmt.Sprintf("`%s=%s`, which no catalog entity claims", g.Key, g.Value)
			}
			ns := g.Namespaces
			more := ""
			if len(ns) > 10 {
				ns, more = ns[:10], fmt.Sprintf(" and %d more", len(g.Namespaces)-10)
			}
			line := fmt.Sprintf("• %s: %s in namespace%s %s%s", why, c.money(g.Cost), plural(len(g.Namespaces)), strings.Join(ns, ", "), more)
			if len(g.Workloads) > 0 {
				var ws []string
				for _, w := range g.Workloads {
					ws = append(ws, fmt.Sprintf("`%s` %s", w.Name, c.money(w.Current)))
				}
				line += " — biggest: " + strings.Join(ws, ", ")
			}
			lines = append(lines, line)
		}
		blocks = append(blocks, sections("*Cost no service claims*", lines)...)
	} else {
		blocks = append(blocks, bot.Section{Text: "Every workload's cost maps to a catalog entity. 🎉"})
	}
	if len(h.Untagged) > 0 {
		names := h.Untagged
		more := ""
		if len(names) > 30 {
			names, more = names[:30], fmt.Sprintf(" …and %d more", len(h.Untagged)-30)
		}
		blocks = append(blocks, bot.Section{Text: fmt.Sprintf("*Services without a finops/cost-tag annotation* (%d): %s%s", len(h.Untagged), strings.Join(names, ", "), more)})
	}
	hint := "Fix: add `finops/cost-tag: service=<label value>` to the owning catalog entity, or label the workloads."
	if h.Idle > 0.005 {
		hint += fmt.Sprintf(" Idle cluster capacity: %s.", c.money(h.Idle))
	}
	if d := c.dashboard("", "", ""); d != "" {
		hint += " <" + d + "|Dashboard>"
	}
	blocks = append(blocks, bot.Context{Text: hint + " · data to " + h.AsOf.UTC().Format("2006-01-02 15:04 MST")})
	return bot.Message{Text: title, Blocks: blocks}
}

// sections puts a title and lines into as many sections as Slack's
// 3,000-character limit per section needs.
func sections(title string, lines []string) []bot.Block {
	var out []bot.Block
	cur := title
	for _, l := range lines {
		if len(cur)+1+len(l) > 2900 {
			out = append(out, bot.Section{Text: cur})
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += l
	}
	return append(out, bot.Section{Text: cur})
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// formatUnitCost renders small amounts with three significant digits.
func formatUnitCost(symbol string, v float64) string {
	if v >= 1 || v == 0 {
		return formatMoney(symbol, v)
	}
	digits := max(2, 2-int(math.Floor(math.Log10(v))))
	return symbol + strconv.FormatFloat(v, 'f', digits, 64)
}

// formatCount renders 1234567 as "1.2M".
func formatCount(n float64) string {
	switch {
	case n >= 1e9:
		return strconv.FormatFloat(n/1e9, 'f', 1, 64) + "B"
	case n >= 1e6:
		return strconv.FormatFloat(n/1e6, 'f', 1, 64) + "M"
	case n >= 1e4:
		return strconv.FormatFloat(n/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(math.Round(n), 'f', 0, 64)
}
