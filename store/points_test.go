package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestPoints(t *testing.T) { forEachEngine(t, testPoints) }

func testPoints(t *testing.T, e engine) {
	ctx := context.Background()
	s, c, _ := e.open(t)
	t0 := c.Now()
	add := func(key string, at time.Time, v string) {
		t.Helper()
		if err := s.AppendPoint(ctx, Point{Series: "scorecard.grade", Key: key, At: at, Value: json.RawMessage(v)}); err != nil {
			t.Fatal(err)
		}
	}
	week := 7 * 24 * time.Hour
	add("svc-a", t0.Add(-2*week), `"C"`)
	add("svc-a", t0.Add(-week), `"B"`)
	add("svc-a", t0, `"A"`)
	add("svc-b", t0.Add(-week-time.Hour), `"D"`)
	add("svc-c", t0, `"B"`)
	add("svc-c", t0, `"A"`) // same instant: replaces
	if err := s.AppendPoint(ctx, Point{Series: "cost.daily", Key: "svc-a", Value: json.RawMessage(`12.5`)}); err != nil {
		t.Fatal(err)
	}

	pts, err := s.Points(ctx, "scorecard.grade", "svc-a", t0.Add(-week))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || string(pts[0].Value) != `"B"` || string(pts[1].Value) != `"A"` || !pts[1].At.Equal(t0) {
		t.Errorf("Points = %+v", pts)
	}
	if all, _ := s.Points(ctx, "scorecard.grade", "svc-a", time.Time{}); len(all) != 3 {
		t.Errorf("all points = %d, want 3", len(all))
	}

	summary := func(pts []Point) map[string]string {
		m := map[string]string{}
		for _, p := range pts {
			m[p.Key] = string(p.Value)
		}
		return m
	}
	now, err := s.LatestPoints(ctx, "scorecard.grade", t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(now); len(got) != 3 || got["svc-a"] != `"A"` || got["svc-b"] != `"D"` || got["svc-c"] != `"A"` {
		t.Errorf("latest now = %v", got)
	}
	lastWeek, err := s.LatestPoints(ctx, "scorecard.grade", t0.Add(-week))
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(lastWeek); len(got) != 2 || got["svc-a"] != `"B"` || got["svc-b"] != `"D"` {
		t.Errorf("latest a week ago = %v", got)
	}
	if unbounded, _ := s.LatestPoints(ctx, "scorecard.grade", time.Time{}); len(unbounded) != 3 {
		t.Errorf("unbounded latest = %d points", len(unbounded))
	}
	cost, _ := s.Points(ctx, "cost.daily", "svc-a", time.Time{})
	if len(cost) != 1 || !cost[0].At.Equal(t0) {
		t.Errorf("defaulted At: %+v", cost)
	}
}
