package access

import (
	"fmt"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
)

// TestHomeGrantsAndButtons: the holder's Home lists an active grant with
// the time left and Extend and Revoke buttons (nobody else's Home shows
// it); a peer's Home shows a pending request with the card's buttons; the
// Revoke button, pressed from the Home (no channel), ends the grant as
// `/plat access revoke` does, and a Revoke by someone who may not end it
// is refused.
func TestHomeGrantsAndButtons(t *testing.T) {
	h := newHarness(t)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	pending, err := h.a.flow.HomeSection(30, "Access requests").Build(h.ctx, &bot.Request{User: bot.User{ID: peter}})
	if err != nil {
		t.Fatal(err)
	}
	if b := findButton(pending, "Approve"); b == nil || b.ActionID != ActionApprove || b.Value != id {
		t.Fatalf("peter's Home: no Approve button for %s: %v", id, pending)
	}
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	h.wantState(id, StateActive)

	home := func(user string) []bot.Block {
		t.Helper()
		bs, err := h.a.homeSection(h.ctx, &bot.Request{User: bot.User{ID: user}})
		if err != nil {
			t.Fatal(err)
		}
		return bs
	}
	text := bot.PlainText(bot.Message{Blocks: home(rita)})
	if !strings.Contains(text, "*Your production access* (1)") || !strings.Contains(text, id) || !strings.Contains(text, "1h left, until") {
		t.Fatalf("rita's grants:\n%s", text)
	}
	rev := findButton(home(rita), "Revoke")
	ext := findButton(home(rita), "Extend")
	if rev == nil || rev.ActionID != ActionRevoke || rev.Value != id || rev.Confirm == "" || ext == nil || ext.ActionID != ActionExtend {
		t.Fatalf("buttons: revoke %+v extend %+v", rev, ext)
	}
	if bs := home(peter); len(bs) != 0 {
		t.Fatalf("peter's Home shows rita's grant: %v", bs)
	}
	if line, err := h.a.homeSummary(h.ctx, &bot.Request{User: bot.User{ID: rita}}); err != nil || line != "You hold 1 production access grant(s)." {
		t.Fatalf("summary = %q, %v", line, err)
	}

	// Someone outside the team cannot revoke it from a forged button.
	if err := h.r.Act(h.ctx, h.req(olga, ""), bot.Action{ID: ActionRevoke, Value: id}); err != nil {
		t.Fatal(err)
	}
	h.wantState(id, StateActive)
	// Rita revokes from her Home: no channel, answered by DM.
	if err := h.r.Act(h.ctx, h.req(rita, ""), bot.Action{ID: ActionRevoke, Value: id}); err != nil {
		t.Fatal(err)
	}
	r := h.wantState(id, StateRevoked)
	if r.EndReason != "revoked from the App Home" {
		t.Errorf("reason = %q", r.EndReason)
	}
	if bs := home(rita); len(bs) != 0 {
		t.Fatalf("a revoked grant is still listed: %v", bs)
	}
}

func findButton(blocks []bot.Block, text string) *bot.Button {
	for _, b := range blocks {
		if a, ok := b.(bot.Actions); ok {
			for i := range a.Buttons {
				if a.Buttons[i].Text == text {
					return &a.Buttons[i]
				}
			}
		}
	}
	return nil
}

// TestHomeShowsWholeCardsWithinItsShare: many requests waiting fill the
// approver's Home with whole cards (each with its Approve and Deny
// buttons, without the card's context lines) within the flow's share of
// the Home, and count the rest, instead of running past Slack's 100
// blocks and losing the end of the Home mid-card.
func TestHomeShowsWholeCardsWithinItsShare(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for _, env := range []string{"prod-us", "prod-eu", "prod-us", "prod-eu", "prod-us"} {
		ids = append(ids, h.request(rita, "payments-api", env, "view", "1h"))
	}
	blocks, err := h.a.flow.HomeSection(30, "Access requests").Build(h.ctx, &bot.Request{User: bot.User{ID: peter}})
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) > approval.MaxHomeSectionBlocks+1 {
		t.Fatalf("%d blocks, more than the flow's share (%d and the count)", len(blocks), approval.MaxHomeSectionBlocks)
	}
	cards, approves := 0, 0
	for i, b := range blocks {
		switch v := b.(type) {
		case bot.Header:
			t.Fatalf("a card's header is a Header block on the Home: %v", v)
		case bot.Context:
			if i != len(blocks)-1 {
				t.Fatalf("a card's context line on the Home: %q", v.Text)
			}
		case bot.Section:
			if strings.HasPrefix(v.Text, "*🔐") || strings.Contains(v.Text, "access ar-") {
				cards++
			}
		case bot.Actions:
			if findButton([]bot.Block{v}, "Approve") != nil && findButton([]bot.Block{v}, "Deny") != nil {
				approves++
			}
		}
	}
	shown := approves
	text := bot.PlainText(bot.Message{Blocks: blocks})
	if shown < 1 || shown == len(ids) || !strings.Contains(text, fmt.Sprintf("…and %d more access request(s) waiting", len(ids)-shown)) ||
		!strings.Contains(text, fmt.Sprintf("*Access requests waiting for you* (%d)", len(ids))) {
		t.Fatalf("%d whole cards of %d (%d titles):\n%s", shown, len(ids), cards, text)
	}
	if last, ok := blocks[len(blocks)-2].(bot.Actions); !ok || findButton([]bot.Block{last}, "Approve") == nil {
		t.Fatalf("the last card is cut before its buttons: %v", blocks[len(blocks)-2])
	}
}
