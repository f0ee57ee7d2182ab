package catalog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
)

type fact struct {
	label, value string
}

func (f fact) ServiceFact(context.Context, *catalog.Entity) (bot.Pair, bool) {
	return bot.Pair{Label: f.label, Value: f.value}, true
}

// denyOwners refuses reading services owned by a group.
type denyOwners struct{ owner string }

func (d denyOwners) Authorize(_ context.Context, _ *bot.Request, action string, res bot.Resource) error {
	if action == bot.ActionRead && res.Owner == d.owner {
		return bot.Errorf("no")
	}
	return nil
}

type argoPages map[string]string

func (a argoPages) ServiceForLink(link string) (string, bool) { ref, ok := a[link]; return ref, ok }

// TestServiceLinksUnfurl: a link to a service's repository on the GitHub
// host (its tree or a file too, not a pull request) and a link another
// resolver knows preview as the service summary with the shared facts
// only; a sharer the policy does not let read the service gets none.
func TestServiceLinksUnfurl(t *testing.T) {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("payments"), catalogtest.Group("secret-team"),
		catalogtest.Component("payments-service", "payments", catalog.AnnotationGitHubSlug+"=acme/payments-service"),
		catalogtest.Component("vault-core", "secret-team", catalog.AnnotationGitHubSlug+"=acme/vault-core"),
	)
	cat.AddSummaryFact(fact{"Grade", "*B*"}, true)
	cat.AddSummaryFact(fact{"Cost 30d", "$1,234 ↑ 12%"}, false)
	cat.AddLinkResolver(argoPages{"https://argocd.example.com/applications/argocd/payments-prod": "component:default/payments-service"})
	unfurl := cat.Unfurler(denyOwners{owner: "group:default/secret-team"})
	req := &bot.Request{ID: "ev1", User: bot.User{ID: "U0BOB"}}
	for _, link := range []string{
		"https://github.com/acme/payments-service",
		"https://GitHub.com/acme/payments-service.git",
		"https://github.com/acme/payments-service/tree/main/docs",
		"https://github.com/acme/payments-service/blob/main/README.md",
		"https://argocd.example.com/applications/argocd/payments-prod",
	} {
		msg, ok, err := unfurl(context.Background(), req, link)
		if err != nil || !ok {
			t.Fatalf("%s: no preview (%v)", link, err)
		}
		text := bot.PlainText(msg)
		for _, want := range []string{"payments-service", "Owner: group:default/payments", "Grade: *B*", "component:default/payments-service"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: preview lacks %q:\n%s", link, want, text)
			}
		}
		if strings.Contains(text, "Cost") {
			t.Errorf("%s: the preview shows a fact for the person's own Home only:\n%s", link, text)
		}
	}
	for _, link := range []string{
		"https://github.com/acme/payments-service/pull/3",
		"https://github.com/acme/payments-service/issues/3",
		"https://github.com/acme/unknown",
		"https://github.com/acme",
		"https://gitlab.com/acme/payments-service",
		"https://github.com/acme/vault-core", // the policy refuses reading it
	} {
		if _, ok, err := unfurl(context.Background(), req, link); ok || err != nil {
			t.Errorf("%s previewed (err %v)", link, err)
		}
	}
	// The person's own Home shows every fact.
	e, _ := cat.Get("component:default/payments-service")
	var labels []string
	for _, p := range cat.ServiceSummary(context.Background(), e, false) {
		labels = append(labels, p.Label)
	}
	if strings.Join(labels, ",") != "Owner,Grade,Cost 30d" {
		t.Fatalf("summary labels = %v", labels)
	}
}
