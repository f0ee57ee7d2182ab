package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

// TestCatalogTextNeverPings: descriptions and link titles teams wrote, and
// names people typed, reach Slack escaped and print in the shell as typed.
func TestCatalogTextNeverPings(t *testing.T) {
	q := `"` + bottest.Hostile + `"`
	dir := writeFiles(t, map[string]string{"x.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: t\n  description: " + q +
		"\nspec:\n  type: team\n  children: []\n---\n" +
		"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: sneaky\n  description: " + q +
		"\n  links:\n    - url: https://wiki.example.com/a?x=1&y=2\n      title: " + q +
		"\nspec:\n  type: service\n  lifecycle: production\n  owner: t\n"})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	m := bottest.NewMessenger()

	if err := run(t, c, m, "U1", "service", "sneaky"); err != nil {
		t.Fatal(err)
	}
	card := m.Last()
	bottest.CheckHostile(t, card)
	if want := "<https://wiki.example.com/a?x=1&amp;y=2|" + bottest.HostileMrkdwn + ">"; !strings.Contains(card.Wire(), want) {
		t.Errorf("the link is not %s:\n%s", want, card.Wire())
	}
	if err := run(t, c, m, "U1", "team", "t"); err != nil {
		t.Fatal(err)
	}
	bottest.CheckHostile(t, m.Last())

	if err := run(t, c, m, "U1", "catalog search", strings.Fields(bottest.Hostile)...); err != nil {
		t.Fatal(err)
	}
	bottest.CheckHostile(t, m.Last())

	var ue *bot.UserError
	if err := run(t, c, m, "U1", "service", bottest.Hostile); !errors.As(err, &ue) || !strings.Contains(ue.Msg, bottest.HostileMrkdwn) || strings.Contains(ue.Msg, "<!channel>") {
		t.Errorf("not-found error does not show the name escaped: %v", err)
	}
}
