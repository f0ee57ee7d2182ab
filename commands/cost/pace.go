package cost

import (
	"context"
	"sync"
	"time"
)

// PostInterval is the least time between two posts to one channel: Slack
// allows about one message per second per channel, and a burst of alerts to
// one team would otherwise be throttled (or dropped) by it.
const PostInterval = time.Second

// channelPacer spaces posts to one channel by at least interval. Each call
// books the channel's next free slot and sleeps until it, so concurrent
// posters queue up instead of bursting.
type channelPacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	mu       sync.Mutex
	next     map[string]time.Time
}

func newChannelPacer(interval time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *channelPacer {
	if sleep == nil {
		sleep = sleepContext
	}
	return &channelPacer{interval: interval, now: now, sleep: sleep, next: map[string]time.Time{}}
}

// sleepContext waits for d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// wait blocks until a post to channel is allowed and books the slot.
func (p *channelPacer) wait(ctx context.Context, channel string) error {
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
