package hygiene_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/hygiene"
	"github.com/platbot/platbot/store"
)

// accounts are Slack accounts by user id: true when deactivated.
type accounts map[string]bool

func (a accounts) Deactivated(_ context.Context, id string) (bool, error) { return a[id], nil }

// deploys answers the last deploy by component name.
type deploys map[string]time.Time

func (d deploys) LastDeployed(_ context.Context, e *catalog.Entity) (time.Time, bool, error) {
	at, ok := d[e.Metadata.Name]
	return at, ok, nil
}

type usage map[string]hygiene.Usage

func (u usage) Usage(_ context.Context, e *catalog.Entity) (hygiene.Usage, error) {
	return u[e.Metadata.Name], nil
}

// files reads the catalog's real files and records the pull requests.
type files struct {
	mu  sync.Mutex
	prs map[string]hygiene.Change // by branch
	by  map[string]string         // branch → file
}

func (f *files) Read(_ context.Context, file string) ([]byte, error) { return os.ReadFile(file) }

func (f *files) Propose(_ context.Context, file string, c hygiene.Change) (*hygiene.PullRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.prs == nil {
		f.prs, f.by = map[string]hygiene.Change{}, map[string]string{}
	}
	f.prs[c.Branch], f.by[c.Branch] = c, file
	return &hygiene.PullRequest{Number: len(f.prs), URL: "https://github.example/acme/catalog/pull/" + c.Branch, Branch: c.Branch}, nil
}

func (f *files) only(t *testing.T) (string, hygiene.Change) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.prs) != 1 {
		t.Fatalf("%d pull requests, want 1", len(f.prs))
	}
	for b, c := range f.prs {
		return f.by[b], c
	}
	return "", hygiene.Change{}
}

func (f *files) reset() {
	f.mu.Lock()
	f.prs, f.by = nil, nil
	f.mu.Unlock()
}

type env struct {
	h     *bottest.Harness
	fx    *fixture
	files *files
	feat  *hygiene.Hygiene
}

func newEnv(t *testing.T) *env {
	t.Helper()
	fx := newFixture(t)
	fx.degrade(t)
	h := bottest.NewHarness(t, bottest.HarnessOptions{Start: scanNow})
	e := &env{h: h, fx: fx, files: &files{}}
	e.install(t)
	return e
}

// install builds the feature over the harness's current router (again
// after a Restart: a restarted bot).
func (e *env) install(t *testing.T) {
	t.Helper()
	cfg := hygiene.DefaultConfig()
	cfg.PlatformChannel = "#platform"
	f, err := hygiene.New(cfg, hygiene.Deps{
		Store: e.h.Store, Catalog: e.fx.cat, Logger: e.h.Logs.Logger(), Now: e.h.Clock.Now, Sleep: e.h.Clock.Sleep,
		Accounts: accounts{"U3": true},
		Deploys:  deploys{"checkout": recently, "legacy": scanNow.AddDate(-2, 0, 0)},
		Usage:    usage{"old-api": {Requests: 1200, RequestsKnown: true}},
		Files:    e.files,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.NewRegistry(e.h.Router, nil).Install(f); err != nil {
		t.Fatal(err)
	}
	e.feat = f
}

// post returns the last message posted to channel whose text contains s.
func (e *env) post(t *testing.T, channel, s string) bottest.Sent {
	t.Helper()
	var found *bottest.Sent
	for _, m := range e.h.Messenger.Ops("post") {
		if m.Channel == channel && strings.Contains(m.Text(), s) {
			found = &m
		}
	}
	if found == nil {
		t.Fatalf("no post in %s containing %q; sent:\n%s", channel, s, e.h.Messenger.AllText())
	}
	return *found
}

func TestReportPostsToPlatformAndTeams(t *testing.T) {
	e := newEnv(t)
	// A dry run answers the admin only and records nothing.
	out := e.h.Run("U5", "catalog hygiene --dry-run")
	if !strings.Contains(out, "Dry run") || !strings.Contains(out, "10 findings") || len(e.h.Messenger.Ops("post")) != 0 {
		t.Fatalf("dry run: %s (posts: %d)", out, len(e.h.Messenger.Ops("post")))
	}
	if recs, err := e.h.Store.ListRecords(context.Background(), store.Query{Kind: hygiene.KindFinding}); err != nil || len(recs) != 0 {
		t.Fatalf("a dry run recorded %d findings (%v)", len(recs), err)
	}
	// The reply's text names the skipped location (not only its blocks).
	if !strings.Contains(out, "Skipped 1 location") || !strings.Contains(out, "fragile.yaml`") {
		t.Errorf("dry run does not name the skipped location: %s", out)
	}
	whole := regexp.MustCompile(`findings in (\d+) entities`).FindStringSubmatch(out)
	if whole == nil {
		t.Fatalf("dry run gives no entity count: %s", out)
	}
	// A team's summary counts the team's entities, not the catalog's.
	if out := e.h.Run("U5", "catalog hygiene --dry-run --team payments"); !strings.Contains(out, "6 findings in ") || strings.Contains(out, whole[0]) {
		t.Errorf("--team payments (the catalog: %s): %s", whole[0], out)
	}
	out = e.h.Run("U5", "catalog hygiene")
	if !strings.Contains(out, "Posted the hygiene report: 10 findings") {
		t.Fatalf("reply: %s", out)
	}
	sum := e.post(t, "#platform", "Catalog hygiene report")
	if !strings.Contains(sum.Text(), "Skipped `file:") || !strings.Contains(sum.Text(), "fragile.yaml") {
		t.Errorf("summary does not name the skipped location: %s", sum.Text())
	}
	legacy := e.post(t, "#payments", "legacy")
	for _, want := range []string{"No deploy in a year", "last deployed 2024-10-01", "Since 2024-10-01", "owner `group:default/payments`", "catalog.yaml:"} {
		if !strings.Contains(legacy.Text(), want) {
			t.Errorf("payments' report lacks %q: %s", want, legacy.Text())
		}
	}
	for _, b := range []string{"Keep", "Deprecate", "Delete"} {
		findingButton(t, legacy, "legacy", b)
	}
	if strings.Contains(e.h.Messenger.AllText(), "fragile") && !strings.Contains(sum.Text(), "fragile") {
		t.Errorf("an entity of the failed location was reported")
	}
	// The ghosts team is told about haunted in its own channel.
	e.post(t, "#ghosts", "haunted")
	// A retry of the same report posts nothing twice.
	before := len(e.h.Messenger.Ops("post"))
	if _, err := e.feat.Run(context.Background(), e.h.Messenger, hygiene.ScanOptions{ID: "request-" + "again"}); err != nil {
		t.Fatal(err)
	}
	again := len(e.h.Messenger.Ops("post")) - before
	if _, err := e.feat.Run(context.Background(), e.h.Messenger, hygiene.ScanOptions{ID: "request-" + "again"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.h.Messenger.Ops("post")) - before; n != again {
		t.Errorf("a retried report posted %d more messages", n-again)
	}
	// Only admins may run it (policy), and --dry-run records nothing.
	e.h.Policy.Deny(bot.ActionAdmin)
	e.h.Run("U1", "catalog hygiene")
	if seen := e.h.Policy.Seen(); len(seen) == 0 || seen[len(seen)-1].Action != bot.ActionAdmin {
		t.Errorf("the policy was not asked for admin: %+v", seen)
	}
}

func TestKeepSnoozesAcrossRestart(t *testing.T) {
	e := newEnv(t)
	e.h.Run("U5", "catalog hygiene")
	legacy := e.post(t, "#payments", "legacy")
	// A stranger may not keep payments' finding.
	if out := e.click(t, "U3x", legacy, "legacy", "Keep"); !strings.Contains(out, "Only members of payments or platform admins") {
		t.Fatalf("stranger's Keep: %s", out)
	}
	out := e.click(t, "U1", legacy, "legacy", "Keep")
	forms := e.h.Messenger.Ops("form")
	if len(forms) != 1 || forms[0].Form == nil || forms[0].Form.ID != "catalog hygiene keep" || forms[0].Form.Field("reason") == nil {
		t.Fatalf("Keep opened no form: %s", out)
	}
	id := findingButton(t, legacy, "legacy", "Keep").Value
	submit := func(user, reason string) string {
		before := len(e.h.Messenger.Sent())
		req := e.h.Messenger.NewRequest(user, "catalog hygiene keep", id)
		if err := e.h.Router.SubmitForm(context.Background(), req, "catalog hygiene keep", bot.Values{"reason": {reason}}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, s := range e.h.Messenger.Sent()[before:] {
			b.WriteString(s.Text() + "\n")
		}
		return b.String()
	}
	if out := submit("U1", "still used by the yearly audit export"); !strings.Contains(out, "Kept `legacy`") || !strings.Contains(out, "until 2026-12-31") {
		t.Fatalf("keep: %s", out)
	}
	// Submitting again (a double click, a retry) changes nothing.
	if out := submit("U1", "again"); !strings.Contains(out, "already kept until 2026-12-31") {
		t.Errorf("second keep: %s", out)
	}
	if n := countAudit(e.h, "hygiene.keep"); n != 1 {
		t.Errorf("%d hygiene.keep audit events, want 1", n)
	}

	// A restarted bot still snoozes it.
	e.h.Restart()
	e.install(t)
	res, err := e.feat.Scan(context.Background(), hygiene.ScanOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if listed(res, "component:default/legacy") || res.Snoozed != 1 {
		t.Errorf("after a restart: legacy listed=%v snoozed=%d", listed(res, "component:default/legacy"), res.Snoozed)
	}
	// A quarter later it is back.
	e.h.Clock.Advance(92 * 24 * time.Hour)
	res, err = e.feat.Scan(context.Background(), hygiene.ScanOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !listed(res, "component:default/legacy") || res.Snoozed != 0 {
		t.Errorf("after the snooze: legacy listed=%v snoozed=%d", listed(res, "component:default/legacy"), res.Snoozed)
	}
}

// click presses the button labelled label of the finding about name in a
// report message (each finding's buttons follow its section).
func (e *env) click(t *testing.T, user string, msg bottest.Sent, name, label string) string {
	t.Helper()
	btn := findingButton(t, msg, name, label)
	before := len(e.h.Messenger.Sent())
	req := e.h.Messenger.NewRequest(user, "")
	if err := e.h.Router.Act(context.Background(), req, bot.Action{ID: btn.ActionID, Value: btn.Value, Message: msg.Ref}); err != nil {
		t.Fatalf("click %q: %v", label, err)
	}
	var b strings.Builder
	for _, s := range e.h.Messenger.Sent()[before:] {
		b.WriteString(s.Op + ": " + s.Text() + "\n")
	}
	return b.String()
}

func findingButton(t *testing.T, msg bottest.Sent, name, label string) bot.Button {
	t.Helper()
	for i, b := range msg.Msg.Blocks {
		sec, ok := b.(bot.Section)
		if !ok || !strings.Contains(sec.Text, "`"+name+"`") || i+1 >= len(msg.Msg.Blocks) {
			continue
		}
		if a, ok := msg.Msg.Blocks[i+1].(bot.Actions); ok {
			for _, btn := range a.Buttons {
				if btn.Text == label {
					return btn
				}
			}
		}
	}
	t.Fatalf("no %s button for %s in %s", label, name, msg.Text())
	return bot.Button{}
}

func listed(res *hygiene.Result, ref string) bool {
	for _, l := range res.Listed {
		if l.Entity == ref {
			return true
		}
	}
	return false
}

func countAudit(h *bottest.Harness, action string) int {
	n := 0
	for _, a := range h.Audit.Actions() {
		if a == action {
			n++
		}
	}
	return n
}

func TestDeprecateOpensAPullRequestAfterAPeerApproves(t *testing.T) {
	e := newEnv(t)
	e.h.Run("U5", "catalog hygiene")
	bare := e.post(t, "#payments", "`bare`")
	if out := e.click(t, "U1", bare, "bare", "Deprecate"); !strings.Contains(out, "Proposed to deprecate `bare`") {
		t.Fatalf("propose: %s", out)
	}
	// A double click finds the same proposal.
	if out := e.click(t, "U1", bare, "bare", "Deprecate"); !strings.Contains(out, "Already proposed by <@U1>") {
		t.Errorf("second click: %s", out)
	}
	card := e.post(t, "#payments", "proposes to *deprecate* `bare`")
	if out := e.h.Click("U1", card, "Approve"); !strings.Contains(out, "You proposed this") {
		t.Errorf("self-approval: %s", out)
	}
	// Approval survives a restart: the proposal is a record.
	e.h.Restart()
	e.install(t)
	e.h.Click("U2", card, "Approve")
	e.h.RunJobs()
	file, c := e.files.only(t)
	if !strings.HasSuffix(file, "org/catalog.yaml") || c.Branch == "" || !strings.Contains(c.Title, "Deprecate bare") {
		t.Errorf("pull request on %s: %+v", file, c)
	}
	orig, _ := os.ReadFile(file)
	if !strings.Contains(c.Content, "# Started in 2023, never finished.\n") {
		t.Errorf("the comment was lost")
	}
	if got, want := c.Content, strings.Replace(string(orig), "  name: bare\nspec:\n  type: service\n  lifecycle: production\n", "  name: bare\nspec:\n  type: service\n  lifecycle: deprecated\n", 1); got != want {
		t.Errorf("the change is not exactly the lifecycle of bare:\n%s", got)
	}
	if !strings.Contains(e.h.Messenger.AllText(), "Pull request: https://github.example/") {
		t.Errorf("no pull request link in the thread:\n%s", e.h.Messenger.AllText())
	}
	// The job running again opens nothing twice.
	e.files.reset()
	if _, err := e.h.Router.Enqueue(context.Background(), bot.JobSpec{Kind: hygiene.JobPR, Payload: map[string]string{"id": bottest.FindButton(card.Msg, "Approve").Value}}); err != nil {
		t.Fatal(err)
	}
	e.h.RunJobs()
	if len(e.files.prs) != 0 {
		t.Errorf("a second pull request was opened")
	}
	if countAudit(e.h, "hygiene.pr") != 1 || countAudit(e.h, "hygiene.propose") != 1 {
		t.Errorf("audit: %v", e.h.Audit.Actions())
	}
	// The live catalog is unchanged until the pull request is merged.
	if b, _ := e.fx.cat.Get("bare"); b.Lifecycle() != "production" {
		t.Errorf("bare's lifecycle changed to %s without a merge", b.Lifecycle())
	}
}

// failingPosts fails every Post: a Slack outage between saving a proposal
// and posting its card.
type failingPosts struct{ *bottest.Messenger }

func (failingPosts) Post(context.Context, string, bot.Message) (bot.MessageRef, error) {
	return bot.MessageRef{}, errors.New("slack is down")
}

func TestProposalWhoseCardFailedIsPostedByTheRetry(t *testing.T) {
	e := newEnv(t)
	e.h.Run("U5", "catalog hygiene")
	legacy := e.post(t, "#payments", "legacy")
	e.h.Router.SetMessenger(bot.TransportShell, failingPosts{e.h.Messenger})
	e.click(t, "U1", legacy, "legacy", "Deprecate")
	e.h.Router.SetMessenger(bot.TransportShell, e.h.Messenger)
	for _, m := range e.h.Messenger.Ops("post") {
		if strings.Contains(m.Text(), "proposes to") {
			t.Fatalf("a card was posted while Slack was down")
		}
	}
	if out := e.click(t, "U1", legacy, "legacy", "Deprecate"); !strings.Contains(out, "Already proposed by <@U1>") {
		t.Errorf("retry: %s", out)
	}
	card := e.post(t, "#payments", "proposes to *deprecate* `legacy`")
	if b := bottest.FindButton(card.Msg, "Approve"); b == nil || b.Value == "" {
		t.Errorf("the card has no Approve button")
	}
	e.click(t, "U1", legacy, "legacy", "Deprecate")
	n := 0
	for _, m := range e.h.Messenger.Ops("post") {
		if strings.Contains(m.Text(), "proposes to *deprecate* `legacy`") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the card was posted %d times", n)
	}
}

func TestDeleteNeedsAnAdmin(t *testing.T) {
	e := newEnv(t)
	e.h.Run("U5", "catalog hygiene")
	nobody := e.post(t, "#platform", "`nobody`")
	// No owning team: members cannot even propose.
	if out := e.click(t, "U1", nobody, "nobody", "Delete"); !strings.Contains(out, "only platform admins") {
		t.Errorf("member's proposal: %s", out)
	}
	if out := e.click(t, "U5", nobody, "nobody", "Delete"); !strings.Contains(out, "Proposed to delete `nobody`") {
		t.Fatalf("admin's proposal: %s", out)
	}
	card := e.post(t, "#platform", "proposes to *delete* `nobody`")
	if out := e.h.Click("U1", card, "Approve"); !strings.Contains(out, "Only platform admins approve deleting") {
		t.Errorf("member's approval: %s", out)
	}
	e.h.Click("U3", card, "Approve")
	e.h.RunJobs()
	_, c := e.files.only(t)
	if strings.Contains(c.Content, "name: nobody\n") || !strings.Contains(c.Content, "name: checkout\n") || !strings.Contains(c.Content, "# Started in 2023, never finished.") {
		t.Errorf("delete PR content:\n%s", c.Content)
	}
	if !strings.Contains(c.Body, "/plat catalog remove component:default/nobody") {
		t.Errorf("body: %s", c.Body)
	}
}

// TestScheduledScan: the quarterly job posts the report, a retry of the
// same scheduled run posts nothing twice, and a catalog not refreshed in
// this process is never scanned.
func TestScheduledScan(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	for range 2 {
		if _, err := e.h.Router.Enqueue(context.Background(), bot.JobSpec{Kind: hygiene.JobScan, Payload: map[string]any{"at": at}}); err != nil {
			t.Fatal(err)
		}
		e.h.RunJobs()
	}
	n := 0
	for _, m := range e.h.Messenger.Ops("post") {
		if m.Channel == "#platform" && strings.Contains(m.Text(), "Catalog hygiene report") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d reports in #platform, want 1", n)
	}
	if countAudit(e.h, "hygiene.scan") != 2 {
		t.Errorf("audit: %v", e.h.Audit.Actions())
	}

	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: e.fx.dir}}
	stale, err := catalog.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := hygiene.New(hygiene.DefaultConfig(), hygiene.Deps{Store: e.h.Store, Catalog: stale})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Scan(context.Background(), hygiene.ScanOptions{DryRun: true}); !errors.Is(err, hygiene.ErrNotRefreshed) {
		t.Errorf("scan of an unrefreshed catalog: %v", err)
	}
	// Registered on the quarterly schedule by default.
	e.h.Restart()
	reg := bot.NewRegistry(e.h.Router, nil)
	if err := reg.Install(f); err != nil {
		t.Fatal(err)
	}
	if s := reg.Schedules(); len(s) != 1 || s[0].Spec != "0 9 1 1,4,7,10 *" || s[0].Kind != hygiene.JobScan {
		t.Errorf("schedules: %+v", s)
	}
}

// TestDeleteRemovesTheFileOfOneEntity: deleting the only entity of a file
// reached from a location deletes the file in the pull request; a file
// that is itself a configured location keeps a note instead (deleting it
// would fail the location on every refresh), and the description says to
// drop the location first.
func TestDeleteRemovesTheFileOfOneEntity(t *testing.T) {
	e := newEnv(t)
	e.fx.write(t, "org/solo.yaml", "# the only entity of this file\n"+component("solo", "group:default/disbanded", "production", conventional, "system: shop"))
	e.fx.write(t, "fragile.yaml", fragileDoc)
	e.fx.refresh(t)
	e.h.Run("U5", "catalog hygiene")
	for _, c := range []struct {
		name, file string
		deleted    bool
	}{
		{"solo", filepath.Join(e.fx.dir, "org", "solo.yaml"), true},
		{"fragile", e.fx.fragile, false},
	} {
		e.files.reset()
		msg := e.post(t, "#platform", "`"+c.name+"`")
		if out := e.click(t, "U5", msg, c.name, "Delete"); !strings.Contains(out, "Proposed to delete `"+c.name+"`") {
			t.Fatalf("proposal: %s", out)
		}
		e.h.Click("U3", e.post(t, "#platform", "proposes to *delete* `"+c.name+"`"), "Approve")
		e.h.RunJobs()
		file, ch := e.files.only(t)
		if file != c.file || ch.Delete != c.deleted {
			t.Errorf("%s: pull request on %s, delete %v; want %s, %v", c.name, file, ch.Delete, c.file, c.deleted)
		}
		if c.deleted {
			if ch.Content != "" || !strings.Contains(ch.Body, "so the pull request deletes the file") {
				t.Errorf("%s: content %q, body:\n%s", c.name, ch.Content, ch.Body)
			}
			continue
		}
		if !strings.Contains(ch.Content, "removed by catalog hygiene") || strings.Contains(ch.Content, "name: fragile") {
			t.Errorf("%s: content %q", c.name, ch.Content)
		}
		if !strings.Contains(ch.Body, "is itself the configured catalog location `file:"+e.fx.fragile+"`") || !strings.Contains(ch.Body, "Remove it from `catalog.locations`") {
			t.Errorf("%s: body:\n%s", c.name, ch.Body)
		}
	}
}
