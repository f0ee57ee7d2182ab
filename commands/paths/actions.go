package paths

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/expr"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/template"
)

// Action names.
const (
	ActionFetchTemplate   = template.ActionFetchTemplate
	ActionCatalogRegister = "catalog:register"
	ActionVaultKV         = "vault:kv"
	ActionPublishPR       = "publish:github:pull-request"
)

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
	Run      *Run
	Step     *Step
	Template *template.Template
	// Input is the step's input with its expressions evaluated.
	Input map[string]any
	// Files is the run's working set of rendered files; actions may add to it.
	Files map[string]string
	// Effects are what earlier steps did (or would do), for the pull
	// request's description.
	Effects []string
	// DryRun is set while planning.
	DryRun bool
	// rawInput is the step's input as the template wrote it, and scope what
	// its expressions read: markdownInput renders text from them.
	rawInput map[string]any
	scope    expr.Scope
}

func (sc *StepContext) str(key string) string { return strings.TrimSpace(expr.ToString(sc.Input[key])) }

// markdownInput is the step's input key as GitHub markdown: the template's
// own words stay markdown, and every value an expression puts in
// (parameters people typed, earlier outputs) is bot.UserText, escaped with
// Markdown, so it can mention nobody and add no link, HTML or heading.
// Without the template's text (a context built elsewhere) all of the
// evaluated input is escaped.
func (sc *StepContext) markdownInput(key string) string {
	raw, ok := sc.rawInput[key].(string)
	if !ok || sc.scope == nil {
		return bot.UserText(sc.str(key)).Markdown()
	}
	t, err := expr.ParseText(raw)
	if err != nil {
		return bot.UserText(sc.str(key)).Markdown()
	}
	out, err := t.RenderEscaped(sc.scope, func(v string) string { return bot.UserText(v).Markdown() })
	if err != nil {
		return bot.UserText(sc.str(key)).Markdown()
	}
	return strings.TrimSpace(out)
}

// Publisher opens GitOps pull requests (GitHub, or a local git repository).
type Publisher interface {
	// Open proposes the change. It is idempotent per branch: an existing
	// pull request or branch for it is reused.
	Open(ctx context.Context, c Change) (*PullRequest, error)
	// Describe names the target for people ("GitHub acme/gitops").
	Describe() string
}

// Change is one pull request's content.
type Change struct {
	Branch        string
	Title         string
	Body          string
	CommitMessage string
	Files         map[string]string
	Labels        []string
	Assignees     []string
}

// PullRequest is an opened pull request.
type PullRequest struct {
	Number  int
	URL     string
	Branch  string
	Commit  string
	Created bool
	// Note is something worth telling the user (an assignee GitHub refused).
	Note string
}

// SecretStore keeps generated credentials: Vault, or the local
// development-only store.
type SecretStore interface {
	// WriteOnce writes data at path (relative to the KV mount) unless it was
	// already written by owner (created false). A path holding someone
	// else's secret fails with ErrSecretExists.
	WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (created bool, err error)
	// PutPolicy creates or replaces a policy (idempotent).
	PutPolicy(ctx context.Context, name, rules string) error
	// BindRole lets role read through policy (idempotent; a no-op when the
	// store has no roles to bind).
	BindRole(ctx context.Context, role, serviceAccount, namespace, policy string) error
	// Mount is the KV mount paths are relative to.
	Mount() string
	// Describe names the store for people ("Vault at https://vault:8200").
	Describe() string
	// DevelopmentOnly is true for the local development store: every
	// message that mentions it must say so.
	DevelopmentOnly() bool
}

// Errors a SecretStore returns (wrapped).
var (
	ErrSecretExists      = errors.New("a secret already exists at that path")
	ErrSecretUnavailable = errors.New("the secret store is unavailable")
)

// ---- fetch:template ----

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
		return nil, &stepError{msg: "the files could not be rendered: " + err.Error(), hint: "Nothing was created. Check the values you entered; if they look right, the template is wrong — tell its owners (" + sc.Template.Owner + ")."}
	}
	names := make([]string, 0, len(rendered))
	for n, c := range rendered {
		if old, dup := sc.Files[n]; dup && old != c {
			return nil, &stepError{msg: fmt.Sprintf("two steps write %s", n), hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
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

// ---- catalog:register ----

type catalogRegister struct{ p *Paths }

func (catalogRegister) Check(_ *template.Template, s template.StepSpec) []string {
	if _, ok := s.Input["catalogInfoPath"]; !ok {
		return []string{"input.catalogInfoPath is missing (the rendered catalog-info.yaml to add to the pull request)"}
	}
	return nil
}

// entityFile parses and checks the entity file the step registers.
func (a catalogRegister) entityFile(sc *StepContext) (*catalog.Entity, string, error) {
	p := strings.TrimPrefix(sc.str("catalogInfoPath"), "/")
	content, ok := sc.Files[p]
	if !ok {
		return nil, p, &stepError{msg: fmt.Sprintf("no rendered file %s to register", p), hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	var e catalog.Entity
	dec := yaml.NewDecoder(strings.NewReader(content))
	if err := dec.Decode(&e); err != nil && !errors.Is(err, io.EOF) {
		return nil, p, &stepError{msg: fmt.Sprintf("%s is not a catalog entity: %v", p, err)}
	}
	switch {
	case !strings.HasPrefix(e.APIVersion, "backstage.io/"):
		return nil, p, &stepError{msg: fmt.Sprintf("%s: apiVersion %q is not backstage.io/…", p, e.APIVersion)}
	case e.Kind == "" || e.Metadata.Name == "":
		return nil, p, &stepError{msg: fmt.Sprintf("%s: kind and metadata.name are required", p)}
	case e.SpecString("owner") == "" && e.Kind != catalog.KindGroup && e.Kind != catalog.KindUser && e.Kind != catalog.KindLocation:
		return nil, p, &stepError{msg: fmt.Sprintf("%s: spec.owner is required", p)}
	}
	for _, x := range a.p.catalog.List(e.Kind) {
		if x.Ref() == e.Ref() {
			return nil, p, &stepError{msg: fmt.Sprintf("%s already exists in the catalog (%s)", e.Ref(), x.Source), hint: "Pick another name and start a new run."}
		}
	}
	return &e, p, nil
}

func (a catalogRegister) Plan(_ context.Context, sc *StepContext) (Plan, error) {
	e, p, err := a.entityFile(sc)
	if err != nil {
		return Plan{}, err
	}
	return Plan{
		Effects: []string{fmt.Sprintf("register %s in the catalog (%s, in the same pull request)", e.Ref(), p)},
		Output:  map[string]any{"entityRef": e.Ref(), "catalogInfoPath": p},
	}, nil
}

func (a catalogRegister) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	pl, err := a.Plan(ctx, sc)
	if err != nil {
		return nil, err
	}
	return pl.Output, nil
}

// ---- vault:kv ----

type vaultKV struct{ p *Paths }

func (vaultKV) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"team", "service", "environment"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

// secretSegment is one segment of a secret's path: a DNS-1123 label.
var secretSegment = regexp.MustCompile(`^` + forms.DNSLabelPattern + `$`)

type secretTarget struct {
	team, service, env, name string
	path, policy, role, ns   string
}

func (a vaultKV) target(sc *StepContext) (secretTarget, error) {
	t := secretTarget{team: sc.str("team"), service: sc.str("service"), env: sc.str("environment"), name: sc.str("name")}
	if t.name == "" {
		t.name = "db"
	}
	if strings.Contains(t.team, ":") || strings.Contains(t.team, "/") {
		_, _, t.team = catalog.ParseRef(t.team, catalog.KindGroup, catalog.DefaultNamespace)
	}
	for _, s := range []string{t.team, t.service, t.env, t.name} {
		if !secretSegment.MatchString(s) {
			return t, &stepError{msg: fmt.Sprintf("secret path segment %q must be lower-case letters, digits and '-'", s), hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
		}
	}
	vars := map[string]string{"team": t.team, "service": t.service, "env": t.env, "name": t.name}
	cfg := a.p.cfg.Vault
	t.path = t.team + "/" + t.service + "/" + t.env + "/" + t.name
	t.policy = expand(cfg.PolicyPattern, vars)
	t.role = expand(cfg.RolePattern, vars)
	t.ns = expand(cfg.NamespacePattern, vars)
	return t, nil
}

func (a vaultKV) describeStore() string {
	d := a.p.secrets.Describe()
	if a.p.secrets.DevelopmentOnly() && !strings.Contains(d, "development-only") {
		d += " (development-only)"
	}
	return d
}

func (a vaultKV) output(t secretTarget, created bool) map[string]any {
	out := map[string]any{
		"path": a.p.secrets.Mount() + "/" + t.path, "policy": t.policy, "role": t.role,
		"store": a.describeStore(), "created": created, "keys": []any{"username", "password"},
	}
	if a.p.secrets.DevelopmentOnly() {
		out["label"] = "development-only"
	}
	return out
}

func (a vaultKV) Plan(_ context.Context, sc *StepContext) (Plan, error) {
	t, err := a.target(sc)
	if err != nil {
		return Plan{}, err
	}
	eff := []string{
		fmt.Sprintf("generate database credentials (username, password) and write them to %s/%s in the %s; the password is never shown", a.p.secrets.Mount(), t.path, a.describeStore()),
		fmt.Sprintf("write policy %s letting only role %s read them", t.policy, t.role),
	}
	return Plan{Effects: eff, Output: a.output(t, true)}, nil
}

func (a vaultKV) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	t, err := a.target(sc)
	if err != nil {
		return nil, err
	}
	user := sc.str("username")
	if user == "" {
		user = strings.ReplaceAll(t.service, "-", "_") + "_app"
	}
	length := 32
	if n, ok := expr.ToInt(sc.Input["passwordLength"]); ok && n >= 16 && n <= 128 {
		length = int(n)
	}
	pw, err := password(length)
	if err != nil {
		return nil, fmt.Errorf("generate password: %w", err)
	}
	owner := sc.Run.ID + "/" + sc.Step.Key
	created, err := a.p.secrets.WriteOnce(ctx, t.path, map[string]string{"username": user, "password": pw}, owner)
	pw = ""
	if err != nil {
		return nil, secretError(err, a.describeStore(), a.p.secrets.Mount()+"/"+t.path)
	}
	rules := fmt.Sprintf("# Managed by platbot (golden path %s, run %s).\n# Lets role %s read the %s credentials of %s.\npath %q {\n  capabilities = [\"read\"]\n}\n",
		sc.Template.Name, sc.Run.ID, t.role, t.env, t.service, a.p.secrets.Mount()+"/data/"+t.path)
	if err := a.p.secrets.PutPolicy(ctx, t.policy, rules); err != nil {
		return nil, secretError(err, a.describeStore(), "policy "+t.policy)
	}
	if err := a.p.secrets.BindRole(ctx, t.role, t.service, t.ns, t.policy); err != nil {
		return nil, secretError(err, a.describeStore(), "role "+t.role)
	}
	return a.output(t, created), nil
}

func secretError(err error, store, what string) error {
	switch {
	case errors.Is(err, ErrSecretExists):
		return &stepError{msg: fmt.Sprintf("%s already holds a secret this run did not write", what), hint: "Nothing was overwritten. Pick another name (or ask the platform team to remove the old secret), then start a new run.", err: err}
	case errors.Is(err, ErrSecretUnavailable):
		return &stepError{msg: fmt.Sprintf("%s could not be reached, so %s was not written (%v)", store, what, err), hint: "Nothing after this step was done. Press Retry once it is back.", err: err}
	}
	return &stepError{msg: fmt.Sprintf("writing %s to the %s failed: %v", what, store, err), hint: "Press Retry to try again; if it keeps failing, tell the platform team.", err: err}
}

const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// password returns a random password from crypto/rand.
func password(n int) (string, error) {
	max := big.NewInt(int64(len(passwordAlphabet)))
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = passwordAlphabet[k.Int64()]
	}
	return string(b), nil
}

// ---- publish:github:pull-request ----

type publishPR struct{ p *Paths }

func (publishPR) Check(_ *template.Template, s template.StepSpec) []string {
	if _, ok := s.Input["title"]; !ok {
		return []string{"input.title is missing"}
	}
	return nil
}

func (a publishPR) change(sc *StepContext) (Change, error) {
	prefix := strings.Trim(strings.TrimPrefix(sc.str("targetPath"), "./"), "/")
	files := map[string]string{}
	for n, c := range sc.Files {
		full := n
		if prefix != "" && prefix != "." {
			full = path.Join(prefix, n)
		}
		if err := skeleton.CheckOutputPath(full); err != nil {
			return Change{}, &stepError{msg: fmt.Sprintf("file %s: %v", full, err)}
		}
		files[full] = c
	}
	if len(files) == 0 {
		return Change{}, &stepError{msg: "there are no files to propose", hint: "This is a problem in the template; tell its owners (" + sc.Template.Owner + ")."}
	}
	branch := sc.Run.Branch()
	if b := sc.str("branchName"); b != "" {
		b = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r + 32
			}
			return '-'
		}, b)
		branch = "plat/" + sc.Run.ID + "-" + strings.Trim(b, "-")
	}
	labels := append([]string(nil), a.p.cfg.Labels...)
	for _, l := range expr.ToStrings(sc.Input["labels"]) {
		if l != "" && !contains(labels, l) {
			labels = append(labels, l)
		}
	}
	title := sc.str("title")
	return Change{
		Branch: branch, Title: title, Body: a.body(sc, files), Files: files, Labels: labels,
		CommitMessage: title + "\n\nGolden path " + sc.Template.Name + ", run " + sc.Run.ID + ", requested by " + sc.Run.Requester.String() + ".",
		Assignees:     a.p.assignees(sc.Run),
	}, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// body is the pull request's description: the template's own description,
// then everything the path creates, listed from the files themselves.
func (a publishPR) body(sc *StepContext, files map[string]string) string {
	var b strings.Builder
	if d := sc.markdownInput("description"); d != "" {
		b.WriteString(d + "\n\n")
	}
	b.WriteString("## What this creates\n\n")
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		docs := describeYAML(n, files[n])
		if len(docs) == 0 {
			fmt.Fprintf(&b, "- `%s`\n", bot.UserText(n).Markdown())
			continue
		}
		for _, d := range docs {
			fmt.Fprintf(&b, "- %s — `%s`\n", bot.UserText(d).Markdown(), bot.UserText(n).Markdown())
		}
	}
	if len(sc.Effects) > 0 {
		b.WriteString("\n## Also part of this run\n\n")
		for _, e := range sc.Effects {
			b.WriteString("- " + bot.UserText(e).Markdown() + "\n")
		}
	}
	fmt.Fprintf(&b, "\n---\nOpened by platbot: golden path `%s` (version %s), run `%s`, requested by %s for %s.\n",
		sc.Template.Name, shortHash(sc.Template.Hash), sc.Run.ID, bot.UserText(sc.Run.Requester.String()).Markdown(), sc.Run.Owner)
	return b.String()
}

// describeYAML lists "Kind namespace/name" of each document of a YAML file.
func describeYAML(name, content string) []string {
	if !skeleton.IsYAML(name) {
		return nil
	}
	var out []string
	dec := yaml.NewDecoder(bytes.NewReader([]byte(content)))
	for {
		var doc struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
		}
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc.Kind == "" {
			continue
		}
		n := doc.Metadata.Name
		if doc.Metadata.Namespace != "" {
			n = doc.Metadata.Namespace + "/" + n
		}
		out = append(out, fmt.Sprintf("%s `%s`", doc.Kind, n))
	}
	return out
}

func (a publishPR) Plan(_ context.Context, sc *StepContext) (Plan, error) {
	c, err := a.change(sc)
	if err != nil {
		return Plan{}, err
	}
	eff := fmt.Sprintf("open a pull request %q in %s from branch %s with %d file(s), labels %s",
		c.Title, a.p.pub.Describe(), c.Branch, len(c.Files), strings.Join(c.Labels, ", "))
	if len(c.Assignees) > 0 {
		eff += ", assigned to " + strings.Join(c.Assignees, ", ")
	}
	return Plan{Effects: []string{eff}, Output: map[string]any{
		"remoteUrl": "(the pull request's address)", "branch": c.Branch, "repo": a.p.pub.Describe(),
	}}, nil
}

func (a publishPR) Run(ctx context.Context, sc *StepContext) (map[string]any, error) {
	c, err := a.change(sc)
	if err != nil {
		return nil, err
	}
	pr, err := a.p.pub.Open(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &stepError{msg: fmt.Sprintf("could not open the pull request in %s: %s", a.p.pub.Describe(), strings.TrimPrefix(err.Error(), "github: ")),
			hint: "Press Retry to try again: the branch or pull request of this attempt, if any, is reused.", err: err}
	}
	out := map[string]any{
		"remoteUrl": pr.URL, "pullRequestNumber": int64(pr.Number), "branch": pr.Branch,
		"commit": pr.Commit, "created": pr.Created, "repo": a.p.pub.Describe(),
	}
	if pr.Note != "" {
		out["note"] = pr.Note
	}
	return out, nil
}

// assignees maps the requester to a GitOps login: the github.com/user-login
// annotation of their catalog User, else nothing.
func (p *Paths) assignees(r *Run) []string {
	if r.RequesterRef == "" {
		return nil
	}
	for _, u := range p.catalog.List(catalog.KindUser) {
		if u.Ref() == r.RequesterRef {
			if login := u.Annotation("github.com/user-login"); login != "" {
				return []string{login}
			}
		}
	}
	return nil
}

// stepError is a step failure explained for the user: what went wrong and
// what they can do about it.
type stepError struct {
	msg  string
	hint string
	err  error
}

func (e *stepError) Error() string {
	if e.hint == "" {
		return e.msg
	}
	return e.msg + ". " + e.hint
}

func (e *stepError) Unwrap() error { return e.err }

// planProblem is a dry-run failure without the advice meant for a failed
// run ("Press Retry…").
func planProblem(err error) string {
	s := err.Error()
	var se *stepError
	if errors.As(err, &se) && se.hint != "" {
		s = strings.Replace(s, se.Error(), se.msg, 1)
	}
	return s
}
