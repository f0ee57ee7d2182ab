package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
)

// Messenger implements bot.Messenger over Slack's Web API with Block Kit.
// Every Web API call goes to the API URL it was built with (SLACK_API_URL);
// replies to a response_url go to the URL Slack gave. It is safe for
// concurrent use.
type Messenger struct {
	api  *goslack.Client
	http *http.Client
	log  *slog.Logger

	mu    sync.Mutex
	dms   map[string]string // user id -> DM channel id
	users map[string]bot.User
}

var _ bot.Messenger = (*Messenger)(nil)

// MessengerOption configures a Messenger.
type MessengerOption func(*messengerConfig)

type messengerConfig struct {
	http    *http.Client
	log     *slog.Logger
	retries int
}

// WithHTTPClient sets the HTTP client for Web API and response_url calls
// (default: a client with a 15-second timeout that keeps connections open,
// see newTransport).
func WithHTTPClient(c *http.Client) MessengerOption {
	return func(m *messengerConfig) { m.http = c }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) MessengerOption {
	return func(m *messengerConfig) { m.log = l }
}

// WithRateLimitRetries sets how often a call answered 429 is retried in
// place after its Retry-After (default 2; 0 turns this off). A Retry-After
// longer than MaxRateLimitWait is not waited for: the error goes back to
// the job, which retries with its own backoff instead of holding a worker.
func WithRateLimitRetries(n int) MessengerOption {
	return func(m *messengerConfig) { m.retries = n }
}

// MaxRateLimitWait is the longest Retry-After the Messenger waits in place.
const MaxRateLimitWait = 10 * time.Second

// rateLimitRetry retries a 429 after its Retry-After when that is short.
type rateLimitRetry struct{}

// ShouldRetry implements goslack.RetryHandler.
func (rateLimitRetry) ShouldRetry(state *goslack.RetryState, req *http.Request, resp *http.Response, _ error) (bool, time.Duration) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || state.Attempt >= state.MaxRetries {
		return false, 0
	}
	if req.Body != nil && req.GetBody == nil { // a streamed upload cannot be sent again
		return false, 0
	}
	wait := time.Second
	if s := strings.TrimSpace(resp.Header.Get("Retry-After")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return false, 0
		}
		wait = max(time.Duration(n)*time.Second, 100*time.Millisecond)
	}
	if wait > MaxRateLimitWait {
		return false, 0
	}
	return true, wait
}

// APIURL normalises a Slack Web API base URL: Slack's own when empty, and
// always ending in "/" (slack-go appends method names to it).
func APIURL(u string) string {
	if strings.TrimSpace(u) == "" {
		return goslack.APIURL
	}
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// MaxIdleConnsPerHost is how many idle connections the default client keeps
// per host: enough for the job worker's concurrent replies to one host
// (slack.com, hooks.slack.com) to reuse their connections.
const MaxIdleConnsPerHost = 64

// newTransport is http.DefaultTransport's configuration keeping
// MaxIdleConnsPerHost idle connections per host. The default transport
// keeps 2, so under a burst every reply beyond the second opened a new TCP
// (and TLS) connection and closed it again.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	t.MaxIdleConns = 2 * MaxIdleConnsPerHost
	return t
}

// NewMessenger returns a messenger that calls the Web API at apiURL ("" for
// Slack's) with the bot token.
func NewMessenger(botToken, apiURL string, opts ...MessengerOption) *Messenger {
	cfg := messengerConfig{retries: 2}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.http == nil {
		cfg.http = &http.Client{Timeout: 15 * time.Second, Transport: newTransport()}
	}
	if cfg.log == nil {
		cfg.log = slog.Default()
	}
	sopts := []goslack.Option{
		goslack.OptionAPIURL(APIURL(apiURL)),
		goslack.OptionHTTPClient(cfg.http),
		goslack.OptionLog(slog.NewLogLogger(cfg.log.Handler(), slog.LevelDebug)),
	}
	if cfg.retries > 0 {
		sopts = append(sopts, goslack.OptionRetryConfig(goslack.RetryConfig{
			MaxRetries: cfg.retries,
			Handlers:   []goslack.RetryHandler{rateLimitRetry{}},
		}))
	}
	return &Messenger{
		api:   goslack.New(botToken, sopts...),
		http:  cfg.http,
		log:   cfg.log,
		dms:   map[string]string{},
		users: map[string]bot.User{},
	}
}

// Client returns the underlying slack-go client, for calls the Messenger
// does not wrap.
func (m *Messenger) Client() *goslack.Client { return m.api }

// msgOptions renders a message for chat.* methods: fallback text always,
// blocks when the message has any.
func msgOptions(msg bot.Message, clearBlocks bool) []goslack.MsgOption {
	opts := []goslack.MsgOption{goslack.MsgOptionText(FallbackText(msg), false)}
	if blocks := RenderBlocks(msg); len(blocks) > 0 || clearBlocks {
		opts = append(opts, goslack.MsgOptionBlocks(blocks...))
	}
	if md := msg.Metadata; md != nil {
		opts = append(opts, goslack.MsgOptionMetadata(goslack.SlackMetadata{
			EventType: md.EventType, EventPayload: map[string]any{"key": md.Key},
		}))
	}
	return opts
}

// Respond answers a request: through its response_url when it has one
// (ephemeral unless msg.InChannel), else in its channel and thread, as an
// ephemeral message to the requester (or a normal one when msg.InChannel),
// else by DM. An expired response_url falls back the same way.
func (m *Messenger) Respond(ctx context.Context, req *bot.Request, msg bot.Message) error {
	if req.ResponseURL != "" {
		err := m.respondURL(ctx, req.ResponseURL, msg)
		var sc goslack.StatusCodeError
		if err == nil || !errors.As(err, &sc) || sc.Code < 400 || sc.Code >= 500 || sc.Code == http.StatusTooManyRequests {
			return err
		}
		m.log.Warn("slack: response_url refused, answering in the channel instead", "status", sc.Code, "request", req.ID)
	}
	if msg.ThreadTS == "" {
		msg.ThreadTS = req.ThreadTS
	}
	switch {
	case req.Channel == "":
		_, err := m.DM(ctx, req.User.ID, msg)
		return err
	case msg.InChannel:
		_, err := m.Post(ctx, req.Channel, msg)
		return err
	default:
		return m.Ephemeral(ctx, req.Channel, req.User.ID, msg)
	}
}

func (m *Messenger) respondURL(ctx context.Context, url string, msg bot.Message) error {
	wm := &goslack.WebhookMessage{Text: FallbackText(msg), ResponseType: goslack.ResponseTypeEphemeral}
	if msg.InChannel {
		wm.ResponseType = goslack.ResponseTypeInChannel
	}
	if blocks := RenderBlocks(msg); len(blocks) > 0 {
		wm.Blocks = &goslack.Blocks{BlockSet: blocks}
	}
	if err := goslack.PostWebhookCustomHTTPContext(ctx, url, m.http, wm); err != nil {
		return classify("response_url", redacted{err: err, secret: url})
	}
	return nil
}

// redacted hides a response URL in an error's text: whoever holds one can
// post into the user's conversation for half an hour, so it must not reach
// logs or the audit log. errors.As still sees the wrapped error.
type redacted struct {
	err    error
	secret string
}

func (r redacted) Error() string {
	return strings.ReplaceAll(r.err.Error(), r.secret, "[response_url]")
}
func (r redacted) Unwrap() error { return r.err }

// Post sends a message to a channel (a thread reply when msg.ThreadTS is
// set, also shown in the channel when msg.Broadcast).
func (m *Messenger) Post(ctx context.Context, channel string, msg bot.Message) (bot.MessageRef, error) {
	opts := msgOptions(msg, false)
	if msg.ThreadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(msg.ThreadTS))
		if msg.Broadcast {
			opts = append(opts, goslack.MsgOptionBroadcast())
		}
	}
	ch, ts, err := m.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return bot.MessageRef{}, classify("chat.postMessage", err)
	}
	if ch == "" {
		ch = channel
	}
	return bot.MessageRef{Channel: ch, TS: ts, ThreadTS: msg.ThreadTS}, nil
}

// Update replaces a message in place; a message without blocks clears the
// old message's blocks.
func (m *Messenger) Update(ctx context.Context, ref bot.MessageRef, msg bot.Message) error {
	if _, _, _, err := m.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, msgOptions(msg, true)...); err != nil {
		return classify("chat.update", err)
	}
	return nil
}

// Ephemeral shows a message to one user in a channel (in a thread when
// msg.ThreadTS is set).
func (m *Messenger) Ephemeral(ctx context.Context, channel, userID string, msg bot.Message) error {
	opts := msgOptions(msg, false)
	if msg.ThreadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(msg.ThreadTS))
	}
	if _, err := m.api.PostEphemeralContext(ctx, channel, userID, opts...); err != nil {
		return classify("chat.postEphemeral", err)
	}
	return nil
}

// DM sends a direct message, opening the conversation first (once per user).
func (m *Messenger) DM(ctx context.Context, userID string, msg bot.Message) (bot.MessageRef, error) {
	ch, err := m.dmChannel(ctx, userID)
	if err != nil {
		return bot.MessageRef{}, err
	}
	return m.Post(ctx, ch, msg)
}

func (m *Messenger) dmChannel(ctx context.Context, userID string) (string, error) {
	m.mu.Lock()
	ch := m.dms[userID]
	m.mu.Unlock()
	if ch != "" {
		return ch, nil
	}
	c, _, _, err := m.api.OpenConversationContext(ctx, &goslack.OpenConversationParameters{Users: []string{userID}, ReturnIM: true})
	if err != nil {
		return "", classify("conversations.open", err)
	}
	if c == nil || c.ID == "" {
		return "", fmt.Errorf("slack conversations.open: no channel for user %s", userID)
	}
	m.mu.Lock()
	m.dms[userID] = c.ID
	m.mu.Unlock()
	return c.ID, nil
}

// ErrViewChanged is returned by UpdateView when the modal changed since the
// hash was taken (Slack's hash_conflict): a newer update won.
var ErrViewChanged = errors.New("views.update: the view changed since (hash_conflict)")

// UpdateView replaces an open modal with views.update. With a hash Slack
// refuses the update when the view changed in between; that answer is
// ErrViewChanged.
func (m *Messenger) UpdateView(ctx context.Context, viewID, hash string, view goslack.ModalViewRequest) error {
	if _, err := m.api.UpdateViewContext(ctx, view, "", hash, viewID); err != nil {
		var se goslack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "hash_conflict" {
			return ErrViewChanged
		}
		return classify("views.update", err)
	}
	return nil
}

// OpenForm opens a form as a modal with the request's trigger id. The
// modal's private_metadata carries the form id, the command's arguments and
// flags and where to answer, so the submission is a complete request.
func (m *Messenger) OpenForm(ctx context.Context, req *bot.Request, form *bot.Form) error {
	formID := form.ID
	if formID == "" {
		formID = req.Command
	}
	if req.TriggerID == "" {
		return bot.Errorf("Forms open from a slash command or a button: run `/plat %s` to fill one in.", formID)
	}
	meta, err := encodeFormMeta(req, formID)
	if err != nil {
		return err
	}
	if _, err := m.api.OpenViewContext(ctx, req.TriggerID, RenderModal(form, meta)); err != nil {
		var se goslack.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "expired_trigger_id" || se.Err == "invalid_trigger_id") {
			return bot.Errorf("The form for `/plat %s` took too long to open. Please run the command again.", formID)
		}
		return classify("views.open", err)
	}
	return nil
}

// Upload shares a file in a channel (and thread) with Slack's external
// upload flow: files.getUploadURLExternal, the upload, then
// files.completeUploadExternal.
func (m *Messenger) Upload(ctx context.Context, channel, threadTS string, f bot.File) error {
	if len(f.Content) == 0 {
		return fmt.Errorf("slack upload %q: empty file", f.Name)
	}
	name := f.Name
	if name == "" {
		name = "file"
	}
	title := f.Title
	if title == "" {
		title = name
	}
	_, err := m.api.UploadFileContext(ctx, goslack.UploadFileParameters{
		Reader:          bytes.NewReader(f.Content),
		FileSize:        len(f.Content),
		Filename:        name,
		Title:           title,
		InitialComment:  f.Comment,
		Channel:         channel,
		ThreadTimestamp: threadTS,
	})
	if err != nil {
		return classify("files upload", err)
	}
	return nil
}

// LookupUser resolves a Slack user id to a name and email (users.info),
// caching the answer.
func (m *Messenger) LookupUser(ctx context.Context, userID string) (bot.User, error) {
	m.mu.Lock()
	u, ok := m.users[userID]
	m.mu.Unlock()
	if ok {
		return u, nil
	}
	su, err := m.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return bot.User{ID: userID}, classify("users.info", err)
	}
	u = bot.User{ID: su.ID, Name: su.Name, Email: su.Profile.Email}
	if su.Profile.DisplayName != "" {
		u.Name = su.Profile.DisplayName
	} else if su.RealName != "" {
		u.Name = su.RealName
	}
	m.mu.Lock()
	m.users[userID] = u
	m.mu.Unlock()
	return u, nil
}

// transientErrors are Slack error codes worth retrying; any other ok:false
// answer (channel_not_found, invalid_blocks, not_in_channel ...) will not
// change on a retry and is returned as bot.Permanent.
var transientErrors = map[string]bool{
	"ratelimited": true, "rate_limited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true, "team_added_to_org": true,
}

// classify wraps a Web API error with the method name, marking errors a
// retry cannot fix as permanent so the job worker stops at once.
func classify(method string, err error) error {
	werr := fmt.Errorf("slack %s: %w", method, err)
	var se goslack.SlackErrorResponse
	var sc goslack.StatusCodeError
	var rl *goslack.RateLimitedError
	var ne net.Error
	switch {
	case errors.As(err, &rl), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return werr
	case errors.As(err, &se):
		if transientErrors[se.Err] {
			return werr
		}
		return bot.Permanent(werr)
	case errors.As(err, &sc):
		if sc.Retryable() {
			return werr
		}
		return bot.Permanent(werr)
	}
	return werr
}
