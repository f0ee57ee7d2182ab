package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

var errUpstream = errors.New("POST /repos/acme/gitops/pulls: 500 Internal Server Error")

// ExplainError phrases a failure the hook knows (an outside system that is
// down) instead of the bare error; other failures, and user errors, are
// answered as before.
func TestRouterExplainError(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "db"))
	var asked []error
	r := bot.NewRouter(bot.RouterOptions{Audit: st, Queue: st, ExplainError: func(_ context.Context, err error) string {
		asked = append(asked, err)
		if errors.Is(err, errUpstream) {
			return "GitHub is down since 10:42 UTC (owned by #platform)."
		}
		return ""
	}})
	m := bottest.NewMessenger()
	r.SetMessenger(bot.TransportShell, m)
	r.Register(
		&bot.Command{Name: "open", Handle: func(context.Context, *bot.Request) error {
			return fmt.Errorf("open the pull request: %w", errUpstream)
		}},
		&bot.Command{Name: "other", Handle: func(context.Context, *bot.Request) error { return errors.New("disk full") }},
		&bot.Command{Name: "typo", Handle: func(context.Context, *bot.Request) error { return bot.Errorf("No such service.") }},
	)
	for _, tc := range []struct{ cmd, want, not string }{
		{"open", "❌ `/plat open` failed: GitHub is down since 10:42 UTC (owned by #platform).\nReference: `req-open`", "500 Internal"},
		{"other", "❌ `/plat other` failed: disk full\nReference: `req-other`", "down since"},
		{"typo", "No such service.", "failed"},
	} {
		if err := r.Run(context.Background(), request(m, tc.cmd)); err != nil {
			t.Fatal(err)
		}
		got := m.Last().Text()
		if !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
			t.Errorf("%s: reply %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if len(asked) != 2 {
		t.Fatalf("the hook was asked %d times, want 2 (never for a user error)", len(asked))
	}
}
