package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/hygiene"
)

// hygieneUsage is the cost feature's view of a service over the last 30
// days: its requests (Prometheus or the example counts) and its cost
// (OpenCost, or the example cost data), whichever its team's services are.
// What cannot be measured stays unknown: no cost tag, or cost data that is
// unavailable.
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
	if a.costs != nil {
		c, err := a.costs.ServiceCost(ctx, e.Ref())
		var down *cost.UnavailableError
		switch {
		case errors.As(err, &down):
			// Cost unknown (the cost feature logs the outage); the
			// requests may still tell.
		case err != nil:
			return u, fmt.Errorf("cost of %s: %w", e.Metadata.Name, err)
		default:
			u.Cost, u.CostKnown, u.Currency = c.Amount, c.Known, c.Currency
		}
	}
	return u, nil
}

var _ hygiene.UsageSource = hygieneUsage{}
