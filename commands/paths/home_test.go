package paths

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
	"github.com/platbot/platbot/store"
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
	// The run is found by the pull request it opened, without reading the
	// runs; a run recorded before that index is found by reading them.
	idx, err := e.st.GetRecord(e.ctx, KindRunPullRequest, "github.example/acme/gitops/pull/1")
	if err != nil || idx.Key != r.ID {
		t.Fatalf("the run of the pull request: %+v, %v", idx, err)
	}
	if _, ok := e.router.Previews(e.ctx, &bot.Request{ID: "u0", User: bot.User{ID: userJane}}, []string{pr})[pr]; !ok {
		t.Fatalf("no preview through the index")
	}
	// A record naming a run that did not open the pull request is not
	// believed.
	other := "https://github.example/acme/gitops/pull/2"
	if _, err := e.st.PutRecord(e.ctx, store.Record{Kind: KindRunPullRequest, ID: "github.example/acme/gitops/pull/2", Key: r.ID, State: "opened", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if p := e.router.Previews(e.ctx, &bot.Request{ID: "u5", User: bot.User{ID: userJane}}, []string{other}); len(p) != 0 {
		t.Fatalf("previewed another pull request as this run: %v", p)
	}
	if err := e.st.DeleteRecord(e.ctx, KindRunPullRequest, idx.ID); err != nil {
		t.Fatal(err)
	}
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

// TestHomeTemplatesWaitingForAdmins: an admin's Home lists the template
// versions waiting for approval with Diff and Approve buttons; Approve
// approves exactly that version (as `/plat template approve --version`),
// checked by the policy like the command, and tells the Homes; nobody else
// sees the section, and a click by a non-admin is refused.
func TestHomeTemplatesWaitingForAdmins(t *testing.T) {
	e := newEnv(t, envOptions{noApprove: true})
	var changes int
	e.router.OnHomeChanged(func(_ context.Context, users []string) {
		if len(users) == 0 {
			changes++
		}
	})
	admin := &bot.Request{User: bot.User{ID: userAdmin}}
	blocks, err := e.paths.templatesSection(e.ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	msg := bot.Message{Blocks: blocks}
	text := bot.PlainText(msg)
	if !strings.Contains(text, "*Template versions waiting for your approval*") || !strings.Contains(text, "`new-db` version `") || !strings.Contains(text, "never approved") {
		t.Fatalf("admin's section:\n%s", text)
	}
	var approve, diff *bot.Button
	for _, b := range blocks {
		if a, ok := b.(bot.Actions); ok {
			for i := range a.Buttons {
				if strings.HasPrefix(a.Buttons[i].Value, "new-db") {
					switch a.Buttons[i].Text {
					case "Approve":
						approve = &a.Buttons[i]
					case "Diff":
						diff = &a.Buttons[i]
					}
				}
			}
		}
	}
	if approve == nil || diff == nil {
		t.Fatalf("no Diff and Approve buttons for new-db:\n%s", text)
	}
	if blocks, _ := e.paths.templatesSection(e.ctx, &bot.Request{User: bot.User{ID: userJane}}); len(blocks) != 0 {
		t.Fatalf("a non-admin sees templates waiting: %v", blocks)
	}

	// Jane's click (a forged one: she has no such button) is refused.
	e.click(userJane, *approve)
	if e.approved("new-db") != nil || !strings.Contains(e.msgr.Last().Text(), "admins-only") {
		t.Fatalf("a non-admin's click approved it, or was not refused: %q", e.msgr.Last().Text())
	}
	before := len(e.msgr.Sent())
	e.click(userAdmin, *diff)
	var answered string
	for _, s := range e.msgr.Sent()[before:] {
		answered += s.Text() + "\n"
	}
	if !strings.Contains(answered, "has never been approved") {
		t.Fatalf("diff answer: %q", answered)
	}
	e.click(userAdmin, *approve)
	if got := e.approved("new-db"); got == nil || !strings.HasPrefix(approve.Value, "new-db@"+got.Hash) {
		t.Fatalf("approved %v by the button %q", got, approve.Value)
	}
	if changes == 0 {
		t.Fatal("the approval did not tell the Homes")
	}
	blocks, _ = e.paths.templatesSection(e.ctx, admin)
	if strings.Contains(bot.PlainText(bot.Message{Blocks: blocks}), "`new-db`") {
		t.Fatal("new-db still waits after its approval")
	}
	// A button for a version that is no longer current is refused.
	stale := *approve
	stale.Value = "new-db@0000000000000000"
	e.click(userAdmin, stale)
	if !strings.Contains(e.msgr.Last().Text(), "it changed since you reviewed it") && !strings.Contains(e.msgr.Last().Text(), "already approved") {
		t.Fatalf("stale version: %q", e.msgr.Last().Text())
	}
}
