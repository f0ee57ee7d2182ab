package core_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/core"
	"github.com/platbot/platbot/store"
)

func TestHelpAndPing(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"), store.WithAuditKey([]byte("k-0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := bot.NewRouter(bot.RouterOptions{Audit: st, Queue: st, Version: "v9.9.9"})
	m := bottest.NewMessenger()
	r.SetMessenger(bot.TransportShell, m)
	received := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	// The version ping shows is the router's, and help is the router's.
	c, err := core.New(core.DefaultConfig(), core.Deps{Now: func() time.Time { return received.Add(42 * time.Millisecond) }})
	if err != nil {
		t.Fatal(err)
	}
	reg := bot.NewRegistry(r, nil)
	if err := reg.Install(c); err != nil {
		t.Fatal(err)
	}
	if err := reg.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}

	run := func(text string) string {
		req := &bot.Request{ID: "r-" + text, Transport: bot.TransportShell, User: bot.User{ID: "U1"}, Text: text, Received: received}
		req.Bind(m)
		if err := r.Run(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		return m.Last().Text()
	}
	if got := run("ping"); !strings.Contains(got, "v9.9.9") || !strings.Contains(got, "42ms") {
		t.Fatalf("ping = %q, want the version and the latency", got)
	}
	if got := run("help"); !strings.Contains(got, "/plat ping") || !strings.Contains(got, "/plat help [command]") {
		t.Fatalf("help = %q", got)
	}
	if got := run("help ping"); !strings.Contains(got, "shows its version and latency") {
		t.Fatalf("help ping = %q", got)
	}
	if got := run(""); !strings.Contains(got, "/plat ping") {
		t.Fatalf("an empty command should show help, got %q", got)
	}
	evs, err := st.AuditEvents(context.Background(), store.AuditFilter{Action: "command"}, 10)
	if err != nil || len(evs) < 3 {
		t.Fatalf("commands not audited: %v %v", evs, err)
	}
}
