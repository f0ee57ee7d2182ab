package templating

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// This file gives values the JavaScript behaviour that Nunjucks inherits:
// how they print, how + - * / % compare, and JSON.stringify for dump.

// plain converts a gonja value to JSON-like Go data: nil, bool, int,
// float64, string, []any, map[string]any. Other kinds become nil
// (functions) or their text.
func plain(x any) any {
	switch t := x.(type) {
	case nil, bool, int, float64, string, []any, map[string]any:
		return t
	case *exec.Value:
		if t == nil {
			return nil
		}
		return plain(t.Interface())
	case *renderState:
		return nil
	case *exec.Dict:
		if t == nil {
			return nil
		}
		out := make(map[string]any, len(t.Pairs))
		for _, p := range t.Pairs {
			out[jsString(p.Key, "undefined")] = plain(p.Value)
		}
		return out
	}
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(v.Uint())
	case reflect.Float32, reflect.Float64:
		return numberValue(v.Float())
	case reflect.String:
		return v.String()
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i).Interface())
		}
		return out
	case reflect.Map:
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = plain(iter.Value().Interface())
		}
		return out
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			return x // an engine object (loop, cycler): opaque
		}
		return plain(v.Elem().Interface())
	case reflect.Invalid:
		return nil
	}
	return x // functions, engine objects: opaque
}

// numberValue keeps whole numbers as int so that range(), indexing and
// printing treat them as JavaScript does (2, not 2.0).
func numberValue(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 && !(f == 0 && math.Signbit(f)) {
		return int(f)
	}
	return f
}

// jsNumber formats a number as JavaScript's Number.prototype.toString.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	a := math.Abs(f)
	if a >= 1e21 || a < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[:1]
		exp = strings.TrimLeft(exp[1:], "0")
		return mant + "e" + sign + exp
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// printed is how Nunjucks writes a value into the output
// (runtime.suppressValue): undefined and null as nothing, everything else as
// JavaScript's String(value).
func printed(x any) string {
	if x == nil {
		return ""
	}
	return jsString(x, "")
}

// jsString is JavaScript's String(value). undefinedText is what undefined
// and null become at the top level ("undefined" in + and ~, nothing when
// printed); inside arrays they are always empty, as Array.prototype.join
// does.
func jsString(x any, undefinedText string) string {
	switch t := plain(x).(type) {
	case nil:
		return undefinedText
	case string:
		return t
	case bool:
		if t {
			return "true"
		}
		return "false"
	case int:
		return strconv.Itoa(t)
	case float64:
		return jsNumber(t)
	case []any:
		parts := make([]string, len(t))
		for i, item := range t {
			parts[i] = jsString(item, "")
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// toNumber is JavaScript's Number(value).
func toNumber(x any) float64 {
	switch t := plain(x).(type) {
	case nil:
		return math.NaN() // undefined; JSON null never reaches here apart
	case bool:
		if t {
			return 1
		}
		return 0
	case int:
		return float64(t)
	case float64:
		return t
	case string:
		s := strings.TrimSpace(t)
		if s == "" {
			return 0
		}
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			if n, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
				return float64(n)
			}
			return math.NaN()
		}
		switch s {
		case "Infinity", "+Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
		lower := strings.ToLower(s)
		if strings.Contains(lower, "inf") || strings.Contains(lower, "nan") || strings.Contains(s, "_") {
			return math.NaN()
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.NaN()
		}
		return f
	case []any:
		if len(t) == 0 {
			return 0
		}
		if len(t) == 1 {
			return toNumber(jsString(t[0], ""))
		}
		return math.NaN()
	}
	return math.NaN()
}

// isPrimitiveNumber reports whether + treats x as a number (not a string,
// list or object, which JavaScript's + turns into text).
func isPrimitiveNumber(x any) bool {
	switch plain(x).(type) {
	case nil, bool, int, float64:
		return true
	}
	return false
}

// binop evaluates a Nunjucks arithmetic or concatenation operator, which
// compiles to the JavaScript operator of the same name (Nunjucks'
// compiler.js: compileAdd ' + ', compileConcat ' + "" + ', compileFloorDiv
// Math.floor(a / b), compilePow Math.pow).
func binop(st *renderState, op string, l, r any) (any, error) {
	switch op {
	case "~":
		s, err := concat(st, jsString(l, "undefined"), jsString(r, "undefined"))
		return s, err
	case "+":
		if isPrimitiveNumber(l) && isPrimitiveNumber(r) {
			return numberValue(toNumber(l) + toNumber(r)), nil
		}
		s, err := concat(st, jsString(l, "undefined"), jsString(r, "undefined"))
		return s, err
	}
	a, b := toNumber(l), toNumber(r)
	var f float64
	switch op {
	case "-":
		f = a - b
	case "*":
		f = a * b
	case "/":
		f = a / b
	case "//":
		f = math.Floor(a / b)
	case "%":
		f = math.Mod(a, b)
	case "**":
		f = math.Pow(a, b)
	default:
		return nil, fmt.Errorf("unknown operator %s", op)
	}
	return numberValue(f), nil
}

func concat(st *renderState, a, b string) (string, error) {
	if st != nil {
		if err := st.checkSize(len(a) + len(b)); err != nil {
			return "", err
		}
	}
	return a + b, nil
}

// member is Nunjucks' runtime.memberLookup: undefined or null yield
// undefined instead of an error, and strings and lists have a length.
func member(obj, key any) any {
	o := plain(obj)
	k := plain(key)
	switch t := o.(type) {
	case nil:
		return nil
	case map[string]any:
		return t[jsString(k, "undefined")]
	case []any:
		if ks, ok := k.(string); ok && ks == "length" {
			return len(t)
		}
		if i, ok := index(k, len(t)); ok {
			return t[i]
		}
		return nil
	case string:
		if ks, ok := k.(string); ok && ks == "length" {
			return len([]rune(t)) // JavaScript counts UTF-16 units; see docs
		}
		rs := []rune(t)
		if i, ok := index(k, len(rs)); ok {
			return string(rs[i])
		}
		return nil
	}
	return nil
}

// index reads k as a JavaScript array index (no negative indexes).
func index(k any, n int) (int, bool) {
	var i int
	switch t := k.(type) {
	case int:
		i = t
	case string:
		v, err := strconv.Atoi(t)
		if err != nil || strconv.Itoa(v) != t {
			return 0, false
		}
		i = v
	default:
		return 0, false
	}
	if i < 0 || i >= n {
		return 0, false
	}
	return i, true
}

// jsonStringify is JavaScript's JSON.stringify(value, null, indent): map
// keys are sorted (Go maps keep no insertion order), undefined (nil) at the
// top level gives ok=false, nested nil is null.
func jsonStringify(x any, indent string) (string, bool) {
	v := plain(x)
	if v == nil {
		return "", false
	}
	var b strings.Builder
	writeJSON(&b, v, indent, "")
	return b.String(), true
}

func writeJSON(b *strings.Builder, v any, indent, prefix string) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(jsNumber(t))
		}
	case string:
		writeJSONString(b, t)
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		inner := prefix + indent
		for i, item := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if indent != "" {
				b.WriteString("\n" + inner)
			}
			writeJSON(b, item, indent, inner)
		}
		if indent != "" {
			b.WriteString("\n" + prefix)
		}
		b.WriteByte(']')
	default:
		b.WriteString("null")
	case map[string]any:
		if len(t) == 0 {
			b.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		inner := prefix + indent
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if indent != "" {
				b.WriteString("\n" + inner)
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if indent != "" {
				b.WriteByte(' ')
			}
			writeJSON(b, t[k], indent, inner)
		}
		if indent != "" {
			b.WriteString("\n" + prefix)
		}
		b.WriteByte('}')
	}
}

// writeJSONString quotes s as JSON.stringify does: only ", \ and control
// characters are escaped (not &, <, > or U+2028 as encoding/json would).
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
