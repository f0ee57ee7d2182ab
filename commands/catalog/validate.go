package catalog

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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

// Backstage's validators: KubernetesValidatorFunctions and
// CommonValidatorFunctions in its catalog-model package, combined as its
// makeValidator combines them (tags have their own rule there). The table
// test in backstage_validators_test.go holds their published test vectors.
// Their regular expressions are written out as byte checks here (a
// catalog load runs them for every entity); validate_test.go holds each
// check to its expression:
//
//	name:      ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$
//	DNS label: ^[a-z0-9]+(?:-+[a-z0-9]+)*$
//	tag:       ^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$
//	kind:      ^[a-zA-Z][a-z0-9A-Z]*$
//	version:   ^[a-z0-9A-Z]+$
//
// Runs of dashes inside a DNS label are allowed, as in the IDN A-label
// xn--bcher-kva: Backstage's isValidDnsLabel has allowed them since
// catalog-model 1.3.0 (a namespace a--b, a key prefix a--b.c/).

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || isUpper(c) || isDigit(c) }

// matchName is ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$.
func matchName(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// matchDNSLabel is ^[a-z0-9]+(?:-+[a-z0-9]+)*$.
func matchDNSLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// matchTag is ^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$.
func matchTag(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isLower(c) || isDigit(c) || c == ':' || c == '+' || c == '#':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// matchKind is ^[a-zA-Z][a-z0-9A-Z]*$.
func matchKind(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	return matchVersion(s)
}

// matchVersion is ^[a-z0-9A-Z]+$.
func matchVersion(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// Messages of the naming rules, in Backstage's words where they are
// precise enough (its namespace and tag messages both say "separated by
// [-]", but only a tag refuses a run of dashes).
const (
	nameRule       = "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total"
	namespaceRule  = "a string that is sequences of [a-z0-9] separated by one or more [-], at most 63 characters in total"
	tagRule        = "a string that is sequences of [a-z0-9+#:] separated by single [-], at most 63 characters in total"
	kindRule       = "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total"
	subdomainRule  = "a DNS subdomain: dot-separated labels, each sequences of [a-z0-9] separated by one or more [-] and at most 63 characters, at most 253 characters in total"
	keyRule        = "[prefix/]name, the prefix " + subdomainRule + ", and the name " + nameRule
	apiVersionRule = "[prefix/]version, the prefix " + subdomainRule + ", and the version a sequence of [a-zA-Z0-9], at most 63 characters"
	urlRule        = "a string that is a valid url"
)

// ValidName reports whether s is a valid entity name (Backstage's
// isValidObjectName).
func ValidName(s string) bool { return len(s) >= 1 && len(s) <= 63 && matchName(s) }

// ValidNamespace reports whether s is a valid namespace: a DNS label
// (Backstage's isValidNamespace, which is isValidDnsLabel).
func ValidNamespace(s string) bool { return validDNSLabel(s) }

// ValidTag reports whether s is a valid tag (Backstage's isValidTag).
func ValidTag(s string) bool { return len(s) >= 1 && len(s) <= 63 && matchTag(s) }

// validKind is Backstage's isValidKind: the format of any kind, known or not.
func validKind(s string) bool { return len(s) >= 1 && len(s) <= 63 && matchKind(s) }

// validDNSLabel is Backstage's isValidDnsLabel: sequences of [a-z0-9]
// separated by one or more dashes, at most 63 characters.
func validDNSLabel(s string) bool { return len(s) >= 1 && len(s) <= 63 && matchDNSLabel(s) }

// validDNSSubdomain is Backstage's isValidDnsSubdomain: dot-separated DNS
// labels, at most 253 characters.
func validDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for _, p := range strings.Split(s, ".") {
		if !validDNSLabel(p) {
			return false
		}
	}
	return true
}

// validPrefixAndOrSuffix is Backstage's isValidPrefixAndOrSuffix: s is
// either a suffix or prefix/suffix, with exactly one separator at most.
func validPrefixAndOrSuffix(s string, prefix, suffix func(string) bool) bool {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return suffix(parts[0])
	case 2:
		return prefix(parts[0]) && suffix(parts[1])
	}
	return false
}

// validAPIVersion is Backstage's isValidApiVersion: [DNS subdomain/]version.
// Which versions a kind accepts is checked separately.
func validAPIVersion(s string) bool {
	return validPrefixAndOrSuffix(s, validDNSSubdomain, func(v string) bool {
		return len(v) >= 1 && len(v) <= 63 && matchVersion(v)
	})
}

// validKey checks a label or annotation key: [prefix/]name with a DNS
// subdomain prefix (Backstage's isValidLabelKey and isValidAnnotationKey).
func validKey(k string) bool { return validPrefixAndOrSuffix(k, validDNSSubdomain, ValidName) }

// validLabelValue is Backstage's isValidLabelValue: empty or a name.
func validLabelValue(v string) bool { return v == "" || ValidName(v) }

// validString is Backstage's isValidString: not blank.
func validString(s string) bool { return strings.TrimSpace(s) != "" }

// urlBreaks drops the tabs and line breaks the URL parser ignores (a
// Replacer is safe for concurrent use; building one is not cheap).
var urlBreaks = strings.NewReplacer("\t", "", "\n", "", "\r", "")

// urlScheme returns the scheme and its colon that s starts with: the
// match of ^[A-Za-z][A-Za-z0-9+.-]*: ("" when none).
func urlScheme(s string) string {
	if s == "" || !isLower(s[0]) && !isUpper(s[0]) {
		return ""
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':':
			return s[:i+1]
		case isAlnum(c) || c == '+' || c == '.' || c == '-':
		default:
			return ""
		}
	}
	return ""
}

// allDigits is ^[0-9]*$.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// validURL is Backstage's isValidUrl, which accepts what the WHATWG URL
// parser (JavaScript's new URL) parses without a base: surrounding spaces
// and control characters are ignored; a scheme is required; the special
// schemes (http, https, ws, wss, ftp) need a host, and a host, where
// there is one, holds no forbidden host character; a port is a number up
// to 65535. IDNA mapping and IPv4 number forms are not checked.
func validURL(s string) bool {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = urlBreaks.Replace(s)
	m := urlScheme(s)
	if m == "" {
		return false
	}
	scheme, rest := strings.ToLower(m[:len(m)-1]), s[len(m):]
	var auth string
	switch scheme {
	case "http", "https", "ws", "wss", "ftp", "file":
		rest = strings.TrimLeft(rest, "/\\")
		if i := strings.IndexAny(rest, "/\\?#"); i >= 0 {
			rest = rest[:i]
		}
		auth = rest
	default:
		if !strings.HasPrefix(rest, "//") {
			return true // an opaque path such as mailto:x
		}
		auth = rest[2:]
		if i := strings.IndexAny(auth, "/?#"); i >= 0 {
			auth = auth[:i]
		}
	}
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		auth = auth[i+1:]
	}
	host, port := auth, ""
	if strings.HasPrefix(host, "[") {
		end := strings.Index(host, "]")
		if end < 0 || !strings.Contains(host[1:end], ":") || net.ParseIP(host[1:end]) == nil {
			return false
		}
		switch after := host[end+1:]; {
		case after == "":
		case after[0] == ':':
			port = after[1:]
		default:
			return false
		}
		host = host[:end+1]
	} else if i := strings.LastIndex(host, ":"); i >= 0 {
		host, port = host[:i], host[i+1:]
	}
	if !allDigits(port) {
		return false
	}
	if n, err := strconv.Atoi(port); port != "" && (err != nil || n > 65535) {
		return false
	}
	if host == "" {
		switch scheme {
		case "http", "https", "ws", "wss", "ftp":
			return false
		}
		return port == ""
	}
	if !strings.HasPrefix(host, "[") && strings.ContainsAny(host, " #/:<>?@[\\]^|\x00\x7f") {
		return false
	}
	return true
}

// yaml12CoreNonString matches the plain scalars that YAML 1.2's core
// schema, which Backstage reads catalog files with, resolves to null,
// booleans, integers or floats.
var yaml12CoreNonString = regexp.MustCompile(`^(?:` +
	`~|[Nn]ull|NULL|` +
	`[Tt]rue|TRUE|[Ff]alse|FALSE|` +
	`0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|` +
	`[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|` +
	`[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|` +
	`[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)` +
	`)?$`)

// isString reports whether a YAML value is a string as Backstage reads it
// (YAML 1.2 core schema): quoted and block scalars are, a plain scalar is
// unless it reads as null, a boolean or a number, and an explicit tag
// decides for itself. yaml.v3 resolves more plain scalars than that
// (timestamps, 0b and 1_000 numbers), so its resolved tag is not used.
func isString(n *yaml.Node) bool {
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case n == nil || n.Kind != yaml.ScalarNode:
		return false
	case n.Style&yaml.TaggedStyle != 0:
		return !slices.Contains([]string{"!!null", "!!bool", "!!int", "!!float"}, n.Tag)
	case n.Style != 0:
		return true
	}
	if v := n.Value; v != "" && !strings.ContainsRune("~nNtTfF+-.0123456789", rune(v[0])) {
		// Every non-string starts with one of these (or is empty).
		return true
	}
	return !yaml12CoreNonString.MatchString(n.Value)
}

// describe renders a YAML value for a message: a scalar as written, a
// mapping or list by its kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return "empty (null)"
		}
		return n.Value
	}
	return "a " + nodeKind(n)
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
	_, kn := field(root, "kind")
	switch {
	case e.Kind == "" && (kn == nil || isString(kn)):
		c.addf(lineOf(root, "kind"), "kind is required")
	case !isString(kn):
		c.addf(lineOf(root, "kind"), "kind must be a string, not %s", describe(kn))
		kind = ""
	case !validKind(e.Kind):
		c.addf(lineOf(root, "kind"), "kind %q is not valid; expected %s", e.Kind, kindRule)
	case kind == "":
		c.addf(lineOf(root, "kind"), "unknown kind %q (platbot knows %s)", e.Kind, strings.Join(Kinds, ", "))
	case kind != e.Kind:
		c.addf(lineOf(root, "kind"), "kind %q must be spelled %q", e.Kind, kind)
	}
	_, av := field(root, "apiVersion")
	switch {
	case e.APIVersion == "" && (av == nil || isString(av)):
		c.addf(lineOf(root, "apiVersion"), "apiVersion is required")
	case !isString(av):
		c.addf(lineOf(root, "apiVersion"), "apiVersion must be a string, not %s", describe(av))
	case !validAPIVersion(e.APIVersion):
		c.addf(lineOf(root, "apiVersion"), "apiVersion %q is not valid; expected %s", e.APIVersion, apiVersionRule)
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
	_, name := field(mv, "name")
	switch {
	case name == nil || (m.Name == "" && isString(name)):
		c.addf(lineOf(c.root, "metadata", "name"), "metadata.name is required")
	case !isString(name):
		c.addf(name.Line, "metadata.name must be a string, not %s", describe(name))
	case !ValidName(m.Name):
		c.addf(name.Line, "metadata.name %q is not valid; expected %s", m.Name, nameRule)
	}
	if _, ns := field(mv, "namespace"); ns != nil {
		switch {
		case !isString(ns):
			c.addf(ns.Line, "metadata.namespace must be a string, not %s", describe(ns))
		case !ValidNamespace(ns.Value):
			c.addf(ns.Line, "metadata.namespace %q is not valid; expected %s", ns.Value, namespaceRule)
		}
	}
	c.pairs(mv, "labels", "label", validLabelValue, nameRule+", or empty")
	c.pairs(mv, "annotations", "annotation", nil, "")
	if canonicalKind(e.Kind) == KindGroup {
		c.timeZone(mv)
	}
	if _, tags := field(mv, "tags"); tags != nil && tags.Kind == yaml.SequenceNode {
		for _, t := range tags.Content {
			switch {
			case !isString(t):
				c.addf(t.Line, "tag must be a string, not %s", describe(t))
			case !ValidTag(t.Value):
				c.addf(t.Line, "tag %q is not valid; expected %s", t.Value, tagRule)
			}
		}
	}
	if _, links := field(mv, "links"); links != nil && links.Kind == yaml.SequenceNode {
		for i, l := range links.Content {
			c.link(i, l)
		}
	}
}

// pairs checks the keys of metadata.labels or metadata.annotations, and
// that each value is a string accepted by valid (any string when nil).
func (c *checker) pairs(mv *yaml.Node, field_, what string, valid func(string) bool, rule string) {
	_, m := field(mv, field_)
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !validKey(k.Value) {
			c.addf(k.Line, "%s key %q is not valid; expected %s", what, k.Value, keyRule)
		}
		switch {
		case !isString(v):
			c.addf(v.Line, "%s %q value must be a string, not %s", what, k.Value, describe(v))
		case valid != nil && !valid(v.Value):
			c.addf(v.Line, "%s %q value %q is not valid; expected %s", what, k.Value, v.Value, rule)
		}
	}
}

// link checks metadata.links[i]: a url Backstage's isValidUrl accepts, an
// optional non-blank title and an optional icon that is a valid name.
func (c *checker) link(i int, l *yaml.Node) {
	if l.Kind != yaml.MappingNode {
		c.addf(l.Line, "links[%d] must be a mapping with a url, not %s", i, describe(l))
		return
	}
	_, u := field(l, "url")
	switch {
	case u == nil:
		c.addf(l.Line, "links[%d].url is required", i)
	case !isString(u):
		c.addf(u.Line, "links[%d].url must be a string, not %s", i, describe(u))
	case !validURL(u.Value):
		c.addf(u.Line, "links[%d].url %q is not valid; expected %s", i, u.Value, urlRule)
	}
	if _, t := field(l, "title"); t != nil && (!isString(t) || !validString(t.Value)) {
		c.addf(t.Line, "links[%d].title must be a non-empty string, not %s", i, describe(t))
	}
	if _, ic := field(l, "icon"); ic != nil {
		switch {
		case !isString(ic):
			c.addf(ic.Line, "links[%d].icon must be a string, not %s", i, describe(ic))
		case !ValidName(ic.Value):
			c.addf(ic.Line, "links[%d].icon %q is not valid; expected %s", i, ic.Value, nameRule)
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
