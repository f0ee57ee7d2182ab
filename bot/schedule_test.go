package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
)

// TestPerTeam: a per-team job gets a default entry for the teams without a
// schedule of their own (excluding those) and an entry per team, each of
// its own kind, in its own zone; the router runs each with its TeamRun.
func TestPerTeam(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, _ := newRouter(t, st, bot.AllowAll{})
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var runs []string
	p := bot.PerTeam{
		Kind: "test.alerts", Spec: "0 9 * * *", Location: time.UTC,
		Teams: []bot.TeamSchedule{
			{Team: "group:default/shop", Location: berlin},
			{Team: "group:default/money", Spec: "30 7 * * *"},
		},
		Run: func(_ context.Context, run bot.TeamRun) error {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, run.At.UTC().Format("15:04")+" team="+run.Team+" exclude="+strings.Join(run.Exclude, ","))
			return nil
		},
	}
	s := bot.NewScheduler(r.Worker(), nil)
	if err := p.Register(r, s); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 20, 6, 0, 0, 0, time.UTC)
	var next []string
	for _, n := range bot.FireEntries(s, now) {
		next = append(next, n.UTC().Format("15:04"))
	}
	slices.Sort(next)
	// Berlin's 09:00 is 07:00 UTC in May; money's own spec runs at 07:30
	// UTC; everyone else at 09:00 UTC.
	if want := []string{"07:00", "07:30", "09:00"}; !slices.Equal(next, want) {
		t.Fatalf("next runs = %v, want %v", next, want)
	}
	if n, err := r.Worker().RunDue(context.Background()); err != nil || n != 3 {
		t.Fatalf("RunDue = %d, %v; want 3 jobs (one per entry, each its own kind)", n, err)
	}
	slices.Sort(runs)
	want := []string{
		"06:00 team= exclude=group:default/shop,group:default/money",
		"06:00 team=group:default/money exclude=",
		"06:00 team=group:default/shop exclude=",
	}
	if !slices.Equal(runs, want) {
		t.Fatalf("runs = %q, want %q", runs, want)
	}
	// Jobs queued with a bare {"at": ...} payload (before the payload
	// named the team): a team's kind runs for that team, the default kind
	// for the default entry's teams.
	runs = nil
	for _, kind := range []string{p.KindOf("group:default/shop"), p.Kind} {
		if _, err := r.Enqueue(context.Background(), bot.JobSpec{Kind: kind, Payload: map[string]any{"at": now.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.Worker().RunDue(context.Background()); err != nil || n != 2 {
		t.Fatalf("RunDue = %d, %v; want the 2 old-shape jobs", n, err)
	}
	slices.Sort(runs)
	if want := []string{"07:00 team= exclude=", "07:00 team=group:default/shop exclude="}; !slices.Equal(runs, want) {
		t.Fatalf("old-shape runs = %q, want %q", runs, want)
	}
	if got := p.KindOf("group:default/shop"); got != "test.alerts@group:default/shop" {
		t.Fatalf("KindOf = %q", got)
	}
	p.TeamKind = func(team string) string { return "test.digest.team:" + team }
	if got := p.KindOf("group:default/shop"); got != "test.digest.team:group:default/shop" {
		t.Fatalf("KindOf with TeamKind = %q", got)
	}
}

// TestPerTeamRejects: a repeated team and a bad cron spec are errors.
func TestPerTeamRejects(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, _ := newRouter(t, st, bot.AllowAll{})
	run := func(context.Context, bot.TeamRun) error { return nil }
	twice := bot.PerTeam{Kind: "k", Spec: "@daily", Teams: []bot.TeamSchedule{{Team: "a"}, {Team: "a"}}, Run: run}
	if err := twice.Register(r, nil); err == nil || !strings.Contains(err.Error(), `team "a"`) {
		t.Fatalf("repeated team: %v", err)
	}
	bad := bot.PerTeam{Kind: "k", Spec: "0 9 * * *", Teams: []bot.TeamSchedule{{Team: "a", Spec: "every day"}}, Run: run}
	if err := bad.Register(r, bot.NewScheduler(r.Worker(), nil)); err == nil || !strings.Contains(err.Error(), "team a") {
		t.Fatalf("bad spec: %v", err)
	}
	if err := (bot.PerTeam{Spec: "@daily", Run: run}).Register(r, nil); err == nil {
		t.Fatal("no kind: no error")
	}
	var perm *bot.PermanentError
	if err := twice.Handle(context.Background(), []byte(`{`)); !errors.As(err, &perm) {
		t.Fatalf("undecodable payload: %v, want a permanent error", err)
	}
	if err := twice.Handle(context.Background(), []byte(`null`)); err != nil {
		t.Fatalf("null payload: %v", err)
	}
}
