package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkEnqueueAndAudit measures the Slack ack path: many concurrent
// requests each enqueueing a job and its audit event. "group" is the store
// as configured; "tx-per-call" commits every call on its own, for
// comparison; each on both engines. Run with:
// go test -run '^$' -bench EnqueueAndAudit ./store/
func BenchmarkEnqueueAndAudit(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) { benchmarkEnqueueAndAudit(b, e) })
	}
}

func benchmarkEnqueueAndAudit(b *testing.B, e engine) {
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"group", nil},
		{"tx-per-call", []Option{withMaxBatch(1)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			opts := append([]Option{WithAuditKey(testKey), WithChainKey(testChainKey), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, bc.opts...)
			s, err := Open(ctx, e.dsn(b), opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			payload := json.RawMessage(`{"request":{"id":"x","user":"U123","command":"/plat new-db","text":"orders"}}`)
			var n atomic.Int64
			start := s.Stats()
			b.SetParallelism(max(1, 500/runtime.GOMAXPROCS(0))) // ~500 goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					_, err := s.EnqueueAndAudit(ctx,
						Job{Kind: "command", Payload: payload, DedupeKey: fmt.Sprintf("command:%d", i)},
						Event{ActorID: "U123", ActorName: "ada", Action: "command.received", Target: "/plat new-db",
							Outcome: "queued", Details: map[string]any{"request": i, "channel": "C1"}})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			st := s.Stats()
			if batches := st.Batches - start.Batches; batches > 0 {
				b.ReportMetric(float64(st.Writes-start.Writes)/float64(batches), "writes/batch")
			}
		})
	}
}

// BenchmarkAuditRowHash is the per-row cost of chaining: unkeyed SHA-256
// (rows before the chain's boundary) against the keyed HMAC-SHA256 every
// new row gets. Run with: go test -run '^$' -bench AuditRowHash ./store/
func BenchmarkAuditRowHash(b *testing.B) {
	r := auditRow{seq: 123456, actorID: "U123", actorName: "ada", action: "command.received", target: "/plat new-db",
		outcome: "queued", details: `{"channel":"C1","request":123456}`, prevHash: strings.Repeat("ab", 32)}
	rowKey, err := testChainKey.MAC(context.Background(), []byte(rowKeyLabel))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		key  []byte
	}{{"unkeyed", nil}, {"keyed", rowKey}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_ = r.sum(bc.key)
			}
		})
	}
}
