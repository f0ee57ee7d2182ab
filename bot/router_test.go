package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.WithAuditKey([]byte("test-audit-key-0123456789")))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// denyMutate allows everything but "mutate", like a reader's policy.
type denyMutate struct{}

func (denyMutate) Decide(_ context.Context, u bot.User, action string, res bot.Resource) bot.Decision {
	if action == bot.ActionMutate {
		return bot.Decision{Allow: false, Rule: "only-admins-mutate", Reason: "Only platform admins change the catalog.", AskWhom: "the admins of group:default/platform"}
	}
	return bot.Decision{Allow: true, Rule: "everyone-reads"}
}

func newRouter(t *testing.T, st *store.Store, p bot.Policy) (*bot.Router, *bottest.Messenger) {
	t.Helper()
	r := bot.NewRouter(bot.RouterOptions{Policy: p, Audit: st, Queue: st, Version: "test"})
	m := bottest.NewMessenger()
	r.SetMessenger(bot.TransportShell, m)
	return r, m
}

func request(m *bottest.Messenger, text string) *bot.Request {
	req := &bot.Request{ID: "req-" + text, Transport: bot.TransportShell, User: bot.User{ID: "U1", Name: "alice"}, Channel: "C1", Text: text}
	req.Bind(m)
	return req
}

func TestRouterHelpSuggestAndArgs(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, bot.AllowAll{})
	var got *bot.Request
	r.Register(&bot.Command{Name: "catalog search", Usage: "<query>", Summary: "search the catalog", Handle: func(ctx context.Context, req *bot.Request) error {
		got = req
		return req.Replyf(ctx, "found %d words", len(req.Args))
	}}, &bot.Command{Name: "scorecard waive", Summary: "waive a check", BoolFlags: []string{"dry-run"}, Flags: []string{"days", "reason"}, Handle: func(ctx context.Context, req *bot.Request) error {
		got = req
		return nil
	}})
	ctx := context.Background()

	if err := r.Run(ctx, request(m, "")); err != nil {
		t.Fatal(err)
	}
	help := m.Last().Text()
	if !strings.Contains(help, "/plat catalog search <query>") || !strings.Contains(help, "Search the catalog") {
		t.Fatalf("help lacks the command: %q", help)
	}

	if err := r.Run(ctx, request(m, "catalog serch payments")); err != nil {
		t.Fatal(err)
	}
	if txt := m.Last().Text(); !strings.Contains(txt, "Did you mean `/plat catalog search`") {
		t.Fatalf("no suggestion: %q", txt)
	}

	if err := r.Run(ctx, request(m, `catalog search "payments team" db`)); err != nil {
		t.Fatal(err)
	}
	if got == nil || len(got.Args) != 2 || got.Args[0] != "payments team" {
		t.Fatalf("args not split with quotes: %+v", got)
	}

	if err := r.Run(ctx, request(m, `scorecard waive svc check --days 7 --reason “known issue” --dry-run`)); err != nil {
		t.Fatal(err)
	}
	if got.Flags["days"] != "7" || got.Flags["reason"] != "known issue" || !got.Flags.Has("dry-run") || len(got.Args) != 2 {
		t.Fatalf("flags = %v args = %v", got.Flags, got.Args)
	}

	got = nil
	if err := r.Run(ctx, request(m, `scorecard waive svc check --dryrun`)); err != nil {
		t.Fatal(err)
	}
	if got != nil || !strings.Contains(m.Last().Text(), "has no flag `--dryrun`. Did you mean `--dry-run`?") {
		t.Fatalf("a mistyped flag ran the command or was not explained: %q", m.Last().Text())
	}

	if err := r.Run(ctx, request(m, "help catalog search")); err != nil {
		t.Fatal(err)
	}
	if txt := m.Last().Text(); !strings.Contains(txt, "/plat catalog search <query>") {
		t.Fatalf("command help: %q", txt)
	}
}

func TestRouterPolicyDenialIsExplainedAndAudited(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, denyMutate{})
	ran := false
	r.Register(&bot.Command{Name: "catalog reload", Action: bot.ActionMutate, Summary: "reload", Handle: func(context.Context, *bot.Request) error {
		ran = true
		return nil
	}})
	ctx := context.Background()
	if err := r.Run(ctx, request(m, "catalog reload")); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("denied command ran")
	}
	txt := m.Last().Text()
	for _, want := range []string{"only-admins-mutate", "Only platform admins", "Ask the admins of group:default/platform"} {
		if !strings.Contains(txt, want) {
			t.Errorf("denial %q lacks %q", txt, want)
		}
	}
	evs, err := st.AuditEvents(ctx, store.AuditFilter{Action: "policy"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Details["rule"] != "only-admins-mutate" {
		t.Fatalf("policy audit = %+v", evs)
	}
}

func TestRouterFormValidateAndSubmit(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, bot.AllowAll{})
	var submitted bot.Values
	r.Register(&bot.Command{
		Name: "new-db", Summary: "a database", Action: bot.ActionScaffold,
		Form: func(context.Context, *bot.Request) (*bot.Form, error) {
			return &bot.Form{Title: "New database", Fields: []bot.Field{
				{ID: "name", Label: "Name", Kind: bot.FieldText, Required: true, Pattern: "[a-z][a-z0-9-]{0,62}", PatternHint: "lower-case letters, digits and dashes"},
				{ID: "size", Label: "Size", Kind: bot.FieldSelect, Default: "small", Options: []bot.Option{{Value: "small", Label: "Small"}, {Value: "large", Label: "Large"}}},
				{ID: "storage", Label: "Storage GB", Kind: bot.FieldNumber, Integer: true, Min: bot.Float(10), Max: bot.Float(1000)},
			}}, nil
		},
		Validate: func(_ context.Context, _ *bot.Request, v bot.Values) bot.FieldErrors {
			if v.Get("name") == "taken" {
				return bot.FieldErrors{"name": "a database named taken already exists"}
			}
			return nil
		},
		Submit: func(_ context.Context, _ *bot.Request, v bot.Values) error {
			submitted = v
			return nil
		},
	})
	ctx := context.Background()
	if err := r.Run(ctx, request(m, "new-db")); err != nil {
		t.Fatal(err)
	}
	forms := m.Ops("form")
	if len(forms) != 1 || forms[0].Form.ID != "new-db" || len(forms[0].Form.Fields) != 3 {
		t.Fatalf("form not opened: %+v", forms)
	}
	req := request(m, "")
	errs, err := r.ValidateForm(ctx, req, "new-db", bot.Values{"name": {"Bad Name"}, "storage": {"5"}})
	if err != nil {
		t.Fatal(err)
	}
	if errs["name"] != "lower-case letters, digits and dashes" || errs["storage"] != "must be at least 10" {
		t.Fatalf("field errors = %v", errs)
	}
	errs, _ = r.ValidateForm(ctx, req, "new-db", bot.Values{"name": {"taken"}, "storage": {"20"}})
	if errs["name"] == "" {
		t.Fatalf("command Validate not applied: %v", errs)
	}
	v := bot.Values{"name": {"orders"}, "storage": {"20"}}
	errs, _ = r.ValidateForm(ctx, req, "new-db", v)
	if errs != nil {
		t.Fatalf("valid values rejected: %v", errs)
	}
	if v.Get("size") != "small" {
		t.Fatalf("default not applied: %v", v)
	}
	if err := r.SubmitForm(ctx, req, "new-db", v); err != nil {
		t.Fatal(err)
	}
	if submitted.Get("name") != "orders" {
		t.Fatalf("submit got %v", submitted)
	}
}

func TestAcceptIsIdempotentAndSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	st := openStore(t, path)
	r, _ := newRouter(t, st, bot.AllowAll{})
	var runs atomic.Int32
	r.Register(&bot.Command{Name: "ping", Summary: "ping", Handle: func(ctx context.Context, req *bot.Request) error {
		runs.Add(1)
		return req.Replyf(ctx, "pong")
	}})
	ctx := context.Background()
	req := &bot.Request{ID: "trigger-1", Transport: bot.TransportShell, User: bot.User{ID: "U1"}, Text: "ping"}
	for i := 0; i < 3; i++ {
		created, err := r.Accept(ctx, bot.JobCommand, req, req)
		if err != nil {
			t.Fatal(err)
		}
		if created != (i == 0) {
			t.Fatalf("delivery %d: created = %v", i, created)
		}
	}
	// The bot "crashes" before running the job: close and reopen the store.
	st.Close()
	st2 := openStore(t, path)
	r2, m2 := newRouter(t, st2, bot.AllowAll{})
	r2.Register(&bot.Command{Name: "ping", Summary: "ping", Handle: func(ctx context.Context, req *bot.Request) error {
		runs.Add(1)
		return req.Replyf(ctx, "pong")
	}})
	n, err := r2.Worker().RunDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || runs.Load() != 1 {
		t.Fatalf("ran %d jobs, command ran %d times; want 1 and 1", n, runs.Load())
	}
	if m2.Last().Text() != "pong" {
		t.Fatalf("reply after restart = %q", m2.Last().Text())
	}
}

func TestWorkerRetriesThenFails(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	now := time.Now()
	clock := func() time.Time { return now }
	w := bot.NewWorker(bot.WorkerOptions{Queue: st, Now: clock})
	var calls atomic.Int32
	w.Handle("flaky", func(ctx context.Context, p json.RawMessage) error {
		if calls.Add(1) < 3 {
			return errors.New("upstream 503")
		}
		return nil
	})
	w.Handle("broken", func(ctx context.Context, p json.RawMessage) error {
		return bot.Permanent(errors.New("bad input"))
	})
	w.Handle("panics", func(ctx context.Context, p json.RawMessage) error {
		panic("secret-canary-value")
	})
	ctx := context.Background()
	for _, k := range []string{"flaky", "broken", "panics"} {
		if _, err := w.Enqueue(ctx, bot.JobSpec{Kind: k, Payload: map[string]string{"k": k}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		if _, err := w.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Minute) // past any backoff
	}
	if calls.Load() != 3 {
		t.Fatalf("flaky ran %d times, want 3", calls.Load())
	}
	failed, err := st.Jobs(ctx, []string{store.JobFailed}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 2 {
		t.Fatalf("failed jobs = %d, want 2 (broken, panics)", len(failed))
	}
	for _, j := range failed {
		if strings.Contains(j.LastError, "secret-canary-value") {
			t.Fatalf("panic value leaked into the job error: %q", j.LastError)
		}
	}
}

// TestSensitiveFormValuesAreAuditedAsHMAC: a field marked Sensitive reaches
// the audit log only as a keyed digest.
func TestSensitiveFormValuesAreAuditedAsHMAC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	st := openStore(t, path)
	r, m := newRouter(t, st, bot.AllowAll{})
	const canary = "canary-ticket-7f3e9a"
	r.Register(&bot.Command{
		Name: "report", Summary: "report",
		Form: func(context.Context, *bot.Request) (*bot.Form, error) {
			return &bot.Form{Title: "Report", Fields: []bot.Field{
				{ID: "summary", Label: "Summary", Kind: bot.FieldText},
				{ID: "ticket", Label: "Private ticket", Kind: bot.FieldText, Sensitive: true},
			}}, nil
		},
		Submit: func(context.Context, *bot.Request, bot.Values) error { return nil },
	})
	ctx := context.Background()
	if err := r.SubmitForm(ctx, request(m, ""), "report", bot.Values{"summary": {"disk full"}, "ticket": {canary}}); err != nil {
		t.Fatal(err)
	}
	evs, err := st.AuditEvents(ctx, store.AuditFilter{Action: "form.submit"}, 5)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v", evs, err)
	}
	vals, _ := evs[0].Details["values"].(map[string]any)
	if vals["summary"] != "disk full" {
		t.Fatalf("plain value not recorded: %v", evs[0].Details)
	}
	want, _ := st.HashSensitive(canary)
	if evs[0].Details["values.ticket"] != want || strings.Contains(fmt.Sprint(evs[0].Details), canary) {
		t.Fatalf("sensitive value not recorded as its HMAC: %v", evs[0].Details)
	}
	var buf strings.Builder
	if _, err := st.ExportAudit(ctx, &buf, store.AuditFilter{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), canary) {
		t.Fatal("the sensitive value is in the audit export")
	}
}

func TestActionDispatch(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, bot.AllowAll{})
	var got bot.Action
	r.HandleAction("access", func(ctx context.Context, req *bot.Request, a bot.Action) error {
		got = a
		return nil
	})
	ctx := context.Background()
	if err := r.Act(ctx, request(m, ""), bot.Action{ID: "access:approve", Value: "req-7"}); err != nil {
		t.Fatal(err)
	}
	if got.Value != "req-7" {
		t.Fatalf("action not dispatched: %+v", got)
	}
	if err := r.Act(ctx, request(m, ""), bot.Action{ID: "nobody:home"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Last().Text(), "no longer supported") {
		t.Fatalf("unknown action reply = %q", m.Last().Text())
	}
}
