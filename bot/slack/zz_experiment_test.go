package slack

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

func TestZZSteadyOnly(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bench.db"), store.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var q bot.Queue = st
	var a bot.Auditor = st
	if os.Getenv("ZZ") == "mem" {
		mq := newMemQueue()
		q, a = mq, mq
	}
	h, _ := NewHandler(HandlerOptions{Router: bot.NewRouter(bot.RouterOptions{Queue: q, Audit: a, Logger: logger}), SigningSecret: testSecret, Logger: logger, Metrics: bot.NewMetrics(prometheus.NewRegistry())})
	srv := httptest.NewServer(h)
	defer srv.Close()
	bare := httptest.NewServer(http.HandlerFunc(bareHandler))
	defer bare.Close()
	c := newBenchClient()
	for _, u := range []string{bare.URL, srv.URL} {
		total := 5000
		interval := 2 * time.Millisecond
		lat := make([]time.Duration, total)
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < total; i++ {
			due := start.Add(time.Duration(i) * interval)
			if w := time.Until(due); w > 0 {
				time.Sleep(w)
			}
			wg.Add(1)
			go func(i int, due time.Time) {
				defer wg.Done()
				c.send(u + PathCommands)
				lat[i] = time.Since(due)
			}(i, due)
		}
		wg.Wait()
		// per second p99 and max
		for s := 0; s < 10; s++ {
			seg := append([]time.Duration(nil), lat[s*500:(s+1)*500]...)
			sort.Slice(seg, func(i, j int) bool { return seg[i] < seg[j] })
			slow := 0
			for _, d := range seg {
				if d > 5*time.Millisecond {
					slow++
				}
			}
			fmt.Printf("%s sec %d: p50 %v p99 %v max %v slow>5ms %d\n", u[len(u)-5:], s, seg[250], seg[495], seg[499], slow)
		}
	}
	fmt.Println(st.Stats())
}

func TestZZStoreOnly(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bench.db"), store.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if os.Getenv("ZZ") == "nockpt" {
		if err := st.Write(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec("PRAGMA wal_autocheckpoint=0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	total := 5000
	lat := make([]time.Duration, total)
	var wg sync.WaitGroup
	start := time.Now()
	payload := []byte(`{"id":"x","transport":"slack","user":{"id":"U0BENCH","name":"bench"},"text":"scorecard checkout-service --team payments","response_url":"https://hooks.slack.com/commands/T0BENCH/1/abc","trigger_id":"x","received":"2026-01-01T00:00:00Z"}`)
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * 2 * time.Millisecond)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			_, err := st.EnqueueAndAudit(context.Background(), store.Job{Kind: "bot.command", Payload: payload, DedupeKey: fmt.Sprintf("k%d", i), RunAt: time.Now()},
				store.Event{Time: time.Now(), ActorID: "U0BENCH", Action: "bot.command.received", Outcome: "queued", Details: map[string]any{"request": i}})
			if err != nil {
				t.Error(err)
			}
			lat[i] = time.Since(due)
		}(i, due)
	}
	wg.Wait()
	for s := 0; s < 10; s++ {
		seg := append([]time.Duration(nil), lat[s*500:(s+1)*500]...)
		sort.Slice(seg, func(i, j int) bool { return seg[i] < seg[j] })
		fmt.Printf("store sec %d: p50 %v p99 %v max %v\n", s, seg[250], seg[495], seg[499])
	}
}
