// Package template is the Backstage software template (a Template entity,
// scaffolder.backstage.io/v1beta3) as platbot reads it: parse and load one
// with the skeleton files it uses (from a folder or from GitHub), hash the
// exact version, and check its steps and their ${{ }} expressions before an
// admin approves it. It does not run steps: the actions that do are the
// feature's, and Check asks them about their own input.
package template

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/forms"
	"github.com/platbot/platbot/commands/paths/skeleton"
	"github.com/platbot/platbot/commands/paths/templating"
)

// APIVersion is the Backstage software-template format platbot reads.
const APIVersion = "scaffolder.backstage.io/v1beta3"

// ActionFetchTemplate is Backstage's action that renders a skeleton folder
// of the template: the folders its steps name are part of the template's
// files (see Load).
const ActionFetchTemplate = "fetch:template"

// Limits on what a template may bring along.
const (
	maxTemplateFiles = 500
	maxTemplateBytes = 2 << 20
)

// Template is a golden path: a Backstage Template entity
// (scaffolder.backstage.io/v1beta3) with its skeleton files. Its parameters
// become a form (see Form); its steps run in order.
type Template struct {
	Name        string
	Title       string
	Description string
	// Owner is the owning group's ref ("group:default/platform").
	Owner string
	Type  string
	Tags  []string
	Pages forms.Pages
	Steps []StepSpec
	// Links are output.links, shown to the user when a run finishes.
	Links []LinkSpec
	// Files are the template file ("template.yaml") and every skeleton file
	// the template's fetch:template steps use, by path relative to the
	// template's folder. They are what an admin approves.
	Files map[string][]byte
	// ManifestPath is the template file's name within Files.
	ManifestPath string
	// Executable names the executable files among Files (their mode is
	// part of the version: a script stays a script).
	Executable map[string]bool
	// Hash identifies this exact version (sha256 over Files and which are
	// executable).
	Hash string
	// Source says where the template was found (for admins).
	Source string
	// paramNames are the names of every parameter the schema declares,
	// conditional ones included.
	paramNames map[string]bool
	// paramProblems are what is wrong with spec.parameters.
	paramProblems []string
}

// StepSpec is one entry of spec.steps.
type StepSpec struct {
	ID     string         `yaml:"id"`
	Name   string         `yaml:"name"`
	Action string         `yaml:"action"`
	Input  map[string]any `yaml:"input"`
	// If is a condition (an expression, or a literal boolean).
	If any `yaml:"if"`
	// Each repeats the step for every item of a list (Backstage's "each"):
	// the step sees ${{ each.value }} and ${{ each.key }}.
	Each any `yaml:"each"`
	// Line is the line of the step in the template file; ActionLine the
	// line of its action; InputLines the line of each text in its input,
	// if, each and name (by the text), for errors in them.
	Line       int            `yaml:"-"`
	ActionLine int            `yaml:"-"`
	InputLines map[string]int `yaml:"-"`
}

// UnmarshalYAML decodes a step and notes where it is.
func (s *StepSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain StepSpec
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = StepSpec(p)
	s.Line, s.ActionLine = n.Line, n.Line
	s.InputLines = map[string]int{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			if _, seen := s.InputLines[n.Value]; !seen {
				s.InputLines[n.Value] = n.Line
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "action":
			s.ActionLine = n.Content[i].Line
		case "input", "if", "each", "name":
			walk(n.Content[i+1])
		}
	}
	return nil
}

// LineOf is the line of a text of the step's input, if, each or name
// (the step's action line when unknown).
func (s StepSpec) LineOf(text string) int {
	if l := s.InputLines[text]; l > 0 {
		return l
	}
	return s.ActionLine
}

// At names the step for people: "step publish (template.yaml:42)".
func (s StepSpec) At(t *Template) string {
	return fmt.Sprintf("step %s (%s:%d)", s.ID, t.manifestName(), s.ActionLine)
}

// manifestName is the template file's name ("template.yaml" when unknown).
func (t *Template) manifestName() string {
	if t.ManifestPath == "" {
		return "template.yaml"
	}
	return t.ManifestPath
}

// LinkSpec is one output link.
type LinkSpec struct {
	Title     string `yaml:"title"`
	URL       string `yaml:"url"`
	EntityRef string `yaml:"entityRef"`
	Icon      string `yaml:"icon"`
}

// templateDoc is the YAML shape of a Template entity.
type templateDoc struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string   `yaml:"name"`
		Namespace   string   `yaml:"namespace"`
		Title       string   `yaml:"title"`
		Description string   `yaml:"description"`
		Tags        []string `yaml:"tags"`
	} `yaml:"metadata"`
	Spec struct {
		Owner      string     `yaml:"owner"`
		Type       string     `yaml:"type"`
		Parameters yaml.Node  `yaml:"parameters"`
		Steps      []StepSpec `yaml:"steps"`
		Output     struct {
			Links []LinkSpec `yaml:"links"`
		} `yaml:"output"`
	} `yaml:"spec"`
}

// Error lists what is wrong with a template, for its owners and
// the admins who would approve it.
type Error struct {
	Template string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("template %s: %s", e.Template, strings.Join(e.Problems, "; "))
}

// ChangelogFile is a template's changelog, beside the template file:
// Markdown whose "## " sections describe its versions, newest last or
// first as its owners like.
const ChangelogFile = "CHANGELOG.md"

// Load reads the Template named name (or the first Template when
// name is "") from the file manifest within fsys, with the skeleton files
// its fetch:template steps use. The result is complete: Files and Hash
// describe everything that runs.
func Load(fsys fs.FS, manifest, name string) (*Template, error) {
	raw, err := fs.ReadFile(fsys, manifest)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", manifest, err)
	}
	t, err := parse(raw, name)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", manifest, prefixColon(err))
	}
	t.ManifestPath = path.Base(manifest)
	t.Files = map[string][]byte{t.ManifestPath: raw}
	base := path.Dir(manifest)
	total := len(raw)
	// The changelog beside the template is part of the version: an
	// upgrade quotes what it says changed (commands/paths/upgrade.go).
	if b, err := fs.ReadFile(fsys, path.Join(base, ChangelogFile)); err == nil {
		t.Files[ChangelogFile] = b
		total += len(b)
	}
	dirs, files := t.skeletonDirs()
	for _, f := range files {
		b, err := fs.ReadFile(fsys, path.Join(base, f))
		if err != nil {
			return nil, &Error{Template: t.Name, Problems: []string{fmt.Sprintf("file %s: %v", f, err)}}
		}
		total += len(b)
		t.Files[f] = b
		if st, err := fs.Stat(fsys, path.Join(base, f)); err == nil && st.Mode()&0o111 != 0 {
			t.markExecutable(f)
		}
	}
	for _, dir := range dirs {
		root := path.Join(base, dir)
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == ".git" {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s is not a regular file (links are not allowed in a skeleton)", p)
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			total += len(b)
			rel := p
			if base != "." {
				rel = strings.TrimPrefix(p, base+"/")
			}
			t.Files[rel] = b
			if info, err := d.Info(); err == nil && info.Mode()&0o111 != 0 {
				t.markExecutable(rel)
			}
			if len(t.Files) > maxTemplateFiles || total > maxTemplateBytes {
				return fmt.Errorf("skeleton too large (over %d files or %d bytes)", maxTemplateFiles, maxTemplateBytes)
			}
			return nil
		})
		if err != nil {
			return nil, &Error{Template: t.Name, Problems: []string{fmt.Sprintf("skeleton %s: %v", dir, err)}}
		}
	}
	t.Hash = HashVersion(t.Files, t.Executable)
	return t, nil
}

func (t *Template) markExecutable(name string) {
	if t.Executable == nil {
		t.Executable = map[string]bool{}
	}
	t.Executable[name] = true
}

// FromFiles rebuilds an approved version from its stored files and the
// names of the executable ones.
func FromFiles(files map[string][]byte, executable []string, manifest, name string) (*Template, error) {
	raw, ok := files[manifest]
	if !ok {
		return nil, fmt.Errorf("template %s: stored version has no %s", name, manifest)
	}
	t, err := parse(raw, name)
	if err != nil {
		return nil, err
	}
	t.ManifestPath = manifest
	t.Files = files
	for _, n := range executable {
		t.markExecutable(n)
	}
	t.Hash = HashVersion(files, t.Executable)
	return t, nil
}

// ExecutableNames lists the executable files, sorted (for storing).
func (t *Template) ExecutableNames() []string {
	var out []string
	for n := range t.Executable {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// HashVersion is HashFiles, followed by the executable files' names when
// there are any (so a version without executables hashes as before).
func HashVersion(files map[string][]byte, executable map[string]bool) string {
	if len(executable) == 0 {
		return HashFiles(files)
	}
	names := make([]string, 0, len(executable))
	for n := range executable {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	h.Write([]byte(HashFiles(files)))
	for _, n := range names {
		fmt.Fprintf(h, "\nx:%d:%s", len(n), n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ShortHash abbreviates a version (a Hash) for people: its first 12
// characters.
func ShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// prefixColon puts a line number right after the file name that comes
// before it ("t.yaml:12: ..."), and a space before anything else.
func prefixColon(err error) error {
	if msg := err.Error(); msg != "" && msg[0] >= '0' && msg[0] <= '9' {
		return err
	}
	return fmt.Errorf(" %w", err)
}

// HashFiles is sha256 over the sorted paths and contents.
func HashFiles(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%d:%s\n%d:", len(n), n, len(files[n]))
		h.Write(files[n])
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// yamlLine matches yaml.v3's "line N: " prefix.
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// parse parses one Template document of a (possibly multi-document)
// YAML file.
func parse(raw []byte, name string) (*Template, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc templateDoc
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// yaml.v3 says "yaml: line N: ..."; people want file:line.
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				return nil, fmt.Errorf("%s: not valid YAML: %s", m[1], strings.TrimPrefix(msg, m[0]))
			}
			return nil, fmt.Errorf("not valid YAML: %s", msg)
		}
		if doc.Kind != catalog.KindTemplate || (name != "" && doc.Metadata.Name != name) {
			continue
		}
		return fromDoc(&doc)
	}
	if name == "" {
		return nil, errors.New("no Template document in the file")
	}
	return nil, fmt.Errorf("no Template named %s in the file", name)
}

func fromDoc(doc *templateDoc) (*Template, error) {
	t := &Template{
		Name: doc.Metadata.Name, Title: doc.Metadata.Title, Description: doc.Metadata.Description,
		Type: doc.Spec.Type, Tags: doc.Metadata.Tags, Steps: doc.Spec.Steps, Links: doc.Spec.Output.Links,
	}
	for i := range t.Steps {
		if t.Steps[i].ID == "" {
			// Backstage's task worker names a step without id step-<n>.
			t.Steps[i].ID = fmt.Sprintf("step-%d", i+1)
		}
	}
	var problems []string
	if doc.APIVersion != APIVersion {
		problems = append(problems, fmt.Sprintf("apiVersion is %q; platbot reads %s", doc.APIVersion, APIVersion))
	}
	if !forms.IsDNSLabel(t.Name) {
		problems = append(problems, fmt.Sprintf("metadata.name %q must be lower-case letters, digits and '-' (it becomes /plat %s)", t.Name, t.Name))
	}
	if t.Title == "" {
		t.Title = t.Name
	}
	if doc.Spec.Owner == "" {
		problems = append(problems, "spec.owner is missing")
	} else {
		t.Owner = catalog.NormalizeRef(doc.Spec.Owner, catalog.KindGroup, doc.Metadata.Namespace)
	}
	// Problems with the parameters stop the template from being approved
	// (Check reports them with the steps'), not from being listed.
	pages, perr := forms.Parse(&doc.Spec.Parameters)
	t.paramProblems = perr
	t.Pages = pages
	t.paramNames = map[string]bool{}
	collectProperties(&doc.Spec.Parameters, t.paramNames)
	if len(problems) > 0 {
		return nil, &Error{Template: t.Name, Problems: problems}
	}
	return t, nil
}

// collectProperties adds the keys of every "properties" mapping under n:
// the parameters a schema can have, whichever branch of a condition
// declares them.
func collectProperties(n *yaml.Node, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			collectProperties(c, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "properties" && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					out[v.Content[j].Value] = true
				}
			}
			collectProperties(v, out)
		}
	}
}

// Form builds the chat form of the template's parameters for a user (see
// forms.Pages.Form): the OwnerPicker offers the user's own teams (their
// direct groups, never the groups above them) and defaults to their team.
func (t *Template) Form(id *catalog.Identity, formID string) *bot.Form {
	return t.FormFor(formID, forms.OwnerChoices(id, nil))
}

// FormFor builds the chat form with owners as the OwnerPicker's options (the
// first is the default).
func (t *Template) FormFor(formID string, owners []string) *bot.Form {
	return t.Pages.Form(formID, t.Title, t.Description, owners)
}

// Actions that read files beside the template (their input.url): the
// folders of fetch:template and fetch:plain, the file of fetch:plain:file.
const (
	ActionFetchPlain     = "fetch:plain"
	ActionFetchPlainFile = "fetch:plain:file"
)

// skeletonDirs lists the local folders and files the template's fetch
// steps read, by path relative to the template's folder (dirs true for
// folders).
func (t *Template) skeletonDirs() (dirs, files []string) {
	seen := map[string]bool{}
	for _, s := range t.Steps {
		if s.Action != ActionFetchTemplate && s.Action != ActionFetchPlain && s.Action != ActionFetchPlainFile {
			continue
		}
		u, _ := s.Input["url"].(string)
		d := path.Clean(strings.TrimPrefix(u, "./"))
		if templating.Has(u) && !strings.Contains(u, "://") {
			// Which folder is known when the step runs: the template brings
			// its whole folder.
			d = "."
		} else if u == "" || strings.Contains(u, "://") || path.IsAbs(d) || d == ".." || strings.HasPrefix(d, "../") {
			continue // reported by Check
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		if s.Action == ActionFetchPlainFile {
			files = append(files, d)
		} else {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	sort.Strings(files)
	return dirs, files
}

// StepChecker is an action as Check sees it: it reports problems with a
// step's static input (before approval).
type StepChecker interface {
	Check(t *Template, s StepSpec) []string
}

// Check reports every problem that would stop the template from running
// correctly: steps using none of actions (the actions platbot has, by
// name), what the actions find wrong with their steps' input (skeleton
// folders outside the template, for one), bad expressions, references to
// parameters or steps that do not exist.
func Check[A StepChecker](t *Template, actions map[string]A) []string {
	probs := append([]string(nil), t.paramProblems...)
	params := map[string]bool{}
	for _, p := range t.Pages.Properties() {
		params[p.Name] = true
	}
	if len(t.Steps) == 0 {
		probs = append(probs, "spec.steps is empty")
	}
	known := make([]string, 0, len(actions))
	for k := range actions {
		known = append(known, k)
	}
	sort.Strings(known)
	earlier := map[string]bool{}
	ids := map[string]bool{}
	for _, s := range t.Steps {
		where := s.At(t)
		if ids[s.ID] {
			probs = append(probs, where+": id used twice")
		}
		ids[s.ID] = true
		a, ok := actions[s.Action]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s uses action %s, which platbot does not support (it supports %s)", where, s.Action, strings.Join(known, ", ")))
		} else {
			for _, pr := range a.Check(t, s) {
				probs = append(probs, where+": "+pr)
			}
			for _, pr := range checkSkeleton(t, s) {
				probs = append(probs, where+": "+pr)
			}
		}
		check := func(what string, v any, allowSteps, allowEach bool) {
			for _, src := range TemplateStrings(v) {
				if err := checker.Check(what, src); err != nil {
					var te *templating.Error
					if errors.As(err, &te) {
						// The line of the text in the template file, and the
						// engine's words without its own line count.
						err = fmt.Errorf("%s", te.Msg)
					}
					probs = append(probs, fmt.Sprintf("step %s (%s:%d) %s: %v", s.ID, t.manifestName(), s.LineOf(src), what, err))
					continue
				}
				for _, r := range checker.Refs(src) {
					parts := strings.Split(r, ".")
					switch parts[0] {
					case "parameters":
						if len(parts) > 1 && !t.paramNames[parts[1]] && !params[parts[1]] {
							probs = append(probs, fmt.Sprintf("%s %s: ${{ %s }} names no parameter", where, what, r))
						}
					case "steps":
						if !allowSteps {
							probs = append(probs, fmt.Sprintf("%s %s: ${{ %s }} cannot use step outputs here", where, what, r))
						} else if len(parts) > 1 && !earlier[parts[1]] {
							probs = append(probs, fmt.Sprintf("%s %s: ${{ %s }} names no earlier step", where, what, r))
						}
					case "each":
						if !allowEach {
							probs = append(probs, fmt.Sprintf("%s %s: ${{ each }} is only defined in steps with each", where, what))
						}
					case "user", "run", "template", "secrets":
					default:
						probs = append(probs, fmt.Sprintf("%s %s: ${{ %s }} is not defined (use parameters, steps, each, user, secrets, run or template)", where, what, r))
					}
				}
			}
		}
		check("each", s.Each, false, false)
		check("name", s.Name, false, s.Each != nil)
		check("if", s.If, true, s.Each != nil)
		check("input", s.Input, true, s.Each != nil)
		earlier[s.ID] = true
	}
	for i, l := range t.Links {
		for _, src := range TemplateStrings([]any{l.Title, l.URL, l.EntityRef}) {
			if err := checker.Check(fmt.Sprintf("output link %d", i+1), src); err != nil {
				probs = append(probs, err.Error())
				continue
			}
			for _, r := range checker.Refs(src) {
				parts := strings.Split(r, ".")
				if parts[0] == "steps" && len(parts) > 1 && !earlier[parts[1]] {
					probs = append(probs, fmt.Sprintf("output link %d: ${{ %s }} names no step", i+1, r))
				}
			}
		}
	}
	return probs
}

// Engines render templates: Check parses with them, and the feature
// renders with the same ones, so that what an approval check parsed is
// already in their parse caches when the first run renders it.
var Engines = skeleton.Engines{
	Std:          templating.New(templating.Options{}),
	Cookiecutter: templating.New(templating.Options{Cookiecutter: true}),
}

// checker parses templates for Check.
var checker = Engines.Std

// checkSkeleton parses the files (and file names) a fetch:template step
// renders, so that a syntax error in a skeleton is found before approval,
// named with its file and line.
func checkSkeleton(t *Template, s StepSpec) []string {
	u, _ := s.Input["url"].(string)
	if s.Action != ActionFetchTemplate || u == "" || templating.Has(u) || strings.Contains(u, "://") {
		return nil
	}
	dir := path.Clean(strings.TrimPrefix(u, "./"))
	eng := Engines.Std
	if b, _ := s.Input["cookiecutterCompatibility"].(bool); b {
		eng = Engines.Cookiecutter
	}
	globs := func(key string) []string {
		l, _ := s.Input[key].([]any)
		var out []string
		for _, g := range l {
			if str, ok := g.(string); ok {
				out = append(out, strings.TrimPrefix(str, "./"))
			}
		}
		return out
	}
	raw := append(globs("copyWithoutRender"), globs("copyWithoutTemplating")...)
	ext, _ := s.Input["templateFileExtension"].(string)
	if b, _ := s.Input["templateFileExtension"].(bool); b {
		ext = ".njk"
	}
	var probs []string
	names := make([]string, 0, len(t.Files))
	for n := range t.Files {
		if strings.HasPrefix(n, dir+"/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		rel := strings.TrimPrefix(n, dir+"/")
		if err := eng.Check(n, rel); err != nil {
			probs = append(probs, fmt.Sprintf("file name %s: %v", n, err))
		}
		skip := skeleton.IsBinary(t.Files[n]) || (ext != "" && !strings.HasSuffix(rel, "."+strings.TrimPrefix(ext, ".")))
		for _, g := range raw {
			skip = skip || skeleton.Glob(g, rel) || strings.HasPrefix(rel, strings.TrimSuffix(g, "/")+"/")
		}
		if skip {
			continue
		}
		if err := eng.Check(n, string(t.Files[n])); err != nil {
			probs = append(probs, err.Error())
		}
	}
	return probs
}

// TemplateStrings lists the strings in v (an input: maps, lists, strings)
// that hold template syntax.
func TemplateStrings(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if templating.Has(x) {
				out = append(out, x)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
