package shell_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest/stdtest"
	"github.com/platbot/platbot/bot/shell"
	"github.com/platbot/platbot/store"
)

const canary = "canary-shell-5ec7e7"

// TestShellDynamicForm answers a two-page form through a pipe: the pages
// are asked in order under their titles, the Dispatch select rebuilds the
// form (a field appears, one goes away with its answer), an external field
// lists matching suggestions for a value that is not an option, the secret
// is read as a line and shown nowhere, and an error the command reports for
// the first page goes back to it.
func TestShellDynamicForm(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"), store.WithAuditKey([]byte("k-0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logs := &stdtest.LogBuffer{}
	r := bot.NewRouter(bot.RouterOptions{Policy: bot.AllowAll{}, Audit: st, Queue: st, Version: "test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	var submitted []bot.Values
	r.Register(&bot.Command{
		Name: "svc-new", Summary: "new component",
		Form: func(_ context.Context, req *bot.Request) (*bot.Form, error) {
			fields := []bot.Field{{ID: "kind", Label: "Kind", Kind: bot.FieldSelect, Required: true, Dispatch: true,
				Options: []bot.Option{{Value: "library", Label: "Library"}, {Value: "service", Label: "Service"}}}}
			if req.FormValues.Get("kind") == "service" {
				fields = append(fields, bot.Field{ID: "port", Label: "Port", Kind: bot.FieldNumber, Required: true})
			} else {
				fields = append(fields, bot.Field{ID: "lang", Label: "Language", Kind: bot.FieldText})
			}
			fields = append(fields,
				bot.Field{ID: "owner", Label: "Owner", Kind: bot.FieldExternal, Required: true, Page: 1},
				bot.Field{ID: "token", Label: "Token", Kind: bot.FieldSecret, Required: true, Page: 1},
			)
			return &bot.Form{Title: "New component", Pages: []string{"Basics", "Access"}, Fields: fields}, nil
		},
		Suggest: func(_ context.Context, _ *bot.Request, field, q string) ([]bot.Option, error) {
			var out []bot.Option
			for _, o := range []bot.Option{{Value: "group:default/team-a", Label: "Team A"}, {Value: "group:default/team-b", Label: "Team B"}} {
				if strings.Contains(o.Value, q) || strings.Contains(strings.ToLower(o.Label), strings.ToLower(q)) {
					out = append(out, o)
				}
			}
			return out, nil
		},
		Validate: func(_ context.Context, _ *bot.Request, v bot.Values) bot.FieldErrors {
			if v.Get("owner") == "group:default/team-b" && v.Get("kind") == "service" {
				return bot.FieldErrors{"kind": "team B owns no services"}
			}
			return nil
		},
		Submit: func(ctx context.Context, req *bot.Request, v bot.Values) error {
			submitted = append(submitted, v)
			return req.Replyf(ctx, "created a %s owned by %s", v.Get("kind"), v.Get("owner"))
		},
	})
	input := strings.Join([]string{
		"/plat svc-new",
		"1",    // kind: library
		"go",   // lang
		"team", // owner: not an option → the matches are listed
		"group:default/team-b",
		canary, // token: submitted (a library may belong to team B)
		"/plat svc-new",
		"2",      // kind: service → port appears, lang goes
		"8080",   // port
		"Team B", // the label of exactly one option
		canary,
		"1", // the command refuses a team B service: back on page 1, library
		"ruby",
		"exit",
	}, "\n") + "\n"
	var out bytes.Buffer
	sh := shell.New(shell.Options{In: strings.NewReader(input), Out: &out, Router: r, Jobs: r.Worker(), User: bot.User{ID: "U1", Name: "alice"}, FilesDir: dir})
	r.SetMessenger(bot.TransportShell, sh)
	if err := sh.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"-- Step 1 of 2: Basics --", "-- Step 2 of 2: Access --",
		`"team" is not one of the choices; matching:`, "group:default/team-a (Team A)",
		"Token * (stored sealed, never shown)",
		"Port *",
		"team B owns no services",
		"created a library owned by group:default/team-b",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q\n--- output ---\n%s", want, text)
		}
	}
	if strings.Index(text, "Port *") > strings.LastIndex(text, "Language") {
		t.Errorf("the language was not asked again after the kind changed back:\n%s", text)
	}
	if len(submitted) != 2 {
		t.Fatalf("submissions = %v", submitted)
	}
	first, second := submitted[0], submitted[1]
	if first.Get("lang") != "go" || first.Get("token") != canary || first.Get("owner") != "group:default/team-b" {
		t.Errorf("first = %v", first)
	}
	if _, ok := second["port"]; ok || second.Get("kind") != "library" || second.Get("lang") != "ruby" || second.Get("token") != canary {
		t.Errorf("second = %v (the port went away with the service kind)", second)
	}
	if strings.Contains(text, canary) {
		t.Errorf("the shell printed the secret:\n%s", text)
	}
	evs, err := st.AuditEvents(context.Background(), store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, ev := range evs {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), canary) {
			t.Errorf("audit holds the secret: %s", b)
		}
		if vals, _ := ev.Details["values"].(map[string]any); ev.Action == "form.submit" && vals["token"] == bot.SecretMark {
			marked++
		}
	}
	if marked != 2 {
		t.Errorf("submissions audited with the token as %s: %d, want 2", bot.SecretMark, marked)
	}
	if strings.Contains(logs.String(), canary) {
		t.Errorf("logs hold the secret:\n%s", logs.String())
	}
}
