package paths

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

// textTemplate is a string with ${{ }} expressions, parsed once.
type textTemplate struct {
	parts []tmplPart
}

// parseText parses a string holding ${{ }} expressions.
func parseText(s string) (*textTemplate, error) {
	t := &textTemplate{}
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

// hasExpr reports whether s holds a ${{ }} expression.
func hasExpr(s string) bool { return strings.Contains(s, "${{") }

// single reports whether the template is exactly one expression.
func (t *textTemplate) single() bool {
	return len(t.parts) == 1 && t.parts[0].expr != nil
}

// value evaluates the template: the typed value of a single expression,
// else the text.
func (t *textTemplate) value(s evalScope) (any, error) {
	if t.single() {
		v, err := t.parts[0].expr.eval(s)
		if err != nil {
			return nil, fmt.Errorf("${{ %s }}: %w", t.parts[0].src, err)
		}
		return v, nil
	}
	return t.text(s)
}

// text evaluates the template as text.
func (t *textTemplate) text(s evalScope) (string, error) {
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
		b.WriteString(toString(v))
	}
	return b.String(), nil
}

// refs lists the dotted paths an expression tree reads ("parameters.name",
// "steps.publish.output.remoteUrl"), for checking a template before approval.
func refs(n exprNode, out *[]string) {
	switch x := n.(type) {
	case pathNode:
		var parts []string
		for _, p := range x.parts {
			if l, ok := p.(litNode); ok {
				parts = append(parts, toString(l.v))
			} else {
				refs(p, out)
				break
			}
		}
		*out = append(*out, strings.Join(parts, "."))
	case listNode:
		for _, it := range x.items {
			refs(it, out)
		}
	case notNode:
		refs(x.x, out)
	case binaryNode:
		refs(x.l, out)
		refs(x.r, out)
	case ifNode:
		refs(x.then, out)
		refs(x.cond, out)
		if x.els != nil {
			refs(x.els, out)
		}
	case filterNode:
		refs(x.x, out)
		for _, a := range x.args {
			refs(a, out)
		}
	}
}

// evalValue evaluates every string inside v (maps, lists, strings).
func evalValue(v any, s evalScope) (any, error) {
	switch x := v.(type) {
	case string:
		if !hasExpr(x) {
			return x, nil
		}
		t, err := parseText(x)
		if err != nil {
			return nil, err
		}
		return t.value(s)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := evalValue(e, s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := evalValue(e, s)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// exprRefs lists the paths read by every expression inside v.
func exprRefs(v any) ([]string, error) {
	var out []string
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case string:
			if !hasExpr(x) {
				return nil
			}
			t, err := parseText(x)
			if err != nil {
				return err
			}
			for _, p := range t.parts {
				if p.expr != nil {
					refs(p.expr, &out)
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
