package forms

import (
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
)

// part is a piece of a page's schema that adds properties: the page
// itself, a dependency's schema or one of its oneOf branches, the then or
// else of an if, a member of allOf.
type part struct {
	props    []*Property
	required []string
	deps     []*dependency
	ifs      []*ifThen
	allOf    []*part
	// oneOf and anyOf outside a dependency are alternatives: the form
	// shows all their properties (the schema then checks that the values
	// satisfy one, or any).
	oneOf, anyOf []*part
}

// dependency is a schema dependency: while its key has a value, always
// applies, and of oneOf the one branch whose schema of the key accepts the
// key's value (as react-jsonschema-form, which Backstage's form is, picks
// it; no branch when none or several do).
type dependency struct {
	key    string
	always *part
	oneOf  []*branch
}

// branch is one oneOf member of a dependency.
type branch struct {
	// cond checks the key's value; nil when the branch does not declare
	// the key (it is never chosen).
	cond schemaValidator
	part *part
}

// ifThen is an if/then/else: then applies while the values satisfy the if
// schema, else otherwise.
type ifThen struct {
	// cond is the compiled if schema, nil when it did not compile (Parse
	// reported it with the page).
	cond      schemaValidator
	reads     []string
	then, els *part
}

// partCtx carries what parsing a page's parts needs.
type partCtx struct {
	cc  *compiler
	url string
}

// compile compiles the sub-schema at ptr of the page, nil when the page
// did not register or the sub-schema does not compile (the page's own
// compilation reports why).
func (pc *partCtx) compile(ptr string) schemaValidator {
	if pc.url == "" {
		return nil
	}
	s, err := pc.cc.compile(pc.url, ptr)
	if err != nil {
		return nil
	}
	return s
}

// parsePart reads the properties, required list, dependencies, if/then/
// else, allOf and oneOf/anyOf of the schema n found at ptr within the
// page.
func parsePart(n *yaml.Node, ptr string, pc *partCtx) (*part, []string) {
	return parsePartAs(n, ptr, pc, false)
}

func parsePartAs(n *yaml.Node, ptr string, pc *partCtx, conditional bool) (*part, []string) {
	pt := &part{}
	var probs []string
	if n == nil || n.Kind != yaml.MappingNode {
		return pt, probs
	}
	if v := mapGet(n, "required"); v != nil {
		_ = v.Decode(&pt.required)
	}
	if props := mapGet(n, "properties"); props != nil && props.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(props.Content); i += 2 {
			prop, pp := parseProperty(props.Content[i].Value, props.Content[i+1])
			prop.Conditional = conditional
			probs = append(probs, pp...)
			pt.props = append(pt.props, prop)
		}
	}
	if deps := mapGet(n, "dependencies"); deps != nil && deps.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(deps.Content); i += 2 {
			key, dn := deps.Content[i].Value, deps.Content[i+1]
			if dn.Kind != yaml.MappingNode {
				continue // a property dependency (a list of names): only validation
			}
			dptr := pointerJoin(ptr, "dependencies", key)
			d := &dependency{key: key}
			var pp []string
			d.always, pp = parsePartAs(dn, dptr, pc, true)
			probs = append(probs, pp...)
			// The oneOf of a dependency picks one branch; it does not add
			// them all.
			for j, bp := range d.always.oneOf {
				bptr := pointerJoin(dptr, "oneOf", strconv.Itoa(j))
				b := &branch{part: bp}
				var rest []*Property
				for _, prop := range bp.props {
					if prop.Name == key {
						b.cond = pc.compile(pointerJoin(bptr, "properties", key))
						continue
					}
					rest = append(rest, prop)
				}
				bp.props = rest
				d.oneOf = append(d.oneOf, b)
			}
			d.always.oneOf = nil
			pt.deps = append(pt.deps, d)
		}
	}
	if in := mapGet(n, "if"); in != nil {
		it := &ifThen{cond: pc.compile(pointerJoin(ptr, "if"))}
		if props := mapGet(in, "properties"); props != nil && props.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(props.Content); i += 2 {
				it.reads = append(it.reads, props.Content[i].Value)
			}
		}
		var pp []string
		if tn := mapGet(n, "then"); tn != nil {
			it.then, pp = parsePartAs(tn, pointerJoin(ptr, "then"), pc, true)
			probs = append(probs, pp...)
		}
		if en := mapGet(n, "else"); en != nil {
			it.els, pp = parsePartAs(en, pointerJoin(ptr, "else"), pc, true)
			probs = append(probs, pp...)
		}
		pt.ifs = append(pt.ifs, it)
	}
	if all := mapGet(n, "allOf"); all != nil && all.Kind == yaml.SequenceNode {
		for j, m := range all.Content {
			mp, pp := parsePartAs(m, pointerJoin(ptr, "allOf", strconv.Itoa(j)), pc, conditional)
			probs = append(probs, pp...)
			pt.allOf = append(pt.allOf, mp)
		}
	}
	for _, kw := range []string{"oneOf", "anyOf"} {
		if alts := mapGet(n, kw); alts != nil && alts.Kind == yaml.SequenceNode {
			for j, m := range alts.Content {
				mp, pp := parsePartAs(m, pointerJoin(ptr, kw, strconv.Itoa(j)), pc, conditional)
				probs = append(probs, pp...)
				if kw == "oneOf" {
					pt.oneOf = append(pt.oneOf, mp)
				} else {
					pt.anyOf = append(pt.anyOf, mp)
				}
			}
		}
	}
	return pt, probs
}

// all lists every property the part or its sub-parts declare (a name
// once, as first declared).
func (pt *part) all() []*Property {
	if pt == nil {
		return nil
	}
	var out []*Property
	seen := map[string]bool{}
	var walk func(*part)
	walk = func(p *part) {
		if p == nil {
			return
		}
		for _, prop := range p.props {
			if !seen[prop.Name] {
				seen[prop.Name] = true
				out = append(out, prop)
			}
		}
		for _, a := range p.allOf {
			walk(a)
		}
		for _, a := range append(append([]*part(nil), p.oneOf...), p.anyOf...) {
			walk(a)
		}
		for _, d := range p.deps {
			walk(d.always)
			for _, b := range d.oneOf {
				walk(b.part)
			}
		}
		for _, it := range p.ifs {
			walk(it.then)
			walk(it.els)
		}
	}
	walk(pt)
	return out
}

// conditional reports whether the part has properties that come and go
// with the values.
func (pt *part) conditional() bool {
	for _, p := range pt.all() {
		if p.Conditional {
			return true
		}
	}
	return false
}

// resolved is a page as the values so far make it: the properties that
// exist, which are required, and which control others (changing them
// rebuilds the form).
type resolved struct {
	props    []*Property
	byName   map[string]*Property
	required map[string]bool
	controls map[string]bool
}

func newResolved() *resolved {
	return &resolved{byName: map[string]*Property{}, required: map[string]bool{}, controls: map[string]bool{}}
}

// add merges the part as data selects it.
func (r *resolved) add(pt *part, data map[string]any) {
	if pt == nil {
		return
	}
	for _, p := range pt.props {
		if r.byName[p.Name] == nil {
			r.byName[p.Name] = p
			r.props = append(r.props, p)
		}
	}
	for _, q := range pt.required {
		r.required[q] = true
	}
	for _, a := range pt.allOf {
		r.add(a, data)
	}
	for _, a := range append(append([]*part(nil), pt.oneOf...), pt.anyOf...) {
		r.add(a, data)
	}
	for _, it := range pt.ifs {
		for _, k := range it.reads {
			r.controls[k] = true
		}
		if it.cond == nil {
			continue
		}
		if it.cond.Validate(data) == nil {
			r.add(it.then, data)
		} else {
			r.add(it.els, data)
		}
	}
	for _, d := range pt.deps {
		// As react-jsonschema-form: a dependency applies only to a
		// property of the schema, and only while it has a value.
		if r.byName[d.key] == nil {
			continue
		}
		r.controls[d.key] = true
		v, ok := data[d.key]
		if !ok {
			continue
		}
		r.add(d.always, data)
		var match *branch
		n := 0
		for _, b := range d.oneOf {
			if b.cond != nil && b.cond.Validate(v) == nil {
				match, n = b, n+1
			}
		}
		if n == 1 {
			r.add(match.part, data)
		}
	}
}

// resolve works out the page's properties for the values entered so far
// (a property not entered counts with its default, as the web form fills
// defaults in). A property that appears can itself select more, so this
// repeats until the set is stable.
func (pg *Page) resolve(v bot.Values) *resolved {
	data := map[string]any{}
	var r *resolved
	for range 8 {
		r = newResolved()
		r.add(pg.schemaPart(), data)
		next := map[string]any{}
		for _, p := range r.props {
			if val, ok := p.current(v); ok {
				next[p.Name] = val
			}
		}
		if reflect.DeepEqual(next, data) {
			break
		}
		data = next
	}
	for k := range r.controls {
		if r.byName[k] == nil {
			delete(r.controls, k)
		}
	}
	r.props = orderProperties(r.props, pg.order)
	return r
}

// schemaPart is the page's schema as parts; a page built by hand (not by
// Parse) is its Properties.
func (pg *Page) schemaPart() *part {
	if pg.root != nil {
		return pg.root
	}
	pt := &part{props: pg.Properties}
	for _, p := range pg.Properties {
		if p.Required {
			pt.required = append(pt.required, p.Name)
		}
	}
	return pt
}

// current is the property's value for conditions: what was entered,
// typed, else its default.
func (p *Property) current(v bot.Values) (any, bool) {
	if val, ok, msg := p.value(v); ok && msg == "" {
		return val, true
	}
	if p.Default != nil {
		return jsonValue(normalize(p.Default)), true
	}
	return nil, false
}

// jsonValue turns a typed value into what the schema validator reads
// (whole numbers as int64, lists as []any).
func jsonValue(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
}
