package secrets

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// limiter caps the sealing page's submissions per client address: a token
// bucket per address holding perMinute submissions, refilled at perMinute
// a minute. It bounds how fast anyone can guess links or make platbot
// decrypt; what is refused costs no audit event and no store write.
type limiter struct {
	proxies   proxies // whose X-Forwarded-For is believed
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

func newLimiter(perMinute int, trusted proxies, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{proxies: trusted, perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
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

// proxies are the address ranges of the reverse proxies in front of
// platbot (the trustedProxies setting). Only a request arriving from one
// of them has its X-Forwarded-For read; anyone else could write any
// address there and get a fresh per-address allowance with every request.
type proxies []netip.Prefix

// parseProxies reads trustedProxies entries: CIDR ranges (10.0.0.0/8,
// fd00::/8) or single addresses.
func parseProxies(list []string) (proxies, error) {
	var out proxies
	for _, e := range list {
		e = strings.TrimSpace(e)
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("secrets: trustedProxies entry %q is neither an IP address nor a CIDR range like 10.0.0.0/8", e)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (p proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, r := range p {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// client names who sent a request: key is the address the per-address
// limit counts (an IP without port), remote what the log and the audit
// trail record. A request from a trusted proxy is attributed to the
// nearest X-Forwarded-For hop that is not itself a trusted proxy, read
// from the right (the end the proxies append to; whatever the client wrote
// is further left and never reached while an untrusted hop comes first).
func (p proxies) client(r *http.Request) (key, remote string) {
	peer := clientAddr(r.RemoteAddr)
	if len(p) == 0 {
		return peer, r.RemoteAddr
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !p.trusted(addr) {
		return peer, r.RemoteAddr
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := addr
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(clientAddr(strings.TrimSpace(hops[i])))
		if err != nil {
			break // garbage a trusted proxy passed on: the hop that passed it is the client
		}
		client = hop.Unmap()
		if !p.trusted(client) {
			break
		}
	}
	if client == addr {
		return peer, r.RemoteAddr
	}
	return client.String(), client.String() + " via " + r.RemoteAddr
}
