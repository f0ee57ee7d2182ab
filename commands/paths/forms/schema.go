// Package forms turns the parameters of a Backstage software template (JSON
// Schema properties with Backstage's ui: extensions) into a chat form, and
// checks and types what people submit: the rules a form field cannot say
// itself, submitted text to typed parameters, and back after a JSON round
// trip. It knows nothing about steps, runs or Slack.
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
	Properties  []*Property
}

// Pages are a template's parameters: its pages in order, each property one
// form field.
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

	// pattern is Pattern compiled (nil when absent or not valid).
	pattern *regexp.Regexp
}

// Properties returns every parameter in form order.
func (ps Pages) Properties() []*Property {
	var out []*Property
	for _, p := range ps {
		out = append(out, p.Properties...)
	}
	return out
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

// EntityKind is the default kind of an EntityPicker's value: its
// ui:options catalogFilter.kind or allowedKinds, else Component.
func (p *Property) EntityKind() string {
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

// Parse reads a template's spec.parameters: one page (an object) or a list
// of pages. The problems are written for the template's owners; a parameter
// declared twice is one of them (a form cannot hold two fields of one id).
func Parse(n *yaml.Node) (Pages, []string) {
	pages, probs := parsePages(n)
	return pages, append(probs, duplicateParameters(pages)...)
}

// parsePages reads spec.parameters without the check across pages.
func parsePages(n *yaml.Node) (Pages, []string) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.MappingNode:
		p, probs := parsePage(n)
		return Pages{p}, probs
	case yaml.SequenceNode:
		var pages Pages
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

// duplicateParameters reports parameters declared more than once (on two
// pages, or twice on one): each parameter is one form field, and a form
// cannot hold two fields of the same id.
func duplicateParameters(pages Pages) []string {
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

// parsePage reads one page: its title, description and properties in
// ui:order.
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

// parseProperty reads one JSON Schema property; the problems name it.
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
