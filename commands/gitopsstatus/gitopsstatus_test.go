package gitopsstatus_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/gitopsstatus"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/integrations/argocd/argocdtest"
	"github.com/platbot/platbot/integrations/testenv"
	"github.com/platbot/platbot/store"
)

// One real control plane (etcd + kube-apiserver on loopback) for the
// package; each test watches a namespace of its own.
var (
	realKube    *testenv.Kube
	realKubeErr error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	realKube, realKubeErr = testenv.StartKube(ctx)
	cancel()
	code := m.Run()
	if err := realKube.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the kube control plane:", err)
	}
	os.Exit(code)
}

var _ gitopsstatus.Live = (*argocd.Watcher)(nil)

const catalogYAML = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: shop
  annotations:
    slack.com/channel: "#team-shop"
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-service
spec:
  type: service
  lifecycle: production
  owner: group:shop
  deployment:
    workload: checkout
    environments:
      - {name: staging, tier: standard}
      - {name: prod-us, tier: tier1, region: us-east-1}
      - {name: eu-main, tier: tier1, region: eu-west-1}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: reports-service
spec:
  type: service
  lifecycle: production
  owner: group:shop
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: ledger
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger-service
spec:
  type: service
  lifecycle: production
  owner: group:ledger
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: edge-service
  annotations:
    platbot.dev/environments: "dev:standard, edge-eu:critical@eu-west-1"
spec:
  type: service
  lifecycle: production
  owner: group:shop
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: beta-service
spec:
  type: service
  lifecycle: experimental
  owner: group:shop
  deployment:
    environments:
      - {name: live-us, tier: critical, region: us-east-1}
`

const (
	sha1 = "0123456789abcdef0123456789abcdef01234567"
	sha2 = "fedcba9876543210fedcba9876543210fedcba98"
)

var epoch = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// env is a feature wired like cmd/platbot wires it, over a real API server.
type env struct {
	t       *testing.T
	h       *bottest.Harness
	cat     *catalogtest.Catalog
	dyn     dynamic.Interface
	ns      string
	watcher *argocd.Watcher
	feat    *gitopsstatus.Feature
	// msgr, when set, is the feature's messenger instead of the router's.
	msgr bot.Messenger
	// production is the production rule cmd/platbot passes from the
	// placement section (nil: its defaults, defaultProduction).
	production func(environment, tier string) bool
	stopWatch  context.CancelFunc
}

// defaultProduction is the placement section's default production rule
// (commands/placement/config.go: environments prod*, tier tier1).
func defaultProduction(environment, tier string) bool {
	return strings.HasPrefix(environment, "prod") || tier == "tier1"
}

func newEnv(t *testing.T, ns string) *env {
	t.Helper()
	return newEnvWith(t, ns, nil)
}

// start builds the feature and installs it with the catalog on the
// harness's router: what a start of platbot does.
func (e *env) start() {
	e.t.Helper()
	var err error
	production := e.production
	if production == nil {
		production = defaultProduction
	}
	e.feat, err = gitopsstatus.New(gitopsstatus.Config{
		ControlPlanes: []gitopsstatus.ControlPlaneConfig{{Context: "cp-us", Namespace: e.ns}},
	}, gitopsstatus.Deps{
		Live: e.watcher, Catalog: e.cat, Store: e.h.Store, Messenger: e.msgr, Production: production,
		Logger: e.h.Logs.Logger(), Now: e.h.Clock.Now,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.cat.AddCardSection(e.feat)
	if err := bot.NewRegistry(e.h.Router, nil).Install(e.cat.Catalog, e.feat); err != nil {
		e.t.Fatal(err)
	}
}

// watch starts a watcher over the test's namespace (stopping the previous
// one) and waits until it has listed the Applications.
func (e *env) watch() {
	e.t.Helper()
	if e.stopWatch != nil {
		e.stopWatch()
	}
	var err error
	e.watcher, err = argocd.NewWatcher([]argocd.ControlPlane{{Context: "cp-us", Client: e.dyn, Namespace: e.ns, UIURL: "https://argocd.example.com"}}, argocd.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	e.stopWatch = cancel
	e.watcher.Run(ctx)
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := e.watcher.WaitForSync(sctx); err != nil {
		e.t.Fatal(err)
	}
}

// restart is a new process over the same database and cluster: a new
// watcher, router and feature.
func (e *env) restart() {
	e.t.Helper()
	e.watch()
	e.h.Restart()
	e.cat = catalogtest.New(e.t, catalogYAML)
	e.start()
}

func (e *env) apply(a argocdtest.App) {
	e.t.Helper()
	a.Namespace = e.ns
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := argocdtest.Apply(ctx, e.dyn, a); err != nil {
		e.t.Fatal(err)
	}
}

// await polls the informer until the environment's status satisfies cond.
func (e *env) await(service, environment string, cond func(argocd.Status) bool) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, ok := e.watcher.Status(service, environment)
		if ok && cond(s) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("informer view of %s %s not as expected within 20s: %+v (found %v)", service, environment, s, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) check() {
	e.t.Helper()
	if err := e.feat.Check(context.Background()); err != nil {
		e.t.Fatalf("check: %v", err)
	}
}

// posts are the messages posted to channel so far.
func (e *env) posts(channel string) []bottest.Sent {
	var out []bottest.Sent
	for _, s := range e.h.Messenger.Ops("post") {
		if s.Channel == channel {
			out = append(out, s)
		}
	}
	return out
}

func app(name, service, environment, sync, health, rev string) argocdtest.App {
	return argocdtest.App{
		Name: name, Labels: map[string]string{argocd.LabelService: service, argocd.LabelEnvironment: environment},
		Sync: sync, Health: health, Revision: rev,
	}
}

func health(h string) func(argocd.Status) bool {
	return func(s argocd.Status) bool { return s.Health == h }
}

// TestDegradedNoticeOnceAndResolved: a production environment Degraded
// past the grace is posted once to the owning team's channel, also across
// a restart; healthy again, the resolution goes into the notice's thread,
// once; a later incident gets a thread of its own.
func TestDegradedNoticeOnceAndResolved(t *testing.T) {
	e := newEnv(t, "argocd-notice")
	prod := app("checkout-prod-us", "checkout-service", "prod-us", "Synced", "Healthy", sha1)
	e.apply(prod)
	e.await("checkout-service", "prod-us", health("Healthy"))
	e.check()

	prod.Health = "Degraded"
	e.apply(prod)
	// A staging environment that stays broken is not production.
	e.apply(app("checkout-staging", "checkout-service", "staging", "OutOfSync", "Degraded", sha2))
	e.await("checkout-service", "prod-us", health("Degraded"))
	e.await("checkout-service", "staging", health("Degraded"))

	e.check()
	e.h.Clock.Advance(9*time.Minute + 59*time.Second)
	e.check()
	if n := len(e.h.Messenger.Ops("post")); n != 0 {
		t.Fatalf("posted within the grace: %d", n)
	}
	e.h.Clock.Advance(time.Second)
	e.check()
	posts := e.posts("#team-shop")
	if len(posts) != 1 || len(e.h.Messenger.Ops("post")) != 1 {
		t.Fatalf("posts after the grace: %+v", e.h.Messenger.Ops("post"))
	}
	notice := posts[0]
	text := notice.Text()
	for _, want := range []string{"checkout-service prod-us is Degraded", "10 min", "0123456", "cp-us/argocd-notice/checkout-prod-us", "component:default/checkout-service"} {
		if !strings.Contains(text, want) {
			t.Errorf("notice lacks %q:\n%s", want, text)
		}
	}
	if md := bot.MrkdwnText(notice.Msg); !strings.Contains(md, "<https://argocd.example.com/applications/argocd-notice/checkout-prod-us|open in Argo CD>") {
		t.Errorf("notice does not link the Argo CD UI:\n%s", md)
	}
	if notice.Msg.ThreadTS != "" {
		t.Fatalf("the notice is a thread reply: %+v", notice.Msg)
	}

	// Later checks, and a restarted platbot, post nothing more.
	e.h.Clock.Advance(5 * time.Minute)
	e.check()
	e.restart()
	e.check()
	e.h.Clock.Advance(time.Hour)
	e.check()
	if n := len(e.h.Messenger.Ops("post")); n != 1 {
		t.Fatalf("%d posts after more checks and a restart, want 1", n)
	}

	// Healthy again: the resolution in the notice's thread, once.
	prod.Health = "Healthy"
	e.apply(prod)
	e.await("checkout-service", "prod-us", health("Healthy"))
	e.check()
	e.check()
	e.restart()
	e.check()
	posts = e.posts("#team-shop")
	if len(posts) != 2 {
		t.Fatalf("posts after recovery: %+v", posts)
	}
	res := posts[1]
	if res.Msg.ThreadTS != notice.Ref.TS || !strings.Contains(res.Text(), "Resolved: checkout-service prod-us is Synced and Healthy at revision 0123456, after 75 min") {
		t.Fatalf("resolution = %q in thread %q, want in %q", res.Text(), res.Msg.ThreadTS, notice.Ref.TS)
	}

	if got := strings.Join(e.h.Audit.Actions(), ","); strings.Count(got, "argocd.incident") != 2 {
		t.Fatalf("audit = %s, want the notice and the resolution", got)
	}

	// The next incident is news again, in a new thread.
	prod.Sync = "OutOfSync"
	e.apply(prod)
	e.await("checkout-service", "prod-us", func(s argocd.Status) bool { return s.Sync == "OutOfSync" })
	e.check()
	e.h.Clock.Advance(10 * time.Minute)
	e.check()
	posts = e.posts("#team-shop")
	if len(posts) != 3 || posts[2].Msg.ThreadTS != "" || !strings.Contains(posts[2].Text(), "checkout-service prod-us is OutOfSync") {
		t.Fatalf("second incident: %+v", posts)
	}
}

// TestTier1AndShortBlips: a tier1 environment (by the entity's deployment
// intent) counts as production whatever its name; one that recovers within
// the grace is never posted; an Application deleted during an incident
// closes it in its thread.
func TestTier1AndShortBlips(t *testing.T) {
	e := newEnv(t, "argocd-tier1")
	eu := app("checkout-eu", "checkout-service", "eu-main", "Synced", "Degraded", sha1)
	e.apply(eu)
	// reports-service has no intent: "qa" is not production.
	e.apply(app("reports-qa", "reports-service", "qa", "Synced", "Degraded", sha1))
	blip := app("reports-prod", "reports-service", "prod", "OutOfSync", "Healthy", sha1)
	e.apply(blip)
	e.await("checkout-service", "eu-main", health("Degraded"))
	e.await("reports-service", "qa", health("Degraded"))
	e.await("reports-service", "prod", func(s argocd.Status) bool { return s.Sync == "OutOfSync" })
	e.check()

	e.h.Clock.Advance(5 * time.Minute)
	blip.Sync = "Synced"
	e.apply(blip)
	e.await("reports-service", "prod", func(s argocd.Status) bool { return s.Sync == "Synced" })
	e.check()
	e.h.Clock.Advance(5 * time.Minute)
	e.check()
	posts := e.h.Messenger.Ops("post")
	if len(posts) != 1 || !strings.Contains(posts[0].Text(), "checkout-service eu-main is Degraded") {
		t.Fatalf("posts = %+v, want only the tier1 environment", posts)
	}
	// Out of sync again later: a new grace, not the old incident's.
	blip.Sync = "OutOfSync"
	e.apply(blip)
	e.await("reports-service", "prod", func(s argocd.Status) bool { return s.Sync == "OutOfSync" })
	e.check()
	e.h.Clock.Advance(9 * time.Minute)
	e.check()
	if n := len(e.h.Messenger.Ops("post")); n != 1 {
		t.Fatalf("the blip's earlier minutes counted toward the new grace: %d posts", n)
	}

	ctx := context.Background()
	if err := argocdtest.Delete(ctx, e.dyn, e.ns, "checkout-eu"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(e.watcher.Statuses("checkout-service")) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("informer did not drop the deleted application")
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.check()
	posts = e.h.Messenger.Ops("post")
	last := posts[len(posts)-1]
	if last.Msg.ThreadTS != posts[0].Ref.TS || !strings.Contains(last.Text(), "no longer reports this Application") {
		t.Fatalf("deleted application: last post %q in thread %q", last.Text(), last.Msg.ThreadTS)
	}
}

// TestProductionRuleIntentAndLifecycle: which environments get notices
// follows the production rule the platform configured (here environments
// live-* and tier critical, not prod*/tier1), with the tier from the
// Application's label, spec.deployment or the platbot.dev/environments
// annotation; an experimental service gets none.
func TestProductionRuleIntentAndLifecycle(t *testing.T) {
	testenv.SkipOrFail(t, realKubeErr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := "argocd-rule"
	dyn, err := argocdtest.Install(ctx, realKube.Config, ns)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: bottest.NewHarness(t, bottest.HarnessOptions{Start: epoch}), cat: catalogtest.New(t, catalogYAML), dyn: dyn, ns: ns,
		production: func(environment, tier string) bool {
			return strings.HasPrefix(environment, "live-") || tier == "critical"
		}}
	e.watch()
	e.start()

	labelled := app("reports-batch", "reports-service", "batch", "Synced", "Degraded", sha1)
	labelled.Labels[argocd.LabelTier] = "critical"
	apps := []argocdtest.App{
		// prod-us is tier1 in checkout's intent: production by the default
		// rule, not by this platform's.
		app("checkout-prod-us", "checkout-service", "prod-us", "Synced", "Degraded", sha1),
		app("reports-live-eu", "reports-service", "live-eu", "Synced", "Degraded", sha1),
		labelled,
		app("edge-edge-eu", "edge-service", "edge-eu", "OutOfSync", "Healthy", sha1),
		app("edge-dev", "edge-service", "dev", "OutOfSync", "Healthy", sha1),
		app("beta-live-us", "beta-service", "live-us", "Synced", "Degraded", sha1),
	}
	for _, a := range apps {
		e.apply(a)
	}
	for _, a := range apps {
		e.await(a.Labels[argocd.LabelService], a.Labels[argocd.LabelEnvironment], func(s argocd.Status) bool { return s.Degraded() })
	}
	e.check()
	e.h.Clock.Advance(10 * time.Minute)
	e.check()
	var got []string
	for _, p := range e.posts("#team-shop") {
		got = append(got, p.Text())
	}
	want := []string{"reports-service live-eu is Degraded", "reports-service batch is Degraded", "edge-service edge-eu is OutOfSync"}
	if len(got) != len(want) {
		t.Fatalf("notices = %q, want one each for %q", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.Contains(g, w)
		}
		if !found {
			t.Errorf("no notice %q among %q", w, got)
		}
	}
}

// failingPoster fails the first n posts.
type failingPoster struct {
	*bottest.Messenger
	fail atomic.Int32
}

func (f *failingPoster) Post(ctx context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	if f.fail.Add(-1) >= 0 {
		return bot.MessageRef{}, errors.New("slack: rate limited")
	}
	return f.Messenger.Post(ctx, channel, msg)
}

// TestNoticeRetriedAfterFailedPost: a post that fails is retried by the
// next check and then posted once.
func TestNoticeRetriedAfterFailedPost(t *testing.T) {
	testenv.SkipOrFail(t, realKubeErr)
	rec := bottest.NewMessenger()
	fp := &failingPoster{Messenger: rec}
	fp.fail.Store(1)
	e := newEnvWith(t, "argocd-retry", fp)
	e.apply(app("checkout-prod-us", "checkout-service", "prod-us", "Synced", "Degraded", sha1))
	e.await("checkout-service", "prod-us", health("Degraded"))
	e.check()
	e.h.Clock.Advance(10 * time.Minute)
	if err := e.feat.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "rate limited") {
		t.Fatalf("failed post: err = %v", err)
	}
	e.check()
	e.check()
	if n := len(rec.Ops("post")); n != 1 {
		t.Fatalf("%d posts after a failed one, want 1", n)
	}
}

// newEnvWith is newEnv with a messenger of the test's (nil: the
// harness's, through the router).
func newEnvWith(t *testing.T, ns string, m bot.Messenger) *env {
	t.Helper()
	testenv.SkipOrFail(t, realKubeErr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dyn, err := argocdtest.Install(ctx, realKube.Config, ns)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: bottest.NewHarness(t, bottest.HarnessOptions{Start: epoch}), cat: catalogtest.New(t, catalogYAML), dyn: dyn, ns: ns, msgr: m}
	e.watch()
	e.start()
	return e
}

// TestServiceCardShowsLiveStatus: /plat service shows each environment's
// live status and links Argo CD; a service Argo CD does not deploy shows
// no deployments section.
func TestServiceCardShowsLiveStatus(t *testing.T) {
	e := newEnv(t, "argocd-card")
	prod := app("checkout-prod-us", "checkout-service", "prod-us", "Synced", "Healthy", sha1)
	prod.OperationPhase, prod.FinishedAt = "Succeeded", epoch.Add(-2*time.Hour)
	e.apply(prod)
	e.apply(app("checkout-staging", "checkout-service", "staging", "OutOfSync", "Progressing", "v2.0.0-rc1"))
	e.await("checkout-service", "prod-us", health("Healthy"))
	e.await("checkout-service", "staging", health("Progressing"))

	out := e.h.Run("U1", "service checkout-service")
	for _, want := range []string{
		"*Deployments* (live from Argo CD)",
		"🟢 *prod-us* — Synced · Healthy · `0123456` · synced 2026-12-07 07:00 UTC · <https://argocd.example.com/applications/argocd-card/checkout-prod-us|Argo CD>",
		"🔴 *staging* — OutOfSync · Progressing · `v2.0.0-rc1` · <https://argocd.example.com/applications/argocd-card/checkout-staging|Argo CD>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("card lacks %q:\n%s", want, out)
		}
	}
	if out := e.h.Run("U1", "service reports-service"); strings.Contains(out, "Deployments") {
		t.Errorf("a service Argo CD does not deploy shows deployments:\n%s", out)
	}
}

// TestScorecardLastDeploy: the scorecard's deploy facts come from Argo
// CD's history for a service it deploys, and from the next provider for
// the others.
func TestScorecardLastDeploy(t *testing.T) {
	e := newEnv(t, "argocd-facts")
	deployed := time.Date(2026, 12, 6, 16, 45, 0, 0, time.UTC)
	prod := app("checkout-prod-us", "checkout-service", "prod-us", "Synced", "Healthy", sha1)
	prod.History = []time.Time{deployed.Add(-48 * time.Hour), deployed}
	e.apply(prod)
	e.await("checkout-service", "prod-us", func(s argocd.Status) bool { return s.LastDeployedAt.Equal(deployed) })

	ghAt := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	p := facts.NewLiveDeployProvider(e.feat, "", githubDeploys{ghAt})
	for name, want := range map[string]grade.DeployFacts{
		"checkout-service": {Last: deployed, Source: "argocd"},
		"reports-service":  {Last: ghAt, Source: "github"},
	} {
		ent, ok := e.cat.Get("component:default/" + name)
		if !ok {
			t.Fatalf("no %s in the catalog", name)
		}
		got, err := p.DeployFacts(context.Background(), facts.Subject{Entity: ent})
		if err != nil || !got.Last.Equal(want.Last) || got.Source != want.Source {
			t.Errorf("%s: %+v %v, want %+v", name, got, err, want)
		}
	}
}

type githubDeploys struct{ at time.Time }

func (g githubDeploys) DeployFacts(context.Context, facts.Subject) (grade.DeployFacts, error) {
	return grade.DeployFacts{Last: g.at, Source: "github"}, nil
}

// TestConfig: bad settings are refused naming the key.
func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  gitopsstatus.Config
		want string
	}{
		{gitopsstatus.Config{Grace: "ten minutes"}, `grace "ten minutes" is not a positive duration`},
		{gitopsstatus.Config{CheckEvery: "-1s"}, `checkEvery "-1s"`},
		{gitopsstatus.Config{ControlPlanes: []gitopsstatus.ControlPlaneConfig{{}}}, "controlPlanes[0]: context is required"},
		{gitopsstatus.Config{ControlPlanes: []gitopsstatus.ControlPlaneConfig{{Context: "a"}, {Context: "a"}}}, `controlPlanes[1]: context "a" is listed twice`},
		{gitopsstatus.Config{ControlPlanes: []gitopsstatus.ControlPlaneConfig{{Context: "a", UIURL: "argocd.example.com"}}}, "must be an http(s) URL"},
	} {
		_, _, err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
	grace, every, err := gitopsstatus.Config{}.Validate()
	if err != nil || grace != 10*time.Minute || every != 30*time.Second {
		t.Fatalf("defaults: %v %v %v", grace, every, err)
	}
}

// TestNothingBeforeSync: before the watcher listed its control planes,
// nothing is judged (an empty view is not "everything recovered").
func TestNothingBeforeSync(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{Start: epoch})
	cat := catalogtest.New(t, catalogYAML)
	live := unsynced{}
	f, err := gitopsstatus.New(gitopsstatus.Config{}, gitopsstatus.Deps{Live: live, Catalog: cat, Store: h.Store, Production: defaultProduction, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.RecordsOf[map[string]any](h.Store, gitopsstatus.KindIncident).Put(context.Background(),
		store.Record{ID: "checkout-service/prod-us", State: "pending"}, map[string]any{"since": epoch}); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RecordsOf[map[string]any](h.Store, gitopsstatus.KindIncident).Get(context.Background(), "checkout-service/prod-us"); err != nil {
		t.Fatalf("an incident was ended before the watcher synced: %v", err)
	}
	ent, _ := cat.Get("component:default/checkout-service")
	if got := bot.PlainText(bot.Message{Blocks: f.ServiceCardBlocks(ent)}); !strings.Contains(got, "loading") {
		t.Fatalf("card before sync = %q", got)
	}
}

type unsynced struct{}

func (unsynced) Statuses(string) []argocd.Status                 { return nil }
func (unsynced) LastDeployedAt(string, string) (time.Time, bool) { return time.Time{}, false }
func (unsynced) HasSynced() bool                                 { return false }

var _ catalog.CardSection = (*gitopsstatus.Feature)(nil)

// TestNoChannelWarnsOnce: a team without a channel (and no argocd.channel)
// gets a warning in the log once per incident, not a retry every check,
// and its end posts nothing.
func TestNoChannelWarnsOnce(t *testing.T) {
	e := newEnv(t, "argocd-nochannel")
	a := app("ledger-prod", "ledger-service", "prod", "Synced", "Degraded", sha1)
	e.apply(a)
	e.await("ledger-service", "prod", health("Degraded"))
	e.check()
	e.h.Clock.Advance(10 * time.Minute)
	e.check()
	e.h.Clock.Advance(30 * time.Minute)
	e.check()
	if n := strings.Count(e.h.Logs.String(), "has no channel"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, e.h.Logs.String())
	}
	a.Health = "Healthy"
	e.apply(a)
	e.await("ledger-service", "prod", health("Healthy"))
	e.check()
	if n := len(e.h.Messenger.Ops("post")); n != 0 {
		t.Fatalf("%d posts for a team without a channel", n)
	}
	it, err := store.RecordsOf[map[string]any](e.h.Store, gitopsstatus.KindIncident).Get(context.Background(), "ledger-service/prod")
	if err != nil || it.State != "resolved" {
		t.Fatalf("incident = %+v %v, want resolved", it, err)
	}
}

// statusList is a Live of fixed statuses.
type statusList []argocd.Status

func (l statusList) Statuses(service string) []argocd.Status {
	var out []argocd.Status
	for _, s := range l {
		if s.Service == service {
			out = append(out, s)
		}
	}
	return out
}
func (l statusList) LastDeployedAt(service, environment string) (at time.Time, ok bool) {
	for _, s := range l.Statuses(service) {
		if s.Environment == environment && s.LastDeployedAt.After(at) {
			at, ok = s.LastDeployedAt, true
		}
	}
	return at, ok
}
func (statusList) HasSynced() bool { return true }

// TestLastDeployedAtCountsProductionEnvironments: without a configured
// environment, the scorecard's last deploy is the newest deploy to a
// production environment (by name, Application label or the service's
// intent), never a newer one to dev; a service deployed only to dev has
// none from Argo CD.
func TestLastDeployedAtCountsProductionEnvironments(t *testing.T) {
	h := bottest.NewHarness(t, bottest.HarnessOptions{Start: epoch})
	cat := catalogtest.New(t, catalogYAML)
	day := func(n int) time.Time { return epoch.Add(time.Duration(n) * 24 * time.Hour) }
	live := statusList{
		{Service: "checkout-service", Environment: "dev", LastDeployedAt: day(9)},
		{Service: "checkout-service", Environment: "eu-main", LastDeployedAt: day(5)}, // tier1 in its intent
		{Service: "checkout-service", Environment: "prod-us", LastDeployedAt: day(3)},
		{Service: "reports-service", Environment: "dev", LastDeployedAt: day(8)},
		{Service: "unknown-service", Environment: "batch", Tier: "tier1", LastDeployedAt: day(2)},
	}
	f, err := gitopsstatus.New(gitopsstatus.Config{}, gitopsstatus.Deps{Live: live, Catalog: cat, Store: h.Store, Production: defaultProduction, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		service, env string
		want         time.Time
		ok           bool
	}{
		{"checkout-service", "", day(5), true},
		{"checkout-service", "dev", day(9), true},
		{"checkout-service", "prod-us", day(3), true},
		{"reports-service", "", time.Time{}, false},
		{"unknown-service", "", day(2), true},
	} {
		at, ok := f.LastDeployedAt(tc.service, tc.env)
		if !at.Equal(tc.want) || ok != tc.ok {
			t.Errorf("LastDeployedAt(%s, %q) = %v %v, want %v %v", tc.service, tc.env, at, ok, tc.want, tc.ok)
		}
	}
}
