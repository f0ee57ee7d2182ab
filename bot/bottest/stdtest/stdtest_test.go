package stdtest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot/bottest/stdtest"
)

func TestClock(t *testing.T) {
	c := stdtest.NewClock(time.Time{})
	if !c.Now().Equal(stdtest.Epoch) {
		t.Fatalf("zero start: %v", c.Now())
	}
	start := time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)
	c = stdtest.NewClock(start)
	if got := c.Advance(time.Hour); !got.Equal(start.Add(time.Hour)) || !c.Now().Equal(got) {
		t.Fatalf("Advance = %v, Now = %v", got, c.Now())
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Set: %v", c.Now())
	}
	if err := c.Sleep(context.Background(), time.Minute); err != nil || !c.Now().Equal(start.Add(time.Minute)) {
		t.Fatalf("Sleep = %v, Now = %v", err, c.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on an ended context = %v", err)
	}
	// Concurrent use (run with -race).
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Advance(time.Second)
			_ = c.Now()
		}()
	}
	wg.Wait()
	if want := start.Add(2*time.Minute + 4*time.Second); !c.Now().Equal(want) {
		t.Fatalf("after concurrent advances: %v, want %v", c.Now(), want)
	}
}

func TestLogBuffer(t *testing.T) {
	var b stdtest.LogBuffer
	log := b.Logger()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log.Debug("hello", "n", i)
		}()
	}
	wg.Wait()
	if got := strings.Count(b.String(), "msg=hello"); got != 4 {
		t.Fatalf("log has %d lines of 4:\n%s", got, b.String())
	}
}
