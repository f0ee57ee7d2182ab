package catalog

import (
	"context"

	"github.com/platbot/platbot/bot"
)

// SummaryFact is one short fact another feature knows about a service, for
// the one-line summaries of services: a person's services on their Home,
// the preview of a link to a service's repository or Argo CD application.
// The scorecard gives the grade, Argo CD the live status, cost the 30-day
// trend; the catalog calls them and never imports the features.
type SummaryFact interface {
	// ServiceFact returns the fact about e (false: nothing to say). It is
	// called for every summary: answer quickly, and be safe for
	// concurrent use.
	ServiceFact(ctx context.Context, e *Entity) (bot.Pair, bool)
}

// summaryFact is an added fact and where it is shown.
type summaryFact struct {
	f SummaryFact
	// shared: also in link previews, which everyone in the conversation
	// sees; otherwise only on the person's own Home.
	shared bool
}

// AddSummaryFact adds f to every service summary, after the owner, in the
// order facts were added; shared says whether link previews (seen by a
// whole conversation) show it too, or only a person's own Home. It is safe
// to call while summaries are built.
func (c *Catalog) AddSummaryFact(f SummaryFact, shared bool) {
	for {
		old := c.summaryFacts.Load()
		var next []summaryFact
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, summaryFact{f: f, shared: shared})
		if c.summaryFacts.CompareAndSwap(old, &next) {
			return
		}
	}
}

// ServiceSummary is the short summary of a service: its owner, then each
// fact a feature added (AddSummaryFact) that has something to say; with
// shared, only the facts link previews may show.
func (c *Catalog) ServiceSummary(ctx context.Context, e *Entity, shared bool) []bot.Pair {
	out := []bot.Pair{{Label: "Owner", Value: orNone(c.ownerLabel(e.Owner()))}}
	if facts := c.summaryFacts.Load(); facts != nil {
		for _, f := range *facts {
			if shared && !f.shared {
				continue
			}
			if p, ok := f.f.ServiceFact(ctx, e); ok {
				out = append(out, p)
			}
		}
	}
	return out
}
