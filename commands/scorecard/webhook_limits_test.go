package scorecard

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/platbot/platbot/bot/httpguard"
	"github.com/platbot/platbot/bot/httpguard/guardtest"
	"github.com/platbot/platbot/commands/scorecard/webhook"
)

func hookHeader(event, signature string) http.Header {
	return http.Header{
		"Content-Type":        {"application/json"},
		"X-Github-Event":      {event},
		"X-Github-Delivery":   {"d-limits"},
		"X-Hub-Signature-256": {signature},
	}
}

// TestWebhookRefusesHugeBodiesWithBoundedMemory: a 30 MB delivery is
// answered 413 — by its Content-Length before a byte is read, or, sent
// chunked, as soon as it passes webhook.MaxBody — and what the process
// allocated meanwhile stays far below what was sent.
func TestWebhookRefusesHugeBodiesWithBoundedMemory(t *testing.T) {
	f, fake := gateFixture(t)
	srv := httptest.NewServer(f.s.WebhookHandler())
	t.Cleanup(srv.Close)
	const huge = 30 << 20
	prefix := []byte(`{"action":"synchronize","pull_request":{"body":"`)
	h := hookHeader("pull_request", sign("whsec", "whatever"))
	for _, tc := range []struct {
		chunked bool
		max     uint64
	}{
		{false, 1 << 20},                      // refused from the header: nothing read
		{true, 3*webhook.MaxBody + (1 << 20)}, // read up to the limit, then refused
	} {
		var status int
		alloc := guardtest.Allocated(func() {
			status = guardtest.Post(t, srv.URL, h, guardtest.Body{Prefix: prefix, Size: huge, Chunked: tc.chunked})
		})
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("30 MB, chunked=%v: status %d, want 413", tc.chunked, status)
		}
		if alloc > tc.max {
			t.Fatalf("30 MB, chunked=%v: allocated %d bytes, want at most %d", tc.chunked, alloc, tc.max)
		}
	}
	if len(f.q.kinds("")) != 0 || fake.lastStatus() != nil {
		t.Fatal("a refused delivery had an effect")
	}
}

// TestWebhookForgedSignatureIsNotBuffered: a delivery with a forged
// signature is refused 401 having passed through the HMAC as it streamed,
// never held whole in memory; one with a malformed signature header is
// refused before its body is read at all.
func TestWebhookForgedSignatureIsNotBuffered(t *testing.T) {
	f, fake := gateFixture(t)
	srv := httptest.NewServer(f.s.WebhookHandler())
	t.Cleanup(srv.Close)
	const size = webhook.MaxBody - 1024
	body := guardtest.Body{Prefix: []byte(`{"zen":"`), Size: size, Chunked: true}

	var status int
	alloc := guardtest.Allocated(func() {
		status = guardtest.Post(t, srv.URL, hookHeader("push", sign("not-the-secret", "x")), body)
	})
	if status != http.StatusUnauthorized {
		t.Fatalf("forged signature: status %d, want 401", status)
	}
	if alloc > size/4 {
		t.Fatalf("forged signature on a %d-byte body: allocated %d bytes; the body should stream through the HMAC", size, alloc)
	}

	alloc = guardtest.Allocated(func() {
		status = guardtest.Post(t, srv.URL, hookHeader("pull_request", "sha256=not-hex"), guardtest.Body{Size: 30 << 20, Chunked: true})
	})
	if status != http.StatusUnauthorized {
		t.Fatalf("malformed signature: status %d, want 401", status)
	}
	if alloc > 1<<20 {
		t.Fatalf("malformed signature on a 30 MB body: allocated %d bytes; nothing should be read", alloc)
	}
	if len(f.q.kinds("")) != 0 || fake.lastStatus() != nil {
		t.Fatal("a refused delivery had an effect")
	}

	// The streamed check still lets a correctly signed delivery through.
	ping := `{"zen":"hi"}`
	if rec := postHook(t, f.s.WebhookHandler(), "ping", ping, sign("whsec", ping)); rec.Code != http.StatusOK {
		t.Fatalf("signed ping: %d", rec.Code)
	}
}

// TestWebhookDeliveriesInFlightAreBounded: with the bound's deliveries
// stuck sending their bodies, one more is answered 503 at once; when they
// go away, deliveries are served again.
func TestWebhookDeliveriesInFlightAreBounded(t *testing.T) {
	f, _ := gateFixture(t)
	l := httpguard.NewLimit(2)
	srv := httptest.NewServer(f.s.webhookHandler(l))
	t.Cleanup(srv.Close)
	ping := `{"zen":"hi"}`
	h := hookHeader("ping", sign("whsec", ping))
	release1 := guardtest.Hold(t, srv.URL, h, 1000)
	release2 := guardtest.Hold(t, srv.URL, h, 1000)
	guardtest.WaitFor(t, "two deliveries in flight", func() bool { return l.InFlight() == 2 })

	if status := guardtest.Post(t, srv.URL, h, guardtest.Body{Prefix: []byte(ping), Size: int64(len(ping))}); status != http.StatusServiceUnavailable {
		t.Fatalf("third delivery: %d, want 503", status)
	}
	release1()
	release2()
	guardtest.WaitFor(t, "the held deliveries to end", func() bool { return l.InFlight() == 0 })
	if status := guardtest.Post(t, srv.URL, h, guardtest.Body{Prefix: []byte(ping), Size: int64(len(ping))}); status != http.StatusOK {
		t.Fatalf("delivery after the others ended: %d, want 200", status)
	}
}
