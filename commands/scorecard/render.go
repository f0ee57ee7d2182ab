package scorecard

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

// maxSection keeps a section under Slack's 3000-character limit.
const maxSection = 2800

// GradeRule is the grading rule in one line, shown under scorecards.
const GradeRule = "Grade: demerits of failing counted checks (low 1 · medium 2 · high 4 · critical 8) → A 0–1 · B 2–3 · C 4–7 · D 8–15 · F 16+; a failing critical check caps the grade at D. " +
	"An unknown counted check is no pass: the grade is marked (incomplete), and is ? when no counted check is known."

func statusIcon(st grade.Status) string {
	switch st {
	case grade.StatusPass:
		return "✅"
	case grade.StatusFail:
		return "❌"
	case grade.StatusWaived:
		return "🏳️"
	}
	return "❔"
}

func statusOrder(st grade.Status) int {
	switch st {
	case grade.StatusFail:
		return 0
	case grade.StatusUnknown:
		return 1
	case grade.StatusWaived:
		return 2
	}
	return 3
}

// orderedChecks sorts a copy of the results: failing (most severe first),
// unknown, waived, passing; declared order otherwise.
func orderedChecks(cs []grade.CheckResult) []grade.CheckResult {
	out := append([]grade.CheckResult(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool {
		oi, oj := statusOrder(out[i].Status), statusOrder(out[j].Status)
		if oi != oj {
			return oi < oj
		}
		return out[i].Severity.Weight() > out[j].Severity.Weight()
	})
	return out
}

func fixText(c grade.CheckResult) string {
	fix := c.HowToFix
	if c.Link != "" {
		if fix != "" {
			fix += " "
		}
		fix += "<" + c.Link + "|docs>"
	}
	return fix
}

// checkLine renders one check of a scorecard.
func checkLine(c grade.CheckResult) string {
	line := fmt.Sprintf("%s *%s* `%s` · %s · %s", statusIcon(c.Status), c.Title, c.ID, c.Severity, c.Phase)
	if c.Phase == grade.PhaseVisible {
		line += " (not counted yet)"
	}
	switch c.Status {
	case grade.StatusFail:
		if fix := fixText(c); fix != "" {
			line += "\n      ↳ How to fix: " + fix
		}
	case grade.StatusUnknown:
		line += "\n      ↳ Unknown: " + c.Reason
	case grade.StatusWaived:
		line += fmt.Sprintf("\n      ↳ Waived until %s (`%s`)", c.WaivedUntil.Format("2006-01-02"), c.WaiverID)
	}
	return line
}

// sections packs lines into as few sections as fit Slack's limit.
func sections(lines []string) []bot.Block {
	var out []bot.Block
	var chunk []string
	size := 0
	for _, l := range lines {
		if size+len(l)+1 > maxSection && len(chunk) > 0 {
			out = append(out, bot.Section{Text: strings.Join(chunk, "\n")})
			chunk, size = nil, 0
		}
		if len(l) > maxSection {
			l = l[:maxSection] + "…"
		}
		chunk = append(chunk, l)
		size += len(l) + 1
	}
	if len(chunk) > 0 {
		out = append(out, bot.Section{Text: strings.Join(chunk, "\n")})
	}
	return out
}

// serviceMessage renders `/plat scorecard <service>`.
func serviceMessage(r *grade.Result, before *historyValue) bot.Message {
	title := fmt.Sprintf("%s — grade %s", r.Name, r.Label())
	meta := []string{}
	if r.Owner != "" {
		meta = append(meta, "*owner* "+shortRef(r.Owner))
	}
	if r.Lifecycle != "" {
		meta = append(meta, "*lifecycle* "+r.Lifecycle)
	}
	if r.System != "" {
		meta = append(meta, "*system* "+shortRef(r.System))
	}
	counts := fmt.Sprintf("%d passing · %d failing · %d unknown · %d waived · %d demerits",
		r.Count(grade.StatusPass), r.Count(grade.StatusFail), r.Count(grade.StatusUnknown), r.Count(grade.StatusWaived), r.Demerits)
	blocks := []bot.Block{bot.Header{Text: title}, bot.Section{Text: strings.Join(meta, " · ") + "\n" + counts}}
	if note := incompleteNote(r); note != "" {
		blocks = append(blocks, bot.Section{Text: note})
	}
	blocks = append(blocks, bot.Divider{})
	var lines []string
	for _, c := range orderedChecks(r.Checks) {
		lines = append(lines, checkLine(c))
	}
	if len(lines) == 0 {
		lines = append(lines, "No check applies to this entity.")
	}
	blocks = append(blocks, sections(lines)...)
	ctx := GradeRule
	if before != nil {
		ctx = fmt.Sprintf("Last week: %s %s · ", before.label(), grade.Arrow(r.Grade, before.Grade)) + ctx
	}
	blocks = append(blocks, bot.Context{Text: ctx})
	return bot.Message{Text: title, Blocks: blocks}
}

// incompleteNote explains an incomplete grade ("" when it is complete).
func incompleteNote(r *grade.Result) string {
	if !r.Incomplete {
		return ""
	}
	unk := r.Unknowns()
	ids := make([]string, len(unk))
	for i, c := range unk {
		ids[i] = "`" + c.ID + "`"
	}
	if r.Grade == grade.GradeUnknown {
		return fmt.Sprintf("⚠️ *Grade unknown:* no counted check could be read (%s is unknown).", strings.Join(ids, ", "))
	}
	return fmt.Sprintf("⚠️ *Incomplete:* %d counted %s unknown (%s); the grade counts only the checks that could be read.",
		len(unk), map[bool]string{true: "check is", false: "checks are"}[len(unk) == 1], strings.Join(ids, ", "))
}

// table renders rows as an aligned monospace table.
func table(header []string, rows [][]string) string {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = runeLen(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) && runeLen(c) > widths[i] {
				widths[i] = runeLen(c)
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runeLen(c)+2))
			}
		}
		b.WriteString("\n")
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	return strings.TrimRight(b.String(), "\n")
}

func runeLen(s string) int { return len([]rune(s)) }

// codeBlocks splits a table into code blocks that fit Slack's limit,
// repeating no header (each block is read on its own in order).
func codeBlocks(text string) []bot.Block {
	var out []bot.Block
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if cur.Len()+len(l)+1 > maxSection && cur.Len() > 0 {
			out = append(out, bot.Code{Text: strings.TrimRight(cur.String(), "\n")})
			cur.Reset()
		}
		cur.WriteString(l + "\n")
	}
	if cur.Len() > 0 {
		out = append(out, bot.Code{Text: strings.TrimRight(cur.String(), "\n")})
	}
	return out
}

// mover is a change of grade since last week; From and To are labels
// ("B (incomplete)").
type mover struct {
	Name     string
	Arrow    string
	From, To string
}

func newMover(r *grade.Result, before historyValue) (mover, bool) {
	a := grade.Arrow(r.Grade, before.Grade)
	return mover{Name: r.Name, Arrow: a, From: before.label(), To: r.Label()}, a != ""
}

func (m mover) String() string {
	return fmt.Sprintf("%s %s %s → %s", m.Arrow, m.Name, m.From, m.To)
}

// servicesTable renders a team's services with grades and last week's.
func servicesTable(rs []*grade.Result, before map[string]historyValue) (string, []mover) {
	var rows [][]string
	var movers []mover
	for _, r := range rs {
		last := "–"
		change := ""
		if b, ok := before[r.Ref]; ok {
			last = b.label()
			if m, moved := newMover(r, b); moved {
				change = m.Arrow
				movers = append(movers, m)
			}
		}
		rows = append(rows, []string{r.Name, strings.TrimSpace(r.Label() + " " + change), last,
			fmt.Sprint(len(r.Gaps())), fmt.Sprint(r.Count(grade.StatusUnknown))})
	}
	return table([]string{"service", "grade", "last week", "gaps", "unknown"}, rows), movers
}

// gapLines lists the top n open gaps across results: by severity, then by
// how many services share them.
func gapLines(rs []*grade.Result, n int) []string {
	return gapLinesOf(rs, n, (*grade.Result).Gaps)
}

// gapLinesOf is gapLines over the checks gaps picks from each result.
func gapLinesOf(rs []*grade.Result, n int, gaps func(*grade.Result) []grade.CheckResult) []string {
	type gap struct {
		c        grade.CheckResult
		services []string
	}
	byID := map[string]*gap{}
	var order []*gap
	for _, r := range rs {
		for _, c := range gaps(r) {
			g := byID[c.ID]
			if g == nil {
				g = &gap{c: c}
				byID[c.ID] = g
				order = append(order, g)
			}
			g.services = append(g.services, r.Name)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		wi, wj := order[i].c.Severity.Weight(), order[j].c.Severity.Weight()
		if wi != wj {
			return wi > wj
		}
		return len(order[i].services) > len(order[j].services)
	})
	var lines []string
	for i, g := range order {
		if i >= n {
			lines = append(lines, fmt.Sprintf("_…and %d more_", len(order)-n))
			break
		}
		line := fmt.Sprintf("• *%s* (%s) — %s", g.c.Title, g.c.Severity, strings.Join(g.services, ", "))
		if fix := fixText(g.c); fix != "" {
			line += "\n      ↳ " + fix
		}
		lines = append(lines, line)
	}
	return lines
}

// rollup is the grade distribution of one group of services.
type rollup struct {
	Name   string
	Counts [5]int // by letter grade, A..F, incomplete ones included
	// Unknown counts the services graded "?" (no counted check known).
	Unknown int
	// Incomplete counts the services with an unknown counted check, the
	// "?" ones included.
	Incomplete int
	Total      int
}

func (r *rollup) add(res *grade.Result) {
	r.addGrade(res.Grade, res.Incomplete)
}

func (r *rollup) addGrade(g grade.Grade, incomplete bool) {
	switch k := 4 - g.Rank(); {
	case k >= 0 && k < 5:
		r.Counts[k]++
	case g == grade.GradeUnknown:
		r.Unknown++
	default:
		return
	}
	if incomplete || g == grade.GradeUnknown {
		r.Incomplete++
	}
	r.Total++
}

func (r *rollup) merge(o *rollup) {
	for k := range r.Counts {
		r.Counts[k] += o.Counts[k]
	}
	r.Unknown += o.Unknown
	r.Incomplete += o.Incomplete
	r.Total += o.Total
}

// GPA is the mean grade rank (A=4 … F=0) of the services with a letter
// grade ("?" is not averaged).
func (r *rollup) GPA() float64 {
	graded := r.Total - r.Unknown
	if graded == 0 {
		return 0
	}
	sum := 0
	for k, n := range r.Counts {
		sum += (4 - k) * n
	}
	return float64(sum) / float64(graded)
}

// incompleteText says how many services are incomplete, for summaries.
func (r *rollup) incompleteText() string {
	s := fmt.Sprintf("%d incomplete (unknown checks)", r.Incomplete)
	if r.Unknown > 0 {
		s += fmt.Sprintf(", %d of them graded ?", r.Unknown)
	}
	return s
}

// AtLeastB is the share of services graded B or better.
func (r *rollup) AtLeastB() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Counts[0]+r.Counts[1]) / float64(r.Total)
}

// Dimensions of the org roll-up.
const (
	ByTeam      = "team"
	ByLifecycle = "lifecycle"
	BySystem    = "system"
)

// rollupBy groups results by a dimension, sorted by name ("(none)" last).
func rollupBy(rs []*grade.Result, by string) []*rollup {
	groups := map[string]*rollup{}
	for _, r := range rs {
		var key string
		switch by {
		case ByLifecycle:
			key = r.Lifecycle
		case BySystem:
			key = shortRef(r.System)
		default:
			key = shortRef(r.Owner)
		}
		if key == "" {
			key = "(none)"
		}
		g := groups[key]
		if g == nil {
			g = &rollup{Name: key}
			groups[key] = g
		}
		g.add(r)
	}
	out := make([]*rollup, 0, len(groups))
	for _, g := range groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == "(none)") != (out[j].Name == "(none)") {
			return out[j].Name == "(none)"
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func rollupTable(by string, groups []*rollup) string {
	var rows [][]string
	total := &rollup{Name: "all"}
	for _, g := range groups {
		rows = append(rows, rollupRow(g))
		total.merge(g)
	}
	rows = append(rows, rollupRow(total))
	return table([]string{by, "services", "A", "B", "C", "D", "F", "GPA", "≥B", "?", "incomplete"}, rows)
}

func rollupRow(g *rollup) []string {
	return []string{g.Name, fmt.Sprint(g.Total), fmt.Sprint(g.Counts[0]), fmt.Sprint(g.Counts[1]),
		fmt.Sprint(g.Counts[2]), fmt.Sprint(g.Counts[3]), fmt.Sprint(g.Counts[4]),
		fmt.Sprintf("%.1f", g.GPA()), fmt.Sprintf("%.0f%%", 100*g.AtLeastB()), fmt.Sprint(g.Unknown), fmt.Sprint(g.Incomplete)}
}

// orgMessage renders the org roll-up by the given dimensions.
func orgMessage(rs []*grade.Result, dims []string, now time.Time) bot.Message {
	title := "Scorecards — organisation"
	blocks := []bot.Block{bot.Header{Text: title}}
	var text []string
	for _, d := range dims {
		t := rollupTable(d, rollupBy(rs, d))
		blocks = append(blocks, bot.Section{Text: "*By " + d + "*"})
		blocks = append(blocks, codeBlocks(t)...)
		text = append(text, "By "+d+":\n"+t)
	}
	all := &rollup{}
	for _, r := range rs {
		all.add(r)
	}
	blocks = append(blocks, bot.Context{Text: fmt.Sprintf("%d services · %s · %s · GPA: A=4 … F=0 over letter grades; incomplete: some counted check unknown, ?: none known",
		len(rs), all.incompleteText(), now.Format("2006-01-02 15:04 MST"))})
	return bot.Message{Text: title + "\n" + strings.Join(text, "\n"), Blocks: blocks}
}

// teamMessage renders `/plat scorecard team <team>`.
func teamMessage(team string, rs []*grade.Result, before map[string]historyValue, topGaps int) bot.Message {
	title := "Scorecards — team " + shortRef(team)
	if len(rs) == 0 {
		return bot.Message{Text: title + ": the team owns no components."}
	}
	tbl, movers := servicesTable(rs, before)
	g := &rollup{}
	for _, r := range rs {
		g.add(r)
	}
	blocks := []bot.Block{bot.Header{Text: title}}
	blocks = append(blocks, codeBlocks(tbl)...)
	summary := fmt.Sprintf("GPA %.1f · %d of %d at B or better · %s", g.GPA(), g.Counts[0]+g.Counts[1], g.Total, g.incompleteText())
	if len(movers) > 0 {
		var ms []string
		for _, m := range movers {
			ms = append(ms, m.String())
		}
		summary += "\n*Movers since last week:* " + strings.Join(ms, " · ")
	}
	blocks = append(blocks, bot.Section{Text: summary})
	if gaps := gapLines(rs, topGaps); len(gaps) > 0 {
		blocks = append(blocks, sections(append([]string{"*Top gaps*"}, gaps...))...)
	}
	return bot.Message{Text: title + "\n" + tbl, Blocks: blocks}
}
