package catalog

import (
	"math/bits"
	"sort"
	"strings"
	"unicode"

	"github.com/lithammer/fuzzysearch/fuzzy"

	"github.com/platbot/platbot/bot"
)

// searchDoc is an entity's searchable text, lower-cased once per refresh.
type searchDoc struct {
	e     *Entity
	name  string
	title string
	desc  string
	tags  []string
	rank  int // kind order: components first
	// nameWords and titleWords are the words (of at least minTypoWord
	// letters) that typo-tolerant matching compares a query word with:
	// the name's parts and the whole name, the title's words.
	nameWords  []typoWord
	titleWords []typoWord
}

// typoWord is a word typos are matched against, with the set of its bytes
// (each byte's low 6 bits): a query word with more bytes outside that set
// than the edits allowed cannot match, and is turned away without the
// edit-distance table.
type typoWord struct {
	s    string
	mask uint64
}

func byteMask(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		m |= 1 << (s[i] & 63)
	}
	return m
}

// minTypoWord is the shortest query word (and catalog word) that is
// matched with typos; shorter ones match too much.
const minTypoWord = 4

// maxTypoWord bounds the words compared for typos (names are at most 63
// characters), so the comparison needs no allocation.
const maxTypoWord = 64

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
	d := searchDoc{
		e:     e,
		name:  strings.ToLower(e.Metadata.Name),
		title: strings.ToLower(title),
		desc:  strings.ToLower(e.Metadata.Description),
		tags:  tags,
		rank:  kindRank[canonicalKind(e.Kind)],
	}
	d.nameWords = typoWords(d.name, true)
	d.titleWords = typoWords(d.title, false)
	return d
}

// typoWords splits s into its words of letters and digits that are long
// enough to be matched with typos, plus s itself when whole is set and s
// has several words ("checkout-service" → checkout, service,
// checkout-service). The words share s's memory.
func typoWords(s string, whole bool) []typoWord {
	var out []typoWord
	n := 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		n++
		if len(w) >= minTypoWord && len(w) <= maxTypoWord {
			out = append(out, typoWord{w, byteMask(w)})
		}
	}
	if whole && n > 1 && len(s) <= maxTypoWord {
		out = append(out, typoWord{s, byteMask(s)})
	}
	return out
}

// score rates how well one query word matches the entity (0 = not at all).
// Name matches beat title matches, which beat tags, then descriptions;
// exact beats prefix beats substring beats fuzzy (left-out letters) beats
// typos (a word of the name or title within a few edits).
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
	if best == 0 {
		// Last resort, and so scored below every match above (the lowest
		// of which is 4): letters swapped, mistyped, doubled or left out.
		best = d.typoScore(w)
	}
	return best
}

// typoScore rates a query word that is a few edits away from a word of the
// name (3 for one edit, 2 for two) or of the title (2, 1); 0 otherwise.
// One edit is allowed in words of 4 or 5 letters, two in longer ones.
func (d *searchDoc) typoScore(w string) int {
	if len(w) < minTypoWord || len(w) > maxTypoWord {
		return 0
	}
	k := 1
	if len(w) >= 6 {
		k = 2
	}
	// Each edit brings at most one byte the catalog word lacks.
	wm := byteMask(w)
	near := func(t typoWord) int {
		if bits.OnesCount64(wm&^t.mask) > k {
			return -1
		}
		return editsWithin(w, t.s, k)
	}
	best := 0
	for _, nw := range d.nameWords {
		if e := near(nw); e >= 0 {
			best = max(best, 4-e)
			if e == 1 {
				return best
			}
		}
	}
	if best > 0 {
		return best
	}
	for _, tw := range d.titleWords {
		if e := near(tw); e >= 0 {
			best = max(best, 3-e)
		}
	}
	return best
}

// editsWithin returns the optimal string alignment distance between a and
// b (insertions, deletions, substitutions and swaps of adjacent bytes,
// each counting one) when it is at most k, else -1. It gives up as soon as
// a row of the table exceeds k, and allocates nothing: a and b are at most
// maxTypoWord bytes.
func editsWithin(a, b string, k int) int {
	la, lb := len(a), len(b)
	if absInt(la-lb) > k || la > maxTypoWord || lb > maxTypoWord {
		return -1
	}
	if a == b {
		return 0
	}
	// Distances never exceed maxTypoWord+1, so bytes hold them, and the
	// three rows cost little to clear.
	var buf [3 * (maxTypoWord + 1)]uint8
	const row = maxTypoWord + 1
	prev2, prev, cur := buf[:lb+1], buf[row:row+lb+1], buf[2*row:2*row+lb+1]
	for j := range prev {
		prev[j] = uint8(j)
	}
	limit := uint8(k)
	for i := 1; i <= la; i++ {
		cur[0] = uint8(i)
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := uint8(1)
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return -1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if d := prev[lb]; d <= limit {
		return int(d)
	}
	return -1
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
// or fuzzily (letters left out), or else a word of the name or title with
// a typo or two ("chackout", "chekcout" find checkout-service), ranked
// last. It returns the best n (all when n <= 0).
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
			d := bot.EditDistance(name, cand)
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
