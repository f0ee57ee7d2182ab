package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/slack"
	"github.com/platbot/platbot/commands/secrets"
)

// slackMessenger is the Slack Web API messenger (SLACK_API_URL redirects it).
func (a *App) slackMessenger() (*slack.Messenger, error) {
	if a.Cfg.Slack.BotToken == "" {
		return nil, fmt.Errorf("slack: no bot token (SLACK_BOT_TOKEN)")
	}
	return slack.NewMessenger(a.Cfg.Slack.BotToken, a.Cfg.Slack.APIURL, slack.WithLogger(a.Log)), nil
}

// mountShared mounts what every mode serves: the GitHub webhook and the
// one-time secret sealing pages.
func (a *App) mountShared(mux *http.ServeMux) {
	if a.feats.score != nil {
		mux.Handle("POST /github/webhook", a.feats.score.WebhookHandler())
	}
	if a.feats.secrets != nil {
		mux.Handle(secrets.Prefix, a.feats.secrets.Handler())
	}
}

// mountTransports mounts the Slack HTTP endpoints and the GitHub webhook on
// mux, binds the Slack messenger, and returns the Socket Mode loop when
// SLACK_APP_TOKEN is set (nil otherwise).
func (a *App) mountTransports(ctx context.Context, mux *http.ServeMux) (func(context.Context) error, error) {
	a.mountShared(mux)
	if ok, _ := a.Cfg.SlackConfigured(); !ok {
		return nil, fmt.Errorf("serve needs Slack credentials: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode); without them run platbot shell")
	}
	m, err := a.slackMessenger()
	if err != nil {
		return nil, err
	}
	note, err := demoNote(a.Cfg)
	if err != nil {
		return nil, err
	}
	a.Router.SetMessenger(bot.TransportSlack, labelled(m, note))
	domains, err := unfurlDomains(a.Cfg, a.feats.catalog.Config().GitHubHost)
	if err != nil {
		return nil, err
	}
	h, err := slack.NewHandler(slack.HandlerOptions{
		Router: a.Router, Views: m, SigningSecret: a.Cfg.Slack.SigningSecret, Metrics: a.Metrics, Logger: a.Log,
		TeamID: a.Cfg.Slack.TeamID, UnfurlDomains: domains,
	})
	if err != nil {
		return nil, err
	}
	h.Mount(mux)
	if a.Cfg.Slack.AppToken == "" {
		return nil, nil
	}
	cfg := a.Cfg.Slack
	return func(ctx context.Context) error {
		return slack.RunSocketMode(ctx, cfg.AppToken, cfg.BotToken, cfg.APIURL, h)
	}, nil
}
