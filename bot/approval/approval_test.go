package approval_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

// leave is a feature's request type: a day off that a team mate approves.
type leave struct {
	approval.Ballot
	ID   string `json:"id"`
	Team string `json:"team"`
	Days int    `json:"days"`
	// Granted is set by OnApprove; Seen by Prepare.
	Granted time.Time `json:"granted,omitzero"`
	Seen    string    `json:"seen,omitempty"`
}

const (
	kind       = "test.leave"
	actApprove = "leave:approve"
	actDeny    = "leave:deny"
	jobLapse   = "leave.lapse"
	channel    = "C-LEAVE"
)

type harness struct {
	t        *testing.T
	ctx      context.Context
	st       *store.Store
	m        *bottest.Messenger
	flow     *approval.Flow[leave]
	cfg      approval.Config[leave]
	clock    *bottest.Clock
	policy   *bottest.Policy
	approved atomic.Int32
	team     map[string]bool
	// arrive, when set, holds every clicker in MayDecide until all have
	// come, so their compare-and-swaps really race.
	arrive *sync.WaitGroup
}

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, opts ...func(*approval.Config[leave])) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), team: map[string]bool{"ann": true, "bob": true, "cid": true, "dan": true, "mallory": true}}
	h.clock = bottest.NewClock(start)
	// The policy refuses approvals by mallory.
	h.policy = bottest.NewPolicy()
	h.policy.DecideWith(func(_ context.Context, u bot.User, action string, _ bot.Resource) bot.Decision {
		if u.ID == "mallory" && action == bot.ActionApprove {
			return bot.Decision{Allow: false, Rule: "no-mallory", Reason: "mallory may not approve"}
		}
		return bot.Decision{Allow: true, Rule: "default"}
	})
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(h.ctx, filepath.Join(t.TempDir(), "platbot.db"), store.WithAuditKey([]byte("test-audit-key")), store.WithClock(h.clock.Now), store.WithLogger(log))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	h.m = bottest.NewMessenger()
	r := bot.NewRouter(bot.RouterOptions{Audit: st, Queue: st, Now: h.clock.Now, Logger: log, Policy: h.policy})
	r.SetMessenger(bot.TransportShell, h.m)
	cfg := approval.Config[leave]{
		Kind:   kind,
		Noun:   "leave request",
		ID:     func(l *leave) string { return l.ID },
		Ballot: func(l *leave) *approval.Ballot { return &l.Ballot },
		Key:    func(l *leave) string { return l.Team },
		NotFound: func(id string) error {
			return bot.Errorf("No leave request %q.", id)
		},
		StateText:   strings.ToUpper,
		SelfRefusal: func(l *leave) string { return "You can't approve your own leave " + l.ID + "." },
		MayDecide: func(_ context.Context, req *bot.Request, l *leave) (approval.Eligibility, error) {
			if !h.team[req.User.ID] {
				return approval.Eligibility{Refusal: "Only " + l.Team + " decides " + l.ID + "."}, nil
			}
			if h.arrive != nil {
				h.arrive.Done()
				h.arrive.Wait()
			}
			return approval.Eligibility{Role: "peer", UserRef: "user:default/" + req.User.ID}, nil
		},
		PolicyAction: bot.ActionApprove,
		Resource:     func(l *leave) bot.Resource { return bot.Resource{Kind: "leave", Name: l.ID} },
		Card: func(l *leave, state string) bot.Message {
			text := fmt.Sprintf("Leave %s: %s, %d days — %s, %d of %d approvals; seen %s", l.ID, l.Requester.ID, l.Days,
				strings.ToUpper(state), len(l.Approvals), l.Required, l.Seen)
			blocks := []bot.Block{bot.Section{Text: text}}
			if state == approval.StatePending {
				blocks = append(blocks, bot.Actions{Buttons: []bot.Button{
					approval.ApproveButton(actApprove, l.ID), approval.DenyButton(actDeny, l.ID, "Deny?"),
				}})
			}
			return bot.Message{Text: text, Blocks: blocks}
		},
		Channel: func(*leave) (string, error) { return channel, nil },
		Prepare: func(context.Context, *leave) func(*leave) {
			return func(l *leave) { l.Seen = "history" }
		},
		Texts: func(l *leave, ev approval.Event) approval.Texts {
			return approval.Texts{
				Thread: fmt.Sprintf("thread: %s %s by %s", l.ID, ev.Outcome, ev.By.ID),
				DM:     fmt.Sprintf("dm: your %s %s by %s", l.ID, ev.Outcome, ev.By.ID),
			}
		},
		OnApprove:    func(l *leave, now time.Time) { l.Granted = now },
		Approved:     func(context.Context, *leave) error { h.approved.Add(1); return nil },
		DecideAction: "leave.decide",
		LapseAction:  "leave.lapse",
		AuditTarget:  func(l *leave) string { return "team:" + l.Team },
		AuditDetails: func(l *leave) map[string]any { return map[string]any{"days": l.Days} },
		LapseJob:     jobLapse,
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.cfg = cfg
	h.flow, err = approval.New(cfg, approval.Deps{Store: st, Logger: log, Now: h.clock.Now})
	if err != nil {
		t.Fatalf("approval.New: %v", err)
	}
	h.flow.SetRouter(r)
	return h
}

// open saves and opens a pending request by requester needing required
// approvals.
func (h *harness) open(id, requester string, required int) *leave {
	h.t.Helper()
	l := &leave{ID: id, Team: "crew", Days: 3, Ballot: approval.Ballot{
		Requester: bot.User{ID: requester}, Transport: bot.TransportShell, Required: required,
		PendingUntil: h.clock.Now().Add(24 * time.Hour),
	}}
	created, err := h.flow.Save(h.ctx, l, approval.StatePending)
	if err != nil || !created {
		h.t.Fatalf("Save = %v, %v", created, err)
	}
	if err := h.flow.Open(h.ctx, l); err != nil {
		h.t.Fatalf("Open: %v", err)
	}
	return l
}

// click decides as user in the approvals channel, like a button click.
func (h *harness) click(user, id string, approve bool) error {
	req := h.m.NewRequest(user, "")
	req.Channel = channel
	return h.flow.Decide(h.ctx, req, id, approve)
}

func (h *harness) state(id string) (*leave, string) {
	h.t.Helper()
	l, st, err := h.flow.Load(h.ctx, id)
	if err != nil {
		h.t.Fatalf("Load %s: %v", id, err)
	}
	return l, st
}

func (h *harness) audits(action string) []store.Event {
	h.t.Helper()
	evs, err := h.st.AuditEvents(h.ctx, store.AuditFilter{Action: action}, 0)
	if err != nil {
		h.t.Fatalf("audit events: %v", err)
	}
	return evs
}

// ephemerals returns the texts shown to user only.
func (h *harness) ephemerals(user string) []string {
	var out []string
	for _, s := range h.m.Ops("ephemeral") {
		if s.User == user {
			out = append(out, s.Text())
		}
	}
	return out
}

// threadReplies returns the replies in the card's thread.
func (h *harness) threadReplies(card bot.MessageRef) []string {
	var out []string
	for _, s := range h.m.Ops("post") {
		if s.Msg.ThreadTS == card.TS && s.Channel == card.Channel {
			out = append(out, s.Text())
		}
	}
	return out
}

func (h *harness) cardUpdates(card bot.MessageRef) []bot.Message {
	var out []bot.Message
	for _, s := range h.m.Ops("update") {
		if s.Ref == card {
			out = append(out, s.Msg)
		}
	}
	return out
}

func hasButtons(m bot.Message) bool {
	return slices.ContainsFunc(m.Blocks, func(b bot.Block) bool { _, ok := b.(bot.Actions); return ok })
}

func TestOpenPostsOneCardAndOneLapseJob(t *testing.T) {
	h := newHarness(t)
	l := h.open("lv-1", "zoe", 1)
	if again, err := h.flow.Save(h.ctx, l, approval.StatePending); err != nil || again {
		t.Fatalf("second Save = %v, %v; want false, nil", again, err)
	}
	if err := h.flow.Open(h.ctx, l); err != nil {
		t.Fatalf("second Open: %v", err)
	}
	posts := h.m.Ops("post")
	if len(posts) != 1 || posts[0].Channel != channel || !hasButtons(posts[0].Msg) {
		t.Fatalf("posts = %+v; want one card with buttons in %s", posts, channel)
	}
	if !strings.Contains(posts[0].Text(), "seen history") {
		t.Errorf("card %q does not show what Prepare added", posts[0].Text())
	}
	got, _ := h.state("lv-1")
	if got.Card != posts[0].Ref || got.Seen != "history" {
		t.Errorf("stored card %+v seen %q; want %+v and the Prepare change", got.Card, got.Seen, posts[0].Ref)
	}
	jobs, err := h.st.Jobs(h.ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var lapses []store.Job
	for _, j := range jobs {
		if j.Kind == jobLapse {
			lapses = append(lapses, j)
		}
	}
	if len(lapses) != 1 || lapses[0].DedupeKey != jobLapse+":lv-1" || !lapses[0].RunAt.Equal(l.PendingUntil) {
		t.Fatalf("lapse jobs = %+v; want one at %s", lapses, l.PendingUntil)
	}
}

func TestApproveAnnouncesEverywhereAndAudits(t *testing.T) {
	h := newHarness(t)
	l := h.open("lv-1", "zoe", 1)
	if err := h.click("ann", "lv-1", true); err != nil {
		t.Fatalf("approve: %v", err)
	}
	got, st := h.state("lv-1")
	if st != approval.StateApproved || len(got.Approvals) != 1 || got.Approvals[0].User.ID != "ann" ||
		got.Approvals[0].Role != "peer" || got.Approvals[0].UserRef != "user:default/ann" {
		t.Fatalf("state %s approvals %+v", st, got.Approvals)
	}
	if !got.Granted.Equal(h.clock.Now()) {
		t.Errorf("OnApprove did not run: granted %s", got.Granted)
	}
	if n := h.approved.Load(); n != 1 {
		t.Errorf("Approved hook ran %d times", n)
	}
	ups := h.cardUpdates(l.Card)
	if len(ups) != 1 || hasButtons(ups[0]) || !strings.Contains(ups[0].Text, "APPROVED") {
		t.Fatalf("card updates = %+v; want one without buttons saying APPROVED", ups)
	}
	if th := h.threadReplies(l.Card); len(th) != 1 || th[0] != "thread: lv-1 approved by ann" {
		t.Errorf("thread = %q", th)
	}
	if dms := h.m.Ops("dm"); len(dms) != 1 || dms[0].User != "zoe" || dms[0].Text() != "dm: your lv-1 approved by ann" {
		t.Errorf("dms = %+v", dms)
	}
	evs := h.audits("leave.decide")
	if len(evs) != 1 || evs[0].Decision != "allow" || evs[0].Outcome != "ok" || evs[0].ActorID != "ann" || evs[0].Target != "team:crew" {
		t.Fatalf("audit = %+v", evs)
	}
	if d := evs[0].Details; d["request"] != "lv-1" || d["role"] != "peer" || fmt.Sprint(d["days"]) != "3" || fmt.Sprint(d["required"]) != "1" {
		t.Errorf("audit details = %v", d)
	}
}

func TestSelfApprovalRefusedAndAudited(t *testing.T) {
	h := newHarness(t)
	h.open("lv-1", "ann", 1) // ann is in the team, but asked herself
	if err := h.click("ann", "lv-1", true); err != nil {
		t.Fatalf("click: %v", err)
	}
	if _, st := h.state("lv-1"); st != approval.StatePending {
		t.Fatalf("state = %s; a self-approval must not count", st)
	}
	if eph := h.ephemerals("ann"); len(eph) != 1 || eph[0] != "You can't approve your own leave lv-1." {
		t.Errorf("ephemerals = %q", eph)
	}
	evs := h.audits("leave.decide")
	if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Details["why"] != "You can't approve your own leave lv-1." {
		t.Fatalf("audit = %+v", evs)
	}
	// Without a channel (a command in the shell) the refusal is the error.
	req := h.m.NewRequest("ann", "")
	req.Channel = ""
	var ue *bot.UserError
	if err := h.flow.Decide(h.ctx, req, "lv-1", false); !errors.As(err, &ue) || !strings.Contains(ue.Msg, "your own") {
		t.Errorf("deny own without channel = %v; want the refusal as a UserError", err)
	}
	if len(h.m.Ops("dm")) != 0 || len(h.m.Ops("update")) != 0 {
		t.Errorf("a refusal announced something: %+v", h.m.Sent())
	}
}

// TestRefuseAsError: with RefuseAsError a refusal is the click's error
// (the router answers with it), never an ephemeral message, and is still
// audited.
func TestRefuseAsError(t *testing.T) {
	h := newHarness(t, func(c *approval.Config[leave]) { c.RefuseAsError = true })
	h.open("lv-1", "zoe", 1)
	var ue *bot.UserError
	if err := h.click("zoe", "lv-1", true); !errors.As(err, &ue) || !strings.Contains(ue.Msg, "your own leave") {
		t.Fatalf("self-approval = %v; want the refusal as a UserError", err)
	}
	if err := h.click("ann", "lv-1", true); err != nil {
		t.Fatal(err)
	}
	if err := h.click("bob", "lv-1", false); !errors.As(err, &ue) || ue.Msg != "`lv-1` is already APPROVED." {
		t.Fatalf("late click = %v", err)
	}
	if eph := h.m.Ops("ephemeral"); len(eph) != 0 {
		t.Errorf("ephemerals = %+v; want none", eph)
	}
	if evs := h.audits("leave.decide"); len(evs) != 2 || evs[1].Details["why"] == nil {
		t.Errorf("audit = %+v; want the approval and the audited self-approval", evs)
	}
}

func TestRefusedByMayDecideAndByPolicy(t *testing.T) {
	h := newHarness(t)
	h.open("lv-1", "zoe", 1)
	if err := h.click("eve", "lv-1", true); err != nil {
		t.Fatal(err)
	}
	if eph := h.ephemerals("eve"); len(eph) != 1 || eph[0] != "Only crew decides lv-1." {
		t.Errorf("outsider told %q", eph)
	}
	if err := h.click("mallory", "lv-1", true); err != nil {
		t.Fatal(err)
	}
	if eph := h.ephemerals("mallory"); len(eph) != 1 || !strings.Contains(eph[0], "no-mallory") {
		t.Errorf("policy refusal told %q; want it to name the rule", eph)
	}
	if _, st := h.state("lv-1"); st != approval.StatePending {
		t.Fatalf("state = %s", st)
	}
	// The policy was asked about mallory only: eve was refused before.
	seen := h.policy.Seen()
	if len(seen) != 1 || seen[0].User.ID != "mallory" || seen[0].Action != bot.ActionApprove || seen[0].Resource.Name != "lv-1" {
		t.Errorf("policy decisions = %+v; want one about mallory approving lv-1", seen)
	}
	var whys []string
	for _, ev := range h.audits("leave.decide") {
		if ev.Decision == "deny" {
			whys = append(whys, fmt.Sprint(ev.Details["why"]))
		}
	}
	slices.Sort(whys)
	if len(whys) != 2 || whys[0] != "Only crew decides lv-1." || !strings.Contains(whys[1], "no-mallory") {
		t.Errorf("audited refusals = %q", whys)
	}
}

func TestTwoOfThreeAndAlreadyApproved(t *testing.T) {
	h := newHarness(t)
	l := h.open("lv-2", "zoe", 2)
	if err := h.click("ann", "lv-2", true); err != nil {
		t.Fatal(err)
	}
	got, st := h.state("lv-2")
	if st != approval.StatePending || len(got.Approvals) != 1 || !got.Granted.IsZero() {
		t.Fatalf("after one of two: %s %+v", st, got.Approvals)
	}
	ups := h.cardUpdates(l.Card)
	if len(ups) != 1 || !hasButtons(ups[0]) || !strings.Contains(ups[0].Text, "1 of 2 approvals") {
		t.Fatalf("card after one approval = %+v", ups)
	}
	if th := h.threadReplies(l.Card); len(th) != 1 || th[0] != "thread: lv-2 counted by ann" {
		t.Errorf("thread = %q", th)
	}
	if err := h.click("ann", "lv-2", true); err != nil {
		t.Fatal(err)
	}
	if eph := h.ephemerals("ann"); len(eph) != 1 || eph[0] != "You already approved `lv-2`; it needs 1 more approval(s) from someone else." {
		t.Errorf("second click by ann told %q", eph)
	}
	if h.approved.Load() != 0 {
		t.Fatal("approved after one approver")
	}
	if err := h.click("bob", "lv-2", true); err != nil {
		t.Fatal(err)
	}
	got, st = h.state("lv-2")
	if st != approval.StateApproved || len(got.Approvals) != 2 || h.approved.Load() != 1 {
		t.Fatalf("after two of two: %s %+v hook %d", st, got.Approvals, h.approved.Load())
	}
	if err := h.click("cid", "lv-2", true); err != nil {
		t.Fatal(err)
	}
	if eph := h.ephemerals("cid"); len(eph) != 1 || eph[0] != "`lv-2` is already APPROVED." {
		t.Errorf("late click told %q", eph)
	}
	if got, _ = h.state("lv-2"); len(got.Approvals) != 2 {
		t.Errorf("late click counted: %+v", got.Approvals)
	}
}

func TestDenyRecordsDenial(t *testing.T) {
	h := newHarness(t)
	l := h.open("lv-3", "zoe", 2)
	if err := h.click("bob", "lv-3", false); err != nil {
		t.Fatal(err)
	}
	got, st := h.state("lv-3")
	if st != approval.StateDenied || got.Denial == nil || got.Denial.User.ID != "bob" || len(got.Approvals) != 0 {
		t.Fatalf("state %s denial %+v", st, got.Denial)
	}
	if dms := h.m.Ops("dm"); len(dms) != 1 || dms[0].Text() != "dm: your lv-3 denied by bob" {
		t.Errorf("dms = %+v", dms)
	}
	if ups := h.cardUpdates(l.Card); len(ups) != 1 || hasButtons(ups[0]) {
		t.Errorf("card updates = %+v", ups)
	}
	if evs := h.audits("leave.decide"); len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Details["why"] != nil {
		t.Errorf("audit = %+v", evs)
	}
	if h.approved.Load() != 0 {
		t.Error("Approved hook ran for a denial")
	}
}

// TestRacingClicksDecideOnce: many reviewers click Approve and Deny at the
// same moment; exactly one decision is recorded and announced, and every
// other clicker is told their click did not count.
func TestRacingClicksDecideOnce(t *testing.T) {
	for _, required := range []int{1, 2} {
		t.Run(fmt.Sprintf("required=%d", required), func(t *testing.T) {
			h := newHarness(t)
			clickers := []string{"ann", "bob", "cid", "dan"}
			for i := range 4 {
				id := fmt.Sprintf("lv-race-%d", i)
				l := h.open(id, "zoe", required)
				h.arrive = &sync.WaitGroup{}
				h.arrive.Add(len(clickers))
				var wg sync.WaitGroup
				errs := make(chan error, len(clickers))
				for j, u := range clickers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs <- h.click(u, id, (i+j)%2 == 0 || i == 3)
					}()
				}
				wg.Wait()
				h.arrive = nil
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatalf("click: %v", err)
					}
				}
				got, st := h.state(id)
				if st != approval.StateApproved && st != approval.StateDenied {
					t.Fatalf("%s: state %s after %d clicks", id, st, len(clickers))
				}
				var finals int
				for _, ev := range h.audits("leave.decide") {
					if ev.Details["request"] == id && (ev.Decision == "deny" || fmt.Sprint(ev.Details["approvals"]) == fmt.Sprint(ev.Details["required"])) && ev.Details["why"] == nil {
						finals++
					}
				}
				if finals != 1 {
					t.Errorf("%s: %d deciding audit events; want exactly one", id, finals)
				}
				if st == approval.StateApproved && (len(got.Approvals) != required || got.Denial != nil) {
					t.Errorf("%s approved with %d approvals, denial %v", id, len(got.Approvals), got.Denial)
				}
				if st == approval.StateDenied && got.Denial == nil {
					t.Errorf("%s denied without a denial", id)
				}
				var outcomes int
				for _, s := range h.threadReplies(l.Card) {
					if strings.Contains(s, " approved by ") || strings.Contains(s, " denied by ") {
						outcomes++
					}
				}
				if outcomes != 1 {
					t.Errorf("%s: %d outcome replies in the thread; want one", id, outcomes)
				}
				// Every click either counted or was answered ephemerally.
				counted := len(got.Approvals)
				if got.Denial != nil {
					counted++
				}
				var told int
				for _, u := range clickers {
					for _, e := range h.ephemerals(u) {
						if strings.Contains(e, "`"+id+"`") {
							told++
						}
					}
				}
				if counted+told != len(clickers) {
					t.Errorf("%s: %d clicks counted and %d told; want %d in all", id, counted, told, len(clickers))
				}
			}
			var approvedN int32
			for i := range 4 {
				if _, st := h.state(fmt.Sprintf("lv-race-%d", i)); st == approval.StateApproved {
					approvedN++
				}
			}
			if h.approved.Load() != approvedN {
				t.Errorf("Approved hook ran %d times for %d approved requests", h.approved.Load(), approvedN)
			}
		})
	}
}

func TestLapse(t *testing.T) {
	h := newHarness(t)
	l := h.open("lv-4", "zoe", 1)
	if err := h.flow.RunLapse(h.ctx, []byte(`{"id":"lv-4"}`)); err != nil {
		t.Fatalf("early lapse: %v", err)
	}
	if _, st := h.state("lv-4"); st != approval.StatePending {
		t.Fatalf("lapsed before its time: %s", st)
	}
	h.clock.Set(l.PendingUntil)
	if err := h.flow.RunLapse(h.ctx, []byte(`{"id":"lv-4"}`)); err != nil {
		t.Fatalf("lapse: %v", err)
	}
	if _, st := h.state("lv-4"); st != approval.StateLapsed {
		t.Fatalf("state = %s", st)
	}
	// A second lapse job (a restart's Resume and the queued job) says nothing.
	if err := h.flow.Lapse(h.ctx, "lv-4"); err != nil {
		t.Fatalf("second lapse: %v", err)
	}
	evs := h.audits("leave.lapse")
	if len(evs) != 1 || evs[0].ActorID != approval.System.ID || evs[0].Outcome != "expired" {
		t.Fatalf("lapse audit = %+v", evs)
	}
	if th := h.threadReplies(l.Card); len(th) != 1 || th[0] != "thread: lv-4 lapsed by platbot" {
		t.Errorf("thread = %q", th)
	}
	if dms := h.m.Ops("dm"); len(dms) != 1 || dms[0].User != "zoe" {
		t.Errorf("dms = %+v", dms)
	}
	if ups := h.cardUpdates(l.Card); len(ups) != 1 || !strings.Contains(ups[0].Text, "LAPSED") || hasButtons(ups[0]) {
		t.Errorf("card updates = %+v", ups)
	}
	if err := h.click("ann", "lv-4", true); err != nil {
		t.Fatal(err)
	}
	if eph := h.ephemerals("ann"); len(eph) != 1 || eph[0] != "`lv-4` is already LAPSED." {
		t.Errorf("click on a lapsed request told %q", eph)
	}
	if err := h.flow.Lapse(h.ctx, "lv-missing"); !errors.Is(err, approval.ErrNotFound) {
		t.Errorf("lapse of an unknown id = %v; want ErrNotFound", err)
	}
	if err := h.flow.RunLapse(h.ctx, []byte(`not json`)); err == nil {
		t.Error("undecodable payload accepted")
	}
}

func TestUnknownID(t *testing.T) {
	h := newHarness(t)
	var ue *bot.UserError
	if err := h.click("ann", "lv-nope", true); !errors.As(err, &ue) || ue.Msg != `No leave request "lv-nope".` {
		t.Errorf("unknown id = %v", err)
	}
	if err := h.click("ann", " ", true); !errors.As(err, &ue) || ue.Msg != `No leave request "".` {
		t.Errorf("empty id = %v", err)
	}
}

func TestUpdateNoChangeAndNew(t *testing.T) {
	h := newHarness(t)
	h.open("lv-5", "zoe", 1)
	l, st, err := h.flow.Update(h.ctx, "lv-5", func(string, *leave) (string, error) { return "", approval.ErrNoChange })
	if err != nil || st != approval.StatePending || l.ID != "lv-5" {
		t.Fatalf("no-change update = %+v %s %v", l, st, err)
	}
	if _, _, err := h.flow.Update(h.ctx, "lv-none", nil); !errors.Is(err, approval.ErrNotFound) {
		t.Errorf("update of unknown id = %v", err)
	}
	if _, err := approval.New(approval.Config[leave]{Kind: "x"}, approval.Deps{}); err == nil || !strings.Contains(err.Error(), "MayDecide") {
		t.Errorf("New without hooks = %v; want it to name what is missing", err)
	}
}

// racingStore lets another writer change the record before each of its
// first times compare-and-swaps, standing in for clicks on other replicas.
type racingStore struct {
	approval.Store
	race  func()
	times int
}

func (r *racingStore) UpdateRecord(ctx context.Context, rec store.Record) (*store.Record, error) {
	if r.times > 0 {
		r.times--
		r.race()
	}
	return r.Store.UpdateRecord(ctx, rec)
}

// TestUpdateRetriesUpToStoreMaxAttempts: Update is store.Modify's
// compare-and-swap loop: a change lost to other writers is decided again
// on top of theirs, so none is lost, and a record others keep changing
// fails after store.MaxAttempts tries with an error wrapping
// store.ErrConflict.
func TestUpdateRetriesUpToStoreMaxAttempts(t *testing.T) {
	h := newHarness(t)
	h.open("lv-6", "zoe", 1)
	other := func() {
		if _, _, err := h.flow.Update(h.ctx, "lv-6", func(st string, l *leave) (string, error) { l.Days++; return st, nil }); err != nil {
			t.Errorf("other writer: %v", err)
		}
	}
	racing := &racingStore{Store: h.st, race: other, times: 10}
	flow, err := approval.New(h.cfg, approval.Deps{Store: racing, Logger: slog.New(slog.DiscardHandler), Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// Ten other writers win in a row (ten clicks at once): this change
	// still lands, after theirs.
	calls := 0
	l, st, err := flow.Update(h.ctx, "lv-6", func(st string, l *leave) (string, error) {
		calls++
		l.Seen = fmt.Sprintf("days %d", l.Days)
		return approval.StateDenied, nil
	})
	if err != nil || st != approval.StateDenied || l.Days != 13 || l.Seen != "days 13" || calls != 11 {
		t.Fatalf("after ten lost races: %+v %s %v, %d calls; want denied with 13 days, decided 11 times", l, st, err, calls)
	}
	if got, st := h.state("lv-6"); st != approval.StateDenied || got.Days != 13 || got.Seen != "days 13" {
		t.Fatalf("stored: %+v %s", got, st)
	}

	// A record that changes under every attempt: Update gives up.
	h.open("lv-7", "zoe", 1)
	racing.times = 1000
	racing.race = func() {
		if _, _, err := h.flow.Update(h.ctx, "lv-7", func(st string, l *leave) (string, error) { l.Days++; return st, nil }); err != nil {
			t.Errorf("other writer: %v", err)
		}
	}
	calls = 0
	_, _, err = flow.Update(h.ctx, "lv-7", func(st string, l *leave) (string, error) { calls++; return st, nil })
	if !errors.Is(err, store.ErrConflict) || calls != store.MaxAttempts || !strings.Contains(err.Error(), "update leave request lv-7: gave up") {
		t.Fatalf("always losing: %v after %d calls; want a gave-up error wrapping store.ErrConflict after %d", err, calls, store.MaxAttempts)
	}

	// decide's own error is returned as it is, never retried.
	mine := bot.Errorf("not now")
	calls = 0
	_, _, err = h.flow.Update(h.ctx, "lv-7", func(string, *leave) (string, error) { calls++; return "", mine })
	if err != mine || calls != 1 {
		t.Fatalf("decide's error = %v after %d calls; want it as it is, once", err, calls)
	}
}

// TestDecisionOutcome: with Config.DecisionOutcome a decision's audit row
// carries the request's new state as its outcome (beside the decision), a
// counted approval the state it stays in; refused clicks keep "ok".
func TestDecisionOutcome(t *testing.T) {
	h := newHarness(t, func(c *approval.Config[leave]) { c.DecisionOutcome = approval.DecisionState })
	h.open("lv-8", "zoe", 2)
	h.open("lv-9", "zoe", 1)
	for _, c := range []struct {
		user, id string
		approve  bool
	}{{"zoe", "lv-8", true}, {"ann", "lv-8", true}, {"bob", "lv-8", true}, {"cid", "lv-9", false}} {
		if err := h.click(c.user, c.id, c.approve); err != nil {
			t.Fatalf("%s on %s: %v", c.user, c.id, err)
		}
	}
	var got []string
	for _, ev := range h.audits("leave.decide") {
		got = append(got, fmt.Sprintf("%s %s %s/%s", ev.Details["request"], ev.ActorID, ev.Decision, ev.Outcome))
	}
	slices.Sort(got)
	want := []string{
		"lv-8 ann allow/pending",
		"lv-8 bob allow/approved",
		"lv-8 zoe deny/ok", // her own request: refused
		"lv-9 cid deny/denied",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit rows = %q, want %q", got, want)
	}
}

// crashAfterDecision writes what Decide's compare-and-swap writes, and no
// more: the process died before the audit row, the card, the thread reply,
// the DM and the Approved hook.
func (h *harness) crashAfterDecision(id, user string, to string) {
	h.t.Helper()
	_, _, err := h.flow.Update(h.ctx, id, func(_ string, l *leave) (string, error) {
		v := approval.Vote{User: bot.User{ID: user}, Role: "peer", At: h.clock.Now()}
		if to == approval.StateDenied {
			l.Denial = &v
		} else {
			l.Approvals = append(l.Approvals, v)
		}
		return to, nil
	})
	if err != nil {
		h.t.Fatalf("decide before the crash: %v", err)
	}
}

func TestDecisionFinishedAfterACrash(t *testing.T) {
	for _, to := range []string{approval.StateApproved, approval.StateDenied} {
		t.Run(to, func(t *testing.T) {
			h := newHarness(t)
			l := h.open("lv-9", "zoe", 1)
			h.crashAfterDecision("lv-9", "ann", to)
			// Someone else's click does not finish ann's decision.
			if err := h.click("bob", "lv-9", true); err != nil {
				t.Fatal(err)
			}
			if n := len(h.audits("leave.decide")); n != 0 {
				t.Fatalf("bob's click wrote %d decision audit rows", n)
			}
			// The click's job runs again: the decision is said everywhere.
			for range 2 {
				if err := h.click("ann", "lv-9", to == approval.StateApproved); err != nil {
					t.Fatal(err)
				}
			}
			if evs := h.audits("leave.decide"); len(evs) != 1 || evs[0].ActorID != "ann" {
				t.Fatalf("decision audit rows = %+v; want ann's one", evs)
			}
			if th := h.threadReplies(l.Card); len(th) != 1 || !strings.Contains(th[0], "by ann") {
				t.Errorf("thread = %q; want one reply", th)
			}
			if dms := h.m.Ops("dm"); len(dms) != 1 || dms[0].User != "zoe" {
				t.Errorf("dms = %+v; want one to zoe", dms)
			}
			if ups := h.cardUpdates(l.Card); len(ups) != 1 || hasButtons(ups[0]) {
				t.Errorf("card updates = %+v; want one without buttons", ups)
			}
			wantHook := int32(0)
			if to == approval.StateApproved {
				wantHook = 1
			}
			if n := h.approved.Load(); n != wantHook {
				t.Errorf("Approved hook ran %d times; want %d", n, wantHook)
			}
			if eph := h.ephemerals("ann"); len(eph) != 1 || !strings.Contains(eph[0], "already") {
				t.Errorf("ann's second click was told %q; want one 'already'", eph)
			}
			if got, _ := h.state("lv-9"); got.Announced != to {
				t.Errorf("Announced = %q; want %q", got.Announced, to)
			}
		})
	}
}

func TestLapseFinishedAfterACrash(t *testing.T) {
	h := newHarness(t)
	l := h.open("lv-10", "zoe", 1)
	h.clock.Set(l.PendingUntil)
	// The lapse was written, then the process died.
	if _, _, err := h.flow.Update(h.ctx, "lv-10", func(string, *leave) (string, error) { return approval.StateLapsed, nil }); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h.flow.RunLapse(h.ctx, []byte(`{"id":"lv-10"}`)); err != nil {
			t.Fatalf("lapse: %v", err)
		}
	}
	if evs := h.audits("leave.lapse"); len(evs) != 1 {
		t.Fatalf("lapse audit rows = %+v; want one", evs)
	}
	if dms := h.m.Ops("dm"); len(dms) != 1 {
		t.Errorf("dms = %+v; want one", dms)
	}
}

func TestNoDeadlineNeverLapses(t *testing.T) {
	h := newHarness(t)
	l := &leave{ID: "lv-11", Team: "crew", Ballot: approval.Ballot{Requester: bot.User{ID: "zoe"}, Transport: bot.TransportShell, Required: 1}}
	if _, err := h.flow.Save(h.ctx, l, approval.StatePending); err != nil {
		t.Fatal(err)
	}
	if err := h.flow.Open(h.ctx, l); err != nil {
		t.Fatal(err)
	}
	jobs, err := h.st.Jobs(h.ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == jobLapse {
			t.Fatalf("a request with no deadline got a lapse job at %s", j.RunAt)
		}
	}
	h.clock.Advance(365 * 24 * time.Hour)
	if err := h.flow.Lapse(h.ctx, "lv-11"); err != nil {
		t.Fatal(err)
	}
	if _, st := h.state("lv-11"); st != approval.StatePending {
		t.Fatalf("state = %s; want pending", st)
	}
}

func TestPolicyRefusalKeepsItsBlocks(t *testing.T) {
	h := newHarness(t)
	h.policy.DecideWith(func(context.Context, bot.User, string, bot.Resource) bot.Decision {
		return bot.Decision{Allow: false, Rule: "freeze", Reason: "change freeze"}
	})
	// The policy engine renders its denials with blocks that name the rule.
	r := bot.NewRouter(bot.RouterOptions{Audit: h.st, Queue: h.st, Now: h.clock.Now, Policy: h.policy,
		Denial: func(action string, _ bot.Resource, d bot.Decision) bot.Message {
			return bot.Message{Text: "denied by " + d.Rule, Blocks: []bot.Block{bot.Section{Text: "*" + d.Rule + "*: " + d.Reason}}}
		}})
	r.SetMessenger(bot.TransportShell, h.m)
	h.flow.SetRouter(r)
	h.open("lv-12", "zoe", 1)
	if err := h.click("ann", "lv-12", true); err != nil {
		t.Fatal(err)
	}
	eph := h.m.Ops("ephemeral")
	if len(eph) != 1 || eph[0].Msg.Text != "denied by freeze" || len(eph[0].Msg.Blocks) != 1 {
		t.Fatalf("ephemerals = %+v; want the denial with its block", eph)
	}
	if evs := h.audits("leave.decide"); len(evs) != 1 || evs[0].Decision != "deny" {
		t.Errorf("refusal audit = %+v", evs)
	}
}

// TestSecondClickDoesNotFinishAnotherJobsDecision: the same person's two
// clicks, running at once on two replicas, are two jobs. The second finds
// the first's decision written but not yet announced; it is told the
// request is decided and neither audits nor announces it. Only a retry of
// the deciding job finishes an unannounced decision.
func TestSecondClickDoesNotFinishAnotherJobsDecision(t *testing.T) {
	h := newHarness(t)
	l := h.open("lv-7", "zoe", 1)
	// ann's click ran as job 41 and wrote its decision; its announcement
	// is under way (or its process died).
	_, _, err := h.flow.Update(h.ctx, "lv-7", func(_ string, x *leave) (string, error) {
		x.Approvals = append(x.Approvals, approval.Vote{User: bot.User{ID: "ann"}, Role: "peer", At: h.clock.Now(), Job: 41})
		return approval.StateApproved, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clickAs := func(job int64) {
		t.Helper()
		req := h.m.NewRequest("ann", "")
		req.Channel = channel
		if err := h.flow.Decide(bot.WithJob(h.ctx, bot.JobInfo{ID: job, Attempt: 1}), req, "lv-7", true); err != nil {
			t.Fatal(err)
		}
	}
	clickAs(42) // ann's second click, another job
	if n := len(h.audits("leave.decide")); n != 0 {
		t.Fatalf("another job's click wrote %d decision audit rows", n)
	}
	if th := h.threadReplies(l.Card); len(th) != 0 {
		t.Fatalf("another job's click announced the decision: %q", th)
	}
	clickAs(41) // the deciding job, run again
	if evs := h.audits("leave.decide"); len(evs) != 1 || evs[0].ActorID != "ann" {
		t.Fatalf("decision audit rows = %+v; want ann's one, from the deciding job", evs)
	}
	if th := h.threadReplies(l.Card); len(th) != 1 {
		t.Errorf("thread = %q; want one reply", th)
	}
}
