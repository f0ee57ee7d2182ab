package secrets

import (
	"net"
	"sync"
	"time"
)

// limiter caps the sealing page's submissions per client address: a token
// bucket per address holding perMinute submissions, refilled at perMinute
// a minute. It bounds how fast anyone can guess links or make platbot
// decrypt; what is refused costs no audit event and no store write.
type limiter struct {
	mu        sync.Mutex
	perMinute float64
	now       func() time.Time
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxTracked bounds the addresses the limiter remembers; beyond it, the
// ones that have refilled are forgotten (and if that is not enough, all).
const maxTracked = 10000

func newLimiter(perMinute int, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// allow takes one submission from addr's bucket, reporting whether there
// was one.
func (l *limiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxTracked {
			l.prune(now)
		}
		b = &bucket{tokens: l.perMinute, last: now}
		l.buckets[addr] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(l.perMinute, b.tokens+d.Minutes()*l.perMinute)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// prune forgets the buckets that are full again.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) >= time.Minute {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxTracked {
		clear(l.buckets)
	}
}

// clientAddr is the limiter's key of a request's remote address: the host
// without the port.
func clientAddr(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}
