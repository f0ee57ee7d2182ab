package scorecard

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// scored returns the entities scorecards grade: catalog Components, sorted by ref.
func (s *Scorecards) scored() []*catalog.Entity {
	list := s.cat.List(catalog.KindComponent)
	out := make([]*catalog.Entity, 0, len(list))
	for _, e := range list {
		if e != nil && !e.Orphan {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *catalog.Entity) int { return strings.Compare(a.Ref(), b.Ref()) })
	return out
}

// findService resolves a service argument: a ref, or a component name.
func (s *Scorecards) findService(arg string) (*catalog.Entity, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return nil, bot.Errorf("Which service? Usage: `/plat scorecard <service>`.")
	}
	if e, ok := s.cat.Get(catalog.NormalizeRef(arg, catalog.KindComponent, catalog.DefaultNamespace)); ok && e != nil {
		return e, nil
	}
	var names []string
	for _, e := range s.scored() {
		if strings.EqualFold(e.Metadata.Name, arg) || strings.EqualFold(e.Ref(), arg) {
			return e, nil
		}
		names = append(names, e.Metadata.Name)
	}
	msg := fmt.Sprintf("I can't find a component called `%s` in the catalog.", bot.UserText(arg))
	if close := bot.Closest(arg, names); close != "" {
		msg += fmt.Sprintf(" Did you mean `%s`?", close)
	}
	return nil, bot.Errorf("%s", msg)
}

// owner returns the owning Group or User entity of e: nil when the catalog
// has none, only an orphan (its file no longer defines it), or an entity
// of another kind, as catalog hygiene judges owners.
func (s *Scorecards) owner(e *catalog.Entity) *catalog.Entity {
	ref := e.Owner()
	if ref == "" {
		return nil
	}
	g, ok := s.cat.Get(ref)
	if !ok || g == nil || g.Orphan || (g.Kind != catalog.KindGroup && g.Kind != catalog.KindUser) {
		return nil
	}
	return g
}

// scoreEntities gathers facts for entities (concurrently, bounded) and
// grades them at now.
func (s *Scorecards) scoreEntities(ctx context.Context, entities []*catalog.Entity, now time.Time) ([]*grade.Result, error) {
	waivers, err := s.loadWaivers(ctx)
	if err != nil {
		return nil, err
	}
	gathered := make([]*grade.Facts, len(entities))
	sem := make(chan struct{}, s.cfg.Facts.Concurrency)
	var wg sync.WaitGroup
	for i, e := range entities {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			gathered[i] = s.g.Gather(ctx, facts.Subject{Entity: e, Owner: s.owner(e)})
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("score services: %w", err)
	}
	results := make([]grade.Result, len(gathered))
	s.checks.EvaluateAll(now, waivers, gathered, results, gradeWorkers(len(gathered)))
	out := make([]*grade.Result, len(results))
	for i := range results {
		out[i] = &results[i]
	}
	return out, nil
}

// gradeWorkers is how many goroutines grade n services: every core for a
// large batch (a digest, the history refresh), one for a few.
func gradeWorkers(n int) int {
	if n < 512 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// Score grades one service now.
func (s *Scorecards) Score(ctx context.Context, service string) (*grade.Result, error) {
	e, err := s.findService(service)
	if err != nil {
		return nil, err
	}
	rs, err := s.scoreEntities(ctx, []*catalog.Entity{e}, s.now())
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// ScoreAll grades every service at now.
func (s *Scorecards) ScoreAll(ctx context.Context, now time.Time) ([]*grade.Result, error) {
	return s.scoreEntities(ctx, s.scored(), now)
}

// historyValue is what a grade point stores. Points recorded before
// incomplete grades were tracked read as complete.
type historyValue struct {
	Grade         grade.Grade `json:"grade"`
	Demerits      int         `json:"demerits"`
	Incomplete    bool        `json:"incomplete,omitempty"`
	RequiredGrade grade.Grade `json:"required_grade"`
	Owner         string      `json:"owner,omitempty"`
	Lifecycle     string      `json:"lifecycle,omitempty"`
	System        string      `json:"system,omitempty"`
	Gaps          []string    `json:"gaps,omitempty"`
}

// label is the recorded grade as shown ("B (incomplete)", "?").
func (v historyValue) label() string { return v.Grade.Label(v.Incomplete) }

// recordHistory stores each result as a point of SeriesGrade, one per
// service per day (a re-run the same day replaces it).
func (s *Scorecards) recordHistory(ctx context.Context, results []*grade.Result, now time.Time) error {
	day := now.UTC().Truncate(24 * time.Hour)
	for _, r := range results {
		v := historyValue{Grade: r.Grade, Demerits: r.Demerits, Incomplete: r.Incomplete, RequiredGrade: r.RequiredGrade,
			Owner: r.Owner, Lifecycle: r.Lifecycle, System: r.System}
		for _, g := range r.Gaps() {
			v.Gaps = append(v.Gaps, g.ID)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("record history of %s: %w", r.Ref, err)
		}
		if err := s.st.AppendPoint(ctx, store.Point{Series: SeriesGrade, Key: r.Ref, At: day, Value: b}); err != nil {
			return fmt.Errorf("record history of %s: %w", r.Ref, err)
		}
	}
	return nil
}

// gradesAt returns each service's latest recorded grade at or before t.
func (s *Scorecards) gradesAt(ctx context.Context, t time.Time) (map[string]historyValue, error) {
	pts, err := s.st.LatestPoints(ctx, SeriesGrade, t)
	if err != nil {
		return nil, fmt.Errorf("grade history: %w", err)
	}
	out := make(map[string]historyValue, len(pts))
	for _, p := range pts {
		var v historyValue
		if err := json.Unmarshal(p.Value, &v); err != nil {
			s.log.Warn("skipping unreadable grade point", "key", p.Key, "err", err)
			continue
		}
		out[p.Key] = v
	}
	return out, nil
}

// lastWeek returns the grades as they stood six days ago or earlier (the
// previous weekly run), for movers.
func (s *Scorecards) lastWeek(ctx context.Context, now time.Time) (map[string]historyValue, error) {
	return s.gradesAt(ctx, now.Add(-6*24*time.Hour))
}
