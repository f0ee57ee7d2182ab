package cost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/store"
)

// HygieneReport is cost that maps to no catalog entity, and the services
// that have no cost tag, over the last 30 days.
type HygieneReport struct {
	// Unclaimed is the total cost no service claims.
	Unclaimed float64
	// Groups are the unclaimed costs by label value, biggest first.
	Groups []UnclaimedCost
	// Untagged are the Components without a finops/cost-tag annotation.
	Untagged []string
	// Idle is idle cluster capacity (with includeIdle).
	Idle float64
	AsOf time.Time
}

// UnclaimedCost is the cost of one label value (or of workloads without the
// label: Value "__unallocated__") that no catalog entity claims.
type UnclaimedCost struct {
	Kind, Key, Value string
	Cost             float64
	Namespaces       []string
	Workloads        []Contributor
}

// Hygiene computes the hygiene report.
func (c *Costs) Hygiene(ctx context.Context) (*HygieneReport, error) {
	d := c.directory()
	l, err := c.ledger(ctx, d)
	if err != nil {
		return nil, err
	}
	return hygiene(l, d), nil
}

// hygiene finds the workloads no tag claims. A workload counts as claimed
// when any aggregation key's value for it belongs to a catalog entity, so a
// workload tagged by one key is not reported as missing another.
func hygiene(l *Ledger, d *directory) *HygieneReport {
	last := l.lastDays(30)
	h := &HygieneReport{AsOf: l.AsOf}
	claimed := map[string]bool{}
	for agg, values := range l.groups {
		for v, s := range values {
			if v != opencost.Unallocated && len(d.byTag[agg][v]) > 0 {
				for w := range s.workloads {
					claimed[w] = true
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, agg := range l.order {
		kind, key, _ := strings.Cut(agg, ":")
		values := make([]string, 0, len(l.groups[agg]))
		for v := range l.groups[agg] {
			values = append(values, v)
		}
		sort.Strings(values)
		for _, v := range values {
			if v != opencost.Unallocated && len(d.byTag[agg][v]) > 0 {
				continue
			}
			s := l.groups[agg][v]
			totals := map[string]float64{}
			l.workloadTotals([]*series{s}, nil, last, totals)
			g := UnclaimedCost{Kind: kind, Key: key, Value: v}
			for w, t := range totals {
				if claimed[w] || seen[w] || t < 0.005 {
					delete(totals, w)
					continue
				}
				seen[w] = true
				g.Cost += t
			}
			if len(totals) == 0 {
				continue
			}
			g.Namespaces = namespacesOf(totals)
			g.Workloads = topShares(totals, 3)
			h.Groups = append(h.Groups, g)
			h.Unclaimed += g.Cost
		}
	}
	sort.SliceStable(h.Groups, func(i, j int) bool { return h.Groups[i].Cost > h.Groups[j].Cost })
	for _, s := range d.untagged {
		h.Untagged = append(h.Untagged, s.Name)
	}
	h.Idle = l.Idle
	return h
}

// hygienePayload is the payload of the hygiene job: the scheduled time
// fixes the ISO week, so a retry on another day still counts as that week.
type hygienePayload struct {
	At time.Time `json:"at"`
}

// Hygiene report states (records of kind kindHygiene, one per ISO week).
const (
	hygieneSending = "sending"
	hygieneSent    = "sent"
	hygieneFailed  = "failed"
)

// hygienePost is what a hygiene report record keeps.
type hygienePost struct {
	Channel string         `json:"channel"`
	Ref     bot.MessageRef `json:"ref,omitzero"`
	Error   string         `json:"error,omitempty"`
}

// isoWeek renders t's ISO week, e.g. "2026-W22".
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// postHygiene posts the report to the platform channel when there is
// something to report, at most once per ISO week (of at, in the default
// time zone; now when at is zero) even across job retries and restarts: it
// claims the week by creating a record in state "sending", posts, then
// marks it "sent". A post that failed marks it "failed", which a retry may
// claim again; one left "sending" by a crash mid-post is not posted again,
// since it may have reached Slack.
func (c *Costs) postHygiene(ctx context.Context, at time.Time) error {
	if c.cfg.PlatformChannel == "" {
		c.log.Info("cost hygiene report skipped: no cost.platformChannel")
		return nil
	}
	m := c.messenger()
	if m == nil {
		return fmt.Errorf("cost hygiene: no messenger to post with")
	}
	h, err := c.Hygiene(ctx)
	if err != nil {
		var ue *UnavailableError
		if errors.As(err, &ue) {
			return c.outageNotice(ctx, ue)
		}
		return fmt.Errorf("cost hygiene: %w", err)
	}
	if len(h.Groups) == 0 && len(h.Untagged) == 0 {
		return nil
	}
	if at.IsZero() {
		at = c.now()
	}
	week := isoWeek(at.In(c.loc))
	channel := c.cfg.PlatformChannel
	claimed, err := c.claimHygiene(ctx, week, channel)
	if err != nil || !claimed {
		return err
	}
	if err := c.pacer.Wait(ctx, channel); err != nil {
		c.markHygiene(ctx, week, hygieneFailed, hygienePost{Channel: channel, Error: err.Error()})
		return fmt.Errorf("post cost hygiene to %s: %w", channel, err)
	}
	ref, err := m.Post(ctx, channel, c.hygieneMessage(h))
	if err != nil {
		c.markHygiene(ctx, week, hygieneFailed, hygienePost{Channel: channel, Error: err.Error()})
		return fmt.Errorf("post cost hygiene to %s: %w", channel, err)
	}
	c.markHygiene(ctx, week, hygieneSent, hygienePost{Channel: channel, Ref: ref})
	c.audit(ctx, store.Event{
		ActorID: "platbot", Action: "cost.hygiene", Target: channel, Outcome: "posted",
		Details: map[string]any{"week": week, "unclaimed": math.Round(h.Unclaimed*100) / 100, "groups": len(h.Groups), "untagged": len(h.Untagged)},
	})
	return nil
}

// claimHygiene takes the week's report for this run; false means it was
// already posted (or is being posted) and must not be posted again.
func (c *Costs) claimHygiene(ctx context.Context, week, channel string) (bool, error) {
	data, _ := json.Marshal(hygienePost{Channel: channel})
	created, err := c.deps.Store.PutRecord(ctx, store.Record{Kind: kindHygiene, ID: week, State: hygieneSending, Key: channel, Data: data})
	if err != nil {
		return false, fmt.Errorf("claim cost hygiene report %s: %w", week, err)
	}
	if created {
		return true, nil
	}
	rec, err := c.deps.Store.GetRecord(ctx, kindHygiene, week)
	if err != nil {
		return false, fmt.Errorf("read cost hygiene report %s: %w", week, err)
	}
	switch rec.State {
	case hygieneSent:
		c.log.Info("cost hygiene report already posted this week; not posting it again", "week", week)
		return false, nil
	case hygieneFailed:
		next := *rec
		next.State, next.Data = hygieneSending, data
		if _, err := c.deps.Store.UpdateRecord(ctx, next); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return false, nil // another run took it
			}
			return false, fmt.Errorf("reclaim cost hygiene report %s: %w", week, err)
		}
		return true, nil
	default:
		c.log.Warn("cost hygiene report was being posted when a run stopped; not posting it again", "week", week)
		return false, nil
	}
}

// markHygiene records how a claimed week's post went.
func (c *Costs) markHygiene(ctx context.Context, week, state string, p hygienePost) {
	ctx = context.WithoutCancel(ctx)
	rec, err := c.deps.Store.GetRecord(ctx, kindHygiene, week)
	if err == nil && rec.State == hygieneSending {
		next := *rec
		next.State = state
		next.Data, _ = json.Marshal(p)
		_, err = c.deps.Store.UpdateRecord(ctx, next)
	}
	if err != nil {
		c.log.Error("cost hygiene report state not saved", "week", week, "state", state, "err", err)
	}
}
