package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/platbot/platbot/bot"
)

// DenialMessage is what a denied user sees: what they may not do, the rule
// that said so and why, and whom to ask.
func DenialMessage(action string, res bot.Resource, d bot.Decision) bot.Message {
	what := fmt.Sprintf("You may not %s %s.", action, Describe(res))
	if res.Kind == "command" && res.Name != "" {
		what = fmt.Sprintf("You may not run /plat %s: it needs the %s permission.", res.Name, action)
	}
	reason := d.Reason
	if reason == "" {
		reason = fmt.Sprintf("denied by rule %q", d.Rule)
	}
	reason = strings.ToUpper(reason[:1]) + reason[1:]
	if !strings.HasSuffix(reason, ".") {
		reason += "."
	}
	ask := d.AskWhom
	if ask == "" {
		ask = "the platform admins"
	}
	text := what + " " + reason + " Ask " + ask + "."
	return bot.Message{
		Text: text,
		Blocks: []bot.Block{
			bot.Section{Text: ":no_entry: " + what},
			bot.Section{Text: reason},
			bot.Context{Text: "Rule `" + d.Rule + "` · Ask " + ask + "."},
		},
	}
}

// Describe names a resource for people: its ref, or "the /plat X command".
func Describe(res bot.Resource) string {
	switch {
	case res.Kind == "command" && res.Name != "":
		return "run /plat " + res.Name
	case res.Ref != "":
		return res.Ref
	case res.Name != "":
		return res.Kind + " " + res.Name
	}
	return res.Kind
}

// Check decides for the request's user and, on a denial, replies with
// DenialMessage. It reports whether the action is allowed. Features use it
// for decisions inside a command (approving, scaffolding for a chosen
// owner); the router does the same before every command.
func Check(ctx context.Context, p bot.Policy, req *bot.Request, action string, res bot.Resource) (bool, error) {
	d := p.Decide(ctx, req.User, action, res)
	if d.Allow {
		return true, nil
	}
	if err := req.Reply(ctx, DenialMessage(action, res, d)); err != nil {
		return false, fmt.Errorf("policy: tell %s about the denial: %w", req.User.ID, err)
	}
	return false, nil
}

// Commands returns the policy's chat commands: /plat policy lists the rules.
func (e *Engine) Commands() []*bot.Command {
	return []*bot.Command{{
		Name:    "policy",
		Summary: "List the policy rules that decide who may do what",
		Action:  bot.ActionRead,
		Handle: func(ctx context.Context, req *bot.Request) error {
			var b strings.Builder
			for i, r := range e.rules {
				actions := strings.Join(r.Actions, ", ")
				fmt.Fprintf(&b, "%d. %s %s [%s]", i+1, r.Name, r.Effect, actions)
				if r.When != "" {
					fmt.Fprintf(&b, " when %s", r.When)
				}
				if r.Description != "" {
					fmt.Fprintf(&b, "\n   %s", r.Description)
				}
				b.WriteString("\n")
			}
			def := Deny
			if e.def {
				def = Allow
			}
			fmt.Fprintf(&b, "otherwise: %s (default)", def)
			return req.Reply(ctx, bot.Message{
				Text:   "Policy rules, first match wins",
				Blocks: []bot.Block{bot.Section{Text: "*Policy rules*, tried in order; the first match decides."}, bot.Code{Text: b.String()}},
			})
		},
	}}
}
