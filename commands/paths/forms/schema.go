// Package forms turns the parameters of a Backstage software template
// (scaffolder.backstage.io/v1beta3 spec.parameters: one JSON Schema object
// per page, with Backstage's ui: extensions) into a chat form, and checks
// and types what people submit as Backstage does: every page's schema is
// compiled once when the template is parsed and a submission is validated
// against it (required, pattern, enum, bounds, formats, dependencies,
// oneOf/anyOf/allOf, if/then/else). Conditional properties (dependencies
// with oneOf branches, if/then/else, allOf of those) exist only while the
// values entered so far select them. It knows nothing about steps, runs or
// Slack.
package forms

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
)

// Page is one page of parameters.
type Page struct {
	Title       string
	Description string
	// Properties are the page's unconditional properties in ui:order.
	Properties []*Property

	// root is the page's schema as the parts that add properties.
	root *part
	// order is the page's ui:order.
	order []string
	// schema is the page's schema compiled; nil when it did not compile
	// (Parse reported why).
	schema schemaValidator
}

// Pages are a template's parameters: its pages in order.
type Pages []Page

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
	Format      string
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
	// Required is set for a property the page's own required list names;
	// a conditional part's required list applies while that part does.
	Required    bool
	UIField     string
	UIWidget    string
	UIHelp      string
	UIHidden    bool
	UIOptions   map[string]any
	Placeholder string
	// Conditional is set for a property that exists only while the values
	// select the part declaring it (a dependency, then/else branch).
	Conditional bool

	// pattern is Pattern compiled (nil when absent or not valid).
	pattern *regexp.Regexp
	// line is where the property is declared.
	line int
}

// Secret reports whether the property's value is a secret (ui:widget
// password or ui:field Secret, as Backstage's secrets context): it is asked
// in a secret field and handed to the run apart from the parameters (see
// Pages.Secrets).
func (p *Property) Secret() bool {
	return p.UIWidget == "password" || strings.EqualFold(p.UIField, "Secret")
}

// Properties returns every parameter in form order, the conditional ones
// too (each name once, as first declared).
func (ps Pages) Properties() []*Property {
	var out []*Property
	seen := map[string]bool{}
	for _, p := range ps {
		for _, prop := range orderProperties(p.schemaPart().all(), p.order) {
			if !seen[prop.Name] {
				seen[prop.Name] = true
				out = append(out, prop)
			}
		}
	}
	return out
}

// SecretNames are the parameters whose values are secrets, in form order.
func (ps Pages) SecretNames() []string {
	var out []string
	for _, p := range ps.Properties() {
		if p.Secret() {
			out = append(out, p.Name)
		}
	}
	return out
}

// property returns the parameter called name (conditional ones too).
func (ps Pages) property(name string) *Property {
	for _, p := range ps.Properties() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// OwnerProperty is the parameter naming the owning team (ui:field
// OwnerPicker), nil when the template has none.
func (ps Pages) OwnerProperty() *Property {
	for _, p := range ps.Properties() {
		if p.UIField == "OwnerPicker" {
			return p
		}
	}
	return nil
}

// NameProperty is the parameter naming what the run creates: the
// EntityNamePicker, else a parameter called "name".
func (ps Pages) NameProperty() *Property {
	for _, p := range ps.Properties() {
		if p.UIField == "EntityNamePicker" {
			return p
		}
	}
	for _, p := range ps.Properties() {
		if p.Name == "name" || p.Name == "component_id" {
			return p
		}
	}
	return nil
}

// EntityNameProperty is the parameter naming a new catalog entity (a
// service, a database), which must be unique across the catalog: the
// EntityNamePicker, else Backstage's component_id; nil when the run
// creates no entity (a cache's name, unique only where it lives).
func (ps Pages) EntityNameProperty() *Property {
	for _, p := range ps.Properties() {
		if p.UIField == "EntityNamePicker" {
			return p
		}
	}
	for _, p := range ps.Properties() {
		if p.Name == "component_id" {
			return p
		}
	}
	return nil
}

// EntityKind is the default kind of an EntityPicker's value: its
// ui:options defaultKind, catalogFilter.kind or allowedKinds, else
// Component.
func (p *Property) EntityKind() string {
	if k, ok := p.UIOptions["defaultKind"].(string); ok && k != "" {
		return k
	}
	if f, ok := p.UIOptions["catalogFilter"].(map[string]any); ok {
		switch k := f["kind"].(type) {
		case string:
			if k != "" {
				return k
			}
		case []any:
			if s, ok := firstString(k); ok {
				return s
			}
		}
	}
	if l, ok := p.UIOptions["allowedKinds"].([]any); ok {
		if k, ok := firstString(l); ok {
			return k
		}
	}
	return catalog.KindComponent
}

// EntityNamespace is the default namespace of an EntityPicker's value: its
// ui:options defaultNamespace, else default.
func (p *Property) EntityNamespace() string {
	if ns, ok := p.UIOptions["defaultNamespace"].(string); ok && ns != "" {
		return ns
	}
	return catalog.DefaultNamespace
}

// firstString is the first element of l when it is non-empty text.
func firstString(l []any) (string, bool) {
	if len(l) == 0 {
		return "", false
	}
	s, ok := l[0].(string)
	return s, ok && s != ""
}

// Parse reads a template's spec.parameters: one page (an object) or a list
// of pages. Each page's schema is compiled (a schema the validator refuses,
// such as a pattern it cannot compile, is a problem naming its line). The
// problems are written for the template's owners; a parameter declared on
// two pages is one of them (a form cannot hold two fields of one id).
func Parse(n *yaml.Node) (Pages, []string) {
	var nodes []*yaml.Node
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.MappingNode:
		nodes = []*yaml.Node{n}
	case yaml.SequenceNode:
		nodes = n.Content
	default:
		return nil, []string{fmt.Sprintf("parameters line %d: spec.parameters must be an object or a list of pages", n.Line)}
	}
	cc := newCompiler()
	var pages Pages
	var probs []string
	for i, c := range nodes {
		if c.Kind != yaml.MappingNode {
			probs = append(probs, fmt.Sprintf("parameters line %d: a page must be an object", c.Line))
			continue
		}
		p, pp := parsePage(c, i, cc)
		pages = append(pages, p)
		probs = append(probs, pp...)
	}
	probs = append(probs, duplicateParameters(pages)...)
	return pages, probs
}

// duplicateParameters reports parameters declared on two pages, and
// RepoUrlPicker sub-fields whose ids are taken by a parameter: each is one
// form field, and a form cannot hold two fields of the same id. (One name
// in two exclusive branches of one page is fine: only one exists at a
// time.)
func duplicateParameters(pages Pages) []string {
	where := map[string][]int{}
	var order []string
	for i, pg := range pages {
		seen := map[string]bool{}
		for _, p := range pg.schemaPart().all() {
			if seen[p.Name] {
				continue
			}
			seen[p.Name] = true
			if where[p.Name] == nil {
				order = append(order, p.Name)
			}
			where[p.Name] = append(where[p.Name], i+1)
		}
	}
	var probs []string
	for _, name := range order {
		if pgs := where[name]; len(pgs) > 1 {
			probs = append(probs, fmt.Sprintf("parameter %s is declared on %d pages (pages %v); declare each parameter once", name, len(pgs), pgs))
		}
	}
	byName := map[string]*Property{}
	for _, pg := range pages {
		for _, p := range pg.schemaPart().all() {
			if byName[p.Name] == nil {
				byName[p.Name] = p
			}
		}
	}
	for _, name := range order {
		p := byName[name]
		if p.UIField != "RepoUrlPicker" {
			continue
		}
		for _, sub := range []string{p.Name + repoHostSuffix, p.Name + repoOwnerSuffix, p.Name + repoNameSuffix} {
			if q := byName[sub]; q != nil {
				probs = append(probs, fmt.Sprintf("parameter %s (line %d): its name is taken by a field of the RepoUrlPicker %s (line %d); rename it", sub, q.line, p.Name, p.line))
			}
		}
	}
	return probs
}

// mapGet returns the value of key in a YAML mapping, nil when absent.
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

// parsePage reads one page: its title, description, properties in
// ui:order and conditional parts, and compiles its schema.
func parsePage(n *yaml.Node, index int, cc *compiler) (Page, []string) {
	var p Page
	if v := mapGet(n, "title"); v != nil {
		p.Title = v.Value
	}
	if v := mapGet(n, "description"); v != nil {
		p.Description = v.Value
	}
	if v := mapGet(n, "ui:order"); v != nil {
		_ = v.Decode(&p.order)
	}
	url, probs := cc.addPage(n, index)
	root, pp := parsePart(n, "", &partCtx{cc: cc, url: url})
	probs = append(probs, pp...)
	p.root = root
	for _, prop := range root.props {
		for _, r := range root.required {
			if r == prop.Name {
				prop.Required = true
			}
		}
	}
	p.Properties = orderProperties(root.props, p.order)
	if url != "" {
		sch, err := cc.compile(url, "")
		if err != nil {
			probs = append(probs, cc.problem(n, err))
		} else {
			p.schema = sch
		}
	}
	return p, probs
}

// orderProperties sorts properties by ui:order: the names it lists first,
// in its order, then the rest where its "*" stands (else at the end), in
// declaration order.
func orderProperties(props []*Property, order []string) []*Property {
	out := append([]*Property(nil), props...)
	if len(order) == 0 {
		return out
	}
	pos := map[string]int{}
	rest := len(order)
	for i, o := range order {
		if o == "*" {
			rest = i
			continue
		}
		pos[o] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, iok := pos[out[i].Name]
		pj, jok := pos[out[j].Name]
		if !iok {
			pi = rest
		}
		if !jok {
			pj = rest
		}
		return pi < pj
	})
	return out
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
	Format      string         `yaml:"format"`
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

// parseProperty reads one JSON Schema property; the problems name it and
// its line.
func parseProperty(name string, n *yaml.Node) (*Property, []string) {
	var d propDoc
	if err := n.Decode(&d); err != nil {
		return &Property{Name: name, Type: "string", line: n.Line}, []string{fmt.Sprintf("parameter %s (line %d): %v", name, n.Line, err)}
	}
	p := &Property{
		Name: name, Title: d.Title, Description: d.Description, Default: d.Default,
		Enum: d.Enum, EnumNames: d.EnumNames, Pattern: d.Pattern, Format: d.Format, MinLength: d.MinLength, MaxLength: d.MaxLength,
		Minimum: d.Minimum, Maximum: d.Maximum, ExclMinimum: d.ExclMinimum, ExclMaximum: d.ExclMaximum,
		UniqueItems: d.UniqueItems, MinItems: d.MinItems, MaxItems: d.MaxItems,
		UIField: d.UIField, UIWidget: d.UIWidget, UIHelp: d.UIHelp, UIOptions: d.UIOptions, Placeholder: d.UIPlace,
		UIHidden: d.UIHidden || d.UIWidget == "hidden", line: n.Line,
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
		if _, ok := d.Const.(bool); ok {
			p.Type = "boolean"
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
		if p.Items.Type == "object" || p.Items.Type == "array" {
			probs = append(probs, fmt.Sprintf("parameter %s (line %d): lists of %ss are not supported in chat forms; use a list of text or of choices", name, n.Line, p.Items.Type))
		}
	case "object":
		probs = append(probs, fmt.Sprintf("parameter %s (line %d): objects are not supported in chat forms; flatten it into separate parameters", name, n.Line))
	default:
		probs = append(probs, fmt.Sprintf("parameter %s (line %d): type %q is not supported", name, n.Line, p.Type))
	}
	if d.Const != nil && p.Default == nil {
		p.Default = d.Const
	}
	if len(p.EnumNames) > 0 && len(p.EnumNames) != len(p.Enum) {
		probs = append(probs, fmt.Sprintf("parameter %s (line %d): enumNames has %d entries for %d enum values", name, n.Line, len(p.EnumNames), len(p.Enum)))
	}
	if d.Pattern != "" {
		// The schema compiler reports a pattern it cannot compile, with
		// its line; the form only uses one that compiles.
		p.pattern, _ = regexp.Compile(d.Pattern)
	}
	if p.Secret() && p.Type != "string" {
		probs = append(probs, fmt.Sprintf("parameter %s (line %d): a secret (ui:widget password, ui:field Secret) must be of type string", name, n.Line))
	}
	switch p.UIField {
	case "MultiEntityPicker":
		if p.Type != "array" {
			probs = append(probs, fmt.Sprintf("parameter %s (line %d): a MultiEntityPicker must be of type array", name, n.Line))
		}
	case "EntityPicker", "OwnerPicker", "RepoUrlPicker", "EntityNamePicker":
		if p.Type != "string" {
			probs = append(probs, fmt.Sprintf("parameter %s (line %d): a %s must be of type string", name, n.Line, p.UIField))
		}
	}
	return p, probs
}
