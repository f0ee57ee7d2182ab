package policy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// last is the last event audit recorded.
func last(audit *bottest.Auditor) store.Event {
	evs := audit.Events()
	return evs[len(evs)-1]
}

// exampleCatalog is the repository's example organisation.
func exampleCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: "../../examples/catalog"}}
	c, err := catalog.Load(context.Background(), cfg, catalog.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newEngine(t testing.TB, cfg Config) (*Engine, *bottest.Auditor, *catalog.Catalog) {
	t.Helper()
	c := exampleCatalog(t)
	audit := bottest.NewAuditor()
	e, err := New(cfg, c, audit, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return e, audit, c
}

// People of examples/catalog.
var (
	alice  = bot.User{ID: "U0PAYALICE", Name: "alice"}   // payments engineer
	bob    = bot.User{ID: "U0PAYBOB", Name: "bob"}       // payments engineer
	dana   = bot.User{ID: "U0PAYDANA", Name: "dana"}     // payments manager
	carlos = bot.User{ID: "U0CHKCARLOS", Name: "carlos"} // checkout engineer
	priya  = bot.User{ID: "U0PLATPRIYA", Name: "priya"}  // platform: admin
	helen  = bot.User{ID: "U0ENGHELEN", Name: "helen"}   // engineering VP
	nobody = bot.User{ID: "U0STRANGER", Name: "stranger"}
)

func resourceOf(t testing.TB, c *catalog.Catalog, ref string) bot.Resource {
	t.Helper()
	e, ok := c.Get(ref)
	if !ok {
		t.Fatalf("no %s", ref)
	}
	return catalog.ResourceOf(e)
}

func TestDefaultPolicyDecisionTable(t *testing.T) {
	e, audit, c := newEngine(t, DefaultConfig())
	payments := resourceOf(t, c, "payments-service")
	checkout := resourceOf(t, c, "checkout-service")
	newPaymentsDB := bot.Resource{Kind: "resource", Name: "payments-cache", Owner: "payments"} // to be scaffolded
	accessToPayments := WithRequester(payments, alice.ID)
	// Owned by group:default/engineering, the parent of payments, checkout
	// and platform; engineering's parent is the organisation "acme".
	commerce := resourceOf(t, c, "domain:commerce")
	accessToCommerce := WithRequester(commerce, alice.ID)
	newEngineeringDB := bot.Resource{Kind: "resource", Name: "eng-cache", Owner: "engineering"}
	newOrgDB := bot.Resource{Kind: "resource", Name: "acme-cache", Owner: "group:default/acme"}

	cases := []struct {
		name   string
		user   bot.User
		action string
		res    bot.Resource
		allow  bool
		rule   string
	}{
		{"engineer scaffolds for own team", alice, bot.ActionScaffold, newPaymentsDB, true, "engineers-scaffold-for-own-team"},
		{"engineer scaffolds for another team", carlos, bot.ActionScaffold, newPaymentsDB, false, "scaffold-only-for-own-team"},
		{"engineer scaffolds for the parent group", alice, bot.ActionScaffold, newEngineeringDB, false, "scaffold-only-for-own-team"},
		{"engineer scaffolds for the whole organisation", alice, bot.ActionScaffold, newOrgDB, false, "scaffold-only-for-own-team"},
		{"member of the parent group scaffolds for it", helen, bot.ActionScaffold, newEngineeringDB, true, "engineers-scaffold-for-own-team"},
		{"member of the parent group scaffolds for a sub-team", helen, bot.ActionScaffold, newPaymentsDB, false, "scaffold-only-for-own-team"},
		{"admin scaffolds for the whole organisation", priya, bot.ActionScaffold, newOrgDB, true, "admins-administer"},
		{"stranger scaffolds", nobody, bot.ActionScaffold, newPaymentsDB, false, "scaffold-only-for-own-team"},
		{"admin scaffolds for any team", priya, bot.ActionScaffold, newPaymentsDB, true, "admins-administer"},
		{"admin deletes an entity", priya, bot.ActionDelete, payments, true, "admins-administer"},
		{"engineer deletes an entity", alice, bot.ActionDelete, payments, false, "admins-only"},
		{"engineer mutates an entity", alice, bot.ActionMutate, payments, false, "admins-only"},
		{"manager mutates an entity", dana, bot.ActionMutate, payments, false, "admins-only"},
		{"admin runs an admin command", priya, bot.ActionAdmin, bot.Resource{Kind: "command", Name: "catalog reload"}, true, "admins-administer"},
		{"engineer runs an admin command", alice, bot.ActionAdmin, bot.Resource{Kind: "command", Name: "catalog reload"}, false, "admins-only"},
		{"reader reads own service", alice, bot.ActionRead, payments, true, "everyone-reads"},
		{"reader reads another team's service", carlos, bot.ActionRead, payments, true, "everyone-reads"},
		{"stranger reads anything", nobody, bot.ActionRead, checkout, true, "everyone-reads"},
		{"stranger reads a command", nobody, bot.ActionRead, bot.Resource{Kind: "command", Name: "whoami"}, true, "everyone-reads"},
		{"peer approves", bob, bot.ActionApprove, accessToPayments, true, "peers-and-managers-approve"},
		{"manager approves", dana, bot.ActionApprove, accessToPayments, true, "peers-and-managers-approve"},
		{"requester approves own request", alice, bot.ActionApprove, accessToPayments, false, "no-self-approval"},
		{"admin approves own request", priya, bot.ActionApprove, WithRequester(resourceOf(t, c, "platbot"), priya.ID), false, "no-self-approval"},
		{"other team approves", carlos, bot.ActionApprove, accessToPayments, false, "approvers-are-peers-or-managers"},
		{"admin of another team approves", priya, bot.ActionApprove, accessToPayments, false, "approvers-are-peers-or-managers"},
		{"approval without a requester", bob, bot.ActionApprove, payments, false, "approvals-name-the-requester"},
		{"sub-team member approves for the parent group", bob, bot.ActionApprove, accessToCommerce, false, "approvers-are-peers-or-managers"},
		{"sub-team admin approves for the parent group", priya, bot.ActionApprove, accessToCommerce, false, "approvers-are-peers-or-managers"},
		{"direct member of the parent group approves for it", helen, bot.ActionApprove, accessToCommerce, true, "peers-and-managers-approve"},
		{"VP approves in a sub-team", helen, bot.ActionApprove, accessToPayments, false, "approvers-are-peers-or-managers"},
		{"team member breaks glass on own service", alice, bot.ActionBreakGlass, breakGlass(payments, alice), true, "break-glass-for-own-team"},
		{"admin breaks glass", priya, bot.ActionBreakGlass, breakGlass(payments, priya), true, "break-glass-for-own-team"},
		{"other team breaks glass", carlos, bot.ActionBreakGlass, breakGlass(payments, carlos), false, "break-glass-only-for-own-team"},
		{"sub-team member breaks glass on the parent group's service", alice, bot.ActionBreakGlass, breakGlass(commerce, alice), false, "break-glass-only-for-own-team"},
		{"manager outside the team breaks glass", dana, bot.ActionBreakGlass, breakGlass(checkout, dana), false, "break-glass-only-for-own-team"},
		{"stranger breaks glass", nobody, bot.ActionBreakGlass, breakGlass(payments, nobody), false, "break-glass-only-for-own-team"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Decide(context.Background(), tc.user, tc.action, tc.res)
			if d.Allow != tc.allow || d.Rule != tc.rule {
				t.Fatalf("Decide = %+v, want allow=%v rule=%s", d, tc.allow, tc.rule)
			}
			if !strings.Contains(d.Reason, `rule "`+tc.rule+`"`) {
				t.Errorf("reason %q does not name the rule", d.Reason)
			}
			if !d.Allow && d.AskWhom == "" {
				t.Error("a denial must say whom to ask")
			}
			ev := last(audit)
			if ev.ActorID != tc.user.ID || ev.Action != "policy."+tc.action || ev.Details["rule"] != tc.rule ||
				(ev.Decision == Allow) != tc.allow || ev.Target == "" {
				t.Errorf("audit event = %+v", ev)
			}
		})
	}
	if len(audit.Events()) != len(cases) {
		t.Errorf("%d audit events for %d decisions", len(audit.Events()), len(cases))
	}
}

// breakGlass is a break-glass request by u on res, tagged as the access
// feature tags it.
func breakGlass(res bot.Resource, u bot.User) bot.Resource {
	res = WithRequester(res, u.ID)
	res.Tags = append(res.Tags, "environment:prod-us", "level:edit", "break-glass")
	return res
}

// TestBreakGlassIsGovernedByRules: break-glass is an action of its own, so
// a rule can narrow it (here: nobody breaks glass in prod-eu).
func TestBreakGlassIsGovernedByRules(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rules = append([]Rule{{
		Name: "no-break-glass-in-prod-eu", Effect: Deny, Actions: []string{bot.ActionBreakGlass},
		When: `"environment:prod-eu" in resource.tags`, Description: "prod-eu is under a change freeze.",
	}}, cfg.Rules...)
	e, _, c := newEngine(t, cfg)
	payments := resourceOf(t, c, "payments-service")
	us := breakGlass(payments, alice)
	eu := WithRequester(payments, alice.ID)
	eu.Tags = append(eu.Tags, "environment:prod-eu", "level:edit", "break-glass")
	if d := e.Decide(context.Background(), alice, bot.ActionBreakGlass, us); !d.Allow {
		t.Fatalf("prod-us: %+v", d)
	}
	d := e.Decide(context.Background(), alice, bot.ActionBreakGlass, eu)
	if d.Allow || d.Rule != "no-break-glass-in-prod-eu" || !strings.Contains(d.Reason, "change freeze") {
		t.Fatalf("prod-eu: %+v", d)
	}
	// The rule applies to break-glass only: approving is untouched.
	if d := e.Decide(context.Background(), bob, bot.ActionApprove, eu); !d.Allow {
		t.Fatalf("approve in prod-eu: %+v", d)
	}
}

func TestAskWhom(t *testing.T) {
	e, _, c := newEngine(t, DefaultConfig())
	payments := resourceOf(t, c, "payments-service")
	for _, tc := range []struct {
		user   bot.User
		action string
		res    bot.Resource
		want   string
	}{
		{carlos, bot.ActionScaffold, bot.Resource{Kind: "resource", Name: "x", Owner: "group:default/payments"},
			"the owning team group:default/payments (#team-payments) (manager <@U0PAYDANA>), or the platform admins (group:default/platform (#platform-help))"},
		{alice, bot.ActionDelete, payments, "the platform admins (group:default/platform (#platform-help))"},
		{carlos, bot.ActionApprove, WithRequester(payments, alice.ID), "a peer in group:default/payments (#team-payments) or its manager <@U0PAYDANA> (never the requester)"},
	} {
		if d := e.Decide(context.Background(), tc.user, tc.action, tc.res); d.AskWhom != tc.want {
			t.Errorf("%s %s: AskWhom = %q\nwant %q", tc.user.Name, tc.action, d.AskWhom, tc.want)
		}
	}
}

// TestDenialAsTheUserSeesIt drives a denial the way the router will: decide,
// then answer the request with DenialMessage through the messenger.
func TestDenialAsTheUserSeesIt(t *testing.T) {
	e, _, _ := newEngine(t, DefaultConfig())
	m := bottest.NewMessenger()
	req := m.NewRequest(carlos.ID, "new-db", "payments-cache", "--owner", "payments")
	res := bot.Resource{Kind: "resource", Name: "payments-cache", Owner: "group:default/payments"}

	ok, err := Check(context.Background(), e, req, bot.ActionScaffold, res)
	if err != nil || ok {
		t.Fatalf("Check = %v, %v; want a denial", ok, err)
	}
	sent := m.Ops("respond")
	if len(sent) != 1 || sent[0].User != carlos.ID {
		t.Fatalf("sent = %+v", m.Sent())
	}
	got := sent[0].Text()
	want := ":no_entry: You may not scaffold resource payments-cache.\n" +
		"Denied by rule \"scaffold-only-for-own-team\": Engineers may scaffold only for their own team; the owner must be a team you are a direct member of.\n" +
		"  Rule `scaffold-only-for-own-team` · Ask the owning team group:default/payments (#team-payments) (manager <@U0PAYDANA>), or the platform admins (group:default/platform (#platform-help))."
	if got != want {
		t.Errorf("the user sees:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(sent[0].Msg.Text, "scaffold-only-for-own-team") {
		t.Errorf("fallback text lacks the rule: %q", sent[0].Msg.Text)
	}

	// An admin command denied to an engineer.
	m.Reset()
	req = m.NewRequest(alice.ID, "catalog reload")
	if ok, _ := Check(context.Background(), e, req, bot.ActionAdmin, bot.Resource{Kind: "command", Name: "catalog reload"}); ok {
		t.Fatal("engineer ran an admin command")
	}
	if got := m.AllText(); !strings.Contains(got, "You may not run /plat catalog reload: it needs the admin permission.") || !strings.Contains(got, `rule "admins-only"`) ||
		!strings.Contains(got, "Ask the platform admins (group:default/platform (#platform-help))") {
		t.Errorf("the user sees:\n%s", got)
	}

	// Allowed: nothing is said.
	m.Reset()
	if ok, _ := Check(context.Background(), e, m.NewRequest(alice.ID, "new-db"), bot.ActionScaffold, res); !ok || len(m.Sent()) != 0 {
		t.Errorf("allowed check: %v, sent %v", ok, m.Sent())
	}
}

func TestConfigErrorsNameTheRule(t *testing.T) {
	c := exampleCatalog(t)
	for name, tc := range map[string]struct {
		yaml string
		want []string
	}{
		"undeclared variable": {`rules:
  - {name: typo, effect: allow, actions: [read], when: 'usr.roles == []'}`, []string{`policy rule "typo" (rules[0]): when:`, "undeclared reference to 'usr'"}},
		"not a bool": {`rules:
  - {name: stringly, effect: allow, actions: [read], when: 'user.name'}`, []string{`policy rule "stringly"`, "must be a bool expression"}},
		"an int": {`rules:
  - {name: arithmetic, effect: allow, actions: [read], when: '1 + 2'}`, []string{`policy rule "arithmetic"`, "must be a bool expression, is int"}},
		"syntax": {`rules:
  - {name: ok, effect: allow, actions: [read]}
  - {name: broken, effect: deny, actions: [read], when: '"admin" in'}`, []string{`policy rule "broken" (rules[1]): when:`}},
		"effect": {`rules:
  - {name: maybe, effect: perhaps, actions: [read]}`, []string{`policy rule "maybe"`, `effect "perhaps"`}},
		"action": {`rules:
  - {name: deploy, effect: allow, actions: [deploy]}`, []string{`policy rule "deploy"`, `unknown action "deploy"`}},
		"no actions": {`rules:
  - {name: empty, effect: allow}`, []string{`policy rule "empty"`, "actions"}},
		"duplicate": {`rules:
  - {name: twice, effect: allow, actions: [read]}
  - {name: twice, effect: deny, actions: [read]}`, []string{`policy rule "twice" (rules[1])`, "comes earlier"}},
		"no name":  {`rules: [{effect: allow, actions: [read]}]`, []string{"policy rules[0]: name is required"}},
		"default":  {`default: sometimes`, []string{`default "sometimes"`}},
		"reserved": {`rules: [{name: default, effect: allow, actions: [read]}]`, []string{`policy rule "default"`}},
		"several bad rules": {`rules:
  - {name: one, effect: allow, actions: [read], when: 'nope'}
  - {name: two, effect: allow, actions: [read], when: 'nada'}`, []string{`policy rule "one"`, `policy rule "two"`}},
	} {
		cfg, err := ParseConfig([]byte(tc.yaml))
		if err == nil {
			_, err = New(cfg, c, nil)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", name, err, w)
			}
		}
	}
	if _, err := ParseConfig([]byte("rules: []\nunknown_key: 1\n")); err == nil {
		t.Error("unknown config keys are accepted")
	}
}

func TestCustomPolicyFirstMatchWins(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
default: allow
rules:
  - name: freeze-production
    description: Production is frozen this week.
    effect: deny
    actions: ["*"]
    when: resource.lifecycle == "production" && action != "read"
    askWhom: "{manager} or {admins}"
  - name: everyone-mutates
    effect: allow
    actions: [mutate]
`))
	if err != nil {
		t.Fatal(err)
	}
	e, _, c := newEngine(t, cfg)
	d := e.Decide(context.Background(), priya, bot.ActionMutate, resourceOf(t, c, "payments-service"))
	if d.Allow || d.Rule != "freeze-production" || !strings.Contains(d.Reason, "Production is frozen") ||
		d.AskWhom != "<@U0PAYDANA> or the platform admins (group:default/platform (#platform-help))" {
		t.Errorf("freeze: %+v", d)
	}
	if d := e.Decide(context.Background(), alice, bot.ActionMutate, resourceOf(t, c, "fraud-scoring")); !d.Allow || d.Rule != "everyone-mutates" {
		t.Errorf("experimental mutate: %+v", d)
	}
	if d := e.Decide(context.Background(), alice, bot.ActionDelete, resourceOf(t, c, "fraud-scoring")); !d.Allow || d.Rule != RuleDefault {
		t.Errorf("default allow: %+v", d)
	}
	if got := e.Rules(); len(got) != 2 || got[0].Name != "freeze-production" {
		t.Errorf("Rules() = %+v", got)
	}
}

func TestFailClosed(t *testing.T) {
	c := exampleCatalog(t)
	ctx := context.Background()
	payments := catalog.ResourceOf(mustGet(t, c, "payments-service"))

	// A rule that errors at run time denies, naming itself.
	cfg, _ := ParseConfig([]byte(`rules:
  - {name: fragile, effect: allow, actions: ["*"], when: 'user.groups[7] == "x"'}`))
	e, err := New(cfg, c, nil, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(ctx, alice, bot.ActionRead, payments); d.Allow || d.Rule != "fragile" || !strings.Contains(d.Reason, "could not be evaluated") {
		t.Errorf("erroring rule: %+v", d)
	}

	// Audit down: changes are refused, reads still pass.
	audit := bottest.NewAuditor()
	audit.FailWith(errors.New("disk full"))
	e, _ = New(DefaultConfig(), c, audit, WithLogger(quiet))
	if d := e.Decide(ctx, priya, bot.ActionDelete, payments); d.Allow || d.Rule != RuleAuditUnavailable {
		t.Errorf("unaudited delete: %+v", d)
	}
	if d := e.Decide(ctx, alice, bot.ActionRead, payments); !d.Allow {
		t.Errorf("read with audit down: %+v", d)
	}

	// Identity lookup fails: decide as a stranger.
	e, _ = New(DefaultConfig(), brokenIdentities{}, nil, WithLogger(quiet))
	if d := e.Decide(ctx, priya, bot.ActionRead, payments); !d.Allow {
		t.Errorf("read without identity: %+v", d)
	}
	if d := e.Decide(ctx, priya, bot.ActionDelete, payments); d.Allow {
		t.Errorf("delete without identity: %+v", d)
	}
	if _, err := New(DefaultConfig(), nil, nil); err == nil {
		t.Error("New without identities")
	}
}

type brokenIdentities struct{}

func (brokenIdentities) Identify(context.Context, bot.User) (*catalog.Identity, error) {
	return nil, errors.New("catalog unavailable")
}

func mustGet(t testing.TB, c *catalog.Catalog, ref string) *catalog.Entity {
	t.Helper()
	e, ok := c.Get(ref)
	if !ok {
		t.Fatalf("no %s", ref)
	}
	return e
}

func TestRequesterTags(t *testing.T) {
	res := WithRequester(bot.Resource{Tags: []string{"pci", "requester:U1"}}, "U2")
	if Requester(res) != "U2" || len(res.Tags) != 2 {
		t.Errorf("tags = %v", res.Tags)
	}
	if Requester(bot.Resource{}) != "" {
		t.Error("requester of an untagged resource")
	}
}

func TestPolicyCommandListsRules(t *testing.T) {
	e, _, _ := newEngine(t, DefaultConfig())
	h := bottest.NewHarness(t, bottest.HarnessOptions{Policy: e})
	if err := bot.NewRegistry(h.Router, nil).Install(e); err != nil {
		t.Fatal(err)
	}
	text := h.Run(alice.ID, "policy")
	for _, want := range []string{"1. approvals-name-the-requester deny [approve]", "everyone-reads allow [read]", "otherwise: deny (default)"} {
		if !strings.Contains(text, want) {
			t.Errorf("policy listing lacks %q:\n%s", want, text)
		}
	}
	if string(DefaultYAML()[:1]) != "#" {
		t.Error("DefaultYAML should keep its comments")
	}
}

func TestConcurrentDecisions(t *testing.T) {
	e, audit, c := newEngine(t, DefaultConfig())
	res := catalog.ResourceOf(mustGet(t, c, "checkout-service"))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if d := e.Decide(context.Background(), carlos, bot.ActionScaffold, res); !d.Allow {
					t.Errorf("carlos scaffolds for checkout: %+v", d)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(audit.Events()) != 400 {
		t.Errorf("%d audit events", len(audit.Events()))
	}
}

func BenchmarkDecide(b *testing.B) {
	e, _, c := newEngine(b, DefaultConfig())
	res := bot.Resource{Kind: "resource", Name: "x", Owner: "group:default/payments"}
	_ = c
	b.ReportAllocs()
	for b.Loop() {
		e.Decide(context.Background(), alice, bot.ActionScaffold, res)
	}
}
