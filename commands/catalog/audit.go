package catalog

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/platbot/platbot/store"
)

// Auditor writes audit events; the store satisfies it.
type Auditor interface {
	Audit(ctx context.Context, e store.Event) error
}

// WithAuditor sets where a refresh records the changes of identity and
// authority it sees (see auditIdentity). Without one nothing is recorded.
func WithAuditor(a Auditor) Option { return func(c *Catalog) { c.audit = a } }

// Audit actions of the catalog.
const (
	// AuditIdentity is one change of identity or authority a refresh saw;
	// the event's Outcome names the change (Change* constants).
	AuditIdentity = "catalog.identity"
	// AuditIdentityBaseline records who holds which role when the catalog
	// is first loaded (no earlier state to compare with).
	AuditIdentityBaseline = "catalog.identity.baseline"
)

// Changes of identity and authority, the Outcome of an AuditIdentity event.
const (
	ChangeGroupAdded     = "group-added"      // a user became a direct member of a group
	ChangeGroupRemoved   = "group-removed"    // a user stopped being one
	ChangeParentAdded    = "parent-added"     // a group got a parent group
	ChangeParentRemoved  = "parent-removed"   // a group lost one
	ChangeRoleGranted    = "role-granted"     // a user now holds a role (admin, say)
	ChangeRoleRevoked    = "role-revoked"     // a user no longer does
	ChangeSlackIDChanged = "slack-id-changed" // a user's slack.com/user-id changed
	ChangeManagerChanged = "manager-changed"  // a user's or group's platbot.dev/manager changed
)

// auditActor is the ActorID of the catalog's own events.
const auditActor = "platbot"

// identityState is what confers identity and authority in a snapshot.
type identityState struct {
	groups   map[string][]string // user ref → direct groups, sorted
	roles    map[string][]string // user ref → roles, sorted
	slack    map[string]string   // user ref → slack.com/user-id
	managers map[string]string   // user or group ref → platbot.dev/manager ref
	parents  map[string][]string // group ref → live parent groups, sorted
	source   map[string]string   // ref → file:line of the entity
}

func (c *Catalog) identityState(s *snapshot) identityState {
	st := identityState{
		groups: map[string][]string{}, roles: map[string][]string{}, slack: map[string]string{},
		managers: map[string]string{}, parents: map[string][]string{}, source: map[string]string{},
	}
	for _, g := range s.byKind[KindGroup] {
		ref := g.Ref()
		st.source[ref] = g.Source.String()
		var ps []string
		for _, p := range s.parents[ref] {
			if s.liveKind(p, KindGroup) {
				ps = appendStringOnce(ps, p)
			}
		}
		sort.Strings(ps)
		st.parents[ref] = ps
		if m := g.Annotation(AnnotationManager); m != "" {
			st.managers[ref] = NormalizeRef(m, KindUser, namespaceOf(g))
		}
	}
	for _, u := range s.byKind[KindUser] {
		ref := u.Ref()
		st.source[ref] = u.Source.String()
		direct := s.directGroups(u)
		st.roles[ref] = c.rolesFor(s.ancestors(direct))
		sort.Strings(st.roles[ref])
		sort.Strings(direct)
		st.groups[ref] = direct
		if id := u.Annotation(AnnotationSlackUserID); id != "" {
			st.slack[ref] = id
		}
		if m := u.Annotation(AnnotationManager); m != "" {
			st.managers[ref] = NormalizeRef(m, KindUser, namespaceOf(u))
		}
	}
	return st
}

// identityChanges lists the changes of identity and authority from prev
// to next as audit events, in a stable order.
func (c *Catalog) identityChanges(prev, next *snapshot) []store.Event {
	a, b := c.identityState(prev), c.identityState(next)
	now := c.now()
	var out []store.Event
	ev := func(target, change string, details map[string]any) {
		src := b.source[target]
		if src == "" {
			src = a.source[target]
		}
		if src != "" {
			details["source"] = src
		}
		out = append(out, store.Event{Time: now, ActorID: auditActor, Action: AuditIdentity, Target: target, Outcome: change, Details: details})
	}
	setDiff := func(target, key, added, removed string, from, to []string) {
		for _, x := range to {
			if !slices.Contains(from, x) {
				ev(target, added, map[string]any{key: x})
			}
		}
		for _, x := range from {
			if !slices.Contains(to, x) {
				ev(target, removed, map[string]any{key: x})
			}
		}
	}
	for _, u := range unionKeys(a.groups, b.groups) {
		setDiff(u, "group", ChangeGroupAdded, ChangeGroupRemoved, a.groups[u], b.groups[u])
		setDiff(u, "role", ChangeRoleGranted, ChangeRoleRevoked, a.roles[u], b.roles[u])
		if a.slack[u] != b.slack[u] {
			ev(u, ChangeSlackIDChanged, map[string]any{"from": a.slack[u], "to": b.slack[u]})
		}
	}
	for _, g := range unionKeys(a.parents, b.parents) {
		setDiff(g, "parent", ChangeParentAdded, ChangeParentRemoved, a.parents[g], b.parents[g])
	}
	for _, r := range unionKeys(a.managers, b.managers) {
		if a.managers[r] != b.managers[r] {
			ev(r, ChangeManagerChanged, map[string]any{"from": a.managers[r], "to": b.managers[r]})
		}
	}
	return out
}

// auditIdentity records the changes of identity and authority between the
// served state and the refreshed one, before the refreshed one is served:
// when they cannot all be recorded, the refresh fails and the last good
// state stays (the next refresh records them again). The first load, with
// nothing to compare with, records one baseline event instead.
func (c *Catalog) auditIdentity(ctx context.Context, prev, next *snapshot) (int, error) {
	if c.audit == nil {
		return 0, nil
	}
	var events []store.Event
	if prev.refreshed.IsZero() && len(prev.all) == 0 {
		st := c.identityState(next)
		var admins []string
		for u, roles := range st.roles {
			if slices.Contains(roles, RoleAdmin) {
				admins = append(admins, u)
			}
		}
		sort.Strings(admins)
		events = append(events, store.Event{Time: c.now(), ActorID: auditActor, Action: AuditIdentityBaseline, Outcome: "ok",
			Details: map[string]any{"users": len(st.groups), "groups": len(st.parents), "admins": admins, "admin_groups": c.cfg.AdminGroups}})
	} else {
		events = c.identityChanges(prev, next)
	}
	for i, e := range events {
		if err := c.audit.Audit(ctx, e); err != nil {
			return i, fmt.Errorf("audit %d changes of identity and authority (%d recorded): %w", len(events), i, err)
		}
	}
	return len(events), nil
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
