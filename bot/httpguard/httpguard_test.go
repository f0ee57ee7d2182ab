package httpguard_test

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/httpguard"
	"github.com/platbot/platbot/bot/httpguard/guardtest"
)

// TestWrapBoundsRequestsInFlight: with the bound's requests held by a
// blocking handler, one more is answered 503 at once without reaching the
// handler; when one finishes, the next gets in.
func TestWrapBoundsRequestsInFlight(t *testing.T) {
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	var busy int
	l := httpguard.NewLimit(2)
	h := httpguard.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}), l, func(*http.Request) { busy++ })
	done := make(chan int, 2)
	for range 2 {
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
			done <- rec.Code
		}()
	}
	<-entered
	<-entered
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || busy != 1 || l.InFlight() != 2 {
		t.Fatalf("third request: %d Retry-After=%q busy=%d in flight=%d", rec.Code, rec.Header().Get("Retry-After"), busy, l.InFlight())
	}
	close(release)
	<-done
	<-done
	if l.InFlight() != 0 {
		t.Fatalf("in flight after the requests ended: %d", l.InFlight())
	}
}

// TestReadBodyRefusesLargeBodiesEarly: a declared length over the limit is
// refused before reading, a chunked body as soon as it passes the limit;
// the MAC sees exactly the bytes read.
func TestReadBodyRefusesLargeBodiesEarly(t *testing.T) {
	const limit = 1 << 20
	var got []byte
	var gotErr error
	mac := sha256.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mac.Reset()
		got, gotErr = httpguard.ReadBody(w, r, limit, mac)
		if errors.Is(gotErr, httpguard.ErrTooLarge) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
	}))
	t.Cleanup(srv.Close)
	for _, chunked := range []bool{false, true} {
		var status int
		alloc := guardtest.Allocated(func() {
			status = guardtest.Post(t, srv.URL, nil, guardtest.Body{Size: 30 << 20, Chunked: chunked})
		})
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked=%v: %d, want 413", chunked, status)
		}
		if alloc > 4*limit {
			t.Fatalf("chunked=%v: allocated %d bytes for a refused 30 MB body", chunked, alloc)
		}
	}
	status := guardtest.Post(t, srv.URL, nil, guardtest.Body{Prefix: []byte("{"), Size: 1000, Chunked: true})
	want := sha256.Sum256([]byte("{" + strings.Repeat("a", 999)))
	if status != http.StatusOK || gotErr != nil || len(got) != 1000 || string(mac.Sum(nil)) != string(want[:]) {
		t.Fatalf("small body: status %d err %v len %d", status, gotErr, len(got))
	}
}
