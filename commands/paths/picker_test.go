package paths

import (
	"slices"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
)

// An EntityPicker over services offers only the requester's teams' (admins
// see every one; a parent group's are not a team's own), through the block_suggestion path Slack's external
// select uses; a system picker still offers every team's systems; a value
// naming another team's service is not one of the choices, and the
// feature's own check (what "Create it" after a dry run repeats) says
// whose it is.
func TestEntityPickerOffersYourTeamsOnly(t *testing.T) {
	cat := newCatalog(t,
		catalogtest.Component("cart-service", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/cart-service"),
		catalogtest.Component("payments-service", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/payments-service"),
		catalogtest.Component("platform-wide", "group:default/engineering"),
		catalogtest.System("storefront", "group:default/checkout"),
	)
	e := newEnv(t, envOptions{cat: cat})
	for _, name := range []string{"new-api-endpoint", "new-service"} {
		e.command(userAdmin, "template approve "+name)
		if e.approved(name) == nil {
			t.Fatalf("approve %s: %s", name, e.msgr.Last().Text())
		}
	}
	suggest := func(user, form, field, query string) []string {
		t.Helper()
		opts, err := e.router.SuggestOptions(e.ctx, e.request(user, ""), form, field, query)
		if err != nil {
			t.Fatalf("suggest %s.%s %q: %v", form, field, query, err)
		}
		var out []string
		for _, o := range opts {
			out = append(out, o.Value)
		}
		slices.Sort(out)
		return out
	}
	if got, want := suggest(userJane, "new-api-endpoint", "component", ""), []string{"component:default/orders-service", "component:default/payments-service"}; !slices.Equal(got, want) {
		t.Errorf("jane (payments) is offered %v, want %v", got, want)
	}
	if got := suggest(userJane, "new-api-endpoint", "component", "cart-service"); len(got) != 0 {
		t.Errorf("jane typing another team's service is offered %v", got)
	}
	if got, want := suggest(userAdmin, "new-api-endpoint", "component", ""),
		[]string{"component:default/cart-service", "component:default/orders-service", "component:default/payments-service", "component:default/platform-wide"}; !slices.Equal(got, want) {
		t.Errorf("an admin is offered %v, want %v", got, want)
	}
	if got := suggest(userJane, "new-service", "system", ""); !slices.Contains(got, "system:default/storefront") || !slices.Contains(got, "system:default/orders") {
		t.Errorf("jane's system picker offers %v, want every team's systems", got)
	}

	values := bot.Values{"component": {"cart-service"}, "method": {"GET"}, "path": {"/carts"}, "summary": {"x"}, "auth": {"none"}, "rateLimit": {"10"}}
	errs := e.submit(userJane, e.form(userJane, "new-api-endpoint"), values)
	if !strings.Contains(errs["component"], `"cart-service" is not one of the choices`) {
		t.Errorf("a submitted value naming another team's service: field errors %v", errs)
	}
	errs, _ = e.paths.check(e.ctx, e.request(userJane, ""), e.approved("new-api-endpoint"), values)
	if want := "component:default/cart-service is owned by group:default/checkout, not by one of your teams (payments)"; !strings.Contains(errs["component"], want) {
		t.Errorf("check: field errors %v, want component: %q", errs, want)
	}
	// A parent group's service is not a team's own (jane is in engineering
	// only through payments).
	values["component"] = []string{"platform-wide"}
	errs, _ = e.paths.check(e.ctx, e.request(userJane, ""), e.approved("new-api-endpoint"), values)
	if want := "component:default/platform-wide is owned by group:default/engineering, not by one of your teams (payments)"; !strings.Contains(errs["component"], want) {
		t.Errorf("check: field errors %v, want component: %q", errs, want)
	}
	if n := len(e.runs()); n != 0 {
		t.Fatalf("%d runs after refused submissions", n)
	}
}
