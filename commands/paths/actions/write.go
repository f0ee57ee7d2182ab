package actions

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// Action names of the steps in this file.
const (
	CatalogWrite = "catalog:write"
	DebugLog     = "debug:log"
)

// refChecker reads which context names a step's input uses.
var refChecker = template.Engines.Std

// readsSecrets lists the ${{ secrets.* }} a step's input reads.
func readsSecrets(v any) []string {
	var out []string
	for _, src := range template.TemplateStrings(v) {
		for _, r := range refChecker.Refs(src) {
			if r == "secrets" || strings.HasPrefix(r, "secrets.") {
				out = append(out, r)
			}
		}
	}
	sort.Strings(out)
	return out
}

// noSecrets is the Check problem of a step whose input would put a secret
// where people and logs read it.
func noSecrets(s template.StepSpec, where string) []string {
	if refs := readsSecrets(s.Input); len(refs) > 0 {
		return []string{fmt.Sprintf("input reads ${{ %s }}: secrets may not be written to %s", refs[0], where)}
	}
	return nil
}

// catalog:write

// catalogWrite writes input.entity as YAML to input.filePath (default
// catalog-info.yaml) in the run's files, as Backstage's catalog:write.
type catalogWrite struct{}

func (catalogWrite) Check(_ *template.Template, s template.StepSpec) []string {
	probs := noSecrets(s, "a catalog file")
	switch e := s.Input["entity"].(type) {
	case map[string]any:
	case string:
		if !templating.Has(e) {
			probs = append(probs, "input.entity must be an object (the entity to write)")
		}
	default:
		probs = append(probs, "input.entity is missing (the entity to write, as an object)")
	}
	if fp, ok := s.Input["filePath"].(string); ok && !templating.Has(fp) {
		if err := skeleton.CheckOutputPath(strings.TrimPrefix(fp, "./")); err != nil {
			probs = append(probs, fmt.Sprintf("input.filePath %q: %v", fp, err))
		}
	}
	return probs
}

func (catalogWrite) file(sc *StepContext) (string, string, error) {
	fp := strings.TrimPrefix(sc.str("filePath"), "./")
	if fp == "" {
		fp = "catalog-info.yaml"
	}
	if err := skeleton.CheckOutputPath(fp); err != nil {
		return "", "", &StepError{Msg: fmt.Sprintf("input.filePath %q: %v", fp, err), Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	entity, ok := sc.Input["entity"].(map[string]any)
	if !ok {
		return "", "", &StepError{Msg: "input.entity is not an object", Hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(entity); err != nil {
		return "", "", &StepError{Msg: "input.entity cannot be written as YAML: " + err.Error()}
	}
	if err := enc.Close(); err != nil {
		return "", "", &StepError{Msg: "input.entity cannot be written as YAML: " + err.Error()}
	}
	return fp, b.String(), nil
}

func (a catalogWrite) Plan(ctx context.Context, sc *StepContext) (Plan, error) {
	out, err := a.Run(ctx, sc)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Output: out, Effects: []string{"write the entity to " + templating.Text(out["filePath"])}}, nil
}

func (a catalogWrite) Run(_ context.Context, sc *StepContext) (map[string]any, error) {
	fp, content, err := a.file(sc)
	if err != nil {
		return nil, err
	}
	sc.Files[fp] = content
	return map[string]any{"filePath": fp, "files": []any{fp}}, nil
}

// debug:log

// debugLog records input.message and, with input.listWorkspace, the run's
// files in the step's output and the log (Backstage's debug:log). It has
// no other effect.
type debugLog struct{ d Deps }

func (debugLog) Check(_ *template.Template, s template.StepSpec) []string {
	return noSecrets(s, "the log")
}

func (a debugLog) output(sc *StepContext) map[string]any {
	out := map[string]any{}
	if m := templating.Text(sc.Input["message"]); m != "" {
		out["message"] = m
	}
	if templating.IsTruthy(sc.Input["listWorkspace"]) {
		names := make([]string, 0, len(sc.Files))
		for n := range sc.Files {
			names = append(names, n)
		}
		sort.Strings(names)
		list := make([]any, len(names))
		for i, n := range names {
			list[i] = n
		}
		out["workspace"] = list
	}
	return out
}

func (a debugLog) Plan(_ context.Context, sc *StepContext) (Plan, error) {
	return Plan{Output: a.output(sc), Effects: []string{"write a message to the run's log"}}, nil
}

func (a debugLog) Run(_ context.Context, sc *StepContext) (map[string]any, error) {
	out := a.output(sc)
	log := a.d.Logger
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{"run", sc.Run.ID, "step", sc.StepKey, "template", sc.Template.Name}
	if m, ok := out["message"]; ok {
		attrs = append(attrs, "message", m)
	}
	if w, ok := out["workspace"]; ok {
		attrs = append(attrs, "workspace", w)
	}
	log.Info("debug:log", attrs...)
	return out, nil
}
