package paths

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/integrations/gitops"
)

// A second endpoint with the same method and path (its parameters named
// differently) on the same service, while the first run's pull request is
// open, is a field error naming that run and its pull request; another
// path on the service, or the same path on another service, still runs.
func TestEndpointInFlightIsAFieldError(t *testing.T) {
	cat := newCatalog(t,
		catalogtest.Component("orders-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/orders-api"),
		catalogtest.Component("refunds-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/refunds-api"),
	)
	reposDir := seedEndpointRepos(t, "# API\n", "acme/orders-api", "acme/refunds-api")
	e := newEnv(t, envOptions{cat: cat, repos: endpointRepos{e2eRepos{gitops.LocalRepositories(reposDir)}}})
	e.approve(t, "new-api-endpoint")
	endpoint := func(component, method, path string) bot.Values {
		return bot.Values{"component": {component}, "method": {method}, "path": {path}, "summary": {"x"}, "auth": {"none"}, "rateLimit": {"10"}}
	}
	if errs := e.submit(userJane, e.form(userJane, "new-api-endpoint"), endpoint("orders-api", "POST", "/orders/{orderId}/refunds")); errs != nil {
		t.Fatalf("first endpoint refused: %v", errs)
	}
	e.drain()
	first := e.onlyRun()
	if first.State != RunSucceeded {
		t.Fatalf("first run %s: %s", first.State, first.Error)
	}
	branches := git(t, filepath.Join(reposDir, "acme/orders-api"), "branch", "--list", "plat/*")

	errs := e.submit(userJane, e.form(userJane, "new-api-endpoint"), endpoint("orders-api", "POST", "/orders/{id}/refunds"))
	for _, want := range []string{"POST /orders/{id}/refunds is already being added to orders-api by run " + first.ID, "pull request ", "not merged yet", "/plat run " + first.ID} {
		if !strings.Contains(errs["path"], want) || len(errs) != 1 {
			t.Errorf("the same endpoint again: field errors %v, want path: %q", errs, want)
		}
	}
	if n := len(e.runs()); n != 1 {
		t.Fatalf("%d runs after the refused submission", n)
	}
	if got := git(t, filepath.Join(reposDir, "acme/orders-api"), "branch", "--list", "plat/*"); got != branches {
		t.Fatalf("the refused submission created branches:\n%s", got)
	}
	for _, v := range []bot.Values{endpoint("orders-api", "GET", "/orders/{orderId}/refunds"), endpoint("refunds-api", "POST", "/orders/{orderId}/refunds")} {
		if errs := e.submit(userJane, e.form(userJane, "new-api-endpoint"), v); errs != nil {
			t.Errorf("%v refused: %v", v, errs)
		}
	}
	e.drain()
	for _, r := range e.runs() {
		if r.State != RunSucceeded {
			t.Errorf("run %s %s: %s", r.ID, r.State, r.Error)
		}
	}
}

// A second flag with the same key for the same service, while the first
// run's pull request is open, is a field error naming that run; once the
// pull request is merged the base branch's check refuses it.
func TestFlagInFlightIsAFieldError(t *testing.T) {
	e := newEnv(t, envOptions{})
	repo := filepath.Join(e.dir, "gitops")
	e.approve(t, "new-feature-flag")
	values := flagValues("new-checkout", map[string]string{"rule": "percentage", "rolloutPercent": "20"})
	if errs := e.submit(userJane, e.form(userJane, "new-feature-flag"), values); errs != nil {
		t.Fatalf("first flag refused: %v", errs)
	}
	e.drain()
	first := e.onlyRun()
	if first.State != RunSucceeded {
		t.Fatalf("first run %s: %s", first.State, first.Error)
	}
	errs := e.submit(userJane, e.form(userJane, "new-feature-flag"), values)
	if want := "the flag new-checkout is already being added to orders-service by run " + first.ID; !strings.Contains(errs["key"], want) || len(errs) != 1 {
		t.Fatalf("the same flag again: field errors %v, want key: %q", errs, want)
	}
	if n := len(e.runs()); n != 1 {
		t.Fatalf("%d runs after the refused submission", n)
	}
	git(t, repo, "update-ref", "refs/heads/main", "plat/"+first.ID+"-new-feature-flag")
	errs = e.submit(userJane, e.form(userJane, "new-feature-flag"), values)
	if want := "already has a flag new-checkout"; !strings.Contains(errs["key"], want) {
		t.Fatalf("the merged flag again: field errors %v, want key: %q", errs, want)
	}
}
