package scorecard

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

// fakeSection is another feature's digest section (golden paths' drift).
type fakeSection struct{}

func (fakeSection) DigestSection(_ context.Context, team string) ([]bot.Block, string, bool) {
	if team != "group:default/payments" {
		return nil, "", false
	}
	text := "*Behind their golden path*\n• `payments-service` — `new-service`: 2 approved version(s) behind"
	return []bot.Block{bot.Section{Text: text}, bot.Actions{Buttons: []bot.Button{{ActionID: "paths:upgrade:payments-service/new-service", Text: "Upgrade payments-service"}}}}, text, true
}

// TestDigestSectionsOfOtherFeatures: a DigestContributor's blocks (and its
// buttons) are in the digest of the team it answers for, only there.
func TestDigestSectionsOfOtherFeatures(t *testing.T) {
	h := newHarness(t)
	seedHistory(t, h.Store)
	f := newFixture(t, fixtureOptions{harness: h})
	f.s.extra = []DigestContributor{fakeSection{}}
	var out bytes.Buffer
	if err := f.s.RunDigest(context.Background(), DigestOptions{Now: testNow, Out: &out}); err != nil {
		t.Fatal(err)
	}
	pay := postsTo(f.m, "#team-payments")
	if len(pay) == 0 || !strings.Contains(pay[0].Text(), "*Behind their golden path*") {
		t.Fatalf("payments digest lacks the section: %+v", pay)
	}
	var buttons []bot.Button
	for _, b := range pay[0].Msg.Blocks {
		if a, ok := b.(bot.Actions); ok {
			buttons = append(buttons, a.Buttons...)
		}
	}
	if len(buttons) != 1 || buttons[0].ActionID != "paths:upgrade:payments-service/new-service" {
		t.Fatalf("payments digest buttons %+v", buttons)
	}
	if chk := postsTo(f.m, "#team-checkout"); len(chk) == 0 || strings.Contains(chk[0].Text(), "golden path") {
		t.Fatalf("checkout digest: %+v", chk)
	}
}
