package catalog

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Reading the plain YAML most catalog files are written in without
// yaml.v3's scanner and parser, which cost most of a large catalog's load.
//
// parsePlain accepts a strict subset of YAML: documents separated by "---"
// lines, block mappings whose keys are simple words, block sequences,
// single-line flow sequences ([a, b]) and single-line plain scalars, all
// in ASCII without tabs or comments. It builds the node tree yaml.v3 builds for the
// same text (kinds, tags, styles, values, lines and columns;
// plainyaml_test.go compares the two over every catalog file in the
// repository and over fuzzed input), and gives up on anything else
// (quotes, comments, anchors, tags, block scalars, flow mappings,
// multi-line scalars, empty values, odd indentation): parseDocuments then
// parses the file with yaml.v3, which also reports its syntax errors.

// maxPlainIndent bounds the indentation parsePlain reads, and so how deep
// its nesting (and recursion) goes.
const maxPlainIndent = 200

// plainLine is one non-blank line of a file.
type plainLine struct {
	num    int    // 1-based line number
	indent int    // leading spaces
	text   []byte // the rest, not empty, no trailing space
}

// plainParser walks the lines of one document.
type plainParser struct {
	lines []plainLine
	i     int
	in    interner
	// slab holds nodes allocated together: a file's nodes are dropped
	// together once its entities are decoded.
	slab []yaml.Node
}

// node returns a new node.
func (p *plainParser) node(kind yaml.Kind, tag string, line, col int) *yaml.Node {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]yaml.Node, 0, 64)
	}
	p.slab = p.slab[:len(p.slab)+1]
	n := &p.slab[len(p.slab)-1]
	n.Kind, n.Tag, n.Line, n.Column = kind, tag, line, col
	return n
}

// scalar returns a plain scalar node with the tag yaml.v3 resolves for
// it. Keys are interned (values are, by decodeDirect, where they repeat).
func (p *plainParser) scalar(value []byte, key bool, line, col int) *yaml.Node {
	var v string
	if key {
		v = p.in.internBytes(value)
	} else {
		v = string(value)
	}
	n := p.node(yaml.ScalarNode, "", line, col)
	n.Value = v
	if resolveHint(value[0]) {
		n.Tag = n.ShortTag()
	} else {
		n.Tag = "!!str" // what yaml.v3's resolve says without looking further
	}
	return n
}

// resolveHint reports whether yaml.v3 resolves a plain scalar starting
// with c as anything but a string only after looking at it (its
// resolveTable: signs, digits, '.', '<' and the first letters of
// booleans and nulls).
func resolveHint(c byte) bool {
	return strings.IndexByte("+-0123456789yYnNtTfFoO~<.", c) >= 0
}

// parsePlain parses data (LF line ends) when every byte of it is in the
// subset, reporting false otherwise. Keys are interned in in (which may
// be nil).
func parsePlain(data []byte, in interner) ([]document, bool) {
	for _, c := range data {
		if c >= 0x7f || c < ' ' && c != '\n' {
			return nil, false // tabs, control characters, non-ASCII (columns count characters)
		}
		if c == '#' {
			return nil, false // comments are kept in the nodes
		}
	}
	var docs []document
	var lines []plainLine
	p := &plainParser{in: in}
	flush := func() bool {
		if len(lines) == 0 {
			return true
		}
		p.lines, p.i = lines, 0
		if lines[0].indent != 0 || isEntry(lines[0].text) {
			return false // a root that is not a mapping at the margin
		}
		root, ok := p.mapping(0)
		if !ok || p.i != len(lines) {
			return false
		}
		docs = append(docs, document{line: root.Line, root: root})
		lines = lines[:0] // the nodes hold copies of the text
		return true
	}
	num := 0
	for rest := data; len(rest) > 0; {
		num++
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		text := bytes.TrimLeft(line, " ")
		if len(text) == 0 {
			continue
		}
		if text[len(text)-1] == ' ' {
			return nil, false
		}
		indent := len(line) - len(text)
		if indent > maxPlainIndent {
			return nil, false // yaml.v3 bounds nesting; leave deep files to it
		}
		if indent == 0 && (bytes.HasPrefix(text, []byte("---")) || bytes.HasPrefix(text, []byte("..."))) {
			if string(text) != "---" || !flush() {
				return nil, false
			}
			continue
		}
		lines = append(lines, plainLine{num: num, indent: indent, text: text})
	}
	if !flush() {
		return nil, false
	}
	return docs, true
}

// isEntry reports whether a line starts a block sequence entry.
func isEntry(text []byte) bool {
	return len(text) > 0 && text[0] == '-' && (len(text) == 1 || text[1] == ' ')
}

// cur returns the current line (nil at the end).
func (p *plainParser) cur() *plainLine {
	if p.i < len(p.lines) {
		return &p.lines[p.i]
	}
	return nil
}

// mapping parses the block mapping whose keys are at indent.
func (p *plainParser) mapping(indent int) (*yaml.Node, bool) {
	first := p.cur()
	n := p.node(yaml.MappingNode, "!!map", first.num, indent+1)
	for l := p.cur(); l != nil && l.indent >= indent; l = p.cur() {
		if l.indent != indent || isEntry(l.text) {
			return nil, false
		}
		keyLen := plainKey(l.text)
		if keyLen == 0 {
			return nil, false
		}
		key := p.scalar(l.text[:keyLen], true, l.num, indent+1)
		rest := l.text[keyLen+1:]
		var v *yaml.Node
		var ok bool
		if len(rest) > 0 {
			// "key: value" on one line.
			value := bytes.TrimLeft(rest, " ")
			col := indent + 1 + keyLen + 1 + (len(rest) - len(value))
			p.i++
			v, ok = p.inlineValue(value, l.num, col)
		} else {
			// "key:" with the value on the lines below: deeper, or a
			// sequence at the key's own indent.
			p.i++
			next := p.cur()
			switch {
			case next == nil:
				return nil, false // an empty (null) value
			case next.indent >= indent && isEntry(next.text):
				v, ok = p.sequence(next.indent, next.indent == indent)
			case next.indent > indent:
				v, ok = p.mapping(next.indent)
			default:
				return nil, false
			}
		}
		if !ok {
			return nil, false
		}
		n.Content = append(n.Content, key, v)
	}
	return n, true
}

// sequence parses the block sequence whose dashes are at indent; a
// compact one (at the indent of the key it is the value of) ends at the
// next key.
func (p *plainParser) sequence(indent int, compact bool) (*yaml.Node, bool) {
	first := p.cur()
	n := p.node(yaml.SequenceNode, "!!seq", first.num, indent+1)
	for l := p.cur(); l != nil && l.indent >= indent; l = p.cur() {
		if compact && l.indent == indent && !isEntry(l.text) {
			break
		}
		if l.indent != indent || !isEntry(l.text) || len(l.text) < 3 {
			return nil, false // deeper lines, or an empty entry
		}
		item := bytes.TrimLeft(l.text[1:], " ")
		col := indent + 1 + (len(l.text) - len(item))
		if isEntry(item) {
			return nil, false // a sequence in a sequence
		}
		var v *yaml.Node
		var ok bool
		if plainKey(item) > 0 {
			// "- key: value": a mapping whose keys are at the item's
			// column; the entry line reads as its first line.
			l.indent, l.text = col-1, item
			v, ok = p.mapping(col - 1)
		} else {
			p.i++
			v, ok = p.inlineValue(item, l.num, col)
		}
		if !ok {
			return nil, false
		}
		n.Content = append(n.Content, v)
	}
	return n, true
}

// plainKey returns the length of the key of a "key: value" or "key:"
// line (0 when the line is not one): a word of letters, digits and
// _ . / - that starts with a letter, digit or _.
func plainKey(text []byte) int {
	if len(text) == 0 || !(isAlnum(text[0]) || text[0] == '_') {
		return 0
	}
	for i := 1; i < len(text) && i < 1000; i++ {
		switch c := text[i]; {
		case isAlnum(c) || c == '_' || c == '.' || c == '/' || c == '-':
		case c == ':' && (i+1 == len(text) || text[i+1] == ' '):
			return i
		default:
			return 0
		}
	}
	return 0
}

// inlineValue reads the value after "key: " or "- ": a flow sequence or
// a plain scalar, which must end the line.
func (p *plainParser) inlineValue(value []byte, line, col int) (*yaml.Node, bool) {
	if value[0] == '[' {
		return p.flowSequence(value, line, col)
	}
	if !plainScalar(value, false) {
		return nil, false
	}
	return p.scalar(value, false, line, col), true
}

// flowSequence reads "[a, b, c]" on one line.
func (p *plainParser) flowSequence(value []byte, line, col int) (*yaml.Node, bool) {
	if value[len(value)-1] != ']' {
		return nil, false
	}
	n := p.node(yaml.SequenceNode, "!!seq", line, col)
	n.Style = yaml.FlowStyle
	inner := value[1 : len(value)-1]
	if len(bytes.TrimLeft(inner, " ")) == 0 {
		return n, true
	}
	pos := 1 // offset of inner in value
	for {
		end := bytes.IndexByte(inner, ',')
		last := end < 0
		if last {
			end = len(inner)
		}
		item := bytes.TrimLeft(inner[:end], " ")
		lead := end - len(item)
		item = bytes.TrimRight(item, " ")
		if !plainScalar(item, true) {
			return nil, false
		}
		n.Content = append(n.Content, p.scalar(item, false, line, col+pos+lead))
		if last {
			return n, true
		}
		inner = inner[end+1:]
		pos += end + 1
	}
}

// plainScalar reports whether s is a one-line plain scalar that yaml.v3
// reads as written: not empty, no indicator first, no ": " or a final
// ":" (a key), no "[" or "]", and in a flow sequence none of ",?{}".
func plainScalar(s []byte, flow bool) bool {
	if len(s) == 0 {
		return false
	}
	switch s[0] {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '<', '=':
		// Indicators, merge and value keys: leave them to yaml.v3.
		return false
	}
	if bytes.HasPrefix(s, []byte("...")) {
		return false
	}
	if s[len(s)-1] == ':' {
		return false
	}
	for i, c := range s {
		switch c {
		case '[', ']':
			return false
		case ',', '?', '{', '}':
			if flow {
				return false
			}
		case ':':
			if i+1 < len(s) && s[i+1] == ' ' {
				return false
			}
		}
	}
	return true
}
