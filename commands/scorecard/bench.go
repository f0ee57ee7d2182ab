package scorecard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// BenchOptions size the synthetic benchmark (`platbot bench scorecard`).
type BenchOptions struct {
	Services int // default 10000
	Checks   int // default 25
	Teams    int // default 200
	// Out receives the report (nil = discard).
	Out io.Writer
}

// BenchResult are the benchmark's figures.
type BenchResult struct {
	Services    int
	Checks      int
	Evaluations int
	// GradeTime is the time to grade every service against every check
	// with facts in memory, on one core.
	GradeTime      time.Duration
	GradeCPU       time.Duration // process CPU time (GC included); 0 where unmeasured
	EvalsPerSecond float64
	// GradeTimeAllCores is the same grading split over Cores goroutines,
	// as digests and the history refresh grade.
	GradeTimeAllCores time.Duration
	Cores             int
	Teams             int
	// DigestTime is the time to render every team's digest (messages and
	// 8-week PNG charts) from the grades and their history.
	DigestTime time.Duration
	DigestCPU  time.Duration
	ChartBytes int
}

// benchRuleTemplates are the rule shapes of the synthetic checks; %d makes
// each copy a distinct program.
var benchRuleTemplates = []struct {
	sev  grade.Severity
	rule string
}{
	{grade.SeverityMedium, `github.readme.contains("## Runbook") || %d < 0`},
	{grade.SeverityHigh, `oncall.confirmed || %d < 0`},
	{grade.SeverityMedium, `deploys.last >= now - duration("%dh")`},
	{grade.SeverityCritical, `vulns.critical <= %d`},
	{grade.SeverityLow, `github.codeowners || %d < 0`},
	{grade.SeverityLow, `size(github.workflows) > %d`},
	{grade.SeverityMedium, `vulns.high < %d`},
	{grade.SeverityLow, `entity.lifecycle != "production" || oncall.confirmed || %d < 0`},
	{grade.SeverityMedium, `github.last_commit >= now - duration("%dh")`},
	{grade.SeverityLow, `"tier-%d" in entity.tags || entity.type == "service"`},
	{grade.SeverityLow, `owner.found && owner.ref.startsWith("group:") && %d >= 0`},
	{grade.SeverityMedium, `vulns.medium + vulns.high < %d`},
	{grade.SeverityLow, `size(github.readme) > %d`},
}

func benchChecks(m int) []grade.CheckSpec {
	specs := make([]grade.CheckSpec, m)
	for i := range specs {
		t := benchRuleTemplates[i%len(benchRuleTemplates)]
		n := 24 * (10 + i)
		if i%len(benchRuleTemplates) == 3 {
			n = i / len(benchRuleTemplates)
		} else if i%len(benchRuleTemplates) == 5 || i%len(benchRuleTemplates) == 12 {
			n = i % 7
		} else if i%len(benchRuleTemplates) == 6 || i%len(benchRuleTemplates) == 11 {
			n = 3 + i%5
		}
		specs[i] = grade.CheckSpec{
			ID: fmt.Sprintf("bench-%02d", i), Title: fmt.Sprintf("Synthetic check %d", i), Severity: t.sev,
			Rule: fmt.Sprintf(t.rule, n), Phase: grade.PhaseSchedule{{Phase: grade.PhaseRequired}},
			HowToFix: "Fix synthetic gap " + fmt.Sprint(i) + ".",
		}
		if i%9 == 8 {
			specs[i].Filter = `entity.type == "service"`
		}
	}
	return specs
}

// benchWorld builds n components owned by t teams, with varied facts.
func benchWorld(n, t int, now time.Time) ([]*catalog.Entity, []*grade.Facts) {
	var ents []*catalog.Entity
	for g := 0; g < t; g++ {
		ents = append(ents, &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindGroup,
			Metadata: catalog.Metadata{Name: fmt.Sprintf("team-%03d", g)}, Spec: map[string]any{"type": "team", "children": []any{}}})
	}
	world := make([]*grade.Facts, n)
	lifecycles := []string{"production", "experimental", "deprecated"}
	for i := 0; i < n; i++ {
		typ := "service"
		if i%5 == 4 {
			typ = "library"
		}
		e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindComponent,
			Metadata: catalog.Metadata{Name: fmt.Sprintf("svc-%05d", i), Tags: []string{fmt.Sprintf("tier-%d", i%3)},
				Annotations: map[string]string{catalog.AnnotationGitHubSlug: fmt.Sprintf("acme/svc-%05d", i)}},
			Spec: map[string]any{"type": typ, "lifecycle": lifecycles[i%3], "owner": fmt.Sprintf("team-%03d", i%t),
				"system": fmt.Sprintf("system-%02d", i%17)}}
		ents = append(ents, e)
		f := &grade.Facts{}
		f.Entity, f.Owner = facts.CatalogFacts(facts.Subject{Entity: e, Owner: ents[i%t]})
		f.GitHub = grade.RepoFacts{Slug: "acme/x", Readme: "# svc\n\nSome text.\n" + map[bool]string{true: "## Runbook\nsteps\n"}[i%4 != 0],
			HasReadme: true, Codeowners: i%6 != 0, Workflows: []string{"ci.yml"}[:i%2],
			LastCommit: now.Add(-time.Duration(i%90) * 24 * time.Hour)}
		f.OnCall = grade.OnCallFacts{ServiceID: "P1", Confirmed: i%7 != 0}
		f.Deploys = grade.DeployFacts{Last: now.Add(-time.Duration(i%60) * 24 * time.Hour), Source: "github"}
		f.Vulns = grade.VulnFacts{Critical: map[bool]int{true: 2}[i%11 == 0], High: i % 6, Medium: i % 4, Reports: 1}
		if i%97 == 0 {
			f.SetUnknown(grade.SourceVulns, "synthetic outage")
		}
		world[i] = f
	}
	return ents, world
}

// benchProviders serve the synthetic facts from memory.
type benchProviders map[string]*grade.Facts

func (b benchProviders) RepoFacts(_ context.Context, s facts.Subject) (grade.RepoFacts, error) {
	return b[s.Entity.Ref()].GitHub, nil
}
func (b benchProviders) OnCallFacts(_ context.Context, s facts.Subject) (grade.OnCallFacts, error) {
	return b[s.Entity.Ref()].OnCall, nil
}
func (b benchProviders) DeployFacts(_ context.Context, s facts.Subject) (grade.DeployFacts, error) {
	return b[s.Entity.Ref()].Deploys, nil
}
func (b benchProviders) VulnFacts(_ context.Context, s facts.Subject) (grade.VulnFacts, error) {
	return b[s.Entity.Ref()].Vulns, nil
}

// Bench grades a synthetic catalog with facts in memory on one core and on
// every core, then renders every team's digest, and reports the figures.
// The CEL programs are compiled once; each grading goroutine reuses one
// activation and allocates only the results. The digests read the catalog and the grade history as serve
// does: from a real catalog and a SQLite store in a temporary folder,
// removed at the end.
func Bench(ctx context.Context, o BenchOptions) (BenchResult, error) {
	if o.Services <= 0 {
		o.Services = 10000
	}
	if o.Checks <= 0 {
		o.Checks = 25
	}
	if o.Teams <= 0 {
		o.Teams = 200
	}
	if o.Out == nil {
		o.Out = io.Discard
	}

	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	cs := grade.CompileChecks(benchChecks(o.Checks))
	if len(cs.Errors) > 0 {
		return BenchResult{}, fmt.Errorf("bench: synthetic checks: %w", cs.Errors[0])
	}
	ents, world := benchWorld(o.Services, o.Teams, now)
	res := BenchResult{Services: o.Services, Checks: o.Checks, Teams: o.Teams}

	// Grade every service as a digest does (grade.CheckSet.EvaluateAll),
	// first on one core, then on every core: one warm-up pass (the first
	// touch of the facts and of the interpreter's code), then the median of
	// five timed passes, as a benchmark harness would.
	results := make([]grade.Result, len(world))
	gradeAll := func(workers int) int {
		cs.EvaluateAll(now, nil, world, results, workers)
		n := 0
		for i := range results {
			n += len(results[i].Checks)
		}
		return n
	}
	measure := func(cores int) (wall, cpu time.Duration) {
		prev := runtime.GOMAXPROCS(cores)
		defer runtime.GOMAXPROCS(prev)
		gradeAll(cores)
		const passes = 5
		times, cpus := make([]time.Duration, passes), make([]time.Duration, passes)
		for p := range passes {
			runtime.GC()
			start, cpu0 := time.Now(), cpuTime()
			res.Evaluations = gradeAll(cores)
			times[p], cpus[p] = time.Since(start), cpuTime()-cpu0
		}
		slices.Sort(times)
		slices.Sort(cpus)
		return times[passes/2], cpus[passes/2]
	}
	res.GradeTime, res.GradeCPU = measure(1)
	res.EvalsPerSecond = float64(o.Services*o.Checks) / res.GradeTime.Seconds()
	res.Cores = runtime.GOMAXPROCS(0)
	res.GradeTimeAllCores, _ = measure(res.Cores)

	// Digest: the synthetic catalog and the history of the chart's earlier
	// weeks go into a real catalog and store in a temporary folder, then
	// each team's digest is rendered.
	dir, err := os.MkdirTemp("", "platbot-bench-")
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	cat, err := benchCatalog(ctx, dir, ents)
	if err != nil {
		return res, err
	}
	st, err := store.Open(ctx, filepath.Join(dir, "bench.db"), store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer st.Close()
	rs := make([]*grade.Result, len(results))
	for i := range results {
		rs[i] = &results[i]
	}
	if err := benchHistory(ctx, st, rs, now); err != nil {
		return res, err
	}
	byRef := benchProviders{}
	for _, f := range world {
		byRef[f.Entity.Ref] = f
	}
	s, err := New(Config{NoDefaultChecks: true, Checks: benchChecks(o.Checks)}, Deps{Catalog: cat, Store: st,
		Providers: facts.Providers{Repo: byRef, OnCall: byRef, Deploys: byRef, Vulns: byRef},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		return res, err
	}
	runtime.GC()
	start, cpu0 := time.Now(), cpuTime()
	d, err := s.digestDataFor(ctx, rs, now, false)
	if err != nil {
		return res, err
	}
	for _, team := range s.teams() {
		td, err := s.buildTeamDigest(ctx, d, team)
		if err != nil {
			return res, err
		}
		res.ChartBytes += len(td.Chart)
	}
	res.DigestTime, res.DigestCPU = time.Since(start), cpuTime()-cpu0

	fmt.Fprintf(o.Out, "scorecard bench\n")
	fmt.Fprintf(o.Out, "grading, 1 core:  %d services × %d checks = %d evaluations in %v (median of 5 after a warm-up), CPU %v (%.0f evaluations/s)\n",
		o.Services, o.Checks, o.Services*o.Checks, res.GradeTime.Round(time.Millisecond), res.GradeCPU.Round(time.Millisecond), res.EvalsPerSecond)
	fmt.Fprintf(o.Out, "grading, %d cores: %v (median of 5)\n", res.Cores, res.GradeTimeAllCores.Round(time.Millisecond))
	fmt.Fprintf(o.Out, "digest:  %d teams rendered (messages + %d-week PNG charts, %d KiB) in %v, CPU %v\n",
		o.Teams, s.cfg.Digest.Weeks, res.ChartBytes/1024, res.DigestTime.Round(time.Millisecond), res.DigestCPU.Round(time.Millisecond))
	return res, nil
}

// benchCatalog writes the synthetic entities to a catalog file in dir and
// loads a catalog from it.
func benchCatalog(ctx context.Context, dir string, ents []*catalog.Entity) (*catalog.Catalog, error) {
	var b bytes.Buffer
	for _, e := range ents {
		y, err := yaml.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("bench: catalog %s: %w", e.Ref(), err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	file := filepath.Join(dir, "catalog-info.yaml")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Type: "file", Target: file}}
	cat, err := catalog.New(cfg, catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return nil, fmt.Errorf("bench: catalog: %w", err)
	}
	rep, err := cat.Refresh(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: catalog: %w", err)
	}
	if rep.Entities != len(ents) {
		return nil, fmt.Errorf("bench: catalog holds %d of the %d synthetic entities (%s)", rep.Entities, len(ents), rep)
	}
	return cat, nil
}

// benchHistory stores a grade point per service for each of the seven
// weeks before now, so the charts have history to draw. The points are
// appended concurrently, so the store's writer commits them in batches.
func benchHistory(ctx context.Context, st *store.Store, rs []*grade.Result, now time.Time) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(256)
	for w := 7; w >= 1; w-- {
		at := now.Add(-time.Duration(w) * 7 * 24 * time.Hour).Truncate(24 * time.Hour)
		for i, r := range rs {
			b, err := json.Marshal(historyValue{Grade: grade.Grades[(i+w)%5], Owner: r.Owner})
			if err != nil {
				return fmt.Errorf("bench: history: %w", err)
			}
			eg.Go(func() error {
				return st.AppendPoint(ctx, store.Point{Series: SeriesGrade, Key: r.Ref, At: at, Value: b})
			})
		}
	}
	if err := eg.Wait(); err != nil {
		return fmt.Errorf("bench: history: %w", err)
	}
	return nil
}
