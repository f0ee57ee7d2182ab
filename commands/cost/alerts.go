package cost

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// rule is an alert rule ready to evaluate.
type rule struct {
	AlertRule
	id string
	// origin says where the rule came from, for the alert's footer.
	origin string
}

// rules returns the configured rules plus a budget rule for every
// finops/monthly-budget annotation of a tagged service or a team.
func (c *Costs) rules(d *directory) []rule {
	var out []rule
	for _, r := range c.cfg.Alerts {
		n := r.normalized(c.cfg)
		out = append(out, rule{AlertRule: n, id: n.id(), origin: "config rule " + n.id()})
	}
	for _, s := range d.services {
		if s.Budget > 0 {
			r := AlertRule{Type: RuleBudget, Service: s.Ref, Budget: s.Budget}.normalized(c.cfg)
			out = append(out, rule{AlertRule: r, id: "budget/annotation/" + s.Ref, origin: catalog.AnnotationBudget + " on " + s.Ref})
		}
	}
	teams := make([]string, 0, len(d.teamBudgets))
	for t := range d.teamBudgets {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	for _, t := range teams {
		r := AlertRule{Type: RuleBudget, Team: t, Budget: d.teamBudgets[t]}.normalized(c.cfg)
		out = append(out, rule{AlertRule: r, id: "budget/annotation/" + t, origin: catalog.AnnotationBudget + " on " + t})
	}
	return out
}

// subject is what a rule is evaluated for: a service or a team.
type subject struct {
	isTeam bool
	ref    string
	name   string
	team   string
	tag    string
	series []*series
	// prefixes name each series' service, for a team's workloads.
	prefixes []string
}

// subjects indexes the directory's services and teams for evaluation.
type subjects struct {
	services map[string]*subject // by ref
	byName   map[string]*subject
	teams    map[string]*subject
	svcOrder []*subject
	teamList []string
}

func newSubjects(l *Ledger, d *directory) *subjects {
	sb := &subjects{services: make(map[string]*subject, len(d.services)), byName: make(map[string]*subject, len(d.services)), teams: map[string]*subject{}}
	for _, s := range d.services {
		sub := &subject{ref: s.Ref, name: s.Name, team: s.Owner, tag: s.Tags[0].Value, series: l.seriesOf(s)}
		sb.services[s.Ref] = sub
		sb.byName[strings.ToLower(s.Name)] = sub
	}
	for _, s := range d.rollup {
		sb.svcOrder = append(sb.svcOrder, sb.services[s.Ref])
		if s.Owner == "" {
			continue
		}
		t := sb.teams[s.Owner]
		if t == nil {
			_, _, name := catalog.ParseRef(s.Owner, catalog.KindGroup, catalog.DefaultNamespace)
			t = &subject{isTeam: true, ref: s.Owner, name: name, team: s.Owner}
			sb.teams[s.Owner] = t
			sb.teamList = append(sb.teamList, s.Owner)
		}
		owned := l.ownedSeriesOf(s)
		for range owned {
			t.prefixes = append(t.prefixes, s.Name)
		}
		t.series = append(t.series, owned...)
	}
	sort.Strings(sb.teamList)
	return sb
}

// of expands a rule's subject.
func (sb *subjects) of(r *rule) []*subject {
	switch {
	case r.Service == "*":
		return sb.svcOrder
	case r.Service != "":
		if s := sb.services[catalog.NormalizeRef(r.Service, catalog.KindComponent, catalog.DefaultNamespace)]; s != nil {
			return []*subject{s}
		}
		if s := sb.byName[strings.ToLower(r.Service)]; s != nil {
			return []*subject{s}
		}
		return nil
	case r.Team == "*":
		out := make([]*subject, 0, len(sb.teamList))
		for _, t := range sb.teamList {
			out = append(out, sb.teams[t])
		}
		return out
	}
	if t := sb.teams[catalog.NormalizeRef(r.Team, catalog.KindGroup, catalog.DefaultNamespace)]; t != nil {
		return []*subject{t}
	}
	return nil
}

// Finding is an alert condition that holds now.
type Finding struct {
	RuleID, RuleType, Origin string
	// Subject is the service or team name; SubjectRef its catalog ref.
	Subject, SubjectRef, Team string
	IsTeam                    bool
	// Level names the condition ("100%", "up", "below"); a higher Severity
	// of the same rule breaks through a snooze. Period is the budget month
	// ("" for rolling windows).
	Level    string
	Severity int
	Period   string
	// Headline says what happened in a sentence; Facts are the figures.
	Headline string
	Facts    []bot.Pair
	// Categories and Workloads are the top contributors.
	Categories, Workloads []Contributor
	// Compared says what the contributors compare ("last 7 days vs the 28 days before").
	Compared  string
	Dashboard string

	sub *subject
	cur span
	// base and scale give the contributors' baseline (scale = cur/base length).
	base  span
	scale float64
	up    bool
}

// alertID is the de-duplication key of a rule and subject.
func alertID(ruleID, subjectRef string) string { return ruleID + "|" + subjectRef }

// evaluate checks every rule for every subject in scope. It returns the
// conditions that hold and the ids of every rule×subject it checked (so
// alerts that no longer hold can be resolved). Contributors are filled by
// explain, only for what fired.
func (c *Costs) evaluate(l *Ledger, sb *subjects, rules []rule, inScope func(team string) bool) ([]Finding, map[string]bool) {
	var out []Finding
	checked := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		subs := sb.of(r)
		if len(subs) == 0 && r.Service != "*" && r.Team != "*" {
			c.log.Warn("cost alert rule matches no service or team with a cost tag", "rule", r.id, "service", r.Service, "team", r.Team)
		}
		for _, s := range subs {
			if !inScope(s.team) {
				continue
			}
			checked[alertID(r.id, s.ref)] = true
			var f *Finding
			switch r.Type {
			case RuleBudget:
				f = c.checkBudget(l, r, s)
			case RuleChange:
				f = c.checkChange(l, r, s)
			case RuleEfficiency:
				f = c.checkEfficiency(l, r, s)
			}
			if f != nil {
				f.RuleID, f.RuleType, f.Origin = r.id, r.Type, r.origin
				f.Subject, f.SubjectRef, f.Team, f.IsTeam, f.sub = s.name, s.ref, s.team, s.isTeam, s
				out = append(out, *f)
			}
		}
	}
	return out, checked
}

func (c *Costs) checkBudget(l *Ledger, r *rule, s *subject) *Finding {
	mtd := l.total(s.series, l.monthToDate())
	elapsed, length := l.monthProgress()
	projected := mtd
	if elapsed >= 1 {
		projected = project(mtd, elapsed, length)
	}
	pct := projected / r.Budget * 100
	level := -1
	for i, t := range r.Thresholds {
		if pct >= t {
			level = i
		}
	}
	if level < 0 {
		return nil
	}
	month := l.AsOf.Format("January")
	crossed := formatPercent(r.Thresholds[level])
	headline := fmt.Sprintf("*%s* is projected to spend *%s* in %s — %s of its %s monthly budget (alert at %s).",
		s.name, c.money(projected), month, formatPercent(pct), c.money(r.Budget), crossed)
	if mtd >= r.Budget*r.Thresholds[level]/100 {
		headline = fmt.Sprintf("*%s* has already spent *%s* in %s — %s of its %s monthly budget (alert at %s).",
			s.name, c.money(mtd), month, formatPercent(mtd/r.Budget*100), c.money(r.Budget), crossed)
	}
	mtdSpan := l.monthToDate()
	complete := span{mtdSpan.from, l.today()}
	if complete.to <= complete.from {
		complete = l.lastDays(1)
	}
	n := complete.to - complete.from
	return &Finding{
		Level: crossed, Severity: level + 1, Period: l.AsOf.Format("2006-01"),
		Headline: headline,
		Facts: []bot.Pair{
			{Label: "Month to date", Value: fmt.Sprintf("%s after %.1f of %.0f days", c.money(mtd), elapsed, length)},
			{Label: "Projected", Value: fmt.Sprintf("%s (%s of budget)", c.money(projected), formatPercent(pct))},
			{Label: "Budget", Value: c.money(r.Budget) + " a month"},
		},
		Compared: fmt.Sprintf("this month's %d complete days vs the %d days before", n, n),
		cur:      complete, base: before(complete, n), scale: 1, up: true,
	}
}

func (c *Costs) checkChange(l *Ledger, r *rule, s *subject) *Finding {
	w, b := int(r.Window), int(r.Baseline)
	cur := l.lastDays(w)
	base := before(cur, b)
	if !l.covers(base) {
		return nil
	}
	now := l.total(s.series, cur)
	scale := float64(w) / float64(b)
	expected := l.total(s.series, base) * scale
	if math.Max(now, expected) < r.MinSpend || now == expected {
		return nil
	}
	up := now > expected
	if (up && r.Direction == "down") || (!up && r.Direction == "up") {
		return nil
	}
	var pct float64
	level := "up"
	if !up {
		level = "down"
	}
	if expected > 0 {
		pct = (now - expected) / expected * 100
		if math.Abs(pct) < r.Threshold {
			return nil
		}
	} else {
		level = "new"
	}
	severity := 1
	if expected > 0 {
		severity = 1 + int(math.Min(3, math.Floor(math.Log2(math.Abs(pct)/r.Threshold))))
	} else {
		severity = 4
	}
	baseline := fmt.Sprintf("the %d days before", b)
	if b != w {
		baseline = fmt.Sprintf("the rate of the %d days before", b)
	}
	change := "new spend (nothing in " + baseline + ")"
	if expected > 0 {
		arrow := "↑"
		if !up {
			arrow = "↓"
		}
		change = fmt.Sprintf("%s %s", arrow, formatPercent(math.Abs(pct)))
	}
	return &Finding{
		Level: level, Severity: severity,
		Headline: fmt.Sprintf("*%s* spent *%s* in the last %d days: %s against %s (%s expected; alert beyond %s).",
			s.name, c.money(now), w, change, baseline, c.money(expected), formatPercent(r.Threshold)),
		Facts: []bot.Pair{
			{Label: fmt.Sprintf("Last %d days", w), Value: c.money(now)},
			{Label: fmt.Sprintf("Baseline (%d days, scaled)", b), Value: c.money(expected)},
			{Label: "Change", Value: change},
		},
		Compared: fmt.Sprintf("last %d days vs %s", w, baseline),
		cur:      cur, base: base, scale: scale, up: up,
	}
}

func (c *Costs) checkEfficiency(l *Ledger, r *rule, s *subject) *Finding {
	w := int(r.Window)
	cur := l.lastDays(w)
	cost := l.sum(s.series, cur)
	eff, cpu, ram, ok := cost.Efficiency()
	if !ok || cost.Total < r.MinSpend || cost.Total <= 0 || eff*100 >= r.Below {
		return nil
	}
	severity := 1
	if eff*100 < r.Below/2 {
		severity = 2
	}
	idle := (1 - eff) * (cost.CPU + cost.RAM)
	return &Finding{
		Level: "below", Severity: severity,
		Headline: fmt.Sprintf("*%s* used %s of the CPU and RAM it paid for in the last %d days (alert below %s): about %s of %s was idle.",
			s.name, formatPercent(eff*100), w, formatPercent(r.Below), c.money(idle), c.money(cost.CPU+cost.RAM)),
		Facts: []bot.Pair{
			{Label: "Efficiency", Value: fmt.Sprintf("%s (CPU %s, RAM %s)", formatPercent(eff*100), formatPercent(cpu*100), formatPercent(ram*100))},
			{Label: fmt.Sprintf("Spend, last %d days", w), Value: c.money(cost.Total)},
			{Label: "Idle CPU and RAM", Value: c.money(idle)},
		},
		Compared: fmt.Sprintf("biggest spenders of the last %d days", w),
		cur:      cur, base: before(cur, w), scale: 1, up: true,
	}
}

// explain fills a finding's top contributors: the cost categories and the
// namespace/controller workloads that moved most in its direction (or, for
// efficiency, spent most).
func (l *Ledger) explain(f *Finding) {
	s := f.sub
	curC, baseC := l.sum(s.series, f.cur), l.sum(s.series, f.base)
	curW := l.workloadTotals(s.series, s.prefixesIfTeam(), f.cur, nil)
	if f.RuleType == RuleEfficiency {
		f.Categories = topShares(categoryMap(&curC), 3)
		f.Workloads = topShares(curW, 3)
		return
	}
	baseW := l.workloadTotals(s.series, s.prefixesIfTeam(), f.base, nil)
	f.Categories = topContributors(categoryMap(&curC), categoryMap(&baseC), f.scale, f.up, 3)
	f.Workloads = topContributors(curW, baseW, f.scale, f.up, 3)
	if len(f.Categories) == 0 {
		f.Categories = topShares(categoryMap(&curC), 3)
	}
	if len(f.Workloads) == 0 {
		f.Workloads = topShares(curW, 3)
	}
}

func (s *subject) prefixesIfTeam() []string {
	if s.isTeam {
		return s.prefixes
	}
	return nil
}
