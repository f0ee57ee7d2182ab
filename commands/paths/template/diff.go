package template

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// maxDiffLines bounds the files DiffFiles compares line by line.
const maxDiffLines = 3000

// DiffFiles renders the difference between two versions of a template's
// files (Template.Files) as a unified diff (old nil: everything is new),
// for the admin who approves the new version; "(no changes)" when equal.
func DiffFiles(old, cur map[string][]byte) string {
	names := map[string]bool{}
	for n := range old {
		names[n] = true
	}
	for n := range cur {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var b strings.Builder
	for _, n := range sorted {
		o, inOld := old[n]
		c, inCur := cur[n]
		switch {
		case inOld && inCur && bytes.Equal(o, c):
			continue
		case !utf8.Valid(o) || !utf8.Valid(c):
			fmt.Fprintf(&b, "Binary file %s changed (%d → %d bytes)\n", n, len(o), len(c))
			continue
		}
		from, to := "a/"+n, "b/"+n
		if !inOld {
			from = "/dev/null"
		}
		if !inCur {
			to = "/dev/null"
		}
		fmt.Fprintf(&b, "--- %s\n+++ %s\n", from, to)
		b.WriteString(unifiedDiff(splitLines(string(o)), splitLines(string(c)), 3))
	}
	if b.Len() == 0 {
		return "(no changes)"
	}
	return b.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	line string
}

// lineOps computes an edit script with a longest-common-subsequence table.
func lineOps(a, b []string) []diffOp {
	if len(a) > maxDiffLines || len(b) > maxDiffLines {
		var ops []diffOp
		for _, l := range a {
			ops = append(ops, diffOp{'-', l})
		}
		for _, l := range b {
			ops = append(ops, diffOp{'+', l})
		}
		return ops
	}
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			ops = append(ops, diffOp{'-', a[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, diffOp{'-', a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, diffOp{'+', b[j]})
	}
	return ops
}

// unifiedDiff renders hunks with ctx lines of context.
func unifiedDiff(a, b []string, ctx int) string {
	ops := lineOps(a, b)
	var out strings.Builder
	// Positions (1-based line numbers) before each op.
	ai, bi := make([]int, len(ops)+1), make([]int, len(ops)+1)
	ai[0], bi[0] = 1, 1
	for k, op := range ops {
		ai[k+1], bi[k+1] = ai[k], bi[k]
		if op.kind != '+' {
			ai[k+1]++
		}
		if op.kind != '-' {
			bi[k+1]++
		}
	}
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(0, k-ctx)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			// Stop after ctx unchanged lines unless another change follows soon.
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		na, nb := 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				na++
			}
			if op.kind != '-' {
				nb++
			}
		}
		as, bs := ai[start], bi[start]
		if na == 0 {
			as-- // an empty range names the line before it
		}
		if nb == 0 {
			bs--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", as, na, bs, nb)
		for _, op := range ops[start:end] {
			line := op.line
			if !strings.HasSuffix(line, "\n") {
				line += "\n"
			}
			out.WriteString(string(op.kind) + line)
		}
		k = end
	}
	return out.String()
}
