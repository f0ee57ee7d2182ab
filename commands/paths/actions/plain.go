package actions

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// fetch:plain and fetch:plain:file

// fetchPlain copies a folder beside the template into the run's files byte
// for byte, without rendering anything (Backstage's fetch:plain: url,
// targetPath).
type fetchPlain struct{ d Deps }

// fetchPlainFile copies one file beside the template to targetPath
// (Backstage's fetch:plain:file: url, targetPath).
type fetchPlainFile struct{ d Deps }

func (a fetchPlain) Check(t *template.Template, s template.StepSpec) []string {
	if u, _ := s.Input["url"].(string); strings.Contains(u, "://") {
		if p := remoteURLProblem(u, a.d.GitHubHost, true); p != "" {
			return []string{p}
		}
		return nil
	}
	return checkLocalURL(t, s, true)
}

func (a fetchPlainFile) Check(t *template.Template, s template.StepSpec) []string {
	var probs []string
	if u, _ := s.Input["url"].(string); strings.Contains(u, "://") {
		if p := remoteURLProblem(u, a.d.GitHubHost, false); p != "" {
			probs = append(probs, p)
		}
	} else {
		probs = checkLocalURL(t, s, false)
	}
	if tp, _ := s.Input["targetPath"].(string); strings.TrimSpace(tp) == "" {
		probs = append(probs, "input.targetPath is missing (the path of the file in the output)")
	}
	return probs
}

// target is a step's targetPath as a clean relative folder or file ("" for
// the top), or an error naming it.
func (sc *StepContext) target() (string, error) {
	raw := sc.str("targetPath")
	t := strings.Trim(strings.TrimPrefix(raw, "./"), "/")
	if t == "" || t == "." {
		return "", nil
	}
	if err := skeleton.CheckOutputPath(t); err != nil {
		return "", &StepError{Msg: fmt.Sprintf("input.targetPath %q: %v", raw, err), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	return t, nil
}

// copyFiles puts src (template file → output path) into the run's files.
func copyFiles(sc *StepContext, src map[string]string) (map[string]any, error) {
	names := make([]string, 0, len(src))
	for from, to := range src {
		if err := skeleton.CheckOutputPath(to); err != nil {
			return nil, &StepError{Msg: fmt.Sprintf("file %s would be written to %q: %v", from, to, err)}
		}
		names = append(names, from)
	}
	if len(names) == 0 {
		return nil, &StepError{Msg: fmt.Sprintf("%s holds no files", sc.str("url")), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	sort.Strings(names)
	list := make([]any, 0, len(names))
	for _, from := range names {
		sc.Files[src[from]] = string(sc.Template.Files[from])
		if sc.Template.Executable[from] {
			if sc.Executable == nil {
				sc.Executable = map[string]bool{}
			}
			sc.Executable[src[from]] = true
		}
		list = append(list, src[from])
	}
	return map[string]any{"files": list, "targetPath": sc.str("targetPath")}, nil
}

func (a fetchPlain) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	target, err := sc.target()
	if err != nil {
		return nil, err
	}
	if r, ok := parseRemote(sc.str("url"), a.d.GitHubHost); ok && r.kind == "tree" {
		return runRemote(ctx, sc, a.d.GitHub, r, target)
	}
	dir := path.Clean(strings.TrimPrefix(sc.str("url"), "./"))
	prefix := dir + "/"
	if dir == "." {
		prefix = ""
	}
	src := map[string]string{}
	for n := range sc.Template.Files {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		src[n] = path.Join(target, strings.TrimPrefix(n, prefix))
	}
	return copyFiles(sc, src)
}

func (a fetchPlainFile) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	target, err := sc.target()
	if err != nil {
		return nil, err
	}
	if target == "" {
		return nil, &StepError{Msg: "input.targetPath is missing (the path of the file in the output)", Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	if r, ok := parseRemote(sc.str("url"), a.d.GitHubHost); ok && r.kind == "blob" {
		return runRemote(ctx, sc, a.d.GitHub, r, target)
	}
	file := path.Clean(strings.TrimPrefix(sc.str("url"), "./"))
	if _, ok := sc.Template.Files[file]; !ok {
		return nil, &StepError{Msg: fmt.Sprintf("%s is not a file of the template", sc.str("url")), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	return copyFiles(sc, map[string]string{file: target})
}

func (a fetchPlain) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	return planCopy(ctx, sc, a.d, a.Run)
}

func (a fetchPlainFile) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	return planCopy(ctx, sc, a.d, a.Run)
}

// planCopy copies into the dry run's files (they are the preview's own) and
// says what was copied.
func planCopy(ctx context.Context, sc *StepContext, d Deps, run func(context.Context, *StepContext) (map[string]any, error)) (Plan, error) {
	if _, remote := parseRemote(sc.str("url"), d.GitHubHost); remote && d.GitHub == nil {
		// Reading is no side effect, but without GitHub access there is
		// nothing to read: the plan says what the run will fetch.
		return Plan{Output: map[string]any{"files": []any{}, "targetPath": sc.str("targetPath")}, Effects: []string{
			fmt.Sprintf("fetch %s into %s when the run starts (not fetched in this dry run: no GitHub access configured)", sc.str("url"), firstNonEmptyStr(sc.str("targetPath"), "the top folder")),
		}}, nil
	}
	out, err := run(ctx, sc)
	if err != nil {
		return Plan{}, err
	}
	files := templating.Strings(out["files"])
	return Plan{Output: out, Effects: []string{fmt.Sprintf("copy %d file(s) from %s as they are", len(files), sc.str("url"))}}, nil
}

func firstNonEmptyStr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
