// Package httpguard holds what every HTTP entry point of platbot does before
// it spends anything on a request: a bound on the requests it serves at once
// and on the size of the body it reads. Refusals happen before the body is
// read, so hostile traffic costs a header parse and nothing more.
package httpguard

import (
	"errors"
	"io"
	"net/http"
)

// ErrTooLarge is the error of a body over its limit (declared by
// Content-Length or found while reading); answer it 413.
var ErrTooLarge = errors.New("request body too large")

// Limit bounds the requests one entry point serves at once. The zero value
// and nil admit everything.
type Limit struct {
	slots chan struct{}
}

// NewLimit returns a bound of n requests at once (n <= 0: unbounded).
func NewLimit(n int) *Limit {
	if n <= 0 {
		return &Limit{}
	}
	return &Limit{slots: make(chan struct{}, n)}
}

// TryAcquire takes a slot without waiting and reports whether one was free.
// Every successful TryAcquire must be paired with a Release.
func (l *Limit) TryAcquire() bool {
	if l == nil || l.slots == nil {
		return true
	}
	select {
	case l.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release gives a slot back.
func (l *Limit) Release() {
	if l == nil || l.slots == nil {
		return
	}
	<-l.slots
}

// InFlight is the number of slots taken now.
func (l *Limit) InFlight() int {
	if l == nil {
		return 0
	}
	return len(l.slots)
}

// Cap is the bound (0 when unbounded).
func (l *Limit) Cap() int {
	if l == nil {
		return 0
	}
	return cap(l.slots)
}

// Busy answers a request refused for want of a slot: 503 with Retry-After,
// and Connection: close so the server does not wait for its body.
func Busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Connection", "close")
	http.Error(w, "busy: too many requests in flight, retry shortly", http.StatusServiceUnavailable)
}

// Wrap serves h while a slot of l is free; a request beyond the bound is
// answered at once with Busy, without reading its body, after onBusy (a
// metric; may be nil) has been called.
func Wrap(h http.Handler, l *Limit, onBusy func(*http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.TryAcquire() {
			if onBusy != nil {
				onBusy(r)
			}
			Busy(w)
			return
		}
		defer l.Release()
		h.ServeHTTP(w, r)
	})
}

// Declared reports whether a request declares a body over limit in its
// Content-Length, so it can be refused before anything is read.
func Declared(r *http.Request, limit int64) bool { return r.ContentLength > limit }

// ReadBody reads a request body of at most limit bytes, writing every byte
// to mac as well (a signature's running HMAC; may be nil) as it arrives. A
// Content-Length over limit is refused before reading; a body that turns
// out longer than limit (chunked, or lying about its length) is refused as
// soon as limit+1 bytes have arrived, so memory stays within limit whatever
// the client sends. Both return ErrTooLarge; the connection is closed after
// the answer rather than drained.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, mac io.Writer) ([]byte, error) {
	if Declared(r, limit) {
		w.Header().Set("Connection", "close")
		return nil, ErrTooLarge
	}
	// Room for the declared body and the read that sees its end, so a
	// truthful Content-Length costs one allocation; without one, start
	// small and double, never past limit+1.
	size := int64(minRead)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1
	}
	buf := make([]byte, 0, min(size, limit+1))
	var src io.Reader = http.MaxBytesReader(w, r.Body, limit)
	if mac != nil {
		src = io.TeeReader(src, mac)
	}
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, ErrTooLarge
			}
			return nil, err
		}
	}
}

// minRead is the first buffer of a body of unknown length.
const minRead = 4 << 10

// Discard reads a request body of at most limit bytes into mac only,
// keeping none of it: for requests whose signature must be checked but
// whose content is not needed. Errors as ReadBody.
func Discard(w http.ResponseWriter, r *http.Request, limit int64, mac io.Writer) error {
	if Declared(r, limit) {
		w.Header().Set("Connection", "close")
		return ErrTooLarge
	}
	if mac == nil {
		mac = io.Discard
	}
	_, err := io.Copy(mac, http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return ErrTooLarge
	}
	return err
}
