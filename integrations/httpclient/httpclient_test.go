package httpclient

import (
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"http://admin:s3cret@127.0.0.1:9003/allocation": "http://admin:xxxxx@127.0.0.1:9003/allocation",
		"http://opencost:9003/allocation":               "http://opencost:9003/allocation",
		"http://user:pa ss@host/x":                      "http://xxxxx@host/x",
		"not a url at all":                              "not a url at all",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	s := Settings{FirstDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt := 0; attempt < 40; attempt++ {
		d := s.Backoff(attempt)
		lo := min(time.Duration(float64(100*time.Millisecond<<min(attempt, 20))*0.75), time.Second)
		if d < lo || d > time.Second {
			t.Fatalf("attempt %d: %v outside [%v, 1s]", attempt, d, lo)
		}
	}
}

func TestOptions(t *testing.T) {
	s := Settings{Timeout: time.Minute, Retries: 3}
	s.Apply([]Option{WithTimeout(0), WithRetries(-1), WithTimeout(5 * time.Second), WithRetries(0), WithBackoff(time.Millisecond, 0)})
	if s.Timeout != 5*time.Second || s.Retries != 0 || s.FirstDelay != time.Millisecond || s.MaxDelay != 0 {
		t.Fatalf("settings = %+v", s)
	}
}
