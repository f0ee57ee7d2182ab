package actions

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// fetch:template

// fetchTemplate renders a skeleton folder of the template into the run's
// files, with Backstage's inputs: url, targetPath, values,
// copyWithoutTemplating / copyWithoutRender, templateFileExtension,
// cookiecutterCompatibility and replace.
type fetchTemplate struct{ d Deps }

// checkLocalURL reports what is wrong with a step's url: it must be a fixed
// folder (or file) beside the template.
func checkLocalURL(t *template.Template, s template.StepSpec, wantDir bool) []string {
	u, _ := s.Input["url"].(string)
	if templating.Has(u) && !strings.Contains(u, "://") {
		return nil // a path chosen by the values: checked when the step runs
	}
	if msg := localURLProblem(u); msg != "" {
		return []string{msg}
	}
	d := path.Clean(strings.TrimPrefix(u, "./"))
	if tp, ok := s.Input["targetPath"].(string); ok && !templating.Has(tp) {
		if c := path.Clean(strings.TrimPrefix(tp, "./")); path.IsAbs(tp) || c == ".." || strings.HasPrefix(c, "../") {
			return []string{fmt.Sprintf("input.targetPath %q leaves the output folder", tp)}
		}
	}
	if t.Files != nil {
		found := false
		for n := range t.Files {
			found = found || (wantDir && (strings.HasPrefix(n, d+"/") || d == ".")) || (!wantDir && n == d)
		}
		if !found {
			what := "holds no files"
			if !wantDir {
				what = "is not a file of the template"
			}
			return []string{fmt.Sprintf("input.url %s %s", u, what)}
		}
	}
	return nil
}

// localURLProblem says what is wrong with a fetch url ("" when it is a
// path beside the template).
func localURLProblem(u string) string {
	d := path.Clean(strings.TrimPrefix(u, "./"))
	switch {
	case u == "":
		return "input.url is missing (a folder beside the template, like ./skeleton)"
	case strings.Contains(u, "://"):
		return fmt.Sprintf("input.url %q must be a path beside the template (remote URLs are not fetched)", u)
	case path.IsAbs(d) || d == ".." || strings.HasPrefix(d, "../"):
		return fmt.Sprintf("input.url %q leaves the template's folder", u)
	}
	return ""
}

func (fetchTemplate) Check(t *template.Template, s template.StepSpec) []string {
	probs := checkLocalURL(t, s, true)
	_, a := s.Input["copyWithoutRender"]
	_, b := s.Input["copyWithoutTemplating"]
	if a && b {
		probs = append(probs, "input.copyWithoutRender and input.copyWithoutTemplating cannot both be set (copyWithoutRender is the deprecated name)")
	}
	if _, ok := s.Input["templateFileExtension"]; ok && (a || b) {
		probs = append(probs, "input.templateFileExtension cannot be combined with copyWithoutRender or copyWithoutTemplating")
	}
	return probs
}

func (f fetchTemplate) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	out, err := f.Run(ctx, sc)
	if err != nil {
		return Plan{}, err
	}
	files, _ := out["files"].([]any)
	return Plan{Output: out, Effects: []string{fmt.Sprintf("render %d file(s) from %s", len(files), sc.str("url"))}}, nil
}

// options reads the step's inputs.
func (sc *StepContext) fetchOptions() skeleton.Options {
	values, _ := sc.Input["values"].(map[string]any)
	o := skeleton.Options{
		Values:                values,
		Target:                sc.str("targetPath"),
		CopyWithoutTemplating: templating.Strings(sc.Input["copyWithoutTemplating"]),
		CopyWithoutRender:     templating.Strings(sc.Input["copyWithoutRender"]),
		Cookiecutter:          templating.IsTruthy(sc.Input["cookiecutterCompatibility"]),
		Replace:               templating.IsTruthy(sc.Input["replace"]),
	}
	switch ext := sc.Input["templateFileExtension"].(type) {
	case bool:
		if ext {
			o.Extension = ".njk"
		}
	case string:
		if ext != "" {
			o.Extension = "." + strings.TrimPrefix(ext, ".")
		}
	}
	return o
}

func (f fetchTemplate) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	if msg := localURLProblem(sc.str("url")); msg != "" {
		return nil, &StepError{Msg: msg, Hint: "Nothing was created. If the values look right, the template is wrong — tell its owners (" + sc.Template.Owner + ")."}
	}
	o := sc.fetchOptions()
	if sc.Executable == nil {
		sc.Executable = map[string]bool{}
	}
	o.Executable, o.ExecOut = sc.Template.Executable, sc.Executable
	written, err := f.d.Engines.Render(ctx, sc.Template.Files, sc.str("url"), o, sc.Files)
	if err != nil {
		return nil, &StepError{Msg: "the files could not be rendered: " + err.Error(), Hint: "Nothing was created. Check the values you entered; if they look right, the template is wrong — tell its owners (" + sc.Template.Owner + ")."}
	}
	list := make([]any, len(written))
	for i, n := range written {
		list[i] = n
	}
	return map[string]any{"files": list, "targetPath": strings.Trim(strings.TrimPrefix(sc.str("targetPath"), "./"), "/")}, nil
}
