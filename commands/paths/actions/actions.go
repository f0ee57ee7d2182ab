// Package actions holds the steps a golden path can run: fetch:template
// (render a skeleton), fetch:plain and fetch:plain:file (copy files as they
// are), catalog:write, catalog:register, vault:kv (generate credentials
// into the secret store), publish:github (create a repository),
// publish:github:pull-request (one pull request with everything, to the
// GitOps repository or to repoUrl) and debug:log. Each checks its step
// before approval, plans it for a dry run and runs it idempotently, over
// the small interfaces it declares (Publisher, Repositories, SecretStore,
// Catalog, CatalogLocations, PublishPolicy). Running the steps of a run in
// order, as jobs, is the feature's.
package actions

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/commands/paths/templating"
	"github.com/platbot/platbot/store"
)

// Action names.
const (
	FetchTemplate   = template.ActionFetchTemplate
	FetchPlain      = template.ActionFetchPlain
	FetchPlainFile  = template.ActionFetchPlainFile
	CatalogRegister = "catalog:register"
	VaultKV         = "vault:kv"
	PublishPR       = "publish:github:pull-request"
)

// Catalog is what catalog:register and the pull request's assignee need of
// the software catalog.
type Catalog interface {
	// List returns the entities of a kind.
	List(kind string) []*catalog.Entity
}

// VaultNames are the naming patterns of what vault:kv writes ({team},
// {service}, {env}, {name} are filled in).
type VaultNames struct {
	// Role names the service's role in one environment.
	Role string
	// Policy names the read policy of one secret.
	Policy string
	// Namespace is the service's Kubernetes namespace in one environment.
	Namespace string
}

// Deps are what the actions work with. Only Check may be used on actions
// built without them.
type Deps struct {
	Catalog   Catalog
	Publisher Publisher
	Secrets   SecretStore
	// Labels are put on every pull request (the template may add more).
	Labels []string
	Vault  VaultNames
	// Engines render skeletons (fetch:template); zero uses the defaults.
	Engines skeleton.Engines
	// Placer places new environments of services by the platform's rules
	// (see Placer); nil refuses the steps that add one.
	Placer Placer
	// Repos creates repositories (publish:github) and opens pull requests
	// in the repository a step's repoUrl names; nil refuses such steps.
	Repos Repositories
	// Locations registers catalog locations by URL (catalog:register with
	// catalogInfoUrl or repoContentsUrl); nil refuses such steps.
	Locations CatalogLocations
	// Policy decides where a template may publish (see PublishPolicy);
	// nil allows everything.
	Policy PublishPolicy
	// GitHubHost is the host repoUrl must name (default github.com).
	GitHubHost string
	// GitHub reads remote content that fetch:plain names by a GitHub
	// address (nil: none can be read).
	GitHub template.GitHubFiles
	// Logger receives debug:log's messages (slog.Default() when nil).
	Logger *slog.Logger
	// GitOpsFiles reads the GitOps repository's base branch, for actions
	// that build on what is already there (nil: they refuse to run).
	GitOpsFiles GitOpsFiles
	// RepoFiles reads files of other repositories' default branches (a
	// service's own repository), for actions that change them; nil: they
	// use Repos when it reads files, else GitHub.
	RepoFiles RepoFiles
	// Records keeps what actions hold across runs (the migration numbers
	// of runs in flight, see commands/paths/golden/migration_numbers.go);
	// nil: nothing is held, as in a render.
	Records store.CAS
}

// RepoFiles reads the file at path on the default branch of owner/repo; a
// file that is not there is an error wrapping fs.ErrNotExist.
type RepoFiles interface {
	ReadFile(ctx context.Context, owner, repo, path string) ([]byte, error)
}

// GitOpsFiles reads files and folders of the GitOps repository's base
// branch; the GitOps publisher (integrations/gitops) is one. A path that is
// not there is an error wrapping fs.ErrNotExist.
type GitOpsFiles interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// ListDir returns the names of a folder's entries.
	ListDir(ctx context.Context, path string) ([]string, error)
}

// New returns every action platbot has, by name.
func New(d Deps) map[string]Action {
	if d.Engines.Std == nil {
		d.Engines.Std = templating.New(templating.Options{})
	}
	if d.Engines.Cookiecutter == nil {
		d.Engines.Cookiecutter = templating.New(templating.Options{Cookiecutter: true})
	}
	return map[string]Action{
		FetchTemplate:   fetchTemplate{d: d},
		FetchPlain:      fetchPlain{d: d},
		FetchPlainFile:  fetchPlainFile{d: d},
		CatalogWrite:    catalogWrite{},
		CatalogRegister: catalogRegister{d: d},
		VaultKV:         vaultKV{d: d},
		PublishGitHub:   publishGitHub{d: d},
		PublishPR:       publishPR{d: d},
		DebugLog:        debugLog{d: d},
	}
}

// Run is what an action knows of the run its step belongs to.
type Run struct {
	ID string
	// Branch is the run's GitOps branch.
	Branch string
	// Requester names who asked, for people; RequesterRef is their catalog
	// User ("" when the catalog does not know them).
	Requester    string
	RequesterRef string
	// Owner is the owning group the run creates things for.
	Owner string
}

// Action is one kind of step. Run must be idempotent for the same run and
// step: it may be called again after a crash, a restart or a retry, and
// must then find its earlier work instead of doing it twice.
type Action interface {
	// Check reports problems with a step's static input (before approval).
	Check(t *template.Template, s template.StepSpec) []string
	// Plan describes the step's side effects without doing any and returns
	// the outputs it would have (dry run).
	Plan(ctx context.Context, sc *StepContext) (Plan, error)
	// Run does the step and returns its outputs.
	Run(ctx context.Context, sc *StepContext) (map[string]any, error)
}

// Plan is what a step would do.
type Plan struct {
	Effects []string
	Output  map[string]any
}

// StepContext is what an action works with.
type StepContext struct {
	Run Run
	// StepKey is the step's key, unique within the run ("id", or "id[item]"
	// for an item of an each step).
	StepKey  string
	Template *template.Template
	// Input is the step's input with its expressions evaluated.
	Input map[string]any
	// Files is the run's working set of rendered files; actions may add to
	// it. Executable names those that are executable (a skeleton's scripts
	// keep their mode, as Backstage's fetch:template keeps it).
	Files      map[string]string
	Executable map[string]bool
	// Effects are what earlier steps did (or would do), for the pull
	// request's description.
	Effects []string
	// DryRun is set while planning.
	DryRun bool
	// RawInput is the step's input as the template wrote it, and Scope what
	// its expressions read: text for markdown is rendered from them, so that
	// only the values put in are escaped (without them all of Input is).
	RawInput map[string]any
	Scope    templating.Values
	// Engine renders RawInput again for markdown (nil: escape all of Input).
	Engine *templating.Engine
}

// str is an input value as trimmed text.
func (sc *StepContext) str(key string) string {
	return strings.TrimSpace(templating.Text(sc.Input[key]))
}

// markdownInput is the step's input key as GitHub markdown: the template's
// own words stay markdown, and every value an expression puts in
// (parameters people typed, earlier outputs) is bot.UserText, escaped with
// Markdown, so it can mention nobody and add no link, HTML or heading.
// Without the template's text (a context built elsewhere) all of the
// evaluated input is escaped.
func (sc *StepContext) markdownInput(key string) string {
	raw, ok := sc.RawInput[key].(string)
	if !ok || sc.Scope == nil || sc.Engine == nil {
		return bot.UserText(sc.str(key)).Markdown()
	}
	escaped := make(templating.Values, len(sc.Scope))
	for k, v := range sc.Scope {
		escaped[k] = escapeStrings(v)
	}
	out, err := sc.Engine.RenderString(context.Background(), sc.StepKey+".input."+key, raw, escaped)
	if err != nil {
		return bot.UserText(sc.str(key)).Markdown()
	}
	return strings.TrimSpace(out)
}

// escapeStrings is v with every string escaped as Markdown user text.
func escapeStrings(v any) any {
	switch x := v.(type) {
	case string:
		return bot.UserText(x).Markdown()
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = escapeStrings(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = escapeStrings(e)
		}
		return out
	}
	return v
}

// StepError is a step failure explained for the user: what went wrong (Msg)
// and what they can do about it (Hint), with the cause (Err) when there is
// one.
type StepError struct {
	Msg  string
	Hint string
	Err  error
}

func (e *StepError) Error() string {
	if e.Hint == "" {
		return e.Msg
	}
	return e.Msg + ". " + e.Hint
}

func (e *StepError) Unwrap() error { return e.Err }

// PlanProblem is a dry-run failure without the advice meant for a failed
// run ("Press Retry…").
func PlanProblem(err error) string {
	s := err.Error()
	var se *StepError
	if errors.As(err, &se) && se.Hint != "" {
		s = strings.Replace(s, se.Error(), se.Msg, 1)
	}
	return s
}
