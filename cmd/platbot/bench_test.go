package main

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"
)

// BenchmarkSlashCommandToViewsOpen measures what a user waits for after
// typing /plat new-db: a signed slash command through the HTTP handler, the
// durable job, the worker, the template's form rendered as Block Kit, and
// the views.open call arriving at the (fake) Slack Web API. Slack's
// trigger_id lives about 3 s; the goal is p99 ≤ 100 ms.
func BenchmarkSlashCommandToViewsOpen(b *testing.B) {
	bot := startServe(b)
	if r := bot.reply(bot.command("U0PLATPRIYA", "template approve new-db")); !strings.Contains(r, "Approved template") {
		b.Fatalf("approve: %s", r)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		bot.command("U0PAYALICE", "new-db")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := bot.slack.Wait(ctx, i+1, "views.open")
		cancel()
		if err != nil {
			b.Fatalf("views.open %d never came: %v", i+1, err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
