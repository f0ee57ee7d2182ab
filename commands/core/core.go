// Package core holds the commands every platbot has: help and ping.
// (whoami belongs to the catalog, which knows identities.)
package core

import (
	"context"
	"fmt"
	"time"

	"github.com/platbot/platbot/bot"
)

// Helper is the part of bot.Router that renders help.
type Helper interface {
	HelpMessage(ctx context.Context, req *bot.Request) bot.Message
	CommandHelp(name string) bot.Message
}

// Commands returns help and ping. version is shown by ping; now is the clock.
func Commands(h Helper, version string, now func() time.Time) []*bot.Command {
	if now == nil {
		now = time.Now
	}
	return []*bot.Command{
		{
			Name:    "help",
			Usage:   "[command]",
			Summary: "list every command, or explain one",
			Action:  bot.ActionRead,
			Handle: func(ctx context.Context, req *bot.Request) error {
				if len(req.Args) > 0 {
					name := ""
					for i, a := range req.Args {
						if i > 0 {
							name += " "
						}
						name += a
					}
					return req.Reply(ctx, h.CommandHelp(name))
				}
				return req.Reply(ctx, h.HelpMessage(ctx, req))
			},
		},
		{
			Name:    "ping",
			Summary: "check that platbot is alive; shows its version and latency",
			Action:  bot.ActionRead,
			Handle: func(ctx context.Context, req *bot.Request) error {
				latency := "n/a"
				if !req.Received.IsZero() {
					latency = now().Sub(req.Received).Round(time.Microsecond).String()
				}
				return req.Reply(ctx, bot.Message{
					Text: fmt.Sprintf("🏓 pong — platbot %s, %s from your command to this answer", version, latency),
				})
			},
		},
	}
}
