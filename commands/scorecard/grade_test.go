package scorecard

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/scorecard/facts"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

// TestSeedTable is the seed's table: with the example facts, checkout-service
// is A with no open gaps, payments-service B (missing runbook), and
// reports-service D (no on-call, stale deploy, 2 critical CVEs).
func TestSeedTable(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	want := map[string]struct {
		grade grade.Grade
		gaps  []string
	}{
		"checkout-service": {grade.GradeA, nil},
		"payments-service": {grade.GradeB, []string{"has-readme-runbook"}},
		"reports-service":  {grade.GradeD, []string{"deploys-recently", "has-on-call", "no-critical-cves"}},
	}
	for name, w := range want {
		r := f.score(t, name)
		if r.Grade != w.grade || !reflect.DeepEqual(gapIDs(r), w.gaps) {
			t.Errorf("%s: grade %s gaps %v, want %s %v", name, r.Grade, gapIDs(r), w.grade, w.gaps)
		}
		if n := r.Count(grade.StatusUnknown); n != 0 {
			t.Errorf("%s: %d unknown checks with example facts", name, n)
		}
	}
}

// TestSeedTableOnExamplesCatalog grades the real examples/catalog with the
// example facts and the example checks file.
func TestSeedTableOnExamplesCatalog(t *testing.T) {
	f := newFixture(t, fixtureOptions{catalog: exampleCatalog(t), config: Config{CheckFiles: []string{"../../examples/scorecard/checks.yaml"}}})
	if len(f.s.Checks().Errors) > 0 {
		t.Fatalf("example checks: %v", f.s.Checks().Errors)
	}
	rs, err := f.s.ScoreAll(context.Background(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*grade.Result{}
	for _, r := range rs {
		got[r.Name] = r
		if n := r.Count(grade.StatusUnknown); n != 0 {
			t.Errorf("%s has %d unknown checks: example facts should cover every component", r.Name, n)
		}
	}
	for name, want := range map[string]grade.Grade{"checkout-service": grade.GradeA, "payments-service": grade.GradeB, "reports-service": grade.GradeD} {
		r := got[name]
		if r == nil {
			t.Fatalf("%s not in examples/catalog", name)
		}
		if r.Grade != want {
			t.Errorf("%s: grade %s, want %s (gaps %v)", name, r.Grade, want, gapIDs(r))
		}
	}
	if g := gapIDs(got["checkout-service"]); len(g) != 0 {
		t.Errorf("checkout-service gaps = %v, want none", g)
	}
	if g := gapIDs(got["payments-service"]); !reflect.DeepEqual(g, []string{"has-readme-runbook"}) {
		t.Errorf("payments-service gaps = %v", g)
	}
	if g := gapIDs(got["reports-service"]); !reflect.DeepEqual(g, []string{"deploys-recently", "has-on-call", "no-critical-cves"}) {
		t.Errorf("reports-service gaps = %v", g)
	}
}

func TestBadConfigCheckStillRunsOthers(t *testing.T) {
	cfg, err := ParseConfig([]byte(`checks:
  - id: broken
    severity: low
    rule: "github.readme.contains(1)"
  - id: bad-phase
    severity: low
    rule: "true"
    phase: [sometimes]
  - id: fine
    severity: low
    rule: github.codeowners
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{config: cfg})
	ids := f.s.Checks().IDs()
	if !reflect.DeepEqual(ids, []string{"cost-tag", "deploys-recently", "fine", "has-on-call", "has-readme-runbook", "lifecycle-set", "no-critical-cves", "on-call-annotation", "owner-resolves", "system-set"}) {
		t.Fatalf("loaded checks = %v", ids)
	}
	out := f.run(t, "U1", "scorecard checks")
	for _, want := range []string{"broken", "found no matching overload", "bad-phase", "sometimes", "did not load"} {
		if !strings.Contains(out, want) {
			t.Errorf("/plat scorecard checks does not mention %q:\n%s", want, out)
		}
	}
	if r := f.score(t, "checkout-service"); statusOf(r, "fine") != grade.StatusPass {
		t.Errorf("the good config check did not run: %+v", r.Checks)
	}
}

// TestPhasesOverTime: a highlighted-from check does not count before its
// date and counts after; a visible one never counts; only required checks
// gate.
func TestPhasesOverTime(t *testing.T) {
	cfg, err := ParseConfig([]byte(`noDefaultChecks: true
checks:
  - id: runbook
    severity: high
    rule: github.readme.contains("## Runbook")
    phase: visible; highlighted from 2027-01-01; required from 2027-03-01
  - id: cves
    severity: low
    rule: vulns.critical == 0
    phase: visible
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{config: cfg})
	steps := []struct {
		at        time.Time
		phase     grade.Phase
		grade     grade.Grade
		gatePass  bool
		gapsShown int
	}{
		{testNow, grade.PhaseVisible, grade.GradeA, true, 0},
		{time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC), grade.PhaseHighlighted, grade.GradeC, true, 1},
		{time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC), grade.PhaseRequired, grade.GradeC, false, 1},
	}
	for _, st := range steps {
		f.clock.Set(st.at)
		r := f.score(t, "payments-service")
		var runbook grade.CheckResult
		for _, c := range r.Checks {
			if c.ID == "runbook" {
				runbook = c
			}
		}
		if runbook.Phase != st.phase || runbook.Status != grade.StatusFail {
			t.Errorf("%s: runbook %s/%s, want %s/fail", st.at.Format("2006-01-02"), runbook.Phase, runbook.Status, st.phase)
		}
		if r.Grade != st.grade || len(r.Gaps()) != st.gapsShown {
			t.Errorf("%s: grade %s gaps %d, want %s %d", st.at.Format("2006-01-02"), r.Grade, len(r.Gaps()), st.grade, st.gapsShown)
		}
		if v := f.s.Gate(r); v.Pass != st.gatePass {
			t.Errorf("%s: gate pass %v, want %v (%s)", st.at.Format("2006-01-02"), v.Pass, st.gatePass, v.Summary())
		}
		// cves is visible: reports-service fails it (and has a runbook), yet
		// it never counts.
		rr := f.score(t, "reports-service")
		if statusOf(rr, "cves") != grade.StatusFail || rr.Demerits != 0 || rr.Grade != grade.GradeA {
			t.Errorf("%s: visible check counted for reports-service: %+v", st.at.Format("2006-01-02"), rr)
		}
	}
}

// failingProvider fails, or blocks until its context ends.
type failingProvider struct {
	calls atomic.Int32
	block bool
	// noDeadline counts calls whose context had no deadline.
	noDeadline atomic.Int32
}

func (p *failingProvider) RepoFacts(ctx context.Context, _ facts.Subject) (grade.RepoFacts, error) {
	p.calls.Add(1)
	if _, ok := ctx.Deadline(); !ok {
		p.noDeadline.Add(1)
	}
	if p.block {
		<-ctx.Done()
		return grade.RepoFacts{}, ctx.Err()
	}
	return grade.RepoFacts{}, errors.New("github: 502 bad gateway")
}

func TestUnknownFacts(t *testing.T) {
	ef, err := facts.LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	down := &failingProvider{}
	provs := ef.Providers()
	provs.Repo = down
	provs.Vulns = nil // not configured
	f := newFixture(t, fixtureOptions{providers: &provs})
	r := f.score(t, "payments-service")
	if st := statusOf(r, "has-readme-runbook"); st != grade.StatusUnknown {
		t.Fatalf("runbook check with GitHub down = %s, want unknown", st)
	}
	if st := statusOf(r, "no-critical-cves"); st != grade.StatusUnknown {
		t.Fatalf("CVE check without a provider = %s, want unknown", st)
	}
	if r.Grade != grade.GradeA || len(r.Gaps()) != 0 {
		t.Fatalf("unknown checks counted: grade %s gaps %v", r.Grade, gapIDs(r))
	}
	for _, c := range r.Checks {
		if c.ID == "has-readme-runbook" && !strings.Contains(c.Reason, "502") {
			t.Errorf("unknown reason = %q", c.Reason)
		}
	}
	out := f.run(t, "U1", "scorecard payments-service")
	if !strings.Contains(out, "Unknown: github: github: 502 bad gateway") || !strings.Contains(out, "❔") {
		t.Errorf("scorecard does not show the unknown check:\n%s", out)
	}
	// Failures are cached briefly: a second look within a minute does not
	// ask GitHub again; after the TTL it does.
	calls := down.calls.Load()
	f.score(t, "payments-service")
	if down.calls.Load() != calls {
		t.Errorf("GitHub asked again within the failure TTL")
	}
	f.clock.Set(testNow.Add(2 * time.Minute))
	f.score(t, "payments-service")
	if down.calls.Load() != calls+1 {
		t.Errorf("GitHub not asked again after the failure TTL")
	}
}

func TestProviderTimeout(t *testing.T) {
	ef, _ := facts.LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	slow := &failingProvider{block: true}
	provs := ef.Providers()
	provs.Repo = slow
	f := newFixture(t, fixtureOptions{providers: &provs, config: Config{Facts: FactsConfig{Timeout: 50 * time.Millisecond}}})
	r := f.score(t, "checkout-service")
	// The provider was asked once, under a context with a deadline (the
	// timeout); the check's reason below names the timeout.
	if n := slow.calls.Load(); n != 1 {
		t.Fatalf("provider calls = %d, want 1", n)
	}
	if n := slow.noDeadline.Load(); n != 0 {
		t.Fatalf("%d provider calls had no deadline", n)
	}
	for _, c := range r.Checks {
		if c.ID == "has-readme-runbook" && (c.Status != grade.StatusUnknown || !strings.Contains(c.Reason, "did not answer within 50ms")) {
			t.Fatalf("timed-out check = %+v", c)
		}
	}
}

func TestFactsCachedWithTTL(t *testing.T) {
	counting := &countingRepo{}
	ef, _ := facts.LoadExampleFacts(exampleFactsPath, func() time.Time { return testNow })
	provs := ef.Providers()
	provs.Repo = counting
	f := newFixture(t, fixtureOptions{providers: &provs, config: Config{Facts: FactsConfig{TTL: 10 * time.Minute}}})
	f.score(t, "checkout-service")
	f.score(t, "checkout-service")
	if counting.calls.Load() != 1 {
		t.Fatalf("calls within TTL = %d, want 1", counting.calls.Load())
	}
	f.clock.Set(testNow.Add(11 * time.Minute))
	f.score(t, "checkout-service")
	if counting.calls.Load() != 2 {
		t.Fatalf("calls after TTL = %d, want 2", counting.calls.Load())
	}
}

type countingRepo struct{ calls atomic.Int32 }

func (c *countingRepo) RepoFacts(context.Context, facts.Subject) (grade.RepoFacts, error) {
	c.calls.Add(1)
	return grade.RepoFacts{Readme: "## Runbook", Workflows: []string{}}, nil
}

func TestRuleRuntimeErrorIsUnknown(t *testing.T) {
	cfg, _ := ParseConfig([]byte(`checks:
  - id: needs-annotation
    severity: high
    rule: entity.annotations["acme.com/tier"] == "1"
`))
	f := newFixture(t, fixtureOptions{config: cfg})
	r := f.score(t, "checkout-service")
	if st := statusOf(r, "needs-annotation"); st != grade.StatusUnknown {
		t.Fatalf("missing map key = %s, want unknown", st)
	}
}

// TestOwnerResolvesLikeHygiene: `owner.found` (the owner-resolves
// convention) holds only for an owner that is a live Group or User, as
// catalog hygiene judges owners: an owner that vanished from its file (an
// orphan), a System, and a ref the catalog lacks do not resolve.
func TestOwnerResolvesLikeHygiene(t *testing.T) {
	system := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindSystem,
		Metadata: catalog.Metadata{Name: "shop"}, Spec: map[string]any{"owner": "checkout"}}
	user := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindUser,
		Metadata: catalog.Metadata{Name: "carol"}, Spec: map[string]any{"memberOf": []any{"checkout"}}}
	keep := []*catalog.Entity{
		group("checkout", "#team-checkout", ""), system, user,
		component("by-group", "checkout", "production", "shop"),
		component("by-orphan", "group:default/payments", "production", "shop"),
		component("by-system", "system:default/shop", "production", "shop"),
		component("by-user", "user:default/carol", "production", "shop"),
		component("by-ghost", "group:default/ghost", "production", "shop"),
	}
	f := newFixture(t, fixtureOptions{entities: append([]*catalog.Entity{group("payments", "#team-payments", "")}, keep...)})
	if got := statusOf(f.score(t, "by-orphan"), "owner-resolves"); got != grade.StatusPass {
		t.Fatalf("owner-resolves before the owner vanished = %s", got)
	}
	f.cat.Set(catalogtest.YAML(t, keep...)) // the payments group vanishes: an orphan
	if e, ok := f.cat.Get("group:default/payments"); !ok || !e.Orphan {
		t.Fatalf("the vanished group should stay as an orphan: %v %+v", ok, e)
	}
	for name, want := range map[string]grade.Status{
		"by-group": grade.StatusPass, "by-user": grade.StatusPass,
		"by-orphan": grade.StatusFail, "by-system": grade.StatusFail, "by-ghost": grade.StatusFail,
	} {
		if got := statusOf(f.score(t, name), "owner-resolves"); got != want {
			t.Errorf("%s: owner-resolves = %s, want %s", name, got, want)
		}
	}
}
