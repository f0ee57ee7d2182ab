package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
)

// testFeature is a feature made of functions, recording its calls.
type testFeature struct {
	name     string
	register func(reg *bot.Registry) error
	resume   func(ctx context.Context) error
	calls    *[]string
}

func (f *testFeature) Name() string { return f.name }

func (f *testFeature) Register(reg *bot.Registry) error {
	*f.calls = append(*f.calls, "register "+f.name)
	return f.register(reg)
}

func (f *testFeature) Resume(ctx context.Context) error {
	*f.calls = append(*f.calls, "resume "+f.name)
	if f.resume == nil {
		return nil
	}
	return f.resume(ctx)
}

// TestRegistryWiresFeatures: a feature's command, button, job and schedule
// registered through the registry are what the router and scheduler run;
// features resume in order once installed.
func TestRegistryWiresFeatures(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, bot.AllowAll{})
	s := bot.NewScheduler(r.Worker(), nil)
	reg := bot.NewRegistry(r, s)
	var calls, jobs, clicks []string
	echo := &testFeature{name: "echo", calls: &calls, register: func(reg *bot.Registry) error {
		reg.Commands(&bot.Command{Name: "echo", Summary: "say it back", Handle: func(ctx context.Context, req *bot.Request) error {
			return req.Replyf(ctx, "echo: %s", strings.Join(req.Args, " "))
		}})
		reg.Action("echo", func(ctx context.Context, req *bot.Request, a bot.Action) error {
			clicks = append(clicks, a.ID+"="+a.Value)
			return nil
		})
		reg.Job("echo.tick", func(ctx context.Context, p json.RawMessage) error {
			jobs = append(jobs, string(p))
			return nil
		})
		return reg.Every("0 9 * * *", nil, "echo.tick", func(at time.Time) any { return at.UTC().Format("15:04") })
	}}
	quiet := &testFeature{name: "quiet", calls: &calls, register: func(reg *bot.Registry) error {
		if reg.Router() != r {
			t.Error("Router() is not the router the registry registers with")
		}
		return nil
	}}
	if err := reg.Install(echo, quiet); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Run(ctx, request(m, "echo hello there")); err != nil {
		t.Fatal(err)
	}
	if got := m.Last().Msg.Text; got != "echo: hello there" {
		t.Errorf("command reply = %q", got)
	}
	if err := r.Act(ctx, request(m, "click"), bot.Action{ID: "echo:again", Value: "1"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(clicks, []string{"echo:again=1"}) {
		t.Errorf("clicks = %v", clicks)
	}
	bot.FireEntries(s, time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC))
	if n, err := r.Worker().RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("RunDue = %d, %v; want the scheduled echo.tick", n, err)
	}
	if !slices.Equal(jobs, []string{`"09:00"`}) {
		t.Errorf("jobs = %v", jobs)
	}
	if got := reg.Schedules(); len(got) != 1 || got[0].Feature != "echo" || got[0].Kind != "echo.tick" || got[0].Spec != "0 9 * * *" || got[0].Loc != time.UTC {
		t.Errorf("Schedules = %+v", got)
	}
	if err := reg.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []string{"register echo", "register quiet", "resume echo", "resume quiet"}; !slices.Equal(calls, want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
	if fs := reg.Features(); len(fs) != 2 || fs[0] != echo || fs[1] != quiet {
		t.Errorf("Features = %v", fs)
	}
}

// TestRegistryRefusesConflicts: two features claiming one command (or
// alias), button prefix or job kind, and a schedule nobody handles, are
// all reported by Install, naming the features.
func TestRegistryRefusesConflicts(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, _ := newRouter(t, st, bot.AllowAll{})
	reg := bot.NewRegistry(r, nil)
	var calls []string
	noop := func(context.Context, json.RawMessage) error { return nil }
	a := &testFeature{name: "alpha", calls: &calls, register: func(reg *bot.Registry) error {
		reg.Commands(&bot.Command{Name: "deploy", Aliases: []string{"ship"}})
		reg.Action("shared", nil)
		reg.Job("shared.job", noop)
		reg.Job("alpha.own", noop)
		reg.Job("alpha.own", noop) // a feature may re-register its own name
		return nil
	}}
	b := &testFeature{name: "beta", calls: &calls, register: func(reg *bot.Registry) error {
		reg.Commands(&bot.Command{Name: "Ship"})
		reg.Action("shared", nil)
		reg.Job("shared.job", noop)
		return reg.Every("@every 1h", nil, "beta.orphan", nil)
	}}
	err := reg.Install(a, b)
	if err == nil {
		t.Fatal("conflicts accepted")
	}
	for _, want := range []string{
		`alpha and beta both register command "ship"`,
		`alpha and beta both register action "shared"`,
		`alpha and beta both register job "shared.job"`,
		`beta: schedules job "beta.orphan", which no feature handles`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "alpha.own") || strings.Contains(err.Error(), `"deploy"`) {
		t.Errorf("error names a name only one feature registered: %v", err)
	}
}

// TestRegistryStopsAtFailures: a bad cron spec fails that feature's
// Register, named, and later features are not registered; Resume stops at
// the first feature that fails, named.
func TestRegistryStopsAtFailures(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, _ := newRouter(t, st, bot.AllowAll{})
	var calls []string
	bad := &testFeature{name: "cost", calls: &calls, register: func(reg *bot.Registry) error {
		reg.Job("cost.alerts", func(context.Context, json.RawMessage) error { return nil })
		return reg.Every("every monday", nil, "cost.alerts", nil)
	}}
	later := &testFeature{name: "later", calls: &calls, register: func(*bot.Registry) error { return nil }}
	err := bot.NewRegistry(r, nil).Install(bad, later)
	if err == nil || !strings.HasPrefix(err.Error(), "cost: schedule cost.alerts: bad cron spec \"every monday\"") {
		t.Fatalf("Install = %v", err)
	}
	if !slices.Equal(calls, []string{"register cost"}) {
		t.Errorf("calls = %v: registration went on after a failure", calls)
	}

	calls = nil
	boom := errors.New("store unavailable")
	reg := bot.NewRegistry(r, nil)
	failing := &testFeature{name: "paths", calls: &calls, register: func(*bot.Registry) error { return nil }, resume: func(context.Context) error { return boom }}
	after := &testFeature{name: "secrets", calls: &calls, register: func(*bot.Registry) error { return nil }}
	if err := reg.Install(failing, after); err != nil {
		t.Fatal(err)
	}
	err = reg.Resume(context.Background())
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "paths: resume: ") {
		t.Fatalf("Resume = %v", err)
	}
	if !slices.Equal(calls, []string{"register paths", "register secrets", "resume paths"}) {
		t.Errorf("calls = %v", calls)
	}
}

// TestRegistryPerTeam: a per-team job's kinds and schedules are the
// registering feature's, and run as PerTeam runs them.
func TestRegistryPerTeam(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, _ := newRouter(t, st, bot.AllowAll{})
	reg := bot.NewRegistry(r, nil)
	var calls []string
	f := &testFeature{name: "digest", calls: &calls, register: func(reg *bot.Registry) error {
		return reg.PerTeam(bot.PerTeam{
			Kind: "digest.team", Spec: "0 9 * * 1",
			Teams: []bot.TeamSchedule{{Team: "group:default/shop", Spec: "30 8 * * 2"}},
			Run:   func(context.Context, bot.TeamRun) error { return nil },
		})
	}}
	if err := reg.Install(f); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range reg.Schedules() {
		got = append(got, s.Feature+" "+s.Kind+" "+s.Spec)
	}
	want := []string{"digest digest.team 0 9 * * 1", "digest digest.team@group:default/shop 30 8 * * 2"}
	if !slices.Equal(got, want) {
		t.Errorf("Schedules = %q, want %q", got, want)
	}
	other := &testFeature{name: "other", calls: &calls, register: func(reg *bot.Registry) error {
		reg.Job("digest.team@group:default/shop", func(context.Context, json.RawMessage) error { return nil })
		return nil
	}}
	if err := reg.Install(other); err == nil || !strings.Contains(err.Error(), `digest and other both register job "digest.team@group:default/shop"`) {
		t.Errorf("Install = %v", err)
	}
}
