package forms

import (
	"fmt"
	"sort"
	"strings"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/templating"
)

// Catalog is what entity suggestions read: the entities of a kind ("" for
// all). *catalog.Catalog is one.
type Catalog interface {
	List(kind string) []*catalog.Entity
}

// MaxSuggestions is the most options Suggest returns (Slack shows at most
// 100).
const MaxSuggestions = 100

// Suggest lists the entities an EntityPicker or MultiEntityPicker field
// offers for what the user typed: those its ui:options catalogFilter
// admits (a filter object or a list of them, any of which may match; each
// key — kind, metadata.name, metadata.namespace, metadata.annotations.<a>,
// metadata.labels.<l>, metadata.tags, spec.<path>, relations.<type> — is
// matched case-insensitively against a value, a list of values (any), or
// {exists: true}), else its allowedKinds, else every entity; whose ref,
// name or title contains query (case-insensitive). An option's Value is
// the full entity ref (kind:namespace/name, as Backstage stores it), its
// Label the ref shortened by defaultKind and defaultNamespace, with the
// title. The option whose Value is exactly query (a submitted value being
// checked) comes first, and at most MaxSuggestions are returned. allow,
// when set, admits only the entities the user may pick (the feature's
// policy: their own teams'); an entity it refuses is never offered, not
// even for its exact ref, so a submitted value naming it is not one of
// the choices. An unknown field is an error.
func (ps Pages) Suggest(cat Catalog, fieldID, query string, allow func(*catalog.Entity) bool) ([]bot.Option, error) {
	p := ps.property(fieldID)
	if p == nil || (p.UIField != "EntityPicker" && p.UIField != "MultiEntityPicker") {
		return nil, fmt.Errorf("field %q is not an entity picker of this template", fieldID)
	}
	filters := p.catalogFilters()
	q := strings.ToLower(strings.TrimSpace(query))
	// What the user typed may be a short reference ("orders-service"): the
	// entity it names is the exact match, offered with the text as typed
	// so that a typed value is accepted (the run normalises it).
	norm := ""
	if q != "" {
		norm = strings.ToLower(catalog.NormalizeRef(strings.TrimSpace(query), p.EntityKind(), p.EntityNamespace()))
	}
	var exact []bot.Option
	var out []bot.Option
	for _, e := range cat.List("") {
		if e.Orphan || !matchesAny(e, filters) || (allow != nil && !allow(e)) {
			continue
		}
		ref := e.Ref()
		o := bot.Option{Value: ref, Label: p.humanize(e)}
		switch {
		case ref == q:
			exact = append(exact, o)
		case ref == norm:
			o.Value = strings.TrimSpace(query)
			exact = append(exact, o)
		case q == "" || strings.Contains(ref, q) || strings.Contains(strings.ToLower(e.Metadata.Name), q) ||
			strings.Contains(strings.ToLower(e.Metadata.Title), q):
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	out = append(exact, out...)
	if len(out) > MaxSuggestions {
		out = out[:MaxSuggestions]
	}
	return out, nil
}

// humanize writes an entity's ref as Backstage's humanizeEntityRef does
// with the field's defaultKind and defaultNamespace (the kind left out
// when it is the default, the namespace when it is the default), followed
// by the title.
func (p *Property) humanize(e *catalog.Entity) string {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = catalog.DefaultNamespace
	}
	s := e.Metadata.Name
	if !strings.EqualFold(ns, p.EntityNamespace()) {
		s = ns + "/" + s
	}
	if dk, _ := p.UIOptions["defaultKind"].(string); !strings.EqualFold(e.Kind, dk) {
		s = strings.ToLower(e.Kind) + ":" + s
	}
	if e.Metadata.Title != "" && e.Metadata.Title != e.Metadata.Name {
		s += " (" + e.Metadata.Title + ")"
	}
	return s
}

// filter is one catalogFilter object: every key must match.
type filter map[string]any

// catalogFilters are the field's catalogFilter objects (any may match),
// else {kind: allowedKinds}; none admits every entity.
func (p *Property) catalogFilters() []filter {
	switch f := p.UIOptions["catalogFilter"].(type) {
	case map[string]any:
		return []filter{f}
	case []any:
		var out []filter
		for _, e := range f {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	if kinds := strList(p.UIOptions["allowedKinds"]); len(kinds) > 0 {
		return []filter{{"kind": anys(kinds)}}
	}
	return nil
}

// matchesAny reports whether e passes one of the filters (or there are
// none).
func matchesAny(e *catalog.Entity, filters []filter) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f.matches(e) {
			return true
		}
	}
	return false
}

// matches reports whether every key of the filter matches e, as the
// catalog's filter query does: values compare case-insensitively, a list
// matches when any element does, {exists: true} when the field exists;
// {exists: false} and {} are no condition (Backstage drops them).
func (f filter) matches(e *catalog.Entity) bool {
	for key, want := range f {
		got, exists := fieldValues(e, key)
		switch w := want.(type) {
		case map[string]any:
			if ex, _ := w["exists"].(bool); ex && !exists {
				return false
			}
		case []any:
			if !anyEqual(got, templating.Strings(w)) {
				return false
			}
		case nil:
		default:
			if !anyEqual(got, []string{templating.Text(w)}) {
				return false
			}
		}
	}
	return true
}

// anyEqual reports whether some value of got equals some of want,
// ignoring case.
func anyEqual(got, want []string) bool {
	for _, g := range got {
		for _, w := range want {
			if strings.EqualFold(g, w) {
				return true
			}
		}
	}
	return false
}

// fieldValues are the values of a filter key on an entity, as text, and
// whether the field exists.
func fieldValues(e *catalog.Entity, key string) ([]string, bool) {
	lk := strings.ToLower(key)
	switch {
	case lk == "kind":
		return []string{e.Kind}, true
	case lk == "apiversion":
		return []string{e.APIVersion}, e.APIVersion != ""
	case lk == "metadata.name":
		return []string{e.Metadata.Name}, true
	case lk == "metadata.namespace":
		ns := e.Metadata.Namespace
		if ns == "" {
			ns = catalog.DefaultNamespace
		}
		return []string{ns}, true
	case lk == "metadata.title":
		return []string{e.Metadata.Title}, e.Metadata.Title != ""
	case lk == "metadata.tags":
		return e.Metadata.Tags, len(e.Metadata.Tags) > 0
	case strings.HasPrefix(lk, "metadata.annotations."):
		return mapValue(e.Metadata.Annotations, key[len("metadata.annotations."):])
	case strings.HasPrefix(lk, "metadata.labels."):
		return mapValue(e.Metadata.Labels, key[len("metadata.labels."):])
	case strings.HasPrefix(lk, "relations."):
		var out []string
		for _, r := range e.Relations {
			if strings.EqualFold(r.Type, key[len("relations."):]) {
				out = append(out, r.TargetRef)
			}
		}
		return out, len(out) > 0
	case strings.HasPrefix(lk, "spec."):
		return specValue(e.Spec, key[len("spec."):])
	}
	return nil, false
}

// mapValue looks a key up in annotations or labels.
func mapValue(m map[string]string, k string) ([]string, bool) {
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return []string{v}, true
		}
	}
	return nil, false
}

// specValue follows a dotted path into an entity's spec (a key may itself
// hold dots); a list gives each element.
func specValue(spec map[string]any, path string) ([]string, bool) {
	if spec == nil {
		return nil, false
	}
	if v, ok := spec[path]; ok {
		return leafValues(v)
	}
	for i := strings.Index(path, "."); i >= 0; {
		if m, ok := spec[path[:i]].(map[string]any); ok {
			if vs, ok := specValue(m, path[i+1:]); ok {
				return vs, true
			}
		}
		j := strings.Index(path[i+1:], ".")
		if j < 0 {
			break
		}
		i += j + 1
	}
	return nil, false
}

// leafValues writes a spec value as text (a list as its elements).
func leafValues(v any) ([]string, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case []any:
		return templating.Strings(x), true
	case map[string]any:
		return nil, true
	}
	return []string{templating.Text(v)}, true
}
