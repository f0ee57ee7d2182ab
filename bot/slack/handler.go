package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/platbot/platbot/bot"
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
}

var _ Acceptor = (*bot.Router)(nil)

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// Router queues requests; required.
	Router Acceptor
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
}

// Handler is Slack's way in: the HTTP endpoints for slash commands,
// interactivity and the Events API, and (through RunSocketMode) the same
// processing over Socket Mode. Every request is verified, turned into a
// bot.Request with a stable delivery id, queued as a durable job through
// the router, and answered at once; the work runs later on the worker.
type Handler struct {
	router     Acceptor
	verifier   *Verifier
	metrics    *bot.Metrics
	log        *slog.Logger
	now        func() time.Time
	maxCommand int64
	maxInter   int64
	maxEvent   int64
	ackTimeout time.Duration
}

// NewHandler returns a handler. It fails without a router; without a
// signing secret every HTTP request is refused (Socket Mode still works).
func NewHandler(opts HandlerOptions) (*Handler, error) {
	if opts.Router == nil {
		return nil, errors.New("slack handler: no router")
	}
	h := &Handler{
		router:     opts.Router,
		metrics:    opts.Metrics,
		log:        opts.Logger,
		now:        opts.Now,
		maxCommand: opts.MaxCommandBody,
		maxInter:   opts.MaxInteractionBody,
		maxEvent:   opts.MaxEventBody,
		ackTimeout: opts.AckTimeout,
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
			return h.processCommand(ctx, c)
		})
	case PathInteractions:
		h.serve(w, r, EndpointInteractions, h.maxInter, func(ctx context.Context, _ *http.Request, body []byte) ack {
			ic, err := parseInteractionForm(body)
			if err != nil {
				return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
			}
			return h.processInteraction(ctx, ic)
		})
	case PathEvents:
		h.serve(w, r, EndpointEvents, h.maxEvent, func(ctx context.Context, r *http.Request, body []byte) ack {
			ev, err := parseEvent(body)
			if err != nil {
				return ack{status: http.StatusBadRequest, outcome: OutcomeMalformed}
			}
			return h.processEvent(ctx, ev, r.Header.Get(HeaderRetryNum))
		})
	default:
		http.NotFound(w, r)
	}
}

// serve runs the checks every endpoint shares, in order: method, size,
// signature. A request failing any of them is answered at once with no
// side effect but a metric and a log line (never the body).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, endpoint string, limit int64, process func(context.Context, *http.Request, []byte) ack) {
	start := time.Now()
	defer func() {
		if h.metrics != nil {
			h.metrics.AckTime.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		}
	}()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, endpoint, http.StatusMethodNotAllowed, ReasonMethod)
		return
	}
	if r.ContentLength > limit {
		h.reject(w, r, endpoint, http.StatusRequestEntityTooLarge, ReasonTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, endpoint, http.StatusRequestEntityTooLarge, ReasonTooLarge)
			return
		}
		h.reject(w, r, endpoint, http.StatusBadRequest, ReasonMalformed)
		return
	}
	if err := h.verifier.Verify(r.Header, body); err != nil {
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
