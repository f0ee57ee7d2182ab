package forms

import (
	"slices"

	"github.com/platbot/platbot/bot"
)

// ChoicesOption is the ui:options key of a select property naming, in
// Env.Choices, the values its field offers: the enum values among them,
// in the enum's order (like `choices: placementRegions`, the regions
// where a cluster of the platform runs). A key Env.Choices lacks, or one
// that allows none of the enum, offers the whole enum; the submission's
// checks refuse a value that does not fit.
const ChoicesOption = "choices"

// narrow keeps, of the select fields fs of p, the options its choices
// allow, and a default among them.
func (p *Property) narrow(fs []bot.Field, choices map[string][]string) {
	key, _ := p.UIOptions[ChoicesOption].(string)
	allowed := choices[key]
	if key == "" || len(allowed) == 0 {
		return
	}
	for i := range fs {
		if fs[i].ID != p.Name || fs[i].Kind != bot.FieldSelect {
			continue
		}
		var kept []bot.Option
		for _, o := range fs[i].Options {
			if slices.Contains(allowed, o.Value) {
				kept = append(kept, o)
			}
		}
		if len(kept) == 0 {
			continue
		}
		fs[i].Options = kept
		if !slices.ContainsFunc(kept, func(o bot.Option) bool { return o.Value == fs[i].Default }) {
			fs[i].Default = ""
		}
	}
}
