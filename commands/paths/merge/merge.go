// Package merge is a line-based three-way merge with diff3 semantics: two
// line diffs from the common base (an LCS), stable chunks where both sides
// keep the base, and, between them, a chunk only one side changed taking
// that side's lines, a chunk both sides changed alike taking them once,
// and any other chunk a conflict written with git's markers
// (<<<<<<< ours, ||||||| base, =======, >>>>>>> new). Its test cases agree
// with git merge-file --diff3 (merge_test.go); its line diff is not git's,
// so on unusual inputs a conflict region may start or end at other lines
// than git would draw it.
package merge

import "strings"

// Conflict markers, as git writes them with the diff3 conflict style.
const (
	MarkerOurs = "<<<<<<< ours"
	MarkerBase = "||||||| base"
	MarkerSep  = "======="
	MarkerNew  = ">>>>>>> new"
)

// Result is a merged text.
type Result struct {
	Text string
	// Conflicts counts the conflicting chunks written with markers.
	Conflicts int
}

// Merge merges the changes from base to ours and from base to theirs (the
// new version).
func Merge(base, ours, theirs string) Result {
	switch {
	case ours == theirs:
		return Result{Text: ours}
	case ours == base:
		return Result{Text: theirs}
	case theirs == base:
		return Result{Text: ours}
	}
	o, a, b := Lines(base), Lines(ours), Lines(theirs)
	ma, mb := matches(o, a), matches(o, b)
	var out strings.Builder
	conflicts := 0
	lo, la, lb := 0, 0, 0
	for {
		i := 0
		for lo+i < len(o) && ma[lo+i] == la+i && mb[lo+i] == lb+i {
			i++
		}
		if i > 0 {
			for _, l := range o[lo : lo+i] {
				out.WriteString(l)
			}
			lo, la, lb = lo+i, la+i, lb+i
			continue
		}
		next := lo
		for next < len(o) && (ma[next] < 0 || mb[next] < 0) {
			next++
		}
		ea, eb := len(a), len(b)
		if next < len(o) {
			ea, eb = ma[next], mb[next]
		}
		if lo == next && la == ea && lb == eb {
			break
		}
		conflicts += chunk(&out, o[lo:next], a[la:ea], b[lb:eb])
		lo, la, lb = next, ea, eb
		if next == len(o) && la == len(a) && lb == len(b) {
			break
		}
	}
	return Result{Text: out.String(), Conflicts: conflicts}
}

// chunk writes one unstable chunk and says whether it conflicted (1) or
// not (0).
func chunk(out *strings.Builder, o, a, b []string) int {
	write := func(ls []string) {
		for _, l := range ls {
			out.WriteString(l)
		}
	}
	switch {
	case equal(a, o):
		write(b)
	case equal(b, o), equal(a, b):
		write(a)
	default:
		section := func(marker string, ls []string) {
			out.WriteString(marker + "\n")
			for _, l := range ls {
				out.WriteString(l)
			}
			if n := len(ls); n > 0 && !strings.HasSuffix(ls[n-1], "\n") {
				out.WriteString("\n")
			}
		}
		section(MarkerOurs, a)
		section(MarkerBase, o)
		section(MarkerSep, b)
		out.WriteString(MarkerNew + "\n")
		return 1
	}
	return 0
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Lines splits a text into lines, each keeping its "\n" (the last one may
// have none).
func Lines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// matches maps each line of o to the line of a it is kept as in a longest
// common subsequence of the two (-1: removed or changed). The common
// prefix and suffix are matched first, so the table is only as large as
// the changed middle.
func matches(o, a []string) []int {
	m := make([]int, len(o))
	for i := range m {
		m[i] = -1
	}
	pre := 0
	for pre < len(o) && pre < len(a) && o[pre] == a[pre] {
		m[pre] = pre
		pre++
	}
	suf := 0
	for suf < len(o)-pre && suf < len(a)-pre && o[len(o)-1-suf] == a[len(a)-1-suf] {
		m[len(o)-1-suf] = len(a) - 1 - suf
		suf++
	}
	mo, ma := o[pre:len(o)-suf], a[pre:len(a)-suf]
	if len(mo) == 0 || len(ma) == 0 {
		return m
	}
	// lcs[i][j] is the LCS length of mo[i:] and ma[j:].
	w := len(ma) + 1
	lcs := make([]int32, (len(mo)+1)*w)
	for i := len(mo) - 1; i >= 0; i-- {
		for j := len(ma) - 1; j >= 0; j-- {
			switch {
			case mo[i] == ma[j]:
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
				lcs[i*w+j] = lcs[(i+1)*w+j]
			default:
				lcs[i*w+j] = lcs[i*w+j+1]
			}
		}
	}
	for i, j := 0, 0; i < len(mo) && j < len(ma); {
		switch {
		case mo[i] == ma[j]:
			m[pre+i] = pre + j
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			i++
		default:
			j++
		}
	}
	return m
}
