package paths

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
)

// TestPullRequestUnfurlsIntoItsRun: a link to the pull request a run
// opened (or a page of it) previews as the run — template, requester,
// state — for whoever may see the run; for anyone else, and for pull
// requests no run opened, there is no preview. Each save of the run tells
// the requester's Home.
func TestPullRequestUnfurlsIntoItsRun(t *testing.T) {
	gh := newGHFake(t)
	fv := vaultfake.New()
	defer fv.Close()
	e := newEnv(t, envOptions{publisher: githubBackend(t, gh), secrets: vaultBackend(t, fv)})
	var mu sync.Mutex
	changed := map[string]int{}
	e.router.OnHomeChanged(func(_ context.Context, users []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, u := range users {
			changed[u]++
		}
	})
	f := e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	mu.Lock()
	if changed[userJane] == 0 || len(changed) != 1 {
		t.Errorf("Home changes told = %v, want the requester's", changed)
	}
	mu.Unlock()

	pr := "https://github.example/acme/gitops/pull/1"
	for _, link := range []string{pr, pr + "/files", "https://GITHUB.example/acme/gitops/pull/1?w=1"} {
		previews := e.router.Previews(e.ctx, &bot.Request{ID: "u1", User: bot.User{ID: userJane}}, []string{link})
		msg, ok := previews[link]
		if !ok {
			t.Fatalf("no preview of %s for its requester", link)
		}
		text := bot.PlainText(msg)
		for _, want := range []string{"Opened by platbot's golden-path run `" + r.ID + "`", "new-db", "<@" + userJane + ">", "succeeded", "/plat run " + r.ID} {
			if !strings.Contains(text, want) {
				t.Errorf("preview of %s lacks %q:\n%s", link, want, text)
			}
		}
	}
	// An admin may see every run; Bob, outside the owning team, may not.
	if _, ok := e.router.Previews(e.ctx, &bot.Request{ID: "u2", User: bot.User{ID: userAdmin}}, []string{pr})[pr]; !ok {
		t.Errorf("no preview for an admin")
	}
	if p := e.router.Previews(e.ctx, &bot.Request{ID: "u3", User: bot.User{ID: userBob}}, []string{pr}); len(p) != 0 {
		t.Errorf("previewed for someone who cannot see the run: %v", p)
	}
	// Pull requests no run opened, and links that are no pull request.
	for _, link := range []string{"https://github.example/acme/gitops/pull/99", "https://github.example/acme/gitops", "https://github.example/acme/gitops/issues/1", "not a url"} {
		if p := e.router.Previews(e.ctx, &bot.Request{ID: "u4", User: bot.User{ID: userJane}}, []string{link}); len(p) != 0 {
			t.Errorf("%s previewed: %v", link, p)
		}
	}
}

// TestHomeListsOpenRuns: the requester's Home lists a failed run with its
// Retry button, and nobody else's; `/plat home`'s line counts them.
func TestHomeListsOpenRuns(t *testing.T) {
	gh := newGHFake(t)
	e := newEnv(t, envOptions{publisher: githubBackend(t, gh)})
	gh.SetFail(func(method, path string) (int, string) {
		if method == "POST" && path == "/repos/acme/gitops/pulls" {
			return 422, `{"message":"no"}`
		}
		return 0, ""
	})
	f := e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db")); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunFailed {
		t.Fatalf("run %s, want failed", r.State)
	}
	blocks, err := e.paths.homeSection(e.ctx, &bot.Request{User: bot.User{ID: userJane}})
	if err != nil {
		t.Fatal(err)
	}
	text := bot.PlainText(bot.Message{Blocks: blocks})
	if !strings.Contains(text, "*Your open golden-path runs* (1)") || !strings.Contains(text, r.ID) || !strings.Contains(text, "[Retry]") {
		t.Fatalf("Jane's runs section:\n%s", text)
	}
	var retry *bot.Button
	for _, b := range blocks {
		if s, ok := b.(bot.Section); ok && s.Accessory != nil {
			retry = s.Accessory
		}
	}
	if retry == nil || retry.ActionID != ActionPrefix+":retry" || retry.Value != r.ID {
		t.Fatalf("retry button = %+v", retry)
	}
	if line, err := e.paths.homeSummary(e.ctx, &bot.Request{User: bot.User{ID: userJane}}); err != nil || !strings.Contains(line, "1 open golden-path run(s), 1 of them failed") {
		t.Fatalf("summary = %q, %v", line, err)
	}
	if blocks, err := e.paths.homeSection(e.ctx, &bot.Request{User: bot.User{ID: userBob}}); err != nil || len(blocks) != 0 {
		t.Fatalf("Bob's runs section = %v, %v", blocks, err)
	}
}
