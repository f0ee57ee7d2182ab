package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

// run finds a command by name and runs its handler the way the router
// does after the policy check.
func run(t *testing.T, c *Catalog, m *bottest.Messenger, user, name string, args ...string) error {
	t.Helper()
	for _, cmd := range c.Commands() {
		if cmd.Name == name {
			req := m.NewRequest(user, name, args...)
			return cmd.Handle(context.Background(), req)
		}
	}
	t.Fatalf("no command %q", name)
	return nil
}

func command(c *Catalog, name string) *bot.Command {
	for _, cmd := range c.Commands() {
		if cmd.Name == name {
			return cmd
		}
	}
	return nil
}

func TestServiceCard(t *testing.T) {
	c := examples(t)
	m := bottest.NewMessenger()
	if err := run(t, c, m, "U0CHKCARLOS", "service", "checkout-service"); err != nil {
		t.Fatal(err)
	}
	msg := m.Last().Msg
	if h, ok := msg.Blocks[0].(bot.Header); !ok || h.Text != "Checkout Service" {
		t.Errorf("header = %#v", msg.Blocks[0])
	}
	var fields map[string]string
	var button *bot.Button
	for _, b := range msg.Blocks {
		switch v := b.(type) {
		case bot.Fields:
			fields = map[string]string{}
			for _, p := range v.Pairs {
				fields[p.Label] = p.Value
			}
		case bot.Actions:
			button = &v.Buttons[0]
		}
	}
	for label, want := range map[string]string{
		"Owner":                "Checkout (group:default/checkout)",
		"Lifecycle":            "production",
		"System":               "system:default/checkout",
		"Type":                 "service",
		"Repository":           "<https://github.com/acme/checkout-service|acme/checkout-service>",
		"On-call":              "PagerDuty PCHK001 (via group:default/checkout)",
		"Kubernetes namespace": "checkout",
	} {
		if fields[label] != want {
			t.Errorf("field %s = %q, want %q", label, fields[label], want)
		}
	}
	if button == nil || button.ActionID != "access:request" || button.Value != "component:default/checkout-service" || button.Text != "Request prod access" {
		t.Errorf("button = %+v", button)
	}
	text := m.AllText()
	for _, want := range []string{"<https://runbooks.acme.example/checkout-service|Runbook>", "finops/cost-tag: service=checkout-service", "examples/catalog/checkout.yaml:"} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}

	// The reports team has no on-call: the card says so.
	m.Reset()
	_ = run(t, c, m, "U0REPRITA", "service", "reports-service")
	if !strings.Contains(m.AllText(), "On-call: none") {
		t.Errorf("reports-service card:\n%s", m.AllText())
	}

	// Policy sees the entity behind the argument.
	res, _ := command(c, "service").Resource(context.Background(), m.NewRequest("U1", "service", "payments-service"))
	if res.Ref != "component:default/payments-service" || res.Owner != "group:default/payments" || res.Lifecycle != "production" || res.Kind != "component" {
		t.Errorf("resource = %+v", res)
	}
}

func TestUnknownNamesSuggest(t *testing.T) {
	c := examples(t)
	m := bottest.NewMessenger()
	var ue *bot.UserError
	err := run(t, c, m, "U1", "service", "chekout-service")
	if !errors.As(err, &ue) || ue.Msg != "no service named chekout-service — did you mean checkout-service?" {
		t.Errorf("err = %v", err)
	}
	err = run(t, c, m, "U1", "team", "paymnts")
	if !errors.As(err, &ue) || ue.Msg != "no team named paymnts — did you mean payments?" {
		t.Errorf("err = %v", err)
	}
	err = run(t, c, m, "U1", "service", "qqqqqqqqqq")
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "no service named qqqqqqqqqq. Try /plat catalog search") {
		t.Errorf("err = %v", err)
	}
	if err := run(t, c, m, "U1", "service"); !errors.As(err, &ue) || !strings.HasPrefix(ue.Msg, "usage:") {
		t.Errorf("no argument: %v", err)
	}
	if len(m.Sent()) != 0 {
		t.Errorf("sent %v", m.Sent())
	}
}

func TestTeamCard(t *testing.T) {
	c := examples(t)
	m := bottest.NewMessenger()
	if err := run(t, c, m, "U0PAYALICE", "team", "payments"); err != nil {
		t.Fatal(err)
	}
	text := m.AllText()
	for _, want := range []string{
		"== Payments ==",
		"Manager: Dana Whitfield (<@U0PAYDANA>)",
		"Members: 3",
		"Alice Moreau (<@U0PAYALICE>)", "Bob Okafor (<@U0PAYBOB>)",
		"*payments-service* — production (service)",
		"*fraud-scoring* — experimental (service)",
		"On-call: PagerDuty PPAY001",
		"Also owns: payments-api (API)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("team card lacks %q:\n%s", want, text)
		}
	}
	m.Reset()
	_ = run(t, c, m, "U1", "team", "checkout")
	if !strings.Contains(m.AllText(), "*legacy-checkout* — deprecated (service)") {
		t.Errorf("checkout card:\n%s", m.AllText())
	}
}

func TestSearchCommand(t *testing.T) {
	c := examples(t)
	m := bottest.NewMessenger()
	if err := run(t, c, m, "U1", "catalog search", "pci"); err != nil {
		t.Fatal(err)
	}
	text := m.AllText()
	if !strings.Contains(text, "*payments-service* (Component) — owner group:default/payments — Authorises") || !strings.Contains(text, "results for") {
		t.Errorf("search output:\n%s", text)
	}
	m.Reset()
	_ = run(t, c, m, "U1", "catalog search", "nothing-like-this-exists")
	if !strings.Contains(m.AllText(), "Nothing in the catalog matches") {
		t.Errorf("empty search:\n%s", m.AllText())
	}
	m.Reset()
	_ = run(t, c, m, "U1", "catalog search", "e")
	if n := strings.Count(m.AllText(), "\n") - 1; n != 10 {
		t.Errorf("search shows %d results, want the top 10:\n%s", n, m.AllText())
	}
}

func TestWhoami(t *testing.T) {
	c := examples(t)
	m := bottest.NewMessenger()
	if err := run(t, c, m, "U0PAYDANA", "whoami"); err != nil {
		t.Fatal(err)
	}
	text := m.AllText()
	for _, want := range []string{
		"Slack id: U0PAYDANA", "Display name: Dana Whitfield", "Catalog user: user:default/dana.whitfield",
		"Teams: group:default/payments", "All groups: group:default/payments, group:default/engineering, group:default/acme",
		"Manager: Helen Park (<@U0ENGHELEN>)", "Roles: engineer", "Manages: group:default/payments",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("whoami lacks %q:\n%s", want, text)
		}
	}

	m.Reset()
	req := m.NewRequest("U0NEWBIE", "whoami")
	req.User = bot.User{ID: "U0NEWBIE", Name: "newbie", Email: "newbie@acme.example"}
	if err := command(c, "whoami").Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	text = m.AllText()
	for _, want := range []string{"You are not in the catalog", "Catalog user: not found", "slack.com/user-id: U0NEWBIE", "spec.profile.email to your Slack email (newbie@acme.example)"} {
		if !strings.Contains(text, want) {
			t.Errorf("whoami (unknown) lacks %q:\n%s", want, text)
		}
	}
}

func TestAdminCommands(t *testing.T) {
	dir := writeFiles(t, map[string]string{"org.yaml": group("payments") + "---\n" + component("svc", "payments", "  system: nowhere")})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	m := bottest.NewMessenger()

	for name, action := range map[string]string{"catalog reload": bot.ActionAdmin, "catalog errors": bot.ActionAdmin, "catalog remove": bot.ActionDelete, "whoami": bot.ActionRead, "service": bot.ActionRead, "team": bot.ActionRead, "catalog search": bot.ActionRead} {
		if cmd := command(c, name); cmd == nil || cmd.Action != action || cmd.Summary == "" {
			t.Errorf("command %q: %+v", name, cmd)
		}
	}

	if err := run(t, c, m, "U0PLATPRIYA", "catalog errors"); err != nil {
		t.Fatal(err)
	}
	// Each problem names its location, file and line.
	if text := m.AllText(); !strings.Contains(text, "0 errors, 1 warnings") ||
		!strings.Contains(text, "warning [file:"+dir+"] "+dir+"/org.yaml:17: component:default/svc: spec.system \"nowhere\" does not resolve") {
		t.Errorf("errors output:\n%s", text)
	}

	if err := writeFile(dir, "org.yaml", group("payments")); err != nil {
		t.Fatal(err)
	}
	m.Reset()
	if err := run(t, c, m, "U0PLATPRIYA", "catalog reload"); err != nil {
		t.Fatal(err)
	}
	if text := m.AllText(); !strings.Contains(text, "Catalog reloaded: 1 entities from 1 files") || !strings.Contains(text, "1 orphaned") {
		t.Errorf("reload output:\n%s", text)
	}
	m.Reset()
	if err := run(t, c, m, "U0PLATPRIYA", "catalog remove", "component:svc"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.AllText(), "Removed orphan component:svc") {
		t.Errorf("remove output:\n%s", m.AllText())
	}
	var ue *bot.UserError
	if err := run(t, c, m, "U0PLATPRIYA", "catalog remove", "group:payments"); !errors.As(err, &ue) || !strings.Contains(ue.Msg, "still in") {
		t.Errorf("remove live: %v", err)
	}
	m.Reset()
	_ = run(t, c, m, "U0PLATPRIYA", "catalog errors")
	if !strings.Contains(m.AllText(), "no problems") {
		t.Errorf("errors after cleanup:\n%s", m.AllText())
	}
}

func TestProblemString(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Location: "file:examples/catalog", File: "examples/catalog/org.yaml", Line: 7, Entity: "group:default/x", Message: "bad"},
			"[file:examples/catalog] examples/catalog/org.yaml:7: group:default/x: bad"},
		{Problem{Location: "url:https://github.com/acme/p/blob/main/catalog-info.yaml", File: "https://github.com/acme/p/blob/main/team.yaml", Message: "file not found"},
			"[url:https://github.com/acme/p/blob/main/catalog-info.yaml] https://github.com/acme/p/blob/main/team.yaml: file not found"},
		{Problem{Location: "file:nowhere", Message: "location: target missing"}, "[file:nowhere] location: target missing"},
		{Problem{File: "a.yaml", Line: 2, Message: "reported"}, "a.yaml:2: reported"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q\nwant %q", got, tc.want)
		}
	}
}

func TestCardsEscapeCatalogText(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.yaml": group("t") + "---\n" +
		"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: sneaky\n  description: \"<!channel> pay now <https://evil.example|bank>\"\n  links:\n    - url: javascript:alert(1)\n      title: click\nspec:\n  type: service\n  lifecycle: production\n  owner: t\n"})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	e, _ := c.Get("sneaky")
	text := bot.PlainText(bot.Message{Blocks: c.ServiceCard(e)})
	if strings.Contains(text, "<!channel>") || strings.Contains(text, "<https://evil") || strings.Contains(text, "<javascript") {
		t.Errorf("unescaped catalog text:\n%s", text)
	}
}
