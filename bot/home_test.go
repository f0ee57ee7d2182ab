package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

// previewer is a messenger that can unfurl, recording what it attached.
type previewer struct {
	*bottest.Messenger
	channel, ts string
	previews    map[string]bot.Message
}

func (p *previewer) Unfurl(_ context.Context, channel, ts string, previews map[string]bot.Message) error {
	p.channel, p.ts, p.previews = channel, ts, previews
	return nil
}

// TestHomeSectionsAndChanges: sections come back by Order with the
// feature that registered them; HomeChanged passes the people it names to
// every listener, nobody for "anyone", and nothing when it names only
// unknown people.
func TestHomeSectionsAndChanges(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	var got []string
	h.Router.OnHomeChanged(func(_ context.Context, ids []string) { got = append(got, fmt.Sprintf("%v", ids)) })
	section := func(order int) bot.HomeSection {
		return bot.HomeSection{Order: order, Build: func(context.Context, *bot.Request) ([]bot.Block, error) { return nil, nil }}
	}
	var calls []string
	err := bot.NewRegistry(h.Router, nil).Install(
		&testFeature{name: "late", calls: &calls, register: func(reg *bot.Registry) error { reg.HomeSection(section(30)); return nil }},
		&testFeature{name: "early", calls: &calls, register: func(reg *bot.Registry) error { reg.HomeSection(section(10)); return nil }},
	)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range h.Router.HomeSections() {
		order = append(order, fmt.Sprintf("%s:%d", s.Feature, s.Order))
	}
	if strings.Join(order, " ") != "early:10 late:30" {
		t.Fatalf("sections = %v", order)
	}
	ctx := context.Background()
	h.Router.HomeChanged(ctx, "U1", "", "U2")
	h.Router.HomeChanged(ctx)
	h.Router.HomeChanged(ctx, "")
	if strings.Join(got, " ") != "[U1 U2] []" {
		t.Fatalf("listener got %v", got)
	}
	var none *bot.Router
	none.HomeChanged(ctx, "U1") // a feature without a router: nothing happens
}

// TestPlatAloneIsHelpWithoutAHome: with no `home` command registered,
// `/plat` alone still answers with the help.
func TestPlatAloneIsHelpWithoutAHome(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	h.Router.Register(&bot.Command{Name: "ping", Summary: "Answers pong.", Handle: func(ctx context.Context, req *bot.Request) error { return req.Replyf(ctx, "pong") }})
	if out := h.Run("U1", ""); !strings.Contains(out, "ping") {
		t.Fatalf("/plat = %q, want the help", out)
	}
	h.Router.Register(&bot.Command{Name: "home", Handle: func(ctx context.Context, req *bot.Request) error { return req.Replyf(ctx, "your home") }})
	if out := h.Run("U1", ""); strings.TrimSpace(out) != "your home" {
		t.Fatalf("/plat with a home command = %q", out)
	}
}

// TestUnfurlJob: the first unfurler that knows a link previews it for the
// sharer; a failing unfurler leaves its link to the next; links nobody
// knows stay bare; the previews go out in one call and are audited.
func TestUnfurlJob(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{})
	p := &previewer{Messenger: h.Messenger}
	h.Router.SetMessenger(bot.TransportSlack, p)
	h.Router.AddUnfurler("broken", func(_ context.Context, _ *bot.Request, link string) (bot.Message, bool, error) {
		if strings.Contains(link, "/a") {
			return bot.Message{}, false, errors.New("backend down")
		}
		return bot.Message{}, false, nil
	})
	h.Router.AddUnfurler("first", func(_ context.Context, req *bot.Request, link string) (bot.Message, bool, error) {
		if strings.HasPrefix(link, "https://x.example/") {
			return bot.Message{Text: "first " + link + " for " + req.User.ID}, true, nil
		}
		return bot.Message{}, false, nil
	})
	h.Router.AddUnfurler("second", func(_ context.Context, _ *bot.Request, link string) (bot.Message, bool, error) {
		return bot.Message{Text: "second"}, strings.HasPrefix(link, "https://x.example/"), nil
	})
	req := &bot.Request{ID: "Ev1", Transport: bot.TransportSlack, User: bot.User{ID: "U1"}, Channel: "C1"}
	links := []string{"https://x.example/a", "https://x.example/b", "https://y.example/c"}
	if _, err := h.Router.Accept(context.Background(), bot.JobUnfurl, bot.UnfurlPayload{Request: req, MessageTS: "17.1", Links: links}, req); err != nil {
		t.Fatal(err)
	}
	if n := h.RunJobs(); n != 1 {
		t.Fatalf("jobs run = %d", n)
	}
	if p.channel != "C1" || p.ts != "17.1" || len(p.previews) != 2 || p.previews["https://x.example/a"].Text != "first https://x.example/a for U1" || p.previews["https://x.example/b"].Text != "first https://x.example/b for U1" {
		t.Fatalf("unfurled %s %s %v", p.channel, p.ts, p.previews)
	}
	if !strings.Contains(h.Logs.String(), "backend down") {
		t.Errorf("the failing unfurler was not logged: %s", h.Logs.String())
	}
	var audited bool
	for _, ev := range h.Audit.Events() {
		if ev.Action == "unfurl" && ev.Target == "C1" && fmt.Sprint(ev.Details["links"]) == "[https://x.example/a https://x.example/b]" {
			audited = true
		}
	}
	if !audited {
		t.Fatalf("no unfurl audit event: %+v", h.Audit.Events())
	}

	// At most MaxUnfurlLinks links of one message.
	var many []string
	for i := 0; i < bot.MaxUnfurlLinks+3; i++ {
		many = append(many, fmt.Sprintf("https://x.example/n%d", i))
	}
	if got := h.Router.Previews(context.Background(), req, many); len(got) != bot.MaxUnfurlLinks {
		t.Fatalf("previews = %d, want %d", len(got), bot.MaxUnfurlLinks)
	}
}
