package main

import (
	"context"
	"fmt"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/hygiene"
)

// hygieneUsage is the cost feature's view of a service over the last 30
// days: its requests (Prometheus or the example counts) and its cost, which
// is known when the service is among the top three of its team's cost
// summary (a team with at most three tagged services lists them all).
type hygieneUsage struct {
	requests cost.RequestCounter // nil: requests unknown
	costs    *cost.Costs         // nil: cost unknown
	now      func() time.Time
}

func (a hygieneUsage) Usage(ctx context.Context, e *catalog.Entity) (hygiene.Usage, error) {
	var u hygiene.Usage
	tags, err := cost.ParseTags(e.Annotation(catalog.AnnotationCostTag))
	if err != nil || len(tags) == 0 {
		return u, nil // untagged: neither is known
	}
	svc := &cost.Service{Ref: e.Ref(), Name: e.Metadata.Name, Title: e.Metadata.Title, Owner: e.Owner(), Tags: tags, Owned: tags}
	end := a.now()
	if a.requests != nil {
		n, ok, err := a.requests.Requests(ctx, svc, end.Add(-30*24*time.Hour), end)
		if err != nil {
			return u, fmt.Errorf("requests of %s: %w", e.Metadata.Name, err)
		}
		u.Requests, u.RequestsKnown = n, ok
	}
	if a.costs != nil && e.Owner() != "" {
		t, err := a.costs.TeamSummary(ctx, e.Owner())
		if err == nil {
			u.Currency = t.Currency
			for _, s := range t.Top {
				if s.Ref == e.Ref() {
					u.Cost, u.CostKnown = s.Last30, true
				}
			}
		}
	}
	return u, nil
}

var _ hygiene.UsageSource = hygieneUsage{}
