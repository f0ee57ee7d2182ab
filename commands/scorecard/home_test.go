package scorecard

import (
	"context"
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
