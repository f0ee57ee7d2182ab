package approval

import (
	"context"
	"fmt"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// MaxHomeCards is the most requests of one flow a Home shows.
const MaxHomeCards = 5

// MaxHomeSectionBlocks is the most blocks one flow's part of a Home takes
// (Slack shows at most 100 in a whole Home): cards are added whole while
// they fit, the first one always, and the others are counted as waiting.
const MaxHomeSectionBlocks = 16

// lister is the store's listing of records; *store.Store has it. A store
// without it gives no Home section.
type lister interface {
	ListRecords(ctx context.Context, q store.Query) ([]store.Record, error)
}

// HomeSection is the part of a person's Home listing this flow's requests
// waiting for their decision: pending, not their own, and MayDecide lets
// them decide. Each is shown as its card, with the card's Approve and Deny
// buttons, which act from the Home as from the card (Flow.Decide checks
// the click again). title heads the section.
func (f *Flow[T]) HomeSection(order int, title string) bot.HomeSection {
	return bot.HomeSection{
		Order: order,
		Build: func(ctx context.Context, req *bot.Request) ([]bot.Block, error) {
			rs, more, err := f.Waiting(ctx, req, MaxHomeCards)
			if err != nil || len(rs) == 0 {
				return nil, err
			}
			out := []bot.Block{bot.Section{Text: fmt.Sprintf("*%s waiting for you* (%d)", title, len(rs)+more)}}
			for i, r := range rs {
				card := homeCard(f.cfg.Card(r, f.cfg.States.Pending).Blocks)
				if i > 0 && len(out)+len(card) > MaxHomeSectionBlocks {
					more += len(rs) - i
					break
				}
				out = append(out, card...)
			}
			if more > 0 {
				out = append(out, bot.Context{Text: fmt.Sprintf("…and %d more %s(s) waiting: decide these first, or find the others' cards in their channels.", more, f.cfg.Noun)})
			}
			return out, nil
		},
		Summary: func(ctx context.Context, req *bot.Request) (string, error) {
			rs, more, err := f.Waiting(ctx, req, MaxHomeCards)
			if err != nil || len(rs) == 0 {
				return "", err
			}
			return fmt.Sprintf("%d %s(s) wait for your decision.", len(rs)+more, f.cfg.Noun), nil
		},
	}
}

// homeCard is a card as a Home shows it: its blocks without the context
// lines (history, who else may decide), its header as a bold line, its
// buttons as they are.
func homeCard(blocks []bot.Block) []bot.Block {
	out := make([]bot.Block, 0, len(blocks))
	for _, b := range blocks {
		switch v := b.(type) {
		case bot.Context, *bot.Context:
			continue
		case bot.Header:
			out = append(out, bot.Section{Text: "*" + v.Text + "*"})
		case *bot.Header:
			out = append(out, bot.Section{Text: "*" + v.Text + "*"})
		default:
			out = append(out, b)
		}
	}
	return out
}

// Waiting returns up to max requests req.User may decide now, newest
// first, and how many more there are.
func (f *Flow[T]) Waiting(ctx context.Context, req *bot.Request, max int) ([]*T, int, error) {
	ls, ok := f.st.(lister)
	if !ok {
		return nil, 0, nil
	}
	recs, err := ls.ListRecords(ctx, store.Query{Kind: f.cfg.Kind, States: []string{f.cfg.States.Pending}})
	if err != nil {
		return nil, 0, fmt.Errorf("list pending %ss: %w", f.cfg.Noun, err)
	}
	var out []*T
	more := 0
	for i := range recs {
		r, err := f.decode(&recs[i])
		if err != nil {
			f.log.Warn("skipping unreadable request", "request", recs[i].ID, "err", err)
			continue
		}
		if f.cfg.Ballot(r).Requester.ID == req.User.ID || f.cfg.Ballot(r).ApprovedBy(req.User.ID) {
			continue
		}
		el, err := f.cfg.MayDecide(ctx, req, r)
		if err != nil {
			return nil, 0, err
		}
		if el.Refusal != "" {
			continue
		}
		if len(out) == max {
			more++
			continue
		}
		out = append(out, r)
	}
	return out, more, nil
}

// homeChanged tells the Homes what changed with r: a request entering or
// leaving pending changes what waits for the people who may decide it
// (MayDecide lets them, and they are not its requester), and its
// requester's Home; any other change, its requester's Home only. Nobody
// else's Home is republished.
func (f *Flow[T]) homeChanged(ctx context.Context, r *T, from, to string) {
	if r == nil {
		return
	}
	requester := f.cfg.Ballot(r).Requester.ID
	if from == f.cfg.States.Pending || to == f.cfg.States.Pending {
		if an, ok := f.rt().(bot.HomeAudienceNotifier); ok {
			an.HomeChangedFor(ctx, func(ctx context.Context, req *bot.Request) (bool, error) {
				if req.User.ID == requester {
					return false, nil
				}
				el, err := f.cfg.MayDecide(ctx, req, r)
				if err != nil {
					return false, fmt.Errorf("may %s decide %s %s: %w", req.User.ID, f.cfg.Noun, f.cfg.ID(r), err)
				}
				return el.Refusal == "", nil
			}, requester)
			return
		}
	}
	if hn, ok := f.rt().(bot.HomeNotifier); ok {
		hn.HomeChanged(ctx, requester)
	}
}
