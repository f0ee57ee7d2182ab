package scorecard

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// TestServiceFactIsTheGrade: a service's summary fact is the grade
// `/plat scorecard <service>` gives; an entity that is no Component has
// none.
func TestServiceFactIsTheGrade(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	for _, e := range f.cat.List("Component") {
		r, err := f.s.Score(ctx, e.Ref())
		if err != nil {
			t.Fatal(err)
		}
		p, ok := f.s.ServiceFact(ctx, e)
		if want := "*" + r.Grade.Label(r.Incomplete) + "*"; !ok || p.Label != "Grade" || p.Value != want {
			t.Errorf("%s: fact %+v, %v; want %s", e.Ref(), p, ok, want)
		}
	}
	for _, e := range f.cat.List("Group") {
		if p, ok := f.s.ServiceFact(ctx, e); ok {
			t.Errorf("%s has a grade fact: %+v", e.Ref(), p)
		}
	}
	if len(f.cat.List("Component")) == 0 || len(f.cat.List("Group")) == 0 {
		t.Fatal("the fixture has no components or groups: nothing was checked")
	}
}

// TestRefreshTellsTheTeamsWhoseGradesChanged: the refresh job names, for
// their Homes, the teams owning a service whose grade differs from the one
// recorded before (or had none); a refresh that changes no grade names
// nobody.
func TestRefreshTellsTheTeamsWhoseGradesChanged(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	var mu sync.Mutex
	var told [][]string
	f.r.OnHomeTeamsChanged(func(_ context.Context, teams []string) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, slices.Sorted(slices.Values(teams)))
	})
	if err := f.s.refreshJob(ctx, []byte(`{"at":"2026-11-30T05:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	var owners []string
	for _, e := range f.s.scored() {
		if !slices.Contains(owners, e.Owner()) {
			owners = append(owners, e.Owner())
		}
	}
	slices.Sort(owners)
	if len(told) != 1 || !slices.Equal(told[0], owners) || len(owners) == 0 {
		t.Fatalf("first refresh told %v, want the owners %v", told, owners)
	}
	if err := f.s.refreshJob(ctx, []byte(`{"at":"2026-11-30T06:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 {
		t.Fatalf("a refresh that changed no grade told %v", told[1:])
	}
}
