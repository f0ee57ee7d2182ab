package main

import (
	"encoding"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/gitopsstatus"
	"github.com/platbot/platbot/commands/home"
	"github.com/platbot/platbot/commands/hygiene"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/placement"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/commands/scorecard"
	"github.com/platbot/platbot/commands/secrets"
	"github.com/platbot/platbot/commands/status"
)

// Every key of platbot.yaml is camelCase. The snake_case keys of earlier
// releases are still read for one release: checkKeys renames them in the
// parsed document, before anything is decoded, and records a deprecation
// that is logged once at start (logDeprecations).

// sectionTypes are the types the feature sections decode into, so that their
// keys are checked, and their old spellings renamed, when the file is
// loaded rather than when each feature is built.
var sectionTypes = map[string]reflect.Type{
	"catalog":   reflect.TypeFor[catalog.Config](),
	"policy":    reflect.TypeFor[policy.Config](),
	"paths":     reflect.TypeFor[paths.Config](),
	"scorecard": reflect.TypeFor[scorecard.Config](),
	"cost":      reflect.TypeFor[cost.Config](),
	"access":    reflect.TypeFor[access.Config](),
	"secrets":   reflect.TypeFor[secrets.Config](),
	"placement": reflect.TypeFor[placement.Config](),
	"argocd":    reflect.TypeFor[gitopsstatus.Config](),
	"hygiene":   reflect.TypeFor[hygiene.Config](),
	"status":    reflect.TypeFor[status.Config](),
	"home":      reflect.TypeFor[home.Config](),
}

// keyDeprecation is an old snake_case key the file used, renamed to its
// camelCase successor.
type keyDeprecation struct {
	Old, New string // dotted paths, as written and as renamed
	Line     int
}

// keyChecker checks a parsed document's keys against the Go types it is
// decoded into.
type keyChecker struct {
	file       string
	deprecated []keyDeprecation
}

var (
	nodeType        = reflect.TypeFor[yaml.Node]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// check walks n as a value of type t. Mapping keys of structs must be the
// yaml names of t's fields; a snake_case key whose camelCase form names a
// field is renamed to it (and recorded); any other key is an error naming
// the file, line and the key probably meant. Keys of maps are data and are
// kept as written. Types that decode themselves (yaml.Unmarshaler) and
// yaml.Node fields are left to their decoder, except the feature sections
// (sectionTypes), which are checked as their feature's configuration.
func (k *keyChecker) check(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.DocumentNode:
		for _, c := range n.Content {
			if err := k.check(c, t, path); err != nil {
				return err
			}
		}
		return nil
	case n.Kind == yaml.AliasNode:
		// The anchored node is checked where it is defined.
		return nil
	case t == nodeType:
		if st, ok := sectionTypes[path]; ok {
			return k.check(n, st, path)
		}
		return nil
	case reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textType):
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.MappingNode {
			return k.checkStruct(n, t, path)
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if err := k.check(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				if err := k.check(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (k *keyChecker) checkStruct(n *yaml.Node, t reflect.Type, path string) error {
	fields, open := yamlFields(t)
	// The camelCase key each key of this mapping sets, and where.
	set := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Value == "<<" && key.Tag == "!!merge" {
			continue
		}
		name := key.Value
		ft, known := fields[name]
		if !known {
			if name2, ok := camelFor(name, fields); ok {
				k.deprecated = append(k.deprecated, keyDeprecation{Old: join(path, name), New: join(path, name2), Line: key.Line})
				name, ft, known = name2, fields[name2], true
			}
		}
		if !known {
			if open {
				continue
			}
			msg := fmt.Sprintf("unknown key %q", key.Value)
			if s := closestKey(key.Value, fields); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += " (see examples/platbot.yaml for the keys this section takes)"
			}
			return &ConfigError{File: k.file, Line: key.Line, Key: join(path, key.Value), Msg: msg}
		}
		if first, dup := set[name]; dup {
			msg := fmt.Sprintf("%s is set twice (lines %d and %d); keep one", join(path, name), first.Line, key.Line)
			if first.Value != key.Value {
				msg = fmt.Sprintf("%s is set twice, as %q (line %d) and as %q: %q is the deprecated spelling of %q; keep only %q",
					join(path, name), first.Value, first.Line, key.Value, oldOf(first, key), name, name)
			}
			return &ConfigError{File: k.file, Line: key.Line, Key: join(path, key.Value), Msg: msg}
		}
		set[name] = key
		if err := k.check(val, ft, join(path, name)); err != nil {
			return err
		}
	}
	// Rename only once the whole mapping is known to be consistent.
	for name, key := range set {
		key.Value = name
	}
	return nil
}

// oldOf returns whichever of two keys is not the camelCase one.
func oldOf(a, b *yaml.Node) string {
	if strings.Contains(a.Value, "_") {
		return a.Value
	}
	return b.Value
}

// yamlFields are the yaml key names of t's fields (inline structs' included)
// with their types; open is whether an inline map takes any other key.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, open bool) {
	fields = map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Map {
				open = true
				continue
			}
			sub, subOpen := yamlFields(ft)
			for k, v := range sub {
				fields[k] = v
			}
			open = open || subOpen
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields, open
}

// camelFor maps an old snake_case key to the one field key it names when
// its underscores are dropped (kv_mount → kvMount, api_url → apiURL).
func camelFor(key string, fields map[string]reflect.Type) (string, bool) {
	if !strings.Contains(key, "_") {
		return "", false
	}
	flat := strings.ReplaceAll(key, "_", "")
	var found []string
	for name := range fields {
		if strings.EqualFold(name, flat) {
			found = append(found, name)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// closestKey is the field key a mistyped key most likely meant (case and
// underscores aside), "" when none is near enough.
func closestKey(key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return bot.Closest(strings.ReplaceAll(key, "_", ""), names)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexRe matches list indexes in a dotted path.
var indexRe = regexp.MustCompile(`\[\d+\]`)

// logDeprecations logs each old key the file used once, naming the key to
// write instead and where; it forgets them, so a second call logs nothing.
func (c *Config) logDeprecations(log *slog.Logger) {
	type group struct {
		d     keyDeprecation
		lines []int
	}
	seen := map[string]*group{}
	var order []string
	for _, d := range c.deprecated {
		id := indexRe.ReplaceAllString(d.Old, "[]")
		if g, ok := seen[id]; ok {
			g.lines = append(g.lines, d.Line)
			continue
		}
		seen[id] = &group{d: d, lines: []int{d.Line}}
		order = append(order, id)
	}
	c.deprecated = nil
	for _, id := range order {
		g := seen[id]
		where := fmt.Sprintf("%s:%d", c.path, g.d.Line)
		msg := fmt.Sprintf("config %s: key %s is deprecated: write %s (snake_case keys are read for one more release)", where, g.d.Old, g.d.New)
		attrs := []any{"file", where, "key", g.d.Old, "use", g.d.New}
		if len(g.lines) > 1 {
			attrs = append(attrs, "lines", g.lines)
		}
		log.Warn(msg, attrs...)
	}
}
