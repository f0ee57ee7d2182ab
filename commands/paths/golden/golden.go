// Package golden holds the platform's own actions behind the shipped
// golden paths (examples/templates): each builds its artifacts as typed
// objects or parsed trees — Kubernetes manifests from their Go types, an
// OpenAPI document through its library — never by splicing text, and
// checks them before they reach a pull request. Templates call them like
// Backstage's built-in actions (action: platbot:<name>); each action lives
// in its own file with its tests, and Actions lists them all.
package golden

import (
	"github.com/platbot/platbot/commands/paths/actions"
)

// Actions returns the platform actions by name, over the same
// dependencies as the built-in ones (commands/paths/actions).
func Actions(d actions.Deps) map[string]actions.Action {
	out := map[string]actions.Action{}
	for _, register := range registry {
		for name, a := range register(d) {
			out[name] = a
		}
	}
	return out
}

// registry holds one constructor per file of actions; a new file adds
// itself here in one line.
var registry = []func(actions.Deps) map[string]actions.Action{}
