package scorecard

import (
	"context"
	"os"
	"testing"
)

// TestBenchSmall runs the benchmark function at a small size so it stays
// correct; `platbot bench scorecard` runs it at full size.
func TestBenchSmall(t *testing.T) {
	res, err := Bench(context.Background(), BenchOptions{Services: 300, Checks: 25, Teams: 6, Out: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Evaluations == 0 || res.ChartBytes == 0 {
		t.Fatalf("bench result = %+v", res)
	}
}

// BenchmarkGrade grades the full synthetic size: go test -run X -bench Grade.
func BenchmarkGrade(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Bench(context.Background(), BenchOptions{Out: os.Stdout}); err != nil {
			b.Fatal(err)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
