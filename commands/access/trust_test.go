package access

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/store"
)

const erin = "U-ERIN" // direct member of engineering, the parent of payments

// breakGlassValues is a confirmed break-glass form.
func breakGlassValues(service, env string) bot.Values {
	v := values(service, env, "edit", "1h", "prod payouts down, INC-4300")
	v.Set(fieldConfirm, "true")
	return v
}

// noBindings checks that nothing was bound in namespace ns of env.
func (h *harness) noBindings(env, ns string) {
	h.t.Helper()
	rbs, err := h.cluster.cs[env].RbacV1().RoleBindings(ns).List(h.ctx, metav1.ListOptions{})
	if err != nil || len(rbs.Items) != 0 {
		h.t.Fatalf("rolebindings in %s/%s: %+v %v", env, ns, rbs, err)
	}
	sas, err := h.cluster.cs[env].CoreV1().ServiceAccounts(ns).List(h.ctx, metav1.ListOptions{})
	if err != nil || len(sas.Items) != 0 {
		h.t.Fatalf("serviceaccounts in %s/%s: %+v %v", env, ns, sas, err)
	}
}

// TestSystemNamespaceAnnotationRefused: a team pointing its service's
// namespace annotation at kube-system gets nothing there, not even with
// break-glass, and is told which namespace was refused.
func TestSystemNamespaceAnnotationRefused(t *testing.T) {
	h := newHarness(t)
	h.run(rita, "access node-agent --break-glass")
	h.wantSent("respond", "", "names namespace `kube-system`")
	h.wantSent("respond", "", "a system namespace: platbot never grants access there")

	for _, line := range []string{"access node-agent prod-us --break-glass", "access node-agent prod-us"} {
		v := breakGlassValues("node-agent", "prod-us")
		errs := h.submit(rita, line, v)
		if errs == nil || !strings.Contains(errs[fieldService], "`kube-system`") || !strings.Contains(errs[fieldService], "system namespace") {
			t.Fatalf("%s: field errors %v", line, errs)
		}
	}
	h.jobs()
	h.noBindings("prod-us", "kube-system")
	if recs, _ := h.st.ListRecords(h.ctx, store.Query{Kind: RecordKind}); len(recs) != 0 {
		t.Fatalf("%d requests stored", len(recs))
	}
}

// TestNamespaceOutsideTheAllowlistRefused: the environment's allowlist, not
// the catalog, decides where access is bound.
func TestNamespaceOutsideTheAllowlistRefused(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"access search-api prod-us", "access search-api prod-us --break-glass"} {
		errs := h.submit(olga, line, breakGlassValues("search-api", "prod-us"))
		msg := errs[fieldService]
		if !strings.Contains(msg, "namespace `search`") || !strings.Contains(msg, "not one of the namespaces this environment allows access to (payments, gateway)") {
			t.Fatalf("%s: field errors %v", line, errs)
		}
	}
	h.jobs()
	h.noBindings("prod-us", "search")

	// The rule is read again when credentials are issued: a request
	// approved after the platform narrowed it is not issued.
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	env, _ := h.a.cfg.Env("prod-us")
	env.Namespaces.Allow = []string{"gateway"}
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	r := h.wantState(id, StateFailed)
	if !strings.Contains(r.Failure, `namespace "payments"`) {
		t.Fatalf("failure = %q", r.Failure)
	}
	h.noBindings("prod-us", "payments")
	h.wantSent("dm", "D-"+rita, "could not be issued")
}

// TestNamespaceSelectorChecked: with a label selector, the Namespace object
// in the environment's cluster must carry the labels (client-go fake
// clientset here; TestRealClusterNamespaceSelector on a real API server).
func TestNamespaceSelectorChecked(t *testing.T) {
	h := newHarness(t, func(_ *harness, cfg *Config) {
		cfg.Environments[0].Namespaces = Namespaces{Selector: "platbot.dev/access=allowed"}
	})
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{
		"payments": {"platbot.dev/access": "allowed"},
		"gateway":  {"team": "engineering"},
	} {
		if _, err := h.cluster.cs["prod-us"].CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	errs := h.submit(erin, "access gateway-api prod-us", values("gateway-api", "prod-us", "view", "1h", testReason))
	if msg := errs[fieldService]; !strings.Contains(msg, "namespace `gateway`") || !strings.Contains(msg, `does not match this environment's namespace selector "platbot.dev/access=allowed"`) {
		t.Fatalf("field errors %v", errs)
	}

	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	h.wantState(id, StateActive)
	if h.cluster.bindingRole(t, "prod-us", "payments", id) != "view" {
		t.Fatal("not bound in the matching namespace")
	}
}

// TestBreakGlassThroughParentGroupRefused: rita is in payments, a child of
// engineering; that does not make her an owner of engineering's service,
// for breaking glass or for approving.
func TestBreakGlassThroughParentGroupRefused(t *testing.T) {
	for _, realPolicy := range []bool{false, true} {
		var opts []option
		if realPolicy {
			opts = append(opts, withDefaultPolicy)
		}
		h := newHarness(t, opts...)
		errs := h.submit(rita, "access gateway-api prod-us --break-glass", breakGlassValues("gateway-api", "prod-us"))
		if msg := errs[fieldService]; !strings.Contains(msg, "direct members of group:default/engineering") {
			t.Fatalf("policy %v: field errors %v", realPolicy, errs)
		}
		h.jobs()
		h.noBindings("prod-us", "gateway")

		// Nor may she approve erin's request on it.
		id := h.request(erin, "gateway-api", "prod-us", "view", "1h")
		h.click(rita, euApprovals, ActionApprove, id)
		h.wantSent("ephemeral", euApprovals, "Only peers in group:default/engineering or their manager")
		h.wantState(id, StatePending)

		// Erin, a direct member, may break glass on it.
		if errs := h.submit(erin, "access gateway-api prod-us --break-glass", breakGlassValues("gateway-api", "prod-us")); errs != nil {
			t.Fatalf("policy %v: direct member refused: %v", realPolicy, errs)
		}
		h.wantState(h.lastID(), StateApproved)
	}
}

// TestBreakGlassGovernedByPolicyRule: break-glass is its own policy action,
// so an admin's rule decides it, and the denial names the rule.
func TestBreakGlassGovernedByPolicyRule(t *testing.T) {
	cfg := policy.DefaultConfig()
	cfg.Rules = append([]policy.Rule{{
		Name: "no-break-glass-in-prod-us", Effect: policy.Deny, Actions: []string{bot.ActionBreakGlass},
		When: `"environment:prod-us" in resource.tags && "level:edit" in resource.tags`, Description: "prod-us is frozen for the migration.",
	}}, cfg.Rules...)
	h := newHarness(t, withDefaultPolicy, func(h *harness, _ *Config) { h.policyCfg = &cfg })

	errs := h.submit(rita, "access payments-api prod-us --break-glass", breakGlassValues("payments-api", "prod-us"))
	if msg := errs[fieldService]; !strings.Contains(msg, "no-break-glass-in-prod-us") || !strings.Contains(msg, "frozen for the migration") {
		t.Fatalf("field errors %v", errs)
	}
	h.jobs()
	h.noBindings("prod-us", "payments")
	evs, err := h.st.AuditEvents(h.ctx, store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		if e.Action == "policy.break-glass" && e.Decision == "deny" && e.Details["rule"] == "no-break-glass-in-prod-us" && e.Target == "component:default/payments-api" {
			found = true
		}
	}
	if !found {
		t.Fatal("the break-glass denial is not audited with its rule")
	}

	// The rule is narrow: view access in prod-us still breaks glass.
	v := breakGlassValues("payments-api", "prod-us")
	v.Set(fieldLevel, "view")
	if errs := h.submit(rita, "access payments-api prod-us --break-glass", v); errs != nil {
		t.Fatalf("view break-glass: %v", errs)
	}
	h.wantState(h.lastID(), StateApproved)
}

// TestDryRunIssuerShowsWhatItWouldCreate: demo mode's issuer runs the whole
// flow and tells the requester what it would have created.
func TestDryRunIssuerShowsWhatItWouldCreate(t *testing.T) {
	h := newHarness(t, func(h *harness, cfg *Config) { h.issuers = DryRunIssuers(*cfg, h.logger()) })
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	r := h.wantState(id, StateActive)
	dm := h.wantSent("dm", "D-"+rita, "Dry run (demo mode)")
	text := dm.Text()
	for _, want := range []string{
		"ServiceAccount `system:serviceaccount:payments:" + saName(id) + "`", "RoleBinding in namespace `payments` to ClusterRole `view`",
		"kind: RoleBinding", "kind: ServiceAccount", "platbot.dev/expires-at: \"" + r.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z") + "\"",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dry-run DM lacks %q:\n%s", want, text)
		}
	}
	if len(h.sent("upload", "", "")) != 0 {
		t.Error("a dry run uploaded a kubeconfig")
	}
	h.wantSent("post", payApprovals, "nothing was created in a cluster")
	// And it refuses what the real issuer refuses.
	errs := h.submit(olga, "access search-api prod-us", values("search-api", "prod-us", "view", "1h", testReason))
	if !strings.Contains(errs[fieldService], "namespace `search`") {
		t.Fatalf("field errors %v", errs)
	}
}

// TestApproveAndDenyByCommand: the card's buttons as commands, with the
// same checks, for a reviewer without the card at hand (another shell
// session).
func TestApproveAndDenyByCommand(t *testing.T) {
	h := newHarness(t, withDefaultPolicy)
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.run(rita, "access approve "+id)
	h.wantSent("ephemeral", "C-GENERAL", "can't review your own")
	h.run(olga, "access approve "+id)
	h.wantSent("ephemeral", "C-GENERAL", "Only peers in group:default/payments or their manager")
	h.wantState(id, StatePending)
	if got := h.sent("respond", "", "is recorded"); len(got) != 0 {
		t.Fatalf("a refused approval was confirmed: %+v", got)
	}

	h.run(peter, "access approve "+strings.ToUpper(id))
	h.wantSent("respond", "", "Your approval of `"+id+"`")
	h.wantState(id, StateApproved)
	h.jobs()
	h.wantState(id, StateActive)
	h.wantSent("upload", "D-"+rita, "")

	id2 := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.run(paula, "access deny "+id2)
	h.wantSent("respond", "", "You denied `"+id2+"`")
	h.wantState(id2, StateDenied)

	h.run(peter, "access approve")
	h.wantSent("respond", "", "Usage: `/plat access approve <id>`")
}
