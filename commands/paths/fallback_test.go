package paths

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/integrations/vault/vaultfake"
	"github.com/platbot/platbot/store"
)

// notInChannel is a messenger whose posts to one channel fail, as Slack's
// do when the bot is not a member ("not_in_channel"); with dmDown set,
// direct messages fail too. Everything else is recorded by the wrapped
// messenger.
type notInChannel struct {
	*bottest.Messenger
	channel string
	mu      sync.Mutex
	dmDown  bool
}

func (m *notInChannel) Post(ctx context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	if channel == m.channel {
		return bot.MessageRef{}, errors.New("slack: not_in_channel")
	}
	return m.Messenger.Post(ctx, channel, msg)
}

func (m *notInChannel) DM(ctx context.Context, userID string, msg bot.Message) (bot.MessageRef, error) {
	m.mu.Lock()
	down := m.dmDown
	m.mu.Unlock()
	if down {
		return bot.MessageRef{}, errors.New("slack: cannot_dm_user")
	}
	return m.Messenger.DM(ctx, userID, msg)
}

func (m *notInChannel) setDMDown(down bool) {
	m.mu.Lock()
	m.dmDown = down
	m.mu.Unlock()
}

// When the progress cannot be posted in the channel the run was started
// from, it goes to the requester by DM, and every update (steps, failure
// with its Retry button, links) edits that DM.
func TestProgressFallsBackToDM(t *testing.T) {
	fv := vaultfake.New()
	defer fv.Close()
	rec := bottest.NewMessenger()
	m := &notInChannel{Messenger: rec, channel: "C-platform"}
	e := newEnv(t, envOptions{msgr: rec, messenger: m, secrets: vaultBackend(t, fv)})
	fv.SetDown(true)
	f := e.form(userJane, "new-db")
	if errs := e.submit(userJane, f, newDBValues("orders-db", "dev")); errs != nil {
		t.Fatal(errs)
	}
	r := e.onlyRun()
	if !r.ProgressDM || r.Progress.Channel != "D-"+userJane {
		t.Fatalf("progress at %+v (dm %v)", r.Progress, r.ProgressDM)
	}
	if dms := rec.Ops("dm"); len(dms) != 1 || dms[0].User != userJane {
		t.Fatalf("DMs %+v", dms)
	}
	if posts := rec.Ops("post"); len(posts) != 0 {
		t.Fatalf("posts %+v", posts)
	}
	e.drain()
	r = e.onlyRun()
	if r.State != RunFailed {
		t.Fatalf("run %s", r.State)
	}
	msg := e.progress(r)
	text := bot.PlainText(msg)
	if !strings.Contains(text, "❌") || !strings.Contains(text, "could not post in <#C-platform>") || !strings.Contains(text, "/invite") {
		t.Fatalf("failure in the DM:\n%s", text)
	}
	b := buttons(msg)
	if len(b) != 1 || b[0].ActionID != "paths:retry:"+r.ID {
		t.Fatalf("buttons %+v", b)
	}
	fv.SetDown(false)
	e.click(userJane, b[0])
	e.drain()
	r = e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("after retry: %s %s", r.State, r.Error)
	}
	if final := bot.PlainText(e.progress(r)); !strings.Contains(final, "ready for review") || !strings.Contains(final, "Pull request") {
		t.Fatalf("final DM:\n%s", final)
	}
	for _, u := range rec.Ops("update") {
		if u.Ref != r.Progress {
			t.Fatalf("an update went elsewhere: %+v", u.Ref)
		}
	}
	if dms := rec.Ops("dm"); len(dms) != 1 {
		t.Fatalf("%d DMs, want the one progress message", len(dms))
	}
}

// When neither the channel nor a DM works, the answer to the submission
// says where the run is; Resume (after a restart) posts the progress by DM
// once that works again.
func TestProgressFallbackOnResume(t *testing.T) {
	rec := bottest.NewMessenger()
	m := &notInChannel{Messenger: rec, channel: "C-platform", dmDown: true}
	e := newEnv(t, envOptions{msgr: rec, messenger: m})
	f := e.form(userJane, "new-db")
	n := len(rec.Sent())
	if errs := e.submit(userJane, f, newDBValues("orders-db", "dev")); errs != nil {
		t.Fatal(errs)
	}
	r := e.onlyRun()
	if !r.Progress.Zero() {
		t.Fatalf("progress at %+v", r.Progress)
	}
	reply := rec.Sent()[n:]
	if len(reply) != 1 || reply[0].Op != "respond" || !strings.Contains(reply[0].Text(), "/plat run "+r.ID) {
		t.Fatalf("reply %+v", reply)
	}
	m.setDMDown(false)
	if err := e.paths.Resume(e.ctx); err != nil {
		t.Fatal(err)
	}
	r = e.onlyRun()
	if !r.ProgressDM || r.Progress.Channel != "D-"+userJane {
		t.Fatalf("after resume: progress at %+v", r.Progress)
	}
	e.drain()
	r = e.onlyRun()
	if final := bot.PlainText(e.progress(r)); r.State != RunSucceeded || !strings.Contains(final, "ready for review") {
		t.Fatalf("run %s, final:\n%s", r.State, final)
	}
}

// A preview's "Create it" works for Config.PreviewTTL (1h); after that it
// says to preview again, and expired previews are deleted.
func TestPreviewExpires(t *testing.T) {
	e := newEnv(t, envOptions{})
	now := time.Now()
	var mu sync.Mutex
	e.paths.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	previews := func() []store.Record {
		recs, err := e.st.ListRecords(e.ctx, store.Query{Kind: KindPreview})
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	dryRun := func(name string) bot.Button {
		f := e.form(userJane, "new-db --dry-run")
		if errs := e.submit(userJane, f, newDBValues(name)); errs != nil {
			t.Fatal(errs)
		}
		last := e.msgr.Last()
		if !strings.Contains(last.Text(), `"Create it" works for 1 hour`) {
			t.Fatalf("preview:\n%s", last.Text())
		}
		b := buttons(last.Msg)
		if len(b) != 1 {
			t.Fatalf("buttons %+v", b)
		}
		return b[0]
	}

	old := dryRun("old-db")
	advance(59 * time.Minute)
	fresh := dryRun("fresh-db")
	if len(previews()) != 2 {
		t.Fatalf("%d previews", len(previews()))
	}
	// Each preview has its expiry job, due at its expiry.
	jobs, err := e.st.Jobs(e.ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	expiries := 0
	for _, j := range jobs {
		if j.Kind == JobPreviewExpire {
			expiries++
		}
	}
	if expiries != 2 {
		t.Fatalf("%d expiry jobs", expiries)
	}

	advance(2 * time.Minute) // old is 61 minutes old, fresh 2
	e.click(userJane, old)
	if out := e.msgr.Last().Text(); !strings.Contains(out, "That preview expired") || !strings.Contains(out, "/plat new-db --dry-run") {
		t.Fatalf("expired create: %s", out)
	}
	if len(e.runs()) != 0 || len(previews()) != 1 {
		t.Fatalf("%d runs, %d previews", len(e.runs()), len(previews()))
	}
	e.click(userJane, old)
	if out := e.msgr.Last().Text(); !strings.Contains(out, "expired or is gone") {
		t.Fatalf("second click: %s", out)
	}

	// The expiry job deletes a preview (here fresh, run before it is due).
	payload := []byte(`{"preview":"` + fresh.Value + `"}`)
	if err := e.paths.expirePreviewJob(e.ctx, payload); err != nil {
		t.Fatal(err)
	}
	if len(previews()) != 0 {
		t.Fatal("the expiry job left the preview")
	}

	// Resume prunes previews whose job was lost (or that predate expiry).
	dryRun("lost-db")
	advance(30 * time.Minute)
	dryRun("kept-db")
	advance(31 * time.Minute) // lost-db is 61 minutes old, kept-db 31
	if err := e.paths.Resume(e.ctx); err != nil {
		t.Fatal(err)
	}
	left := previews()
	if len(left) != 1 {
		t.Fatalf("%d previews left after pruning", len(left))
	}
	if n, err := e.paths.prunePreviews(e.ctx); err != nil || n != 0 {
		t.Fatalf("second prune: %d %v", n, err)
	}
	// The one left still creates its run.
	e.click(userJane, bot.Button{ActionID: ActionPrefix + ":create:" + left[0].ID, Value: left[0].ID})
	e.drain()
	if r := e.onlyRun(); r.State != RunSucceeded || r.Name != "kept-db" {
		t.Fatalf("run %s %s %s", r.Name, r.State, r.Error)
	}
}
