package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/placement"
	examplegitops "github.com/platbot/platbot/examples/gitops"
	examplerepos "github.com/platbot/platbot/examples/repos"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
)

// errTemplateBroken is returned when a template cannot be rendered because
// of the template (exit 1, the problems printed).
var errTemplateBroken = errors.New("the template has problems")

const templateUsage = `Usage: platbot template render <name | path/to/template.yaml> [--set key=value]... [--values values.yaml] [--as user] --out DIR

Renders every file a golden path's steps would write into DIR, with no side
effects: steps that publish, register or write secrets are printed as what
they would do. The values are checked against the template's parameters
first. A template is found by name as the bot finds it (its folder of
templates and the catalog's Template entities, approved or not), or read
from a template file.

  --set key=value   a parameter value (repeat for several; repeat a key for
                    the items of a list); typed by the parameter's schema
  --values FILE     parameter values as a YAML mapping (or under "parameters:")
  --as USER         render as this catalog user (user.entity, user.ref)
  --out DIR         where to write the files (created if missing)

Exit status: 0 rendered, 1 the template or the values have problems (each
named with its file and line, or its parameter), 2 usage.
`

// setFlags collects repeated --set key=value flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func cmdTemplate(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "render" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			fmt.Fprint(stdout, templateUsage)
			return flag.ErrHelp
		}
		fmt.Fprint(stderr, templateUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("template render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, templateUsage) }
	var sets setFlags
	fs.Var(&sets, "set", "a parameter value key=value")
	valuesFile := fs.String("values", "", "parameter values (YAML)")
	out := fs.String("out", "", "output folder")
	as := fs.String("as", "", "render as this catalog user")
	// Flags may come before or after the template's name.
	var positional []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return flag.ErrHelp
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 || *out == "" {
		fmt.Fprintln(stderr, "platbot template render: name one template and --out DIR")
		fmt.Fprint(stderr, templateUsage)
		return errUsage
	}

	log := newLogger(cfg, stderr, slog.LevelWarn)
	r, cat, err := newRenderer(ctx, cfg, log)
	if err != nil {
		return err
	}
	t, probs, err := r.FindTemplate(ctx, positional[0])
	if err != nil {
		return err
	}
	if len(probs) > 0 {
		fmt.Fprintf(stderr, "template %s (%s) cannot run:\n", t.Name, t.Source)
		for _, p := range probs {
			fmt.Fprintln(stderr, "  "+p)
		}
		return errTemplateBroken
	}
	params := map[string]any{}
	if *valuesFile != "" {
		if params, err = readValuesFile(*valuesFile); err != nil {
			return err
		}
	}
	// --set values are text, as a form field holds them; a key given more
	// than once is a list. The renderer types and checks them.
	given := map[string][]any{}
	var order []string
	for _, s := range sets {
		k, val, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("--set %q: write it as key=value", s)
		}
		if _, seen := given[k]; !seen {
			order = append(order, k)
		}
		given[k] = append(given[k], val)
	}
	for _, k := range order {
		if len(given[k]) == 1 {
			params[k] = given[k][0]
		} else {
			params[k] = given[k]
		}
	}
	userRef := ""
	if *as != "" {
		userRef = catalog.NormalizeRef(*as, catalog.KindUser, catalog.DefaultNamespace)
		found := false
		for _, u := range cat.List(catalog.KindUser) {
			found = found || u.Ref() == userRef
		}
		if !found {
			return fmt.Errorf("--as %s: the catalog has no user %s", *as, userRef)
		}
	}
	res, err := r.RenderTemplate(ctx, t, params, userRef)
	if err != nil {
		fmt.Fprintf(stderr, "platbot template render: %s: %v\n", t.Name, err)
		return errTemplateBroken
	}
	names := make([]string, 0, len(res.Files))
	for n := range res.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	before := existingFiles(*out)
	for _, n := range names {
		full := filepath.Join(*out, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", full, err)
		}
		mode := os.FileMode(0o644)
		if res.Executable[n] {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(res.Files[n]), mode); err != nil {
			return fmt.Errorf("write %s: %w", full, err)
		}
	}
	fmt.Fprintf(stdout, "Rendered %s: %d file(s) into %s\n", t.Name, len(names), *out)
	for _, n := range names {
		fmt.Fprintln(stdout, "  "+n)
		delete(before, n)
	}
	if len(before) > 0 {
		fmt.Fprintf(stdout, "Note: %s also holds %d file(s) this render did not write (left as they were); render into an empty folder to see only the template's output.\n", *out, len(before))
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "platbot template render: warning: "+w)
	}
	if len(res.Effects) > 0 {
		fmt.Fprintln(stdout, "\nWhat the run would also do (not done):")
		for _, e := range res.Effects {
			fmt.Fprintln(stdout, "  "+e)
		}
	}
	return nil
}

// readValuesFile reads parameter values: a YAML mapping of parameter to
// value, or one under a top-level "parameters" key.
func readValuesFile(name string) (map[string]any, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--values: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("--values %s: not a YAML mapping of parameter values: %w", name, err)
	}
	if p, ok := m["parameters"].(map[string]any); ok {
		m = p
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// newRenderer loads the catalog as the bot does (without writing its
// snapshot) and builds the golden-path feature in render-only mode.
func newRenderer(ctx context.Context, cfg *Config, log *slog.Logger) (*paths.Paths, *catalog.Catalog, error) {
	pc := paths.Config{}
	if err := cfg.Feature("paths", &pc); err != nil {
		return nil, nil, err
	}
	apiURL := cfg.GitHub.APIURL
	if apiURL == "" {
		apiURL = pc.GitHubAPIURL
	}
	var gh *github.Client
	var err error
	if cfg.GitHub.Token != "" || apiURL != "" {
		if gh, err = github.New(apiURL, cfg.GitHub.Token, nil); err != nil {
			return nil, nil, fmt.Errorf("github client: %w", err)
		}
	}
	ccfg, err := catalogConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	if ccfg.GitHubHost == "" {
		ccfg.GitHubHost = catalog.GitHubHostFor(apiURL)
	}
	opts := []catalog.Option{catalog.WithLogger(log)}
	if gh != nil {
		opts = append(opts, catalog.WithGitHub(gh))
	}
	cat, err := catalog.Load(ctx, ccfg, opts...)
	if cat == nil {
		return nil, nil, fmt.Errorf("load catalog: %w", err)
	}
	if err != nil {
		log.Warn("catalog: not everything could be loaded", "err", err)
	}
	if pc.Vault.Mount == "" {
		pc.Vault.Mount = cfg.Vault.KVMount
	}
	target := cfg.GitOpsRepo
	if target == "" {
		target = pc.GitOpsRepo
	}
	if target == "" {
		target = filepath.Join(cfg.DataDir, "gitops")
	}
	deps := paths.RenderDeps{Catalog: cat, Logger: log, Publishing: "the GitOps repository " + target}
	// Built on first use (only templates that add environments need it),
	// reading the GitOps repository when deps.GitOpsFiles does (set below).
	deps.Placer = pathsPlacer{envs: sync.OnceValues(func() (*placement.Environments, error) {
		return renderPlacement(cfg, cat, deps.GitOpsFiles, log)
	})}
	if gh != nil {
		deps.GitHub = pathsGitHubFiles{gh}
	}
	// Services' own repositories are read as the bot reads them: GitHub
	// with a token, else the local repositories in the data folder.
	// Where a run would create repositories, and their addresses, are the
	// bot's too (absolute file:// addresses in local mode).
	if gh != nil && cfg.GitHub.Token != "" {
		deps.RepoFiles = gitops.GitHubRepositories(gh)
		deps.Repos = renderRepos{pathsRepositories{r: gitops.GitHubRepositories(gh), webBase: "https://" + ccfg.GitHubHost}}
	} else {
		dir := absDir(filepath.Join(cfg.DataDir, "repos"))
		local := gitops.LocalRepositories(dir)
		deps.RepoFiles = local
		deps.Repos = renderRepos{pathsRepositories{r: local, webBase: dir}}
		if cfg.Demo.on || !cfg.Demo.set {
			// The shell (demo mode) would create the example services'
			// repositories that are not there yet.
			repos, err := exampleRepos(cfg)
			if err != nil {
				return nil, nil, err
			}
			if len(repos) > 0 {
				deps.RepoFiles = exampleRepoFiles{local, repos}
			}
		}
	}
	if gf := renderGitOpsFiles(ctx, target, gh, pc.GitOpsBase, log); gf != nil {
		deps.GitOpsFiles = gf
	} else if !gitops.IsGitHubRepo(target) && (cfg.Demo.on || !cfg.Demo.set) {
		// No local repository yet: the shell (demo mode) would create it
		// with the example services' manifests on the example catalog.
		files, err := exampleGitOpsState(cfg)
		if err != nil {
			return nil, nil, err
		}
		if files != nil {
			deps.GitOpsFiles = exampleState{stateFiles(files), target}
			log.Info("no local GitOps repository yet: rendering against the example services' manifests the shell starts it with", "repo", target, "examples", examplegitops.Dir)
		}
	}
	r, err := paths.NewRenderer(pc, deps)
	if err != nil {
		return nil, nil, err
	}
	return r, cat, nil
}

// renderGitOpsFiles reads the GitOps repository a render plans against
// (actions that number files after the existing ones need it), without
// creating anything: a GitHub repository through the client, or a local
// folder that already is a git repository; nil otherwise.
func renderGitOpsFiles(ctx context.Context, target string, gh *github.Client, base string, log *slog.Logger) *gitops.Publisher {
	if gitops.IsGitHubRepo(target) {
		if gh == nil {
			return nil
		}
		p, err := gitops.GitHub(gh, target, github.PullRequestOptions{Base: base})
		if err != nil {
			return nil
		}
		return p
	}
	if _, err := os.Stat(filepath.Join(target, ".git")); err != nil {
		return nil
	}
	repo, err := gitlocal.Open(ctx, target, gitlocal.Options{Base: base, Logger: log})
	if err != nil {
		return nil
	}
	return gitops.Local(repo)
}

// existingFiles lists the files under dir (slash paths relative to it).
func existingFiles(dir string) map[string]bool {
	out := map[string]bool{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if rel, err := filepath.Rel(dir, p); err == nil {
			out[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return out
}

// exampleState is the example GitOps state a render plans against before
// the shell created the local GitOps repository at dir with it.
type exampleState struct {
	stateFiles
	dir string
}

// BrowseURL is the local repository's folder, as gitops.Publisher says it.
func (s exampleState) BrowseURL(string) string {
	return (&url.URL{Scheme: "file", Path: absDir(s.dir)}).String()
}

// exampleRepoFiles reads services' local repositories, and, for an example
// service's repository the shell has not created yet, the files it would
// create it with (examples/repos).
type exampleRepoFiles struct {
	local    *gitops.Repositories
	examples []examplerepos.Repo
}

func (r exampleRepoFiles) example(ctx context.Context, owner, name string) (*examplerepos.Repo, error) {
	if ok, err := r.local.Exists(ctx, owner, name); err != nil || ok {
		return nil, err
	}
	for i := range r.examples {
		if e := &r.examples[i]; e.Owner == owner && e.Name == name {
			return e, nil
		}
	}
	return nil, nil
}

func (r exampleRepoFiles) ReadFile(ctx context.Context, owner, name, p string) ([]byte, error) {
	e, err := r.example(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return r.local.ReadFile(ctx, owner, name, p)
	}
	if b, ok := e.Files[p]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("read %s of %s (%s): %w", p, e.Slug(), examplerepos.Dir, fs.ErrNotExist)
}

func (r exampleRepoFiles) Exists(ctx context.Context, owner, name string) (bool, error) {
	e, err := r.example(ctx, owner, name)
	if err != nil || e != nil {
		return e != nil, err
	}
	return r.local.Exists(ctx, owner, name)
}

func (r exampleRepoFiles) Local() bool      { return true }
func (r exampleRepoFiles) Describe() string { return r.local.Describe() }

// absDir is dir made absolute (as it is when that fails), so that the
// file:// addresses built on it name the folder wherever they are read.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// renderRepos says where the bot would create repositories; a render
// creates none and opens no pull request.
type renderRepos struct{ pathsRepositories }

var errRenderCreates = errors.New("a render creates no repository and opens no pull request")

func (renderRepos) CreateRepository(context.Context, actions.NewRepository) (*actions.Repository, error) {
	return nil, errRenderCreates
}

func (renderRepos) OpenPullRequest(context.Context, actions.RepoChange) (*actions.PullRequest, error) {
	return nil, errRenderCreates
}
