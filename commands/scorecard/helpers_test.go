package scorecard

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
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
			"finops/cost-tag": "service=" + name,
		}},
		Spec: map[string]any{"type": "service", "lifecycle": lifecycle, "owner": owner, "system": system}}
}

// seedEntities is the seed's three services, owned by three teams, as in
// examples/catalog; payments-service misses its cost tag, a catalog
// convention.
func seedEntities() []*catalog.Entity {
	pay := component("payments-service", "payments", "production", "payments")
	delete(pay.Metadata.Annotations, "finops/cost-tag")
	return []*catalog.Entity{
		group("checkout", "#team-checkout", "PCHK001"),
		group("payments", "#team-payments", "PPAY001"),
		group("reports", "#team-reports", ""),
		group("platform", "#platform-help", "PPLAT01"),
		component("checkout-service", "checkout", "production", "checkout"),
		pay,
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

// queueView lists the jobs of a store's queue.
type queueView struct{ st *store.Store }

// kinds returns the kinds of the jobs in state ("" = every job), sorted.
func (q queueView) kinds(state string) []string {
	var states []string
	if state != "" {
		states = []string{state}
	}
	jobs, err := q.st.Jobs(context.Background(), states, 0)
	if err != nil {
		panic(fmt.Sprintf("list jobs: %v", err))
	}
	var out []string
	for _, j := range jobs {
		out = append(out, j.Kind)
	}
	slices.Sort(out)
	return out
}

// newHarness is the kit's harness at testNow.
func newHarness(t testing.TB) *bottest.Harness {
	return bottest.NewHarness(t, bottest.HarnessOptions{Start: testNow})
}

// outcomes returns every recorded audit event as "action/outcome".
func outcomes(a *bottest.Auditor) []string {
	var out []string
	for _, e := range a.Events() {
		out = append(out, e.Action+"/"+e.Outcome)
	}
	return out
}

// adminsOnly decides as the platform's policy does about admins: only the
// listed users hold bot.ActionAdmin; everything else is allowed.
func adminsOnly(admins ...string) func(context.Context, bot.User, string, bot.Resource) bot.Decision {
	return func(_ context.Context, u bot.User, action string, _ bot.Resource) bot.Decision {
		if action == bot.ActionAdmin && !slices.Contains(admins, u.ID) {
			return bot.Decision{Allow: false, Rule: "admins-only", AskWhom: "the platform admins"}
		}
		return bot.Decision{Allow: true, Rule: "test"}
	}
}

// fixture is a Scorecards wired on the kit's harness (a real store and
// queue, the fake clock, a recording messenger and auditor) the way
// cmd/platbot wires the real ones.
type fixture struct {
	h     *bottest.Harness
	s     *Scorecards
	st    *store.Store
	m     *bottest.Messenger
	r     *bot.Router
	q     queueView
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
	// harness is one made by the test (to share its clock or store with
	// fakes, or with an earlier fixture: the new one is then a restarted
	// bot over the same store, with a new messenger).
	harness *bottest.Harness
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
	h := o.harness
	if h == nil {
		h = newHarness(t)
	} else {
		h.Messenger = bottest.NewMessenger()
	}
	h.Policy.DecideWith(adminsOnly("U-ADMIN", "U-ADMIN2"))
	if o.policy != nil {
		h.Options.Policy, h.Options.PolicyAudits, h.Options.Denial = o.policy, true, policy.DenialMessage
	}
	h.Restart()
	f := &fixture{h: h, clock: h.Clock, st: h.Store, m: h.Messenger, r: h.Router, q: queueView{h.Store}, audit: h.Audit}
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
		Messenger: f.m, Logger: h.Logs.Logger(), Now: f.clock.Now, WebhookSecret: "whsec",
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
