package golden

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/templating"
)

// paramRe matches an input that is exactly one template parameter.
var paramRe = regexp.MustCompile(`^\s*\$\{\{\s*parameters\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$`)

// fieldError is a problem with the value of the step's input key, the one
// helper every action of this package reports bad input with. When the
// template fills that input from one parameter, the error's chain holds a
// bot.FieldErrors naming it, so the form blames that field
// (commands/paths/commands.go planCheck); otherwise the message names the
// input, for the template's authors.
func fieldError(sc *actions.StepContext, key, msg string) error {
	if raw, ok := sc.RawInput[key].(string); ok {
		if m := paramRe.FindStringSubmatch(raw); m != nil {
			return &actions.StepError{Msg: msg, Err: bot.FieldErrors{m[1]: msg}}
		}
	}
	return &actions.StepError{Msg: "input." + key + ": " + msg}
}

// repoSlug is the GitHub repository (owner, name) of comp, from its
// github.com/project-slug annotation; a missing or malformed one is a
// field error on the input key that named comp.
func repoSlug(sc *actions.StepContext, key string, comp *catalog.Entity) (slug, owner, repo string, err error) {
	slug = strings.TrimSpace(comp.Annotation(catalog.AnnotationGitHubSlug))
	owner, repo, ok := strings.Cut(slug, "/")
	if !ok || strings.TrimSpace(owner) == "" || strings.TrimSpace(repo) == "" || strings.Contains(repo, "/") {
		return "", "", "", fieldError(sc, key, fmt.Sprintf("%s has no repository: its catalog entry needs a %s annotation (owner/name), it has %q", comp.Ref(), catalog.AnnotationGitHubSlug, slug))
	}
	return slug, owner, repo, nil
}

// inputText is an input value as trimmed text.
func inputText(sc *actions.StepContext, key string) string {
	return strings.TrimSpace(templating.Text(sc.Input[key]))
}

// inputInt is an input value as a whole number (def when empty).
func inputInt(sc *actions.StepContext, key string, def, min, max int64) (int64, error) {
	s := inputText(sc, key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(s, ".0"), 10, 64)
	if err != nil {
		return 0, fieldError(sc, key, strconv.Quote(s)+" is not a whole number")
	}
	if n < min || n > max {
		return 0, fieldError(sc, key, "must be between "+strconv.FormatInt(min, 10)+" and "+strconv.FormatInt(max, 10)+", not "+s)
	}
	return n, nil
}
