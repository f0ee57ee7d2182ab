package catalog

import (
	"go.yaml.in/yaml/v3"
)

// Decoding a document's node tree into an Entity without reflection.
//
// decodeDirect reads the shapes catalog files are made of (mappings with
// plain string keys, string scalars, lists) straight from the nodes the
// document was parsed into, and gives up on anything else: then
// decodeEntity decodes the document with yaml.v3's Node.Decode as before,
// which also words the type errors. On what it accepts it builds the same
// Entity Node.Decode does (decode_test.go compares the two over every
// catalog file in the repository), so problems, lines and served entities
// do not depend on which path read a document.
//
// Strings that repeat across entities (keys, apiVersion, kind, namespace,
// tags, and the spec fields that name a type, lifecycle or another
// entity) are interned, so a large catalog holds few copies of each: each
// parsing worker keeps its own table for the files it parses (parseAll).

// internedSpec are the spec fields whose values repeat across entities.
// (Lists of dependencies, children and members mostly name an entity
// once.)
var internedSpec = map[string]bool{
	"type": true, "lifecycle": true, "owner": true, "system": true, "domain": true,
	"parent": true, "subcomponentOf": true, "subdomainOf": true,
	"memberOf": true, "providesApis": true, "consumesApis": true,
}

// interner keeps one copy of each string it is given.
type interner map[string]string

// maxInterned bounds an interner; past it, it starts over.
const maxInterned = 1 << 16

// intern returns the copy of s the interner keeps (s itself from a nil
// interner).
func (in interner) intern(s string) string {
	if in == nil {
		return s
	}
	if c, ok := in[s]; ok {
		return c
	}
	if len(in) >= maxInterned {
		clear(in)
	}
	in[s] = s
	return s
}

// internBytes is intern for the text in b.
func (in interner) internBytes(b []byte) string {
	if c, ok := in[string(b)]; ok {
		return c
	}
	return in.intern(string(b))
}

// decodeDirect decodes root (a mapping) into e, reporting false when a node
// is not one it reads exactly as Node.Decode would; e is then partly
// filled and must be discarded.
func (in interner) decodeDirect(root *yaml.Node, e *Entity) bool {
	if !plainMapping(root) {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		v := root.Content[i+1]
		var ok bool
		switch root.Content[i].Value {
		case "apiVersion":
			e.APIVersion, ok = in.str(v, true)
		case "kind":
			e.Kind, ok = in.str(v, true)
		case "metadata":
			ok = in.decodeMetadata(v, &e.Metadata)
		case "spec":
			e.Spec, ok = in.stringMap(v)
		case "relations":
			// Computed by the catalog: decoded (and its type errors
			// reported) only by Node.Decode.
			ok = false
		default:
			ok = true // Node.Decode ignores fields Entity does not have
		}
		if !ok {
			return false
		}
	}
	return true
}

func (in interner) decodeMetadata(n *yaml.Node, m *Metadata) bool {
	if !plainMapping(n) {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		var ok bool
		switch n.Content[i].Value {
		case "name":
			m.Name, ok = in.str(v, false)
		case "namespace":
			m.Namespace, ok = in.str(v, true)
		case "title":
			m.Title, ok = in.str(v, false)
		case "description":
			m.Description, ok = in.str(v, false)
		case "labels":
			m.Labels, ok = in.stringPairs(v, 0)
		case "annotations":
			// Room for the three annotations the loader adds (merge).
			m.Annotations, ok = in.stringPairs(v, 3)
		case "tags":
			m.Tags, ok = in.stringList(v)
		case "links":
			m.Links, ok = in.decodeLinks(v)
		default:
			ok = true
		}
		if !ok {
			return false
		}
	}
	return true
}

func (in interner) decodeLinks(n *yaml.Node) ([]Link, bool) {
	if !plainList(n) {
		return nil, false
	}
	out := make([]Link, len(n.Content))
	for j, ln := range n.Content {
		if !plainMapping(ln) {
			return nil, false
		}
		l := &out[j]
		for i := 0; i+1 < len(ln.Content); i += 2 {
			v := ln.Content[i+1]
			var ok bool
			switch ln.Content[i].Value {
			case "url":
				l.URL, ok = in.str(v, false)
			case "title":
				l.Title, ok = in.str(v, false)
			case "icon":
				l.Icon, ok = in.str(v, true)
			case "type":
				l.Type, ok = in.str(v, true)
			default:
				ok = true
			}
			if !ok {
				return nil, false
			}
		}
	}
	return out, true
}

// str reads a string scalar: one whose resolved tag is !!str, with no
// explicit tag. Node.Decode gives a string field its value.
func (in interner) str(n *yaml.Node, interned bool) (string, bool) {
	if !isStr(n) {
		return "", false
	}
	if interned {
		return in.intern(n.Value), true
	}
	return n.Value, true
}

func isStr(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Style&yaml.TaggedStyle == 0
}

// plainMapping reports whether n is an untagged mapping whose keys are
// distinct string scalars (Node.Decode reports a repeated key).
func plainMapping(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode || n.Style&yaml.TaggedStyle != 0 || len(n.Content)%2 != 0 {
		return false
	}
	c := n.Content
	for i := 0; i < len(c); i += 2 {
		if !isStr(c[i]) {
			return false
		}
	}
	if len(c) <= 32 {
		for i := 0; i < len(c); i += 2 {
			for j := i + 2; j < len(c); j += 2 {
				if c[i].Value == c[j].Value {
					return false
				}
			}
		}
		return true
	}
	seen := make(map[string]bool, len(c)/2)
	for i := 0; i < len(c); i += 2 {
		if seen[c[i].Value] {
			return false
		}
		seen[c[i].Value] = true
	}
	return true
}

func plainList(n *yaml.Node) bool {
	return n.Kind == yaml.SequenceNode && n.Style&yaml.TaggedStyle == 0
}

// stringPairs reads a mapping of strings to strings (labels,
// annotations) into a map with room for extra more entries.
func (in interner) stringPairs(n *yaml.Node, extra int) (map[string]string, bool) {
	if !plainMapping(n) {
		return nil, false
	}
	m := make(map[string]string, len(n.Content)/2+extra)
	for i := 0; i+1 < len(n.Content); i += 2 {
		v, ok := in.str(n.Content[i+1], false)
		if !ok {
			return nil, false
		}
		m[in.intern(n.Content[i].Value)] = v
	}
	return m, true
}

func (in interner) stringList(n *yaml.Node) ([]string, bool) {
	if !plainList(n) {
		return nil, false
	}
	out := make([]string, len(n.Content))
	for i, it := range n.Content {
		s, ok := in.str(it, true)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// stringMap reads a mapping into map[string]any as Node.Decode does for
// the spec.
func (in interner) stringMap(n *yaml.Node) (map[string]any, bool) {
	if !plainMapping(n) {
		return nil, false
	}
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		v, ok := in.anyValue(n.Content[i+1], internedSpec[k])
		if !ok {
			return nil, false
		}
		m[in.intern(k)] = v
	}
	return m, true
}

// anyValue reads a value as Node.Decode does into an interface: a string
// scalar as a string, a mapping with string keys as map[string]any, a
// list as []any. Other scalars (numbers, booleans, null, timestamps) are
// resolved by Node.Decode itself; aliases and tagged collections are
// left to it whole.
func (in interner) anyValue(n *yaml.Node, interned bool) (any, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		if s, ok := in.str(n, interned); ok {
			return s, true
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, false
		}
		return v, true
	case yaml.MappingNode:
		m, ok := in.stringMap(n)
		return m, ok
	case yaml.SequenceNode:
		if !plainList(n) {
			return nil, false
		}
		out := make([]any, len(n.Content))
		for i, it := range n.Content {
			v, ok := in.anyValue(it, interned)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	}
	return nil, false
}
