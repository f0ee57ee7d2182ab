package paths

import (
	"context"
	"maps"

	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
)

// formChoices are the choices the actions of t's steps narrow its form
// with (actions.FormChoices, forms.ChoicesOption): add-region's regions
// where a cluster of the platform runs, for one.
func (p *Paths) formChoices(ctx context.Context, t *template.Template) map[string][]string {
	out := map[string][]string{}
	for _, s := range t.Steps {
		if c, ok := p.actions[s.Action].(actions.FormChoices); ok {
			maps.Copy(out, c.FormChoices(ctx))
		}
	}
	return out
}
