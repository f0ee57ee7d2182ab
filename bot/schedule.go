package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduler turns cron entries into durable jobs. A cron entry only
// enqueues: the job itself runs on the worker, so a restart loses nothing,
// and the de-duplication key (kind + scheduled minute) makes two replicas or
// a restart inside the same minute enqueue it once. With several replicas
// only the leader runs the scheduler (Leadership); a new leader first
// enqueues the ticks it may have missed (CatchUp), which the same keys make
// a no-op for ticks its predecessor had enqueued.
type Scheduler struct {
	mu      sync.Mutex
	c       *cron.Cron
	entries []schedEntry
	w       *Worker
	log     *slog.Logger
	now     func() time.Time
}

// schedEntry is one cron entry: its schedule and what it enqueues.
type schedEntry struct {
	sched   cron.Schedule
	loc     *time.Location
	kind    string
	payload func(at time.Time) any
}

// NewScheduler returns a scheduler feeding the worker.
func NewScheduler(w *Worker, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	return &Scheduler{c: cron.New(), w: w, log: log, now: time.Now}
}

// Every schedules a job kind on a standard five-field cron spec (or a
// descriptor such as "@every 10m", "@weekly") in the time zone loc (UTC when
// nil). payload builds the job input for the scheduled time.
func (s *Scheduler) Every(spec string, loc *time.Location, kind string, payload func(at time.Time) any) error {
	if loc == nil {
		loc = time.UTC
	}
	full := spec
	if len(spec) > 0 && spec[0] != '@' {
		full = "CRON_TZ=" + loc.String() + " " + spec
	}
	sched, err := cron.ParseStandard(full)
	if err != nil {
		return fmt.Errorf("schedule %s: bad cron spec %q: %w", kind, spec, err)
	}
	s.mu.Lock()
	s.entries = append(s.entries, schedEntry{sched: sched, loc: loc, kind: kind, payload: payload})
	s.mu.Unlock()
	s.c.Schedule(sched, cron.FuncJob(func() { s.fire(s.now(), loc, kind, payload) }))
	return nil
}

// fireTimeout bounds how long a cron entry may take to enqueue its job.
const fireTimeout = 30 * time.Second

// fire enqueues one run of a cron entry for the minute of now.
func (s *Scheduler) fire(now time.Time, loc *time.Location, kind string, payload func(at time.Time) any) {
	at := now.In(loc).Truncate(time.Minute)
	var p any
	if payload != nil {
		p = payload(at)
	}
	// Bounded: stopping the scheduler waits for a firing entry, and a
	// leader that stops must not hang on a database that does not answer.
	ctx, cancel := context.WithTimeout(context.Background(), fireTimeout)
	defer cancel()
	_, err := s.w.Enqueue(ctx, JobSpec{
		Kind: kind, Payload: p, DedupeKey: fmt.Sprintf("cron:%s:%s", kind, at.UTC().Format(time.RFC3339)),
	})
	if err != nil {
		s.log.Error("scheduled job not enqueued", "kind", kind, "err", err)
	}
}

// CatchUp enqueues, for every calendar entry, its latest tick after since and not
// after now, and returns how many entries had one. A new leader calls it
// with the time its predecessor was last seen leading: a tick the
// predecessor died before enqueueing runs now, and one it had enqueued is
// not repeated (the tick's de-duplication key is taken).
func (s *Scheduler) CatchUp(since, now time.Time) int {
	s.mu.Lock()
	entries := append([]schedEntry(nil), s.entries...)
	s.mu.Unlock()
	n := 0
	for _, e := range entries {
		if _, every := e.sched.(cron.ConstantDelaySchedule); every {
			// "@every 10m" is periodic upkeep relative to when the
			// scheduler started, not a calendar tick: the new leader's
			// own scheduler runs it within one period.
			continue
		}
		var last time.Time
		for t := e.sched.Next(since); !t.IsZero() && !t.After(now); t = e.sched.Next(t) {
			last = t
		}
		if last.IsZero() {
			continue
		}
		s.log.Info("enqueueing a scheduled run that may have been missed", "kind", e.kind, "at", last.UTC().Format(time.RFC3339))
		s.fire(last, e.loc, e.kind, e.payload)
		n++
	}
	return n
}

// Start runs the scheduler until ctx ends.
func (s *Scheduler) Start(ctx context.Context) {
	go s.Run(ctx)
}

// Run runs the scheduler until ctx ends and returns once it has stopped:
// no entry fires after Run returns. It may be called again later (a
// replica that leads again).
func (s *Scheduler) Run(ctx context.Context) {
	s.c.Start()
	<-ctx.Done()
	<-s.c.Stop().Done()
}

// TeamSchedule is one team's own cron entry of a PerTeam job. An empty Spec
// or a nil Location takes the PerTeam default.
type TeamSchedule struct {
	Team     string
	Spec     string
	Location *time.Location
}

// TeamRun is the payload of a PerTeam job: the scheduled time and whom it
// is for. A team's own entry names the Team; the default entry has no Team
// and Excludes the teams that have entries of their own.
type TeamRun struct {
	At      time.Time `json:"at"`
	Team    string    `json:"team,omitempty"`
	Exclude []string  `json:"exclude,omitempty"`
}

// PerTeam is a job that runs per team on cron: one default entry covers
// every team without a schedule of its own, and each team in Teams gets an
// entry of its own (another time, or the same time in its own zone). Each
// team entry has a job kind of its own, so the scheduler's per-minute
// de-duplication cannot merge teams whose entries fire in the same minute.
type PerTeam struct {
	// Kind is the job kind of the default entry.
	Kind string
	// Spec and Location are the default cron spec and zone (UTC when nil).
	Spec     string
	Location *time.Location
	// Teams are the teams with an entry of their own.
	Teams []TeamSchedule
	// TeamKind names a team entry's job kind; Kind + "@" + team when nil.
	TeamKind func(team string) string
	// Run does the work of one entry.
	Run func(ctx context.Context, run TeamRun) error
}

// KindOf is the job kind of team's own entry ("" is the default entry's).
func (p PerTeam) KindOf(team string) string {
	switch {
	case team == "":
		return p.Kind
	case p.TeamKind != nil:
		return p.TeamKind(team)
	}
	return p.Kind + "@" + team
}

// Handle is the job handler of the default entry: it decodes the TeamRun
// and calls Run. An undecodable payload fails the job permanently.
func (p PerTeam) Handle(ctx context.Context, payload json.RawMessage) error {
	return p.handle(ctx, payload, "")
}

// handleTeam returns the job handler of team's own entry: Handle, with the
// run's Team set to team when the payload names none. A job of a team's
// kind is that team's even when queued with a bare {"at": ...} payload, as
// scorecard's team digests were before they were a PerTeam job.
func (p PerTeam) handleTeam(team string) func(ctx context.Context, payload json.RawMessage) error {
	return func(ctx context.Context, payload json.RawMessage) error { return p.handle(ctx, payload, team) }
}

func (p PerTeam) handle(ctx context.Context, payload json.RawMessage, team string) error {
	var run TeamRun
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &run); err != nil {
			return Permanent(fmt.Errorf("decode %s payload: %w", p.KindOf(team), err))
		}
	}
	if run.Team == "" {
		run.Team = team
	}
	return p.Run(ctx, run)
}

// Register adds the job handlers (the default kind and each team's) to r
// and, when s is not nil, the cron entries to s.
func (p PerTeam) Register(r *Router, s *Scheduler) error {
	if p.Kind == "" || p.Run == nil {
		return errors.New("per-team job: need a kind and a run function")
	}
	seen := map[string]bool{}
	own := make([]string, 0, len(p.Teams))
	for _, t := range p.Teams {
		if t.Team == "" || seen[t.Team] {
			return fmt.Errorf("per-team job %s: team %q is empty or listed twice", p.Kind, t.Team)
		}
		seen[t.Team] = true
		own = append(own, t.Team)
	}
	r.HandleJob(p.Kind, p.Handle)
	for _, t := range p.Teams {
		r.HandleJob(p.KindOf(t.Team), p.handleTeam(t.Team))
	}
	if s == nil {
		return nil
	}
	for _, t := range p.Teams {
		spec, loc := t.Spec, t.Location
		if spec == "" {
			spec = p.Spec
		}
		if loc == nil {
			loc = p.Location
		}
		team := t.Team
		if err := s.Every(spec, loc, p.KindOf(team), func(at time.Time) any { return TeamRun{At: at, Team: team} }); err != nil {
			return fmt.Errorf("team %s: %w", team, err)
		}
	}
	return s.Every(p.Spec, p.Location, p.Kind, func(at time.Time) any { return TeamRun{At: at, Exclude: own} })
}
