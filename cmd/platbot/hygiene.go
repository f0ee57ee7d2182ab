package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/hygiene"
	"github.com/platbot/platbot/integrations/gitops"
)

// buildHygiene wires catalog hygiene: Slack accounts when a bot token is
// configured, the scorecard's deploy facts, the cost feature's usage, and
// pull requests on the catalog's own files (GitHub, or the local git
// repository that holds a local file).
func (f *features) buildHygiene(app *App) error {
	cfg := app.Cfg
	hc := hygiene.DefaultConfig()
	if err := cfg.Feature("hygiene", &hc); err != nil {
		return err
	}
	if hc.PlatformChannel == "" {
		hc.PlatformChannel = f.adminChannel()
	}
	deps := hygiene.Deps{Store: app.Store, Catalog: f.catalog, Logger: app.Log}
	if cfg.Slack.BotToken != "" {
		deps.Accounts = newSlackAccounts(cfg.Slack.BotToken, cfg.Slack.APIURL)
	}
	if f.deploys != nil {
		deps.Deploys = hygieneDeploys{p: f.deploys, cat: f.catalog}
	}
	if f.cost != nil {
		u := hygieneUsage{costs: f.cost, now: time.Now}
		if reqs, err := hygieneRequests(f.cost); err == nil {
			u.requests = reqs
		} else {
			app.Log.Warn("hygiene: request counts are unknown", "err", err)
		}
		deps.Usage = u
	}
	files := hygieneFiles{gh: f.gh, host: f.catalog.Config().GitHubHost}
	if f.gh != nil && cfg.GitHub.Token != "" {
		files.repos = gitops.GitHubRepositories(f.gh)
	}
	deps.Files = files
	var err error
	if f.hygiene, err = hygiene.New(hc, deps); err != nil {
		return &ConfigError{File: cfg.path, Key: "hygiene", Msg: err.Error()}
	}
	return nil
}

// hygieneRequests is the cost feature's request counter (Prometheus, or the
// example counts beside the example cost data), built again from its
// configuration; nil when neither is configured.
func hygieneRequests(c *cost.Costs) (cost.RequestCounter, error) {
	return cost.NewRequestCounter(c.Config(), os.DirFS("examples/cost"))
}

const hygieneCmdUsage = "hygiene --now [--dry-run] [--team <team>]"

// cmdHygiene is `platbot hygiene --now`: refresh the catalog, scan it and
// print every finding; without --dry-run also record and post the report
// as the schedule does (to Slack when configured, else to the terminal).
func cmdHygiene(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("hygiene", hygieneCmdUsage, stderr)
	now := fs.Bool("now", false, "scan the catalog now (it otherwise runs on hygiene.schedule inside serve)")
	dry := fs.Bool("dry-run", false, "print the report only: nothing is recorded or posted")
	team := fs.String("team", "", "only this team's findings (name or group ref)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	app, err := runNowApp(ctx, cfg, "hygiene", "the scan runs on its schedule", *now, stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	// The scan looks only at a catalog read from its locations now.
	if _, err := app.feats.catalog.Refresh(ctx); err != nil {
		return fmt.Errorf("refresh the catalog: %w", err)
	}
	var m bot.Messenger
	if !*dry {
		if err := app.bindOneShotMessenger(ctx, stdout); err != nil {
			return err
		}
		m = app.Router.Outbound(bot.TransportSlack)
	}
	res, err := app.feats.hygiene.Run(ctx, m, hygiene.ScanOptions{
		Team: *team, DryRun: *dry, ID: "cli-" + time.Now().UTC().Format("20060102T150405"),
	})
	if err != nil {
		return err
	}
	return hygiene.WriteText(stdout, res)
}
