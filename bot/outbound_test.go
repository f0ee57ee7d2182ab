package bot_test

import (
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

func TestOutbound(t *testing.T) {
	var nilRouter *bot.Router
	if m := nilRouter.Outbound(bot.TransportSlack); m != nil {
		t.Fatalf("nil router: %v", m)
	}
	r := bot.NewRouter(bot.RouterOptions{})
	if m := r.Outbound(""); m != nil {
		t.Fatalf("no messengers: %v", m)
	}
	shell, slack := bottest.NewMessenger(), bottest.NewMessenger()
	r.SetMessenger(bot.TransportShell, shell)
	if m := r.Outbound(""); m != shell {
		t.Fatal("only the shell: want the shell messenger")
	}
	if m := r.Outbound(bot.TransportSlack); m != shell {
		t.Fatal("no Slack messenger: want the shell's")
	}
	r.SetMessenger(bot.TransportSlack, slack)
	if m := r.Outbound(""); m != slack {
		t.Fatal("Slack registered: want it for posts outside a request")
	}
	if m := r.Outbound(bot.TransportShell); m != shell {
		t.Fatal("a request's own transport comes first")
	}
	if m := r.Outbound("teams"); m != slack {
		t.Fatal("an unknown transport falls back to Slack")
	}
}
