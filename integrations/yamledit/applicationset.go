package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	yamlv3 "go.yaml.in/yaml/v3"
)

// Field is one key of an element of an Argo CD ApplicationSet's list
// generator: Value is written when List is nil, else List (a list of
// strings; empty is written "[]").
type Field struct {
	Key   string
	Value string
	List  []string
}

// AddListElement appends an element with fields to the list generator of
// the ApplicationSet named name in src (the first generator that is a
// list), after its last element and in its style: one block mapping, keys
// in the order given. The element is identified by its field key (such as
// "environment"), whose value fields must hold: when the list already has
// an element with that value, src is returned as it is with exists true
// (the caller compares it). Every byte besides the addition stays as it
// was. Refused: no such ApplicationSet, no list generator, elements that
// are not a block list (ErrUnsupported).
func AddListElement(src []byte, name, key string, fields []Field) (out []byte, exists bool, err error) {
	id, ok := fieldValue(fields, key)
	if !ok || id == "" {
		return nil, false, fmt.Errorf("yamledit: the new element has no %s", key)
	}
	d, err := load(src)
	if err != nil {
		return nil, false, err
	}
	index, elems, err := d.listElements(name)
	if err != nil {
		return nil, false, err
	}
	if _, found := elementWith(elems.seq, key, id); found != nil {
		return src, true, nil
	}
	var dash, keyIndent int
	switch {
	case elems.seq != nil && len(elems.seq.Values) > 0:
		dash = elems.seq.Start.Position.Column - 1
		keyIndent = dash + 2
		last, ok := unwrap(elems.seq.Values[len(elems.seq.Values)-1]).(*ast.MappingNode)
		if !ok || last.IsFlowStyle {
			return nil, false, fmt.Errorf("yamledit: ApplicationSet %s: the last list element is not a block mapping: %w", name, ErrUnsupported)
		}
		if len(last.Values) > 0 && last.Values[0].Key != nil && col(last.Values[0].Key)-1 > dash {
			keyIndent = col(last.Values[0].Key) - 1
		}
		d.insert(d.seqEnd(lastLine(elems.seq), dash), elementLines(dash, keyIndent, d.seqOffset, fields))
	default:
		// "elements: []" (or no value): the first element starts the list.
		if err := d.clearValue(elems.kv); err != nil {
			return nil, false, err
		}
		dash = col(elems.kv.Key) - 1 + d.seqOffset
		d.insert(elems.kv.Key.GetToken().Position.Line, elementLines(dash, dash+2, d.seqOffset, fields))
	}
	if out, err = d.result(); err != nil {
		return nil, false, err
	}
	if err := verifyElement(out, index, key, id, fields); err != nil {
		return nil, false, err
	}
	return out, false, nil
}

// SetListElement sets the string fields of the element of the
// ApplicationSet named name in src whose key is id: a one-line value is
// replaced where it stands, a missing key is added as the element's last.
// changed is false when every field already had its value.
func SetListElement(src []byte, name, key, id string, fields []Field) (out []byte, changed bool, err error) {
	d, err := load(src)
	if err != nil {
		return nil, false, err
	}
	index, elems, err := d.listElements(name)
	if err != nil {
		return nil, false, err
	}
	_, m := elementWith(elems.seq, key, id)
	if m == nil {
		return nil, false, fmt.Errorf("yamledit: ApplicationSet %s has no list element with %s %q", name, key, id)
	}
	if m.IsFlowStyle {
		return nil, false, fmt.Errorf("yamledit: ApplicationSet %s: the element %s %q is written in flow style: %w", name, key, id, ErrUnsupported)
	}
	keyIndent := col(m.Values[0].Key) - 1
	var added []string
	for _, f := range fields {
		if f.List != nil {
			return nil, false, fmt.Errorf("yamledit: SetListElement sets strings only, not the list %s", f.Key)
		}
		kv := findKey(m, f.Key)
		if kv == nil {
			added = append(added, strings.Repeat(" ", keyIndent)+f.Key+": "+scalar(f.Value))
			continue
		}
		if _, isScalar := unwrap(kv.Value).(ast.ScalarNode); !isScalar && !isEmptyValue(kv) {
			return nil, false, fmt.Errorf("yamledit: ApplicationSet %s: %s of the element %s %q is not a string: %w", name, f.Key, key, id, ErrUnsupported)
		}
		if scalarValue(kv.Value) == f.Value && unwrap(kv.Value) != nil {
			continue
		}
		if err := d.replaceValue(kv, scalar(f.Value)); err != nil {
			return nil, false, err
		}
	}
	if len(added) > 0 {
		d.insert(d.blockEnd(lastLine(m), keyIndent), added)
	}
	if len(added) == 0 && len(d.replaced) == 0 {
		return src, false, nil
	}
	if out, err = d.result(); err != nil {
		return nil, false, err
	}
	if err := verifyElement(out, index, key, id, fields); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// elementsNode is an ApplicationSet's list generator elements: the key
// and its block list (nil when the list is empty).
type elementsNode struct {
	kv  *ast.MappingValueNode
	seq *ast.SequenceNode
}

// listElements finds the elements of the first list generator of the
// ApplicationSet named name.
func (d *doc) listElements(name string) (int, elementsNode, error) {
	for i, dn := range d.file.Docs {
		root, ok := unwrap(dn.Body).(*ast.MappingNode)
		if !ok || scalarValue(valueOf(root, "kind")) != "ApplicationSet" {
			continue
		}
		md, _ := unwrap(valueOf(root, "metadata")).(*ast.MappingNode)
		if scalarValue(valueOf(md, "name")) != name {
			continue
		}
		spec, _ := unwrap(valueOf(root, "spec")).(*ast.MappingNode)
		gens, ok := unwrap(valueOf(spec, "generators")).(*ast.SequenceNode)
		if root.IsFlowStyle || spec == nil || spec.IsFlowStyle || !ok || gens.IsFlowStyle {
			return 0, elementsNode{}, fmt.Errorf("yamledit: ApplicationSet %s has no block list of generators: %w", name, ErrUnsupported)
		}
		if kv := findKey(spec, "generators"); kv != nil {
			if off := gens.Start.Position.Column - col(kv.Key); off >= 0 {
				d.seqOffset = off
			}
		}
		for _, g := range gens.Values {
			gm, ok := unwrap(g).(*ast.MappingNode)
			if !ok {
				continue
			}
			list, ok := unwrap(valueOf(gm, "list")).(*ast.MappingNode)
			if !ok {
				continue
			}
			if list.IsFlowStyle {
				return 0, elementsNode{}, fmt.Errorf("yamledit: ApplicationSet %s: the list generator is written in flow style: %w", name, ErrUnsupported)
			}
			kv := findKey(list, "elements")
			if kv == nil {
				return 0, elementsNode{}, fmt.Errorf("yamledit: ApplicationSet %s: the list generator has no elements key: %w", name, ErrUnsupported)
			}
			if isEmptyValue(kv) {
				return i, elementsNode{kv: kv}, nil
			}
			seq, ok := unwrap(kv.Value).(*ast.SequenceNode)
			if !ok || seq.IsFlowStyle {
				return 0, elementsNode{}, fmt.Errorf("yamledit: ApplicationSet %s: the list generator's elements (line %d) are not a block list: %w",
					name, kv.Key.GetToken().Position.Line, ErrUnsupported)
			}
			if off := seq.Start.Position.Column - col(kv.Key); off >= 0 {
				d.seqOffset = off
			}
			return i, elementsNode{kv: kv, seq: seq}, nil
		}
		return 0, elementsNode{}, fmt.Errorf("yamledit: ApplicationSet %s has no list generator", name)
	}
	return 0, elementsNode{}, fmt.Errorf("yamledit: the file has no ApplicationSet %s", name)
}

// elementWith finds the element of seq whose key has value id.
func elementWith(seq *ast.SequenceNode, key, id string) (int, *ast.MappingNode) {
	if seq == nil {
		return -1, nil
	}
	for i, it := range seq.Values {
		if m, ok := unwrap(it).(*ast.MappingNode); ok && scalarValue(valueOf(m, key)) == id {
			return i, m
		}
	}
	return -1, nil
}

// elementLines renders a block-mapping list element: the dash indented
// dash spaces, keys at keyIndent, the items of a nested list seqOffset
// deeper than their key (as the document's lists are).
func elementLines(dash, keyIndent, seqOffset int, fields []Field) []string {
	pad := strings.Repeat(" ", keyIndent)
	var lines []string
	for _, f := range fields {
		switch {
		case f.List == nil:
			lines = append(lines, pad+f.Key+": "+scalar(f.Value))
		case len(f.List) == 0:
			lines = append(lines, pad+f.Key+": []")
		default:
			lines = append(lines, pad+f.Key+":")
			for _, v := range f.List {
				lines = append(lines, pad+strings.Repeat(" ", seqOffset)+"- "+scalar(v))
			}
		}
	}
	lines[0] = strings.Repeat(" ", dash) + "-" + lines[0][dash+1:]
	return lines
}

func fieldValue(fields []Field, key string) (string, bool) {
	for _, f := range fields {
		if f.Key == key && f.List == nil {
			return f.Value, true
		}
	}
	return "", false
}

// verifyElement decodes the edited file and checks that the element with
// key id holds fields.
func verifyElement(out []byte, index int, key, id string, fields []Field) error {
	dec := yamlv3.NewDecoder(bytes.NewReader(out))
	for i := 0; ; i++ {
		var set struct {
			Spec struct {
				Generators []struct {
					List *struct {
						Elements []map[string]any `yaml:"elements"`
					} `yaml:"list"`
				} `yaml:"generators"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&set); err != nil {
			return fmt.Errorf("yamledit: the edited file does not decode (a bug; the file was left alone): %w", err)
		}
		if i < index {
			continue
		}
		for _, g := range set.Spec.Generators {
			if g.List == nil {
				continue
			}
			for _, el := range g.List.Elements {
				if el[key] != id {
					continue
				}
				for _, f := range fields {
					if !fieldHolds(el[f.Key], f) {
						return fmt.Errorf("yamledit: the edited element %s %q does not hold %s (a bug; the file was left alone)", key, id, f.Key)
					}
				}
				return nil
			}
			break
		}
		return errors.New("yamledit: the edited file has no element " + key + " " + id + " (a bug; the file was left alone)")
	}
}

func fieldHolds(v any, f Field) bool {
	if f.List == nil {
		s, ok := v.(string)
		return ok && s == f.Value
	}
	l, ok := v.([]any)
	if !ok || len(l) != len(f.List) {
		return false
	}
	got := make([]string, len(l))
	for i, x := range l {
		if got[i], ok = x.(string); !ok {
			return false
		}
	}
	return slices.Equal(got, f.List)
}
