package actions

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/platbot/platbot/commands/paths/expr"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
)

// fetch:template

// fetchTemplate renders a skeleton folder of the template into the run's
// files.
type fetchTemplate struct{}

func (fetchTemplate) Check(t *template.Template, s template.StepSpec) []string {
	u, _ := s.Input["url"].(string)
	d := path.Clean(strings.TrimPrefix(u, "./"))
	switch {
	case u == "":
		return []string{"input.url is missing (a folder beside the template, like ./skeleton)"}
	case expr.Has(u) || strings.Contains(u, "://"):
		return []string{fmt.Sprintf("input.url %q must be a fixed folder beside the template (remote skeletons are not supported)", u)}
	case path.IsAbs(d) || d == ".." || strings.HasPrefix(d, "../"):
		return []string{fmt.Sprintf("input.url %q leaves the template's folder", u)}
	}
	if tp, ok := s.Input["targetPath"].(string); ok && !expr.Has(tp) {
		if c := path.Clean(strings.TrimPrefix(tp, "./")); path.IsAbs(tp) || c == ".." || strings.HasPrefix(c, "../") {
			return []string{fmt.Sprintf("input.targetPath %q leaves the output folder", tp)}
		}
	}
	if t.Files != nil {
		found := false
		for n := range t.Files {
			found = found || strings.HasPrefix(n, d+"/")
		}
		if !found {
			return []string{fmt.Sprintf("input.url %s holds no files", u)}
		}
	}
	return nil
}

func (f fetchTemplate) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	out, err := f.Run(ctx, sc)
	if err != nil {
		return Plan{}, err
	}
	files, _ := out["files"].([]any)
	return Plan{Output: out, Effects: []string{fmt.Sprintf("render %d file(s) from %s", len(files), sc.str("url"))}}, nil
}

func (fetchTemplate) Run(_ context.Context, sc *StepContext) (map[string]any, error) {
	values, _ := sc.Input["values"].(map[string]any)
	if values == nil {
		values = map[string]any{}
	}
	target := strings.Trim(sc.str("targetPath"), "/")
	target = strings.TrimPrefix(target, "./")
	if target == "." {
		target = ""
	}
	var copyRaw []string
	for _, g := range expr.ToStrings(sc.Input["copyWithoutRender"]) {
		copyRaw = append(copyRaw, g)
	}
	rendered, err := skeleton.Render(sc.Template.Files, sc.str("url"), target, values, copyRaw)
	if err != nil {
		return nil, &StepError{Msg: "the files could not be rendered: " + err.Error(), Hint: "Nothing was created. Check the values you entered; if they look right, the template is wrong — tell its owners (" + sc.Template.Owner + ")."}
	}
	names := make([]string, 0, len(rendered))
	for n, c := range rendered {
		if old, dup := sc.Files[n]; dup && old != c {
			return nil, &StepError{Msg: fmt.Sprintf("two steps write %s", n), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
		}
		sc.Files[n] = c
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]any, len(names))
	for i, n := range names {
		list[i] = n
	}
	return map[string]any{"files": list, "targetPath": target}, nil
}
