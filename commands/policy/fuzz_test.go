package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// fuzzIdentities knows one engineer of the payments team.
type fuzzIdentities struct{}

func (fuzzIdentities) Identify(_ context.Context, u bot.User) (*catalog.Identity, error) {
	return &catalog.Identity{
		SlackID: u.ID, UserRef: "user:default/jane", Name: "Jane", Email: "jane@example.com",
		DirectGroups: []string{"group:default/payments"}, Groups: []string{"group:default/payments", "group:default/engineering"},
		Roles: []string{"engineer"}, Manager: "user:default/ann",
	}, nil
}

// fuzzRequests are the decisions every fuzzed policy is asked for.
var fuzzRequests = []struct {
	action string
	res    bot.Resource
}{
	{bot.ActionRead, bot.Resource{Kind: "component", Name: "payments-service", Ref: "component:default/payments-service", Owner: "group:default/payments"}},
	{bot.ActionScaffold, bot.Resource{Kind: "template", Name: "new-db", Owner: "group:default/payments"}},
	{bot.ActionApprove, WithRequester(bot.Resource{Kind: "waiver", Name: "w1", Owner: "group:default/payments", Tags: []string{"x"}}, "U2")},
	{bot.ActionDelete, bot.Resource{}},
	{"unknown-action", bot.Resource{Kind: "secret", Lifecycle: "production"}},
}

// FuzzPolicyConfig reads an arbitrary policy section (YAML with CEL
// conditions) the way platbot.yaml's is read, compiles it, and asks it for
// decisions. Nothing may panic; a policy either fails to load with an error
// naming the policy or decides every request with a rule name and a
// reason; a denial says whom to ask; an allow always comes from a rule
// whose effect is allow (or from an allowing default).
func FuzzPolicyConfig(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("default: allow\nrules:\n  - name: no-prod-deletes\n    effect: deny\n    actions: [delete]\n    when: resource.lifecycle == \"production\"\n    askWhom: \"{owner} or {admins}\"\n"))
	f.Add([]byte("rules:\n  - name: size\n    effect: allow\n    actions: ['*']\n    when: size(user.groups) > 1 && user.groups.exists(g, g.startsWith(\"group:default/\"))\n"))
	f.Add([]byte("rules:\n  - name: not-bool\n    effect: allow\n    actions: [read]\n    when: user.name\n  - name: Bad\n    effect: maybe\n    actions: []\n"))
	f.Add([]byte("rules:\n  - name: loops\n    effect: allow\n    actions: [read]\n    when: '[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, a+b+c > 0)))'\n"))
	f.Add([]byte("unknown: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "policy config: ") {
				t.Fatalf("parse error does not name the policy: %v", err)
			}
			return
		}
		e, err := New(cfg, fuzzIdentities{}, nil, WithLogger(quiet))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "policy") {
				t.Fatalf("compile error does not name the policy: %v", err)
			}
			return
		}
		allowByDefault := strings.EqualFold(cfg.Default, Allow)
		effects := map[string]string{}
		for _, r := range e.Rules() {
			effects[r.Name] = r.Effect
		}
		ctx := context.Background()
		for _, q := range fuzzRequests {
			d := e.Decide(ctx, bot.User{ID: "U1", Name: "jane"}, q.action, q.res)
			if d.Rule == "" || d.Reason == "" {
				t.Fatalf("decision without a rule or reason: %+v", d)
			}
			if !d.Allow && d.AskWhom == "" {
				t.Fatalf("denial without whom to ask: %+v", d)
			}
			if d.Allow {
				switch eff, ok := effects[d.Rule]; {
				case d.Rule == RuleDefault && allowByDefault:
				case ok && eff == Allow:
				default:
					t.Fatalf("%s on %+v allowed by %q (effect %q, default allow %v)", q.action, q.res, d.Rule, eff, allowByDefault)
				}
			}
		}
	})
}
