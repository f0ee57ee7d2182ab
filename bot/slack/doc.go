// Package slack is platbot's Slack transport.
//
// It has four parts:
//
//   - Handler serves Slack's HTTP endpoints (PathCommands, PathInteractions,
//     PathEvents). Every request is size-limited and signature-checked
//     (Verifier) before anything else, turned into a bot.Request whose ID is
//     a stable delivery id, queued through the router as a durable job
//     (Router.Accept, one group-committed store write together with its
//     audit event) and answered at once, well inside Slack's 3 seconds. A
//     repeated delivery queues nothing. Form submissions are validated
//     synchronously and answered with response_action errors when invalid;
//     a page of a multi-page form is answered with the next one
//     (response_action update). An external select's block_suggestion is
//     answered in the ack with Command.Suggest's options; a Dispatch
//     field's change (block_actions inside the modal) or a Back button
//     rebuilds the modal with views.update (HandlerOptions.Views).
//   - RunSocketMode feeds the same processing from a Socket Mode websocket.
//   - Messenger implements bot.Messenger with the Web API (chat.*,
//     conversations.open, views.open, views.update, the external file
//     upload flow) and
//     response_url replies.
//   - RenderBlocks and RenderModal turn bot.Message and bot.Form into Block
//     Kit within Slack's limits.
//
// Wiring (HTTP):
//
//	msgr := slack.NewMessenger(botToken, apiURL)
//	router.SetMessenger(bot.TransportSlack, msgr)
//	h, err := slack.NewHandler(slack.HandlerOptions{Router: router, Views: msgr, SigningSecret: secret, Metrics: metrics})
//	h.Mount(mux) // POST /slack/commands, /slack/interactions, /slack/events
//
// Wiring (Socket Mode, when SLACK_APP_TOKEN is set):
//
//	go slack.RunSocketMode(ctx, appToken, botToken, apiURL, h)
//
// Sub-package slackfake is a recording fake of the Web API for tests.
package slack
