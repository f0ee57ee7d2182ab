package expr

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// ---- evaluation ----

// Scope is what expressions may refer to: parameters, steps, each,
// user, run, template (steps and run inputs) or values (skeleton files).
type Scope map[string]any

// exprNode is a parsed expression.
type exprNode interface {
	eval(s Scope) (any, error)
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

func (n litNode) eval(Scope) (any, error) { return n.v, nil }

func (n listNode) eval(s Scope) (any, error) {
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

func (n pathNode) eval(s Scope) (any, error) {
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
		return c[ToString(k)]
	case map[string]string:
		if s, ok := c[ToString(k)]; ok {
			return s
		}
		return nil
	case []any:
		i, ok := ToInt(k)
		if ok && i >= 0 && int(i) < len(c) {
			return c[i]
		}
	case []string:
		i, ok := ToInt(k)
		if ok && i >= 0 && int(i) < len(c) {
			return c[i]
		}
	}
	return nil
}

func (n notNode) eval(s Scope) (any, error) {
	v, err := n.x.eval(s)
	if err != nil {
		return nil, err
	}
	return !Truthy(v), nil
}

func (n binaryNode) eval(s Scope) (any, error) {
	l, err := n.l.eval(s)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "and":
		if !Truthy(l) {
			return l, nil
		}
		return n.r.eval(s)
	case "or":
		if Truthy(l) {
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
		return ToString(l) + ToString(r), nil
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
			return strings.Contains(c, ToString(l)), nil
		case map[string]any:
			_, ok := c[ToString(l)]
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

func (n ifNode) eval(s Scope) (any, error) {
	c, err := n.cond.eval(s)
	if err != nil {
		return nil, err
	}
	if Truthy(c) {
		return n.then.eval(s)
	}
	if n.els == nil {
		return nil, nil
	}
	return n.els.eval(s)
}

// Truthy is Nunjucks truthiness: nil, false, "", an empty list or map and
// zero are false; everything else is true.
func Truthy(v any) bool {
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

// ToInt reads a whole number from a number or a decimal string; ok is false
// for anything else (a fraction, text, nil).
func ToInt(v any) (int64, bool) {
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

// ToString writes a value as template text.
func ToString(v any) string {
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
		return strings.Join(ToStrings(x), ",")
	case []string:
		return strings.Join(x, ",")
	case map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// ToStrings writes each element of a list as template text; a single value
// is a list of one, nil is none.
func ToStrings(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = ToString(e)
		}
		return out
	case []string:
		return x
	case nil:
		return nil
	}
	return []string{ToString(v)}
}
