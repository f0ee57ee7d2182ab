package approval_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/bot/bottest"
)

// homeRecorder is a router whose Home listener records who was named
// (all: a change naming nobody).
type homeRecorder struct {
	mu    sync.Mutex
	calls []string
}

func (h *homeRecorder) listen(_ context.Context, users []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(users) == 0 {
		h.calls = append(h.calls, "all")
		return
	}
	h.calls = append(h.calls, strings.Join(users, ","))
}

// viewers are the people the recorder's audience listener asks about, as
// the home feature asks about the people who opened their Home.
var viewers = []string{"ann", "bob", "eve", "zed"}

// listenFor records the viewers who accepts, as "for:" and their ids.
func (h *homeRecorder) listenFor(ctx context.Context, who bot.HomeAudience) {
	var in []string
	for _, v := range viewers {
		ok, err := who(ctx, &bot.Request{User: bot.User{ID: v}})
		if err != nil {
			panic(err)
		}
		if ok {
			in = append(in, v)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, "for:"+strings.Join(in, ","))
}

func (h *homeRecorder) take() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := strings.Join(h.calls, " ")
	h.calls = nil
	return out
}

// withHome gives the harness's flow a router that records Home changes.
func withHome(t *testing.T, h *harness) *homeRecorder {
	t.Helper()
	rec := &homeRecorder{}
	r := bot.NewRouter(bot.RouterOptions{Audit: h.st, Queue: h.st, Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler), Policy: h.policy})
	r.SetMessenger(bot.TransportShell, h.m)
	r.OnHomeChanged(rec.listen)
	r.OnHomeChangedFor(rec.listenFor)
	h.flow.SetRouter(r)
	return rec
}

// TestHomeSectionListsWhatWaitsForTheReader: the flow's Home section shows
// the pending requests the reader may decide, as their cards with their
// Approve and Deny buttons: not their own, not one they approved already,
// not one MayDecide refuses them, not a decided one.
func TestHomeSectionListsWhatWaitsForTheReader(t *testing.T) {
	h := newHarness(t)
	withHome(t, h)
	h.open("lv-1", "ann", 2)
	h.open("lv-2", "bob", 1)
	h.open("lv-3", "cid", 1)
	if err := h.click("dan", "lv-3", false); err != nil { // denied: no longer waits
		t.Fatal(err)
	}
	if err := h.click("bob", "lv-1", true); err != nil { // 1 of 2: still pending
		t.Fatal(err)
	}
	sec := h.flow.HomeSection(30, "Leave requests")
	build := func(user string) string {
		t.Helper()
		blocks, err := sec.Build(context.Background(), &bot.Request{User: bot.User{ID: user}})
		if err != nil {
			t.Fatal(err)
		}
		return bot.PlainText(bot.Message{Blocks: blocks})
	}
	ann := build("ann")
	if !strings.Contains(ann, "*Leave requests waiting for you* (1)") || !strings.Contains(ann, "Leave lv-2") || strings.Contains(ann, "lv-1") || strings.Contains(ann, "lv-3") {
		t.Fatalf("ann's section:\n%s", ann)
	}
	blocks, _ := sec.Build(context.Background(), &bot.Request{User: bot.User{ID: "ann"}})
	if b := bottest.FindButton(bot.Message{Blocks: blocks}, "Approve"); b == nil || b.ActionID != actApprove || b.Value != "lv-2" {
		t.Fatalf("approve button on ann's Home = %+v", b)
	}
	if bob := build("bob"); strings.Contains(bob, "lv-1") || strings.Contains(bob, "lv-2") {
		t.Fatalf("bob's section shows his own or one he approved:\n%s", bob)
	}
	if dan := build("dan"); !strings.Contains(dan, "(2)") || !strings.Contains(dan, "Leave lv-1") || !strings.Contains(dan, "Leave lv-2") {
		t.Fatalf("dan's section:\n%s", dan)
	}
	if out := build("eve"); out != "" { // not in the team: MayDecide refuses
		t.Fatalf("eve's section:\n%s", out)
	}
	if line, err := sec.Summary(context.Background(), &bot.Request{User: bot.User{ID: "dan"}}); err != nil || line != "2 leave request(s) wait for your decision." {
		t.Fatalf("summary = %q, %v", line, err)
	}
}

// TestHomeSectionCapsTheCards: at most approval.MaxHomeCards cards, and
// how many more wait.
func TestHomeSectionCapsTheCards(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < approval.MaxHomeCards+2; i++ {
		h.open("lv-"+string(rune('a'+i)), "ann", 1)
	}
	blocks, err := h.flow.HomeSection(30, "Leave requests").Build(context.Background(), &bot.Request{User: bot.User{ID: "dan"}})
	if err != nil {
		t.Fatal(err)
	}
	text := bot.PlainText(bot.Message{Blocks: blocks})
	if n := strings.Count(text, "Leave lv-"); n != approval.MaxHomeCards || !strings.Contains(text, "…and 2 more leave request(s) waiting") {
		t.Fatalf("%d cards:\n%s", n, text)
	}
}

// TestStateChangesTellTheHomes: a request saved pending, and a decision,
// change what waits for anyone (every Home); a later change of a decided
// request changes its requester's Home only; a write that changes nothing
// tells nobody.
func TestStateChangesTellTheHomes(t *testing.T) {
	h := newHarness(t)
	rec := withHome(t, h)
	h.open("lv-1", "ann", 1)
	// Saved pending: the team's viewers who may decide it (bob; not ann,
	// its requester; not eve or zed, outside the team), and ann.
	if got := rec.take(); got == "" || strings.TrimSpace(strings.ReplaceAll(got, "for:bob ann", "")) != "" {
		t.Fatalf("on save and posting the card: %q, want the deciders' and the requester's", got)
	}
	if err := h.click("bob", "lv-1", true); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); !strings.HasPrefix(got, "for:bob ann") || strings.Contains(got, "all") {
		t.Fatalf("on approval: %q, want the deciders' and the requester's", got)
	}
	if _, _, err := h.flow.Update(context.Background(), "lv-1", func(st string, l *leave) (string, error) {
		l.Days = 4
		return "done", nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); got != "ann" {
		t.Fatalf("on a later change: %q, want the requester's", got)
	}
	if _, _, err := h.flow.Update(context.Background(), "lv-1", func(string, *leave) (string, error) { return "", approval.ErrNoChange }); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); got != "" {
		t.Fatalf("a write that changed nothing told %q", got)
	}
}
