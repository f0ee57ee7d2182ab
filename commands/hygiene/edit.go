package hygiene

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/integrations/yamledit"
)

// ErrUnsupported is wrapped by edits this package will not make
// automatically (a flow-style spec, a multi-line lifecycle): a person has
// to make the change.
var ErrUnsupported = errors.New("cannot be edited automatically")

// ErrNotInFile says the file has no document of the entity.
var ErrNotInFile = errors.New("entity not found in its file")

// EntityName names an entity in its file.
type EntityName struct {
	Kind, Namespace, Name string
}

// document is one YAML document of a file: lines [start, end) of the
// file, and the separator line before it (-1 for the first).
type document struct {
	sep, start, end int
}

// splitLines splits src after each "\n".
func splitLines(src []byte) []string {
	var out []string
	s := string(src)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// isSeparator reports whether a line is a document separator ("---",
// optionally followed by a comment).
func isSeparator(line string) (bool, error) {
	t := strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(t, "---") {
		return false, nil
	}
	rest := strings.TrimSpace(t[3:])
	if len(t) > 3 && t[3] != ' ' && t[3] != '\t' {
		return false, nil // "----" or "---x": not a separator
	}
	if rest != "" && !strings.HasPrefix(rest, "#") {
		return false, fmt.Errorf("a document starts on its separator line (%q): %w", t, ErrUnsupported)
	}
	return true, nil
}

func documents(lines []string) ([]document, error) {
	var docs []document
	cur := document{sep: -1, start: 0}
	for i, l := range lines {
		sep, err := isSeparator(l)
		if err != nil {
			return nil, err
		}
		if !sep {
			continue
		}
		cur.end = i
		docs = append(docs, cur)
		cur = document{sep: i, start: i + 1}
	}
	cur.end = len(lines)
	docs = append(docs, cur)
	return docs, nil
}

func joinLines(lines []string) string { return strings.Join(lines, "") }

// find returns the index of the document of the entity, its parsed root
// mapping, and how many documents hold an entity at all.
func find(lines []string, docs []document, want EntityName) (idx int, root *yaml.Node, entities int, err error) {
	idx = -1
	for i, d := range docs {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(joinLines(lines[d.start:d.end])), &n); err != nil {
			return -1, nil, 0, fmt.Errorf("line %d: %w", d.start+1, err)
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := n.Content[0]
		kind := scalarAt(m, "kind")
		meta := valueAt(m, "metadata")
		name, ns := "", ""
		if meta != nil {
			name, ns = scalarAt(meta, "name"), scalarAt(meta, "namespace")
		}
		if kind == "" || name == "" {
			continue
		}
		entities++
		if ns == "" {
			ns = "default"
		}
		wantNS := want.Namespace
		if wantNS == "" {
			wantNS = "default"
		}
		if strings.EqualFold(kind, want.Kind) && strings.EqualFold(name, want.Name) && strings.EqualFold(ns, wantNS) {
			if idx >= 0 {
				return -1, nil, 0, fmt.Errorf("%s %s is defined twice in the file: %w", want.Kind, want.Name, ErrUnsupported)
			}
			idx, root = i, m
		}
	}
	if idx < 0 {
		return -1, nil, entities, fmt.Errorf("%s %s: %w", want.Kind, want.Name, ErrNotInFile)
	}
	return idx, root, entities, nil
}

func valueAt(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func keyAt(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

func scalarAt(m *yaml.Node, key string) string {
	if v := valueAt(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// SetLifecycle returns src with spec.lifecycle of the entity set to
// value, changing only that value (or adding the one line): comments, key
// order, quoting and the file's other documents stay as they were. It
// reports whether anything changed (false when the value is already set).
func SetLifecycle(src []byte, e EntityName, value string) ([]byte, bool, error) {
	lines := splitLines(src)
	docs, err := documents(lines)
	if err != nil {
		return nil, false, err
	}
	idx, root, _, err := find(lines, docs, e)
	if err != nil {
		return nil, false, err
	}
	d := docs[idx]
	off := d.start // document line 1 is file line off+1
	spec := valueAt(root, "spec")
	nl := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		nl = "\r\n"
	}
	out := append([]string(nil), lines...)
	switch {
	case spec == nil:
		// Components always have a spec; other kinds may not.
		end := d.end
		for end > d.start && strings.TrimSpace(lines[end-1]) == "" {
			end--
		}
		if end > 0 && !strings.HasSuffix(out[end-1], "\n") {
			out[end-1] += nl
		}
		out = append(out[:end], append([]string{"spec:" + nl, "  lifecycle: " + value + nl}, out[end:]...)...)
	case spec.Kind != yaml.MappingNode || spec.Style&yaml.FlowStyle != 0:
		return nil, false, fmt.Errorf("line %d: spec is not a block mapping: %w", off+spec.Line, ErrUnsupported)
	default:
		lk, lv := keyAt(spec, "lifecycle"), valueAt(spec, "lifecycle")
		if lv == nil {
			if len(spec.Content) == 0 {
				return nil, false, fmt.Errorf("line %d: spec is empty: %w", off+spec.Line, ErrUnsupported)
			}
			first := spec.Content[0]
			indent := strings.Repeat(" ", first.Column-1)
			at := off + first.Line - 1 // before the first key of spec
			out = append(out[:at], append([]string{indent + "lifecycle: " + value + nl}, out[at:]...)...)
			break
		}
		if lv.Kind != yaml.ScalarNode || lv.Line != lk.Line || lv.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return nil, false, fmt.Errorf("line %d: spec.lifecycle is not a one-line value: %w", off+lk.Line, ErrUnsupported)
		}
		if lv.Value == value {
			return src, false, nil
		}
		li := off + lv.Line - 1
		line := []rune(strings.TrimRight(lines[li], "\r\n"))
		ending := lines[li][len(strings.TrimRight(lines[li], "\r\n")):]
		start := lv.Column - 1
		if start < 0 || start > len(line) {
			return nil, false, fmt.Errorf("line %d: cannot find spec.lifecycle's value: %w", li+1, ErrUnsupported)
		}
		rest := string(line[start:])
		end := yamledit.ScalarEnd(rest)
		if end < 0 {
			return nil, false, fmt.Errorf("line %d: spec.lifecycle's value spans lines: %w", li+1, ErrUnsupported)
		}
		out[li] = string(line[:start]) + value + rest[end:] + ending
	}
	res := []byte(joinLines(out))
	if err := verifyLifecycle(src, res, e, value); err != nil {
		return nil, false, err
	}
	return res, true, nil
}

// verifyLifecycle checks that out is src with only the entity's
// spec.lifecycle set to value.
func verifyLifecycle(src, out []byte, e EntityName, value string) error {
	before, err := decodeAll(src)
	if err != nil {
		return err
	}
	after, err := decodeAll(out)
	if err != nil {
		return fmt.Errorf("the edited file does not parse (the file was left alone): %w", err)
	}
	if len(before) != len(after) {
		return fmt.Errorf("the edit changed the number of documents (the file was left alone): %w", ErrUnsupported)
	}
	for i, doc := range before {
		m, ok := doc.(map[string]any)
		if ok && sameEntity(m, e) {
			spec, _ := m["spec"].(map[string]any)
			if spec == nil {
				spec = map[string]any{}
				m["spec"] = spec
			}
			spec["lifecycle"] = value
		}
		if !reflect.DeepEqual(doc, after[i]) {
			return fmt.Errorf("the edit changed more than spec.lifecycle (the file was left alone): %w", ErrUnsupported)
		}
	}
	return nil
}

func sameEntity(m map[string]any, e EntityName) bool {
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if ns == "" {
		ns = "default"
	}
	want := e.Namespace
	if want == "" {
		want = "default"
	}
	return strings.EqualFold(kind, e.Kind) && strings.EqualFold(name, e.Name) && strings.EqualFold(ns, want)
}

func decodeAll(src []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

// RemovedNote is what a file holds after its only entity was removed when
// the file is kept rather than deleted: a file that is itself a configured
// catalog location (see RemoveEntity and keepFile in decide.go).
const RemovedNote = "# The catalog entity that was defined here was removed by catalog hygiene\n# (pull request of decision %s). This file holds no entity any more and\n# can be deleted.\n"

// RemoveEntity returns src without the document of the entity (and one
// separator next to it); the other documents stay byte for byte. last
// reports that it was the file's only entity: the caller removes the file
// then, and out is nil.
func RemoveEntity(src []byte, e EntityName) (out []byte, last bool, err error) {
	lines := splitLines(src)
	docs, err := documents(lines)
	if err != nil {
		return nil, false, err
	}
	idx, _, entities, err := find(lines, docs, e)
	if err != nil {
		return nil, false, err
	}
	if entities == 1 {
		return nil, true, nil
	}
	d := docs[idx]
	from, to := d.start, d.end
	switch {
	case d.sep >= 0:
		from = d.sep // with the separator before it
	case idx+1 < len(docs):
		to = docs[idx+1].start // the first document: with the separator after it
	}
	rest := append(append([]string(nil), lines[:from]...), lines[to:]...)
	res := []byte(joinLines(rest))
	before, err := decodeAll(src)
	if err != nil {
		return nil, false, err
	}
	after, err := decodeAll(res)
	if err != nil {
		return nil, false, fmt.Errorf("the edited file does not parse (the file was left alone): %w", err)
	}
	var want []any
	for _, doc := range before {
		if m, ok := doc.(map[string]any); ok && sameEntity(m, e) {
			continue
		}
		want = append(want, doc)
	}
	if !reflect.DeepEqual(want, after) {
		return nil, false, fmt.Errorf("removing the document changed other documents (the file was left alone): %w", ErrUnsupported)
	}
	return res, false, nil
}
