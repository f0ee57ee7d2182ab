package cost

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/opencost/opencosttest"
	"github.com/platbot/platbot/integrations/prometheus"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestTrendMaths(t *testing.T) {
	for _, tc := range []struct {
		cur, prev float64
		want      string
		pct       float64
	}{
		{120, 100, "↑ 20%", 20},
		{80, 100, "↓ 20%", -20},
		{101, 100, "→ 1%", 1},
		{100, 100, "→ 0%", 0},
		{104.5, 100, "↑ 4.5%", 4.5},
		{50, 0, "↑ new", 0},
		{0, 0, "→", 0},
		{0, 30, "↓ 100%", -100},
	} {
		tr := newTrend(tc.cur, tc.prev, 2)
		if tr.String() != tc.want || !near(tr.Percent, tc.pct) {
			t.Errorf("newTrend(%v, %v) = %q (%v%%), want %q (%v%%)", tc.cur, tc.prev, tr, tr.Percent, tc.want, tc.pct)
		}
	}
	if p := project(2330, 19+10.0/24, 31); !near(p, 3720) {
		t.Errorf("projection = %v, want 3720", p)
	}
	for v, want := range map[float64]string{0: "$0.00", 12.345: "$12", 9.876: "$9.88", 999.6: "$1,000", 1234567: "$1,234,567", -1500: "-$1,500"} {
		if got := formatMoney("$", v); got != want {
			t.Errorf("formatMoney(%v) = %q, want %q", v, got, want)
		}
	}
	if got := formatUnitCost("$", 0.04213); got != "$0.0421" {
		t.Errorf("formatUnitCost = %q", got)
	}
}

func TestLedgerFromFake(t *testing.T) {
	w := newWorld(t, Config{})
	d := w.costs.directory()
	l, err := w.costs.ledger(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if l.Days != 61 || !l.Start.Equal(time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("ledger spans %d days from %s", l.Days, l.Start)
	}
	s := d.byRef["component:default/checkout"]
	ss := l.seriesOf(s)
	if got := l.total(ss, l.lastDays(30)); !near(got, 3600) {
		t.Errorf("last 30 days = %v, want 3600", got)
	}
	if got := l.total(ss, before(l.lastDays(30), 30)); !near(got, 3000) {
		t.Errorf("previous 30 days = %v, want 3000", got)
	}
	if got := l.total(ss, l.monthToDate()); !near(got, 19*120+50) {
		t.Errorf("MTD = %v, want 2330 (19 days + 10h of today)", got)
	}
	r := l.report(ss, 2)
	if !near(r.Breakdown.CPU, 2160) || !near(r.Breakdown.RAM, 1080) || !near(r.Breakdown.Storage, 360) {
		t.Errorf("breakdown = %+v", r.Breakdown)
	}
	if !r.HasEfficiency || !near(r.Efficiency, 0.6) || !near(r.CPUEfficiency, 0.5) || !near(r.RAMEfficiency, 0.8) {
		t.Errorf("efficiency = %v %v %v", r.Efficiency, r.CPUEfficiency, r.RAMEfficiency)
	}
	if len(r.Daily) != 30 || !near(r.Daily[0], 120) || !near(r.Daily[29], 120) {
		t.Errorf("daily = %v", r.Daily)
	}
	// One query per aggregation key, daily steps, the workload split asked for.
	q := w.srv.Queries()[0]
	if q.Get("aggregate") != "label:service,namespace,controller" || q.Get("step") != "1d" || !strings.HasPrefix(q.Get("window"), "2026-03-21T00:00:00Z,") {
		t.Errorf("query = %v", q)
	}
	// Cached: a second read does not query again.
	if _, err := w.costs.ledger(context.Background(), d); err != nil || len(w.srv.Queries()) != 1 {
		t.Errorf("ledger not cached: %d queries, %v", len(w.srv.Queries()), err)
	}
}

func TestServiceCommandShellOutput(t *testing.T) {
	var mu sync.Mutex
	var promQueries []string
	prom := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		promQueries = append(promQueries, r.URL.Query().Get("query")+" @"+r.URL.Query().Get("time"))
		mu.Unlock()
		fmt.Fprint(rw, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1779235200,"1200000"]}]}}`)
	}))
	defer prom.Close()
	pc, err := prometheus.New(prom.URL)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, Config{DashboardURL: "https://opencost.example/allocation?filter=service:{tag}"})
	w.requests = &PrometheusRequests{Client: pc, Default: `sum(increase(http_requests_total{service="{tag}"}[{window}]))`}
	w.start()

	out := w.run("cost checkout")
	mustContain(t, out,
		"== 💰 checkout — cost ==",
		"Month to date: $2,330 (projected $3,720 for May)",
		"Last 30 days: $3,600  ↑ 20% vs the 30 days before ($3,000)",
		"Efficiency: 60% (CPU 50%, RAM 80%)",
		"Per 1,000 requests: $3.00 (1.2M requests in 30 days)",
		"• CPU $2,160 (60%)", "• RAM $1,080 (30%)", "• Storage $360 (10%)",
		"`shop/deployment:checkout` $3,600",
		"owner group:default/shop", "cost tag `service=checkout`",
		"<https://opencost.example/allocation?filter=service:checkout|dashboard>",
		"data to 2026-05-20 10:00 UTC",
	)
	if len(promQueries) != 1 || promQueries[0] != `sum(increase(http_requests_total{service="checkout"}[30d])) @1779235200.000` {
		t.Errorf("prometheus queries = %q", promQueries)
	}
	ups := w.msgr.Ops("upload")
	if len(ups) != 1 || ups[0].File.Name != "checkout-spend-30d.png" || ups[0].Channel != "C-test" {
		t.Fatalf("uploads = %+v", ups)
	}
	checkPNG(t, ups[0].File.Content)
	mustContain(t, ups[0].File.Comment, "Daily spend of checkout, last 30 days ($120 … $120 a day)")

	// Bad input.
	mustContain(t, w.run("cost"), "Which service?")
	mustContain(t, w.run("cost nosuch"), "can't find a service called `nosuch`")
	mustContain(t, w.run("cost search"), "`search` has no `finops/cost-tag` annotation", "finops/cost-tag: service=search")
	mustContain(t, w.run("cost shop"), "`shop` is a team: try `/plat cost team shop`")
}

func TestSparklineRejectsEmptyAndDrawsFlat(t *testing.T) {
	if _, err := Sparkline(nil); err == nil {
		t.Error("empty sparkline accepted")
	}
	b, err := Sparkline([]float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, b)
	if _, err := Sparkline([]float64{0}); err != nil {
		t.Errorf("single zero value: %v", err)
	}
}

func TestTeamTopAndSummary(t *testing.T) {
	w := newWorld(t, Config{})
	// A database sharing checkout's tag counts once, for checkout.
	db := component("checkout-db", "shop", "service=checkout")
	db.Kind = catalog.KindResource
	w.cat.AddEntities(db, component("cart", "shop", "service=cart"))
	w.srv.Dataset().Add(opencosttest.Workload{Namespace: "shop", Kind: "deployment", Name: "cart", Labels: map[string]string{"service": "cart"}, CPU: 10}.Rows(testNow.AddDate(0, 0, -70), 80, nil)...)

	out := w.run("cost team shop")
	mustContain(t, out, "== 💰 shop — cost ==", "Last 30 days: $3,900", "1. *checkout* $3,600  ↑ 20%", "2. *cart* $300  → 0%",
		"`checkout · shop/deployment:checkout` $3,600", "group:default/shop · 2 services with cost tags")
	if len(w.msgr.Ops("upload")) != 1 {
		t.Error("team chart not attached")
	}
	out = w.run("cost team money")
	mustContain(t, out, "Last 30 days: $1,500  → 0%")
	mustContain(t, w.run("cost team nobody"), "can't find the team `nobody`")

	out = w.run("cost top 2")
	mustContain(t, out, "Top 2 services by spend", "1. *checkout* $3,600  ↑ 20%", "2. *payments* $1,500  → 0%",
		"3 services with cost tags: $5,400 in all", "$660 maps to no service")
	if strings.Contains(out, "checkout-db") {
		t.Error("shared-tag resource counted twice in top")
	}
	mustContain(t, w.run("cost top x"), "is not a count")
	mustContain(t, w.run("cost checkout-db"), "Last 30 days: $3,600", "shared with checkout")

	sum, err := w.costs.TeamSummary(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Services != 2 || !near(sum.Total, 3900) || !near(sum.Trend.Percent, 600.0/3300*100) || len(sum.Top) != 2 || sum.Top[0].Name != "checkout" {
		t.Errorf("summary = %+v", sum)
	}
	sec, ok := w.costs.CostSummary(context.Background(), "group:default/shop")
	if !ok {
		t.Fatal("no summary section")
	}
	mustContain(t, sec.Text, "*Cost, last 30 days:* $3,900 ↑ 18% vs the 30 days before", "Top services: checkout $3,600 (↑ 20%) · cart $300 (→ 0%)")
	if sec, ok := w.costs.CostSummary(context.Background(), "nobody"); ok {
		t.Errorf("summary of a team without services = %q", sec.Text)
	}
}

func TestUnallocatedHygiene(t *testing.T) {
	w := newWorld(t, Config{})
	// worker is tagged by another key (app=worker): its workload has no
	// service label, but it is claimed, so it is not reported.
	w.cat.AddEntities(component("worker", "shop", "app=worker"))
	w.srv.Dataset().Add(opencosttest.Workload{Namespace: "jobs", Kind: "deployment", Name: "worker", Labels: map[string]string{"app": "worker"}, CPU: 4}.Rows(testNow.AddDate(0, 0, -70), 80, nil)...)

	h, err := w.costs.Hygiene(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Groups) != 2 {
		t.Fatalf("groups = %+v", h.Groups)
	}
	un, legacy := h.Groups[0], h.Groups[1]
	if un.Value != opencost.Unallocated || !near(un.Cost, 450) || strings.Join(un.Namespaces, ",") != "batch,kube-system" {
		t.Errorf("unallocated = %+v", un)
	}
	if legacy.Value != "legacy" || !near(legacy.Cost, 210) || strings.Join(legacy.Namespaces, ",") != "legacy" {
		t.Errorf("unclaimed label = %+v", legacy)
	}
	if !near(h.Unclaimed, 660) || strings.Join(h.Untagged, ",") != "search" {
		t.Errorf("report = %+v", h)
	}
	mustContain(t, w.run("cost worker"), "Last 30 days: $120")

	out := w.run("cost unallocated")
	mustContain(t, out, "Cost hygiene: $660 of the last 30 days maps to no service",
		"no `service` label: $450 in namespaces batch, kube-system",
		"`kube-system/daemonset:fluent-bit` $300",
		"`service=legacy`, which no catalog entity claims: $210 in namespace legacy",
		"Services without a finops/cost-tag annotation* (1): search")

	// The scheduled report goes to the platform channel.
	if err := w.costs.postHygiene(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	posts := w.msgr.Ops("post")
	if len(posts) != 1 || posts[0].Channel != "#platform" || !strings.Contains(posts[0].Text(), "maps to no service") {
		t.Errorf("hygiene posts = %+v", posts)
	}
}

func budgetRule() AlertRule {
	return AlertRule{Type: RuleBudget, Service: "checkout", Budget: 4000, Thresholds: []float64{80, 100}}
}

func TestBudgetAlert(t *testing.T) {
	w := newWorld(t, Config{DashboardURL: "https://opencost.example/{service}", Alerts: []AlertRule{budgetRule()}})
	posts := w.alerts()
	if len(posts) != 1 {
		t.Fatalf("posts = %d: %s", len(posts), w.msgr.AllText())
	}
	p := posts[0]
	if p.Channel != "#team-shop" {
		t.Errorf("alert went to %s, want the team's slack.com/channel", p.Channel)
	}
	mustContain(t, p.Text(), "== 💸 checkout: budget alert (80%) ==",
		"*checkout* is projected to spend *$3,720* in May — 93% of its $4,000 monthly budget (alert at 80%).",
		"Top cost categories* (this month's 19 complete days vs the 19 days before):",
		"• CPU $1,368 (+$96, +7.5%)", "• RAM $684 (+$48, +7.5%)", "• Storage $228 (+$16, +7.5%)",
		"• `shop/deployment:checkout` $2,280 (+$160, +7.5%)",
		"Month to date: $2,330 after 19.4 of 31 days",
		"[Snooze 7 days]  [Acknowledge]  [Open dashboard]",
		"<https://opencost.example/checkout|dashboard>",
	)
	var ids []string
	for _, b := range p.Msg.Blocks {
		if a, ok := b.(bot.Actions); ok {
			for _, btn := range a.Buttons {
				ids = append(ids, btn.ActionID)
				if btn.URL == "" && !strings.HasPrefix(btn.ActionID, "cost:") {
					t.Errorf("button %q lacks the cost prefix", btn.ActionID)
				}
			}
		}
	}
	if strings.Join(ids, ",") != "cost:snooze,cost:ack," {
		t.Errorf("buttons = %q", ids)
	}
	if !strings.Contains(strings.Join(w.audit.Actions(), ","), "cost.alert") {
		t.Errorf("alert not audited: %v", w.audit.Actions())
	}
}

func TestChangeAlert90DayBaseline(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{
		{Type: RuleChange, Service: "*", Window: 30, Baseline: 60, Threshold: 15, MinSpend: 100},
		{Type: RuleChange, Team: "money", Window: 7, Threshold: 5, Direction: "both"},
	}})
	posts := w.alerts()
	if len(posts) != 1 {
		t.Fatalf("posts = %d:\n%s", len(posts), w.msgr.AllText())
	}
	mustContain(t, posts[0].Text(), "📈 checkout: spend changed",
		"*checkout* spent *$3,600* in the last 30 days: ↑ 20% against the rate of the 60 days before ($3,000 expected; alert beyond 15%).",
		"• CPU $2,160 (+$360, +20%)", "• `shop/deployment:checkout` $3,600 (+$600, +20%)",
		"change/service=*/30d-vs-60d/15%/up")
	if w.costs.lookbackDays() != 90 {
		t.Errorf("lookback = %d, want 90 for a 30+60 day rule", w.costs.lookbackDays())
	}
	q := w.srv.Queries()[0]
	if !strings.HasPrefix(q.Get("window"), "2026-02-19T00:00:00Z,") {
		t.Errorf("90-day window not fetched: %v", q.Get("window"))
	}
}

func TestEfficiencyAlert(t *testing.T) {
	w := newWorld(t, Config{
		Teams:  map[string]TeamConfig{"money": {Channel: "#money-alerts", Timezone: "America/New_York"}},
		Alerts: []AlertRule{{Type: RuleEfficiency, Service: "*", Window: 7, Below: 40, MinSpend: 100}},
	})
	posts := w.alerts()
	if len(posts) != 1 || posts[0].Channel != "#money-alerts" {
		t.Fatalf("posts = %+v", posts)
	}
	mustContain(t, posts[0].Text(), "🪫 payments: low efficiency",
		"*payments* used 20% of the CPU and RAM it paid for in the last 7 days (alert below 40%): about $280 of $350 was idle.",
		"Efficiency: 20% (CPU 20%, RAM 20%)", "• CPU $175", "`pay/deployment:payments` $350")
}

func TestSnoozeAndDedupSurviveRestart(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{budgetRule()}})
	first := w.alerts()
	if len(first) != 1 {
		t.Fatalf("first run posted %d", len(first))
	}
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("repeat run posted %d", n)
	}
	w.start() // restart over the same store
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("run after restart posted %d", n)
	}

	out := w.click("U2", first[0], "Snooze 7 days")
	mustContain(t, out, "update: ", "😴 Snoozed by <@U2> until Wed 27 May 10:00 UTC")
	if strings.Contains(out, "[Snooze 7 days]") {
		t.Error("snoozed message still has the snooze button")
	}
	mustContain(t, w.click("U3", first[0], "Snooze 7 days"), "Already snoozed by <@U2>")
	rec := w.record(kindAlert, alertID("budget/service=checkout/4000", "component:default/checkout"))
	if rec.State != stateSnoozed {
		t.Errorf("record state = %s", rec.State)
	}

	w.clock.Advance(3 * 24 * time.Hour)
	w.start()
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("snoozed alert posted %d after restart", n)
	}
	w.clock.Advance(5 * 24 * time.Hour) // 8 days after the snooze: it has ended
	w.start()
	again := w.alerts()
	if len(again) != 1 {
		t.Fatalf("alert not repeated after the snooze ended: %d", len(again))
	}
	mustContain(t, again[0].Text(), "budget alert (80%)")

	mustContain(t, w.click("U4", again[0], "Acknowledge"), "✅ Acknowledged by <@U4>")
	mustContain(t, w.click("U5", again[0], "Acknowledge"), "Already acknowledged by <@U4>")
	w.start()
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("acknowledged alert repeated: %d", n)
	}

	// It gets worse (projected over 100%): that is news despite the ack.
	w.srv.Dataset().Add(opencosttest.Workload{Namespace: "shop", Kind: "deployment", Name: "checkout-batch",
		Labels: map[string]string{"service": "checkout"}, CPU: 30}.Rows(testNow.AddDate(0, 0, -20), 60, nil)...)
	w.start()
	worse := w.alerts()
	if len(worse) != 1 {
		t.Fatalf("escalation posted %d", len(worse))
	}
	mustContain(t, worse[0].Text(), "budget alert (100%)", "`shop/deployment:checkout-batch`")

	// Snoozing the 100% alert silences it, and a resolved condition that
	// comes back while snoozed stays quiet too.
	w.click("U2", worse[0], "Snooze 7 days")
	w.start()
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("snoozed escalation repeated: %d", n)
	}
	if !strings.Contains(strings.Join(w.audit.Actions(), ","), "cost.alert.snooze") {
		t.Errorf("snooze not audited: %v", w.audit.Actions())
	}
}

func TestResolvedConditionFiresAgain(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{{Type: RuleChange, Service: "checkout", Window: 30, Threshold: 10}}})
	if n := len(w.alerts()); n != 1 {
		t.Fatalf("posted %d", n)
	}
	id := alertID("change/service=checkout/30d-vs-30d/10%/up", "component:default/checkout")
	// The spend levels off: the condition no longer holds and the alert resolves.
	flat := opencost.NewDataset()
	flat.Add(opencosttest.Workload{Namespace: "shop", Kind: "deployment", Name: "checkout", Labels: map[string]string{"service": "checkout"}, CPU: 100}.Rows(testNow.AddDate(0, 0, -90), 131, nil)...)
	w.srv.SetDataset(flat)
	w.start()
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("posted %d with no change", n)
	}
	if st := w.record(kindAlert, id).State; st != stateResolved {
		t.Fatalf("state = %s, want resolved", st)
	}
	w.srv.SetDataset(baseDataset(testNow))
	w.start()
	if n := len(w.alerts()); n != 1 {
		t.Fatalf("returning condition posted %d", n)
	}
	if st := w.record(kindAlert, id).State; st != stateFiring {
		t.Errorf("state = %s", st)
	}
}

func TestConcurrentRunsPostOnce(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{budgetRule()}})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.costs.RunAlerts(context.Background(), "", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(w.msgr.Ops("post")); n != 1 {
		t.Fatalf("concurrent runs posted %d times", n)
	}
}

func TestOpenCostDownOrMalformed(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{budgetRule(), {Type: RuleChange, Service: "*", Window: 7, Threshold: 1, Direction: "both"}}})
	w.srv.SetMode(opencosttest.Down)
	// The first to notice the outage, here a user, tells the platform
	// channel, once; the reply says so.
	out := w.run("cost checkout")
	mustContain(t, out, "⚠️ Cost data unavailable since 2026-05-20 10:00 UTC: opencost: GET "+w.srv.Base()+"/allocation: 503 service unavailable. Try again later",
		"the platform team has been told in #platform")
	posts := w.msgr.Ops("post")
	if len(posts) != 1 || posts[0].Channel != "#platform" {
		t.Fatalf("outage posts = %+v", posts)
	}
	mustContain(t, posts[0].Text(), "Cost data unavailable since 2026-05-20 10:00 UTC", "Cost alerts are paused")
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("outage notice repeated by the alert job: %d", n)
	}
	mustContain(t, w.run("cost payments"), "the platform team has been told in #platform")
	if n := len(w.msgr.Ops("post")); n != 1 {
		t.Fatalf("outage notice repeated by a second question: %d posts", n)
	}

	w.clock.Advance(time.Hour)
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("outage notice repeated: %d", n)
	}
	w.start()
	w.srv.SetMode(opencosttest.Malformed)
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("outage notice repeated after restart: %d", n)
	}
	out = w.run("cost checkout")
	mustContain(t, out, "Cost data unavailable since 2026-05-20 10:00 UTC", "malformed allocation response")
	mustContain(t, w.run("cost top"), "Cost data unavailable since")
	if sec, ok := w.costs.CostSummary(context.Background(), "shop"); !ok || !strings.Contains(sec.Text, "unavailable since") {
		t.Errorf("summary during outage = %q, %v", sec.Text, ok)
	}

	w.srv.SetMode(opencosttest.OK)
	back := w.alerts()
	if len(back) != 2 {
		t.Fatalf("after recovery posted %d:\n%s", len(back), w.msgr.AllText())
	}
	mustContain(t, back[0].Text(), "Cost data is available again (it was unavailable since 2026-05-20 10:00 UTC)")
	mustContain(t, back[1].Text(), "budget alert")
}

func TestGapInDataAlertsNothing(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{{Type: RuleChange, Service: "*", Window: 1, Threshold: 10, Direction: "both"}}})
	gappy := opencost.NewDataset()
	for _, r := range baseDataset(testNow).Rows() {
		if !r.Window.Start.Equal(testNow.Truncate(24*time.Hour).AddDate(0, 0, -1)) {
			gappy.Add(r)
		}
	}
	w.srv.SetDataset(gappy)
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("a hole in the data alerted %d times:\n%s", n, w.msgr.AllText())
	}
}

func TestMalformedAnnotationsAreCatalogProblems(t *testing.T) {
	w := newWorld(t, Config{})
	w.cat.AddEntities(
		component("reports", "shop", "service=reports", catalog.AnnotationBudget, "5k"),
		component("broken", "shop", "reports"),
		group("money2", "", catalog.AnnotationBudget, "-10"),
	)
	w.alerts()
	w.alerts()
	ps := w.problems.all()
	if len(ps) != 3 {
		t.Fatalf("problems = %+v", ps)
	}
	byEntity := map[string]catalog.Problem{}
	for _, p := range ps {
		byEntity[p.Entity] = p
	}
	p := byEntity["component:default/reports"]
	if !strings.Contains(p.Message, `finops/monthly-budget: "5k" is not a positive monthly amount`) || p.File != entityFile(t, w.cat, "reports") || p.Severity != catalog.SeverityWarning {
		t.Errorf("budget problem = %+v", p)
	}
	mustContain(t, byEntity["component:default/broken"].Message, "finops/cost-tag", `"reports" is not key=value`)
	mustContain(t, byEntity["group:default/money2"].Message, `"-10" is not a positive monthly amount`)
	if len(w.msgr.Ops("post")) != 0 {
		t.Error("a malformed budget alerted")
	}
}

func TestParseTagsAndBudget(t *testing.T) {
	tags, err := ParseTags("service=checkout, annotation:team=payments,label:app=web")
	if err != nil || len(tags) != 3 || tags[0].Aggregate() != "label:service" || tags[1].Aggregate() != "annotation:team" || tags[2].String() != "app=web" {
		t.Errorf("tags = %+v, %v", tags, err)
	}
	for _, bad := range []string{"", "checkout", "=x", "service=", "service=a b", "k8s/name=x"} {
		if _, err := ParseTags(bad); err == nil {
			t.Errorf("ParseTags(%q) accepted", bad)
		}
	}
	for in, want := range map[string]float64{"5000": 5000, " $12,500.50 ": 12500.5} {
		if got, err := ParseBudget(in); err != nil || got != want {
			t.Errorf("ParseBudget(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"5k", "0", "-1", "NaN", "Inf", ""} {
		if _, err := ParseBudget(bad); err == nil {
			t.Errorf("ParseBudget(%q) accepted", bad)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
opencost:
  url: http://opencost:9003
  basePath: /model
  timeout: 30s
  retries: 2
dashboardURL: https://opencost.example/{service}
platformChannel: "#platform"
timezone: Europe/Berlin
teams:
  payments: {channel: "#payments", timezone: America/New_York}
requests:
  default: sum(increase(http_requests_total{service="{tag}"}[{window}]))
schedules: {alerts: "0 9 * * 1-5"}
alerts:
  - {type: budget, service: checkout-service, budget: 5000, thresholds: [80, 100]}
  - {type: change, service: "*", window: 2w, baseline: 90d, threshold: 25, minSpend: 50}
  - {type: efficiency, team: payments, window: 7d, below: 40, minSpend: 200}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Alerts[1].Window != 14 || cfg.Alerts[1].Baseline != 90 || *cfg.OpenCost.Retries != 2 || time.Duration(cfg.OpenCost.Timeout) != 30*time.Second {
		t.Errorf("parsed = %+v", cfg)
	}
	if _, err := ParseConfig([]byte("opencost: {urll: x}")); err == nil {
		t.Error("unknown key accepted")
	}
	for _, bad := range []string{
		"alerts: [{type: budget, service: x}]",
		"alerts: [{type: change, service: x, team: y, threshold: 5}]",
		"alerts: [{type: change, service: x, threshold: 5, window: 120d}]",
		"alerts: [{type: efficiency, service: x, below: 140}]",
		"alerts: [{type: surprise, service: x}]",
		"alerts: [{type: change, service: x, threshold: 5, direction: sideways}]",
		"timezone: Mars/Olympus",
		"teams: {a: {timezone: Nowhere/Here}}",
		"alerts: [{type: budget, service: x, budget: 1}, {type: budget, service: x, budget: 1}]",
	} {
		c, err := ParseConfig([]byte(bad))
		if err == nil {
			err = c.Validate()
		}
		if err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := ParseConfig([]byte("alerts: [{type: change, window: 7x}]")); err == nil {
		t.Error("bad window accepted")
	}
}

func TestRegisterSchedulesPerTeamZone(t *testing.T) {
	cfg := Config{
		Timezone: "Europe/Berlin",
		Teams:    map[string]TeamConfig{"payments": {Timezone: "America/New_York"}, "checkout": {Channel: "#c"}},
	}
	w := newWorld(t, cfg)
	r := bot.NewRouter(bot.RouterOptions{})
	if err := w.costs.Register(bot.NewRegistry(r, bot.NewScheduler(r.Worker(), nil))); err != nil {
		t.Fatal(err)
	}
	if w.costs.teamLocation("group:default/payments").String() != "America/New_York" || w.costs.teamLocation("group:default/checkout").String() != "Europe/Berlin" {
		t.Error("team time zones not honoured")
	}
	w.cfg.Schedules.Alerts = "every day at nine"
	w.cfg.OpenCost.URL = w.srv.Base()
	c, err := New(w.cfg, Deps{Source: w.costs.deps.Source, Catalog: w.cat, Store: w.store})
	if err == nil {
		err = c.Register(bot.NewRegistry(r, bot.NewScheduler(r.Worker(), nil)))
	}
	if err == nil || !strings.Contains(err.Error(), "bad cron spec") {
		t.Errorf("bad schedule: %v", err)
	}
	if names := commandNames(w.router); names != "cost,cost alerts,cost team,cost top,cost unallocated" {
		t.Errorf("commands = %s", names)
	}
}

func commandNames(r *bot.Router) string {
	var out []string
	for _, c := range r.Commands() {
		out = append(out, c.Name)
	}
	return strings.Join(out, ",")
}

func TestAlertsCommandAndJob(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{budgetRule()}})
	mustContain(t, w.run("cost alerts money"), "Cost alerts evaluated for group:default/money: 0 new alerts posted")
	mustContain(t, w.run("cost alerts"), "Cost alerts evaluated for every team: 1 new alert posted")
	alerts, err := w.costs.alertJobs()
	if err != nil {
		t.Fatal(err)
	}
	if err := alerts.Handle(context.Background(), []byte(`{"exclude":["group:default/shop"]}`)); err != nil {
		t.Fatal(err)
	}
	if err := alerts.Handle(context.Background(), []byte(`{`)); err == nil {
		t.Error("bad payload accepted")
	}
}

func TestKubecostBasePath(t *testing.T) {
	srv := opencosttest.New(baseDataset(testNow), "/model", func() time.Time { return testNow })
	defer srv.Close()
	src, desc, err := NewSource(Config{OpenCost: OpenCostConfig{URL: srv.URL + "/", BasePath: "/model"}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(desc, srv.URL+"/model") {
		t.Errorf("desc = %s", desc)
	}
	if _, err := src.Allocation(context.Background(), opencost.Query{Window: "7d"}); err != nil {
		t.Fatal(err)
	}
}

// flakyMessenger fails the first fail posts.
type flakyMessenger struct {
	*bottest.Messenger
	fail int
}

func (f *flakyMessenger) Post(ctx context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	if f.fail > 0 {
		f.fail--
		return bot.MessageRef{}, errors.New("slack: ratelimited")
	}
	return f.Messenger.Post(ctx, channel, msg)
}

func TestFailedPostIsRetried(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{budgetRule()}})
	w.costs.deps.Messenger = &flakyMessenger{Messenger: w.msgr, fail: 1}
	if _, err := w.costs.RunAlerts(context.Background(), "", nil); err == nil || !strings.Contains(err.Error(), "ratelimited") {
		t.Fatalf("err = %v", err)
	}
	if n := len(w.alerts()); n != 1 {
		t.Fatalf("retry posted %d", n)
	}
	if n := len(w.alerts()); n != 0 {
		t.Fatalf("posted again: %d", n)
	}
}

func TestShouldPost(t *testing.T) {
	now := testNow
	f := &Finding{Level: "80%", Severity: 1, Period: "2026-05"}
	worse := &Finding{Level: "100%", Severity: 2, Period: "2026-05"}
	nextMonth := &Finding{Level: "80%", Severity: 1, Period: "2026-06"}
	posted := &alertState{Level: "80%", Severity: 1, Period: "2026-05", Fired: now.Add(-time.Hour)}
	snoozed := &alertState{Level: "80%", Severity: 1, Period: "2026-05", Fired: now.Add(-time.Hour), SnoozedUntil: now.Add(time.Hour)}
	snoozeOver := &alertState{Level: "80%", Severity: 1, Period: "2026-05", Fired: now.Add(-8 * 24 * time.Hour), SnoozedUntil: now.Add(-time.Hour)}
	pendingFresh := &alertState{Level: "80%", Severity: 1, Period: "2026-05", Fired: now.Add(-time.Minute), Pending: true}
	pendingStale := &alertState{Level: "80%", Severity: 1, Period: "2026-05", Fired: now.Add(-time.Hour), Pending: true}
	for _, tc := range []struct {
		name  string
		st    *alertState
		state string
		f     *Finding
		want  bool
	}{
		{"new", nil, "", f, true},
		{"same", posted, stateFiring, f, false},
		{"acked same", posted, stateAcked, f, false},
		{"worse", posted, stateAcked, worse, true},
		{"new month", posted, stateFiring, nextMonth, true},
		{"resolved then back", posted, stateResolved, f, true},
		{"snoozed", snoozed, stateSnoozed, f, false},
		{"snoozed, back after resolving", snoozed, stateResolved, f, false},
		{"snoozed but worse", snoozed, stateSnoozed, worse, true},
		{"snooze over", snoozeOver, stateSnoozed, f, true},
		{"another run posting", pendingFresh, stateFiring, f, false},
		{"a run died posting", pendingStale, stateFiring, f, true},
	} {
		if got := shouldPost(tc.st, tc.state, tc.f, now); got != tc.want {
			t.Errorf("%s: shouldPost = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRacingClicksAcknowledgeOnce: two people pressing Acknowledge at the
// same moment make one acknowledgement (one audit row); the other is told
// who acknowledged it.
func TestRacingClicksAcknowledgeOnce(t *testing.T) {
	w := newWorld(t, Config{Alerts: []AlertRule{budgetRule()}})
	posts := w.alerts()
	if len(posts) != 1 {
		t.Fatalf("posts = %d", len(posts))
	}
	btn := bottest.FindButton(posts[0].Msg, "Acknowledge")
	if btn == nil {
		t.Fatal("no Acknowledge button")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, u := range []string{"U4", "U5"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := w.msgr.NewRequest(u, "")
			errs <- w.router.Act(context.Background(), req, bot.Action{ID: btn.ActionID, Value: btn.Value, Message: posts[0].Ref})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(strings.Join(w.audit.Actions(), ","), "cost.alert.acknowledge"); n != 1 {
		t.Fatalf("acknowledged %d times: %v", n, w.audit.Actions())
	}
	if n := strings.Count(w.msgr.AllText(), "Already acknowledged by"); n != 1 {
		t.Fatalf("%d 'already acknowledged' replies:\n%s", n, w.msgr.AllText())
	}
	if st := w.record(kindAlert, btn.Value).State; st != stateAcked {
		t.Fatalf("state = %q", st)
	}
}

// entityFile is the file the catalog read an entity from.
func entityFile(t *testing.T, cat Catalog, ref string) string {
	t.Helper()
	e, ok := cat.Get(ref)
	if !ok || e.Source.File == "" {
		t.Fatalf("%s: not in the catalog, or from no file", ref)
	}
	return e.Source.File
}
