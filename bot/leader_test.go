package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/bot"
)

// handElector is an elector the test hands leadership to and takes it
// from: each term is a win followed by a loss.
type handElector struct {
	win, lose chan struct{}
	terms     chan struct{} // a term ended (lead returned)
}

func newHandElector() *handElector {
	return &handElector{win: make(chan struct{}), lose: make(chan struct{}), terms: make(chan struct{}, 4)}
}

func (e *handElector) Describe() string { return "by hand" }

func (e *handElector) Campaign(ctx context.Context, lead func(context.Context), report func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.win:
		}
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { lead(lctx); close(done) }()
		select {
		case <-ctx.Done():
		case <-e.lose:
		}
		cancel()
		<-done
		e.terms <- struct{}{}
	}
}

// TestLeadershipTerms: the work registered with OnLead runs only while the
// replica leads and stops (returns) when leadership is lost; the gauge and
// the leader record follow; the next term sees the previous record.
func TestLeadershipTerms(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	reg := prometheus.NewRegistry()
	el := newHandElector()
	l := bot.NewLeadership(bot.LeadershipOptions{Elector: el, Identity: "replica-a", Records: st, Registerer: reg, Renew: 20 * time.Millisecond})

	type term struct {
		prev *bot.LeaderInfo
		ctx  context.Context
	}
	started := make(chan term, 4)
	stopped := make(chan struct{}, 4)
	l.OnLead(func(ctx context.Context, prev *bot.LeaderInfo) {
		started <- term{prev, ctx}
		<-ctx.Done()
		stopped <- struct{}{}
	})
	gauge := func() float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "platbot_leader" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no platbot_leader metric")
		return -1
	}

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { l.Run(ctx); close(ran) }()

	if l.Leading() || gauge() != 0 {
		t.Fatal("leads before winning")
	}
	el.win <- struct{}{}
	first := <-started
	if first.prev != nil {
		t.Errorf("first term saw a previous leader %+v", first.prev)
	}
	if !l.Leading() || gauge() != 1 {
		t.Errorf("leading=%v gauge=%v after winning", l.Leading(), gauge())
	}
	info, err := l.Leader(ctx)
	if err != nil || info == nil || info.Identity != "replica-a" || info.Mechanism != "by hand" {
		t.Fatalf("leader record %+v, %v", info, err)
	}
	since := info.Since
	waitFor(t, "the leader renews its record", func() bool {
		info, _ := l.Leader(ctx)
		return info != nil && info.Renewed.After(since)
	})

	el.lose <- struct{}{}
	<-stopped
	<-el.terms
	if l.Leading() || gauge() != 0 {
		t.Errorf("leading=%v gauge=%v after losing", l.Leading(), gauge())
	}
	if first.ctx.Err() == nil {
		t.Error("the work's context is still live after leadership was lost")
	}

	el.win <- struct{}{}
	second := <-started
	if second.prev == nil || second.prev.Identity != "replica-a" || !second.prev.Since.Equal(since) {
		t.Errorf("second term's previous leader = %+v, want the first term's record", second.prev)
	}
	cancel()
	<-ran
	<-stopped
	if l.Leading() || gauge() != 0 {
		t.Errorf("leading=%v gauge=%v after Run returned", l.Leading(), gauge())
	}
}

// TestLeadershipReportsElectionErrors: the election's error is kept for
// status and cleared when the election works again.
func TestLeadershipReportsElectionErrors(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	el := &reportingElector{errs: []error{errors.New(`leases.coordination.k8s.io "platbot-leader" is forbidden`), nil}}
	l := bot.NewLeadership(bot.LeadershipOptions{Elector: el, Identity: "replica-b", Records: st})
	el.after = l.Err
	l.Run(context.Background())
	if len(el.got) != 2 || !strings.Contains(el.got[0], "forbidden") || el.got[1] != "" {
		t.Errorf("Err() after each report = %q, want the error, then empty", el.got)
	}
	if l.Leading() {
		t.Error("leads without having won")
	}
}

// reportingElector reports its errors in order, never winning, and
// records Err() after each.
type reportingElector struct {
	errs  []error
	after func() string
	got   []string
}

func (e *reportingElector) Describe() string { return "reporting" }

func (e *reportingElector) Campaign(_ context.Context, _ func(context.Context), report func(error)) {
	for _, err := range e.errs {
		report(err)
		e.got = append(e.got, e.after())
	}
}

// TestSchedulerCatchUp: a new leader enqueues each calendar entry's latest
// tick after the previous leader was last seen, once (a tick already
// enqueued keeps its de-duplication key), and skips "@every" upkeep.
func TestSchedulerCatchUp(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, _ := newRouter(t, st, bot.AllowAll{})
	s := bot.NewScheduler(r.Worker(), nil)
	for _, e := range []struct{ spec, kind string }{
		{"0 9 * * MON", "test.weekly"},
		{"*/15 * * * *", "test.quarter"},
		{"@every 10m", "test.upkeep"},
		{"0 3 * * *", "test.nightly"},
	} {
		if err := s.Every(e.spec, time.UTC, e.kind, func(at time.Time) any { return map[string]string{"at": at.Format(time.RFC3339)} }); err != nil {
			t.Fatal(err)
		}
	}
	// The leader died on Monday 09:00:30, after the weekly tick's minute
	// had come; it was last seen at 08:59:58.
	since := time.Date(2026, 12, 7, 8, 59, 58, 0, time.UTC)
	now := time.Date(2026, 12, 7, 9, 20, 0, 0, time.UTC)
	if n := s.CatchUp(since, now); n != 2 {
		t.Errorf("CatchUp = %d entries, want 2 (the weekly tick and the latest quarter)", n)
	}
	if n := s.CatchUp(since, now); n != 2 {
		t.Errorf("second CatchUp = %d entries, want 2 again (it enqueues, the keys dedupe)", n)
	}
	jobs, err := st.Jobs(context.Background(), nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.Kind+" "+j.DedupeKey)
	}
	sort.Strings(got)
	want := []string{
		"test.quarter cron:test.quarter:2026-12-07T09:15:00Z",
		"test.weekly cron:test.weekly:2026-12-07T09:00:00Z",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("jobs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSingleProcessLeads: on SQLite the one process leads, also before (or
// without) campaigning, as the shell runs.
func TestSingleProcessLeads(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	l := bot.NewLeadership(bot.LeadershipOptions{Identity: "shell", Records: st})
	if !l.Leading() || l.Mechanism() != "single process (SQLite)" {
		t.Fatalf("a single process: leading=%v mechanism=%q", l.Leading(), l.Mechanism())
	}
}
