package paths

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/platbot/platbot/commands/catalog"
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

// evalScope is what expressions may refer to: parameters, steps, each,
// user, run, template (steps and run inputs) or values (skeleton files).
type evalScope map[string]any

// exprNode is a parsed expression.
type exprNode interface {
	eval(s evalScope) (any, error)
}

type (
	litNode    struct{ v any }
	pathNode   struct{ parts []exprNode } // first is an identifier literal
	listNode   struct{ items []exprNode }
	notNode    struct{ x exprNode }
	binaryNode struct {
		op   string
		l, r exprNode
	}
	ifNode struct {
		then, cond, els exprNode // els may be nil
	}
	filterNode struct {
		x    exprNode
		name string
		args []exprNode
	}
)

func (n litNode) eval(evalScope) (any, error) { return n.v, nil }

func (n listNode) eval(s evalScope) (any, error) {
	out := make([]any, 0, len(n.items))
	for _, it := range n.items {
		v, err := it.eval(s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (n pathNode) eval(s evalScope) (any, error) {
	root := n.parts[0].(litNode).v.(string)
	cur, ok := s[root]
	if !ok {
		return nil, nil
	}
	for _, p := range n.parts[1:] {
		k, err := p.eval(s)
		if err != nil {
			return nil, err
		}
		cur = index(cur, k)
		if cur == nil {
			return nil, nil
		}
	}
	return cur, nil
}

// index looks up a key or position in a map or list (nil when absent).
func index(v any, k any) any {
	switch c := v.(type) {
	case map[string]any:
		return c[toString(k)]
	case map[string]string:
		if s, ok := c[toString(k)]; ok {
			return s
		}
		return nil
	case []any:
		i, ok := toInt(k)
		if ok && i >= 0 && int(i) < len(c) {
			return c[i]
		}
	case []string:
		i, ok := toInt(k)
		if ok && i >= 0 && int(i) < len(c) {
			return c[i]
		}
	}
	return nil
}

func (n notNode) eval(s evalScope) (any, error) {
	v, err := n.x.eval(s)
	if err != nil {
		return nil, err
	}
	return !truthy(v), nil
}

func (n binaryNode) eval(s evalScope) (any, error) {
	l, err := n.l.eval(s)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "and":
		if !truthy(l) {
			return l, nil
		}
		return n.r.eval(s)
	case "or":
		if truthy(l) {
			return l, nil
		}
		return n.r.eval(s)
	}
	r, err := n.r.eval(s)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "~":
		return toString(l) + toString(r), nil
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "in":
		switch c := r.(type) {
		case []any:
			for _, x := range c {
				if equal(x, l) {
					return true, nil
				}
			}
			return false, nil
		case string:
			return strings.Contains(c, toString(l)), nil
		case map[string]any:
			_, ok := c[toString(l)]
			return ok, nil
		}
		return false, nil
	case "<", ">", "<=", ">=":
		lf, lok := toFloat(l)
		rf, rok := toFloat(r)
		if !lok || !rok {
			return nil, fmt.Errorf("%s compares non-numbers (%v, %v)", n.op, l, r)
		}
		switch n.op {
		case "<":
			return lf < rf, nil
		case ">":
			return lf > rf, nil
		case "<=":
			return lf <= rf, nil
		}
		return lf >= rf, nil
	}
	return nil, fmt.Errorf("unknown operator %s", n.op)
}

func (n ifNode) eval(s evalScope) (any, error) {
	c, err := n.cond.eval(s)
	if err != nil {
		return nil, err
	}
	if truthy(c) {
		return n.then.eval(s)
	}
	if n.els == nil {
		return nil, nil
	}
	return n.els.eval(s)
}

// filterNames are the filters evalFilter knows, with their argument counts.
var filterNames = map[string][2]int{
	"lower": {0, 0}, "upper": {0, 0}, "trim": {0, 0}, "title": {0, 0}, "dump": {0, 1},
	"join": {0, 1}, "default": {1, 1}, "replace": {2, 2}, "length": {0, 0}, "first": {0, 0},
	"last": {0, 0}, "string": {0, 0}, "int": {0, 0}, "parseRepoUrl": {0, 0},
	"parseEntityRef": {0, 1}, "pick": {1, 1}, "projectSlug": {0, 0},
}

func (n filterNode) eval(s evalScope) (any, error) {
	v, err := n.x.eval(s)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		if args[i], err = a.eval(s); err != nil {
			return nil, err
		}
	}
	switch n.name {
	case "lower":
		return strings.ToLower(toString(v)), nil
	case "upper":
		return strings.ToUpper(toString(v)), nil
	case "trim":
		return strings.TrimSpace(toString(v)), nil
	case "title":
		words := strings.Fields(toString(v))
		for i, w := range words {
			r := []rune(w)
			r[0] = unicode.ToUpper(r[0])
			words[i] = string(r)
		}
		return strings.Join(words, " "), nil
	case "dump":
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("dump: %w", err)
		}
		return string(b), nil
	case "join":
		sep := ","
		if len(args) > 0 {
			sep = toString(args[0])
		}
		return strings.Join(toStrings(v), sep), nil
	case "default":
		if v == nil || v == "" {
			return args[0], nil
		}
		return v, nil
	case "replace":
		return strings.ReplaceAll(toString(v), toString(args[0]), toString(args[1])), nil
	case "length":
		switch c := v.(type) {
		case []any:
			return int64(len(c)), nil
		case map[string]any:
			return int64(len(c)), nil
		}
		return int64(len([]rune(toString(v)))), nil
	case "first", "last":
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			return nil, nil
		}
		if n.name == "first" {
			return l[0], nil
		}
		return l[len(l)-1], nil
	case "string":
		return toString(v), nil
	case "int":
		i, ok := toInt(v)
		if !ok {
			return nil, fmt.Errorf("int: %q is not a number", toString(v))
		}
		return i, nil
	case "parseRepoUrl":
		return parseRepoURL(toString(v))
	case "parseEntityRef":
		kind := catalog.KindGroup
		if len(args) > 0 {
			if m, ok := args[0].(map[string]any); ok {
				if k, ok := m["defaultKind"].(string); ok {
					kind = k
				}
			}
		}
		k, ns, name := catalog.ParseRef(toString(v), kind, catalog.DefaultNamespace)
		return map[string]any{"kind": strings.ToLower(k), "namespace": ns, "name": name}, nil
	case "pick":
		return index(v, args[0]), nil
	case "projectSlug":
		m, err := parseRepoURL(toString(v))
		if err != nil {
			return nil, err
		}
		return toString(m["owner"]) + "/" + toString(m["repo"]), nil
	}
	return nil, fmt.Errorf("unknown filter %q", n.name)
}

// parseRepoURL parses Backstage's RepoUrlPicker format
// "github.com?owner=acme&repo=svc" into host, owner and repo.
func parseRepoURL(s string) (map[string]any, error) {
	host, q, _ := strings.Cut(s, "?")
	vals, err := url.ParseQuery(q)
	if err != nil || host == "" || vals.Get("repo") == "" {
		return nil, fmt.Errorf("parseRepoUrl: %q is not host?owner=…&repo=…", s)
	}
	out := map[string]any{"host": host, "repo": vals.Get("repo")}
	for _, k := range []string{"owner", "organization", "workspace", "project"} {
		if v := vals.Get(k); v != "" {
			out[k] = v
		}
	}
	return out, nil
}

// truthy is Nunjucks truthiness.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	if f, ok := toFloat(v); ok {
		return f != 0
	}
	return true
}

func equal(a, b any) bool {
	if af, ok := toFloat(a); ok {
		if bf, ok := toFloat(b); ok {
			return af == bf
		}
	}
	return reflect.DeepEqual(a, b)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	}
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}

// toString writes a value as template text.
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		return strings.Join(toStrings(x), ",")
	case []string:
		return strings.Join(x, ",")
	case map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = toString(e)
		}
		return out
	case []string:
		return x
	case nil:
		return nil
	}
	return []string{toString(v)}
}

// ---- parsing ----

type token struct {
	kind string // ident, num, str, op, eof
	val  string
}

func lex(src string) ([]token, error) {
	var out []token
	rs := []rune(src)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '-' && j+1 < len(rs) && unicode.IsLetter(rs[j+1]) && j > i) {
				j++
			}
			out = append(out, token{"ident", string(rs[i:j])})
			i = j
		case unicode.IsDigit(r):
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
				j++
			}
			out = append(out, token{"num", string(rs[i:j])})
			i = j
		case r == '\'' || r == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(rs) && rs[j] != r; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated string in %q", src)
			}
			out = append(out, token{"str", b.String()})
			i = j + 1
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "==", "!=", "<=", ">=":
				out = append(out, token{"op", two})
				i += 2
				continue
			}
			if strings.ContainsRune(".|()[],<>:{}~", r) {
				out = append(out, token{"op", string(r)})
				i++
				continue
			}
			return nil, fmt.Errorf("unexpected %q in %q", r, src)
		}
	}
	return append(out, token{kind: "eof"}), nil
}

type parser struct {
	toks []token
	pos  int
	src  string
}

// parseExpr parses the inside of one ${{ }}.
func parseExpr(src string) (exprNode, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: src}
	n, err := p.ternary()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != "eof" {
		return nil, fmt.Errorf("unexpected %q in %q", p.peek().val, src)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }
func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == "ident" && t.val == w
}
func (p *parser) isOp(o string) bool {
	t := p.peek()
	return t.kind == "op" && t.val == o
}
func (p *parser) expectOp(o string) error {
	if !p.isOp(o) {
		return fmt.Errorf("expected %q in %q", o, p.src)
	}
	p.pos++
	return nil
}

func (p *parser) ternary() (exprNode, error) {
	then, err := p.or()
	if err != nil {
		return nil, err
	}
	if !p.isWord("if") {
		return then, nil
	}
	p.pos++
	cond, err := p.or()
	if err != nil {
		return nil, err
	}
	n := ifNode{then: then, cond: cond}
	if p.isWord("else") {
		p.pos++
		if n.els, err = p.ternary(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (p *parser) or() (exprNode, error) {
	l, err := p.and()
	for err == nil && p.isWord("or") {
		p.pos++
		var r exprNode
		if r, err = p.and(); err == nil {
			l = binaryNode{op: "or", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) and() (exprNode, error) {
	l, err := p.not()
	for err == nil && p.isWord("and") {
		p.pos++
		var r exprNode
		if r, err = p.not(); err == nil {
			l = binaryNode{op: "and", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) not() (exprNode, error) {
	if p.isWord("not") {
		p.pos++
		x, err := p.not()
		return notNode{x: x}, err
	}
	return p.cmp()
}

func (p *parser) cmp() (exprNode, error) {
	l, err := p.concat()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if (t.kind == "op" && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == ">" || t.val == "<=" || t.val == ">=")) || (t.kind == "ident" && t.val == "in") {
		p.pos++
		r, err := p.concat()
		if err != nil {
			return nil, err
		}
		return binaryNode{op: t.val, l: l, r: r}, nil
	}
	return l, nil
}

// concat is Nunjucks' string concatenation: a ~ b.
func (p *parser) concat() (exprNode, error) {
	l, err := p.filter()
	for err == nil && p.isOp("~") {
		p.pos++
		var r exprNode
		if r, err = p.filter(); err == nil {
			l = binaryNode{op: "~", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) filter() (exprNode, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isOp("|") {
		p.pos++
		t := p.next()
		if t.kind != "ident" {
			return nil, fmt.Errorf("expected a filter name after | in %q", p.src)
		}
		counts, ok := filterNames[t.val]
		if !ok {
			return nil, fmt.Errorf("unknown filter %q in %q (known: %s)", t.val, p.src, knownFilters())
		}
		fn := filterNode{x: x, name: t.val}
		if p.isOp("(") {
			p.pos++
			for !p.isOp(")") {
				a, err := p.ternary()
				if err != nil {
					return nil, err
				}
				fn.args = append(fn.args, a)
				if !p.isOp(",") {
					break
				}
				p.pos++
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		}
		if len(fn.args) < counts[0] || len(fn.args) > counts[1] {
			return nil, fmt.Errorf("filter %s takes %d to %d arguments in %q", t.val, counts[0], counts[1], p.src)
		}
		x = fn
	}
	return x, nil
}

func knownFilters() string {
	names := make([]string, 0, len(filterNames))
	for n := range filterNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (p *parser) primary() (exprNode, error) {
	t := p.next()
	switch t.kind {
	case "str":
		return litNode{t.val}, nil
	case "num":
		if i, err := strconv.ParseInt(t.val, 10, 64); err == nil {
			return litNode{i}, nil
		}
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q in %q", t.val, p.src)
		}
		return litNode{f}, nil
	case "ident":
		switch t.val {
		case "true", "True":
			return litNode{true}, nil
		case "false", "False":
			return litNode{false}, nil
		case "null", "none", "None", "undefined":
			return litNode{nil}, nil
		}
		n := pathNode{parts: []exprNode{litNode{t.val}}}
		for {
			switch {
			case p.isOp("."):
				p.pos++
				k := p.next()
				if k.kind != "ident" && k.kind != "num" {
					return nil, fmt.Errorf("expected a name after . in %q", p.src)
				}
				n.parts = append(n.parts, litNode{k.val})
				continue
			case p.isOp("["):
				p.pos++
				k, err := p.ternary()
				if err != nil {
					return nil, err
				}
				if err := p.expectOp("]"); err != nil {
					return nil, err
				}
				n.parts = append(n.parts, k)
				continue
			}
			return n, nil
		}
	case "op":
		switch t.val {
		case "(":
			x, err := p.ternary()
			if err != nil {
				return nil, err
			}
			return x, p.expectOp(")")
		case "[":
			var l listNode
			for !p.isOp("]") {
				it, err := p.ternary()
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, it)
				if !p.isOp(",") {
					break
				}
				p.pos++
			}
			return l, p.expectOp("]")
		}
	}
	return nil, fmt.Errorf("unexpected %q in %q", t.val, p.src)
}

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
