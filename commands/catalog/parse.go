package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// document is one YAML document of a catalog file.
type document struct {
	line int        // first line of the document in the file
	root *yaml.Node // the document's top-level node (nil when empty)
	err  error      // a syntax error that made the document unreadable
}

// parseDocuments parses a multi-document YAML file: with parsePlain when
// it is written in the plain subset that reads (plainyaml.go), else with
// one yaml.v3 decoder; only when that fails does it fall back to
// splitDocuments, which isolates the broken document. Node lines are file
// lines.
func parseDocuments(data []byte) []document { return parseDocumentsIn(data, nil) }

// parseDocumentsIn is parseDocuments interning the plain subset's keys
// and short values in in.
func parseDocumentsIn(data []byte, in interner) []document {
	data = normalizeBreaks(data)
	if docs, ok := parsePlain(data, in); ok {
		return docs
	}
	return decodeDocuments(data)
}

// decodeDocuments is parseDocuments with yaml.v3 (LF line ends).
func decodeDocuments(data []byte) []document {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []document
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			return splitDocuments(data)
		}
		if len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		docs = append(docs, document{line: root.Line, root: root})
	}
}

// splitDocuments cuts a multi-document YAML file at its "---" and "..."
// markers and parses each document on its own, so a syntax error in one
// never hides the others. Node lines are file lines.
func splitDocuments(data []byte) []document {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var docs []document
	start, startLine, line := 0, 1, 1
	flush := func(end int) {
		chunk := data[start:end]
		if len(bytes.TrimSpace(chunk)) == 0 {
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal(chunk, &n); err != nil {
			by := startLine - 1
			if isParserError(err.Error()) {
				by++
			}
			// A problem at the end of the input (an unclosed "{") is
			// reported on the line after the last: keep it on the last.
			last := startLine + bytes.Count(bytes.TrimRight(chunk, "\r\n"), []byte("\n"))
			docs = append(docs, document{line: startLine, err: shiftError(err, by, last)})
			return
		}
		if n.Kind == 0 || len(n.Content) == 0 {
			return // comments only
		}
		shiftLines(&n, startLine-1)
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return
		}
		docs = append(docs, document{line: root.Line, root: root})
	}
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		l := bytes.TrimRight(data[pos:next], "\r\n")
		switch {
		case isMarker(l, "---"):
			flush(pos)
			start, startLine = pos, line
		case isMarker(l, "..."):
			flush(pos)
			start, startLine = next, line+1
		}
		pos = next
		line++
	}
	flush(len(data))
	return docs
}

// normalizeBreaks turns CRLF and lone CR line ends into LF, as YAML does
// when it reads them (YAML 1.2, section 5.4), so that the file's lines are
// the ones the YAML parser reports and an editor shows, whichever line
// ends the file was saved with.
func normalizeBreaks(data []byte) []byte {
	if !bytes.ContainsRune(data, '\r') {
		return data
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
}

// yamlParserProblems are the problems yaml.v3's parser (not its scanner)
// reports. The parser gives the 0-based line of the construct it is in,
// the scanner a 1-based one (yaml.v3 decode.go, (*parser).fail): "did not
// find expected key" needs one more line, "did not find expected
// alphabetic or numeric character" (a scanner problem) does not.
var yamlParserProblems = []string{
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found undefined tag handle", "found duplicate %TAG directive",
	"found duplicate %YAML directive", "found incompatible YAML document",
}

// isParserError reports whether a yaml.v3 error message is a parser's.
func isParserError(msg string) bool {
	for _, p := range yamlParserProblems {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func isMarker(l []byte, m string) bool {
	if !bytes.HasPrefix(l, []byte(m)) {
		return false
	}
	return len(l) == len(m) || l[len(m)] == ' ' || l[len(m)] == '\t'
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// shiftError rewrites "line N" in a yaml error to a file line, at most
// last.
func shiftError(err error, by, last int) error {
	msg := lineRE.ReplaceAllStringFunc(err.Error(), func(s string) string {
		n, _ := strconv.Atoi(s[5:])
		return "line " + strconv.Itoa(min(n+by, last))
	})
	return errors.New(msg)
}

// errorLine finds the first "line N" in a yaml error message (0 if none).
func errorLine(msg string) int {
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// field returns the key and value nodes of a mapping entry (nil, nil when
// absent or when n is not a mapping).
func field(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// lineOf returns the line of the value at path under n, or of the deepest
// part of the path that exists.
func lineOf(n *yaml.Node, path ...string) int {
	if n == nil {
		return 0
	}
	line := n.Line
	cur := n
	for _, p := range path {
		k, v := field(cur, p)
		if k == nil {
			return line
		}
		line = k.Line
		if v.Kind == yaml.ScalarNode {
			line = v.Line
		}
		cur = v
	}
	return line
}

// decodeEntity decodes a document's top-level mapping into an Entity,
// interning repeated strings in in (which may be nil). Type errors are
// returned one per message, with their line.
func decodeEntity(root *yaml.Node, in interner) (*Entity, []lineError) {
	if root.Kind != yaml.MappingNode {
		return nil, []lineError{{root.Line, fmt.Sprintf("document is a %s, not an entity (a mapping with apiVersion, kind, metadata and spec)", nodeKind(root))}}
	}
	var e Entity
	if in.decodeDirect(root, &e) {
		return &e, nil
	}
	e = Entity{}
	var errs []lineError
	if err := root.Decode(&e); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				errs = append(errs, lineError{errorLine(m), m})
			}
		} else {
			errs = append(errs, lineError{root.Line, err.Error()})
		}
	}
	e.Relations = nil
	e.Spec = normalizeMap(e.Spec)
	return &e, errs
}

type lineError struct {
	line int
	msg  string
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "empty document"
}

// normalizeMap makes decoded YAML JSON-safe: nested maps with non-string
// keys get string keys.
func normalizeMap(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = normalizeValue(v)
	}
	return m
}

func normalizeValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return normalizeMap(x)
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[fmt.Sprint(k)] = normalizeValue(v)
		}
		return out
	case []any:
		for i := range x {
			x[i] = normalizeValue(x[i])
		}
		return x
	}
	return v
}
