package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/shell"
	"github.com/platbot/platbot/commands/scorecard"
)

// runNowApp starts a `--now` command for a job that otherwise runs on a
// schedule inside serve: without --now it says so (runs completes
// "platbot <name>: …") and returns errUsage; with it, it builds the App,
// logging warnings to stderr. The caller closes the App.
func runNowApp(ctx context.Context, cfg *Config, name, runs string, now bool, stderr io.Writer) (*App, error) {
	if !now {
		fmt.Fprintf(stderr, "platbot %s: %s inside serve; pass --now to run one now\n", name, runs)
		return nil, errUsage
	}
	return buildApp(ctx, cfg, newLogger(cfg, stderr, slog.LevelWarn))
}

func cmdDigest(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("digest", "digest --now [--team <team>] [--dry-run]", stderr)
	now := fs.Bool("now", false, "run the weekly scorecard digest now (it otherwise runs on its schedule inside serve)")
	team := fs.String("team", "", "only this team (name or group ref); default every team plus the org roll-up")
	dry := fs.Bool("dry-run", false, "print the digests and write the charts to files instead of posting; nothing is recorded")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	app, err := runNowApp(ctx, cfg, "digest", "digests run on their schedule", *now, stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.bindOneShotMessenger(ctx, stdout); err != nil {
		return err
	}
	out := io.Writer(stdout)
	if ok, _ := cfg.SlackConfigured(); !ok || *dry {
		// Printed, not posted: plain text rather than Slack markup.
		tw := &shell.TextWriter{W: stdout}
		defer tw.Flush()
		out = tw
	}
	return app.feats.score.RunDigest(ctx, scorecard.DigestOptions{
		Team: *team, DryRun: *dry, Now: time.Now(), Out: out,
		ChartDir: filepath.Join(cfg.DataDir, "files"),
	})
}

// bindOneShotMessenger gives a one-shot subcommand somewhere to post: Slack
// when it is configured, else the terminal (as the shell prints).
func (a *App) bindOneShotMessenger(ctx context.Context, stdout io.Writer) error {
	if ok, _ := a.Cfg.SlackConfigured(); ok {
		m, err := a.slackMessenger()
		if err != nil {
			return err
		}
		a.Router.SetMessenger(bot.TransportSlack, m)
		return nil
	}
	sh := shell.New(shell.Options{Out: stdout, FilesDir: filepath.Join(a.Cfg.DataDir, "files")})
	a.Router.SetMessenger(bot.TransportShell, sh)
	return nil
}

const benchUsage = `bench scorecard [--services N] [--checks M] [--teams T]

  scorecard   grade N synthetic services against M checks with facts in
              memory (one core), and render the digest for T teams; prints
              total time and evaluations per second`

func cmdBench(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintf(stderr, "Usage: platbot %s\n", benchUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "scorecard":
		fs := newFlags("bench scorecard", "bench scorecard [--services N] [--checks M] [--teams T]", stderr)
		services := fs.Int("services", 10000, "synthetic services")
		checks := fs.Int("checks", 25, "checks per service")
		teams := fs.Int("teams", 200, "teams whose digest is rendered")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		for name, v := range map[string]int{"services": *services, "checks": *checks, "teams": *teams} {
			if v < 1 || v > 1_000_000 {
				fmt.Fprintf(stderr, "platbot bench scorecard: --%s %d: want a number from 1 to 1,000,000\n", name, v)
				return errUsage
			}
		}
		_, err := scorecard.Bench(ctx, scorecard.BenchOptions{Services: *services, Checks: *checks, Teams: *teams, Out: stdout})
		return err
	}
	fmt.Fprintf(stderr, "platbot bench: unknown benchmark %q\nUsage: platbot %s\n", args[0], benchUsage)
	return errUsage
}
