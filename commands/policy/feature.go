package policy

import (
	"context"

	"github.com/platbot/platbot/bot"
)

var _ bot.Feature = (*Engine)(nil)

// Name is the feature's name and configuration section.
func (e *Engine) Name() string { return "policy" }

// Register adds /plat policy. The engine is a shared service too: the
// router decides every command with it (bot.RouterOptions.Policy), and
// features ask it through Check.
func (e *Engine) Register(reg *bot.Registry) error {
	reg.Commands(e.Commands()...)
	return nil
}

// Resume does nothing: the policy keeps no state between restarts.
func (e *Engine) Resume(context.Context) error { return nil }
