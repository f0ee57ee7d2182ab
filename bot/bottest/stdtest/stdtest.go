// Package stdtest holds the test helpers that need nothing but the standard
// library: the fake clock and the log buffer. They live apart from
// bot/bottest so that the store's own (in-package) tests can use them too;
// bot/bottest re-exports both, and feature tests use them from there.
package stdtest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"
)

// Epoch is where a NewClock starts: a Tuesday morning, 4 March 2025, 09:00
// UTC (any fixed instant would do; tests that care set their own).
var Epoch = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

// Clock is a fake clock: it stands still until the test moves it. It is
// safe for concurrent use; pass its Now method wherever a clock is injected
// (RouterOptions.Now, store.WithClock, a feature's Deps).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at start (Epoch when start is zero).
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = Epoch
	}
	return &Clock{t: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// Set moves the clock to t (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Sleep is a sleep function for code that waits (bot.NewPacer, retries):
// it advances the clock by d at once instead of waiting, and returns
// ctx.Err().
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Advance(d)
	}
	return ctx.Err()
}

// LogBuffer collects log output from many goroutines; it is an io.Writer
// for slog handlers.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Logger returns a text logger writing to b at debug level and above.
func (b *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
