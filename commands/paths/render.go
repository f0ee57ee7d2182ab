package paths

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
)

// RenderDeps are what rendering a template without side effects needs:
// the catalog the bot uses (templates are found in it, and user.entity
// comes from it) and, for templates in GitHub locations, the GitHub reader.
type RenderDeps struct {
	Catalog Catalog
	GitHub  GitHubFiles
	Logger  *slog.Logger
	// Templates overrides how templates are found (tests).
	Templates TemplateSource
	// Publishing names where pull requests would go, for the plan's words
	// ("the GitOps repository acme/gitops").
	Publishing string
	// Placer places the new environments golden paths add, as the bot
	// does (nil: those steps are refused).
	Placer actions.Placer
	// GitHubHost is the GitHub host of repository addresses (default
	// github.com).
	GitHubHost string
	// GitOpsFiles reads the GitOps repository's base branch, for actions
	// that build on its files; nil refuses them.
	GitOpsFiles actions.GitOpsFiles
	// RepoFiles reads services' own repositories, for actions that change
	// them (nil: they use GitHub).
	RepoFiles actions.RepoFiles
	// Repos says where repositories would be created and what their
	// addresses are, as the bot's do (nil: GitHub); a render creates none.
	Repos actions.Repositories
}

// NewRenderer returns the feature in render-only mode, for
// `platbot template render`: it finds templates as the bot does and plans
// runs, but has no store, opens no pull request and writes no secret.
func NewRenderer(cfg Config, deps RenderDeps) (*Paths, error) {
	if deps.Catalog == nil {
		return nil, errors.New("paths: the renderer needs the catalog")
	}
	cfg.applyDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Publishing == "" {
		deps.Publishing = "the GitOps repository"
	}
	p := &Paths{
		cfg: cfg, catalog: deps.Catalog, log: deps.Logger.With("feature", "paths"), now: time.Now,
		source: deps.Templates, state: &templateState{},
		pub: planOnlyPublisher{desc: deps.Publishing}, secrets: planOnlySecrets{mount: cfg.Vault.Mount},
	}
	if p.source == nil {
		p.source = &defaultSource{dir: cfg.TemplatesDir, catalog: deps.Catalog, github: deps.GitHub}
	}
	p.tmpl = template.Engines.Std
	ad := actions.Deps{
		Catalog: deps.Catalog, Publisher: p.pub, Secrets: p.secrets, Labels: cfg.Labels,
		GitHub: deps.GitHub, GitHubHost: deps.GitHubHost, Logger: p.log, GitOpsFiles: deps.GitOpsFiles,
		RepoFiles: deps.RepoFiles, Repos: deps.Repos,
		// The publish rule is the bot's: a render says what a run would be refused.
		Policy:  publishPolicy(Deps{Catalog: deps.Catalog}),
		Vault:   actions.VaultNames{Role: cfg.Vault.RolePattern, Policy: cfg.Vault.PolicyPattern, Namespace: cfg.Vault.NamespacePattern},
		Engines: template.Engines, Placer: deps.Placer,
	}
	p.actions = actions.New(ad)
	for name, a := range golden.Actions(ad) {
		p.actions[name] = a
	}
	return p, nil
}

// errNoSideEffects is what a plan-only client answers when asked to act.
var errNoSideEffects = errors.New("rendering a template has no side effects")

type planOnlyPublisher struct{ desc string }

func (p planOnlyPublisher) Describe() string { return p.desc }
func (planOnlyPublisher) Open(context.Context, Change) (*PullRequest, error) {
	return nil, errNoSideEffects
}

type planOnlySecrets struct{ mount string }

func (s planOnlySecrets) Mount() string { return s.mount }
func (planOnlySecrets) Describe() string {
	return "the secret store (Vault, or the development-only store)"
}
func (planOnlySecrets) DevelopmentOnly() bool { return false }
func (planOnlySecrets) WriteOnce(context.Context, string, map[string]string, string) (bool, error) {
	return false, errNoSideEffects
}
func (planOnlySecrets) PutPolicy(context.Context, string, string) error { return errNoSideEffects }
func (planOnlySecrets) BindRole(context.Context, string, string, string, string) error {
	return errNoSideEffects
}

// FindTemplate returns the template a `template render` argument names: a
// template file (a path ending in .yaml or .yml, or an existing file) or
// the name of a template the bot finds (approved or not: rendering needs
// no approval). problems are what template.Check finds wrong with it,
// unsupported actions included (with their step and line).
func (p *Paths) FindTemplate(ctx context.Context, arg string) (t *template.Template, problems []string, err error) {
	if st, serr := os.Stat(arg); serr == nil && !st.IsDir() || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		dir, file := filepath.Split(arg)
		if dir == "" {
			dir = "."
		}
		t, err = template.Load(os.DirFS(dir), file, "")
		if err != nil {
			// Name the file as it was given.
			return nil, nil, errors.New(arg + strings.TrimPrefix(err.Error(), file))
		}
		t.Source = arg
	} else {
		found, probs := p.source.Templates(ctx)
		for _, f := range found {
			if f.Name == arg {
				t = f
			}
		}
		if t == nil {
			for _, pr := range probs {
				if pr.Name == arg {
					return nil, nil, fmt.Errorf("template %s (%s): %w", arg, pr.Source, pr.Err)
				}
			}
			var names []string
			for _, f := range found {
				names = append(names, f.Name)
			}
			sort.Strings(names)
			hint := "there are no templates"
			if len(names) > 0 {
				hint = "the templates are " + strings.Join(names, ", ")
				if c := bot.Closest(arg, names); c != "" {
					hint = "did you mean " + c + "? (" + hint + ")"
				}
			}
			return nil, nil, fmt.Errorf("no template named %s: %s", arg, hint)
		}
	}
	return t, template.Check(t, p.actions), nil
}

// Rendered is a template rendered without side effects.
type Rendered struct {
	// Files are every file the file-producing steps write, by path;
	// Executable names the executable ones.
	Files      map[string]string
	Executable map[string]bool
	// Effects are what the other steps would do, in step order.
	Effects []string
	// Params are the parameters the steps saw (defaults applied).
	Params map[string]any
	// Steps are the steps with their rendered inputs.
	Steps []PlannedStep
	// Warnings are what a run would refuse that the render went past.
	Warnings []string
}

// RenderTemplate renders t for params (typed values by parameter name)
// as user (the zero User renders without a requester): it checks the
// values against the parameters first (errors name the parameter), then
// plans every step, so file-producing steps render and the others say
// what they would do.
func (p *Paths) RenderTemplate(ctx context.Context, t *template.Template, params map[string]any, userRef string) (*Rendered, error) {
	params, errs := checkParams(t, params)
	if len(errs) > 0 {
		keys := make([]string, 0, len(errs))
		for k := range errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var lines []string
		for _, k := range keys {
			lines = append(lines, fmt.Sprintf("parameter %s: %s", k, errs[k]))
		}
		return nil, fmt.Errorf("the values do not fit the template's parameters:\n  %s", strings.Join(lines, "\n  "))
	}
	owner := normalizeParams(t, params, t.Owner)
	var warnings []string
	if op := t.Pages.OwnerProperty(); op != nil && params[op.Name] != nil {
		found := false
		for _, g := range p.catalog.List(catalog.KindGroup) {
			found = found || g.Ref() == owner
		}
		if !found {
			// A run would refuse it (the owner must be one of the user's
			// teams); the files are still worth seeing.
			warnings = append(warnings, fmt.Sprintf("parameter %s: %s is not a group in the catalog, so a run would refuse it", op.Name, owner))
		}
	}
	r := &Run{
		ID: "render", Template: t.Name, TemplateTitle: t.Title, TemplateHash: t.Hash, Owner: owner,
		Requester: bot.User{Name: "template render"}, RequesterRef: userRef,
		Params: params, Files: map[string]string{}, Created: p.now().UTC(),
		// The template's own files: the lineage a run records with them
		// (lineage.go) is no part of what the template renders.
		noLineage: true,
	}
	if np := t.Pages.NameProperty(); np != nil {
		r.Name = templating.Text(params[np.Name])
	}
	pv, err := p.Plan(ctx, t, r)
	if err != nil {
		// What failed, without the advice meant for a failed run.
		return nil, errors.New(actions.PlanProblem(err))
	}
	return &Rendered{Files: pv.Files, Executable: pv.Executable, Effects: pv.Effects, Params: params, Steps: pv.Steps, Warnings: warnings}, nil
}

// checkParams turns typed values (a values file, --set) into the
// parameters a run sees, as a form submission would: every value is
// written as the form would hold it, the defaults of fields left out are
// applied, conditional fields follow the values, and the whole is checked
// against the parameters' JSON Schema. Problems are by parameter.
func checkParams(t *template.Template, params map[string]any) (map[string]any, map[string]string) {
	props := map[string]*forms.Property{}
	var names []string
	for _, p := range t.Pages.Properties() {
		props[p.Name] = p
		names = append(names, p.Name)
	}
	sort.Strings(names)
	v := bot.Values{}
	errs := map[string]string{}
	for k, x := range params {
		p := props[k]
		if p == nil {
			msg := "the template has no such parameter (it has " + strings.Join(names, ", ") + ")"
			if c := bot.Closest(k, names); c != "" {
				msg = "the template has no such parameter; did you mean " + c + "?"
			}
			errs[k] = msg
			continue
		}
		if l, ok := x.([]any); ok && p.Type != "array" && len(l) != 1 {
			errs[k] = fmt.Sprintf("given %d times; it takes one value", len(l))
			continue
		}
		switch l := x.(type) {
		case []any:
			v[k] = templating.Strings(l)
		default:
			v[k] = []string{templating.Text(x)}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	// Defaults, as a user who leaves a field as offered; conditional
	// fields appear as the values so far decide, so repeat until stable.
	for range 4 {
		f := t.Pages.Build("render", t.Title, "", forms.Env{Values: v})
		n := len(v)
		for _, fd := range f.Fields {
			if _, ok := v[fd.ID]; ok || fd.Default == "" {
				continue
			}
			if fd.IsMulti() {
				v[fd.ID] = strings.Split(fd.Default, ",")
			} else {
				v[fd.ID] = []string{fd.Default}
			}
		}
		if len(v) == n {
			break
		}
	}
	if errs := t.Pages.Validate(v); len(errs) > 0 {
		return nil, errs
	}
	out := t.Pages.Coerce(v)
	for k, s := range t.Pages.Secrets(v) {
		out[k] = s
	}
	// A form leaves an empty field out; a values file that says "" means it.
	for k, x := range params {
		if s, ok := x.(string); ok && s == "" {
			if _, set := out[k]; !set {
				out[k] = ""
			}
		}
	}
	return out, nil
}
