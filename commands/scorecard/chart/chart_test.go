package chart

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/platbot/platbot/commands/scorecard/grade"
)

func TestWeekCounts(t *testing.T) {
	var w Week
	w.Add(grade.GradeA, false)
	w.Add(grade.GradeA, true)
	w.Add(grade.GradeF, false)
	w.Add(grade.GradeUnknown, true)
	if w.Counts[0] != 1 || w.Incomplete[0] != 1 || w.Counts[4] != 1 || w.Unknown != 1 || w.Total() != 4 {
		t.Fatalf("week = %+v, total %d", w, w.Total())
	}
}

func TestColor(t *testing.T) {
	a, fadedA, f, unknown := Color(grade.GradeA, false), Color(grade.GradeA, true), Color(grade.GradeF, false), Color(grade.GradeUnknown, false)
	if a == fadedA || a == f || a == unknown || f == unknown {
		t.Fatalf("colours are not distinct: A %v, A (incomplete) %v, F %v, ? %v", a, fadedA, f, unknown)
	}
	if fadedA.R < a.R || fadedA.G < a.G || fadedA.B < a.B {
		t.Errorf("incomplete A %v is not A %v faded toward white", fadedA, a)
	}
	if Color(grade.GradeUnknown, true) != unknown {
		t.Error(`"?" is grey whether or not it is incomplete`)
	}
}

// TestRender draws two weeks and finds the colours of the grades they hold
// in the PNG (bars and legend).
func TestRender(t *testing.T) {
	var w1, w2 Week
	w1.Label, w2.Label = "W47", "W48"
	for range 3 {
		w1.Add(grade.GradeA, false)
		w2.Add(grade.GradeC, true)
	}
	w2.Add(grade.GradeUnknown, true)
	b, err := Render("checkout — grades by week", []Week{w1, w2})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X != 576 || sz.Y != 288 {
		t.Errorf("chart is %v, want 576×288", sz)
	}
	seen := map[[3]uint32]int{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	for name, c := range map[string]struct {
		g          grade.Grade
		incomplete bool
	}{"A": {grade.GradeA, false}, "C (incomplete)": {grade.GradeC, true}, "?": {grade.GradeUnknown, false}} {
		col := Color(c.g, c.incomplete)
		if seen[[3]uint32{uint32(col.R), uint32(col.G), uint32(col.B)}] < 20 {
			t.Errorf("the chart draws no %s colour", name)
		}
	}
}
