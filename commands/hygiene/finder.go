package hygiene

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// Finding kinds.
const (
	// KindOrphan is an entity marked orphaned (backstage.io/orphan) or one
	// that vanished from its location.
	KindOrphan = "orphan"
	// KindUnresolvedOwner is an entity whose spec.owner names no Group or
	// User in the catalog.
	KindUnresolvedOwner = "unresolved-owner"
	// KindOwnerLeft is an entity whose owner left: a User whose Slack
	// account is deactivated or who vanished from the organisation source,
	// or a Group with no remaining members.
	KindOwnerLeft = "owner-left"
	// KindNoDeploy is a Component with no deploy for Rules.NoDeployAfter.
	KindNoDeploy = "no-deploy"
	// KindConventions is a Component missing required conventions.
	KindConventions = "missing-conventions"
	// KindDeprecatedInUse is a deprecated Component still receiving
	// traffic or cost.
	KindDeprecatedInUse = "deprecated-in-use"
)

// Kinds are the finding kinds, in the order a report shows them.
var Kinds = []string{KindOrphan, KindUnresolvedOwner, KindOwnerLeft, KindNoDeploy, KindDeprecatedInUse, KindConventions}

// AnnotationOrphan is Backstage's mark of an orphaned entity.
const AnnotationOrphan = "backstage.io/orphan"

// ownedKinds are the kinds whose owner, deploys and conventions are checked.
var ownedKinds = map[string]bool{catalog.KindComponent: true, catalog.KindAPI: true, catalog.KindResource: true, catalog.KindSystem: true}

// Finding is one thing the hygiene scan found about one entity.
type Finding struct {
	// ID is stable for the same kind and entity across scans: snoozes and
	// decisions are keyed by it.
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Entity string `json:"entity"` // the entity's ref
	// EntityKind is the entity's kind ("Component").
	EntityKind string `json:"entity_kind"`
	Name       string `json:"name"`
	// Owner is spec.owner as a ref ("" when unset).
	Owner string `json:"owner,omitempty"`
	// Team is the Group to tell ("" when none resolves: the platform
	// channel only).
	Team string `json:"team,omitempty"`
	// Why says what was found, in a sentence.
	Why string `json:"why"`
	// Since is when the condition started, when the facts say (a last
	// deploy); zero otherwise (the feature shows when it first saw it).
	Since time.Time `json:"since,omitzero"`
	// Missing are the missing conventions (KindConventions).
	Missing []string `json:"missing,omitempty"`
	// Source is where the entity is defined.
	Source catalog.Source `json:"source"`
	// Lifecycle is spec.lifecycle.
	Lifecycle string `json:"lifecycle,omitempty"`
}

// FindingID is the stable id of a finding of kind about the entity ref.
func FindingID(kind, ref string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + ref))
	return "hf-" + hex.EncodeToString(sum[:6])
}

// Deploy is what is known of an entity's last deploy.
type Deploy struct {
	// Known is false when no source could say (an error, no deploy source
	// for it): an unknown is never "no deploy".
	Known bool
	At    time.Time
}

// Usage is what is known of an entity's traffic and cost (last 30 days).
type Usage struct {
	Requests      float64
	RequestsKnown bool
	Cost          float64
	CostKnown     bool
	Currency      string
}

// Input are the catalog and the facts one scan looks at. Facts absent
// from the maps are unknown.
type Input struct {
	Now time.Time
	// Entities are the live entities and the orphans.
	Entities []*catalog.Entity
	// Locations is how the last refresh went per location; entities of a
	// failed location are never flagged.
	Locations []catalog.LocationStatus
	// Deactivated maps User refs to whether their Slack account is
	// deactivated (users.info deleted: true); absent: unknown.
	Deactivated map[string]bool
	// Deploys maps Component refs to their last deploy.
	Deploys map[string]Deploy
	// Usage maps deprecated Component refs to their traffic and cost.
	Usage map[string]Usage
}

// Rules are what the scan checks.
type Rules struct {
	// NoDeployAfter is how long without a deploy flags a Component.
	NoDeployAfter time.Duration
	// RequiredAnnotations must all be set on a Component.
	RequiredAnnotations []string
	// OnCallAnnotations: at least one must be set on a Component.
	OnCallAnnotations []string
}

// Skipped is a location whose entities were not looked at.
type Skipped struct {
	Location string `json:"location"`
	Error    string `json:"error"`
	Entities int    `json:"entities"`
}

// Report is a scan's outcome.
type Report struct {
	Findings []Finding `json:"findings"`
	Skipped  []Skipped `json:"skipped,omitempty"`
	// Scanned is how many entities were looked at.
	Scanned int `json:"scanned"`
	// TeamScanned is how many of them each team (Finding.Team) owns.
	TeamScanned map[string]int `json:"team_scanned,omitempty"`
}

// Find is the hygiene scan: pure, over the catalog and the facts in in.
// Findings are sorted by kind (Kinds order), then entity ref.
func Find(in Input, r Rules) Report {
	failed := map[string]catalog.LocationStatus{}
	for _, l := range in.Locations {
		if l.Failed {
			failed[l.Location] = l
		}
	}
	byRef := make(map[string]*catalog.Entity, len(in.Entities))
	refs := make([]string, len(in.Entities))
	for i, e := range in.Entities {
		refs[i] = e.Ref()
		byRef[refs[i]] = e
	}
	s := &scan{in: in, r: r, byRef: byRef, failed: failed}
	s.indexGroups()

	// Most entities are clean; a catalog in poor shape has about one
	// finding per few entities.
	rep := Report{Findings: make([]Finding, 0, len(in.Entities)/4), TeamScanned: map[string]int{}}
	skipped := map[string]int{}
	for i, e := range in.Entities {
		if _, bad := failed[e.Source.Location]; bad {
			skipped[e.Source.Location]++
			continue
		}
		rep.Scanned++
		if team := s.entity(e, refs[i], &rep); team != "" {
			rep.TeamScanned[team]++
		}
	}
	for loc, n := range skipped {
		rep.Skipped = append(rep.Skipped, Skipped{Location: loc, Error: failed[loc].Error, Entities: n})
	}
	for _, l := range in.Locations {
		if _, counted := skipped[l.Location]; l.Failed && !counted {
			rep.Skipped = append(rep.Skipped, Skipped{Location: l.Location, Error: l.Error})
		}
	}
	sort.Slice(rep.Skipped, func(i, j int) bool { return rep.Skipped[i].Location < rep.Skipped[j].Location })
	// Kind order, then ref order: a stable pass by kind keeps the entity
	// order within each kind, which is then sorted (already nearly so: the
	// catalog lists entities by ref).
	order := map[string]int{}
	for i, k := range Kinds {
		order[k] = i
	}
	buckets := make([][]int, len(Kinds))
	for i := range rep.Findings {
		k := order[rep.Findings[i].Kind]
		buckets[k] = append(buckets[k], i)
	}
	sorted := make([]Finding, 0, len(rep.Findings))
	for _, b := range buckets {
		slices.SortStableFunc(b, func(x, y int) int { return strings.Compare(rep.Findings[x].Entity, rep.Findings[y].Entity) })
		for _, i := range b {
			sorted = append(sorted, rep.Findings[i])
		}
	}
	rep.Findings = sorted
	return rep
}

type scan struct {
	in     Input
	r      Rules
	byRef  map[string]*catalog.Entity
	failed map[string]catalog.LocationStatus
	// active counts each group's live, active members, sub-groups' included
	// (computed once).
	active map[string]int
}

// indexGroups counts each Group's remaining members: live Users whose
// Slack account is not known to be deactivated, in the group or any of
// its sub-groups. A member whose location failed counts as remaining.
func (s *scan) indexGroups() {
	direct := map[string]int{}
	children := map[string][]string{}
	for _, e := range s.in.Entities {
		switch e.Kind {
		case catalog.KindUser:
			if e.Orphan && !s.failedAt(e) {
				continue
			}
			if s.in.Deactivated[e.Ref()] && !s.failedAt(e) {
				continue
			}
			for _, g := range e.SpecStrings("memberOf") {
				direct[catalog.NormalizeRef(g, catalog.KindGroup, e.Metadata.Namespace)]++
			}
		case catalog.KindGroup:
			if e.Orphan {
				continue
			}
			for _, m := range e.SpecStrings("members") {
				ref := catalog.NormalizeRef(m, catalog.KindUser, e.Metadata.Namespace)
				u := s.byRef[ref]
				// Counted once: through the member's memberOf when it
				// names this group too.
				if u == nil || (u.Orphan && !s.failedAt(u)) || (s.in.Deactivated[ref] && !s.failedAt(u)) || memberOf(u, e.Ref()) {
					continue
				}
				direct[e.Ref()]++
			}
			if p := e.SpecString("parent"); p != "" {
				pr := catalog.NormalizeRef(p, catalog.KindGroup, e.Metadata.Namespace)
				children[pr] = append(children[pr], e.Ref())
			}
		}
	}
	s.active = map[string]int{}
	var count func(g string, seen map[string]bool) int
	count = func(g string, seen map[string]bool) int {
		if n, ok := s.active[g]; ok {
			return n
		}
		if seen[g] {
			return 0 // a cycle of parents: counted where it started
		}
		seen[g] = true
		n := direct[g]
		for _, c := range children[g] {
			n += count(c, seen)
		}
		s.active[g] = n
		return n
	}
	for _, e := range s.in.Entities {
		if e.Kind == catalog.KindGroup {
			count(e.Ref(), map[string]bool{})
		}
	}
}

func memberOf(u *catalog.Entity, group string) bool {
	for _, g := range u.SpecStrings("memberOf") {
		if catalog.NormalizeRef(g, catalog.KindGroup, u.Metadata.Namespace) == group {
			return true
		}
	}
	return false
}

func (s *scan) failedAt(e *catalog.Entity) bool {
	_, bad := s.failed[e.Source.Location]
	return bad
}

func (s *scan) add(rep *Report, e *catalog.Entity, ref, owner, kind, why string, since time.Time, team string) *Finding {
	rep.Findings = append(rep.Findings, Finding{
		ID: FindingID(kind, ref), Kind: kind, Entity: ref, EntityKind: e.Kind, Name: e.Metadata.Name,
		Owner: owner, Team: team, Why: why, Since: since, Source: e.Source, Lifecycle: e.Lifecycle(),
	})
	return &rep.Findings[len(rep.Findings)-1]
}

// team is the Group to tell about e: its owner when that is a live Group,
// the owning User's first group otherwise ("" when none).
func (s *scan) team(owner string) string {
	o := s.byRef[owner]
	if o == nil {
		return ""
	}
	switch o.Kind {
	case catalog.KindGroup:
		if !o.Orphan {
			return o.Ref()
		}
	case catalog.KindUser:
		for _, g := range o.SpecStrings("memberOf") {
			ref := catalog.NormalizeRef(g, catalog.KindGroup, o.Metadata.Namespace)
			if grp := s.byRef[ref]; grp != nil && !grp.Orphan {
				return ref
			}
		}
	}
	return ""
}

// entity checks one entity and returns its team ("" when none).
func (s *scan) entity(e *catalog.Entity, ref string, rep *Report) string {
	team, owner := "", ""
	if ownedKinds[e.Kind] {
		owner = e.Owner()
		team = s.team(owner)
	}
	add := func(kind, why string, since time.Time) *Finding {
		return s.add(rep, e, ref, owner, kind, why, since, team)
	}
	switch {
	case e.Orphan:
		add(KindOrphan, fmt.Sprintf("no longer found in %s (last seen in %s)", e.Source.Location, e.Source), time.Time{})
	case strings.EqualFold(e.Annotation(AnnotationOrphan), "true"):
		add(KindOrphan, "annotated "+AnnotationOrphan+": \"true\"", time.Time{})
	}
	if e.Orphan || !ownedKinds[e.Kind] {
		return team
	}
	s.owner(owner, add)
	if e.Kind != catalog.KindComponent {
		return team
	}
	if d, ok := s.in.Deploys[ref]; ok && d.Known && !d.At.IsZero() && s.r.NoDeployAfter > 0 && s.in.Now.Sub(d.At) >= s.r.NoDeployAfter {
		add(KindNoDeploy, fmt.Sprintf("last deployed %s, %d days ago", d.At.UTC().Format("2006-01-02"), int(s.in.Now.Sub(d.At).Hours()/24)), d.At)
	}
	if strings.EqualFold(e.Lifecycle(), "deprecated") {
		if u, ok := s.in.Usage[ref]; ok {
			var parts []string
			if u.RequestsKnown && u.Requests > 0 {
				parts = append(parts, plural(int(math.Round(u.Requests)), "request", "requests"))
			}
			if u.CostKnown && u.Cost > 0 {
				parts = append(parts, bot.Money(u.Currency, u.Cost)+" of cost")
			}
			if len(parts) > 0 {
				add(KindDeprecatedInUse, "deprecated, but "+strings.Join(parts, " and ")+" in the last 30 days", time.Time{})
			}
		}
	}
	if missing := s.conventions(e, owner); len(missing) > 0 {
		f := add(KindConventions, "missing "+strings.Join(missing, ", "), time.Time{})
		f.Missing = missing
	}
	return team
}

// plural renders a count with its noun: "1 finding", "2 findings"; counts
// of 1,000 and more get separators.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return bot.Thousands(int64(n)) + " " + many
}

// owner flags an owner that does not resolve, or that left.
func (s *scan) owner(ref string, add func(kind, why string, since time.Time) *Finding) {
	if ref == "" {
		return // a missing owner is a convention
	}
	o := s.byRef[ref]
	if o != nil && s.failedAt(o) {
		return // the owner's own location failed: nothing is known
	}
	switch {
	case o == nil:
		add(KindUnresolvedOwner, fmt.Sprintf("spec.owner %s is not in the catalog", ref), time.Time{})
	case o.Kind != catalog.KindGroup && o.Kind != catalog.KindUser:
		add(KindUnresolvedOwner, fmt.Sprintf("spec.owner %s is a %s, not a Group or User", ref, o.Kind), time.Time{})
	case o.Orphan && o.Kind == catalog.KindUser:
		add(KindOwnerLeft, fmt.Sprintf("owner %s vanished from the organisation source", ref), time.Time{})
	case o.Orphan:
		add(KindOwnerLeft, fmt.Sprintf("owning group %s vanished from the organisation source", ref), time.Time{})
	case o.Kind == catalog.KindUser && s.in.Deactivated[ref]:
		add(KindOwnerLeft, fmt.Sprintf("owner %s has a deactivated Slack account", ref), time.Time{})
	case o.Kind == catalog.KindGroup && s.active[ref] == 0:
		add(KindOwnerLeft, fmt.Sprintf("owning group %s has no remaining members", ref), time.Time{})
	}
}

// conventions lists what a Component is missing.
func (s *scan) conventions(e *catalog.Entity, owner string) []string {
	var missing []string
	if owner == "" {
		missing = append(missing, "spec.owner")
	}
	if e.Lifecycle() == "" {
		missing = append(missing, "spec.lifecycle")
	}
	if e.SpecString("system") == "" {
		missing = append(missing, "spec.system")
	}
	for _, a := range s.r.RequiredAnnotations {
		if strings.TrimSpace(e.Annotation(a)) == "" {
			missing = append(missing, a)
		}
	}
	if len(s.r.OnCallAnnotations) > 0 {
		// On the entity, or on its owner (as service cards read it).
		o := s.byRef[owner]
		ok := false
		for _, a := range s.r.OnCallAnnotations {
			ok = ok || strings.TrimSpace(e.Annotation(a)) != "" || (o != nil && !o.Orphan && strings.TrimSpace(o.Annotation(a)) != "")
		}
		if !ok {
			missing = append(missing, "an on-call annotation ("+strings.Join(s.r.OnCallAnnotations, " or ")+")")
		}
	}
	return missing
}
