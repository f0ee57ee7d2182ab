// Package expr is the ${{ ... }} expression language of Backstage software
// templates: it parses text holding expressions, evaluates them against a
// Scope, and lists the values they read. It knows nothing about templates,
// steps or Slack.
package expr

import (
	"fmt"
	"strings"
)

// Expressions are the ${{ ... }} of Backstage templates, with the subset of
// Nunjucks that software templates use:
//
//	${{ parameters.name }}                      a value (path with . and [index])
//	${{ steps.publish.output.remoteUrl }}       an earlier step's output
//	${{ parameters.x if parameters.y else 'z' }} inline if (else optional)
//	${{ parameters.a == 'b' and not parameters.c }}
//	${{ parameters.owner | parseEntityRef | pick('name') }}
//	${{ 'component:default/' ~ parameters.service }}   concatenation
//
// Filters: lower, upper, trim, title, dump (JSON), join(sep), default(v),
// replace(old, new), length, first, last, string, int, parseRepoUrl,
// parseEntityRef, pick(key), projectSlug.
//
// A string that is exactly one expression evaluates to the expression's
// value with its type (a number stays a number, a list a list); anywhere
// else the value is written as text. A missing value is "undefined": empty
// text, false in a condition.

// ---- templates of text with ${{ }} ----

// tmplPart is literal text or an expression.
type tmplPart struct {
	text string
	expr exprNode
	src  string
}

// Text is a string with ${{ }} expressions, parsed once.
type Text struct {
	parts []tmplPart
}

// ParseText parses a string holding ${{ }} expressions.
func ParseText(s string) (*Text, error) {
	t := &Text{}
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			if s != "" {
				t.parts = append(t.parts, tmplPart{text: s})
			}
			return t, nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed ${{ in %q", s)
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{text: s[:i]})
		}
		src := strings.TrimSpace(s[i+3 : i+j])
		e, err := parseExpr(src)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, tmplPart{expr: e, src: src})
		s = s[i+j+2:]
	}
}

// Has reports whether s holds a ${{ }} expression.
func Has(s string) bool { return strings.Contains(s, "${{") }

// Single reports whether the text is exactly one expression.
func (t *Text) Single() bool {
	return len(t.parts) == 1 && t.parts[0].expr != nil
}

// Value evaluates the text: the typed value of a single expression, else
// the text with every expression written as text.
func (t *Text) Value(s Scope) (any, error) {
	if t.Single() {
		v, err := t.parts[0].expr.eval(s)
		if err != nil {
			return nil, fmt.Errorf("${{ %s }}: %w", t.parts[0].src, err)
		}
		return v, nil
	}
	return t.Render(s)
}

// Render evaluates the text with every expression written as text.
func (t *Text) Render(s Scope) (string, error) {
	return t.RenderEscaped(s, nil)
}

// RenderEscaped evaluates the text like Render, passing each expression's
// value (as text) through escape while the literal text around them stays
// as written: a template's own markdown stays markdown while the values put
// into it are escaped. A nil escape writes values unchanged.
func (t *Text) RenderEscaped(s Scope, escape func(string) string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.expr.eval(s)
		if err != nil {
			return "", fmt.Errorf("${{ %s }}: %w", p.src, err)
		}
		if escape != nil {
			b.WriteString(escape(ToString(v)))
		} else {
			b.WriteString(ToString(v))
		}
	}
	return b.String(), nil
}

// collectRefs appends the dotted paths an expression tree reads
// ("parameters.name", "steps.publish.output.remoteUrl"), for checking a
// template before approval.
func collectRefs(n exprNode, out *[]string) {
	switch x := n.(type) {
	case pathNode:
		var parts []string
		for _, p := range x.parts {
			if l, ok := p.(litNode); ok {
				parts = append(parts, ToString(l.v))
			} else {
				collectRefs(p, out)
				break
			}
		}
		*out = append(*out, strings.Join(parts, "."))
	case listNode:
		for _, it := range x.items {
			collectRefs(it, out)
		}
	case notNode:
		collectRefs(x.x, out)
	case binaryNode:
		collectRefs(x.l, out)
		collectRefs(x.r, out)
	case ifNode:
		collectRefs(x.then, out)
		collectRefs(x.cond, out)
		if x.els != nil {
			collectRefs(x.els, out)
		}
	case filterNode:
		collectRefs(x.x, out)
		for _, a := range x.args {
			collectRefs(a, out)
		}
	}
}

// Eval evaluates every string inside v (maps, lists, strings).
func Eval(v any, s Scope) (any, error) {
	switch x := v.(type) {
	case string:
		if !Has(x) {
			return x, nil
		}
		t, err := ParseText(x)
		if err != nil {
			return nil, err
		}
		return t.Value(s)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := Eval(e, s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := Eval(e, s)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// Refs lists the paths read by every expression inside v.
func Refs(v any) ([]string, error) {
	var out []string
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case string:
			if !Has(x) {
				return nil
			}
			t, err := ParseText(x)
			if err != nil {
				return err
			}
			for _, p := range t.parts {
				if p.expr != nil {
					collectRefs(p.expr, &out)
				}
			}
		case map[string]any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := walk(v)
	return out, err
}
