package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack/slackfake"
	goslack "github.com/slack-go/slack"
)

// homeEnv is newEnv with a handler that unfurls links of two domains, a
// Home job that publishes one section, and an unfurler of one repository.
func homeEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newEnv(t)
	h, err := NewHandler(HandlerOptions{
		Router: e.router, Views: e.msgr, SigningSecret: testSecret, Logger: discardLogger(),
		UnfurlDomains: []string{"github.example.com", "argocd.example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.router.HandleJob(bot.JobHomeOpened, func(ctx context.Context, payload json.RawMessage) error {
		req, err := bot.DecodeRequestJob(payload)
		if err != nil {
			return err
		}
		if err := e.router.Prepare(ctx, req); err != nil {
			return err
		}
		return req.Messenger().(bot.HomePublisher).PublishHome(ctx, req.User.ID, []bot.Block{
			bot.Header{Text: "Your platform"},
			bot.Section{Text: "orders-db waits for you"},
			bot.Actions{Buttons: []bot.Button{{ActionID: "approve:db", Text: "Approve", Value: "orders-db", Style: bot.StylePrimary}}},
		})
	})
	e.router.AddUnfurler("test", func(_ context.Context, req *bot.Request, link string) (bot.Message, bool, error) {
		if !strings.HasPrefix(link, "https://github.example.com/acme/orders") {
			return bot.Message{}, false, nil
		}
		return bot.Message{Text: "orders", Blocks: []bot.Block{bot.Section{Text: "*orders* shared by " + req.User.ID}}}, true, nil
	})
	return e
}

// TestAppHomeOpenedPublishesHome: opening the Home tab (not the Messages
// tab) queues one job per event, which publishes the person's Home with
// views.publish; a button on it is the same action as on a message, with
// no channel, so its answer goes by DM.
func TestAppHomeOpenedPublishesHome(t *testing.T) {
	e := homeEnv(t)
	opened := eventBody("Ev0HOME", map[string]any{"type": "app_home_opened", "user": "U0CAROL", "channel": "D0CAROL", "tab": "home", "event_ts": "1700000100.000100"})
	for i := 0; i < 2; i++ { // Slack's retry of the same event
		if rec := e.post(PathEvents, opened); rec.Code != http.StatusOK {
			t.Fatalf("ack = %d", rec.Code)
		}
	}
	e.post(PathEvents, eventBody("Ev0MSGS", map[string]any{"type": "app_home_opened", "user": "U0CAROL", "channel": "D0CAROL", "tab": "messages"}))
	var got []bot.Request
	for _, j := range e.q.Jobs() {
		if j.Kind == bot.JobHomeOpened {
			var req bot.Request
			if err := json.Unmarshal(j.Payload, &req); err != nil {
				t.Fatal(err)
			}
			got = append(got, req)
		}
	}
	if len(got) != 1 || got[0].User.ID != "U0CAROL" || got[0].ID != "Ev0HOME" {
		t.Fatalf("home jobs = %+v, want one for U0CAROL", got)
	}
	e.runJobs()
	pubs := e.fake.Calls("views.publish")
	if len(pubs) != 1 || pubs[0].Failed() {
		t.Fatalf("views.publish calls = %+v", pubs)
	}
	if pubs[0].HomeUser != "U0CAROL" || pubs[0].Home.Type != "home" || pubs[0].Home.CallbackID != HomeCallbackID {
		t.Fatalf("published %q for %q", pubs[0].Home.Type, pubs[0].HomeUser)
	}
	home, ok := e.fake.Home("U0CAROL")
	if !ok || !strings.Contains(string(mustJSONBytes(t, home.Blocks)), "orders-db waits for you") {
		t.Fatalf("home = %s", mustJSONBytes(t, home.Blocks))
	}

	// The Approve button on the Home, as Slack sends its click.
	click := blockActions("U0CAROL", "approve:db", "orders-db", "1700000200.000300", "")
	delete(click, "response_url")
	delete(click, "channel")
	delete(click, "message")
	click["container"] = map[string]any{"type": "view", "view_id": "V0HOME"}
	click["view"] = map[string]any{"id": "V0HOME", "type": "home", "callback_id": HomeCallbackID, "hash": "1.x"}
	if rec := e.post(PathInteractions, slackfake.InteractionBody(click)); rec.Code != http.StatusOK {
		t.Fatalf("click ack = %d", rec.Code)
	}
	acts := e.jobs(bot.JobAction)
	if len(acts) != 1 || acts[0].Channel != "" || acts[0].User.ID != "U0CAROL" {
		t.Fatalf("action jobs = %+v", acts)
	}
	e.runJobs()
	posts := e.fake.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Channel() != "DU0CAROL" || posts[0].Text() != "approved orders-db by U0CAROL on " {
		t.Fatalf("answer to the Home click = %+v", posts)
	}
	if n := len(e.fake.Calls("views.update")); n != 0 {
		t.Fatalf("a Home click was taken for a form change: %d views.update", n)
	}
}

// TestLinkSharedUnfurls: a link_shared event queues the links on the
// configured domains (subdomains too, not look-alikes), once per event;
// links typed in the composer are left alone; the job attaches the
// previews unfurlers give with chat.unfurl and leaves the rest bare.
func TestLinkSharedUnfurls(t *testing.T) {
	e := homeEnv(t)
	links := []any{
		map[string]any{"domain": "github.example.com", "url": "https://github.example.com/acme/orders"},
		map[string]any{"domain": "github.example.com", "url": "https://github.example.com/acme/other/pull/4"},
		map[string]any{"domain": "cd.argocd.example.com", "url": "https://cd.argocd.example.com/applications/x"},
		map[string]any{"domain": "evilgithub.example.com", "url": "https://evilgithub.example.com/acme/orders"},
		map[string]any{"domain": "example.org", "url": "https://example.org/"},
	}
	shared := eventBody("Ev0LINK", map[string]any{
		"type": "link_shared", "user": "U0CAROL", "channel": "C0DEV", "message_ts": "1700000100.000200",
		"source": "conversations_history", "unfurl_id": "U1", "links": links,
	})
	for i := 0; i < 2; i++ {
		if rec := e.post(PathEvents, shared); rec.Code != http.StatusOK {
			t.Fatalf("ack = %d", rec.Code)
		}
	}
	e.post(PathEvents, eventBody("Ev0COMPOSE", map[string]any{
		"type": "link_shared", "user": "U0CAROL", "channel": "COMPOSER", "message_ts": "U0CAROL-1", "source": "composer", "links": links,
	}))
	e.post(PathEvents, eventBody("Ev0ELSEWHERE", map[string]any{
		"type": "link_shared", "user": "U0CAROL", "channel": "C0DEV", "message_ts": "1700000100.000300", "source": "conversations_history",
		"links": []any{map[string]any{"domain": "example.org", "url": "https://example.org/"}},
	}))
	var jobs []bot.UnfurlPayload
	for _, j := range e.q.Jobs() {
		if j.Kind == bot.JobUnfurl {
			var p bot.UnfurlPayload
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, p)
		}
	}
	if len(jobs) != 1 {
		t.Fatalf("unfurl jobs = %+v, want 1", jobs)
	}
	want := []string{"https://github.example.com/acme/orders", "https://github.example.com/acme/other/pull/4", "https://cd.argocd.example.com/applications/x"}
	if p := jobs[0]; strings.Join(p.Links, " ") != strings.Join(want, " ") || p.MessageTS != "1700000100.000200" || p.Request.Channel != "C0DEV" || p.Request.User.ID != "U0CAROL" {
		t.Fatalf("unfurl job = %+v", p)
	}
	e.runJobs()
	calls := e.fake.Calls("chat.unfurl")
	if len(calls) != 1 || calls[0].Failed() {
		t.Fatalf("chat.unfurl calls = %+v", calls)
	}
	c := calls[0]
	if c.Channel() != "C0DEV" || c.Param("ts") != "1700000100.000200" || len(c.Unfurls) != 1 {
		t.Fatalf("unfurl = channel %q ts %q unfurls %v", c.Channel(), c.Param("ts"), c.Unfurls)
	}
	u, ok := c.Unfurls["https://github.example.com/acme/orders"]
	if !ok || !strings.Contains(string(mustJSONBytes(t, u.Blocks)), "*orders* shared by U0CAROL") {
		t.Fatalf("preview = %+v", c.Unfurls)
	}
}

// TestNormalizeUnfurlDomains: host names only.
func TestNormalizeUnfurlDomains(t *testing.T) {
	got, err := NormalizeUnfurlDomains([]string{" GitHub.Example.com ", "argocd.example.com"})
	if err != nil || strings.Join(got, ",") != "github.example.com,argocd.example.com" {
		t.Fatalf("got %v %v", got, err)
	}
	for _, bad := range []string{"https://github.com", "github.com/acme", "github.com:443", "", ".example.com"} {
		if _, err := NormalizeUnfurlDomains([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func mustJSONBytes(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHomeBlocksCutAtADivider: a Home whose blocks make more than Slack's
// limit once rendered (a long text makes several section blocks) ends at
// the last divider that fits, with a line saying what was left out, so
// nothing between two dividers is cut in the middle; within the limit it
// is rendered whole.
func TestHomeBlocksCutAtADivider(t *testing.T) {
	var blocks []bot.Block
	for s := range 4 {
		blocks = append(blocks, bot.Divider{})
		for i := range 22 {
			blocks = append(blocks, bot.Section{Text: fmt.Sprintf("section %d card %d", s, i)})
		}
		blocks = append(blocks, bot.Actions{Buttons: []bot.Button{{ActionID: "approve", Text: "Approve", Value: fmt.Sprint(s)}}})
	}
	if out := homeBlocks(blocks, MaxHomeBlocks); len(out) != len(blocks) {
		t.Fatalf("%d bot blocks within the limit rendered as %d", len(blocks), len(out))
	}
	// The second section's first card is long: nine section blocks.
	blocks[25] = bot.Section{Text: strings.Repeat("long text ", 9*MaxSectionText/10-5)}
	out := homeBlocks(blocks, MaxHomeBlocks)
	if len(out) > MaxHomeBlocks {
		t.Fatalf("%d blocks, over the limit", len(out))
	}
	raw, _ := json.Marshal(out)
	js := string(raw)
	if !strings.Contains(js, "section 2 card 21") || !strings.Contains(js, `"value":"2"`) || strings.Contains(js, "section 3 card 0") ||
		!strings.Contains(js, "more block(s) not shown: your Home is full") {
		t.Fatalf("not cut at the last divider that fits: %s", js)
	}
	if _, ok := out[len(out)-2].(*goslack.ActionBlock); !ok {
		t.Fatalf("the block before the note is %T, want the last kept section's buttons", out[len(out)-2])
	}
}
