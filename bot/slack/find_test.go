package slack

import (
	"context"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
)

// TestFindPosted: a message posted with metadata is found again in its
// channel's history by event type and key, also when the channel is named
// ("#team") rather than given by id; another key, another channel or a
// message posted before since are not found.
func TestFindPosted(t *testing.T) {
	m, fake := newTestMessenger(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	if _, err := m.Post(ctx, "#team-payments", bot.Message{Text: "unmarked"}); err != nil {
		t.Fatal(err)
	}
	ref, err := m.Post(ctx, "#team-payments", bot.Message{Text: "digest", Metadata: &bot.Metadata{EventType: "platbot_digest_part", Key: "team|payments|2026-W50|summary"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Post(ctx, "#team-checkout", bot.Message{Text: "other", Metadata: &bot.Metadata{EventType: "platbot_digest_part", Key: "team|checkout|2026-W50|summary"}}); err != nil {
		t.Fatal(err)
	}
	call, _ := fake.Last("chat.postMessage")
	if call.Param("metadata") == "" {
		t.Fatal("chat.postMessage carried no metadata")
	}

	got, found, err := m.FindPosted(ctx, "#team-payments", before, "platbot_digest_part", "team|payments|2026-W50|summary")
	if err != nil || !found || got.TS != ref.TS {
		t.Fatalf("FindPosted = %+v, %v, %v; want the posted message %s", got, found, err, ref.TS)
	}
	for _, tc := range []struct{ channel, key string }{
		{"#team-payments", "team|payments|2026-W49|summary"},
		{"#team-payments", "team|checkout|2026-W50|summary"},
	} {
		if _, found, err := m.FindPosted(ctx, tc.channel, before, "platbot_digest_part", tc.key); err != nil || found {
			t.Errorf("FindPosted(%s, %s) = %v, %v; want not found", tc.channel, tc.key, found, err)
		}
	}
	if _, found, err := m.FindPosted(ctx, "#team-payments", time.Now().Add(time.Hour), "platbot_digest_part", "team|payments|2026-W50|summary"); err != nil || found {
		t.Errorf("FindPosted after the post = %v, %v; want not found", found, err)
	}
	if _, _, err := m.FindPosted(ctx, "#nowhere", before, "platbot_digest_part", "x"); err == nil {
		t.Error("FindPosted in a channel the app cannot see: no error")
	}
}
