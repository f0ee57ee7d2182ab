package templating

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Nunjucks' built-in filters where gonja's Jinja filters give another
// answer (nunjucks/src/filters.js, 3.2.4, the version Backstage bundles).
// The differential table in nunjucks_filters_test.go holds what nunjucks
// renders for each.

// filterTitle capitalises each space-separated word (the rest lower-cased):
// "my-service" → "My-service".
func filterTitle(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	words := strings.Split(jsString(plain(in), ""), " ")
	for i, w := range words {
		words[i] = capitalizeJS(w)
	}
	return exec.AsValue(strings.Join(words, " "))
}

// filterCapitalize lower-cases the text and upper-cases its first letter.
func filterCapitalize(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	return exec.AsValue(capitalizeJS(jsString(plain(in), "")))
}

func capitalizeJS(s string) string {
	s = strings.ToLower(s)
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

// encodeURIComponent is JavaScript's: everything but A-Z a-z 0-9 - _ . ! ~
// * ' ( ) is percent-encoded as UTF-8.
func encodeURIComponent(s string) string {
	const keep = "-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// filterURLEncode encodes text with encodeURIComponent; a list of [key,
// value] pairs or an object becomes key=value pairs joined by &.
func filterURLEncode(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	switch v := plain(in).(type) {
	case string:
		return exec.AsValue(encodeURIComponent(v))
	case []any:
		var parts []string
		for _, kv := range v {
			if p, ok := kv.([]any); ok && len(p) == 2 {
				parts = append(parts, encodeURIComponent(jsString(p[0], "undefined"))+"="+encodeURIComponent(jsString(p[1], "undefined")))
			}
		}
		return exec.AsValue(strings.Join(parts, "&"))
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = encodeURIComponent(k) + "=" + encodeURIComponent(jsString(v[k], "undefined"))
		}
		return exec.AsValue(strings.Join(parts, "&"))
	}
	return exec.AsValue(encodeURIComponent(jsString(plain(in), "undefined")))
}

var wordRE = regexp.MustCompile(`[A-Za-z0-9_]+`)

// filterWordcount counts /\w+/ matches (JavaScript's ASCII \w).
func filterWordcount(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	n := len(wordRE.FindAllStringIndex(jsString(plain(in), ""), -1))
	if n == 0 {
		return exec.AsValue(nil)
	}
	return exec.AsValue(n)
}

// filterReverse reverses a list, or the characters of text.
func filterReverse(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	switch v := plain(in).(type) {
	case string:
		r := []rune(v)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return exec.AsValue(string(r))
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[len(v)-1-i] = x
		}
		return exec.AsValue(out)
	}
	return in
}

// filterNl2br puts <br /> before every line break.
func filterNl2br(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if plain(in) == nil {
		return exec.AsValue("")
	}
	s := jsString(plain(in), "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return exec.AsValue(strings.ReplaceAll(s, "\n", "<br />\n"))
}

var (
	intPrefix   = regexp.MustCompile(`^\s*[+-]?\d+`)
	floatPrefix = regexp.MustCompile(`^\s*[+-]?(?:Infinity|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)`)
)

// filterInt is parseInt(value, 10), or the default (undefined) when that
// is NaN: "3.7" → 3, "12px" → 12, "x" → the default.
func filterInt(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	m := intPrefix.FindString(jsString(plain(in), "undefined"))
	if m == "" {
		return defaultArg(params)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(m), 64)
	if err != nil {
		return defaultArg(params)
	}
	return exec.AsValue(numberValue(n))
}

// filterFloat is parseFloat(value), or the default when that is NaN.
func filterFloat(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	m := strings.TrimSpace(floatPrefix.FindString(jsString(plain(in), "undefined")))
	if m == "" {
		return defaultArg(params)
	}
	f, err := strconv.ParseFloat(strings.Replace(m, "Infinity", "Inf", 1), 64)
	if err != nil && !math.IsInf(f, 0) {
		return defaultArg(params)
	}
	return exec.AsValue(numberValue(f))
}

func defaultArg(params *exec.VarArgs) *exec.Value {
	if len(params.Args) > 0 {
		return params.Args[0]
	}
	if d, ok := params.KwArgs["def"]; ok {
		return d
	}
	return exec.AsValue(nil)
}

// filterDictsort lists an object's [key, value] pairs sorted by key (or
// by value with by="value"), case-insensitively unless caseSensitive.
func filterDictsort(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	obj, ok := plain(in).(map[string]any)
	if !ok {
		return exec.AsValue(fmt.Errorf("dictsort filter: val must be an object"))
	}
	caseSensitive := len(params.Args) > 0 && truthy(plain(params.Args[0]))
	byValue := len(params.Args) > 1 && jsString(plain(params.Args[1]), "") == "value"
	pairs := make([]any, 0, len(obj))
	for k, v := range obj {
		pairs = append(pairs, []any{k, v})
	}
	key := func(p any) any {
		kv := p.([]any)
		x := kv[0]
		if byValue {
			x = kv[1]
		}
		if s, ok := x.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return x
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		a, b := key(pairs[i]), key(pairs[j])
		as, aok := a.(string)
		bs, bok := b.(string)
		if aok && bok {
			return as < bs
		}
		return toNumber(a) < toNumber(b)
	})
	return exec.AsValue(pairs)
}

// filterGroupby groups a list of objects by an attribute: an object from
// the attribute's value (as text) to the items that have it.
func filterGroupby(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	list, ok := plain(in).([]any)
	if !ok || len(params.Args) == 0 {
		return exec.AsValue(map[string]any{})
	}
	attr := jsString(plain(params.Args[0]), "")
	out := map[string]any{}
	for _, item := range list {
		var v any
		if m, ok := item.(map[string]any); ok {
			v = lookupPath(m, attr)
		}
		k := jsString(v, "undefined")
		l, _ := out[k].([]any)
		out[k] = append(l, item)
	}
	return exec.AsValue(out)
}

// lookupPath reads a dotted attribute ("a.b") of an object.
func lookupPath(m map[string]any, p string) any {
	var cur any = m
	for _, part := range strings.Split(p, ".") {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[part]
	}
	return cur
}

// urlize wraps gonja's urlize without the rel="noopener" nunjucks does not
// add.
func urlize(f filterFunc) filterFunc {
	return func(ev *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		out := f(ev, in, params)
		if s, ok := plain(out).(string); ok {
			return exec.AsValue(strings.ReplaceAll(s, ` rel="noopener"`, ""))
		}
		return out
	}
}
