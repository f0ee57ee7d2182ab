package access

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	rbacv1 "k8s.io/api/rbac/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

func TestBadInputIsExplainedAndNothingIssued(t *testing.T) {
	h := newHarness(t)

	// On the command line.
	h.run(rita, "access no-such-service prod-us")
	h.wantSent("respond", "", "There is no service `no-such-service` in the catalog")
	h.run(rita, "access payments-api staging")
	h.wantSent("respond", "", "There is no environment `staging`. Choose one of `prod-us`, `prod-eu`")
	h.run(rita, "access legacy-batch prod-us")
	h.wantSent("respond", "", "has no `backstage.io/kubernetes-namespace` annotation")
	h.run(rita, "access a b c")
	h.wantSent("respond", "", "Usage:")
	if len(h.m.Ops("form")) != 0 {
		t.Fatal("a form opened for bad arguments")
	}

	long := strings.Repeat("x", ReasonMax+1)
	for _, c := range []struct {
		name  string
		v     bot.Values
		field string
		want  string
	}{
		{"duration over the environment cap", values("payments-api", "prod-eu", "view", "8h", testReason), fieldDuration, "prod-eu allows at most 4h"},
		{"duration over the cap, typed", values("payments-api", "prod-us", "view", "9h", testReason), fieldDuration, "not one of the choices"},
		{"unknown service", values("nope", "prod-us", "view", "1h", testReason), fieldService, "There is no service `nope`"},
		{"unknown environment", values("payments-api", "staging", "view", "1h", testReason), fieldEnv, "not one of the choices"},
		{"level not offered there", values("payments-api", "prod-eu", "edit", "1h", testReason), fieldLevel, "prod-eu allows only view, exec"},
		{"empty reason", values("payments-api", "prod-us", "view", "1h", ""), fieldReason, "required"},
		{"short reason", values("payments-api", "prod-us", "view", "1h", "because"), fieldReason, "at least 10 characters"},
		{"long reason", values("payments-api", "prod-us", "view", "1h", long), fieldReason, "at most 400 characters"},
		{"bad ticket", func() bot.Values {
			v := values("payments-api", "prod-us", "view", "1h", testReason)
			v.Set(fieldTicket, "OPS-123")
			return v
		}(), fieldTicket, "https://jira.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The form offers all environments when none was typed.
			errs := h.submit(rita, "access", c.v)
			if errs == nil || !strings.Contains(errs[c.field], c.want) {
				t.Fatalf("errors = %v, want %s: …%s…", errs, c.field, c.want)
			}
		})
	}

	// When the environment was typed, the form offers only its choices.
	if errs := h.submit(rita, "access payments-api prod-eu", values("payments-api", "prod-eu", "view", "8h", testReason)); errs == nil || !strings.Contains(errs[fieldDuration], "not one of the choices") {
		t.Errorf("8h in prod-eu: %v", errs)
	}
	// Validate (the feature's own rules) also holds without a form.
	v := values("payments-api", "prod-us", "view", "15d", testReason)
	if errs := h.a.validateRequest(h.ctx, h.req(rita, ""), v); !strings.Contains(errs[fieldDuration], "hard cap of 14d") {
		t.Errorf("over the hard cap: %v", errs)
	}
	// Submit re-checks (a submission may not have been validated).
	r := h.req(rita, "")
	r.Command = "access"
	if err := h.a.submitRequest(h.ctx, r, values("payments-api", "prod-eu", "view", "8h", testReason)); err == nil {
		t.Error("submit accepted a duration over the cap")
	}

	recs, err := h.st.ListRecords(h.ctx, store.Query{Kind: RecordKind})
	if err != nil || len(recs) != 0 {
		t.Fatalf("bad input stored %d requests (%v)", len(recs), err)
	}
	if len(h.cluster.Tokens()) != 0 || len(h.m.Ops("post")) != 0 {
		t.Fatal("bad input reached the cluster or the approvals channel")
	}
}

func TestEnvironmentFirstAndPrefixArguments(t *testing.T) {
	h := newHarness(t)
	// "/plat access prod payments-api": env first, and "prod" means any
	// prod-* environment, chosen in the form.
	h.run(rita, "access prod payments-api")
	f := h.m.Last().Form
	if f == nil {
		t.Fatalf("no form: %s", h.m.Last().Text())
	}
	if f.Field(fieldService).Default != "payments-api" {
		t.Errorf("service = %q", f.Field(fieldService).Default)
	}
	env := f.Field(fieldEnv)
	if len(env.Options) != 2 || env.Default != "" {
		t.Errorf("environment field = %+v", env)
	}
	// The level choices are the union; the duration choices stop at the
	// largest maximum, and Validate applies each environment's own.
	if f.Field(fieldDuration).Options[len(f.Field(fieldDuration).Options)-1].Value != "8h" {
		t.Errorf("durations = %+v", f.Field(fieldDuration).Options)
	}
}

func TestCatalogRequestButtonOpensTheForm(t *testing.T) {
	h := newHarness(t)
	h.click(rita, "C-CATALOG", ActionRequest, "component:default/payments-api")
	f := h.m.Last().Form
	if f == nil || f.ID != "access" || f.Field(fieldService).Default != "component:default/payments-api" {
		t.Fatalf("form = %+v", h.m.Last())
	}
	// Its submission goes through the same command.
	v := values("component:default/payments-api", "prod-us", "view", "1h", testReason)
	if errs := h.submit(rita, "access component:default/payments-api", v); errs != nil {
		t.Fatal(errs)
	}
	h.wantState(h.lastID(), StatePending)

	h.click(rita, "C-CATALOG", ActionRequest, "component:default/nope")
	h.wantSent("respond", "", "There is no service")
}

func TestBreakGlass(t *testing.T) {
	h := newHarness(t)
	h.run(rita, "access payments-api prod --break-glass")
	f := h.m.Last().Form
	if f == nil || f.Title != "Break-glass access" || f.Field(fieldConfirm) == nil || !f.Field(fieldConfirm).Required {
		t.Fatalf("want the break-glass form with a confirmation, got %+v", h.m.Last())
	}
	for _, o := range f.Field(fieldDuration).Options {
		if d, _ := ParseDuration(o.Value); d > time.Hour {
			t.Errorf("break-glass offers %s", o.Value)
		}
	}
	line := "access payments-api prod-us --break-glass"
	v := values("payments-api", "prod-us", "edit", "1h", "prod payouts down, INC-4300")

	// No confirmation, no reason, too long, or not in the team: refused.
	if errs := h.submit(rita, line, v); errs == nil || errs[fieldConfirm] == "" {
		t.Fatalf("unconfirmed break-glass: %v", errs)
	}
	v.Set(fieldConfirm, "true")
	bad := values("payments-api", "prod-us", "edit", "1h", "")
	bad.Set(fieldConfirm, "true")
	if errs := h.submit(rita, line, bad); errs == nil || errs[fieldReason] == "" {
		t.Fatalf("break-glass without a reason: %v", errs)
	}
	bgReq := h.req(rita, "")
	bgReq.Flags = bot.Flags{flagBreakGlass: "true"}
	tooLong := values("payments-api", "prod-us", "edit", "2h", testReason)
	tooLong.Set(fieldConfirm, "true")
	if errs := h.a.validateRequest(h.ctx, bgReq, tooLong); !strings.Contains(errs[fieldDuration], "at most 1h") {
		t.Fatalf("2h break-glass: %v", errs)
	}
	if errs := h.submit(olga, line, v); errs == nil || !strings.Contains(errs[fieldService], "for direct members of group:default/payments") {
		t.Fatalf("outsider break-glass: %v", errs)
	}

	if errs := h.submit(rita, line, v); errs != nil {
		t.Fatal(errs)
	}
	id := h.lastID()
	r := h.wantState(id, StateApproved)
	if !r.BreakGlass || !r.ApprovedAt.Equal(h.clock.Now()) || !r.ExpiresAt.Equal(h.clock.Now().Add(time.Hour)) {
		t.Fatalf("break-glass grant = %+v", r)
	}
	// Loud: the approvals channel (root + broadcast thread reply) and the team.
	root := h.wantSent("post", payApprovals, "BREAK-GLASS access "+id)
	if bs := buttons(root); len(bs) != 1 || bs[0].ActionID != ActionReview {
		t.Errorf("break-glass card buttons = %+v", bs)
	}
	bc := h.wantSent("post", payApprovals, "took *edit*")
	if !bc.Msg.Broadcast || bc.Msg.ThreadTS != root.Ref.TS {
		t.Error("break-glass thread reply is not broadcast to the channel")
	}
	h.wantSent("post", teamChannel, "BREAK-GLASS access "+id)
	h.jobs()
	h.wantState(id, StateActive)
	h.wantSent("upload", "D-"+rita, "")
	if h.cluster.bindingRole(t, "prod-us", "payments", id) != "edit" {
		t.Fatal("break-glass not issued")
	}

	// Nags until reviewed.
	h.clock.Advance(4 * time.Hour)
	h.jobs()
	h.wantState(id, StateExpired)
	nag := h.wantSent("post", payApprovals, "Reminder 1")
	if bs := buttons(nag); len(bs) != 1 || bs[0].ActionID != ActionReview {
		t.Errorf("reminder buttons = %+v", bs)
	}
	h.wantSent("dm", "D-"+maria, "still needs its follow-up review")
	h.clock.Advance(4 * time.Hour)
	h.jobs()
	h.wantSent("post", payApprovals, "Reminder 2")

	// The requester cannot review their own break-glass use.
	h.click(rita, payApprovals, ActionReview, id)
	h.wantSent("ephemeral", payApprovals, "can't review your own")
	// A peer can: the button opens the review form.
	h.click(peter, payApprovals, ActionReview, id)
	if f := h.m.Last().Form; f == nil || f.ID != "access review" {
		t.Fatalf("review form: %+v", h.m.Last())
	}
	if errs := h.submit(peter, "access review "+id, bot.Values{fieldVerdict: {VerdictJustified}, fieldNote: {"payouts were down; fix merged in #812"}}); errs != nil {
		t.Fatal(errs)
	}
	r = h.wantState(id, StateExpired)
	if r.FollowUp == nil || r.FollowUp.User.ID != peter || r.FollowUp.Verdict != VerdictJustified {
		t.Fatalf("follow-up = %+v", r.FollowUp)
	}
	h.wantSent("post", payApprovals, "Follow-up review by <@"+peter+">")
	h.wantSent("dm", "D-"+rita, "was reviewed by")
	// No more reminders.
	h.clock.Advance(12 * time.Hour)
	h.jobs()
	if len(h.sent("post", payApprovals, "Reminder 3")) != 0 {
		t.Error("nagged after the review")
	}
	// A second review is refused.
	h.run(paula, "access review "+id)
	h.wantSent("ephemeral", "C-GENERAL", "already reviewed")

	evs, _ := h.st.AuditEvents(h.ctx, store.AuditFilter{}, 0)
	var bg, review bool
	for _, e := range evs {
		bg = bg || (e.Action == "access.breakglass" && e.ActorID == rita && e.Details["reason"] == "prod payouts down, INC-4300" &&
			e.Details["kube_identity"] == "system:serviceaccount:payments:platbot-"+id)
		review = review || (e.Action == "access.breakglass.review" && e.ActorID == peter && e.Details["verdict"] == VerdictJustified)
	}
	if !bg || !review {
		t.Errorf("audit: break-glass %v, review %v", bg, review)
	}
}

func TestBreakGlassNagsSurviveRestart(t *testing.T) {
	h := newHarness(t)
	v := values("payments-api", "prod-us", "view", "30m", "prod payouts down, INC-4300")
	v.Set(fieldConfirm, "true")
	if errs := h.submit(peter, "access payments-api prod-us --break-glass", v); errs != nil {
		t.Fatal(errs)
	}
	id := h.lastID()
	h.jobs()
	h.restart()
	h.clock.Advance(4 * time.Hour)
	h.jobs()
	if n := len(h.sent("post", payApprovals, "Reminder 1")); n != 1 {
		t.Fatalf("%d first reminders after a restart, want 1:\n%s", n, h.dump())
	}
	h.wantState(id, StateExpired)
}

func TestConfig(t *testing.T) {
	var n yaml.Node
	src := `
pendingTTL: 12h
levels: {view: view, Edit: edit}
environments:
  - name: prod-us
    kubeContext: prod-us
    approvalsRequired: 2
    maxDuration: 14d
    namespaces: {allow: [payments, checkout]}
    approvals:
      default: C1
      teams: {group:default/Payments: C2}
  - name: prod-eu
    aliases: [europe]
    kubeContext: eu
    namespaces: {selector: "platbot.dev/access in (allowed)"}
    approvals: {default: C3}
    breakGlass: false
`
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	cfg, err := DecodeConfig(n.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PendingTTL.D() != 12*time.Hour || cfg.WarnBefore.D() != DefaultWarnBefore || cfg.DefaultDuration.D() != time.Hour {
		t.Errorf("durations: %+v", cfg)
	}
	us, _ := cfg.Env("prod-us")
	eu, _ := cfg.Env("prod-eu")
	if us.MaxDuration.D() != HardMaxDuration || us.ApprovalsRequired != 2 || eu.MaxDuration.D() != DefaultMaxDuration || eu.ApprovalsRequired != 1 {
		t.Errorf("environments: %+v %+v", us, eu)
	}
	if us.ChannelFor("group:default/payments") != "C2" || us.ChannelFor("group:default/other") != "C1" {
		t.Error("approvals channel per team")
	}
	if r := us.Namespaces.Rule(); strings.Join(r.Allow, ",") != "payments,checkout" || r.Selector != "" {
		t.Errorf("prod-us namespaces = %+v", r)
	}
	if r := eu.Namespaces.Rule(); len(r.Allow) != 0 || r.Selector != "platbot.dev/access in (allowed)" {
		t.Errorf("prod-eu namespaces = %+v", r)
	}
	if eu.BreakGlassAllowed() || !us.BreakGlassAllowed() {
		t.Error("breakGlass flag")
	}
	if got := cfg.LevelNames(); strings.Join(got, ",") != "view,edit" {
		t.Errorf("levels = %v", got)
	}
	if m := cfg.MatchEnvs("prod"); len(m) != 2 {
		t.Errorf("prod matches %d", len(m))
	}
	if m := cfg.MatchEnvs("europe"); len(m) != 1 || m[0].Name != "prod-eu" {
		t.Errorf("alias: %v", m)
	}

	for _, bad := range []struct{ src, want string }{
		{`environments: [{name: a, approvals: {default: C}}]`, "levels"},
		{`levels: {view: view}`, "environments"},
		{`levels: {view: view}
environments: [{name: a, maxDuration: 15d, approvals: {default: C}}]`, "hard cap"},
		{`levels: {view: view}
environments: [{name: a, maxDuration: 5m, approvals: {default: C}}]`, "below the minimum"},
		{`levels: {view: view}
environments: [{name: a}]`, "approvals"},
		{`levels: {view: view}
environments: [{name: a, namespaces: {allow: [x]}, approvals: {default: C}}, {name: a, namespaces: {allow: [x]}, approvals: {default: C}}]`, "used twice"},
		{`levels: {view: view}
environments: [{name: a, levels: [edit], approvals: {default: C}}]`, "not one of the configured levels"},
		{`levels: {view: view}
environments: [{name: a, maxDuration: forever, approvals: {default: C}}]`, "duration"},
		{`levels: {view: view}
environments: [{name: a, approvals: {default: C}}]`, "environments[0] (a): namespaces: name the namespaces access may be bound in"},
		{`levels: {view: view}
environments: [{name: a, namespaces: {allow: [payments, kube-system]}, approvals: {default: C}}]`, `namespaces: allow: "kube-system" is a system namespace`},
		{`levels: {view: view}
environments: [{name: a, namespaces: {selector: "a in (b"}, approvals: {default: C}}]`, `namespaces: selector "a in (b"`},
		{`levels: {view: view}
environments: [{name: a, serviceAccountNamespace: access, namespaces: {allow: [access]}, approvals: {default: C}}]`, `"access" is the serviceAccountNamespace`},
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(bad.src), &n); err != nil {
			t.Fatal(err)
		}
		_, err := DecodeConfig(n.Content[0])
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err = %v, want …%s…", bad.src, err, bad.want)
		}
	}
}

// TestConfigUnknownKeys: a typo is an error naming the key, its line and
// the key meant, never a silent default ("approvalRequired: 3" must not
// leave one approval enough).
func TestConfigUnknownKeys(t *testing.T) {
	src := `# access section
access:
  levels: {view: view}
  environments:
    - name: prod-us
      kubeContext: prod-us
      approvalRequired: 3
      approvals:
        default: C1
        team: {group:default/payments: C2}
  pendingTtl: 12h
`
	var doc struct {
		Access yaml.Node `yaml:"access"`
	}
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	_, err := DecodeConfig(&doc.Access)
	if err == nil {
		t.Fatal("unknown keys accepted")
	}
	for _, want := range []string{
		`unknown key "approvalRequired" in access.environments[0] (line 7): did you mean "approvalsRequired"?`,
		`unknown key "team" in access.environments[0].approvals (line 10): did you mean "teams"?`,
		`unknown key "pendingTtl" in access (line 11): did you mean "pendingTTL"?`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s:\n%v", want, err)
		}
	}

	// A key nothing resembles lists the known ones.
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("levels: {view: view}\nenvironments: [{name: a, approvals: {default: C}}]\nflavour: mint\n"), &n); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeConfig(n.Content[0]); err == nil || !strings.Contains(err.Error(), `unknown key "flavour" in access (line 3): known keys are `) {
		t.Errorf("err = %v", err)
	}
	// Keys of maps (levels, approval teams) are data, not fields.
	if err := yaml.Unmarshal([]byte("levels: {view: view, debug: platbot-debug}\nenvironments: [{name: a, namespaces: {allow: [x]}, approvals: {default: C, teams: {group:default/x: C9}}}]\n"), &n); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeConfig(n.Content[0]); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30m": 30 * time.Minute, "8h": 8 * time.Hour, "14d": HardMaxDuration, "1d12h": 36 * time.Hour, "3600": time.Hour, " 1H ": time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "xd", "-1d"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
	for d, want := range map[time.Duration]string{
		45 * time.Minute: "45m", time.Hour: "1h", 90 * time.Minute: "1h30m", 3 * 24 * time.Hour: "3d", 52 * time.Hour: "2d4h",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../examples/access/platbot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Access yaml.Node `yaml:"access"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	cfg, err := DecodeConfig(&doc.Access)
	if err != nil {
		t.Fatalf("examples/access/platbot.yaml: %v", err)
	}
	if len(cfg.Environments) != 3 || len(cfg.MatchEnvs("prod")) != 2 || cfg.Levels["exec"] != "platbot-exec" {
		t.Errorf("example config = %+v", cfg)
	}
	us, _ := cfg.Env("prod-us")
	if us.ChannelFor("group:default/payments") != "#payments-approvals" || us.ApprovalsRequired != 2 {
		t.Errorf("prod-us = %+v", us)
	}
	if cfg.Levels["edit"] != "platbot-edit" {
		t.Errorf("edit level = %q, want platbot-edit (not the built-in edit ClusterRole)", cfg.Levels["edit"])
	}
}

// TestExampleRBAC: examples/access/rbac.yaml's platbot-edit grants nothing
// that could outlive a revocation, and platbot may bind exactly the
// ClusterRoles the example levels name.
func TestExampleRBAC(t *testing.T) {
	data, err := os.ReadFile("../../examples/access/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]rbacv1.ClusterRole{}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var meta struct{ Kind string }
		if err := sigsyaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Kind != "ClusterRole" {
			continue
		}
		var r rbacv1.ClusterRole
		if err := sigsyaml.UnmarshalStrict([]byte(doc), &r); err != nil {
			t.Fatal(err)
		}
		roles[r.Name] = r
	}
	edit, ok := roles["platbot-edit"]
	if !ok {
		t.Fatal("rbac.yaml has no platbot-edit ClusterRole")
	}
	writes := []string{"create", "update", "patch", "delete", "deletecollection", "*"}
	for _, r := range edit.Rules {
		for _, res := range r.Resources {
			switch {
			case res == "*" || slices.Contains(r.Verbs, "*"):
				t.Errorf("platbot-edit uses a wildcard: %+v", r)
			case slices.Contains(r.Verbs, "impersonate") || slices.Contains(r.Verbs, "escalate") || slices.Contains(r.Verbs, "bind"):
				t.Errorf("platbot-edit may impersonate, escalate or bind: %+v", r)
			case strings.HasPrefix(res, "serviceaccounts"), res == "secrets":
				t.Errorf("platbot-edit touches %s: %+v", res, r)
			case (res == "roles" || res == "rolebindings") && slices.ContainsFunc(r.Verbs, func(v string) bool { return slices.Contains(writes, v) }):
				t.Errorf("platbot-edit writes %s: %+v", res, r)
			}
		}
	}

	var doc struct {
		Access yaml.Node `yaml:"access"`
	}
	b, err := os.ReadFile("../../examples/access/platbot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	cfg, err := DecodeConfig(&doc.Access)
	if err != nil {
		t.Fatal(err)
	}
	var bindable []string
	for _, r := range roles["platbot-access-issuer"].Rules {
		if slices.Contains(r.Verbs, "bind") {
			bindable = append(bindable, r.ResourceNames...)
		}
	}
	for level, role := range cfg.Levels {
		if !slices.Contains(bindable, role) {
			t.Errorf("level %s: platbot may not bind ClusterRole %s (it may bind %v)", level, role, bindable)
		}
		if _, shipped := roles[role]; !shipped && role != "view" {
			t.Errorf("level %s: ClusterRole %s is neither built in nor in rbac.yaml", level, role)
		}
	}
	if slices.Contains(bindable, "edit") || slices.Contains(bindable, "admin") {
		t.Errorf("platbot may bind a built-in role that mints tokens: %v", bindable)
	}
}
