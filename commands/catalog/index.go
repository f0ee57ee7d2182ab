package catalog

import (
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Relation types, as Backstage names them.
const (
	RelationOwnedBy       = "ownedBy"
	RelationOwnerOf       = "ownerOf"
	RelationPartOf        = "partOf"
	RelationHasPart       = "hasPart"
	RelationProvidesAPI   = "providesApi"
	RelationAPIProvidedBy = "apiProvidedBy"
	RelationConsumesAPI   = "consumesApi"
	RelationAPIConsumedBy = "apiConsumedBy"
	RelationDependsOn     = "dependsOn"
	RelationDependencyOf  = "dependencyOf"
	RelationChildOf       = "childOf"
	RelationParentOf      = "parentOf"
	RelationMemberOf      = "memberOf"
	RelationHasMember     = "hasMember"
)

// relationTypes maps a ref field to its relation and the inverse one.
var relationTypes = map[string][2]string{
	"owner":          {RelationOwnedBy, RelationOwnerOf},
	"system":         {RelationPartOf, RelationHasPart},
	"domain":         {RelationPartOf, RelationHasPart},
	"subdomainOf":    {RelationPartOf, RelationHasPart},
	"subcomponentOf": {RelationPartOf, RelationHasPart},
	"providesApis":   {RelationProvidesAPI, RelationAPIProvidedBy},
	"consumesApis":   {RelationConsumesAPI, RelationAPIConsumedBy},
	"dependsOn":      {RelationDependsOn, RelationDependencyOf},
	"dependencyOf":   {RelationDependencyOf, RelationDependsOn},
	"parent":         {RelationChildOf, RelationParentOf},
	"children":       {RelationParentOf, RelationChildOf},
	"members":        {RelationHasMember, RelationMemberOf},
	"memberOf":       {RelationMemberOf, RelationHasMember},
}

// snapshot is one immutable state of the catalog. Readers load it through
// an atomic pointer; a refresh builds a new one and swaps it in.
type snapshot struct {
	all      map[string]*Entity   // every entity by ref, orphans included
	live     []*Entity            // non-orphans, sorted by ref
	orphans  []*Entity            // sorted by ref
	byKind   map[string][]*Entity // live, by canonical kind
	byName   map[string][]*Entity // "namespace/name" in lower case → entities of any kind
	byFile   map[string][]*Entity // live, by Source.File
	ownedBy  map[string][]*Entity // owner ref → live entities
	members  map[string][]*Entity // group ref → live users (direct)
	parents  map[string][]string  // group ref → parent group refs
	children map[string][]string  // group ref → child group refs
	bySlack  map[string][]*Entity // slack user id → users
	byEmail  map[string][]*Entity // lower-case email → users
	managers map[string]string    // group ref → manager user ref (annotation)
	manages  map[string][]string  // user ref → groups they manage
	search   []searchDoc          // live entities' searchable text
	problems []Problem
	// refreshed is when the entities were read from their locations.
	refreshed time.Time
}

// manyRelations is how many relations an entity has before buildSnapshot
// keeps a set of them.
const manyRelations = 16

// refEntity is an entity with its ref.
type refEntity struct {
	ref string
	e   *Entity
}

func emptySnapshot() *snapshot { return buildSnapshot(nil, nil, time.Time{}) }

// buildSnapshot indexes entities and computes their relations. It takes
// ownership of the entities: live ones get their Relations replaced.
func buildSnapshot(entities []*Entity, problems []Problem, refreshed time.Time) *snapshot {
	s := &snapshot{
		all:       make(map[string]*Entity, len(entities)),
		byKind:    map[string][]*Entity{},
		byName:    make(map[string][]*Entity, len(entities)),
		byFile:    map[string][]*Entity{},
		ownedBy:   map[string][]*Entity{},
		members:   map[string][]*Entity{},
		parents:   map[string][]string{},
		children:  map[string][]string{},
		bySlack:   map[string][]*Entity{},
		byEmail:   map[string][]*Entity{},
		managers:  map[string]string{},
		manages:   map[string][]string{},
		problems:  problems,
		refreshed: refreshed,
	}
	// Each entity's ref is worked out once (Ref allocates).
	byRef := make([]refEntity, len(entities))
	for i, e := range entities {
		byRef[i] = refEntity{e.Ref(), e}
	}
	slices.SortStableFunc(byRef, func(a, b refEntity) int { return strings.Compare(a.ref, b.ref) })
	liveRefs := make([]string, 0, len(byRef))
	s.live = make([]*Entity, 0, len(byRef))
	for i, re := range byRef {
		e, ref := re.e, re.ref
		entities[i] = e
		if _, dup := s.all[ref]; dup {
			continue
		}
		s.all[ref] = e
		nk := strings.ToLower(namespaceOf(e) + "/" + e.Metadata.Name)
		s.byName[nk] = append(s.byName[nk], e)
		if e.Orphan {
			s.orphans = append(s.orphans, e)
			continue
		}
		s.live = append(s.live, e)
		liveRefs = append(liveRefs, ref)
		e.Relations = nil
	}

	// The search documents are built on the other cores meanwhile: they
	// read what the loop below does not write (names, titles, tags).
	searched := s.searchDocs()

	// Relations, ownership, membership and the group tree. A relation is
	// added once: looked for in the entity's few relations, or in a set
	// kept for the entities that have many.
	many := map[*Entity]map[Relation]bool{}
	addRel := func(e *Entity, r Relation) {
		if m := many[e]; m != nil {
			if !m[r] {
				m[r] = true
				e.Relations = append(e.Relations, r)
			}
			return
		}
		if slices.Contains(e.Relations, r) {
			return
		}
		e.Relations = append(e.Relations, r)
		if len(e.Relations) == manyRelations {
			m := make(map[Relation]bool, 2*manyRelations)
			for _, x := range e.Relations {
				m[x] = true
			}
			many[e] = m
		}
	}
	link := func(from *Entity, fromRef, fieldName, to string) {
		types := relationTypes[fieldName]
		addRel(from, Relation{Type: types[0], TargetRef: to})
		if target := s.all[to]; target != nil && !target.Orphan {
			addRel(target, Relation{Type: types[1], TargetRef: fromRef})
		}
	}
	for i, e := range s.live {
		kind := canonicalKind(e.Kind)
		s.byKind[kind] = append(s.byKind[kind], e)
		s.byFile[e.Source.File] = append(s.byFile[e.Source.File], e)
		ref := liveRefs[i]
		for _, rf := range refFields[kind] {
			for _, to := range specRefs(e, rf) {
				link(e, ref, rf.field, to)
				switch {
				case rf.field == "owner":
					s.ownedBy[to] = append(s.ownedBy[to], e)
				case kind == KindUser && rf.field == "memberOf":
					s.members[to] = appendOnce(s.members[to], e)
				case kind == KindGroup && rf.field == "members":
					if u := s.all[to]; u != nil && !u.Orphan {
						s.members[ref] = appendOnce(s.members[ref], u)
					}
				case kind == KindGroup && rf.field == "parent":
					s.parents[ref] = appendStringOnce(s.parents[ref], to)
					s.children[to] = appendStringOnce(s.children[to], ref)
				case kind == KindGroup && rf.field == "children":
					s.children[ref] = appendStringOnce(s.children[ref], to)
					s.parents[to] = appendStringOnce(s.parents[to], ref)
				}
			}
		}
		if kind == KindGroup {
			if m := e.Annotation(AnnotationManager); m != "" {
				mgr := NormalizeRef(m, KindUser, namespaceOf(e))
				s.managers[ref] = mgr
				s.manages[mgr] = append(s.manages[mgr], ref)
			}
		}
		if kind == KindUser {
			if id := e.Annotation(AnnotationSlackUserID); id != "" {
				s.bySlack[id] = append(s.bySlack[id], e)
			}
			if mail := strings.ToLower(profileString(e, "email")); mail != "" {
				s.byEmail[mail] = append(s.byEmail[mail], e)
			}
		}
	}
	for _, list := range s.members {
		sort.Slice(list, func(i, j int) bool { return list[i].Ref() < list[j].Ref() })
	}
	searched()
	return s
}

// concurrentSearchDocs is how many live entities make buildSnapshot build
// their search documents on several cores.
const concurrentSearchDocs = 512

// searchDocs starts building s.search for s.live and returns the func that
// waits until it is built.
func (s *snapshot) searchDocs() (wait func()) {
	s.search = make([]searchDoc, len(s.live))
	build := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s.search[i] = newSearchDoc(s.live[i])
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(s.live) < concurrentSearchDocs || workers == 1 {
		build(0, len(s.live))
		return func() {}
	}
	var wg sync.WaitGroup
	chunk := (len(s.live) + workers - 1) / workers
	for lo := 0; lo < len(s.live); lo += chunk {
		hi := min(lo+chunk, len(s.live))
		wg.Go(func() { build(lo, hi) })
	}
	return wg.Wait
}

// specRefs returns the canonical refs a ref field of e holds.
func specRefs(e *Entity, rf refField) []string {
	var raw []string
	if rf.list {
		raw = e.SpecStrings(rf.field)
	} else if v := e.SpecString(rf.field); v != "" {
		raw = []string{v}
	}
	if len(raw) == 0 {
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, NormalizeRef(r, rf.kind, namespaceOf(e)))
		}
	}
	return out
}

func namespaceOf(e *Entity) string {
	if e.Metadata.Namespace == "" {
		return DefaultNamespace
	}
	return e.Metadata.Namespace
}

// profileString returns spec.profile.<key> of a User or Group.
func profileString(e *Entity, key string) string {
	p, _ := e.Spec["profile"].(map[string]any)
	s, _ := p[key].(string)
	return s
}

func appendOnce(list []*Entity, e *Entity) []*Entity {
	for _, x := range list {
		if x == e {
			return list
		}
	}
	return append(list, e)
}

func appendStringOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
