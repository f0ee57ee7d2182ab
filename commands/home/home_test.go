package home

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/bot/slack"
	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/store"
)

// gradeFact is a summary fact as the scorecard gives one.
type gradeFact map[string]string

func (g gradeFact) ServiceFact(_ context.Context, e *catalog.Entity) (bot.Pair, bool) {
	v, ok := g[e.Metadata.Name]
	return bot.Pair{Label: "Grade", Value: v}, ok
}

// probe is a feature with a Home section whose text a test changes, as a
// feature's state changes, and which then says so.
type probe struct {
	text   string
	router *bot.Router
}

func (p *probe) Name() string { return "probe" }
func (p *probe) Register(reg *bot.Registry) error {
	p.router = reg.Router()
	reg.HomeSection(bot.HomeSection{Order: 20,
		Build: func(_ context.Context, req *bot.Request) ([]bot.Block, error) {
			return []bot.Block{bot.Section{Text: p.text + " for " + req.User.ID}}, nil
		},
		Summary: func(context.Context, *bot.Request) (string, error) { return "probe says " + p.text, nil },
	})
	return nil
}
func (p *probe) Resume(context.Context) error { return nil }

// set changes what the section shows and tells the Homes, as a feature
// does after writing a state change.
func (p *probe) set(text string, users ...string) {
	p.text = text
	p.router.HomeChanged(context.Background(), users...)
}

type env struct {
	t     *testing.T
	h     *bottest.Harness
	fake  *slackfake.Server
	probe *probe
	n     int
}

func newEnv(t *testing.T, more ...bot.Feature) *env {
	t.Helper()
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	h.Router.SetMessenger(bot.TransportSlack, slack.NewMessenger("xoxb-test", fake.APIURL(), slack.WithLogger(h.Logs.Logger())))
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("payments"), catalogtest.Group("search"),
		catalogtest.User("alice", "U0ALICE", "payments"), catalogtest.User("bob", "U0BOB", "search"),
		catalogtest.Component("checkout-service", "payments"), catalogtest.Component("ledger", "payments"),
		catalogtest.Component("indexer", "search"),
	)
	cat.AddSummaryFact(gradeFact{"checkout-service": "*B*"}, true)
	hm, err := New(DefaultConfig(), Deps{Store: h.Store, Catalog: cat.Catalog, Logger: h.Logs.Logger(), Now: h.Clock.Now, Sleep: h.Clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	p := &probe{text: "nothing pending"}
	if err := bot.NewRegistry(h.Router, nil).Install(append([]bot.Feature{hm, p}, more...)...); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, h: h, fake: fake, probe: p}
}

// open queues the Home of user as the Slack transport does on
// app_home_opened, and runs the due jobs.
func (e *env) open(user string) {
	e.t.Helper()
	e.n++
	req := &bot.Request{ID: "Ev" + user + string(rune('0'+e.n)), Transport: bot.TransportSlack, User: bot.User{ID: user}, Received: e.h.Clock.Now()}
	if _, err := e.h.Router.Accept(context.Background(), bot.JobHomeOpened, req, req); err != nil {
		e.t.Fatal(err)
	}
	e.h.RunJobs()
}

// homes are the Homes published so far for user, as JSON.
func (e *env) homes(user string) []string {
	var out []string
	for _, c := range e.fake.Succeeded("views.publish") {
		if c.HomeUser == user {
			b, _ := json.Marshal(c.Home.Blocks)
			out = append(out, string(b))
		}
	}
	return out
}

// TestHomeContent: opening the Home publishes the person's teams'
// services with their summary facts and every feature's section, through
// views.publish; another person sees their own.
func TestHomeContent(t *testing.T) {
	e := newEnv(t)
	e.open("U0ALICE")
	hs := e.homes("U0ALICE")
	if len(hs) != 1 {
		t.Fatalf("homes of alice = %d, want 1", len(hs))
	}
	for _, want := range []string{"Your platform", "Services of group:default/payments", "checkout-service", "Grade *B*", "ledger", "nothing pending for U0ALICE"} {
		if !strings.Contains(hs[0], want) {
			t.Errorf("alice's Home lacks %q: %s", want, hs[0])
		}
	}
	if strings.Contains(hs[0], "indexer") {
		t.Errorf("alice's Home shows another team's service: %s", hs[0])
	}
	e.open("U0BOB")
	if hs := e.homes("U0BOB"); len(hs) != 1 || !strings.Contains(hs[0], "indexer") || strings.Contains(hs[0], "checkout-service") {
		t.Fatalf("bob's Home = %v", hs)
	}
	// Whoever opened it is remembered for later changes.
	if _, err := e.h.Store.GetRecord(context.Background(), KindViewer, "U0ALICE"); err != nil {
		t.Fatalf("viewer record: %v", err)
	}
}

// TestHomeRepublishDebounced: changes republish a Home once per debounce
// window, at its end, with what the Home shows then; a change for someone
// who never opened their Home publishes nothing; a change naming nobody
// republishes everyone's.
func TestHomeRepublishDebounced(t *testing.T) {
	e := newEnv(t)
	e.open("U0ALICE")
	e.open("U0BOB")
	if n := len(e.fake.Calls("views.publish")); n != 2 {
		t.Fatalf("publications after opening = %d", n)
	}
	e.h.Clock.Set(e.h.Clock.Now().Truncate(DefaultDebounce)) // the start of a window
	start := e.h.Clock.Now()

	// Three changes within one window: nothing is published before its end.
	for i, text := range []string{"1 request waits", "2 requests wait", "3 requests wait"} {
		e.probe.set(text, "U0ALICE")
		if n := e.h.RunJobs(); n != 0 {
			t.Fatalf("change %d ran %d job(s) at once", i, n)
		}
		e.h.Clock.Advance(time.Second)
	}
	e.probe.set("someone else's change", "U0NEVER") // never opened a Home
	e.h.Clock.Set(start.Add(DefaultDebounce))
	e.h.RunJobs()
	hs := e.homes("U0ALICE")
	if len(hs) != 2 {
		t.Fatalf("alice's publications = %d, want 2 (open, one republication)", len(hs))
	}
	if !strings.Contains(hs[1], "someone else's change for U0ALICE") {
		t.Fatalf("republication does not show the latest state: %s", hs[1])
	}
	if n := len(e.homes("U0BOB")); n != 1 {
		t.Fatalf("bob's Home republished for alice's change: %d", n)
	}
	if n := len(e.homes("U0NEVER")); n != 0 {
		t.Fatalf("a Home nobody opened was published")
	}

	// A change in the next window: one more, at that window's end; a
	// change naming nobody republishes both Homes.
	e.probe.set("4 requests wait", "U0ALICE")
	e.probe.set("everyone's change")
	e.h.RunJobs()
	if n := len(e.homes("U0ALICE")); n != 2 {
		t.Fatalf("republished within the window: %d", n)
	}
	e.h.Clock.Set(start.Add(2 * DefaultDebounce))
	e.h.RunJobs()
	if a, b := e.homes("U0ALICE"), e.homes("U0BOB"); len(a) != 3 || len(b) != 2 || !strings.Contains(b[1], "everyone's change for U0BOB") {
		t.Fatalf("after the second window: alice %d, bob %d publications", len(a), len(b))
	}
}

// TestChangeForEveryoneReachesLateViewers: a change for everyone
// republishes, at the window's end, the Home of whoever opened it during
// the window too, even after an earlier change for everyone in the same
// window.
func TestChangeForEveryoneReachesLateViewers(t *testing.T) {
	e := newEnv(t)
	e.open("U0ALICE")
	e.h.Clock.Set(e.h.Clock.Now().Truncate(DefaultDebounce))
	start := e.h.Clock.Now()
	e.probe.set("first change")
	e.h.RunJobs()
	e.h.Clock.Advance(time.Second)
	e.open("U0BOB") // published at once, showing the first change
	e.h.Clock.Advance(time.Second)
	e.probe.set("second change")
	e.h.RunJobs()
	if n := len(e.homes("U0BOB")); n != 1 {
		t.Fatalf("bob's Home republished before the window's end: %d", n)
	}
	e.h.Clock.Set(start.Add(DefaultDebounce))
	e.h.RunJobs()
	a, b := e.homes("U0ALICE"), e.homes("U0BOB")
	if len(a) != 2 || len(b) != 2 || !strings.Contains(a[1], "second change") || !strings.Contains(b[1], "second change for U0BOB") {
		t.Fatalf("after the window: alice %d, bob %d publications; bob's last: %s", len(a), len(b), b[len(b)-1])
	}
}

// TestChangeForAnAudienceReachesOnlyIt: a change that concerns some
// people (those who may decide a request, as the approval flows say)
// republishes the Homes of the viewers it accepts and of the people named,
// nobody else's, debounced like any change.
func TestChangeForAnAudienceReachesOnlyIt(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"U0ALICE", "U0BOB", "U0CAROL"} {
		e.open(u)
	}
	e.h.Clock.Set(e.h.Clock.Now().Truncate(DefaultDebounce))
	start := e.h.Clock.Now()
	var asked []string
	deciders := func(_ context.Context, req *bot.Request) (bool, error) {
		asked = append(asked, req.User.ID)
		return req.User.ID == "U0BOB", nil
	}
	e.probe.text = "a request waits"
	e.h.Router.HomeChangedFor(context.Background(), deciders, "U0CAROL")
	e.h.Router.HomeChangedFor(context.Background(), deciders, "U0CAROL") // same window: one publication
	e.h.Clock.Set(start.Add(DefaultDebounce))
	e.h.RunJobs()
	if a, b, c := len(e.homes("U0ALICE")), len(e.homes("U0BOB")), len(e.homes("U0CAROL")); a != 1 || b != 2 || c != 2 {
		t.Fatalf("publications: alice %d (want 1: not concerned), bob %d (want 2: a decider), carol %d (want 2: named)", a, b, c)
	}
	if len(asked) != 6 {
		t.Fatalf("audience asked about %v, want each viewer once a change", asked)
	}
}

// TestTeamChangeReachesItsMembers: a change to a team's services (a grade,
// a live status, a cost) republishes its members' Homes only.
func TestTeamChangeReachesItsMembers(t *testing.T) {
	e := newEnv(t)
	e.open("U0ALICE")
	e.open("U0BOB")
	e.h.Clock.Set(e.h.Clock.Now().Truncate(DefaultDebounce))
	start := e.h.Clock.Now()
	e.probe.text = "payments changed"
	e.h.Router.HomeChangedForTeams(context.Background(), "group:default/payments")
	e.h.Clock.Set(start.Add(DefaultDebounce))
	e.h.RunJobs()
	if a, b := e.homes("U0ALICE"), e.homes("U0BOB"); len(a) != 2 || len(b) != 1 || !strings.Contains(a[1], "payments changed") {
		t.Fatalf("publications: alice %d (want 2: a member), bob %d (want 1: another team)", len(a), len(b))
	}
}

// TestExpiredViewerIsNotRepublished: someone who has not opened their
// Home for ViewerTTL is dropped and not republished, for a change naming
// them, for everyone or for an audience; opening it again publishes it and
// brings them back.
func TestExpiredViewerIsNotRepublished(t *testing.T) {
	e := newEnv(t)
	e.open("U0ALICE")
	e.h.Clock.Advance(ViewerTTL + time.Hour)
	e.open("U0BOB")
	e.h.Clock.Set(e.h.Clock.Now().Truncate(DefaultDebounce))
	start := e.h.Clock.Now()
	all := func(context.Context, *bot.Request) (bool, error) { return true, nil }
	e.probe.set("named", "U0ALICE", "U0BOB")
	e.probe.set("everyone")
	e.h.Router.HomeChangedFor(context.Background(), all)
	e.h.Clock.Set(start.Add(DefaultDebounce))
	e.h.RunJobs()
	if a, b := len(e.homes("U0ALICE")), len(e.homes("U0BOB")); a != 1 || b != 2 {
		t.Fatalf("publications: alice %d (want 1: expired), bob %d (want 2)", a, b)
	}
	if _, err := e.h.Store.GetRecord(context.Background(), KindViewer, "U0ALICE"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired viewer record: %v, want dropped", err)
	}
	e.open("U0ALICE")
	e.probe.set("back", "U0ALICE")
	e.h.Clock.Set(start.Add(2 * DefaultDebounce))
	e.h.RunJobs()
	if hs := e.homes("U0ALICE"); len(hs) != 3 || !strings.Contains(hs[2], "back for U0ALICE") {
		t.Fatalf("alice after opening again: %d publications", len(hs))
	}
}

// TestPlatAloneSummarizesHome: `/plat` alone and `/plat home` answer with
// one line per section and point to the Home tab.
func TestPlatAloneSummarizesHome(t *testing.T) {
	e := newEnv(t)
	for _, text := range []string{"", "home"} {
		out := e.h.Run("U0ALICE", text)
		for _, want := range []string{"Your teams own 2 service(s)", "probe says nothing pending", "Home"} {
			if !strings.Contains(out, want) {
				t.Errorf("/plat %s = %q, lacks %q", text, out, want)
			}
		}
	}
}

// TestConfigValidate names the key.
func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.Debounce = Duration(10 * time.Millisecond)
	if _, err := New(c, Deps{Store: nil}); err == nil || !strings.Contains(err.Error(), "home.debounce") {
		t.Fatalf("err = %v", err)
	}
	c = DefaultConfig()
	c.PublishInterval = Duration(-time.Second)
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "home.publishInterval") {
		t.Fatalf("err = %v", err)
	}
}

// TestPublicationSlotsSharedByReplicas: two processes over one store book
// views.publish slots from the same record, so together they publish at
// most once per publishInterval.
func TestPublicationSlotsSharedByReplicas(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	cat := catalogtest.FromEntities(t, catalogtest.Group("payments"))
	var at []time.Time
	replica := func() *Home {
		hm, err := New(DefaultConfig(), Deps{Store: h.Store, Catalog: cat.Catalog, Logger: h.Logs.Logger(), Now: h.Clock.Now,
			Sleep: func(ctx context.Context, d time.Duration) error { return h.Clock.Sleep(ctx, d) }})
		if err != nil {
			t.Fatal(err)
		}
		return hm
	}
	a, b := replica(), replica()
	start := h.Clock.Now()
	for _, r := range []*Home{a, b, a, b} {
		if err := r.waitSlot(context.Background()); err != nil {
			t.Fatal(err)
		}
		at = append(at, h.Clock.Now())
	}
	for i, got := range at {
		if want := start.Add(time.Duration(i) * DefaultPublishInterval); !got.Equal(want) {
			t.Errorf("publication %d at +%s, want +%s", i, got.Sub(start), want.Sub(start))
		}
	}
	// After a quiet spell the next slot is at once.
	h.Clock.Advance(time.Minute)
	now := h.Clock.Now()
	if err := b.waitSlot(context.Background()); err != nil || !h.Clock.Now().Equal(now) {
		t.Fatalf("after a quiet minute: waited %s, %v", h.Clock.Now().Sub(now), err)
	}
}

// bulky is a feature whose Home section has n blocks.
type bulky struct {
	name  string
	order int
	n     int
}

func (b *bulky) Name() string { return b.name }
func (b *bulky) Register(reg *bot.Registry) error {
	reg.HomeSection(bot.HomeSection{Order: b.order, Build: func(context.Context, *bot.Request) ([]bot.Block, error) {
		out := make([]bot.Block, b.n)
		for i := range out {
			out[i] = bot.Section{Text: fmt.Sprintf("%s line %d", b.name, i)}
		}
		return out, nil
	}})
	return nil
}
func (b *bulky) Resume(context.Context) error { return nil }

// TestFullHomeKeepsWholeSections: a Home whose sections add up to more
// than Slack's 100 blocks shows the sections that fit whole (a later,
// smaller one too), names the ones left out, and stays within the limit.
func TestFullHomeKeepsWholeSections(t *testing.T) {
	e := newEnv(t, &bulky{name: "bulky", order: 15, n: 60}, &bulky{name: "huge", order: 16, n: 60}, &bulky{name: "small", order: 50, n: 3})
	e.open("U0ALICE")
	hs := e.homes("U0ALICE")
	if len(hs) != 1 {
		t.Fatalf("%d publications", len(hs))
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(hs[0]), &blocks); err != nil {
		t.Fatal(err)
	}
	home := hs[0]
	if len(blocks) > 100 || !strings.Contains(home, "bulky line 59") || strings.Contains(home, "huge line 0") ||
		!strings.Contains(home, "small line 2") || !strings.Contains(home, "nothing pending for U0ALICE") ||
		!strings.Contains(home, "these parts are not shown: huge.") || strings.Contains(home, "more not shown") {
		t.Fatalf("%d blocks: %s", len(blocks), home)
	}
}

// TestReopeningWithinTheWindowPublishesOnce: someone flipping to the Home
// tab again and again gets their first opening published at once and the
// others once, at the end of the debounce window.
func TestReopeningWithinTheWindowPublishesOnce(t *testing.T) {
	e := newEnv(t)
	e.h.Clock.Set(e.h.Clock.Now().Truncate(DefaultDebounce)) // the start of a window
	start := e.h.Clock.Now()
	e.open("U0ALICE")
	if n := len(e.homes("U0ALICE")); n != 1 {
		t.Fatalf("publications after opening = %d, want 1", n)
	}
	for range 3 {
		e.h.Clock.Advance(time.Second)
		e.open("U0ALICE")
	}
	if n := len(e.homes("U0ALICE")); n != 1 {
		t.Fatalf("publications after reopening within the window = %d, want 1", n)
	}
	e.probe.set("1 request waits", "U0ALICE")
	e.h.Clock.Set(start.Add(DefaultDebounce))
	e.h.RunJobs()
	hs := e.homes("U0ALICE")
	if len(hs) != 2 || !strings.Contains(hs[1], "1 request waits for U0ALICE") {
		t.Fatalf("publications at the window's end = %d, want 2 with the latest state: %v", len(hs), hs)
	}
	// Opened again long after: published at once.
	e.h.Clock.Advance(time.Minute)
	e.open("U0ALICE")
	if n := len(e.homes("U0ALICE")); n != 3 {
		t.Fatalf("publications after opening a minute later = %d, want 3", n)
	}
}
