package slack

// The ack-path benchmark. It is a test gated by an environment variable,
// not a timed test, because it compares two servers in one run and prints
// a table:
//
//	PLATBOT_BENCH=1 go test -count=1 -run TestAckBenchmark -v ./bot/slack/
//
// Both servers listen on loopback with net/http and are driven by the same
// client code with the same signed slash-command bodies:
//
//   - bare: a handler that only reads and parses the form and answers 200;
//   - platbot: Handler (verify, parse, Router.Accept = one group-committed
//     job + audit write into the real SQLite store on a temp file, metrics).
//     The job worker is not running: only the ack path is measured;
//   - the same Handler over an in-memory queue (a diagnostic row: the
//     transport's own cost without the store).
//
// Each phase starts on fresh servers and a new database file.
//
// Two measurements, each for both servers:
//
//   - saturation: 500 requests in flight, closed loop, for
//     PLATBOT_BENCH_SECONDS (default 5) per server, taken in 5 interleaved
//     rounds so drifting background load hits every server alike:
//     requests/s, p50, p99;
//   - steady: open loop, 500 requests/s for PLATBOT_BENCH_STEADY_SECONDS
//     (default 10), latency measured from when each request was due (so a
//     stalled server is not hidden by a stalled client): p50, p99.
//
// Goals on 2 cores: platbot's saturation throughput >= 40% of bare's, and
// its steady-load p99 <= 3x bare's.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/store"
)

const (
	benchConcurrency = 500
	benchRate        = 500
	benchRounds      = 5
)

// benchSeconds reads a duration in whole seconds from the environment.
func benchSeconds(t *testing.T, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number of seconds", name, s)
	}
	return time.Duration(n) * time.Second
}

// benchResult is one measurement of one server.
type benchResult struct {
	lat     []time.Duration // of the successful requests
	errors  int
	elapsed time.Duration
}

func (r benchResult) rps() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

// add merges another round of the same measurement.
func (r *benchResult) add(o benchResult) {
	r.lat = append(r.lat, o.lat...)
	r.errors += o.errors
	r.elapsed += o.elapsed
}

func (r benchResult) percentiles() (p50, p99 time.Duration) { return percentiles(r.lat) }

// benchClient sends signed slash commands with unique trigger ids.
type benchClient struct {
	http *http.Client
	seq  atomic.Int64
	base string
}

func newBenchClient() *benchClient {
	tr := &http.Transport{
		MaxIdleConns: 2 * benchConcurrency, MaxIdleConnsPerHost: 2 * benchConcurrency,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}
	return &benchClient{
		http: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		base: url.Values{
			"command": {"/plat"}, "text": {"scorecard checkout-service --team payments"},
			"user_id": {"U0BENCH"}, "user_name": {"bench"}, "channel_id": {"C0BENCH"}, "team_id": {"T0BENCH"},
			"response_url": {"https://hooks.slack.com/commands/T0BENCH/1/abc"},
		}.Encode(),
	}
}

// send posts one signed command and reports whether it was answered 200.
func (c *benchClient) send(target string) bool {
	n := c.seq.Add(1)
	body := []byte(c.base + "&trigger_id=bench." + strconv.FormatInt(n, 10))
	req := slackfake.SignedRequest(testSecret, target, body, time.Now())
	resp, err := c.http.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	lat = append([]time.Duration(nil), lat...)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)*50/100], lat[min(len(lat)*99/100, len(lat)-1)]
}

// saturate keeps conc requests in flight for d.
func (c *benchClient) saturate(target string, conc int, d time.Duration) benchResult {
	var (
		mu   sync.Mutex
		all  []time.Duration
		errs atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if !c.send(target) {
					errs.Add(1)
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return benchResult{lat: all, errors: int(errs.Load()), elapsed: time.Since(start)}
}

// steady sends rate requests per second for d, each at its due time, and
// measures latency from that due time.
func (c *benchClient) steady(target string, rate int, d time.Duration) benchResult {
	total := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, total)
	ok := make([]bool, total)
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
			ok[i] = c.send(target)
			lat[i] = time.Since(due)
		}(i, due)
	}
	wg.Wait()
	r := benchResult{elapsed: time.Since(start)}
	for i := range lat {
		if ok[i] {
			r.lat = append(r.lat, lat[i])
		} else {
			r.errors++
		}
	}
	return r
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// benchTarget is one server under test.
type benchTarget struct{ name, url string }

// benchServers starts the three servers of one phase on fresh state: bare
// net/http; the Handler over the real store on a new database file; the
// Handler over an in-memory queue, which separates the transport's own
// cost from the store's. It returns the store for its counters.
func benchServers(t *testing.T) ([]benchTarget, *store.Store) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bench.db"), store.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	start := func(q bot.Queue, a bot.Auditor) string {
		h, err := NewHandler(HandlerOptions{
			Router:        bot.NewRouter(bot.RouterOptions{Queue: q, Audit: a, Logger: logger}),
			SigningSecret: testSecret, Logger: logger, Metrics: bot.NewMetrics(prometheus.NewRegistry()),
		})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		h.Mount(mux)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	bare := httptest.NewServer(http.HandlerFunc(slackfake.BareCommand))
	t.Cleanup(bare.Close)
	mq := newMemQueue()
	return []benchTarget{
		{"bare net/http", bare.URL + PathCommands},
		{"platbot Handler", start(st, st) + PathCommands},
		{"  (memory queue)", start(mq, mq) + PathCommands},
	}, st
}

func TestAckBenchmark(t *testing.T) {
	if os.Getenv("PLATBOT_BENCH") == "" {
		t.Skip("set PLATBOT_BENCH=1 to run the ack-path benchmark (about a minute)")
	}
	satFor := benchSeconds(t, "PLATBOT_BENCH_SECONDS", 5*time.Second)
	steadyFor := benchSeconds(t, "PLATBOT_BENCH_STEADY_SECONDS", 10*time.Second)
	c := newBenchClient()

	// Saturation. Warm up connections, statements and the page cache first.
	targets, st := benchServers(t)
	for _, tg := range targets {
		c.saturate(tg.url, benchConcurrency, time.Second)
	}
	// Servers take turns in rounds, so a change in background load hits
	// them all alike.
	before := st.Stats()
	sat := make([]benchResult, len(targets))
	for round := 0; round < benchRounds; round++ {
		for i, tg := range targets {
			runtime.GC()
			sat[i].add(c.saturate(tg.url, benchConcurrency, satFor/benchRounds))
		}
	}
	after := st.Stats()

	// Steady load, on fresh servers: the saturation phase leaves tens of
	// thousands of queued jobs behind, which a running worker would not.
	c.http.CloseIdleConnections()
	targets, _ = benchServers(t)
	stdy := make([]benchResult, len(targets))
	for i, tg := range targets {
		for j := 0; j < 200; j++ {
			c.send(tg.url)
		}
		runtime.GC()
		stdy[i] = c.steady(tg.url, benchRate, steadyFor)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\nack path, loopback, GOMAXPROCS=%d, %s/%s\n", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "saturation: %d in flight, closed loop, %s per server (%d interleaved rounds)\n", benchConcurrency, satFor, benchRounds)
	fmt.Fprintf(&b, "  %-16s %10s %10s %10s %8s\n", "server", "req/s", "p50", "p99", "errors")
	for i, tg := range targets {
		r := sat[i]
		p50, p99 := r.percentiles()
		fmt.Fprintf(&b, "  %-16s %10.0f %10s %10s %8d\n", tg.name, r.rps(), ms(p50), ms(p99), r.errors)
	}
	ratio := sat[1].rps() / sat[0].rps()
	if batches := after.Batches - before.Batches; batches > 0 {
		fmt.Fprintf(&b, "  store: %d writes in %d transactions (%.1f per group commit)\n",
			after.Writes-before.Writes, batches, float64(after.Writes-before.Writes)/float64(batches))
	}
	fmt.Fprintf(&b, "steady: open loop, %d req/s for %s, latency from due time\n", benchRate, steadyFor)
	fmt.Fprintf(&b, "  %-16s %10s %10s %10s %8s\n", "server", "sent", "p50", "p99", "errors")
	for i, tg := range targets {
		r := stdy[i]
		p50, p99 := r.percentiles()
		fmt.Fprintf(&b, "  %-16s %10d %10s %10s %8d\n", tg.name, len(r.lat), ms(p50), ms(p99), r.errors)
	}
	_, bareP99 := stdy[0].percentiles()
	_, oursP99 := stdy[1].percentiles()
	p99x := float64(oursP99) / float64(bareP99)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(&b, "goals: saturation throughput %.0f%% of bare (goal >= 40%%): %s; steady p99 %.1fx bare (goal <= 3x): %s\n",
		100*ratio, verdict(ratio >= 0.4), p99x, verdict(p99x <= 3))
	fmt.Print(b.String())
	for _, r := range append(sat, stdy...) {
		if r.errors > 0 {
			t.Errorf("%d requests failed", r.errors)
		}
	}
}

// BenchmarkCommandAck measures one slash command's ack in process (no
// network): verify, parse, and Router.Accept into the real store, with
// b.RunParallel so concurrent requests share group commits.
//
//	go test -run '^$' -bench CommandAck -benchmem ./bot/slack/
func BenchmarkCommandAck(b *testing.B) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.WithLogger(logger))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	router := bot.NewRouter(bot.RouterOptions{Queue: st, Audit: st, Logger: logger})
	h, err := NewHandler(HandlerOptions{Router: router, SigningSecret: testSecret, Logger: logger, Metrics: bot.NewMetrics(prometheus.NewRegistry())})
	if err != nil {
		b.Fatal(err)
	}
	c := newBenchClient()
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := c.seq.Add(1)
			body := []byte(c.base + "&trigger_id=bench." + strconv.FormatInt(n, 10))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, slackfake.SignedRequest(testSecret, PathCommands, body, time.Now()))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}
