package shell_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/shell"
	"github.com/platbot/platbot/store"
)

// TestShellThroughAPipe drives the shell exactly as a script would: lines on
// standard input, text on standard output. A form becomes prompts, a wrong
// answer is re-asked with the error, a button becomes a number to type.
func TestShellThroughAPipe(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"), store.WithAuditKey([]byte("k-0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := bot.NewRouter(bot.RouterOptions{Policy: bot.AllowAll{}, Audit: st, Queue: st, Version: "test"})
	var submitted bot.Values
	var approvedBy string
	r.Register(&bot.Command{
		Name: "new-db", Summary: "create a database",
		Form: func(context.Context, *bot.Request) (*bot.Form, error) {
			return &bot.Form{Title: "New database", Fields: []bot.Field{
				{ID: "name", Label: "Name", Kind: bot.FieldText, Required: true, Pattern: "[a-z][a-z0-9-]*", PatternHint: "use lower-case letters, digits and dashes"},
				{ID: "size", Label: "Size", Kind: bot.FieldSelect, Default: "small", Options: []bot.Option{{Value: "small", Label: "Small"}, {Value: "medium", Label: "Medium"}, {Value: "large", Label: "Large"}}},
				{ID: "envs", Label: "Environments", Kind: bot.FieldMultiSelect, Options: []bot.Option{{Value: "dev", Label: "dev"}, {Value: "prod", Label: "prod"}}},
				{ID: "ha", Label: "High availability", Kind: bot.FieldBool},
				{ID: "gb", Label: "Storage GB", Kind: bot.FieldNumber, Default: "20", Min: bot.Float(10), Max: bot.Float(1000)},
			}}, nil
		},
		Validate: func(_ context.Context, _ *bot.Request, v bot.Values) bot.FieldErrors {
			if v.Get("name") == "orders" {
				return bot.FieldErrors{"name": "orders already exists in the catalog"}
			}
			return nil
		},
		Submit: func(ctx context.Context, req *bot.Request, v bot.Values) error {
			submitted = v
			_, err := req.Messenger().Post(ctx, "#approvals", bot.Message{Text: "approve?", Blocks: []bot.Block{
				bot.Section{Text: "Database *" + v.Get("name") + "* requested"},
				bot.Actions{Buttons: []bot.Button{{ActionID: "db:approve", Text: "Approve", Value: v.Get("name")}, {ActionID: "db:deny", Text: "Deny"}}},
			}})
			return err
		},
	})
	r.HandleAction("db", func(ctx context.Context, req *bot.Request, a bot.Action) error {
		approvedBy = req.User.ID + ":" + a.ID + ":" + a.Value
		return req.Replyf(ctx, "approved %s", a.Value)
	})
	input := strings.Join([]string{
		"/plat new-db",
		"Bad Name", // re-asked: pattern
		"orders",   // accepted by the field, rejected by Validate → re-asked
		"",         // size: default small
		"1,2",      // envs
		"maybe",    // re-asked: not y/n
		"y",
		"5", // re-asked: below min
		"",  // default 20
		"shop",
		"1", // press Approve
		"/plat nope",
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
		"== New database ==",
		"use lower-case letters, digits and dashes",
		"orders already exists in the catalog",
		"1) Small", "[Small]",
		"answer y or n",
		"must be at least 10",
		"Database shop requested",
		"[1] Approve  [2] Deny",
		"approved shop",
		"I don't know `/plat nope`",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q\n--- output ---\n%s", want, text)
		}
	}
	if submitted.Get("name") != "shop" || submitted.Get("size") != "small" || strings.Join(submitted.List("envs"), ",") != "dev,prod" || !submitted.Bool("ha") || submitted.Get("gb") != "20" {
		t.Errorf("submitted = %v", submitted)
	}
	if approvedBy != "U1:db:approve:shop" {
		t.Errorf("button press = %q", approvedBy)
	}
}

func TestShellUploadWritesFile(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	sh := shell.New(shell.Options{In: strings.NewReader(""), Out: &out, FilesDir: dir})
	if err := sh.Upload(context.Background(), "#team", "", bot.File{Name: "../../etc/chart.png", Content: []byte("png")}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "chart.png"))
	if err != nil || string(b) != "png" {
		t.Fatalf("file not written inside FilesDir: %v %q", err, b)
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "chart.png")) {
		t.Fatalf("path not printed: %q", out.String())
	}
}

// TestShellCancelTyposAndShortUpdates: "cancel" leaves a form with nothing
// submitted, a non-/plat slash command is explained, and an update prints
// only what changed.
func TestShellCancelTyposAndShortUpdates(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"), store.WithAuditKey([]byte("k-0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := bot.NewRouter(bot.RouterOptions{Policy: bot.AllowAll{}, Audit: st, Queue: st, Version: "test"})
	submitted := false
	r.Register(&bot.Command{
		Name: "form", Summary: "a form",
		Form: func(context.Context, *bot.Request) (*bot.Form, error) {
			return &bot.Form{Title: "Form", Fields: []bot.Field{{ID: "a", Label: "A", Kind: bot.FieldText, Required: true}}}, nil
		},
		Submit: func(context.Context, *bot.Request, bot.Values) error { submitted = true; return nil },
	}, &bot.Command{
		Name: "progress", Summary: "progress",
		Handle: func(ctx context.Context, req *bot.Request) error {
			ref, err := req.Messenger().Post(ctx, "#c", bot.Message{Text: "step 1 running\nstep 2 waiting"})
			if err != nil {
				return err
			}
			return req.Messenger().Update(ctx, ref, bot.Message{Text: "step 1 done\nstep 2 waiting"})
		},
	})
	var out bytes.Buffer
	sh := shell.New(shell.Options{In: strings.NewReader("/plat form\ncancel\n/plt ping\n/plat progress\n"), Out: &out, Router: r, Jobs: r.Worker(), User: bot.User{ID: "U1"}, FilesDir: dir})
	r.SetMessenger(bot.TransportShell, sh)
	if err := sh.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if submitted || !strings.Contains(text, "form cancelled: nothing was submitted") {
		t.Errorf("cancel did not leave the form:\n%s", text)
	}
	if !strings.Contains(text, "/plt is not a platbot command: commands start with /plat") {
		t.Errorf("typo not explained:\n%s", text)
	}
	i := strings.Index(text, "updated:")
	if i < 0 || !strings.Contains(text[i:], "step 1 done") || strings.Contains(text[i:], "step 2 waiting") {
		t.Errorf("update should print only the changed line:\n%s", text)
	}
}
