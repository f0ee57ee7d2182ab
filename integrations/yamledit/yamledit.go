// Package yamledit makes small, surgical edits to Kubernetes manifests kept
// in a GitOps repository: it adds an environment variable taken from a
// Secret to a workload's container, and sets an annotation on its pod
// template; it adds and edits the list generator elements of an Argo CD
// ApplicationSet (applicationset.go).
//
// The document is parsed with github.com/goccy/go-yaml (comments kept) to
// find where the change goes; the change itself is spliced into the original
// text as new lines (or a replaced scalar), indented like their neighbours.
// Every byte the edit does not touch stays as it was: comments, key order,
// quoting, blank lines, other documents of the file. The result is parsed
// again and checked before it is returned, so a caller never gets a broken
// manifest.
//
// Only block-style YAML is edited; a flow-style collection in the way
// (env: [{...}]) is reported as an error for a person to resolve.
package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	yamlv3 "go.yaml.in/yaml/v3"
)

// WorkloadKinds are the kinds whose spec.template is a pod template.
var WorkloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

// ErrUnsupported is wrapped by errors about documents this package will not
// edit automatically (flow-style collections, multi-line scalars where a
// single value is expected); a person has to make the change.
var ErrUnsupported = errors.New("cannot be edited automatically")

// SecretEnv is an environment variable whose value comes from a key of a
// Kubernetes Secret (env[].valueFrom.secretKeyRef).
type SecretEnv struct {
	// Container names the container to change. When it is empty, or no
	// container has that name, the pod's only container is changed (a pod
	// with several containers and no match is an error).
	Container string
	// Name is the environment variable's name.
	Name string
	// SecretName and SecretKey locate the value.
	SecretName, SecretKey string
}

// EnvResult says what AddSecretEnv did.
type EnvResult struct {
	// Changed is true when the document gained the entry.
	Changed bool
	// Exists is true when the container already had an env entry with the
	// name; nothing was changed then.
	Exists bool
	// Kind and Workload name the edited document; Container the container.
	Kind, Workload, Container string
}

// AddSecretEnv adds e to the env list of a container of the first workload
// document in src (a Deployment, StatefulSet, ...), creating the env list
// when the container has none. When the container already has an entry
// named e.Name, src is returned unchanged with Exists set.
func AddSecretEnv(src []byte, e SecretEnv) ([]byte, EnvResult, error) {
	var res EnvResult
	if e.Name == "" || e.SecretName == "" || e.SecretKey == "" {
		return nil, res, errors.New("yamledit: the env entry needs a name, a secret name and a key")
	}
	d, err := load(src)
	if err != nil {
		return nil, res, err
	}
	w, err := d.workload()
	if err != nil {
		return nil, res, err
	}
	res.Kind, res.Workload = w.kind, w.name
	c, err := d.container(w, e.Container)
	if err != nil {
		return nil, res, err
	}
	res.Container = c.name

	entry := func(dashIndent, itemOff int) []string {
		pad := strings.Repeat(" ", dashIndent)
		in := pad + strings.Repeat(" ", itemOff)
		st := strings.Repeat(" ", d.step)
		return []string{
			pad + "-" + strings.Repeat(" ", itemOff-1) + "name: " + scalar(e.Name),
			in + "valueFrom:",
			in + st + "secretKeyRef:",
			in + st + st + "name: " + scalar(e.SecretName),
			in + st + st + "key: " + scalar(e.SecretKey),
		}
	}

	envKV := findKey(c.node, "env")
	switch {
	case envKV == nil:
		// No env list: add one as the container's last key.
		keyIndent := col(envKeyAnchor(c.node)) - 1
		dash := keyIndent + d.seqOffset
		lines := append([]string{strings.Repeat(" ", keyIndent) + "env:"}, entry(dash, 2)...)
		at := d.blockEnd(lastLine(c.node), keyIndent)
		d.insert(at, lines)
	default:
		seq, isSeq := unwrap(envKV.Value).(*ast.SequenceNode)
		switch {
		case isSeq && !seq.IsFlowStyle:
			for _, it := range seq.Values {
				m, ok := unwrap(it).(*ast.MappingNode)
				if !ok {
					continue
				}
				if n := findKey(m, "name"); n != nil && scalarValue(n.Value) == e.Name {
					res.Exists = true
					return src, res, nil
				}
			}
			dashCol := seq.Start.Position.Column
			itemOff := 2
			if first, ok := unwrap(seq.Values[0]).(*ast.MappingNode); ok && len(first.Values) > 0 {
				if o := col(first.Values[0].Key) - dashCol; o >= 1 && first.Values[0].Key.GetToken().Position.Line == seq.Start.Position.Line {
					itemOff = o
				}
			}
			last := seq.Values[len(seq.Values)-1]
			at := d.blockEnd(lastLine(last), dashCol)
			d.insert(at, entry(dashCol-1, itemOff))
		case isEmptyValue(envKV):
			// "env:", "env: []" or "env: null": make it a block list.
			if err := d.clearValue(envKV); err != nil {
				return nil, res, err
			}
			keyIndent := col(envKV.Key) - 1
			d.insert(envKV.Key.GetToken().Position.Line, entry(keyIndent+d.seqOffset, 2))
		default:
			return nil, res, fmt.Errorf("yamledit: %s %s: the env of container %q is not a block list (line %d): %w",
				w.kind, w.name, c.name, envKV.Key.GetToken().Position.Line, ErrUnsupported)
		}
	}
	out, err := d.result()
	if err != nil {
		return nil, res, err
	}
	if err := verifyEnv(out, w.index, c.index, e); err != nil {
		return nil, res, err
	}
	res.Changed = true
	return out, res, nil
}

// SetPodTemplateAnnotation sets spec.template.metadata.annotations[key] of
// the first workload document in src to value, creating the metadata and
// annotations maps when missing. It reports whether anything changed.
func SetPodTemplateAnnotation(src []byte, key, value string) ([]byte, bool, error) {
	if key == "" {
		return nil, false, errors.New("yamledit: need an annotation key")
	}
	d, err := load(src)
	if err != nil {
		return nil, false, err
	}
	w, err := d.workload()
	if err != nil {
		return nil, false, err
	}
	tmpl := w.template
	st := strings.Repeat(" ", d.step)
	kv := scalar(key) + ": " + strconv.Quote(value)

	meta := findKey(tmpl, "metadata")
	switch {
	case meta == nil:
		// Put metadata first in the pod template, as is customary.
		ind := strings.Repeat(" ", col(tmpl.Values[0].Key)-1)
		d.insert(tmpl.Values[0].Key.GetToken().Position.Line-1, []string{ind + "metadata:", ind + st + "annotations:", ind + st + st + kv})
	case isEmptyValue(meta):
		if err := d.clearValue(meta); err != nil {
			return nil, false, err
		}
		ind := strings.Repeat(" ", col(meta.Key)-1)
		d.insert(meta.Key.GetToken().Position.Line, []string{ind + st + "annotations:", ind + st + st + kv})
	default:
		mm, ok := unwrap(meta.Value).(*ast.MappingNode)
		if !ok || mm.IsFlowStyle {
			return nil, false, fmt.Errorf("yamledit: %s %s: spec.template.metadata is not a block mapping: %w", w.kind, w.name, ErrUnsupported)
		}
		ann := findKey(mm, "annotations")
		switch {
		case ann == nil:
			ind := strings.Repeat(" ", col(mm.Values[0].Key)-1)
			at := d.blockEnd(lastLine(mm), col(mm.Values[0].Key)-1)
			d.insert(at, []string{ind + "annotations:", ind + st + kv})
		case isEmptyValue(ann):
			if err := d.clearValue(ann); err != nil {
				return nil, false, err
			}
			ind := strings.Repeat(" ", col(ann.Key)-1)
			d.insert(ann.Key.GetToken().Position.Line, []string{ind + st + kv})
		default:
			am, ok := unwrap(ann.Value).(*ast.MappingNode)
			if !ok || am.IsFlowStyle {
				return nil, false, fmt.Errorf("yamledit: %s %s: spec.template.metadata.annotations is not a block mapping: %w", w.kind, w.name, ErrUnsupported)
			}
			if cur := findKey(am, key); cur != nil {
				if s, ok := unwrap(cur.Value).(*ast.StringNode); ok && s.Value == value {
					return src, false, nil
				}
				if err := d.replaceValue(cur, strconv.Quote(value)); err != nil {
					return nil, false, err
				}
			} else {
				ind := strings.Repeat(" ", col(am.Values[0].Key)-1)
				at := d.blockEnd(lastLine(am), col(am.Values[0].Key)-1)
				d.insert(at, []string{ind + kv})
			}
		}
	}
	out, err := d.result()
	if err != nil {
		return nil, false, err
	}
	if err := verifyAnnotation(out, w.index, key, value); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// ---- the document being edited ----

type doc struct {
	file  *ast.File
	lines []string // the source split after each "\n"
	nl    string   // the line ending the source uses
	// step is the document's indentation step; seqOffset how far a block
	// list's dashes are indented below their key (0 or step).
	step, seqOffset int
	// edits are pending insertions by line index; replaced lines by index.
	inserts  map[int][]string
	replaced map[int]string
}

type workload struct {
	index      int // document index in the file
	kind, name string
	template   *ast.MappingNode // spec.template
	containers *ast.SequenceNode
}

type container struct {
	index int
	name  string
	node  *ast.MappingNode
}

func load(src []byte) (*doc, error) {
	f, err := parser.ParseBytes(src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("yamledit: parse: %w", err)
	}
	d := &doc{file: f, nl: "\n", step: 2, inserts: map[int][]string{}, replaced: map[int]string{}}
	if bytes.Contains(src, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	s := string(src)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			d.lines = append(d.lines, s)
			break
		}
		d.lines = append(d.lines, s[:i+1])
		s = s[i+1:]
	}
	return d, nil
}

// workload finds the first document that has a pod template with containers.
func (d *doc) workload() (*workload, error) {
	var kinds []string
	for i, dn := range d.file.Docs {
		root, ok := unwrap(dn.Body).(*ast.MappingNode)
		if !ok {
			continue
		}
		kind := scalarValue(valueOf(root, "kind"))
		kinds = append(kinds, kind)
		known := false
		for _, k := range WorkloadKinds {
			known = known || k == kind
		}
		if !known {
			continue
		}
		w := &workload{index: i, kind: kind}
		if md, ok := unwrap(valueOf(root, "metadata")).(*ast.MappingNode); ok {
			w.name = scalarValue(valueOf(md, "name"))
		}
		spec, ok := unwrap(valueOf(root, "spec")).(*ast.MappingNode)
		if !ok || spec.IsFlowStyle {
			return nil, fmt.Errorf("yamledit: %s %s has no block-style spec: %w", kind, w.name, ErrUnsupported)
		}
		if spec.Values[0].Key != nil && col(spec.Values[0].Key) > col(findKey(root, "spec").Key) {
			d.step = col(spec.Values[0].Key) - col(findKey(root, "spec").Key)
		}
		tmpl, ok := unwrap(valueOf(spec, "template")).(*ast.MappingNode)
		if !ok || tmpl.IsFlowStyle {
			return nil, fmt.Errorf("yamledit: %s %s has no block-style spec.template: %w", kind, w.name, ErrUnsupported)
		}
		w.template = tmpl
		ps, ok := unwrap(valueOf(tmpl, "spec")).(*ast.MappingNode)
		if !ok || ps.IsFlowStyle {
			return nil, fmt.Errorf("yamledit: %s %s has no block-style spec.template.spec: %w", kind, w.name, ErrUnsupported)
		}
		ckv := findKey(ps, "containers")
		cs, ok := unwrap(valueOf(ps, "containers")).(*ast.SequenceNode)
		if !ok || cs.IsFlowStyle || len(cs.Values) == 0 {
			return nil, fmt.Errorf("yamledit: %s %s has no block list of containers: %w", kind, w.name, ErrUnsupported)
		}
		w.containers = cs
		if off := cs.Start.Position.Column - col(ckv.Key); off >= 0 {
			d.seqOffset = off
		}
		return w, nil
	}
	return nil, fmt.Errorf("yamledit: no workload (%s) in the file (found kinds %q)", strings.Join(WorkloadKinds, ", "), kinds)
}

// container picks the container named name, or the only one when name is "".
func (d *doc) container(w *workload, name string) (*container, error) {
	var names []string
	for i, it := range w.containers.Values {
		m, ok := unwrap(it).(*ast.MappingNode)
		if !ok {
			continue
		}
		n := scalarValue(valueOf(m, "name"))
		names = append(names, n)
		if name != "" && n == name {
			return flowCheck(w, &container{index: i, name: n, node: m})
		}
	}
	if len(w.containers.Values) == 1 {
		if m, ok := unwrap(w.containers.Values[0]).(*ast.MappingNode); ok {
			return flowCheck(w, &container{index: 0, name: scalarValue(valueOf(m, "name")), node: m})
		}
	}
	if name == "" {
		return nil, fmt.Errorf("yamledit: %s %s has %d containers (%s); say which one gets the variable", w.kind, w.name, len(names), strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("yamledit: %s %s has no container named %q (it has %s)", w.kind, w.name, name, strings.Join(names, ", "))
}

func flowCheck(w *workload, c *container) (*container, error) {
	if c.node.IsFlowStyle {
		return nil, fmt.Errorf("yamledit: %s %s: container %q is written in flow style: %w", w.kind, w.name, c.name, ErrUnsupported)
	}
	return c, nil
}

// blockEnd returns the line index after the last line of the block that
// starts on line startLine (1-based) and whose content is indented at least
// minIndent spaces: the first later line indented less (blank lines aside)
// ends it. Trailing blank lines stay outside the block.
func (d *doc) blockEnd(startLine, minIndent int) int {
	end := startLine // index after the start line
	for i := startLine; i < len(d.lines); i++ {
		t := strings.TrimSpace(d.lines[i])
		if t == "" {
			continue
		}
		if indentOf(d.lines[i]) < minIndent || t == "---" || t == "..." {
			break
		}
		end = i + 1
	}
	return end
}

// insert queues lines to go before line index at (0-based; len(lines)
// appends).
func (d *doc) insert(at int, lines []string) {
	d.inserts[at] = append(d.inserts[at], lines...)
}

// clearValue removes an explicit empty value ("[]", "{}", "null", "~")
// written after a key, so block content can follow the key's line.
func (d *doc) clearValue(kv *ast.MappingValueNode) error {
	line := kv.Key.GetToken().Position.Line
	text := d.lineText(line - 1)
	colon := kv.Start.Position.Column // the ':' token
	r := []rune(strings.TrimRight(text, "\r\n"))
	if colon < 1 || colon > len(r) {
		return fmt.Errorf("yamledit: line %d: cannot find the value of %s: %w", line, kv.Key.String(), ErrUnsupported)
	}
	rest := string(r[colon:])
	comment := ""
	if i := strings.Index(rest, " #"); i >= 0 {
		for i > 0 && rest[i-1] == ' ' {
			i--
		}
		rest, comment = rest[:i], rest[i:]
	}
	switch strings.TrimSpace(rest) {
	case "", "[]", "{}", "null", "~", "Null", "NULL":
	default:
		return fmt.Errorf("yamledit: line %d: %s has a value in the way: %w", line, kv.Key.String(), ErrUnsupported)
	}
	d.replaced[line-1] = string(r[:colon]) + comment + lineEnding(text, d.nl)
	return nil
}

// replaceValue replaces the one-line scalar value of kv with text.
func (d *doc) replaceValue(kv *ast.MappingValueNode, text string) error {
	v := unwrap(kv.Value)
	tok := v.GetToken()
	line := kv.Key.GetToken().Position.Line
	if tok == nil || tok.Position.Line != line || tok.Type == token.LiteralType || tok.Type == token.FoldedType {
		return fmt.Errorf("yamledit: line %d: the value of %s is not a one-line scalar: %w", line, kv.Key.String(), ErrUnsupported)
	}
	orig := d.lineText(line - 1)
	r := []rune(strings.TrimRight(orig, "\r\n"))
	start := tok.Position.Column - 1
	if start < 0 || start > len(r) {
		return fmt.Errorf("yamledit: line %d: cannot find the value of %s: %w", line, kv.Key.String(), ErrUnsupported)
	}
	rest := string(r[start:])
	end := ScalarEnd(rest)
	if end < 0 {
		return fmt.Errorf("yamledit: line %d: the value of %s spans lines: %w", line, kv.Key.String(), ErrUnsupported)
	}
	d.replaced[line-1] = string(r[:start]) + text + rest[end:] + lineEnding(orig, d.nl)
	return nil
}

// ScalarEnd returns the length of the one-line scalar that rest (the
// rest of a line from the scalar's first character) starts with: through
// the closing quote of a quoted scalar, or up to a trailing comment and
// the blanks before it for a plain one. It returns -1 when a quoted
// scalar does not close on this line.
func ScalarEnd(rest string) int {
	if strings.HasPrefix(rest, `"`) || strings.HasPrefix(rest, `'`) {
		return closingQuote(rest)
	}
	end := len(rest)
	if i := strings.Index(rest, " #"); i >= 0 {
		end = i
	}
	return len(strings.TrimRight(rest[:end], " \t"))
}

// closingQuote returns the index after the closing quote of the quoted
// scalar s starts with (-1 when it does not close on this line).
func closingQuote(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i + 1
		}
	}
	return -1
}

func (d *doc) lineText(i int) string {
	if r, ok := d.replaced[i]; ok {
		return r
	}
	if i < len(d.lines) {
		return d.lines[i]
	}
	return ""
}

// result renders the source with the queued edits.
func (d *doc) result() ([]byte, error) {
	var b strings.Builder
	for i := 0; i <= len(d.lines); i++ {
		if ins, ok := d.inserts[i]; ok {
			if i > 0 && !strings.HasSuffix(d.lineText(i-1), "\n") {
				b.WriteString(d.nl)
			}
			for _, l := range ins {
				b.WriteString(l + d.nl)
			}
		}
		if i < len(d.lines) {
			b.WriteString(d.lineText(i))
		}
	}
	out := []byte(b.String())
	if _, err := parser.ParseBytes(out, parser.ParseComments); err != nil {
		return nil, fmt.Errorf("yamledit: the edited document does not parse (a bug; the file was left alone): %w", err)
	}
	return out, nil
}

// ---- AST helpers ----

// unwrap looks through tags and anchors to the value node.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.MappingValueNode:
			// A one-key mapping may come back as its only pair.
			return &ast.MappingNode{BaseNode: v.BaseNode, Start: v.Start, Values: []*ast.MappingValueNode{v}}
		default:
			return n
		}
	}
}

func findKey(m *ast.MappingNode, key string) *ast.MappingValueNode {
	if m == nil {
		return nil
	}
	for _, kv := range m.Values {
		if kv.Key != nil && scalarValue(kv.Key) == key {
			return kv
		}
	}
	return nil
}

func valueOf(m *ast.MappingNode, key string) ast.Node {
	if kv := findKey(m, key); kv != nil {
		return kv.Value
	}
	return nil
}

func scalarValue(n ast.Node) string {
	if n == nil {
		return ""
	}
	n = unwrap(n)
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return ""
}

func col(n ast.Node) int { return n.GetToken().Position.Column }

// envKeyAnchor is the first key of a container mapping: new keys line up with it.
func envKeyAnchor(m *ast.MappingNode) ast.Node { return m.Values[0].Key }

// isEmptyValue reports whether a key has no value or an empty collection.
func isEmptyValue(kv *ast.MappingValueNode) bool {
	switch v := unwrap(kv.Value).(type) {
	case nil, *ast.NullNode:
		return true
	case *ast.SequenceNode:
		return v.IsFlowStyle && len(v.Values) == 0
	case *ast.MappingNode:
		return v.IsFlowStyle && len(v.Values) == 0
	}
	return false
}

// lastLine is the highest line any token of n starts on.
func lastLine(n ast.Node) int {
	max := 0
	ast.Walk(visitor(func(x ast.Node) {
		if t := x.GetToken(); t != nil && t.Type != token.CommentType && t.Position.Line > max {
			max = t.Position.Line
		}
	}), n)
	return max
}

type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	if n != nil {
		v(n)
	}
	return v
}

func indentOf(line string) int {
	return len(line) - len(strings.TrimLeft(line, " "))
}

func lineEnding(line, nl string) string {
	if strings.HasSuffix(line, "\n") {
		return nl
	}
	return ""
}

var plainRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-/]*$`)

// yaml11Special are plain words some YAML parsers (YAML 1.1, as Kubernetes'
// sigs.k8s.io/yaml uses) read as booleans or null.
var yaml11Special = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true, "~": true,
}

// scalar renders s as a plain scalar when that reads back as the same
// string in every YAML dialect, else double-quoted.
func scalar(s string) string {
	if plainRe.MatchString(s) && !yaml11Special[strings.ToLower(s)] {
		return s
	}
	return strconv.Quote(s)
}

// ---- verification of the result ----

type podDoc struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Template struct {
			Metadata struct {
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec struct {
				Containers []struct {
					Name string `yaml:"name"`
					Env  []struct {
						Name      string `yaml:"name"`
						ValueFrom *struct {
							SecretKeyRef *struct {
								Name string `yaml:"name"`
								Key  string `yaml:"key"`
							} `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func decodeDoc(out []byte, index int) (*podDoc, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(out))
	for i := 0; ; i++ {
		var p podDoc
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("yamledit: the edited file does not decode (a bug; the file was left alone): %w", err)
		}
		if i == index {
			return &p, nil
		}
	}
}

func verifyEnv(out []byte, index, ci int, e SecretEnv) error {
	p, err := decodeDoc(out, index)
	if err != nil {
		return err
	}
	cs := p.Spec.Template.Spec.Containers
	if ci < len(cs) {
		for _, ev := range cs[ci].Env {
			if ev.Name == e.Name && ev.ValueFrom != nil && ev.ValueFrom.SecretKeyRef != nil &&
				ev.ValueFrom.SecretKeyRef.Name == e.SecretName && ev.ValueFrom.SecretKeyRef.Key == e.SecretKey {
				return nil
			}
		}
	}
	return errors.New("yamledit: the edited document does not hold the new env entry (a bug; the file was left alone)")
}

func verifyAnnotation(out []byte, index int, key, value string) error {
	p, err := decodeDoc(out, index)
	if err != nil {
		return err
	}
	if p.Spec.Template.Metadata.Annotations[key] != value {
		return errors.New("yamledit: the edited document does not hold the annotation (a bug; the file was left alone)")
	}
	return nil
}
