package placement

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/bot/bottest"
	exampleplacement "github.com/platbot/platbot/examples/placement"
)

func contains(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

func TestWhereShowsDecisionsAndUnknownLiveStatus(t *testing.T) {
	e := newEnv(t, options{})
	out := e.h.Run("U-dave", "where checkout-service")
	contains(t, out,
		"*dev* (standard) → cluster `use1-shared`: rule `standard` matched tier=standard",
		"*staging* (standard) → cluster `use1-shared`",
		"*prod-us* (tier1, us-east-1) → cluster `use1-prod-a`: rule `tier1-us` matched tier=tier1, region=us-east-1; passed over use1-prod-b (cordoned: it takes no new placements)",
		"*prod-eu* (tier1, eu-west-1) → cluster `euw1-prod-a`: rule `tier1-eu` matched tier=tier1, region=eu-west-1",
		"Live: "+statusUnknown,
		"Intent from spec.deployment",
	)
	if n := strings.Count(out, statusUnknown); n != 4 {
		t.Errorf("live status unknown %d times, want once per environment", n)
	}
	// The compact annotation form.
	out = e.h.Run("U-dave", "where cart-service")
	contains(t, out, "*prod* (tier1, eu-west-1) → cluster `euw1-prod-a`", "Intent from annotation platbot.dev/environments")
}

func TestWhereLiveStatusAndGitOps(t *testing.T) {
	synced := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	files := mapFiles{"apps/checkout/checkout-service/prod-eu.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: checkout-service-prod-eu, namespace: argocd}
spec:
  project: checkout
  source: {repoURL: https://github.com/acme/deploy, path: x}
  destination: {server: https://use1-prod-a.k8s.acme.example, namespace: checkout}
`}
	e := newEnv(t, options{files: files, status: fakeStatus{
		"checkout-service/prod-us": {Sync: "Synced", Health: "Healthy", Revision: "0123456789abcdef", LastSynced: synced, OperationPhase: "Succeeded", URL: "https://argocd.acme.example/applications/checkout-service-prod-us"},
		"checkout-service/prod-eu": {Sync: "OutOfSync", Health: "Degraded"},
	}})
	out := e.h.Run("U-dave", "where checkout-service")
	contains(t, out,
		"Live: Synced · Healthy · revision `0123456789ab` · last synced 2026-03-04 10:30 UTC · operation Succeeded",
		"Live: OutOfSync · Degraded",
		"Live: no Argo CD Application reports this environment yet",
		"*prod-eu* (tier1, eu-west-1) → runs on `use1-prod-a` (Application `apps/checkout/checkout-service/prod-eu.yaml`), rules would place `euw1-prod-a`: rule `tier1-eu` matched tier=tier1, region=eu-west-1\n"+
			"`/plat move checkout-service prod-eu --auto` moves it where the rules place it",
		"*prod-us* (tier1, us-east-1) → cluster `use1-prod-a`: rule `tier1-us` matched tier=tier1, region=us-east-1; passed over use1-prod-b (cordoned: it takes no new placements) (no Application in the GitOps repository yet)",
	)
}

func TestWhereErrors(t *testing.T) {
	e := newEnv(t, options{})
	contains(t, e.h.Run("U-dave", "where checkout-servce"), "I can't find a service called `checkout-servce` in the catalog. Did you mean `checkout-service`?")
	contains(t, e.h.Run("U-dave", "where report-builder"), "`report-builder` declares no environments. Add `spec.deployment")
	contains(t, e.h.Run("U-dave", "where broken-service"), "The deployment intent of `broken-service` is not valid",
		`annotation platbot.dev/environments: environment 2 ("Prod!"): name "Prod!" must be lower-case letters, digits and dashes`)
}

func TestNotConfigured(t *testing.T) {
	e := newEnv(t, options{cfg: func(c *Config) { c.Clusters, c.Rules = nil, nil }})
	contains(t, e.h.Run("U-alice", "where checkout-service"), "Placement is not configured")
	contains(t, e.h.Run("U-alice", "move checkout-service dev --auto"), "Placement is not configured")
}

func TestClustersListsPlacementsAndCountsForAdmins(t *testing.T) {
	e := newEnv(t, options{})
	out := e.h.Run("U-carol", "clusters")
	contains(t, out,
		"Clusters (5)",
		"*use1-prod-a* — us-east-1 · tiers tier1 · server https://use1-prod-a.k8s.acme.example · labels pci=true, provider=eks\n0 placement(s) and 1 planned: checkout-service/prod-us (planned)",
		"*use1-prod-b* — us-east-1 · tiers tier1 · server https://use1-prod-b.k8s.acme.example · 🚧 cordoned (no new placements) · labels provider=eks\n0 placement(s)",
		"*use1-shared* — us-east-1 · tiers standard · server https://use1-shared.k8s.acme.example · labels provider=eks\n0 placement(s) and 3 planned: cart-service/dev (planned), checkout-service/dev (planned), checkout-service/staging (planned)",
		"*euw1-prod-a* — eu-west-1 · tiers tier1 · Argo CD cluster euw1-prod-a · labels provider=eks\n0 placement(s) and 2 planned: cart-service/prod (planned), checkout-service/prod-eu (planned)",
		"2 service(s) declare environments; 5 rule(s).",
		"1 service(s) with an invalid intent: broken-service",
	)
	// The command needs the policy's admin action.
	var actions []string
	for _, d := range e.h.Policy.Seen() {
		actions = append(actions, d.Action)
	}
	if !slices.Contains(actions, bot.ActionAdmin) {
		t.Errorf("clusters was not checked as %s: %v", bot.ActionAdmin, actions)
	}
	e.h.Policy.Deny(bot.ActionAdmin)
	out = e.h.Run("U-alice", "clusters")
	if strings.Contains(out, "Clusters (5)") {
		t.Errorf("a denied user saw the clusters:\n%s", out)
	}
}

// decodeApp decodes an Application both typed and unstructured.
func decodeApp(t *testing.T, manifest string) (Application, map[string]any) {
	t.Helper()
	var app Application
	if err := yaml.Unmarshal([]byte(manifest), &app); err != nil {
		t.Fatalf("decode Application: %v\n%s", err, manifest)
	}
	var u map[string]any
	if err := yaml.Unmarshal([]byte(manifest), &u); err != nil {
		t.Fatal(err)
	}
	return app, u
}

func TestMoveNonProductionOpensPullRequest(t *testing.T) {
	e := newEnv(t, options{})
	out := e.h.Run("U-alice", "move checkout-service staging --to euw1-shared")
	contains(t, out, "📦 Pull request to move staging of checkout-service to `euw1-shared`",
		"pinned to euw1-shared by U-alice (U-alice) on 2025-03-04 09:00 UTC with /plat move --to: no reason given; the rules would place it on use1-shared")
	changes := e.pub.Changes()
	if len(changes) != 1 {
		t.Fatalf("%d pull requests, want 1", len(changes))
	}
	c := changes[0]
	const path = "apps/checkout/checkout-service/staging.yaml"
	if !strings.HasPrefix(c.Branch, "platbot/move/checkout-service/staging/euw1-shared/mv-") || len(c.Files) != 1 || c.Files[path] == "" {
		t.Fatalf("change: branch %q, files %v", c.Branch, c.Files)
	}
	app, u := decodeApp(t, c.Files[path])
	if u["apiVersion"] != "argoproj.io/v1alpha1" || u["kind"] != "Application" {
		t.Errorf("apiVersion %v kind %v", u["apiVersion"], u["kind"])
	}
	spec := u["spec"].(map[string]any)
	dest := spec["destination"].(map[string]any)
	if dest["name"] != "euw1-shared" || dest["namespace"] != "checkout" || dest["server"] != nil {
		t.Errorf("spec.destination = %v", dest)
	}
	if spec["project"] != "checkout" {
		t.Errorf("spec.project = %v, want the team's project", spec["project"])
	}
	if app.Metadata.Name != "checkout-service-staging" || app.Metadata.Namespace != "argocd" ||
		app.Spec.Source.RepoURL != "https://github.com/acme/deploy" || app.Spec.Source.Path != "teams/checkout/checkout-service/staging" ||
		app.Spec.Source.TargetRevision != "main" || app.Spec.SyncPolicy == nil || !app.Spec.SyncPolicy.Automated.SelfHeal ||
		!slices.Equal(app.Spec.SyncPolicy.SyncOptions, []string{"CreateNamespace=true"}) {
		t.Errorf("Application: %+v", app)
	}
	wantLabels := map[string]string{LabelService: "checkout-service", LabelTeam: "checkout", LabelEnvironment: "staging", LabelTier: "standard", LabelCluster: "euw1-shared"}
	for k, v := range wantLabels {
		if app.Metadata.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, app.Metadata.Labels[k], v)
		}
	}
	ev := findEvent(t, e.h, "placement.move")
	if ev.Outcome != "pr-opened" || ev.Details["to"] != "euw1-shared" || ev.Details["environment"] != "staging" || ev.Target != "component:default/checkout-service" {
		t.Errorf("audit event: %+v", ev)
	}
}

func findEvent(t *testing.T, h *bottest.Harness, action string) storeEvent {
	t.Helper()
	for _, ev := range h.Audit.Events() {
		if ev.Action == action {
			return storeEvent{Action: ev.Action, Outcome: ev.Outcome, Target: ev.Target, Details: ev.Details}
		}
	}
	t.Fatalf("no audit event %s among %v", action, h.Audit.Actions())
	return storeEvent{}
}

type storeEvent struct {
	Action, Outcome, Target string
	Details                 map[string]any
}

func TestMoveAutoRewritesExistingApplication(t *testing.T) {
	const path = "apps/checkout/checkout-service/dev.yaml"
	files := mapFiles{path: `# Owned by the checkout team.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: checkout-service-dev
  namespace: argocd
  labels:
    custom: kept
spec:
  project: checkout-dev # a hand-picked project
  source:
    repoURL: https://github.com/acme/checkout-deploy
    path: dev
  destination:
    name: euw1-shared
    namespace: checkout-dev
`}
	e := newEnv(t, options{files: files})
	out := e.h.Run("U-bob", "move checkout-service dev --auto")
	contains(t, out, "Pull request to move dev of checkout-service from `euw1-shared` to `use1-shared`", "rule `standard` matched tier=standard")
	c := e.pub.Changes()[0]
	manifest := c.Files[path]
	app, u := decodeApp(t, manifest)
	dest := u["spec"].(map[string]any)["destination"].(map[string]any)
	if dest["server"] != "https://use1-shared.k8s.acme.example" || dest["name"] != nil || dest["namespace"] != "checkout-dev" {
		t.Errorf("spec.destination = %v", dest)
	}
	if app.Spec.Project != "checkout-dev" || app.Spec.Source.RepoURL != "https://github.com/acme/checkout-deploy" || app.Metadata.Labels["custom"] != "kept" ||
		app.Metadata.Labels[LabelCluster] != "use1-shared" || !strings.Contains(app.Metadata.Annotations[AnnotationPlacement], "rule `standard`") {
		t.Errorf("Application not moved in place: %+v", app)
	}
	if !strings.Contains(manifest, "# Owned by the checkout team.") || !strings.Contains(manifest, "# a hand-picked project") {
		t.Errorf("comments lost:\n%s", manifest)
	}
	// Where it already is: nothing to move.
	files[path] = manifest
	contains(t, e.h.Run("U-bob", "move checkout-service dev --auto"), "dev of checkout-service already runs on `use1-shared`")
	if n := len(e.pub.Changes()); n != 1 {
		t.Errorf("%d pull requests, want still 1", n)
	}
}

func TestMoveRefusals(t *testing.T) {
	e := newEnv(t, options{})
	for _, tc := range []struct{ cmd, want string }{
		{"move checkout-service prod-us --to use1-prod-b", "Can't move prod-us of checkout-service to `use1-prod-b` (cordoned: it takes no new placements)."},
		{"move checkout-service prod-us --to euw1-prod-a", "Can't move prod-us of checkout-service to `euw1-prod-a` (in eu-west-1, not us-east-1)."},
		{"move checkout-service prod-us --to use1-shared", "Can't move prod-us of checkout-service to `use1-shared` (takes only standard, not tier1)."},
		{"move checkout-service prod-us --to use1-prod-c", "There is no cluster `use1-prod-c`. Did you mean `use1-prod-a`?"},
		{"move checkout-service prod-ap --to use1-prod-a", "`checkout-service` has no environment `prod-ap`; its environments are dev, staging, prod-us, prod-eu."},
		{"move checkout-service prod-us", "Usage: `/plat move <service> <env> --to <cluster> [--reason \"…\"]`"},
		{"move checkout-service prod-us --to use1-prod-a --auto", "Usage:"},
		{"move report-builder dev --auto", "`report-builder` declares no environments."},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			contains(t, e.h.Run("U-alice", tc.cmd), tc.want)
		})
	}
	if n := len(e.pub.Changes()); n != 0 {
		t.Errorf("a refused move opened %d pull request(s)", n)
	}
	if n := len(e.h.Messenger.Ops("post")); n != 0 {
		t.Errorf("a refused move posted %d card(s)", n)
	}
	ev := findEvent(t, e.h, "placement.move")
	if ev.Outcome != "refused" || ev.Details["to"] != "use1-prod-b" {
		t.Errorf("refusal not audited: %+v", ev)
	}
}

func TestMovePolicyChecksOwningGroup(t *testing.T) {
	e := newEnv(t, options{})
	e.h.Run("U-alice", "move checkout-service staging --to euw1-shared")
	var found bool
	for _, d := range e.h.Policy.Seen() {
		if d.Action == bot.ActionScaffold && d.Resource.Kind == "group" && d.Resource.Owner == "group:default/checkout" {
			found = true
		}
	}
	if !found {
		t.Errorf("move was not checked as %s on the owning group: %+v", bot.ActionScaffold, e.h.Policy.Seen())
	}
	// A refusal speaks of the move, not of scaffolding, whatever the
	// rule's own description says (the default policy's is given here).
	e.h.Policy.DecideWith(func(_ context.Context, u bot.User, action string, _ bot.Resource) bot.Decision {
		if action == bot.ActionScaffold && u.ID == "U-dave" {
			return bot.Decision{Rule: "scaffold-only-for-own-team", Reason: "Engineers may scaffold only for their own team."}
		}
		return bot.Decision{Allow: true, Rule: "test-allow"}
	})
	out := e.h.Run("U-dave", "move checkout-service dev --to euw1-shared")
	contains(t, out, "🚫 You may not move dev of checkout-service: only its owning team (checkout) and the platform admins may ask for a move "+
		"(policy rule `scaffold-only-for-own-team`; a move is decided as the `scaffold` action on the owning team). Ask a member of checkout, or a platform admin, to run it.")
	if strings.Contains(out, "may not scaffold") || strings.Contains(out, "may scaffold only") {
		t.Errorf("a refused move speaks of scaffolding:\n%s", out)
	}
	if n := len(e.pub.Changes()); n != 1 {
		t.Errorf("a denied move opened a pull request (%d in all)", n)
	}
	found = false
	for _, ev := range e.h.Audit.Events() {
		if ev.Action == "placement.move" && ev.Outcome == "denied" && ev.ActorID == "U-dave" {
			found = true
		}
	}
	if !found {
		t.Error("the denied move is not audited")
	}
}

// appOn is an Application of checkout-service's env with a destination.
func appOn(env, destination string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: checkout-service-` + env + `, namespace: argocd}
spec:
  project: checkout
  source: {repoURL: https://github.com/acme/deploy, path: services/checkout-service/overlays/` + env + `}
  destination: {` + destination + `, namespace: checkout}
`
}

// prodUSOnB: prod-us runs on use1-prod-b, cordoned since (what runs there
// stays), so moving it to use1-prod-a is a real move.
func prodUSOnB() mapFiles {
	return mapFiles{"apps/checkout/checkout-service/prod-us.yaml": appOn("prod-us", "server: https://use1-prod-b.k8s.acme.example")}
}

func TestMoveProductionNeedsApproval(t *testing.T) {
	// prod-eu runs on a retired Argo CD cluster; --auto moves it where the
	// rules place it.
	e := newEnv(t, options{files: mapFiles{"apps/checkout/checkout-service/prod-eu.yaml": appOn("prod-eu", "name: euw1-retired")}})
	out := e.h.Run("U-alice", "move checkout-service prod-eu --auto")
	contains(t, out, "🔐 Moving prod-eu of checkout-service from `euw1-retired` to `euw1-prod-a` is a production move: it needs 1 approval(s) in #platform")
	if n := len(e.pub.Changes()); n != 0 {
		t.Fatalf("a production move opened a pull request before its approval")
	}
	posts := e.h.Messenger.Ops("post")
	if len(posts) != 1 || posts[0].Channel != "#platform" {
		t.Fatalf("card posts: %+v", posts)
	}
	card := posts[0]
	contains(t, card.Text(), "Production move: checkout-service prod-eu", "U-alice asks to move *prod-eu* of *checkout-service* (tier1, eu-west-1) from `euw1-retired` to `euw1-prod-a`")

	// The requester may not approve; nor may someone outside the team.
	contains(t, e.h.Click("U-alice", card, "Approve"), "You can't approve your own move request")
	contains(t, e.h.Click("U-dave", card, "Approve"), "Only the platform admins or members of checkout may approve")
	if n := len(e.pub.Changes()); n != 0 {
		t.Fatalf("refused clicks opened a pull request")
	}
	// A platform admin approves: the pull request is opened.
	out = e.h.Click("U-carol", card, "Approve")
	contains(t, out, "carol (admin) approved moving prod-eu of checkout-service", "📦 Pull request moving prod-eu of checkout-service to `euw1-prod-a`")
	changes := e.pub.Changes()
	if len(changes) != 1 {
		t.Fatalf("%d pull requests after the approval, want 1", len(changes))
	}
	contains(t, changes[0].Body, "Approved by: U-carol", "Requested by: U-alice")
	app, _ := decodeApp(t, changes[0].Files["apps/checkout/checkout-service/prod-eu.yaml"])
	if app.Spec.Destination.Name != "euw1-prod-a" || app.Metadata.Labels[LabelRegion] != "eu-west-1" {
		t.Errorf("Application: %+v", app)
	}
	// The request records its pull request; a second click changes nothing.
	r, state, err := e.p.flow.Load(t.Context(), moveIDFor(t, e))
	if err != nil || state != approval.StateApproved || r.PR == nil {
		t.Fatalf("request after approval: %+v %s %v", r, state, err)
	}
	contains(t, e.h.Click("U-bob", card, "Approve"), "is already approved")
	if len(e.pub.Changes()) != 1 {
		t.Errorf("a second click opened another pull request")
	}
	for _, a := range []string{"placement.move.request", "placement.move.review", "placement.move"} {
		findEvent(t, e.h, a)
	}
}

func TestMoveProductionDeniedOpensNothing(t *testing.T) {
	e := newEnv(t, options{files: prodUSOnB()})
	e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a")
	card := e.h.Messenger.Ops("post")[0]
	contains(t, e.h.Click("U-bob", card, "Deny"), "bob (team) denied moving prod-us of checkout-service")
	if n := len(e.pub.Changes()); n != 0 {
		t.Errorf("a denied move opened %d pull request(s)", n)
	}
}

// moveIDFor finds the one move request's id.
func moveIDFor(t *testing.T, e *env) string {
	t.Helper()
	for _, ev := range e.h.Audit.Events() {
		if ev.Action == "placement.move.request" {
			return ev.Details["request"].(string)
		}
	}
	t.Fatal("no move request")
	return ""
}

func TestExampleConfigCompiles(t *testing.T) {
	cfg, err := LoadFile(exampleplacement.Config, exampleplacement.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	regions, tiers := map[string]bool{}, map[string]bool{}
	for _, c := range cfg.Clusters {
		regions[c.Region] = true
		for _, t := range c.Tiers {
			tiers[t] = true
		}
	}
	if len(cfg.Clusters) < 4 || len(regions) < 2 || len(tiers) < 2 {
		t.Errorf("the example needs four clusters in two regions and two tiers: %d clusters, regions %v, tiers %v", len(cfg.Clusters), regions, tiers)
	}
}

func TestLoadFileNamesFileAndLine(t *testing.T) {
	_, err := LoadFile([]byte("placement:\n  clusters:\n    - name: a\n      sever: x\n"), "my.yaml")
	if err == nil || !strings.Contains(err.Error(), "my.yaml") || !strings.Contains(err.Error(), `line 4: unknown key "sever"`) {
		t.Errorf("got %v", err)
	}
	cfg, err := LoadFile([]byte(`placement:
  clusters:
    - {name: a, server: https://a, region: r, tiers: [t]}
  rules:
    - {name: one, clusters: [a]}
    - {name: two, clusters: [a]}
`), "tie.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, Deps{Catalog: nil})
	if err == nil {
		t.Fatal("no error")
	}
	e := newEnv(t, options{})
	cfg.ApprovalChannel = "#p"
	_, err = New(cfg, Deps{Catalog: e.p.cat, Store: e.h.Store, Policy: e.h.Policy})
	if err == nil || !strings.HasPrefix(err.Error(), `tie.yaml:6: rules "one" (line 5) and "two" (line 6) tie`) {
		t.Errorf("got %v", err)
	}
}

func TestMoveProductionLapses(t *testing.T) {
	e := newEnv(t, options{files: prodUSOnB()})
	e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a")
	e.h.Clock.Advance(25 * time.Hour)
	if n := e.h.RunJobs(); n != 1 {
		t.Fatalf("%d jobs ran, want the lapse", n)
	}
	_, state, err := e.p.flow.Load(t.Context(), moveIDFor(t, e))
	if err != nil || state != approval.StateLapsed {
		t.Fatalf("state %q, %v", state, err)
	}
	contains(t, e.h.Messenger.AllText(), "Nobody decided moving prod-us of checkout-service to `use1-prod-a`")
	contains(t, e.h.Click("U-carol", e.h.Messenger.Ops("post")[0], "Approve"), "is already lapsed")
	if n := len(e.pub.Changes()); n != 0 {
		t.Errorf("a lapsed move opened %d pull request(s)", n)
	}
	findEvent(t, e.h, "placement.move.lapse")
}

func TestMoveProductionRedeliveredPostsOneCard(t *testing.T) {
	e := newEnv(t, options{files: prodUSOnB()})
	// The harness gives a user's commands one delivery id, as a retried
	// Slack delivery has.
	e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a")
	out := e.h.Run("U-alice", "move checkout-service prod-us --to use1-prod-a")
	contains(t, out, "Moving prod-us of checkout-service to `use1-prod-a` was already asked by U-alice: request `mv-", "Nothing new was opened.")
	if n := len(e.h.Messenger.Ops("post")); n != 1 {
		t.Errorf("%d cards for one request, want 1", n)
	}
}

func TestResumeOpensPullRequestOfApprovedMove(t *testing.T) {
	e := newEnv(t, options{})
	r := &MoveRequest{
		Ballot: approval.Ballot{Requester: bot.User{ID: "U-alice", Name: "alice"}, Transport: bot.TransportShell, Required: 1},
		ID:     "mv-0123456789", Service: "component:default/checkout-service", ServiceName: "checkout-service", Team: "checkout",
		Owner: "group:default/checkout", Environment: "prod-us", Tier: "tier1", To: "use1-prod-a", Why: "test",
		Path: "apps/checkout/checkout-service/prod-us.yaml", Manifest: "apiVersion: argoproj.io/v1alpha1\nkind: Application\n",
	}
	if _, err := e.p.flow.Save(t.Context(), r, approval.StateApproved); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.p.Resume(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.pub.Changes()); n != 1 {
		t.Fatalf("%d pull requests, want 1 (a second Resume finds it opened)", n)
	}
	got, _, err := e.p.flow.Load(t.Context(), r.ID)
	if err != nil || got.PR == nil || got.PR.Number != 1 {
		t.Fatalf("request after resume: %+v, %v", got, err)
	}
}
