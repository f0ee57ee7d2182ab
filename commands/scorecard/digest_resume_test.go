package scorecard

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

// finderMessenger is the recording messenger plus a channel search
// (bot.MessageFinder) that finds what the test says was posted.
type finderMessenger struct {
	*bottest.Messenger
	posted map[string]bot.MessageRef // part key → message
	asked  []string
}

func (m *finderMessenger) FindPosted(_ context.Context, channel string, since time.Time, eventType, key string) (bot.MessageRef, bool, error) {
	m.asked = append(m.asked, channel+" "+eventType+" "+key)
	ref, ok := m.posted[key]
	return ref, ok, nil
}

// TestDigestPartInterruptedPost: a part an earlier attempt of the same job
// left "sending" is looked up in its channel by its metadata: found, it is
// recorded as sent and not posted again; not found, it is posted once more.
// A part another job claimed may still be under way and is left alone.
func TestDigestPartInterruptedPost(t *testing.T) {
	const key = "team|group:default/checkout|2026-W49|summary"
	claimed := func(job int64, try int) json.RawMessage {
		b, _ := json.Marshal(partData{ClaimJob: job, ClaimTry: try, ClaimedAt: testNow.Add(-time.Minute)})
		return b
	}
	for _, tc := range []struct {
		name      string
		claim     json.RawMessage
		run       bot.JobInfo
		inSlack   bool
		wantPosts int    // summary posts to #team-checkout
		wantState string // of the part afterwards
	}{
		{"earlier attempt, not in Slack: posted again", claimed(5, 1), bot.JobInfo{ID: 5, Attempt: 2}, false, 1, partSent},
		{"earlier attempt, in Slack: recorded", claimed(5, 1), bot.JobInfo{ID: 5, Attempt: 2}, true, 0, partSent},
		{"another job's claim: left alone", claimed(5, 1), bot.JobInfo{ID: 6, Attempt: 1}, false, 0, partSending},
		{"a claim without a job (a command): left alone", claimed(0, 0), bot.JobInfo{ID: 5, Attempt: 2}, false, 0, partSending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if _, err := h.Store.PutRecord(context.Background(), store.Record{Kind: KindDigestPart, ID: key, State: partSending, Key: "#team-checkout", Data: tc.claim}); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, fixtureOptions{harness: h})
			fm := &finderMessenger{Messenger: f.m, posted: map[string]bot.MessageRef{}}
			if tc.inSlack {
				fm.posted[key] = bot.MessageRef{Channel: "C0CHECKOUT", TS: "1700000000.000100"}
			}
			f.s.msgr = fm
			ctx := bot.WithJob(context.Background(), tc.run)
			if err := f.s.RunDigest(ctx, DigestOptions{Now: testNow}); err != nil {
				t.Fatal(err)
			}
			var summaries []bottest.Sent
			for _, s := range postsTo(f.m, "#team-checkout") {
				if s.Op == "post" {
					summaries = append(summaries, s)
				}
			}
			if len(summaries) != tc.wantPosts {
				t.Fatalf("summary posts to #team-checkout: %d, want %d", len(summaries), tc.wantPosts)
			}
			for _, s := range summaries {
				if md := s.Msg.Metadata; md == nil || md.EventType != digestEventType || md.Key != key {
					t.Errorf("posted summary carries metadata %+v, want %s %s", md, digestEventType, key)
				}
			}
			rec, err := h.Store.GetRecord(context.Background(), KindDigestPart, key)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != tc.wantState {
				t.Errorf("part state %s, want %s", rec.State, tc.wantState)
			}
			if tc.inSlack {
				var pd partData
				_ = json.Unmarshal(rec.Data, &pd)
				if pd.Ref.TS != "1700000000.000100" {
					t.Errorf("recorded ref %+v, want the message found in the channel", pd.Ref)
				}
			}
			// Every other team's digest is posted, with its metadata.
			if n := len(postsTo(f.m, "#team-payments")); n != 2 {
				t.Errorf("#team-payments got %d posts, want the summary and the chart", n)
			}
		})
	}
}
