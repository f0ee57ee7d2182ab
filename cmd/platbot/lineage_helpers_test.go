package main

import (
	"strings"

	"github.com/platbot/platbot/commands/paths"
)

// withoutLineage drops the lineage files a golden-path run commits with
// its files (commands/paths/lineage.go) from a list of paths: what the
// golden paths' own tests compare.
func withoutLineage(files []string) []string {
	var out []string
	for _, f := range files {
		if !strings.HasPrefix(f, paths.LineageDir+"/") {
			out = append(out, f)
		}
	}
	return out
}

// withoutLineageText is withoutLineage over paths one a line.
func withoutLineageText(files string) string {
	return strings.Join(withoutLineage(strings.Split(files, "\n")), "\n")
}
