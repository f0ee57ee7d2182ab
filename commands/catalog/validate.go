package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kinds are the entity kinds platbot knows, Backstage's built-in ones.
var Kinds = []string{KindComponent, KindAPI, KindResource, KindSystem, KindDomain, KindGroup, KindUser, KindLocation, KindTemplate}

// API versions accepted per kind, as Backstage's kind schemas list them.
var (
	catalogAPIVersions  = []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}
	templateAPIVersions = []string{"scaffolder.backstage.io/v1beta3", "scaffolder.backstage.io/v1beta2", "backstage.io/v1beta2"}
)

// canonicalKind returns the built-in kind spelled as Backstage spells it, or
// "" for an unknown kind. The match ignores case.
func canonicalKind(k string) string {
	for _, known := range Kinds {
		if strings.EqualFold(k, known) {
			return known
		}
	}
	return ""
}

// Backstage's validators (catalog-model KubernetesValidatorFunctions and
// CommonValidatorFunctions).
var (
	objectNameRE = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsLabelRE   = regexp.MustCompile(`^[a-z0-9]+(?:-+[a-z0-9]+)*$`)
	tagRE        = regexp.MustCompile(`^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`)
	apiVersionRE = regexp.MustCompile(`^[a-z0-9.-]+/[a-z0-9]+$`)
)

// Messages of the naming rules, in Backstage's words.
const (
	nameRule      = "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total"
	namespaceRule = "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total"
	tagRule       = "a string that is sequences of [a-z0-9+#:] separated by [-], at most 63 characters in total"
)

// ValidName reports whether s is a valid entity name (Backstage's
// isValidObjectName).
func ValidName(s string) bool { return len(s) >= 1 && len(s) <= 63 && objectNameRE.MatchString(s) }

// ValidNamespace reports whether s is a valid namespace (a DNS label).
func ValidNamespace(s string) bool { return len(s) >= 1 && len(s) <= 63 && dnsLabelRE.MatchString(s) }

// ValidTag reports whether s is a valid tag.
func ValidTag(s string) bool { return len(s) >= 1 && len(s) <= 63 && tagRE.MatchString(s) }

func validDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for _, p := range strings.Split(s, ".") {
		if !ValidNamespace(p) {
			return false
		}
	}
	return true
}

// validKey checks a label or annotation key: [prefix/]name with a DNS
// subdomain prefix.
func validKey(k string) bool {
	prefix, name, found := strings.Cut(k, "/")
	if !found {
		return ValidName(k)
	}
	return validDNSSubdomain(prefix) && ValidName(name)
}

// refField describes a spec field that refers to other entities.
type refField struct {
	field string
	kind  string // default kind of a ref without one
	list  bool
	// allowed kinds of the target (empty = any).
	targets []string
}

// refFields lists, per kind, the spec fields holding entity refs.
var refFields = map[string][]refField{
	KindComponent: {
		{field: "owner", kind: KindGroup, targets: []string{KindGroup, KindUser}},
		{field: "system", kind: KindSystem, targets: []string{KindSystem}},
		{field: "subcomponentOf", kind: KindComponent, targets: []string{KindComponent}},
		{field: "providesApis", kind: KindAPI, list: true, targets: []string{KindAPI}},
		{field: "consumesApis", kind: KindAPI, list: true, targets: []string{KindAPI}},
		{field: "dependsOn", kind: KindComponent, list: true},
		{field: "dependencyOf", kind: KindComponent, list: true},
	},
	KindAPI: {
		{field: "owner", kind: KindGroup, targets: []string{KindGroup, KindUser}},
		{field: "system", kind: KindSystem, targets: []string{KindSystem}},
	},
	KindResource: {
		{field: "owner", kind: KindGroup, targets: []string{KindGroup, KindUser}},
		{field: "system", kind: KindSystem, targets: []string{KindSystem}},
		{field: "dependsOn", kind: KindResource, list: true},
		{field: "dependencyOf", kind: KindComponent, list: true},
	},
	KindSystem: {
		{field: "owner", kind: KindGroup, targets: []string{KindGroup, KindUser}},
		{field: "domain", kind: KindDomain, targets: []string{KindDomain}},
	},
	KindDomain: {
		{field: "owner", kind: KindGroup, targets: []string{KindGroup, KindUser}},
		{field: "subdomainOf", kind: KindDomain, targets: []string{KindDomain}},
	},
	KindGroup: {
		{field: "parent", kind: KindGroup, targets: []string{KindGroup}},
		{field: "children", kind: KindGroup, list: true, targets: []string{KindGroup}},
		{field: "members", kind: KindUser, list: true, targets: []string{KindUser}},
	},
	KindUser: {
		{field: "memberOf", kind: KindGroup, list: true, targets: []string{KindGroup}},
	},
	KindTemplate: {
		{field: "owner", kind: KindGroup, targets: []string{KindGroup, KindUser}},
	},
}

// checker collects the problems of one document.
type checker struct {
	root *yaml.Node
	out  []lineError
}

func (c *checker) addf(line int, format string, args ...any) {
	c.out = append(c.out, lineError{line, fmt.Sprintf(format, args...)})
}

// validate checks an entity the way Backstage's validators do: apiVersion
// and kind, metadata naming rules, and the required spec fields of its
// kind. References are checked later, once every entity is known.
func validate(e *Entity, root *yaml.Node) []lineError {
	c := &checker{root: root}
	kind := canonicalKind(e.Kind)
	switch {
	case e.Kind == "":
		c.addf(lineOf(root, "kind"), "kind is required")
	case kind == "":
		c.addf(lineOf(root, "kind"), "unknown kind %q (platbot knows %s)", e.Kind, strings.Join(Kinds, ", "))
	case kind != e.Kind:
		c.addf(lineOf(root, "kind"), "kind %q must be spelled %q", e.Kind, kind)
	}
	switch {
	case e.APIVersion == "":
		c.addf(lineOf(root, "apiVersion"), "apiVersion is required")
	case !apiVersionRE.MatchString(e.APIVersion):
		c.addf(lineOf(root, "apiVersion"), "apiVersion %q is not of the form group/version", e.APIVersion)
	case kind == KindTemplate && !slices.Contains(templateAPIVersions, e.APIVersion):
		c.addf(lineOf(root, "apiVersion"), "apiVersion %q is not one of %s for a Template", e.APIVersion, strings.Join(templateAPIVersions, ", "))
	case kind != "" && kind != KindTemplate && !slices.Contains(catalogAPIVersions, e.APIVersion):
		c.addf(lineOf(root, "apiVersion"), "apiVersion %q is not one of %s for a %s", e.APIVersion, strings.Join(catalogAPIVersions, ", "), kind)
	}
	c.metadata(e)
	if kind == "" {
		return c.out
	}
	if _, spec := field(root, "spec"); spec == nil || spec.Kind != yaml.MappingNode {
		if spec == nil {
			c.addf(root.Line, "spec is required for a %s", kind)
		} else {
			c.addf(spec.Line, "spec must be a mapping, not a %s", nodeKind(spec))
		}
		return c.out
	}
	c.spec(e, kind)
	return c.out
}

func (c *checker) metadata(e *Entity) {
	mk, mv := field(c.root, "metadata")
	if mk == nil {
		c.addf(c.root.Line, "metadata is required")
		return
	}
	if mv.Kind != yaml.MappingNode {
		c.addf(mv.Line, "metadata must be a mapping, not a %s", nodeKind(mv))
		return
	}
	m := e.Metadata
	switch {
	case m.Name == "":
		c.addf(lineOf(c.root, "metadata", "name"), "metadata.name is required")
	case !ValidName(m.Name):
		c.addf(lineOf(c.root, "metadata", "name"), "metadata.name %q is not valid; expected %s", m.Name, nameRule)
	}
	if m.Namespace != "" && !ValidNamespace(m.Namespace) {
		c.addf(lineOf(c.root, "metadata", "namespace"), "metadata.namespace %q is not valid; expected %s", m.Namespace, namespaceRule)
	}
	for k, v := range m.Labels {
		if !validKey(k) {
			c.addf(lineOf(c.root, "metadata", "labels", k), "label key %q is not valid; expected [prefix/]%s", k, nameRule)
		}
		if v != "" && !ValidName(v) {
			c.addf(lineOf(c.root, "metadata", "labels", k), "label %q value %q is not valid; expected %s", k, v, nameRule)
		}
	}
	for k := range m.Annotations {
		if !validKey(k) {
			c.addf(lineOf(c.root, "metadata", "annotations", k), "annotation key %q is not valid; expected [prefix/]%s", k, nameRule)
		}
	}
	_, tags := field(mv, "tags")
	for i, t := range m.Tags {
		if !ValidTag(t) {
			line := lineOf(c.root, "metadata", "tags")
			if tags != nil && i < len(tags.Content) {
				line = tags.Content[i].Line
			}
			c.addf(line, "tag %q is not valid; expected %s", t, tagRule)
		}
	}
	_, links := field(mv, "links")
	for i, l := range m.Links {
		if l.URL == "" {
			line := lineOf(c.root, "metadata", "links")
			if links != nil && i < len(links.Content) {
				line = links.Content[i].Line
			}
			c.addf(line, "links[%d].url is required", i)
		}
	}
}

func (c *checker) spec(e *Entity, kind string) {
	str := func(name string) {
		_, v := field(mustField(c.root, "spec"), name)
		switch {
		case v == nil:
			c.addf(lineOf(c.root, "spec"), "spec.%s is required for a %s", name, kind)
		case v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Value == "":
			c.addf(v.Line, "spec.%s must be a non-empty string", name)
		}
	}
	list := func(name string, required bool) {
		_, v := field(mustField(c.root, "spec"), name)
		switch {
		case v == nil:
			if required {
				c.addf(lineOf(c.root, "spec"), "spec.%s is required for a %s (use [] for none)", name, kind)
			}
		case v.Kind != yaml.SequenceNode:
			c.addf(v.Line, "spec.%s must be a list", name)
		default:
			for _, it := range v.Content {
				if it.Kind != yaml.ScalarNode || it.Value == "" {
					c.addf(it.Line, "spec.%s entries must be non-empty strings", name)
				}
			}
		}
	}
	optStr := func(name string) {
		if _, v := field(mustField(c.root, "spec"), name); v != nil && (v.Kind != yaml.ScalarNode || v.Value == "") {
			c.addf(v.Line, "spec.%s must be a non-empty string", name)
		}
	}
	switch kind {
	case KindComponent:
		str("type")
		str("lifecycle")
		str("owner")
		optStr("system")
		optStr("subcomponentOf")
		list("providesApis", false)
		list("consumesApis", false)
		list("dependsOn", false)
	case KindAPI:
		str("type")
		str("lifecycle")
		str("owner")
		optStr("system")
		if e.Type() == "mcp-server" {
			c.remotes()
		} else {
			c.definition(kind)
		}
	case KindResource:
		str("type")
		str("owner")
		optStr("system")
		list("dependsOn", false)
	case KindSystem:
		str("owner")
		optStr("domain")
	case KindDomain:
		str("owner")
		optStr("subdomainOf")
	case KindGroup:
		str("type")
		list("children", true)
		optStr("parent")
		list("members", false)
	case KindUser:
		list("memberOf", false)
	case KindLocation:
		_, t := field(mustField(c.root, "spec"), "target")
		_, ts := field(mustField(c.root, "spec"), "targets")
		if t == nil && ts == nil {
			c.addf(lineOf(c.root, "spec"), "spec.target or spec.targets is required for a Location")
		}
		optStr("target")
		list("targets", false)
		optStr("type")
		optStr("owner") // the team whose files the targets are (see source.refuse)
	case KindTemplate:
		str("type")
		_, steps := field(mustField(c.root, "spec"), "steps")
		switch {
		case steps == nil:
			c.addf(lineOf(c.root, "spec"), "spec.steps is required for a Template")
		case steps.Kind != yaml.SequenceNode:
			c.addf(steps.Line, "spec.steps must be a list")
		}
		if _, p := field(mustField(c.root, "spec"), "parameters"); p != nil && p.Kind != yaml.MappingNode && p.Kind != yaml.SequenceNode {
			c.addf(p.Line, "spec.parameters must be a mapping or a list of mappings")
		}
		optStr("owner")
	}
}

// definition checks an API's spec.definition: a string, or a placeholder
// mapping ($text, $json, $yaml) as Backstage's placeholder processor reads.
func (c *checker) definition(kind string) {
	_, v := field(mustField(c.root, "spec"), "definition")
	switch {
	case v == nil:
		c.addf(lineOf(c.root, "spec"), "spec.definition is required for an %s", kind)
	case v.Kind == yaml.ScalarNode && v.Value != "":
	case v.Kind == yaml.MappingNode && len(v.Content) == 2 && slices.Contains([]string{"$text", "$json", "$yaml"}, v.Content[0].Value):
	default:
		c.addf(v.Line, "spec.definition must be a string or one of $text, $json, $yaml")
	}
}

// remotes checks an mcp-server API's spec.remotes, which Backstage's
// tagged API spec uses instead of a definition: a list of {type, url}.
func (c *checker) remotes() {
	_, v := field(mustField(c.root, "spec"), "remotes")
	switch {
	case v == nil:
		c.addf(lineOf(c.root, "spec"), "spec.remotes is required for an API of type mcp-server")
	case v.Kind != yaml.SequenceNode || len(v.Content) == 0:
		c.addf(v.Line, "spec.remotes must be a non-empty list of {type, url}")
	default:
		for i, r := range v.Content {
			if _, u := field(r, "url"); u == nil || u.Kind != yaml.ScalarNode || u.Value == "" {
				c.addf(r.Line, "spec.remotes[%d].url is required", i)
			}
		}
	}
}

func mustField(n *yaml.Node, key string) *yaml.Node {
	_, v := field(n, key)
	return v
}
