package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack"
	"github.com/platbot/platbot/commands/gitopsstatus"
	"github.com/platbot/platbot/commands/home"
)

// buildHome builds the App Home (the home section) and gives the service
// summaries it and link previews show their facts: the grade and the live
// status everywhere, the cost trend on a person's own Home only (a link
// preview is seen by the whole conversation). Argo CD also resolves links
// to its Applications' pages to their services.
func (f *features) buildHome(app *App) error {
	cfg := app.Cfg
	hc := home.DefaultConfig()
	if err := cfg.Feature("home", &hc); err != nil {
		return err
	}
	h, err := home.New(hc, home.Deps{Store: app.Store, Catalog: f.catalog, Logger: app.Log})
	if err != nil {
		return &ConfigError{File: cfg.path, Key: "home", Line: cfg.Home.Line, Msg: err.Error()}
	}
	f.home = h
	if f.score != nil {
		f.catalog.AddSummaryFact(f.score, true)
	}
	if f.argocd != nil {
		f.catalog.AddSummaryFact(f.argocd, true)
		f.catalog.AddLinkResolver(f.argocd)
	}
	if f.cost != nil {
		f.catalog.AddSummaryFact(f.cost, false)
	}
	return nil
}

// unfurlDomains are the hosts whose links platbot previews:
// slack.unfurlDomains, or by default the GitHub host (services'
// repositories, and the pull requests golden paths open, the GitOps
// repository's included) and the UI host of each Argo CD control plane.
func unfurlDomains(cfg *Config, githubHost string) ([]string, error) {
	if len(cfg.Slack.UnfurlDomains) > 0 {
		ds, err := slack.NormalizeUnfurlDomains(cfg.Slack.UnfurlDomains)
		if err != nil {
			return nil, &ConfigError{File: cfg.path, Key: "slack.unfurlDomains", Msg: err.Error()}
		}
		return ds, nil
	}
	var out []string
	if githubHost != "" {
		out = append(out, strings.ToLower(githubHost))
	}
	var ac gitopsstatus.Config
	if err := cfg.Feature("argocd", &ac); err != nil {
		return nil, err
	}
	for _, p := range ac.ControlPlanes {
		if u, err := url.Parse(p.UIURL); err == nil && u.Hostname() != "" {
			out = append(out, strings.ToLower(u.Hostname()))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// PublishHome passes a Home to the demo-labelled messenger's own, when it
// has one.
func (d demoMessenger) PublishHome(ctx context.Context, userID string, blocks []bot.Block) error {
	hp, ok := d.Messenger.(bot.HomePublisher)
	if !ok {
		return fmt.Errorf("home: this transport has no Home tab")
	}
	return hp.PublishHome(ctx, userID, append(blocks, bot.Context{Text: d.note}))
}

// Unfurl passes link previews to the demo-labelled messenger's own, when
// it has one.
func (d demoMessenger) Unfurl(ctx context.Context, channel, messageTS string, previews map[string]bot.Message) error {
	lu, ok := d.Messenger.(bot.LinkUnfurler)
	if !ok {
		return fmt.Errorf("unfurl: this transport cannot unfurl links")
	}
	return lu.Unfurl(ctx, channel, messageTS, previews)
}
