// Package core holds the commands every platbot has: help and ping.
// (whoami belongs to the catalog, which knows identities.)
package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
)

// Helper is the part of bot.Router that renders help.
type Helper interface {
	HelpMessage(ctx context.Context, req *bot.Request) bot.Message
	CommandHelp(name string) bot.Message
}

// Config is the core commands' configuration. platbot.yaml has no section
// for it: the version comes from the build.
type Config struct {
	// Version is what ping shows; the router's version when empty.
	Version string `yaml:"-"`
}

// DefaultConfig is the zero Config: ping shows the router's version.
func DefaultConfig() Config { return Config{} }

// Deps are what the core commands use.
type Deps struct {
	// Help renders help; the registry's router when nil.
	Help Helper
	// Now is the clock ping measures latency with; time.Now when nil.
	Now func() time.Time
}

// Core is the help and ping commands as a feature.
type Core struct {
	cfg  Config
	deps Deps
}

var _ bot.Feature = (*Core)(nil)

// New returns the core feature.
func New(cfg Config, deps Deps) (*Core, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Core{cfg: cfg, deps: deps}, nil
}

// Name is the feature's name.
func (c *Core) Name() string { return "core" }

// Register adds help and ping. Help is rendered by Deps.Help, else by the
// registry's router, which knows every command registered.
func (c *Core) Register(reg *bot.Registry) error {
	cc := *c
	r := reg.Router()
	if cc.deps.Help == nil {
		cc.deps.Help = r
	}
	if cc.cfg.Version == "" {
		cc.cfg.Version = r.Version()
	}
	reg.Commands(cc.commands()...)
	return nil
}

// Resume does nothing: help and ping keep no state.
func (c *Core) Resume(context.Context) error { return nil }

// Commands returns help and ping. version is shown by ping; now is the clock.
func Commands(h Helper, version string, now func() time.Time) []*bot.Command {
	c, _ := New(Config{Version: version}, Deps{Help: h, Now: now})
	return c.commands()
}

func (c *Core) commands() []*bot.Command {
	h, now := c.deps.Help, c.deps.Now
	return []*bot.Command{
		{
			Name:    "help",
			Usage:   "[command]",
			Summary: "list every command, or explain one",
			Action:  bot.ActionRead,
			Handle: func(ctx context.Context, req *bot.Request) error {
				if len(req.Args) > 0 {
					return req.Reply(ctx, h.CommandHelp(strings.Join(req.Args, " ")))
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
					Text: fmt.Sprintf("🏓 pong — platbot %s, %s from your command to this answer", c.cfg.Version, latency),
				})
			},
		},
	}
}
