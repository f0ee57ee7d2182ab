package scorecard

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/store"
)

// testNow is a Monday morning.
var testNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

const exampleFactsPath = "../../examples/scorecard/facts.yaml"

func group(name, channel, pagerduty string) *catalog.Entity {
	var ann []string
	if channel != "" {
		ann = append(ann, catalog.AnnotationSlackChannel+"="+channel)
	}
	if pagerduty != "" {
		ann = append(ann, catalog.AnnotationPagerDuty+"="+pagerduty)
	}
	return catalogtest.Group(name, ann...)
}

func component(name, owner, lifecycle, system string) *catalog.Entity {
	return &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindComponent,
		Metadata: catalog.Metadata{Name: name, Annotations: map[string]string{
			catalog.AnnotationGitHubSlug: "acme/" + name, catalog.AnnotationNamespace: strings.TrimSuffix(name, "-service"),
		}},
		Spec: map[string]any{"type": "service", "lifecycle": lifecycle, "owner": owner, "system": system}}
}

// seedEntities is the seed's three services, owned by three teams, as in
// examples/catalog.
func seedEntities() []*catalog.Entity {
	return []*catalog.Entity{
		group("checkout", "#team-checkout", "PCHK001"),
		group("payments", "#team-payments", "PPAY001"),
		group("reports", "#team-reports", ""),
		group("platform", "#platform-help", "PPLAT01"),
		component("checkout-service", "checkout", "production", "checkout"),
		component("payments-service", "payments", "production", "payments"),
		component("reports-service", "reports", "production", "reporting"),
	}
}

// exampleCatalog loads examples/catalog as cmd/platbot does.
func exampleCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: "../../examples/catalog"}}
	cat, err := catalog.Load(context.Background(), cfg, catalog.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// memQueue is an in-memory bot.Queue.
type memQueue struct {
	mu     sync.Mutex
	jobs   []*store.Job
	dedupe map[string]bool
	nextID int64
}

func newMemQueue() *memQueue { return &memQueue{dedupe: map[string]bool{}} }

func (q *memQueue) Enqueue(_ context.Context, j store.Job) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if j.DedupeKey != "" {
		if q.dedupe[j.DedupeKey] {
			return false, nil
		}
		q.dedupe[j.DedupeKey] = true
	}
	q.nextID++
	j.ID, j.State = q.nextID, store.JobQueued
	if j.MaxAttempts == 0 {
		j.MaxAttempts = 5
	}
	q.jobs = append(q.jobs, &j)
	return true, nil
}

func (q *memQueue) EnqueueAndAudit(ctx context.Context, j store.Job, _ store.Event) (bool, error) {
	return q.Enqueue(ctx, j)
}

func (q *memQueue) ClaimJob(_ context.Context, owner string, now time.Time, _ time.Duration) (*store.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.State == store.JobQueued && !j.RunAt.After(now) {
			j.State, j.LeaseOwner = store.JobRunning, owner
			j.Attempts++
			c := *j
			return &c, nil
		}
	}
	return nil, nil
}

func (q *memQueue) set(id int64, state string, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.ID == id {
			j.State = state
			if !at.IsZero() {
				j.RunAt = at
			}
		}
	}
}

func (q *memQueue) CompleteJob(_ context.Context, id int64, _ string) error {
	q.set(id, store.JobDone, time.Time{})
	return nil
}

func (q *memQueue) RetryJob(_ context.Context, id int64, _, _ string, at time.Time) error {
	q.set(id, store.JobQueued, at)
	return nil
}

func (q *memQueue) FailJob(_ context.Context, id int64, _, _ string) error {
	q.set(id, store.JobFailed, time.Time{})
	return nil
}

func (q *memQueue) NextJobAt(context.Context) (time.Time, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next time.Time
	found := false
	for _, j := range q.jobs {
		if j.State == store.JobQueued && (!found || j.RunAt.Before(next)) {
			next, found = j.RunAt, true
		}
	}
	return next, found, nil
}

func (q *memQueue) kinds(state string) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, j := range q.jobs {
		if state == "" || j.State == state {
			out = append(out, j.Kind)
		}
	}
	sort.Strings(out)
	return out
}

// outcomes returns every recorded audit event as "action/outcome".
func outcomes(a *bottest.Auditor) []string {
	var out []string
	for _, e := range a.Events() {
		out = append(out, e.Action+"/"+e.Outcome)
	}
	return out
}

// adminPolicy allows everything except bot.ActionAdmin, which only the
// listed users hold.
type adminPolicy map[string]bool

func (p adminPolicy) Decide(_ context.Context, u bot.User, action string, _ bot.Resource) bot.Decision {
	if action == bot.ActionAdmin && !p[u.ID] {
		return bot.Decision{Allow: false, Rule: "admins-only", AskWhom: "the platform admins"}
	}
	return bot.Decision{Allow: true, Rule: "test"}
}

// fixture is a Scorecards wired to fakes the way the lead wires the real
// ones.
type fixture struct {
	s     *Scorecards
	st    *memStore
	m     *bottest.Messenger
	r     *bot.Router
	q     *memQueue
	audit *bottest.Auditor
	// cat is the catalog of the fixture's entities (a real catalog; unused
	// when fixtureOptions.catalog replaces it).
	cat    *catalogtest.Catalog
	clock  *bottest.Clock
	sleeps []time.Duration
	mu     sync.Mutex
}

type fixtureOptions struct {
	entities  []*catalog.Entity
	providers *facts.Providers
	config    Config
	store     *memStore
	messenger bot.Messenger
	clock     *bottest.Clock
	// catalog replaces the catalog of entities (the example catalog
	// for tests of the real policy).
	catalog Catalog
	// policy replaces the permissive test policy; with it the router
	// renders denials as the real wiring does.
	policy bot.Policy
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{clock: o.clock, st: o.store, m: bottest.NewMessenger(), q: newMemQueue(), audit: bottest.NewAuditor()}
	if f.clock == nil {
		f.clock = bottest.NewClock(testNow)
	}
	if f.st == nil {
		f.st = newMemStore(f.clock.Now)
	}
	if o.entities == nil {
		o.entities = seedEntities()
	}
	provs := facts.Providers{}
	if o.providers != nil {
		provs = *o.providers
	} else {
		ef, err := facts.LoadExampleFacts(exampleFactsPath, f.clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		provs = ef.Providers()
	}
	var msgr bot.Messenger = f.m
	if o.messenger != nil {
		msgr = o.messenger
	}
	cfg := o.config
	if cfg.AdminChannel == "" {
		cfg.AdminChannel = "#platform-admins"
	}
	if cfg.PlatformChannel == "" {
		cfg.PlatformChannel = "#platform"
	}
	cat := o.catalog
	if cat == nil {
		f.cat = catalogtest.FromEntities(t, o.entities...)
		cat = f.cat
	}
	s, err := New(cfg, Deps{
		Catalog: cat, Store: f.st, Providers: provs,
		Messenger: msgr, Logger: quietLogger(), Now: f.clock.Now, WebhookSecret: "whsec",
		Sleep: func(_ context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	ropts := bot.RouterOptions{Policy: adminPolicy{"U-ADMIN": true, "U-ADMIN2": true}, Audit: f.audit, Queue: f.q,
		Logger: quietLogger(), Now: f.clock.Now}
	if o.policy != nil {
		ropts.Policy, ropts.PolicyAudits, ropts.Denial = o.policy, true, policy.DenialMessage
	}
	f.r = bot.NewRouter(ropts)
	f.r.SetMessenger(bot.TransportShell, f.m)
	if err := bot.NewRegistry(f.r, nil).Install(s); err != nil {
		t.Fatal(err)
	}
	return f
}

// run sends "/plat <text>" as user through the router and returns the reply.
func (f *fixture) run(t *testing.T, user, text string) string {
	t.Helper()
	before := len(f.m.Sent())
	req := &bot.Request{ID: "req-" + user + "-" + text, Transport: bot.TransportShell, User: bot.User{ID: user, Name: user},
		Channel: "C-test", Text: text, Received: f.clock.Now()}
	req.Bind(f.m)
	if err := f.r.Run(context.Background(), req); err != nil {
		t.Fatalf("run %q: %v", text, err)
	}
	var out []string
	for _, s := range f.m.Sent()[before:] {
		if s.Op == "respond" {
			out = append(out, s.Text())
		}
	}
	return strings.Join(out, "\n")
}

// click presses a button as user.
func (f *fixture) click(t *testing.T, user string, b bot.Button, msg bot.MessageRef) string {
	t.Helper()
	before := len(f.m.Sent())
	req := &bot.Request{ID: "click-" + user + "-" + b.ActionID, Transport: bot.TransportShell, User: bot.User{ID: user, Name: user}, Channel: msg.Channel}
	req.Bind(f.m)
	if err := f.r.Act(context.Background(), req, bot.Action{ID: b.ActionID, Value: b.Value, Message: msg}); err != nil {
		t.Fatalf("click %s: %v", b.ActionID, err)
	}
	var out []string
	for _, s := range f.m.Sent()[before:] {
		if s.Op == "respond" {
			out = append(out, s.Text())
		}
	}
	return strings.Join(out, "\n")
}

func (f *fixture) score(t *testing.T, name string) *grade.Result {
	t.Helper()
	r, err := f.s.Score(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func statusOf(r *grade.Result, id string) grade.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

func gapIDs(r *grade.Result) []string {
	var out []string
	for _, g := range r.Gaps() {
		out = append(out, g.ID)
	}
	sort.Strings(out)
	return out
}

func storeQuery(kind string, states ...string) store.Query {
	return store.Query{Kind: kind, States: states}
}
