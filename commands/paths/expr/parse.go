package expr

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

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
