package slack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest/stdtest"
	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/store"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// inspector reads back what the ack path persisted.
type inspector interface {
	Jobs() []store.Job
	Events() []store.Event
}

// storeInspector reads jobs and audit events from the real store.
type storeInspector struct {
	t  *testing.T
	st *store.Store
}

func (s storeInspector) Jobs() []store.Job {
	jobs, err := s.st.Jobs(context.Background(), nil, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return jobs
}

func (s storeInspector) Events() []store.Event {
	evs, err := s.st.AuditEvents(context.Background(), store.AuditFilter{}, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return evs
}

// testEnv wires the whole Slack transport the way serve does: a router over
// a queue, the Messenger against the fake Slack API, and the Handler.
type testEnv struct {
	t       *testing.T
	fake    *slackfake.Server
	q       inspector
	router  *bot.Router
	msgr    *Messenger
	h       *Handler
	metrics *bot.Metrics
	reg     *prometheus.Registry
	logs    *stdtest.LogBuffer
	now     time.Time
}

// newEnv builds the transport over the real store on a temporary file.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	logs := &stdtest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "platbot.db"), store.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return newEnvWith(t, st, st, storeInspector{t, st}, logs, logger)
}

// newMemEnv builds the transport over an in-memory queue whose failures a
// test can inject.
func newMemEnv(t *testing.T) (*testEnv, *memQueue) {
	t.Helper()
	logs := &stdtest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	q := newMemQueue()
	return newEnvWith(t, q, q, q, logs, logger), q
}

func newEnvWith(t *testing.T, q bot.Queue, audit bot.Auditor, insp inspector, logs *stdtest.LogBuffer, logger *slog.Logger) *testEnv {
	t.Helper()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	reg := prometheus.NewRegistry()
	metrics := bot.NewMetrics(reg)
	router := bot.NewRouter(bot.RouterOptions{Queue: q, Audit: audit, Logger: logger, Metrics: metrics})
	msgr := NewMessenger("xoxb-test-token", fake.APIURL(), WithLogger(logger))
	router.SetMessenger(bot.TransportSlack, msgr)
	registerTestCommands(router)
	now := time.Now()
	h, err := NewHandler(HandlerOptions{
		Router: router, Views: msgr, SigningSecret: testSecret, Metrics: metrics, Logger: logger,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, fake: fake, q: insp, router: router, msgr: msgr, h: h, metrics: metrics, reg: reg, logs: logs, now: now}
}

// post sends a correctly signed request to the handler.
func (e *testEnv) post(path string, body []byte, mods ...func(*http.Request)) *httptest.ResponseRecorder {
	e.t.Helper()
	req := slackfake.SignedRequest(testSecret, path, body, e.now)
	for _, m := range mods {
		m(req)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// counter reads a counter from the registry: name and label pairs
// ("reason", "bad_signature"); 0 when the series does not exist.
func (e *testEnv) counter(name string, labels ...string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// runJobs runs every due job, as the worker would after the ack.
func (e *testEnv) runJobs() int {
	e.t.Helper()
	n, err := e.router.Worker().RunDue(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *testEnv) jobs(kind string) []bot.Request {
	e.t.Helper()
	var out []bot.Request
	for _, j := range e.q.Jobs() {
		if j.Kind != kind {
			continue
		}
		var req bot.Request
		switch kind {
		case bot.JobCommand:
			if err := json.Unmarshal(j.Payload, &req); err != nil {
				e.t.Fatal(err)
			}
		default:
			var p struct {
				Request bot.Request `json:"request"`
			}
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				e.t.Fatal(err)
			}
			req = p.Request
		}
		out = append(out, req)
	}
	return out
}

var sizeOptions = []bot.Option{{Value: "small", Label: "Small (2 vCPU)"}, {Value: "medium", Label: "Medium"}, {Value: "large", Label: "Large"}}

func newDBForm(_ context.Context, req *bot.Request) (*bot.Form, error) {
	return &bot.Form{
		Title: "New database for " + req.Arg(0),
		Intro: "A managed Postgres database.",
		Fields: []bot.Field{
			{ID: "name", Label: "Name", Kind: bot.FieldText, Required: true, MinLen: 3, MaxLen: 31, Pattern: `[a-z][a-z0-9-]*`, PatternHint: "lower-case letters, digits and dashes", Placeholder: "orders-db"},
			{ID: "notes", Label: "Notes", Kind: bot.FieldLongText, Help: "Anything the platform team should know."},
			{ID: "size", Label: "Size", Kind: bot.FieldSelect, Required: true, Default: "small", Options: sizeOptions},
			{ID: "engines", Label: "Extensions", Kind: bot.FieldMultiSelect, Default: "pgvector", Options: []bot.Option{{Value: "pgvector"}, {Value: "postgis"}}},
			{ID: "replicas", Label: "Replicas", Kind: bot.FieldNumber, Integer: true, Min: bot.Float(1), Max: bot.Float(5), Default: "1"},
			{ID: "backup", Label: "Backups", Kind: bot.FieldBool, Default: "true"},
			{ID: "owner", Label: "Owner", Kind: bot.FieldUser},
		},
	}, nil
}

func registerTestCommands(r *bot.Router) {
	r.Register(
		&bot.Command{Name: "ping", Summary: "Answers pong.", Handle: func(ctx context.Context, req *bot.Request) error {
			return req.Reply(ctx, bot.Message{Text: strings.TrimSpace("pong " + strings.Join(req.Args, " "))})
		}},
		&bot.Command{Name: "shout", Summary: "Answers in the channel.", Handle: func(ctx context.Context, req *bot.Request) error {
			return req.Reply(ctx, bot.Message{Text: "HELLO", InChannel: true})
		}},
		&bot.Command{
			Name: "new-db", Summary: "Create a database.", Usage: "<team>", Action: bot.ActionScaffold, Flags: []string{"region"},
			Form: newDBForm,
			Validate: func(_ context.Context, _ *bot.Request, v bot.Values) bot.FieldErrors {
				if v.Get("name") == "taken" {
					return bot.FieldErrors{"name": "a database named taken already exists"}
				}
				if v.Get("name") == "ghost" {
					return bot.FieldErrors{"region": "no region left for ghost"}
				}
				return nil
			},
			Submit: func(ctx context.Context, req *bot.Request, v bot.Values) error {
				_, err := req.Messenger().Post(ctx, req.Channel, bot.Message{
					Text:     "Database " + v.Get("name") + " requested",
					ThreadTS: req.ThreadTS,
					Blocks: []bot.Block{
						bot.Header{Text: "Database " + v.Get("name")},
						bot.Fields{Pairs: []bot.Pair{
							{Label: "Size", Value: v.Get("size")},
							{Label: "Extensions", Value: strings.Join(v.List("engines"), ",")},
							{Label: "Replicas", Value: v.Get("replicas")},
							{Label: "Backups", Value: v.Get("backup")},
							{Label: "Owner", Value: v.Get("owner")},
							{Label: "Team", Value: req.Arg(0)},
						}},
						bot.Actions{Buttons: []bot.Button{{ActionID: "approve:db", Text: "Approve", Value: v.Get("name"), Style: bot.StylePrimary}}},
					},
				})
				return err
			},
		},
	)
	r.HandleAction("approve", func(ctx context.Context, req *bot.Request, a bot.Action) error {
		return req.Reply(ctx, bot.Message{Text: "approved " + a.Value + " by " + req.User.ID + " on " + a.Message.TS})
	})
}

// viewSubmission builds a view_submission payload the way Slack sends it.
func viewSubmission(viewID, userID, meta string, values map[string]map[string]map[string]any) map[string]any {
	return map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": "T0FAKE", "domain": "fake"},
		"user":       map[string]any{"id": userID, "username": "alice", "name": "alice", "team_id": "T0FAKE"},
		"api_app_id": "A0FAKE",
		"trigger_id": "trig-sub-" + viewID,
		"view": map[string]any{
			"id": viewID, "team_id": "T0FAKE", "type": "modal", "callback_id": "platbot:form",
			"private_metadata": meta, "hash": "156772938.1827394",
			"blocks": formBlocks(),
			"state":  map[string]any{"values": values},
		},
		"response_urls": []any{},
	}
}

// formBlocks are the input blocks of the new-db modal, in order, as a
// view_submission payload lists them.
func formBlocks() []any {
	var out []any
	for _, id := range []string{"name", "notes", "size", "engines", "replicas", "backup", "owner"} {
		out = append(out, map[string]any{"type": "input", "block_id": id})
	}
	return out
}

// goodValues is a valid state for the new-db form.
func goodValues(name string) map[string]map[string]map[string]any {
	return map[string]map[string]map[string]any{
		"name":     {"text": {"type": "plain_text_input", "value": name}},
		"notes":    {"text": {"type": "plain_text_input", "value": nil}},
		"size":     {"select": {"type": "static_select", "selected_option": map[string]any{"value": "medium", "text": map[string]any{"type": "plain_text", "text": "Medium"}}}},
		"engines":  {"multi": {"type": "multi_static_select", "selected_options": []any{map[string]any{"value": "pgvector"}, map[string]any{"value": "postgis"}}}},
		"replicas": {"number": {"type": "number_input", "value": "3"}},
		"backup":   {"bool": {"type": "checkboxes", "selected_options": []any{}}},
		"owner":    {"user": {"type": "users_select", "selected_user": "U0BOB"}},
	}
}

// blockActions builds a block_actions payload for a button click on a message.
func blockActions(userID, actionID, value, actionTS, msgTS string) map[string]any {
	return map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": userID, "username": "carol", "team_id": "T0FAKE"},
		"team":         map[string]any{"id": "T0FAKE"},
		"api_app_id":   "A0FAKE",
		"trigger_id":   "trig-click-" + actionTS,
		"response_url": "RESPONSE_URL",
		"container":    map[string]any{"type": "message", "message_ts": msgTS, "channel_id": "C0APPROVALS", "is_ephemeral": false, "thread_ts": "1700000000.000001"},
		"channel":      map[string]any{"id": "C0APPROVALS", "name": "approvals"},
		"message":      map[string]any{"type": "message", "ts": msgTS, "thread_ts": "1700000000.000001", "text": "request"},
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": "b1", "type": "button", "value": value, "action_ts": actionTS,
			"text": map[string]any{"type": "plain_text", "text": "Approve"},
		}},
		"state": map[string]any{"values": map[string]any{}},
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
