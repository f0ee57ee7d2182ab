package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/bottest"
)

// take returns the events aud recorded since the last call, one line each:
// "action target outcome key=value…".
func take(aud *bottest.Auditor) []string {
	var out []string
	for _, e := range aud.Take() {
		var kv []string
		for k, v := range e.Details {
			if k != "source" {
				kv = append(kv, fmt.Sprintf("%s=%v", k, v))
			}
		}
		sort.Strings(kv)
		parts := slices.DeleteFunc([]string{e.Action, e.Target, e.Outcome}, func(s string) bool { return s == "" })
		out = append(out, strings.Join(append(parts, kv...), " "))
		if e.ActorID != "platbot" {
			out = append(out, "unexpected actor "+e.ActorID)
		}
	}
	return out
}

func TestRefreshAuditsIdentityChanges(t *testing.T) {
	org := func(bobGroups, priyaSlack, paymentsParent, paymentsManager string) string {
		payments := group("payments", "platbot.dev/manager: "+paymentsManager)
		if paymentsParent != "" {
			payments += "  parent: " + paymentsParent + "\n"
		}
		return group("platform") + "---\n" + group("engineering") + "---\n" + payments + "---\n" +
			user("priya", priyaSlack, "platform") + "---\n" + user("dana", "U0DANA", "payments") + "---\n" +
			user("bob", "U0BOB", bobGroups) + "---\n" +
			ownedLocation("payments-team", "payments", "./teams/payments.yaml")
	}
	dir := writeFiles(t, map[string]string{
		"org.yaml":            org("payments", "U0PRIYA", "", "dana"),
		"teams/payments.yaml": component("payments-service", "payments"),
	})
	aud := bottest.NewAuditor()
	c := newTestCatalog(t, []LocationConfig{{Target: dir + "/org.yaml"}}, WithAuditor(aud))
	// The first load has nothing to compare with: one baseline.
	if got := take(aud); !slices.Equal(got, []string{
		"catalog.identity.baseline ok admin_groups=[group:default/platform] admins=[user:default/priya] groups=3 users=3",
	}) {
		t.Errorf("first load audited %q", got)
	}

	// Bob joins platform (an admin appears), payments gets a parent and
	// another manager, priya's Slack id changes.
	if err := writeFile(dir, "org.yaml", org("payments, platform", "U0PRIYA2", "engineering", "bob")); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"catalog.identity user:default/bob group-added group=group:default/platform",
		"catalog.identity user:default/bob role-granted role=admin",
		"catalog.identity user:default/priya slack-id-changed from=U0PRIYA to=U0PRIYA2",
		"catalog.identity group:default/payments parent-added parent=group:default/engineering",
		"catalog.identity group:default/payments manager-changed from=user:default/dana to=user:default/bob",
	}
	if got := take(aud); !slices.Equal(got, want) || rep.IdentityChanges != len(want) {
		t.Errorf("audited (%d):\n%s\nwant:\n%s", rep.IdentityChanges, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A refresh that changes nothing records nothing.
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := take(aud); len(got) != 0 {
		t.Errorf("an unchanged refresh audited %q", got)
	}

	// A team file that tries to grant something changes nothing, so
	// nothing is recorded.
	if err := writeFile(dir, "teams/payments.yaml", component("payments-service", "payments")+"---\n"+user("mallory", "U0MAL", "platform")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := take(aud); len(got) != 0 {
		t.Errorf("a refused team file audited %q", got)
	}

	// When the changes cannot be recorded they are not served: the refresh
	// fails and the last good state stays, until a refresh records them.
	if err := writeFile(dir, "org.yaml", org("payments", "U0PRIYA2", "engineering", "bob")); err != nil {
		t.Fatal(err)
	}
	aud.FailWith(errors.New("disk full"))
	if _, err := c.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("refresh with the audit log down: %v", err)
	}
	if id, _ := c.Identify(context.Background(), botUser("U0BOB")); !id.IsAdmin() {
		t.Errorf("bob's unrecorded loss of admin was served: %+v", id)
	}
	aud.FailWith(nil)
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"catalog.identity user:default/bob group-removed group=group:default/platform",
		"catalog.identity user:default/bob role-revoked role=admin",
	}
	if got := take(aud); !slices.Equal(got, want) {
		t.Errorf("audited:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if id, _ := c.Identify(context.Background(), botUser("U0BOB")); id.IsAdmin() {
		t.Errorf("bob is still an admin: %+v", id)
	}
}
