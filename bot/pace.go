package bot

import (
	"context"
	"sync"
	"time"
)

// PostInterval is the least time between two posts to one channel: Slack
// allows about one message per second per channel, and a burst of posts to
// one channel (alerts, digests) would otherwise be throttled or dropped.
const PostInterval = time.Second

// Pacer spaces posts to one channel by at least an interval. Each Wait books
// the channel's next free slot and sleeps until it, so concurrent posters
// queue up instead of bursting; channels do not wait for each other. It is
// safe for concurrent use.
type Pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	mu   sync.Mutex
	next map[string]time.Time
}

// NewPacer returns a pacer allowing one post per interval per channel.
// now is the clock and sleep waits for a duration or until the context ends
// (tests pass a fake clock and a sleep that advances it); nil means
// time.Now and SleepContext.
func NewPacer(interval time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = SleepContext
	}
	return &Pacer{interval: interval, now: now, sleep: sleep, next: map[string]time.Time{}}
}

// SleepContext waits for d or until ctx ends (returning ctx.Err()).
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wait blocks until a post to channel is allowed and books the slot. It
// returns the sleep's error when ctx ends first; the slot stays booked.
func (p *Pacer) Wait(ctx context.Context, channel string) error {
	p.mu.Lock()
	now := p.now()
	slot := p.next[channel]
	if slot.Before(now) {
		slot = now
	}
	p.next[channel] = slot.Add(p.interval)
	// Forget channels whose slots have passed, so the map stays small.
	for ch, t := range p.next {
		if t.Before(now) {
			delete(p.next, ch)
		}
	}
	p.mu.Unlock()
	if d := slot.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}
