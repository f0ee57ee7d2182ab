package slack

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/platbot/platbot/bot"
)

// TestMessengerRepliesReuseConnections: the default client keeps the
// connections of concurrent replies to one host open for the next replies,
// as the job worker sends them under a burst, instead of opening (and
// closing) a connection per reply beyond the second.
func TestMessengerRepliesReuseConnections(t *testing.T) {
	const concurrent, rounds = 16, 5
	var conns atomic.Int64
	var hold sync.WaitGroup // keeps a round's replies in flight together
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hold.Done()
		hold.Wait()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	m := NewMessenger("xoxb-test-token", srv.URL+"/api/", WithLogger(discardLogger()))
	for round := range rounds {
		hold.Add(concurrent)
		var wg sync.WaitGroup
		errs := make([]error, concurrent)
		for i := range concurrent {
			wg.Go(func() {
				req := &bot.Request{ID: "r", ResponseURL: srv.URL + "/response/r", User: bot.User{ID: "U1"}}
				errs[i] = m.Respond(context.Background(), req, bot.Message{Text: "pong"})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	if n := conns.Load(); n > concurrent {
		t.Errorf("%d replies in rounds of %d opened %d connections, want at most %d", concurrent*rounds, concurrent, n, concurrent)
	}
}
