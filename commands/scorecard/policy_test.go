package scorecard

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/bottest"

	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

// People of examples/catalog.
const (
	exampleAlice = "U0PAYALICE"  // payments engineer
	exampleBob   = "U0PAYBOB"    // payments engineer
	exampleErik  = "U0CHKERIK"   // checkout engineer
	examplePriya = "U0PLATPRIYA" // platform admin
	exampleTom   = "U0PLATTOM"   // platform admin
)

// realPolicyFixture wires the scorecards to the example catalog and the
// shipped default policy, as cmd/platbot does.
func realPolicyFixture(t *testing.T) *fixture {
	t.Helper()
	cat := exampleCatalog(t)
	audit := bottest.NewAuditor()
	eng, err := policy.New(policy.DefaultConfig(), cat, audit, policy.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	return newFixture(t, fixtureOptions{catalog: cat, policy: eng})
}

func TestWaiverWithDefaultPolicy(t *testing.T) {
	f := realPolicyFixture(t)

	// A member of the owning team may ask.
	out := f.run(t, exampleAlice, `scorecard waive payments-service has-readme-runbook --days 10 --reason "runbook moves next sprint"`)
	if !strings.Contains(out, "Asked the platform admins") {
		t.Fatalf("owning team member's waive request: %q", out)
	}
	approve, _, ref := lastButtons(t, f.m)

	// Someone from another team may not.
	f.m.Reset()
	out = f.run(t, exampleErik, `scorecard waive payments-service has-on-call --days 3 --reason "not mine"`)
	if !strings.Contains(out, "You may not") || !strings.Contains(out, "scaffold-only-for-own-team") {
		t.Fatalf("other team's waive request: %q", out)
	}
	if len(f.m.Ops("post")) != 0 {
		t.Fatal("a denied waiver request reached the admins")
	}

	// A teammate who is not an admin may not decide it.
	if out := f.click(t, exampleBob, approve, ref); !strings.Contains(out, "You may not") {
		t.Fatalf("non-admin approve: %q", out)
	}
	if r := f.score(t, "payments-service"); statusOf(r, "has-readme-runbook") == grade.StatusWaived {
		t.Fatal("a non-admin's click waived the check")
	}

	// A platform admin decides it.
	if out := f.click(t, examplePriya, approve, ref); out != "" {
		t.Fatalf("admin approve replied %q", out)
	}
	if r := f.score(t, "payments-service"); statusOf(r, "has-readme-runbook") != grade.StatusWaived {
		t.Fatalf("after an admin's approval: %s", statusOf(r, "has-readme-runbook"))
	}

	// Admins may ask for any team's service, but not decide their own.
	f.run(t, exampleTom, `scorecard waive reports-service no-critical-cves --days 5 --reason "vendor fix due"`)
	approve, _, ref = lastButtons(t, f.m)
	if out := f.click(t, exampleTom, approve, ref); !strings.Contains(out, "another platform admin must decide") {
		t.Fatalf("admin self-approval: %q", out)
	}
}
