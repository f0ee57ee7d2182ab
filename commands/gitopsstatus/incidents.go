package gitopsstatus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/argocd"
	"github.com/platbot/platbot/store"
)

// KindIncident is the record kind of incidents, one record per service
// and environment (id "<service>/<environment>"), reused by the next
// incident once one is resolved.
const KindIncident = "argocd.incident"

// Incident states.
const (
	// statePending: seen Degraded or OutOfSync, within the grace; nothing
	// posted. Recovering deletes the record.
	statePending = "pending"
	// stateOpen: claimed for posting (Message zero while the post is under
	// way) or posted.
	stateOpen = "open"
	// stateResolved: healthy again; the resolution was posted in the thread.
	stateResolved = "resolved"
)

// postLease is how long a claimed post may be under way before another
// check takes it over (the process that claimed it died mid-post).
const postLease = 2 * time.Minute

// incident is what is kept of one incident.
type incident struct {
	Service     string `json:"service"`
	Ref         string `json:"ref"`
	Environment string `json:"environment"`
	Team        string `json:"team,omitempty"`
	Channel     string `json:"channel,omitempty"`
	// Since is when the environment was first seen Degraded or OutOfSync.
	Since   time.Time `json:"since"`
	Problem string    `json:"problem"`
	// App is the Application (context/namespace/name) and URL its Argo CD page.
	App      string `json:"app"`
	URL      string `json:"url,omitempty"`
	Revision string `json:"revision,omitempty"`
	// ClaimedAt is when a check claimed the notice (or the resolution).
	ClaimedAt time.Time `json:"claimed_at,omitzero"`
	// Message is the posted notice: its thread holds the resolution.
	Message bot.MessageRef `json:"message"`
	// Nowhere is set when the notice had nowhere to go (no channel, no
	// messenger): it is not retried, and its end is not posted.
	Nowhere    bool      `json:"nowhere,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

func (f *Feature) incidents() store.Typed[incident] {
	return store.RecordsOf[incident](f.d.Store, KindIncident)
}

func incidentID(service, env string) string { return service + "/" + env }

// Check looks at every production environment of every catalog component:
// one Degraded or OutOfSync for the grace or longer is posted to the owning
// team's channel once; one healthy again gets the resolution in the
// notice's thread. Nothing is judged before the watcher has listed every
// control plane. Concurrent checks (a second replica) post once: every
// step is a compare-and-swap on the incident's record.
func (f *Feature) Check(ctx context.Context) error {
	if !f.d.Live.HasSynced() {
		return nil
	}
	f.checkMu.Lock()
	defer f.checkMu.Unlock()
	f.liveChanged(ctx)
	now := f.now()
	seen := map[string]bool{}
	var errs []error
	for _, e := range f.d.Catalog.List(catalog.KindComponent) {
		for _, s := range f.d.Live.Statuses(e.Metadata.Name) {
			if !f.production(e, s) {
				continue
			}
			id := incidentID(e.Metadata.Name, s.Environment)
			seen[id] = true
			if err := f.track(ctx, e, s, now); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
			}
		}
	}
	// An Application that went away (or a service that left the catalog)
	// ends its incident.
	open, err := f.incidents().List(ctx, store.Query{States: []string{statePending, stateOpen}})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list incidents: %w", err))...)
	}
	for i := range open {
		if !seen[open[i].ID] {
			if err := f.recover(ctx, &open[i], nil, now); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", open[i].ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// track moves one environment's incident along.
func (f *Feature) track(ctx context.Context, e *catalog.Entity, s argocd.Status, now time.Time) error {
	id := incidentID(e.Metadata.Name, s.Environment)
	it, err := f.incidents().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		it, err = nil, nil
	}
	if err != nil {
		return err
	}
	if !s.Degraded() {
		if it == nil {
			return nil
		}
		return f.recover(ctx, it, &s, now)
	}
	switch {
	case it == nil || it.State == stateResolved:
		// A new incident: the grace starts now.
		_, err := f.incidents().Modify(ctx, id, func(cur *store.Item[incident], exists bool) error {
			if exists && cur.State != stateResolved {
				return store.ErrNoChange // another check got here first
			}
			cur.State, cur.Owner, cur.Key = statePending, e.Owner(), e.Ref()
			cur.Value = f.describe(e, s, now)
			return nil
		})
		return err
	case it.State == statePending && now.Sub(it.Value.Since) >= f.grace:
		return f.notify(ctx, it, e, s, now)
	case it.State == stateOpen && it.Value.Message.Zero() && !it.Value.Nowhere && now.Sub(it.Value.ClaimedAt) >= postLease:
		// The check that claimed the notice died before it was recorded.
		return f.notify(ctx, it, e, s, now)
	}
	return nil
}

// describe fills an incident from the entity and the live status.
func (f *Feature) describe(e *catalog.Entity, s argocd.Status, since time.Time) incident {
	return incident{
		Service: e.Metadata.Name, Ref: e.Ref(), Environment: s.Environment, Team: e.Owner(),
		Channel: f.teamChannel(e), Since: since, Problem: s.Problem(),
		App: s.Context + "/" + s.Namespace + "/" + s.Name, URL: s.URL, Revision: s.ShortRevision(),
	}
}

// notify claims the incident's notice and posts it.
func (f *Feature) notify(ctx context.Context, it *store.Item[incident], e *catalog.Entity, s argocd.Status, now time.Time) error {
	claimed := *it
	since := it.Value.Since
	claimed.State = stateOpen
	claimed.Value = f.describe(e, s, since)
	claimed.Value.ClaimedAt = now
	saved, err := f.incidents().Update(ctx, &claimed)
	if errors.Is(err, store.ErrConflict) {
		return nil // another check claimed it
	}
	if err != nil {
		return fmt.Errorf("claim the notice: %w", err)
	}
	inc := saved.Value
	m := f.messenger()
	if inc.Channel == "" || m == nil {
		f.log.Warn("argocd: a production environment is unhealthy but its team has no channel: set slack.com/channel on the team or argocd.channel",
			"service", inc.Ref, "environment", inc.Environment, "team", inc.Team)
		saved.Value.Nowhere = true
		if _, err := f.incidents().Update(ctx, saved); err != nil {
			return fmt.Errorf("record the unposted notice: %w", err)
		}
		return nil
	}
	ref, err := m.Post(ctx, inc.Channel, noticeMessage(inc, now))
	if err != nil {
		// Back to pending (the grace long passed), so the next check posts it.
		back := *saved
		back.State = statePending
		back.Value.ClaimedAt = time.Time{}
		if _, rerr := f.incidents().Update(ctx, &back); rerr != nil {
			f.log.Error("argocd: notice not posted and its incident not reset; it is retried after the post lease", "incident", it.ID, "err", rerr)
		}
		return fmt.Errorf("post the notice to %s: %w", inc.Channel, err)
	}
	saved.Value.Message = ref
	if _, err := f.incidents().Update(ctx, saved); err != nil {
		f.log.Error("argocd: notice posted but not recorded", "incident", it.ID, "err", err)
	}
	f.audit(ctx, inc, "posted", now)
	return nil
}

// audit records a notice or a resolution in the audit log.
func (f *Feature) audit(ctx context.Context, inc incident, outcome string, now time.Time) {
	f.mu.Lock()
	r := f.router
	f.mu.Unlock()
	if r == nil {
		return
	}
	r.Audit(ctx, store.Event{
		ActorID: "platbot", Action: "argocd.incident", Target: inc.Ref, Outcome: outcome,
		Details: map[string]any{
			"environment": inc.Environment, "problem": inc.Problem, "application": inc.App,
			"channel": inc.Channel, "since": inc.Since.UTC().Format(time.RFC3339), "minutes": int(now.Sub(inc.Since) / time.Minute),
		},
	})
}

// recover ends an incident: a pending one is forgotten, an open one gets
// its resolution posted in the notice's thread. s is the healthy status,
// nil when the Application is no longer watched.
func (f *Feature) recover(ctx context.Context, it *store.Item[incident], s *argocd.Status, now time.Time) error {
	switch {
	case it.State == statePending:
		return f.incidents().Delete(ctx, it.ID)
	case it.State != stateOpen:
		return nil
	case it.Value.Message.Zero() && !it.Value.Nowhere && now.Sub(it.Value.ClaimedAt) < postLease:
		return nil // its notice is being posted: resolve it at the next check
	}
	resolved, err := f.incidents().Transition(ctx, it.ID, []string{stateOpen}, stateResolved, func(cur *store.Item[incident]) error {
		if cur.Version != it.Version {
			return store.ErrConflict
		}
		cur.Value.ResolvedAt = now
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return nil // another check resolved it, or it changed meanwhile
	}
	if err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	inc := resolved.Value
	if inc.Message.Zero() {
		return nil // nothing was posted, so nothing to resolve in chat
	}
	m := f.messenger()
	if m == nil {
		return nil
	}
	msg := resolvedMessage(inc, s, now)
	msg.ThreadTS = inc.Message.TS
	if _, err := m.Post(ctx, inc.Message.Channel, msg); err != nil {
		back := *resolved
		back.State = stateOpen
		back.Value.ResolvedAt = time.Time{}
		if _, rerr := f.incidents().Update(ctx, &back); rerr != nil {
			f.log.Error("argocd: resolution not posted and its incident not reopened", "incident", it.ID, "err", rerr)
		}
		return fmt.Errorf("post the resolution to %s: %w", inc.Message.Channel, err)
	}
	f.audit(ctx, inc, "resolved", now)
	return nil
}
