package facts

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/scorecard/grade"
)

// TestFactCachePruned: expired facts are dropped when new ones are cached,
// and the cache never grows past its cap.
func TestFactCachePruned(t *testing.T) {
	testNow := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	now := testNow
	g := NewGatherer(Providers{}, time.Second, 10*time.Minute, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	fetch := func(context.Context) (any, error) { return 1, nil }
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		if _, err := g.cached(ctx, grade.SourceGitHub, fmt.Sprintf("component:default/old-%d", i), fetch); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(g.cache); n != 100 {
		t.Fatalf("cache = %d entries, want 100", n)
	}
	// Past the TTL, caching one new fact sweeps the expired ones.
	now = testNow.Add(11 * time.Minute)
	if _, err := g.cached(ctx, grade.SourceGitHub, "component:default/new", fetch); err != nil {
		t.Fatal(err)
	}
	if n := len(g.cache); n != 1 {
		t.Fatalf("after the TTL the cache holds %d entries, want 1", n)
	}

	// Live entries beyond the cap make room for new ones.
	g.maxEntries = 20
	for i := 0; i < 50; i++ {
		now = testNow.Add(11*time.Minute + time.Duration(i)*time.Millisecond)
		if _, err := g.cached(ctx, grade.SourceGitHub, fmt.Sprintf("component:default/live-%d", i), fetch); err != nil {
			t.Fatal(err)
		}
		if n := len(g.cache); n > 20 {
			t.Fatalf("cache grew to %d entries past its cap of 20", n)
		}
	}
	if _, ok := g.cache[string(grade.SourceGitHub)+"|component:default/live-49"]; !ok {
		t.Error("the newest entry was not cached")
	}
}
