package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
)

// TestPacer: the pacer books one slot per interval per channel, waits only
// for the channel's own slots, and stops waiting when the context ends.
func TestPacer(t *testing.T) {
	now := time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)
	var waits []time.Duration
	p := bot.NewPacer(time.Second, func() time.Time { return now }, func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		now = now.Add(d) // the wait passes
		return ctx.Err()
	})
	ctx := context.Background()
	for _, ch := range []string{"#a", "#a", "#b", "#a"} {
		if err := p.Wait(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if len(waits) != 2 || waits[0] != time.Second || waits[1] != time.Second {
		t.Fatalf("waits = %v, want two 1s waits for #a", waits)
	}
	now = now.Add(time.Minute)
	if err := p.Wait(ctx, "#a"); err != nil || len(waits) != 2 {
		t.Fatalf("after a quiet minute: %v, waits %v", err, waits)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Wait(cctx, "#a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait = %v", err)
	}
}

// TestPacerConcurrent: posters racing for one channel at the same instant
// get distinct slots, one interval apart.
func TestPacerConcurrent(t *testing.T) {
	now := time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	got := map[time.Duration]int{}
	p := bot.NewPacer(time.Second, func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
		mu.Lock()
		got[d]++
		mu.Unlock()
		return nil
	})
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Wait(context.Background(), "#a"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := 1; i < 5; i++ {
		if got[time.Duration(i)*time.Second] != 1 {
			t.Fatalf("waits = %v, want one each of 1s..4s", got)
		}
	}
}

// TestSleepContext: the real sleep returns at once when the context ended.
func TestSleepContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := bot.SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("SleepContext = %v", err)
	}
	if err := bot.SleepContext(context.Background(), time.Nanosecond); err != nil {
		t.Fatalf("SleepContext = %v", err)
	}
}
