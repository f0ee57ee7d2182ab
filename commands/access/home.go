package access

import (
	"context"
	"fmt"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// ActionRevoke is the Revoke button of a grant on its holder's Home.
const ActionRevoke = "access:revoke"

// maxHomeGrants is the most grants a Home lists.
const maxHomeGrants = 10

// homeGrants are req.User's grants that hold (or are getting)
// credentials, newest first, without extensions (they extend a grant
// listed itself).
func (a *Access) homeGrants(ctx context.Context, req *bot.Request) ([]*AccessRequest, error) {
	recs, err := a.st.ListRecords(ctx, store.Query{Kind: RecordKind, Owner: req.User.ID, States: live})
	if err != nil {
		return nil, fmt.Errorf("list grants of %s: %w", req.User.ID, err)
	}
	var out []*AccessRequest
	for i := range recs {
		r, err := decode(recs[i].Data)
		if err != nil || r.ExtendsID != "" || r.Requester.ID != req.User.ID {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// homeSection lists req.User's active grants with the time left, and an
// Extend and a Revoke button each: the same flows as `/plat access extend`
// and `/plat access revoke`.
func (a *Access) homeSection(ctx context.Context, req *bot.Request) ([]bot.Block, error) {
	gs, err := a.homeGrants(ctx, req)
	if err != nil || len(gs) == 0 {
		return nil, err
	}
	out := []bot.Block{bot.Section{Text: fmt.Sprintf("*Your production access* (%d)", len(gs))}}
	now := a.now()
	for i, r := range gs {
		if i == maxHomeGrants {
			out = append(out, bot.Context{Text: fmt.Sprintf("…and %d more: `/plat access list`", len(gs)-maxHomeGrants)})
			break
		}
		left := "issuing credentials"
		if !r.ExpiresAt.IsZero() {
			left = FormatDuration(max(r.ExpiresAt.Sub(now), 0).Round(time.Minute)) + " left, until " + stamp(r.ExpiresAt)
		}
		out = append(out,
			bot.Section{Text: fmt.Sprintf("%s `%s` *%s* in *%s* (%s) — %s", statusIcon(StateActive), r.ID, bot.UserText(r.ServiceName), bot.UserText(r.Environment), bot.UserText(r.Level), left)},
			bot.Actions{Buttons: []bot.Button{
				{ActionID: ActionExtend, Text: "Extend", Value: r.ID, Style: bot.StylePrimary},
				{ActionID: ActionRevoke, Text: "Revoke", Value: r.ID, Style: bot.StyleDanger, Confirm: fmt.Sprintf("Revoke %s now? Its credentials stop working at once.", r.ID)},
			}},
		)
	}
	return out, nil
}

// homeSummary counts req.User's grants.
func (a *Access) homeSummary(ctx context.Context, req *bot.Request) (string, error) {
	gs, err := a.homeGrants(ctx, req)
	if err != nil || len(gs) == 0 {
		return "", err
	}
	return fmt.Sprintf("You hold %d production access grant(s).", len(gs)), nil
}
