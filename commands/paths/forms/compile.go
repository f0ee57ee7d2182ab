package forms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// schemaValidator is a compiled schema (*jsonschema.Schema).
type schemaValidator interface {
	Validate(v any) error
}

// compiler compiles the pages of one template's parameters. Backstage's
// form validates with draft-07 JSON Schema (rjsf's ajv validator, which
// asserts formats), so draft-07 is the default and formats are asserted.
type compiler struct {
	c *jsonschema.Compiler
}

func newCompiler() *compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	return &compiler{c: c}
}

// addPage registers page index's schema (its YAML as JSON) and returns the
// URL to compile it by, "" (with the problem) when it is not JSON.
func (cc *compiler) addPage(n *yaml.Node, index int) (string, []string) {
	var v any
	if err := n.Decode(&v); err != nil {
		return "", []string{fmt.Sprintf("parameters page %d (line %d): %v", index+1, n.Line, err)}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", []string{fmt.Sprintf("parameters page %d (line %d): not a JSON Schema: %v", index+1, n.Line, err)}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return "", []string{fmt.Sprintf("parameters page %d (line %d): not a JSON Schema: %v", index+1, n.Line, err)}
	}
	url := fmt.Sprintf("mem:///parameters/page-%d.json", index+1)
	if err := cc.c.AddResource(url, doc); err != nil {
		return "", []string{fmt.Sprintf("parameters page %d (line %d): %v", index+1, n.Line, err)}
	}
	return url, nil
}

// compile compiles the schema at ptr (a JSON pointer, "" for the whole
// page) of the page registered as url.
func (cc *compiler) compile(url, ptr string) (*jsonschema.Schema, error) {
	if ptr == "" {
		return cc.c.Compile(url)
	}
	return cc.c.Compile(url + "#" + ptr)
}

// problem writes a compile error for the template's owners, naming the
// line of the page's YAML it concerns: "parameters line 12: pattern:
// '(?=x)' is not valid regex: …".
func (cc *compiler) problem(page *yaml.Node, err error) string {
	// The compiler lists each problem as "- at '<pointer>': <message>".
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "- at '")
		if !ok {
			continue
		}
		ptr, msg, ok := strings.Cut(rest, "': ")
		if !ok {
			continue
		}
		n, key := nodeAt(page, ptr)
		where := fmt.Sprintf("parameters line %d", n.Line)
		if prop := propertyIn(ptr); prop != "" {
			where = fmt.Sprintf("parameter %s (line %d)", prop, n.Line)
		}
		if key != "" {
			msg = key + ": " + msg
		}
		out = append(out, where+": "+msg)
	}
	if len(out) == 0 {
		return fmt.Sprintf("parameters line %d: the page's schema does not compile: %v", page.Line, err)
	}
	return strings.Join(out, "; ")
}

// nodeAt returns the YAML node at a JSON pointer within n (the deepest
// that exists) and the last key on the way.
func nodeAt(n *yaml.Node, ptr string) (*yaml.Node, string) {
	key := ""
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			c := mapGet(n, tok)
			if c == nil {
				return n, key
			}
			n, key = c, tok
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return n, key
			}
			n = n.Content[i]
		default:
			return n, key
		}
	}
	return n, key
}

// propertyIn is the property a JSON pointer within a page leads into (the
// last name after "properties"), "" when none.
func propertyIn(ptr string) string {
	toks := strings.Split(ptr, "/")
	prop := ""
	for i := 0; i+1 < len(toks); i++ {
		if toks[i] == "properties" {
			prop = strings.ReplaceAll(strings.ReplaceAll(toks[i+1], "~1", "/"), "~0", "~")
			i++
		}
	}
	return prop
}

// pointerJoin appends tokens to a JSON pointer, escaped.
func pointerJoin(ptr string, toks ...string) string {
	for _, t := range toks {
		ptr += "/" + strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return ptr
}
