package golden

import (
	"errors"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
)

// fieldError is the one bad-input helper: an input filled from one
// parameter blames that field; any other input is named in the message.
func TestFieldErrorBlamesTheParameterOrNamesTheInput(t *testing.T) {
	sc := &actions.StepContext{RawInput: map[string]any{
		"schedule": "${{ parameters.when }}",
		"image":    "ghcr.io/acme/${{ parameters.app }}:1",
	}}
	err := fieldError(sc, "schedule", "not a cron schedule")
	var fe bot.FieldErrors
	if !errors.As(err, &fe) || fe["when"] != "not a cron schedule" || len(fe) != 1 {
		t.Fatalf("bound input: field errors %v from %v", fe, err)
	}
	var se *actions.StepError
	if !errors.As(err, &se) || err.Error() != "not a cron schedule" {
		t.Fatalf("bound input: error %T %q", err, err)
	}
	err = fieldError(sc, "image", "has no tag")
	if errors.As(err, &fe) {
		t.Fatalf("an input made of more than one parameter blamed a field: %v", fe)
	}
	if !errors.As(err, &se) || err.Error() != "input.image: has no tag" {
		t.Fatalf("unbound input: error %T %q, want it to name input.image", err, err)
	}
}

// repoSlug is the one reader of a component's repository for new-api-endpoint,
// new-sdk and add-ci-workflow.
func TestRepoSlug(t *testing.T) {
	sc := &actions.StepContext{RawInput: map[string]any{"component": "${{ parameters.component }}"}}
	comp := func(slug string) *catalog.Entity {
		e := &catalog.Entity{Kind: catalog.KindComponent, Metadata: catalog.Metadata{Name: "orders-service", Annotations: map[string]string{}}}
		if slug != "" {
			e.Metadata.Annotations[catalog.AnnotationGitHubSlug] = slug
		}
		return e
	}
	slug, owner, repo, err := repoSlug(sc, "component", comp(" acme/orders-service "))
	if err != nil || slug != "acme/orders-service" || owner != "acme" || repo != "orders-service" {
		t.Fatalf("repoSlug = %q %q %q %v", slug, owner, repo, err)
	}
	for _, bad := range []string{"", "acme", "acme/", "/orders", "acme/orders/x", " /x"} {
		_, _, _, err := repoSlug(sc, "component", comp(bad))
		var fe bot.FieldErrors
		if !errors.As(err, &fe) || !strings.Contains(fe["component"], "has no repository") || !strings.Contains(fe["component"], catalog.AnnotationGitHubSlug) {
			t.Errorf("slug %q: %v (field errors %v)", bad, err, fe)
		}
	}
}
