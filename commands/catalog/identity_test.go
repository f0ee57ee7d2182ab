package catalog

import (
	"context"
	"slices"
	"testing"

	"github.com/platbot/platbot/bot"
)

func TestIdentifyByAnnotation(t *testing.T) {
	c := examples(t)
	id, err := c.Identify(context.Background(), bot.User{ID: "U0PAYALICE", Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Identity{
		UserRef:      "user:default/alice.moreau",
		Name:         "Alice Moreau",
		Email:        "alice.moreau@acme.example",
		DirectGroups: []string{"group:default/payments"},
		Groups:       []string{"group:default/payments", "group:default/engineering", "group:default/acme"},
		Manager:      "user:default/dana.whitfield",
		Roles:        []string{RoleEngineer},
		SlackID:      "U0PAYALICE",
	}
	if !equalIdentity(id, want) {
		t.Errorf("Identify(alice) =\n %+v\nwant\n %+v", id, want)
	}
	if id.Team() != "group:default/payments" || !id.InGroup("engineering") || id.IsAdmin() || !id.Known() {
		t.Errorf("helpers: team %q", id.Team())
	}
}

func TestIdentifyByEmail(t *testing.T) {
	c := examples(t)
	// Sam has no slack.com/user-id annotation: his Slack profile email finds him.
	id, _ := c.Identify(context.Background(), bot.User{ID: "U0REPSAM", Name: "sam", Email: "Sam.Patel@ACME.example"})
	if id.UserRef != "user:default/sam.patel" || id.Manager != "user:default/grace.kim" || !slices.Contains(id.Roles, RoleEngineer) {
		t.Errorf("Identify(sam by email) = %+v", id)
	}
	// An annotation wins over the email.
	id, _ = c.Identify(context.Background(), bot.User{ID: "U0PAYBOB", Email: "sam.patel@acme.example"})
	if id.UserRef != "user:default/bob.okafor" {
		t.Errorf("annotation should win: %+v", id)
	}
}

func TestIdentifyManagersAndAdmins(t *testing.T) {
	c := examples(t)
	ctx := context.Background()

	// Dana manages payments; her own manager is the next one up: Helen.
	dana, _ := c.Identify(ctx, bot.User{ID: "U0PAYDANA"})
	if dana.Manager != "user:default/helen.park" || !slices.Equal(dana.Manages, []string{"group:default/payments"}) || !dana.IsManagerOf("payments") {
		t.Errorf("dana = %+v", dana)
	}
	helen, _ := c.Identify(ctx, bot.User{ID: "U0ENGHELEN"})
	if helen.Manager != "" || !slices.Equal(helen.Manages, []string{"group:default/engineering"}) {
		t.Errorf("helen = %+v", helen)
	}
	priya, _ := c.Identify(ctx, bot.User{ID: "U0PLATPRIYA"})
	if !slices.Equal(priya.Roles, []string{RoleAdmin, RoleEngineer}) || !priya.IsAdmin() {
		t.Errorf("priya roles = %v", priya.Roles)
	}
	tom, _ := c.Identify(ctx, bot.User{ID: "U0PLATTOM"})
	if !tom.IsAdmin() || tom.Manager != "user:default/priya.raman" {
		t.Errorf("tom = %+v", tom)
	}

	stranger, err := c.Identify(ctx, bot.User{ID: "U999", Name: "guest", Email: "guest@elsewhere.example"})
	if err != nil || stranger.Known() || len(stranger.Roles) != 0 || stranger.Name != "guest" || stranger.SlackID != "U999" {
		t.Errorf("stranger = %+v, %v", stranger, err)
	}
	if c.ManagerOf("group:default/payments") != "user:default/dana.whitfield" || c.ManagerOf("acme") != "" {
		t.Errorf("ManagerOf: %q %q", c.ManagerOf("payments"), c.ManagerOf("acme"))
	}
	if got := c.Mention("user:dana.whitfield"); got != "<@U0PAYDANA>" {
		t.Errorf("Mention(user) = %q", got)
	}
	if got := c.Mention("group:payments"); got != "group:default/payments (#team-payments)" {
		t.Errorf("Mention(group) = %q", got)
	}
	if c.SlackID("alice.moreau") != "U0PAYALICE" {
		t.Error("SlackID")
	}
}

func TestIdentifyConfigurableManagerAndRoles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"org.yaml": `
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: sre
  annotations:
    platbot.dev/manager: boss
spec:
  type: team
  children: []
  members: [carol]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: carol
  annotations:
    slack.com/user-id: U1
    platbot.dev/manager: mentor
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: boss
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: mentor
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: twin-a
  annotations:
    slack.com/user-id: U2
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: twin-b
  annotations:
    slack.com/user-id: U2
spec: {}
`})
	for _, tc := range []struct {
		from []string
		want string
	}{
		{[]string{ManagerFromUser, ManagerFromGroup}, "user:default/mentor"},
		{[]string{ManagerFromGroup, ManagerFromUser}, "user:default/boss"},
		{[]string{ManagerFromGroup}, "user:default/boss"},
	} {
		cfg := DefaultConfigWith(dir)
		cfg.ManagerFrom = tc.from
		cfg.Roles = map[string][]string{"oncall": {"sre"}}
		cfg.AdminGroups = []string{"sre"}
		c, err := Load(context.Background(), cfg, WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := c.Identify(context.Background(), bot.User{ID: "U1"})
		if id.Manager != tc.want {
			t.Errorf("managerFrom %v: manager %q, want %q", tc.from, id.Manager, tc.want)
		}
		// Membership through the group's spec.members counts.
		if !slices.Equal(id.Groups, []string{"group:default/sre"}) || !slices.Equal(id.Roles, []string{RoleAdmin, RoleEngineer, "oncall"}) {
			t.Errorf("groups %v roles %v", id.Groups, id.Roles)
		}
		// Two users claiming one Slack id: neither is matched, and it is reported.
		if twin, _ := c.Identify(context.Background(), bot.User{ID: "U2"}); twin.Known() {
			t.Errorf("ambiguous Slack id matched %s", twin.UserRef)
		}
		if len(c.Errors()) != 1 {
			t.Errorf("problems:\n%s", problemsText(c.Errors()))
		}
	}
}

func TestOrphanedUserHasNoIdentity(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"org.yaml":   group("platform"),
		"users.yaml": "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: leaver\n  annotations:\n    slack.com/user-id: U7\nspec:\n  memberOf: [platform]\n",
	})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	if id, _ := c.Identify(context.Background(), bot.User{ID: "U7"}); !id.IsAdmin() {
		t.Fatalf("leaver should be an admin first: %+v", id)
	}
	if err := writeFile(dir, "users.yaml", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if id, _ := c.Identify(context.Background(), bot.User{ID: "U7"}); id.Known() || id.IsAdmin() {
		t.Errorf("an orphaned user keeps an identity: %+v", id)
	}
}

func equalIdentity(a, b *Identity) bool {
	return a.UserRef == b.UserRef && a.Name == b.Name && a.Email == b.Email && a.Manager == b.Manager && a.SlackID == b.SlackID &&
		slices.Equal(a.Groups, b.Groups) && slices.Equal(a.DirectGroups, b.DirectGroups) && slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Manages, b.Manages)
}
