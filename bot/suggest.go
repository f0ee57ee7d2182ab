package bot

import "strings"

// EditDistance is the Levenshtein distance of a and b, counted in runes:
// the fewest single-rune insertions, deletions and substitutions that turn
// a into b.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Closest returns the candidate a mistyped word most likely meant, for a
// "did you mean" hint, or "" when none is close. The comparison ignores
// case: a candidate equal to word but for case wins at once; otherwise the
// nearest by EditDistance wins (the first of equals), if it is within
// max(2, len(word)/3) edits.
func Closest(word string, candidates []string) string {
	lw := strings.ToLower(word)
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if strings.EqualFold(c, word) {
			return c
		}
		if d := EditDistance(lw, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > max(2, len(word)/3) {
		return ""
	}
	return best
}
