package cost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/integrations/opencost"
)

// cpuTime is the process's user and system CPU time so far. Benchmarks
// report it per operation beside the wall time, which on a shared machine
// also counts time spent waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// setsSource serves pre-parsed allocation sets.
type setsSource struct{ sets []opencost.AllocationSet }

func (s setsSource) Allocation(context.Context, opencost.Query) ([]opencost.AllocationSet, error) {
	return s.sets, nil
}

// benchData is n services in 200 teams, every tenth with a budget
// annotation, and one allocation response of 61 daily steps (60 days and
// today) aggregated by label:service,namespace,controller, plus unallocated
// workloads. About 5% of services jump in the last week and 5% are idle.
func benchData(tb testing.TB, n int) (*catalogtest.Catalog, []opencost.AllocationSet) {
	var ents []*catalog.Entity
	for t := 0; t < 200; t++ {
		ents = append(ents, group(fmt.Sprintf("team-%03d", t), fmt.Sprintf("#team-%03d", t)))
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%05d", i)
		var ann []string
		if i%10 == 0 {
			ann = []string{catalog.AnnotationBudget, fmt.Sprint(2500 + i%7*200)}
		}
		ents = append(ents, component(name, fmt.Sprintf("team-%03d", i%200), "service="+name, ann...))
	}
	cat := catalogtest.FromEntities(tb, ents...)
	start := testNow.Truncate(24*time.Hour).AddDate(0, 0, -60)
	sets := make([]opencost.AllocationSet, 61)
	for d := range sets {
		ws := start.AddDate(0, 0, d)
		win := opencost.Window{Start: ws, End: ws.Add(24 * time.Hour)}
		set := make(opencost.AllocationSet, n+20)
		for i := 0; i < n; i++ {
			f := 1 + float64(i%13)/10
			if i%20 == 3 && d >= 54 {
				f *= 2
			}
			eff := 0.3 + float64(i%7)/10
			if i%20 == 7 {
				eff = 0.1
			}
			name := fmt.Sprintf("svc-%05d/ns-%02d/deployment:svc-%05d", i, i%50, i)
			set[name] = &opencost.Allocation{
				Name: name, Window: win,
				Properties: opencost.Properties{Namespace: fmt.Sprintf("ns-%02d", i%50), ControllerKind: "deployment", Controller: fmt.Sprintf("svc-%05d", i)},
				CPUCost:    40 * f, RAMCost: 25 * f, PVCost: 5 * f, NetworkCost: 2 * f, SharedCost: 3,
				TotalCost: 75*f + 3, CPUEfficiency: eff, RAMEfficiency: eff + 0.1, TotalEfficiency: eff + 0.04,
			}
		}
		for u := 0; u < 20; u++ {
			name := fmt.Sprintf("__unallocated__/kube-%02d/daemonset:agent-%02d", u, u)
			set[name] = &opencost.Allocation{Name: name, Window: win, CPUCost: 10, RAMCost: 5, TotalCost: 15}
		}
		sets[d] = set
	}
	return cat, sets
}

func benchRules() []AlertRule {
	return []AlertRule{
		{Type: RuleChange, Service: "*", Window: 7, Baseline: 28, Threshold: 40, MinSpend: 50},
		{Type: RuleEfficiency, Service: "*", Window: 7, Below: 25, MinSpend: 50},
		{Type: RuleChange, Team: "*", Window: 7, Baseline: 28, Threshold: 10},
	}
}

// BenchmarkCostsAndAlerts10k computes, from one allocation response, the
// ledger, every service's roll-up line, every alert rule for 10,000
// services and 200 teams (with the contributors of every alert that
// fires), and the hygiene report.
func BenchmarkCostsAndAlerts10k(b *testing.B) {
	cat, sets := benchData(b, 10000)
	c, err := New(Config{Alerts: benchRules()}, Deps{Source: setsSource{sets}, Catalog: cat, Store: bottest.NewHarness(b, bottest.HarnessOptions{Start: testNow}).Store, Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	all := func(string) bool { return true }
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var fired int
	for b.Loop() {
		d := newDirectory(cat)
		l := newLedger(testNow.Truncate(24*time.Hour).AddDate(0, 0, -60), testNow, 61)
		l.addSets("label:service", sets)
		for _, s := range d.rollup {
			_ = l.serviceSpend(s, 2)
		}
		findings, checked := c.evaluate(l, newSubjects(l, d), c.rules(d), all)
		for i := range findings {
			l.explain(&findings[i])
		}
		h := hygiene(l, d)
		if len(checked) < 20000 || h.Unclaimed <= 0 {
			b.Fatalf("checked %d, unclaimed %v", len(checked), h.Unclaimed)
		}
		fired = len(findings)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(fired), "alerts")
}

// BenchmarkRunAlerts10k is the alert job end to end over a real (SQLite)
// store, the fake catalog and a recording messenger:
// evaluation, de-duplication reads and writes, and posting. The first
// iteration posts every alert; later ones find them all already posted.
func BenchmarkRunAlerts10k(b *testing.B) {
	cat, sets := benchData(b, 10000)
	msgr := bottest.NewMessenger()
	c, err := New(Config{Alerts: benchRules(), PlatformChannel: "#platform"}, Deps{
		Source: setsSource{sets}, Catalog: cat, Store: bottest.NewHarness(b, bottest.HarnessOptions{Start: testNow}).Store, Messenger: msgr,
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sleep: func(context.Context, time.Duration) error { return nil }, // pacing is not what is measured
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		c.mu.Lock()
		c.cached = nil
		c.mu.Unlock()
		if _, err := c.RunAlerts(context.Background(), "", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(msgr.Ops("post"))), "posts")
}

// BenchmarkDecodeAllocation10k decodes one allocation response of 10,000
// services (one accumulated step) through the client's envelope type.
func BenchmarkDecodeAllocation10k(b *testing.B) {
	_, sets := benchData(b, 10000)
	raw, err := json.Marshal(opencost.Response{Code: 200, Data: sets[:1]})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		var r opencost.Response
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&r); err != nil || len(r.Data[0]) != 10020 {
			b.Fatal(err)
		}
	}
}
