package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Feature is one feature package as the bot wires it: built from its own
// typed configuration and the dependencies it declares, then registered
// and, once the transports are bound, resumed.
type Feature interface {
	// Name is the feature's name: its section of platbot.yaml and the
	// prefix of its errors ("cost", "access").
	Name() string
	// Register adds the feature's commands, buttons, jobs and schedules.
	// It is called once, before the transports start; a feature keeps
	// reg.Router() when it enqueues jobs, authorizes or posts later.
	Register(reg *Registry) error
	// Resume picks up work interrupted by a restart (runs, grants,
	// expiries). It is called once the messengers are bound, after every
	// feature registered — on the leader only when several replicas run
	// (Leadership), each time a replica becomes leader, so it must be safe
	// to call again.
	Resume(ctx context.Context) error
}

// Starter is a feature with work every replica does while it runs, leader
// or not: loading what it serves, watching, checking. Registry.Start calls
// Start on every replica once the messengers are bound, before Resume; the
// work stops with ctx.
type Starter interface {
	Start(ctx context.Context) error
}

// Schedule is a cron entry a feature registered: the job kind enqueued at
// Spec in Loc.
type Schedule struct {
	Feature string
	Spec    string
	Loc     *time.Location
	Kind    string
}

// Registry is what features register with: it forwards to the Router and
// the Scheduler and keeps, for every command, button prefix and job kind,
// the feature that registered it, so two features claiming one name is an
// error at start instead of one silently replacing the other.
type Registry struct {
	router    *Router
	sched     *Scheduler
	current   string
	owners    map[string]string // "command x", "action x", "job x" → feature
	problems  []error
	features  []Feature
	schedules []Schedule
}

// NewRegistry returns a registry over r and s. s may be nil (tests, and
// subcommands that run no cron): schedules are then checked and recorded
// (Schedules) but not started.
func NewRegistry(r *Router, s *Scheduler) *Registry {
	return &Registry{router: r, sched: s, owners: map[string]string{}}
}

// Install registers each feature in order. It stops at the first feature
// whose Register fails, and reports every name two features claimed and
// every schedule whose job kind no feature handles.
func (g *Registry) Install(features ...Feature) error {
	for _, f := range features {
		g.current = f.Name()
		err := f.Register(g)
		g.current = ""
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name(), err)
		}
		g.features = append(g.features, f)
	}
	for _, s := range g.schedules {
		if _, ok := g.owners["job "+s.Kind]; !ok {
			g.problems = append(g.problems, fmt.Errorf("%s: schedules job %q, which no feature handles", s.Feature, s.Kind))
		}
	}
	err := errors.Join(g.problems...)
	g.problems = nil
	return err
}

// Resume resumes the installed features in the order they were installed,
// stopping at the first that fails.
func (g *Registry) Resume(ctx context.Context) error {
	for _, f := range g.features {
		if err := f.Resume(ctx); err != nil {
			return fmt.Errorf("%s: resume: %w", f.Name(), err)
		}
	}
	return nil
}

// Start calls Start of every installed feature that is a Starter, in the
// order they were installed, stopping at the first that fails.
func (g *Registry) Start(ctx context.Context) error {
	for _, f := range g.features {
		if st, ok := f.(Starter); ok {
			if err := st.Start(ctx); err != nil {
				return fmt.Errorf("%s: start: %w", f.Name(), err)
			}
		}
	}
	return nil
}

// Features are the installed features, in order.
func (g *Registry) Features() []Feature { return append([]Feature(nil), g.features...) }

// Router is the router the features register with; features keep it to
// enqueue jobs, authorize, audit and reach the messengers later.
func (g *Registry) Router() *Router { return g.router }

// claim records that the current feature registers name, noting a conflict
// when another feature did.
func (g *Registry) claim(what, name string) {
	key := what + " " + name
	owner := g.current
	if owner == "" {
		owner = "(not a feature)"
	}
	if prev, ok := g.owners[key]; ok && prev != owner {
		g.problems = append(g.problems, fmt.Errorf("%s and %s both register %s %q", prev, owner, what, name))
		return
	}
	g.owners[key] = owner
}

// Commands registers chat commands (Router.Register).
func (g *Registry) Commands(cmds ...*Command) {
	for _, c := range cmds {
		g.claim("command", strings.ToLower(c.Name))
		for _, a := range c.Aliases {
			g.claim("command", strings.ToLower(a))
		}
	}
	g.router.Register(cmds...)
}

// CommandSource registers commands that change at run time
// (Router.AddSource).
func (g *Registry) CommandSource(src func() []*Command) { g.router.AddSource(src) }

// Action registers the handler of buttons whose ActionID is prefix or
// starts with prefix + ":" (Router.HandleAction).
func (g *Registry) Action(prefix string, h ActionHandler) {
	g.claim("action", prefix)
	g.router.HandleAction(prefix, h)
}

// Job registers the handler of a durable job kind (Router.HandleJob).
func (g *Registry) Job(kind string, h JobHandler) {
	g.claim("job", kind)
	g.router.HandleJob(kind, h)
}

// Every enqueues a job of kind on a five-field cron spec, or a descriptor
// such as "@every 10m", in loc (UTC when nil), as Scheduler.Every does;
// payload builds the job's input for the scheduled time. A bad spec is an
// error naming the job kind, also without a scheduler.
func (g *Registry) Every(spec string, loc *time.Location, kind string, payload func(at time.Time) any) error {
	if loc == nil {
		loc = time.UTC
	}
	if g.sched != nil {
		if err := g.sched.Every(spec, loc, kind, payload); err != nil {
			return err
		}
	} else if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("schedule %s: bad cron spec %q: %w", kind, spec, err)
	}
	g.schedules = append(g.schedules, Schedule{Feature: g.current, Spec: spec, Loc: loc, Kind: kind})
	return nil
}

// PerTeam registers a per-team cron job (PerTeam.Register): its default
// kind and one kind per team with a schedule of its own.
func (g *Registry) PerTeam(p PerTeam) error {
	kinds := []string{p.Kind}
	for _, t := range p.Teams {
		kinds = append(kinds, p.KindOf(t.Team))
	}
	if err := p.Register(g.router, g.sched); err != nil {
		return err
	}
	for i, kind := range kinds {
		g.claim("job", kind)
		spec, loc := p.Spec, p.Location
		if i > 0 {
			t := p.Teams[i-1]
			if t.Spec != "" {
				spec = t.Spec
			}
			if t.Location != nil {
				loc = t.Location
			}
		}
		if loc == nil {
			loc = time.UTC
		}
		if g.sched == nil {
			if _, err := cron.ParseStandard(spec); err != nil {
				return fmt.Errorf("schedule %s: bad cron spec %q: %w", kind, spec, err)
			}
		}
		g.schedules = append(g.schedules, Schedule{Feature: g.current, Spec: spec, Loc: loc, Kind: kind})
	}
	return nil
}

// Schedules are the cron entries registered so far, ordered by job kind.
func (g *Registry) Schedules() []Schedule {
	out := append([]Schedule(nil), g.schedules...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}
