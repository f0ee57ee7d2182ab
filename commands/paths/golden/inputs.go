package golden

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/templating"
)

// paramRe matches an input that is exactly one template parameter.
var paramRe = regexp.MustCompile(`^\s*\$\{\{\s*parameters\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$`)

// inputError is a problem with one input value. When the template fills
// that input from one parameter, the error also carries it as a field
// error (bot.FieldErrors, through Unwrap), so the form blames the field
// that holds the value (commands/paths/commands.go planCheck).
type inputError struct {
	msg    string
	fields bot.FieldErrors
}

func (e *inputError) Error() string { return e.msg }

func (e *inputError) Unwrap() error {
	if e.fields == nil {
		return nil
	}
	return e.fields
}

// badInput is the error for the value of input key: msg says what is
// wrong with it.
func badInput(sc *actions.StepContext, key, msg string) error {
	e := &inputError{msg: "input." + key + ": " + msg}
	if raw, ok := sc.RawInput[key].(string); ok {
		if m := paramRe.FindStringSubmatch(raw); m != nil {
			e.fields = bot.FieldErrors{m[1]: msg}
		}
	}
	return e
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
		return 0, badInput(sc, key, strconv.Quote(s)+" is not a whole number")
	}
	if n < min || n > max {
		return 0, badInput(sc, key, "must be between "+strconv.FormatInt(min, 10)+" and "+strconv.FormatInt(max, 10)+", not "+s)
	}
	return n, nil
}
