package paths

import (
	"context"
	"regexp"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/template"
)

// formHinter is an action that describes some of its input values while
// the form is still being filled in (platbot:cronjob: the schedule in
// words and its next runs in the team's time zone). FormHints gets the
// step's inputs that are filled from exactly one parameter, with the
// values entered so far, and returns a line for each input it describes
// ("" when there is nothing to say yet): the fields those inputs come from
// rebuild the form when they change (bot.Field.Dispatch, Slack's
// views.update), and a line is shown under its field, before the field's
// description.
type formHinter interface {
	FormHints(ctx context.Context, input map[string]any) map[string]string
}

// oneParam matches an input that is exactly one template parameter.
var oneParam = regexp.MustCompile(`^\s*\$\{\{\s*parameters\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$`)

// hintForm asks the actions of t's steps that are formHinters about the
// values entered so far (req.FormValues, else the form's defaults) and
// puts their lines under the fields, which then dispatch.
func (p *Paths) hintForm(ctx context.Context, req *bot.Request, id *catalog.Identity, t *template.Template, f *bot.Form) {
	var values bot.Values
	for _, s := range t.Steps {
		h, ok := p.actions[s.Action].(formHinter)
		if !ok {
			continue
		}
		if values == nil {
			values = bot.Values{}
			for _, fd := range f.Fields {
				if fd.Default != "" {
					values[fd.ID] = []string{fd.Default}
				}
			}
			for k, v := range req.FormValues {
				values[k] = v
			}
		}
		params, _ := p.params(id, t, values)
		input := map[string]any{}
		fieldOf := map[string]string{}
		for key, raw := range s.Input {
			text, ok := raw.(string)
			if !ok {
				continue
			}
			if m := oneParam.FindStringSubmatch(text); m != nil {
				input[key] = params[m[1]]
				fieldOf[key] = m[1]
			}
		}
		for key, line := range h.FormHints(ctx, input) {
			fd := f.Field(fieldOf[key])
			if fd == nil || fieldOf[key] == "" {
				continue
			}
			fd.Dispatch = true
			if line = strings.TrimSpace(line); line != "" {
				fd.Help = strings.TrimSpace(line + "\n" + fd.Help)
			}
		}
	}
}
