package catalog

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/platbot/platbot/bot"
)

// Roles every identity may hold.
const (
	// RoleAdmin is held by members of Config.AdminGroups.
	RoleAdmin = "admin"
	// RoleEngineer is held by every user found in the catalog.
	RoleEngineer = "engineer"
)

// Identify maps a chat user to the catalog: their User entity (by the
// slack.com/user-id annotation, else by the profile email matching
// spec.profile.email), their groups (spec.memberOf and groups listing them
// in spec.members, plus every parent, transitively), their manager and their
// roles. An unknown user gets an Identity with no UserRef and no roles, and
// no error. Orphaned users and groups count for nothing.
func (c *Catalog) Identify(_ context.Context, u bot.User) (*Identity, error) {
	s := c.snap.Load()
	id := &Identity{SlackID: u.ID, Name: u.Name, Email: u.Email}
	user := s.userFor(u)
	if user == nil {
		return id, nil
	}
	ref := user.Ref()
	id.UserRef = ref
	if n := profileString(user, "displayName"); n != "" {
		id.Name = n
	} else if user.Metadata.Title != "" {
		id.Name = user.Metadata.Title
	} else if id.Name == "" {
		id.Name = user.Metadata.Name
	}
	if m := profileString(user, "email"); m != "" {
		id.Email = m
	}

	id.DirectGroups = s.directGroups(user)
	id.Groups = s.ancestors(id.DirectGroups)

	id.Manager = c.managerFor(s, user, id.Groups)
	id.Manages = append([]string(nil), s.manages[ref]...)
	sort.Strings(id.Manages)
	id.Roles = c.rolesFor(id.Groups)
	return id, nil
}

// directGroups returns a user's live direct groups: spec.memberOf in its
// order (the first is the primary team), then groups that list the user
// in spec.members.
func (s *snapshot) directGroups(user *Entity) []string {
	var out []string
	for _, g := range specRefs(user, refField{field: "memberOf", kind: KindGroup, list: true}) {
		if s.liveKind(g, KindGroup) {
			out = appendStringOnce(out, g)
		}
	}
	for _, r := range user.Relations {
		if r.Type == RelationMemberOf && s.liveKind(r.TargetRef, KindGroup) {
			out = appendStringOnce(out, r.TargetRef)
		}
	}
	return out
}

// rolesFor returns the roles of a user in the groups (with their
// parents): admin first when held, engineer, then configured roles sorted.
func (c *Catalog) rolesFor(groups []string) []string {
	roles := []string{RoleEngineer}
	for _, g := range groups {
		if slices.Contains(c.cfg.AdminGroups, g) {
			roles = append([]string{RoleAdmin}, roles...)
			break
		}
	}
	var extra []string
	for role, gs := range c.cfg.Roles {
		if role == RoleAdmin || role == RoleEngineer {
			continue
		}
		for _, g := range groups {
			if slices.Contains(gs, g) {
				extra = append(extra, role)
				break
			}
		}
	}
	sort.Strings(extra)
	return append(roles, extra...)
}

// userFor finds the live User entity of a chat user; an ambiguous match
// (two users with the same Slack id or email) matches nobody.
func (s *snapshot) userFor(u bot.User) *Entity {
	if u.ID != "" {
		if us := s.bySlack[u.ID]; len(us) == 1 {
			return us[0]
		} else if len(us) > 1 {
			return nil
		}
	}
	if u.Email != "" {
		if us := s.byEmail[strings.ToLower(u.Email)]; len(us) == 1 {
			return us[0]
		}
	}
	return nil
}

func (s *snapshot) liveKind(ref, kind string) bool {
	e := s.all[ref]
	return e != nil && !e.Orphan && e.Kind == kind
}

// ancestors returns the groups and all their parents, breadth first, each once.
func (s *snapshot) ancestors(groups []string) []string {
	out := append([]string(nil), groups...)
	seen := map[string]bool{}
	for _, g := range out {
		seen[g] = true
	}
	for i := 0; i < len(out); i++ {
		for _, p := range s.parents[out[i]] {
			if !seen[p] && s.liveKind(p, KindGroup) {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// managerFor looks the user's manager up in the order Config.ManagerFrom
// gives; the user is never their own manager.
func (c *Catalog) managerFor(s *snapshot, user *Entity, groups []string) string {
	self := user.Ref()
	for _, from := range c.cfg.ManagerFrom {
		switch from {
		case ManagerFromUser:
			if m := user.Annotation(AnnotationManager); m != "" {
				if ref := NormalizeRef(m, KindUser, namespaceOf(user)); ref != self && s.liveKind(ref, KindUser) {
					return ref
				}
			}
		case ManagerFromGroup:
			for _, g := range groups {
				if m := s.managers[g]; m != "" && m != self && s.liveKind(m, KindUser) {
					return m
				}
			}
		}
	}
	return ""
}

// ManagerOf returns the user ref of a group's manager: its
// platbot.dev/manager annotation, else the nearest parent's ("" when none).
func (c *Catalog) ManagerOf(groupRef string) string {
	s := c.snap.Load()
	for _, g := range s.ancestors([]string{NormalizeRef(groupRef, KindGroup, DefaultNamespace)}) {
		if m := s.managers[g]; m != "" && s.liveKind(m, KindUser) {
			return m
		}
	}
	return ""
}

// AdminGroups returns the refs of the groups whose members are admins.
func (c *Catalog) AdminGroups() []string { return append([]string(nil), c.cfg.AdminGroups...) }

// SlackID returns the Slack user id of a catalog user ("" when unknown).
func (c *Catalog) SlackID(userRef string) string {
	if e, ok := c.Lookup(userRef, KindUser); ok {
		return e.Annotation(AnnotationSlackUserID)
	}
	return ""
}

// Mention renders an entity ref for chat: a Slack mention for a user with
// a Slack id, the channel of a group with slack.com/channel, else the ref.
func (c *Catalog) Mention(ref string) string {
	e, ok := c.Lookup(ref, KindUser)
	if !ok {
		return ref
	}
	switch e.Kind {
	case KindUser:
		if id := e.Annotation(AnnotationSlackUserID); id != "" {
			return "<@" + id + ">"
		}
	case KindGroup:
		if ch := e.Annotation(AnnotationSlackChannel); ch != "" {
			return e.Ref() + " (" + ch + ")"
		}
	}
	return e.Ref()
}
