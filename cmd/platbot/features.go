package main

import (
	"context"

	"github.com/platbot/platbot/bot"
)

// features are the wired feature packages.
type features struct {
	policy bot.Policy
}

func newFeatures(ctx context.Context, app *App) (*features, error) {
	return &features{policy: bot.AllowAll{}}, nil
}

func (f *features) register(ctx context.Context, app *App) error { return nil }

// shellUser maps the shell's --as to a chat user.
func (a *App) shellUser(ctx context.Context, as string) bot.User {
	if as == "" {
		as = "shell-user"
	}
	return bot.User{ID: as, Name: as}
}
