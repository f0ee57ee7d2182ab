package bot_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/store"
)

// dynCommand's form shows "port" only for a service, puts "token" (a
// secret) and "owner" (external) on page 2, and its Validate reports a
// page-2 problem and a cross-page one.
func dynCommand(suggested *[]string, got *[]bot.Values) *bot.Command {
	return &bot.Command{
		Name: "svc", Summary: "svc",
		Form: func(_ context.Context, req *bot.Request) (*bot.Form, error) {
			fields := []bot.Field{{ID: "kind", Label: "Kind", Kind: bot.FieldSelect, Required: true, Dispatch: true,
				Options: []bot.Option{{Value: "lib"}, {Value: "service"}}}}
			if req.FormValues.Get("kind") == "service" {
				fields = append(fields, bot.Field{ID: "port", Label: "Port", Kind: bot.FieldNumber, Required: true})
			}
			fields = append(fields,
				bot.Field{ID: "owner", Label: "Owner", Kind: bot.FieldExternal, Required: true, Page: 1},
				bot.Field{ID: "tags", Label: "Tags", Kind: bot.FieldMultiExternal, Page: 1, Default: "a"},
				bot.Field{ID: "token", Label: "Token", Kind: bot.FieldSecret, Required: true, MinLen: 4, Page: 1},
			)
			return &bot.Form{Title: "Svc", Pages: []string{"One", "Two"}, Fields: fields}, nil
		},
		Suggest: func(_ context.Context, _ *bot.Request, field, q string) ([]bot.Option, error) {
			*suggested = append(*suggested, field+"="+q)
			var pool []string
			switch field {
			case "owner":
				pool = []string{"team-a", "team-b"}
			case "tags":
				pool = []string{"a", "b"}
			}
			var out []bot.Option
			for _, v := range pool {
				if strings.Contains(v, q) {
					out = append(out, bot.Option{Value: v})
				}
			}
			return out, nil
		},
		Validate: func(_ context.Context, _ *bot.Request, v bot.Values) bot.FieldErrors {
			errs := bot.FieldErrors{}
			if v.Get("owner") == "team-b" {
				errs["owner"] = "team-b is frozen"
			}
			if v.Get("kind") == "service" && v.Get("port") == "1" {
				errs["port"] = "port 1 is reserved"
			}
			if len(errs) == 0 {
				return nil
			}
			return errs
		},
		Submit: func(_ context.Context, _ *bot.Request, v bot.Values) error {
			*got = append(*got, v)
			return nil
		},
	}
}

func TestValidateDynamicForm(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	r, m := newRouter(t, st, bot.AllowAll{})
	var suggested []string
	var got []bot.Values
	r.Register(dynCommand(&suggested, &got))
	ctx := context.Background()
	req := request(m, "svc")

	// Page 1 of a service: the port exists because the form is rebuilt
	// with the submitted values; page 2's rules (and Validate's page-2
	// errors) wait.
	v := bot.Values{"kind": {"service"}, "owner": {"team-b"}}
	errs, err := r.ValidatePage(ctx, req, "svc", 0, v)
	if err != nil || len(errs) != 1 || errs["port"] == "" {
		t.Fatalf("page 1 = %v, %v; want only the port required", errs, err)
	}
	if len(suggested) != 0 {
		t.Fatalf("page 1 asked Suggest for page 2's fields: %v", suggested)
	}
	v["port"] = []string{"1"}
	if errs, _ = r.ValidatePage(ctx, req, "svc", 0, v); errs["port"] != "port 1 is reserved" || errs["owner"] != "" {
		t.Fatalf("page 1 Validate errors = %v: want the port's, not the owner's", errs)
	}

	// The whole form: field rules, then external values via Suggest, then
	// Validate; a value of a field the form no longer has is dropped.
	v = bot.Values{"kind": {"lib"}, "port": {"8080"}, "owner": {"team-z"}, "token": {"abc"}}
	errs, err = r.ValidateForm(ctx, req, "svc", v)
	if err != nil || errs["token"] == "" || strings.Contains(errs["token"], "abc") {
		t.Fatalf("whole form = %v, %v; want the token too short, without its value", errs, err)
	}
	if _, ok := v["port"]; ok {
		t.Fatalf("the port of a library stayed: %v", v)
	}
	v["token"] = []string{"abcd"}
	if errs, _ = r.ValidateForm(ctx, req, "svc", v); !strings.Contains(errs["owner"], `"team-z" is not one of the choices`) {
		t.Fatalf("forged owner = %v", errs)
	}
	if !slices.Contains(suggested, "owner=team-z") {
		t.Fatalf("Suggest asked %v, want the submitted value", suggested)
	}
	v["owner"] = []string{"team-a"}
	v["tags"] = []string{"a", "nope"}
	if errs, _ = r.ValidateForm(ctx, req, "svc", v); !strings.Contains(errs["tags"], "nope") {
		t.Fatalf("forged tag = %v", errs)
	}
	delete(v, "tags")
	if errs, err = r.ValidateForm(ctx, req, "svc", v); errs != nil || err != nil || v.Get("tags") != "a" {
		t.Fatalf("valid = %v, %v; tags defaulted to %v", errs, err, v["tags"])
	}

	// Suggestions go through the command, at most MaxSuggestions, never
	// an empty value.
	opts, err := r.SuggestOptions(ctx, req, "svc", "owner", "team")
	if err != nil || len(opts) != 2 {
		t.Fatalf("SuggestOptions = %v, %v", opts, err)
	}
	if _, err := r.SuggestOptions(ctx, req, "gone", "owner", "x"); err == nil {
		t.Fatal("suggestions for a form nobody has")
	}
	f, err := r.BuildForm(ctx, req, "svc", bot.Values{"kind": {"service"}})
	if err != nil || f.Field("port") == nil || f.PageCount() != 2 || len(f.PageFields(1)) != 3 || f.ID != "svc" {
		t.Fatalf("BuildForm = %+v, %v", f, err)
	}
}

// TestSubmitJobSealsSecrets: Accept seals a secret field's value in the
// job row; the worker opens it for Submit; the audit says "[secret]". A
// router with another key (a restart without a key file) cannot open it
// and tells the user instead of submitting.
func TestSubmitJobSealsSecrets(t *testing.T) {
	const canary = "canary-router-91b2"
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	logs := &bottest.LogBuffer{}
	sealer := bot.NewRandomSealer()
	var suggested []string
	var got []bot.Values
	newR := func(s bot.Sealer) (*bot.Router, *bottest.Messenger) {
		r := bot.NewRouter(bot.RouterOptions{Policy: bot.AllowAll{}, Audit: st, Queue: st, Version: "test", Sealer: s, Logger: logs.Logger()})
		msgr := bottest.NewMessenger()
		r.SetMessenger(bot.TransportShell, msgr)
		r.Register(dynCommand(&suggested, &got))
		return r, msgr
	}
	r, m := newR(sealer)
	if r.Sealer() != sealer {
		t.Fatal("Router.Sealer is not the configured one")
	}
	ctx := context.Background()
	submit := func(r *bot.Router, m *bottest.Messenger, id string) {
		req := request(m, "svc")
		req.ID = id
		v := bot.Values{"kind": {"lib"}, "owner": {"team-a"}, "token": {canary}}
		if created, err := r.Accept(ctx, bot.JobSubmit, bot.SubmitPayload{Request: req, FormID: "svc", Values: v}, req); err != nil || !created {
			t.Fatalf("Accept = %v, %v", created, err)
		}
	}
	submit(r, m, "sub-1")
	jobs, err := st.Jobs(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var p bot.SubmitPayload
	if err := json.Unmarshal(jobs[len(jobs)-1].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Sealed["token"] == "" || p.Values.Get("owner") != "team-a" {
		t.Fatalf("payload = %+v", p)
	}
	if _, err := r.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Get("token") != canary {
		t.Fatalf("Submit got %v", got)
	}

	// Another key: the sealed value cannot be opened; the user is told.
	submit(r, m, "sub-2")
	r2, m2 := newR(bot.NewRandomSealer())
	if _, err := r2.Worker().RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("submitted without its secret: %v", got)
	}
	if txt := m2.Last().Text(); !strings.Contains(txt, "can no longer be read") {
		t.Fatalf("user told %q", txt)
	}

	jobs, _ = st.Jobs(ctx, nil, 0)
	for _, j := range jobs {
		if strings.Contains(string(j.Payload), canary) {
			t.Errorf("job row holds the secret: %s", j.Payload)
		}
	}
	evs, err := st.AuditEvents(ctx, store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	marked := false
	for _, ev := range evs {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), canary) {
			t.Errorf("audit holds the secret: %s", b)
		}
		if vals, _ := ev.Details["values"].(map[string]any); ev.Action == "form.submit" && vals["token"] == bot.SecretMark {
			marked = true
		}
	}
	if !marked {
		t.Error("the submission's audit does not mark the token [secret]")
	}
	if strings.Contains(logs.String(), canary) {
		t.Errorf("logs hold the secret: %s", logs.String())
	}
}
