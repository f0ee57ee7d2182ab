package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/httpguard"
)

// The HTTP paths Slack is configured to call.
const (
	PathCommands     = "/slack/commands"
	PathInteractions = "/slack/interactions"
	PathEvents       = "/slack/events"
)

// Default body limits and ack deadline.
const (
	DefaultMaxCommandBody     = 64 << 10
	DefaultMaxInteractionBody = 1 << 20
	DefaultMaxEventBody       = 1 << 20
	// DefaultAckTimeout bounds the work done before answering, well inside
	// Slack's 3-second limit.
	DefaultAckTimeout = 2500 * time.Millisecond
	// Default bounds on requests in flight per endpoint: a request beyond
	// its endpoint's bound is answered 503 before its body is read. With
	// the body limits they cap what request bodies can hold in memory at
	// 512×64 KiB + 2×64×1 MiB.
	DefaultMaxCommandsInFlight     = 512
	DefaultMaxInteractionsInFlight = 64
	DefaultMaxEventsInFlight       = 64
)

// Endpoint names (the endpoint label of the request metrics).
const (
	EndpointCommands     = "commands"
	EndpointInteractions = "interactions"
	EndpointEvents       = "events"
)

// Acceptor is what the handler needs from the router on the ack path;
// *bot.Router satisfies it.
type Acceptor interface {
	// Accept persists a request as a job (and its audit event) and reports
	// false for a repeated delivery.
	Accept(ctx context.Context, kind string, payload any, req *bot.Request) (bool, error)
	// ValidateForm checks a form submission synchronously.
	ValidateForm(ctx context.Context, req *bot.Request, formID string, v bot.Values) (bot.FieldErrors, error)
	// ValidatePage checks one page of a multi-page form (and the pages
	// before it).
	ValidatePage(ctx context.Context, req *bot.Request, formID string, page int, v bot.Values) (bot.FieldErrors, error)
	// BuildForm rebuilds a form for the values entered so far (nil when
	// the command has no Form to rebuild it with).
	BuildForm(ctx context.Context, req *bot.Request, formID string, v bot.Values) (*bot.Form, error)
	// SuggestOptions answers a block_suggestion of an external select.
	SuggestOptions(ctx context.Context, req *bot.Request, formID, fieldID, query string) ([]bot.Option, error)
	// Sealer seals the secret values a modal carries between its pages.
	Sealer() bot.Sealer
}

// ViewUpdater replaces an open modal (views.update); *Messenger
// satisfies it.
type ViewUpdater interface {
	UpdateView(ctx context.Context, viewID, hash string, view goslack.ModalViewRequest) error
}

var _ ViewUpdater = (*Messenger)(nil)

var _ Acceptor = (*bot.Router)(nil)

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// Router queues requests; required.
	Router Acceptor
	// Views updates open modals when a Dispatch field changes or Back is
	// pressed on a multi-page form (the Messenger). Without it those
	// clicks are logged and otherwise ignored.
	Views ViewUpdater
	// SigningSecret is the Slack app's signing secret; required for HTTP.
	// Socket Mode connections are authenticated by the app token instead.
	SigningSecret string
	// Metrics, when set, counts requests, rejections and ack latency.
	Metrics *bot.Metrics
	Logger  *slog.Logger
	// Now is the clock for signature freshness and request times (tests);
	// time.Now when nil.
	Now func() time.Time
	// Body limits in bytes (defaults: 64 KiB commands, 1 MiB interactions
	// and events). A larger body is answered 413.
	MaxCommandBody, MaxInteractionBody, MaxEventBody int64
	// AckTimeout bounds the work done before answering: form validation
	// and the store write together (default DefaultAckTimeout).
	AckTimeout time.Duration
	// MaxInFlight, when positive, bounds the requests each endpoint serves
	// at once (defaults: DefaultMaxCommandsInFlight,
	// DefaultMaxInteractionsInFlight, DefaultMaxEventsInFlight). One more
	// is answered 503 with Retry-After at once.
	MaxInFlight int
	// TeamID, when set, is the only Slack workspace served: a request
	// from another team_id is refused before anything is queued or
	// audited (a slash command gets an ephemeral explanation, an
	// interaction 403, an event is dropped) and only counted.
	TeamID string
	// UnfurlDomains are the host names whose links are unfurled
	// (link_shared): a link on one of them or a subdomain is queued as a
	// bot.JobUnfurl, any other is left alone. None: nothing is unfurled.
	// Lower-case host names (NormalizeUnfurlDomains).
	UnfurlDomains []string
}

// Handler is Slack's way in: the HTTP endpoints for slash commands,
// interactivity and the Events API, and (through RunSocketMode) the same
// processing over Socket Mode. Every request is verified, turned into a
// bot.Request with a stable delivery id, queued as a durable job through
// the router, and answered at once; the work runs later on the worker.
type Handler struct {
	router     Acceptor
	views      ViewUpdater
	verifier   *Verifier
	metrics    *bot.Metrics
	log        *slog.Logger
	now        func() time.Time
	maxCommand int64
	maxInter   int64
	maxEvent   int64
	ackTimeout time.Duration
	teamID     string
	// unfurlDomains are HandlerOptions.UnfurlDomains.
	unfurlDomains []string
	// inflight bounds each endpoint's requests at once, by path.
	inflight map[string]*httpguard.Limit
}

// NewHandler returns a handler. It fails without a router; without a
// signing secret every HTTP request is refused (Socket Mode still works).
func NewHandler(opts HandlerOptions) (*Handler, error) {
	if opts.Router == nil {
		return nil, errors.New("slack handler: no router")
	}
	h := &Handler{
		router:     opts.Router,
		views:      opts.Views,
		metrics:    opts.Metrics,
		log:        opts.Logger,
		now:        opts.Now,
		maxCommand: opts.MaxCommandBody,
		maxInter:   opts.MaxInteractionBody,
		maxEvent:   opts.MaxEventBody,
		ackTimeout: opts.AckTimeout,
		teamID:     opts.TeamID,

		unfurlDomains: opts.UnfurlDomains,
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxCommand <= 0 {
		h.maxCommand = DefaultMaxCommandBody
	}
	if h.maxInter <= 0 {
		h.maxInter = DefaultMaxInteractionBody
	}
	if h.maxEvent <= 0 {
		h.maxEvent = DefaultMaxEventBody
	}
	if h.ackTimeout <= 0 {
		h.ackTimeout = DefaultAckTimeout
	}
	h.verifier = NewVerifier(opts.SigningSecret, h.now)
	bound := func(def int) *httpguard.Limit {
		if opts.MaxInFlight > 0 {
			return httpguard.NewLimit(opts.MaxInFlight)
		}
		return httpguard.NewLimit(def)
	}
	h.inflight = map[string]*httpguard.Limit{
		PathCommands:     bound(DefaultMaxCommandsInFlight),
		PathInteractions: bound(DefaultMaxInteractionsInFlight),
		PathEvents:       bound(DefaultMaxEventsInFlight),
	}
	return h, nil
}

// Mount registers the three Slack endpoints on mux at their exact paths.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle(PathCommands, h)
	mux.Handle(PathInteractions, h)
	mux.Handle(PathEvents, h)
}

// ServeHTTP serves PathCommands, PathInteractions and PathEvents (404 for
// anything else).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case PathCommands:
		h.serve(w, r, EndpointCommands, h.maxCommand, func(ctx context.Context, _ *http.Request, body []byte) ack {
			c, err := parseCommandForm(body)
			if err != nil {
				return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
			}
			return h.command(ctx, c)
		})
	case PathInteractions:
		h.serve(w, r, EndpointInteractions, h.maxInter, func(ctx context.Context, _ *http.Request, body []byte) ack {
			ic, err := parseInteractionForm(body)
			if err != nil {
				return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
			}
			return h.interaction(ctx, ic)
		})
	case PathEvents:
		h.serve(w, r, EndpointEvents, h.maxEvent, func(ctx context.Context, r *http.Request, body []byte) ack {
			ev, err := parseEvent(body)
			if err != nil {
				return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
			}
			return h.event(ctx, ev, r.Header.Get(HeaderRetryNum))
		})
	default:
		http.NotFound(w, r)
	}
}

// serve runs the checks every endpoint shares, in order: a free slot
// among the endpoint's requests in flight, method, declared size,
// signature headers (present, well formed, fresh) — all before a byte of
// the body is read — then the body, at most limit bytes, through the
// signature's HMAC as it arrives. A request failing any of them is
// answered at once with no side effect but a metric and a log line (never
// the body).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, endpoint string, limit int64, process func(context.Context, *http.Request, []byte) ack) {
	start := time.Now()
	defer func() {
		if h.metrics != nil {
			h.metrics.AckTime.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		}
	}()
	slots := h.inflight[r.URL.Path]
	if !slots.TryAcquire() {
		h.rejected(ReasonBusy)
		h.count(endpoint, "rejected")
		h.log.Warn("slack: request refused, too many in flight", "endpoint", endpoint, "limit", slots.Cap(), "remote", r.RemoteAddr)
		httpguard.Busy(w)
		return
	}
	defer slots.Release()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, endpoint, http.StatusMethodNotAllowed, ReasonMethod)
		return
	}
	if httpguard.Declared(r, limit) {
		w.Header().Set("Connection", "close")
		h.reject(w, r, endpoint, http.StatusRequestEntityTooLarge, ReasonTooLarge)
		return
	}
	sig, err := h.verifier.Begin(r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature))
	if err != nil {
		w.Header().Set("Connection", "close")
		h.reject(w, r, endpoint, http.StatusUnauthorized, rejectReason(err))
		return
	}
	body, err := httpguard.ReadBody(w, r, limit, sig)
	if err != nil {
		if errors.Is(err, httpguard.ErrTooLarge) {
			h.reject(w, r, endpoint, http.StatusRequestEntityTooLarge, ReasonTooLarge)
			return
		}
		h.reject(w, r, endpoint, http.StatusBadRequest, ReasonMalformed)
		return
	}
	if err := sig.Check(); err != nil {
		h.reject(w, r, endpoint, http.StatusUnauthorized, rejectReason(err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.ackTimeout)
	defer cancel()
	a := process(ctx, r, body)
	if a.outcome == OutcomeMalformed {
		h.rejected(ReasonMalformed)
		h.log.Warn("slack: malformed request", "endpoint", endpoint, "remote", r.RemoteAddr)
	}
	h.count(endpoint, a.outcome)
	writeAck(w, a)
}

// otherTeamText is what a slash command from another workspace is told.
const otherTeamText = "This platbot is installed for another Slack workspace, so it cannot take requests from this one. Nothing was run."

// command, interaction and event are the way into processing for both
// transports: a request from a workspace other than the configured one
// stops here, before anything is queued or audited, counted under
// platbot_slack_rejected_total{reason="other_team"}.
func (h *Handler) command(ctx context.Context, c slashCommand) ack {
	if h.otherTeam(c.TeamID) {
		return ack{outcome: "rejected", body: map[string]string{"response_type": "ephemeral", "text": otherTeamText}}
	}
	return h.processCommand(ctx, c)
}

func (h *Handler) interaction(ctx context.Context, ic *interaction) ack {
	team := ic.Team.ID
	if team == "" {
		team = ic.User.TeamID
	}
	if h.otherTeam(team) {
		return ack{status: http.StatusForbidden, outcome: "rejected"}
	}
	return h.processInteraction(ctx, ic)
}

func (h *Handler) event(ctx context.Context, ev *eventEnvelope, retry string) ack {
	// url_verification carries no team: it proves the endpoint to Slack.
	if ev.Type != "url_verification" && h.otherTeam(ev.TeamID) {
		// 200 with nothing done: Slack would retry any other answer.
		return ack{outcome: "rejected"}
	}
	return h.processEvent(ctx, ev, retry)
}

// otherTeam reports (and counts) a request from a workspace other than the
// configured one; a request naming no workspace counts as another one.
func (h *Handler) otherTeam(team string) bool {
	if h.teamID == "" || team == h.teamID {
		return false
	}
	h.rejected(ReasonOtherTeam)
	h.log.Warn("slack: request from another workspace refused", "team", team, "configured_team", h.teamID)
	return true
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request, endpoint string, status int, reason string) {
	h.rejected(reason)
	h.count(endpoint, "rejected")
	h.log.Warn("slack: request rejected", "endpoint", endpoint, "status", status, "reason", reason, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

func (h *Handler) rejected(reason string) {
	if h.metrics != nil {
		h.metrics.Rejected.WithLabelValues(reason).Inc()
	}
}

func (h *Handler) count(endpoint, outcome string) {
	if h.metrics != nil {
		h.metrics.Requests.WithLabelValues(endpoint, outcome).Inc()
	}
}

func writeAck(w http.ResponseWriter, a ack) {
	if a.body == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(a.httpStatus())
		return
	}
	b, err := json.Marshal(a.body)
	if err != nil {
		http.Error(w, fmt.Sprintf("encode response: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.httpStatus())
	_, _ = w.Write(b)
}
