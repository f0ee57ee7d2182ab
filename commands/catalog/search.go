package catalog

import (
	"sort"
	"strings"

	"github.com/lithammer/fuzzysearch/fuzzy"
)

// searchDoc is an entity's searchable text, lower-cased once per refresh.
type searchDoc struct {
	e     *Entity
	name  string
	title string
	desc  string
	tags  []string
	rank  int // kind order: components first
}

var kindRank = map[string]int{
	KindComponent: 0, KindAPI: 1, KindResource: 2, KindSystem: 3, KindDomain: 4,
	KindGroup: 5, KindUser: 6, KindTemplate: 7, KindLocation: 8,
}

func newSearchDoc(e *Entity) searchDoc {
	tags := make([]string, len(e.Metadata.Tags))
	for i, t := range e.Metadata.Tags {
		tags[i] = strings.ToLower(t)
	}
	title := e.Metadata.Title
	if title == "" {
		title = profileString(e, "displayName")
	}
	return searchDoc{
		e:     e,
		name:  strings.ToLower(e.Metadata.Name),
		title: strings.ToLower(title),
		desc:  strings.ToLower(e.Metadata.Description),
		tags:  tags,
		rank:  kindRank[canonicalKind(e.Kind)],
	}
}

// score rates how well one query word matches the entity (0 = not at all).
// Name matches beat title matches, which beat tags, then descriptions;
// exact beats prefix beats substring beats fuzzy.
func (d *searchDoc) score(w string) int {
	best := 0
	up := func(s int) {
		if s > best {
			best = s
		}
	}
	switch {
	case d.name == w:
		up(100)
	case strings.HasPrefix(d.name, w):
		up(80 - min(len(d.name)-len(w), 10))
	case strings.Contains(d.name, w):
		up(65 - min(len(d.name)-len(w), 10))
	}
	if d.title != "" {
		switch {
		case d.title == w:
			up(60)
		case strings.Contains(d.title, w):
			up(50)
		}
	}
	for _, t := range d.tags {
		switch {
		case t == w:
			up(45)
		case strings.Contains(t, w):
			up(35)
		}
	}
	if best >= 35 {
		return best
	}
	if strings.Contains(d.desc, w) {
		up(25)
	}
	if len(w) >= 3 {
		if r := subsequence(w, d.name); r >= 0 {
			up(24 - min(r, 18))
		}
		if d.title != "" {
			if r := subsequence(w, d.title); r >= 0 {
				up(16 - min(r, 12))
			}
		}
	}
	return best
}

// subsequence reports how many characters of s lie outside the shortest
// window that holds w's characters in order (-1 when w is not a
// subsequence of s): "chkout" in "checkout-service" gives 10. Both are
// lower case. It allocates nothing, so a search over 10,000 entities stays
// fast; fuzzysearch's ranked match normalises Unicode on every call.
func subsequence(w, s string) int {
	best := -1
	for start := 0; start < len(s); start++ {
		if s[start] != w[0] {
			continue
		}
		i, j := 0, start
		for ; j < len(s) && i < len(w); j++ {
			if s[j] == w[i] {
				i++
			}
		}
		if i < len(w) {
			break // no later start can match either
		}
		if gap := len(s) - (j - start) + (j - start - len(w)); best < 0 || gap < best {
			best = gap
		}
	}
	return best
}

// Search ranks live entities against the query: every word must match the
// name, title, a tag or the description, exactly, as a prefix, a substring
// or fuzzily. It returns the best n (all when n <= 0).
func (c *Catalog) Search(q string, n int) []*Entity {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return nil
	}
	s := c.snap.Load()
	type hit struct {
		d     *searchDoc
		score int
	}
	var hits []hit
	for i := range s.search {
		d := &s.search[i]
		total := 0
		for _, w := range words {
			sc := d.score(w)
			if sc == 0 {
				total = 0
				break
			}
			total += sc
		}
		if total > 0 {
			if len(words) > 1 && d.name == strings.Join(words, "-") {
				total += 100
			}
			hits = append(hits, hit{d, total})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.d.rank != b.d.rank {
			return a.d.rank < b.d.rank
		}
		return a.d.name < b.d.name
	})
	if n > 0 && len(hits) > n {
		hits = hits[:n]
	}
	out := make([]*Entity, len(hits))
	for i, h := range hits {
		out[i] = h.d.e
	}
	return out
}

// Suggest returns the name of the live entity of one of kinds closest to
// name, for "did you mean" ("" when nothing is close).
func (c *Catalog) Suggest(name string, kinds ...string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return ""
	}
	if _, _, n := ParseRef(name, "", ""); n != "" {
		name = n
	}
	s := c.snap.Load()
	best, bestDist := "", 1<<30
	for _, k := range kinds {
		for _, e := range s.byKind[canonicalKind(k)] {
			cand := strings.ToLower(e.Metadata.Name)
			d := fuzzy.LevenshteinDistance(name, cand)
			if fuzzy.Match(name, cand) || strings.Contains(name, cand) {
				d = min(d, absInt(len(cand)-len(name))/2+1)
			}
			if d < bestDist || (d == bestDist && cand < best) {
				best, bestDist = e.Metadata.Name, d
			}
		}
	}
	if best == "" || bestDist > max(2, len(name)/2) {
		return ""
	}
	return best
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
