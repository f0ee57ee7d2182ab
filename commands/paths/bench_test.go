package paths

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkSlashCommandOpensForm measures "/plat new-db" from the router
// receiving the command to the form being handed to the messenger (where
// the Slack transport calls views.open): command lookup among the dynamic
// template commands, the policy check and its audit event, the catalog
// identity and the form built from the template's parameters. It reports
// the 50th and 99th percentile per command (goal: p99 ≤ 100 ms).
func BenchmarkSlashCommandOpensForm(b *testing.B) {
	e := newEnv(b, envOptions{})
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := e.request(userJane, "new-db")
		start := time.Now()
		if err := e.router.Run(ctx, req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		if i%512 == 511 {
			e.msgr.Reset()
		}
	}
	b.StopTimer()
	if last := e.msgr.Last(); last.Op != "form" || last.Form.ID != "new-db" {
		b.Fatalf("no form opened: %+v", last)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
