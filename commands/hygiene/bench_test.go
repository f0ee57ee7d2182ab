package hygiene_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/hygiene"
)

// generated returns n entities shaped like the example catalog: one Group
// per 50 Components, four Users per Group, a System per Group, and
// Components with every convention, some deprecated, some orphaned, some
// owned by missing groups, spread over ten locations.
func generated(n int) hygiene.Input {
	in := hygiene.Input{
		Now:         time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC),
		Deactivated: map[string]bool{},
		Deploys:     map[string]hygiene.Deploy{},
		Usage:       map[string]hygiene.Usage{},
	}
	for i := range 10 {
		in.Locations = append(in.Locations, catalog.LocationStatus{Location: fmt.Sprintf("file:loc%d", i), Failed: i == 9, Error: "unreachable"})
	}
	mk := func(kind, name string, i int, spec map[string]any, ann map[string]string) *catalog.Entity {
		e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: catalog.Metadata{Name: name, Annotations: ann}, Spec: spec}
		e.Source = catalog.Source{Location: fmt.Sprintf("file:loc%d", i%10), File: fmt.Sprintf("loc%d/%s.yaml", i%10, name), Line: 1}
		return e
	}
	for i := 0; len(in.Entities) < n; i++ {
		g := fmt.Sprintf("team-%d", i)
		in.Entities = append(in.Entities, mk(catalog.KindGroup, g, i, map[string]any{"type": "team", "children": []any{}}, nil))
		for u := range 4 {
			name := fmt.Sprintf("user-%d-%d", i, u)
			in.Entities = append(in.Entities, mk(catalog.KindUser, name, i, map[string]any{"memberOf": []any{g}}, map[string]string{catalog.AnnotationSlackUserID: "U" + name}))
			in.Deactivated["user:default/"+name] = i%7 == 0
		}
		in.Entities = append(in.Entities, mk(catalog.KindSystem, "sys-"+g, i, map[string]any{"owner": g}, nil))
		for c := range 44 {
			name := fmt.Sprintf("svc-%d-%d", i, c)
			owner := g
			if c == 0 {
				owner = "missing-" + g
			}
			lc := "production"
			if c%10 == 0 {
				lc = "deprecated"
			}
			e := mk(catalog.KindComponent, name, i, map[string]any{"type": "service", "lifecycle": lc, "owner": owner, "system": "sys-" + g},
				map[string]string{catalog.AnnotationCostTag: "label:service=" + name, catalog.AnnotationPagerDuty: "P" + name})
			e.Orphan = c == 1
			in.Entities = append(in.Entities, e)
			ref := e.Ref()
			in.Deploys[ref] = hygiene.Deploy{Known: c%3 != 0, At: in.Now.AddDate(0, -c, 0)}
			if lc == "deprecated" {
				in.Usage[ref] = hygiene.Usage{Requests: float64(c), RequestsKnown: true}
			}
		}
	}
	in.Entities = in.Entities[:n]
	return in
}

func BenchmarkHygieneScan(b *testing.B) {
	in := generated(100_000)
	r := hygiene.Rules{NoDeployAfter: 365 * 24 * time.Hour, RequiredAnnotations: []string{catalog.AnnotationCostTag}, OnCallAnnotations: []string{catalog.AnnotationPagerDuty}}
	b.ReportAllocs()
	b.ResetTimer()
	var findings, n int
	cpu := cpuTime()
	for b.Loop() {
		rep := hygiene.Find(in, r)
		findings = len(rep.Findings)
		n++
	}
	// CPU time (user+system, all threads, GC included) tells the cost
	// apart from the wall time, which depends on what else runs.
	b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(n), "cpu-ms/op")
	b.ReportMetric(float64(findings), "findings")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
