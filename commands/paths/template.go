package paths

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

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/expr"
)

// TemplateAPIVersion is the Backstage software-template format platbot reads.
const TemplateAPIVersion = "scaffolder.backstage.io/v1beta3"

// Limits on what a template may bring along.
const (
	maxTemplateFiles = 500
	maxTemplateBytes = 2 << 20
)

// Template is a golden path: a Backstage Template entity
// (scaffolder.backstage.io/v1beta3) with its skeleton files. Its parameters
// become a form; its steps run in order as a Run.
type Template struct {
	Name        string
	Title       string
	Description string
	// Owner is the owning group's ref ("group:default/platform").
	Owner string
	Type  string
	Tags  []string
	Pages []Page
	Steps []StepSpec
	// Links are output.links, shown to the user when a run finishes.
	Links []LinkSpec
	// Files are the template file ("template.yaml") and every skeleton file
	// the template's fetch:template steps use, by path relative to the
	// template's folder. They are what an admin approves.
	Files map[string][]byte
	// ManifestPath is the template file's name within Files.
	ManifestPath string
	// Hash identifies this exact version (sha256 over Files).
	Hash string
	// Source says where the template was found (for admins).
	Source string
}

// Page is one page of parameters.
type Page struct {
	Title       string
	Description string
	Properties  []*Property
}

// Property is one parameter: a JSON Schema property with Backstage's ui:
// extensions.
type Property struct {
	Name        string
	Type        string // string, integer, number, boolean, array
	Title       string
	Description string
	Default     any
	Enum        []any
	EnumNames   []string
	Pattern     string
	MinLength   *int
	MaxLength   *int
	Minimum     *float64
	Maximum     *float64
	ExclMinimum *float64
	ExclMaximum *float64
	Items       *Property
	UniqueItems bool
	MinItems    *int
	MaxItems    *int
	Required    bool
	UIField     string
	UIWidget    string
	UIHelp      string
	UIHidden    bool
	UIOptions   map[string]any
	Placeholder string

	pattern *regexp.Regexp
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

// TemplateError lists what is wrong with a template, for its owners and
// the admins who would approve it.
type TemplateError struct {
	Template string
	Problems []string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("template %s: %s", e.Template, strings.Join(e.Problems, "; "))
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// LoadTemplate reads the Template named name (or the first Template when
// name is "") from the file manifest within fsys, with the skeleton files
// its fetch:template steps use. The result is complete: Files and Hash
// describe everything that runs.
func LoadTemplate(fsys fs.FS, manifest, name string) (*Template, error) {
	raw, err := fs.ReadFile(fsys, manifest)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", manifest, err)
	}
	t, err := parseTemplate(raw, name)
	if err != nil {
		return nil, err
	}
	t.ManifestPath = path.Base(manifest)
	t.Files = map[string][]byte{t.ManifestPath: raw}
	base := path.Dir(manifest)
	total := len(raw)
	for _, dir := range t.skeletonDirs() {
		root := path.Join(base, dir)
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
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
			rel := strings.TrimPrefix(strings.TrimPrefix(p, base), "/")
			t.Files[rel] = b
			if len(t.Files) > maxTemplateFiles || total > maxTemplateBytes {
				return fmt.Errorf("skeleton too large (over %d files or %d bytes)", maxTemplateFiles, maxTemplateBytes)
			}
			return nil
		})
		if err != nil {
			return nil, &TemplateError{Template: t.Name, Problems: []string{fmt.Sprintf("skeleton %s: %v", dir, err)}}
		}
	}
	t.Hash = hashFiles(t.Files)
	return t, nil
}

// templateFromFiles rebuilds an approved version from its stored files.
func templateFromFiles(files map[string][]byte, manifest, name string) (*Template, error) {
	raw, ok := files[manifest]
	if !ok {
		return nil, fmt.Errorf("template %s: stored version has no %s", name, manifest)
	}
	t, err := parseTemplate(raw, name)
	if err != nil {
		return nil, err
	}
	t.ManifestPath = manifest
	t.Files = files
	t.Hash = hashFiles(files)
	return t, nil
}

// hashFiles is sha256 over the sorted paths and contents.
func hashFiles(files map[string][]byte) string {
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

// parseTemplate parses one Template document of a (possibly multi-document)
// YAML file.
func parseTemplate(raw []byte, name string) (*Template, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc templateDoc
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: not valid YAML: %w", name, err)
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
	var problems []string
	if doc.APIVersion != TemplateAPIVersion {
		problems = append(problems, fmt.Sprintf("apiVersion is %q; platbot reads %s", doc.APIVersion, TemplateAPIVersion))
	}
	if !dns1123.MatchString(t.Name) || len(t.Name) > 63 {
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
	pages, perr := parsePages(&doc.Spec.Parameters)
	problems = append(problems, perr...)
	problems = append(problems, duplicateParameters(pages)...)
	t.Pages = pages
	if len(problems) > 0 {
		return nil, &TemplateError{Template: t.Name, Problems: problems}
	}
	return t, nil
}

// duplicateParameters reports parameters declared more than once (on two
// pages, or twice on one): each parameter is one form field, and a form
// cannot hold two fields of the same id.
func duplicateParameters(pages []Page) []string {
	where := map[string][]int{}
	var order []string
	for i, pg := range pages {
		for _, p := range pg.Properties {
			if where[p.Name] == nil {
				order = append(order, p.Name)
			}
			where[p.Name] = append(where[p.Name], i+1)
		}
	}
	var probs []string
	for _, name := range order {
		if pgs := where[name]; len(pgs) > 1 {
			probs = append(probs, fmt.Sprintf("parameter %s is declared %d times (pages %v); declare each parameter once", name, len(pgs), pgs))
		}
	}
	return probs
}

// parsePages reads spec.parameters: one page (an object) or a list of pages.
func parsePages(n *yaml.Node) ([]Page, []string) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.MappingNode:
		p, probs := parsePage(n)
		return []Page{p}, probs
	case yaml.SequenceNode:
		var pages []Page
		var probs []string
		for _, c := range n.Content {
			if c.Kind != yaml.MappingNode {
				probs = append(probs, fmt.Sprintf("parameters line %d: a page must be an object", c.Line))
				continue
			}
			p, pp := parsePage(c)
			pages = append(pages, p)
			probs = append(probs, pp...)
		}
		return pages, probs
	}
	return nil, []string{"spec.parameters must be an object or a list of pages"}
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func parsePage(n *yaml.Node) (Page, []string) {
	var p Page
	var probs []string
	if v := mapGet(n, "title"); v != nil {
		p.Title = v.Value
	}
	if v := mapGet(n, "description"); v != nil {
		p.Description = v.Value
	}
	var required []string
	if v := mapGet(n, "required"); v != nil {
		_ = v.Decode(&required)
	}
	props := mapGet(n, "properties")
	if props == nil {
		return p, probs
	}
	var order []string
	if v := mapGet(n, "ui:order"); v != nil {
		_ = v.Decode(&order)
	}
	for i := 0; i+1 < len(props.Content); i += 2 {
		name := props.Content[i].Value
		prop, pp := parseProperty(name, props.Content[i+1])
		probs = append(probs, pp...)
		for _, r := range required {
			if r == name {
				prop.Required = true
			}
		}
		p.Properties = append(p.Properties, prop)
	}
	if len(order) > 0 {
		pos := map[string]int{}
		for i, o := range order {
			pos[o] = i
		}
		sort.SliceStable(p.Properties, func(i, j int) bool {
			pi, iok := pos[p.Properties[i].Name]
			pj, jok := pos[p.Properties[j].Name]
			if !iok {
				pi = len(order)
			}
			if !jok {
				pj = len(order)
			}
			return pi < pj
		})
	}
	return p, probs
}

// propDoc is the YAML shape of a JSON Schema property.
type propDoc struct {
	Type        any            `yaml:"type"`
	Title       string         `yaml:"title"`
	Description string         `yaml:"description"`
	Default     any            `yaml:"default"`
	Enum        []any          `yaml:"enum"`
	EnumNames   []string       `yaml:"enumNames"`
	Pattern     string         `yaml:"pattern"`
	MinLength   *int           `yaml:"minLength"`
	MaxLength   *int           `yaml:"maxLength"`
	Minimum     *float64       `yaml:"minimum"`
	Maximum     *float64       `yaml:"maximum"`
	ExclMinimum *float64       `yaml:"exclusiveMinimum"`
	ExclMaximum *float64       `yaml:"exclusiveMaximum"`
	Items       yaml.Node      `yaml:"items"`
	UniqueItems bool           `yaml:"uniqueItems"`
	MinItems    *int           `yaml:"minItems"`
	MaxItems    *int           `yaml:"maxItems"`
	Const       any            `yaml:"const"`
	UIField     string         `yaml:"ui:field"`
	UIWidget    string         `yaml:"ui:widget"`
	UIHelp      string         `yaml:"ui:help"`
	UIOptions   map[string]any `yaml:"ui:options"`
	UIPlace     string         `yaml:"ui:placeholder"`
	UIHidden    bool           `yaml:"ui:hidden"`
}

func parseProperty(name string, n *yaml.Node) (*Property, []string) {
	var d propDoc
	if err := n.Decode(&d); err != nil {
		return &Property{Name: name, Type: "string"}, []string{fmt.Sprintf("parameter %s: %v", name, err)}
	}
	p := &Property{
		Name: name, Title: d.Title, Description: d.Description, Default: d.Default,
		Enum: d.Enum, EnumNames: d.EnumNames, Pattern: d.Pattern, MinLength: d.MinLength, MaxLength: d.MaxLength,
		Minimum: d.Minimum, Maximum: d.Maximum, ExclMinimum: d.ExclMinimum, ExclMaximum: d.ExclMaximum,
		UniqueItems: d.UniqueItems, MinItems: d.MinItems, MaxItems: d.MaxItems,
		UIField: d.UIField, UIWidget: d.UIWidget, UIHelp: d.UIHelp, UIOptions: d.UIOptions, Placeholder: d.UIPlace,
		UIHidden: d.UIHidden || d.UIWidget == "hidden",
	}
	var probs []string
	switch t := d.Type.(type) {
	case string:
		p.Type = t
	case nil:
		p.Type = "string"
		if len(d.Enum) > 0 {
			if _, ok := d.Enum[0].(bool); ok {
				p.Type = "boolean"
			}
		}
	case []any:
		// ["string", "null"]: the first non-null type.
		for _, x := range t {
			if s, _ := x.(string); s != "" && s != "null" {
				p.Type = s
				break
			}
		}
	}
	switch p.Type {
	case "string", "integer", "number", "boolean":
	case "array":
		if d.Items.Kind == yaml.MappingNode {
			var iprobs []string
			p.Items, iprobs = parseProperty(name+"[]", &d.Items)
			probs = append(probs, iprobs...)
		}
		if p.Items == nil {
			p.Items = &Property{Type: "string"}
		}
	case "object":
		probs = append(probs, fmt.Sprintf("parameter %s: objects are not supported in chat forms; flatten it into separate parameters", name))
	default:
		probs = append(probs, fmt.Sprintf("parameter %s: type %q is not supported", name, p.Type))
	}
	if d.Const != nil && p.Default == nil {
		p.Default = d.Const
	}
	if len(p.EnumNames) > 0 && len(p.EnumNames) != len(p.Enum) {
		probs = append(probs, fmt.Sprintf("parameter %s: enumNames has %d entries for %d enum values", name, len(p.EnumNames), len(p.Enum)))
	}
	if d.Pattern != "" {
		re, err := regexp.Compile(d.Pattern)
		if err != nil {
			probs = append(probs, fmt.Sprintf("parameter %s: pattern %q is not supported (%v)", name, d.Pattern, err))
		}
		p.pattern = re
	}
	if p.UIWidget == "password" || strings.EqualFold(p.UIField, "Secret") || strings.EqualFold(p.UIField, "SecretInput") {
		probs = append(probs, fmt.Sprintf("parameter %s asks for a secret; platbot never takes secrets in forms (they would be stored with the run) — generate it in a step or use /plat secret add", name))
	}
	return p, probs
}

// skeletonDirs lists the local folders fetch:template steps render.
func (t *Template) skeletonDirs() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range t.Steps {
		if s.Action != ActionFetchTemplate {
			continue
		}
		u, _ := s.Input["url"].(string)
		d := path.Clean(strings.TrimPrefix(u, "./"))
		if u == "" || expr.Has(u) || strings.Contains(u, "://") || path.IsAbs(d) || d == ".." || strings.HasPrefix(d, "../") {
			continue // reported by check
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// properties returns every parameter in form order.
func (t *Template) properties() []*Property {
	var out []*Property
	for _, p := range t.Pages {
		out = append(out, p.Properties...)
	}
	return out
}

// property returns a parameter by name.
func (t *Template) property(name string) *Property {
	for _, p := range t.properties() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ownerProperty is the parameter naming the owning team (ui:field
// OwnerPicker), nil when the template has none.
func (t *Template) ownerProperty() *Property {
	for _, p := range t.properties() {
		if p.UIField == "OwnerPicker" {
			return p
		}
	}
	return nil
}

// nameProperty is the parameter naming what the run creates: the
// EntityNamePicker, else a parameter called "name".
func (t *Template) nameProperty() *Property {
	for _, p := range t.properties() {
		if p.UIField == "EntityNamePicker" {
			return p
		}
	}
	for _, p := range t.properties() {
		if p.Name == "name" || p.Name == "component_id" {
			return p
		}
	}
	return nil
}

// check reports every problem that would stop the template from running
// correctly: unknown actions, bad expressions, references to parameters or
// steps that do not exist, skeleton folders outside the template.
func (t *Template) check(actions map[string]Action) []string {
	var probs []string
	params := map[string]bool{}
	for _, p := range t.properties() {
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
	for i, s := range t.Steps {
		where := fmt.Sprintf("step %d (%s)", i+1, s.ID)
		if s.ID == "" {
			probs = append(probs, fmt.Sprintf("step %d has no id", i+1))
		} else if ids[s.ID] {
			probs = append(probs, where+": id used twice")
		}
		ids[s.ID] = true
		a, ok := actions[s.Action]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s uses action %s, which platbot does not have (it has %s)", where, s.Action, strings.Join(known, ", ")))
		} else {
			for _, pr := range a.Check(t, s) {
				probs = append(probs, where+": "+pr)
			}
		}
		check := func(what string, v any, allowSteps, allowEach bool) {
			rs, err := expr.Refs(v)
			if err != nil {
				probs = append(probs, fmt.Sprintf("%s %s: %v", where, what, err))
				return
			}
			for _, r := range rs {
				parts := strings.Split(r, ".")
				switch parts[0] {
				case "parameters":
					if len(parts) > 1 && !params[parts[1]] {
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
				case "user", "run", "template":
				default:
					probs = append(probs, fmt.Sprintf("%s %s: ${{ %s }} is not defined (use parameters, steps, each, user, run or template)", where, what, r))
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
		rs, err := expr.Refs(map[string]any{"title": l.Title, "url": l.URL, "entityRef": l.EntityRef})
		if err != nil {
			probs = append(probs, fmt.Sprintf("output link %d: %v", i+1, err))
			continue
		}
		for _, r := range rs {
			parts := strings.Split(r, ".")
			if parts[0] == "steps" && len(parts) > 1 && !earlier[parts[1]] {
				probs = append(probs, fmt.Sprintf("output link %d: ${{ %s }} names no step", i+1, r))
			}
		}
	}
	return probs
}

// entityKind is the default kind of an EntityPicker's value: its
// ui:options catalogFilter.kind or allowedKinds, else Component.
func (p *Property) entityKind() string {
	if f, ok := p.UIOptions["catalogFilter"].(map[string]any); ok {
		if k, ok := f["kind"].(string); ok && k != "" {
			return k
		}
	}
	if l, ok := p.UIOptions["allowedKinds"].([]any); ok && len(l) > 0 {
		if k, ok := l[0].(string); ok {
			return k
		}
	}
	return catalog.KindComponent
}
