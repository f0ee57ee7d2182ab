package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Socket Mode endpoint names (the endpoint label of the request metrics).
const (
	EndpointSocketCommands     = "socket_commands"
	EndpointSocketInteractions = "socket_interactions"
	EndpointSocketEvents       = "socket_events"
)

// SocketOption configures RunSocketMode.
type SocketOption func(*socketConfig)

type socketConfig struct {
	http         *http.Client
	pingInterval time.Duration
	concurrency  int
	minBackoff   time.Duration
	onConnect    func(count int)
}

// WithSocketHTTPClient sets the HTTP client for apps.connections.open.
func WithSocketHTTPClient(c *http.Client) SocketOption {
	return func(s *socketConfig) { s.http = c }
}

// WithPingInterval sets how long the connection may go without a ping from
// Slack before it is considered dead and reopened (default 30s).
func WithPingInterval(d time.Duration) SocketOption {
	return func(s *socketConfig) { s.pingInterval = d }
}

// WithConcurrency caps how many envelopes are processed at once (default 64).
func WithConcurrency(n int) SocketOption {
	return func(s *socketConfig) { s.concurrency = n }
}

// WithOnConnect is called after each successful connection with its count
// (0 for the first), for logs and tests.
func WithOnConnect(f func(count int)) SocketOption {
	return func(s *socketConfig) { s.onConnect = f }
}

// RunSocketMode connects to Slack over Socket Mode (apps.connections.open
// with the app-level token at apiURL, then a websocket) and processes slash
// commands, interactions and events exactly as the HTTP endpoints do,
// acknowledging each envelope with the payload the HTTP endpoint would
// answer (e.g. response_action errors for an invalid form). A dropped
// connection is reopened; RunSocketMode returns nil when ctx ends, or an
// error when Slack refuses the token.
func RunSocketMode(ctx context.Context, appToken, botToken, apiURL string, h *Handler, opts ...SocketOption) error {
	if appToken == "" {
		return errors.New("socket mode: no app-level token (SLACK_APP_TOKEN)")
	}
	if h == nil {
		return errors.New("socket mode: no handler")
	}
	cfg := socketConfig{concurrency: 64, minBackoff: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.http == nil {
		cfg.http = &http.Client{Timeout: 15 * time.Second}
	}
	logger := slog.NewLogLogger(h.log.Handler(), slog.LevelDebug)
	api := goslack.New(botToken,
		goslack.OptionAppLevelToken(appToken),
		goslack.OptionAPIURL(APIURL(apiURL)),
		goslack.OptionHTTPClient(cfg.http),
		goslack.OptionLog(logger),
	)
	smOpts := []socketmode.Option{socketmode.OptionLog(logger)}
	if cfg.pingInterval > 0 {
		smOpts = append(smOpts, socketmode.OptionPingInterval(cfg.pingInterval))
	}
	smc := socketmode.New(api, smOpts...)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- runSocket(ctx, smc, h.log, cfg.minBackoff) }()

	sem := make(chan struct{}, max(cfg.concurrency, 1))
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			<-runErr // the client closes its connection on ctx's end
			return nil
		case err := <-runErr:
			return err
		case evt := <-smc.Events:
			switch evt.Type {
			case socketmode.EventTypeConnected:
				if ce, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
					h.log.Info("slack: socket mode connected", "connection", ce.ConnectionCount)
					if cfg.onConnect != nil {
						cfg.onConnect(ce.ConnectionCount)
					}
				}
			case socketmode.EventTypeConnectionError:
				h.log.Warn("slack: socket mode connection failed, retrying", "err", eventErr(evt.Data))
			case socketmode.EventTypeInvalidAuth:
				h.log.Error("slack: socket mode token refused")
			case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
				if evt.Request == nil {
					continue
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					<-runErr
					return nil
				}
				wg.Add(1)
				go func(evt socketmode.Event) {
					defer wg.Done()
					defer func() { <-sem }()
					h.processEnvelope(ctx, smc, evt)
				}(evt)
			}
		}
	}
}

// runSocket keeps the Socket Mode client running: slack-go reconnects after
// a dropped websocket by itself; when it gives up for any reason but a
// refused token this waits (backing off up to a minute) and starts again.
func runSocket(ctx context.Context, smc *socketmode.Client, log *slog.Logger, backoff time.Duration) error {
	wait := backoff
	for {
		err := smc.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fatalSocketError(err) {
			return fmt.Errorf("socket mode: %w", err)
		}
		log.Warn("slack: socket mode stopped, restarting", "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, time.Minute)
	}
}

func fatalSocketError(err error) bool {
	if err == nil {
		return false
	}
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "account_inactive", "not_authed", "token_revoked", "not_allowed_token_type":
			return true
		}
	}
	var sc goslack.StatusCodeError
	if errors.As(err, &sc) && (sc.Code == http.StatusNotFound || sc.Code == http.StatusUnauthorized) {
		return true
	}
	switch err.Error() {
	case "invalid_auth", "account_inactive", "not_authed", "token_revoked":
		return true
	}
	return false
}

func eventErr(data any) error {
	if ce, ok := data.(*goslack.ConnectionErrorEvent); ok {
		return ce.ErrorObj
	}
	return nil
}

// processEnvelope runs one Socket Mode envelope through the same code as
// the HTTP endpoints and acknowledges it with the same payload. When the
// job could not be queued the envelope is left unacknowledged, so Slack
// retries it (events) or tells the user (commands, interactions).
func (h *Handler) processEnvelope(ctx context.Context, smc *socketmode.Client, evt socketmode.Event) {
	start := time.Now()
	raw := evt.Request.Payload
	pctx, cancel := context.WithTimeout(ctx, h.ackTimeout)
	defer cancel()
	var (
		endpoint string
		a        ack
	)
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		endpoint = EndpointSocketCommands
		if c, err := parseCommandJSON(raw); err != nil {
			a = ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
		} else {
			a = h.command(pctx, c)
		}
	case socketmode.EventTypeInteractive:
		endpoint = EndpointSocketInteractions
		if ic, err := parseInteraction(raw); err != nil {
			a = ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
		} else {
			a = h.interaction(pctx, ic)
		}
	case socketmode.EventTypeEventsAPI:
		endpoint = EndpointSocketEvents
		retry := ""
		if evt.Request.RetryAttempt > 0 {
			retry = strconv.Itoa(evt.Request.RetryAttempt)
		}
		if ev, err := parseEvent(raw); err != nil {
			a = ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
		} else {
			a = h.event(pctx, ev, retry)
		}
	default:
		return
	}
	if a.outcome == OutcomeMalformed {
		h.rejected(ReasonMalformed)
		h.log.Warn("slack: malformed socket mode envelope", "endpoint", endpoint, "envelope", evt.Request.EnvelopeID)
	}
	h.count(endpoint, a.outcome)
	if a.httpStatus() < http.StatusInternalServerError {
		if err := smc.AckCtx(ctx, evt.Request.EnvelopeID, a.body); err != nil {
			h.log.Error("slack: socket mode ack failed", "envelope", evt.Request.EnvelopeID, "err", err)
		}
	}
	if h.metrics != nil {
		h.metrics.AckTime.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	}
}
