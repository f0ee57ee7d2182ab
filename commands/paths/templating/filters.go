package templating

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// environment builds the filters, tests, globals, control structures and
// methods that templates see. Only what Nunjucks and Backstage offer is
// there; gonja builtins that Nunjucks lacks (lipsum, namespace, wordwrap,
// format, ...) are left out.
func (e *Engine) environment() *exec.Environment {
	ctx := exec.EmptyContext()
	ctx.Set("range", rangeGlobal)
	for _, name := range []string{"cycler", "joiner"} {
		if v, ok := builtins.GlobalFunctions.Get(name); ok {
			ctx.Set(name, v)
		}
	}
	if e.opts.Cookiecutter {
		// installJinjaCompat: True, False and None name the constants.
		ctx.Set("True", true)
		ctx.Set("False", false)
		ctx.Set("None", nil)
	}
	return &exec.Environment{
		Context:           ctx,
		Filters:           e.filters(),
		Tests:             builtins.Tests,
		ControlStructures: controlStructures(),
		Methods:           e.methods(),
	}
}

// rangeGlobal is Nunjucks' range(start, stop, step) with a bounded length.
func rangeGlobal(ev *exec.Evaluator, va *exec.VarArgs) *exec.Value {
	nums := make([]float64, len(va.Args))
	for i, a := range va.Args {
		nums[i] = toNumber(plain(a))
		if math.IsNaN(nums[i]) || math.IsInf(nums[i], 0) {
			return exec.AsValue(errors.New("range: arguments must be numbers"))
		}
	}
	start, stop, step := 0.0, 0.0, 1.0
	switch len(nums) {
	case 1:
		stop = nums[0]
	case 2:
		start, stop = nums[0], nums[1]
	case 3:
		start, stop, step = nums[0], nums[1], nums[2]
	default:
		return exec.AsValue(errors.New("range: expects 1 to 3 arguments"))
	}
	if step == 0 {
		return exec.AsValue(errors.New("range: step must not be zero"))
	}
	n := math.Ceil((stop - start) / step)
	if n > maxRange {
		if st := stateOf(ev); st != nil {
			return exec.AsValue(st.fail("range() of %.0f items, more than the %d allowed", n, maxRange))
		}
		return exec.AsValue(fmt.Errorf("%w: range() of more than %d items", ErrLimit, maxRange))
	}
	var out []any
	for i := 0.0; i < n; i++ {
		out = append(out, numberValue(start+i*step))
	}
	return exec.AsValue(out)
}

type filterFunc = exec.FilterFunction

// guard wraps a filter with the deadline check and the size bound on its
// result.
func guard(f filterFunc) filterFunc {
	return func(ev *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in != nil && in.IsError() {
			return in
		}
		st := stateOf(ev)
		if st != nil {
			if err := st.check(); err != nil {
				return exec.AsValue(err)
			}
		}
		out := f(ev, in, params)
		if st != nil && out != nil && out.IsString() {
			if err := st.checkSize(len(out.String())); err != nil {
				return exec.AsValue(err)
			}
		}
		return out
	}
}

// argCap refuses a numeric argument above max before the filter builds
// anything (center(width), indent(width), batch(size), slice(slices)).
func argCap(name string, pos int, kw string, max int, f filterFunc) filterFunc {
	return func(ev *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		var arg *exec.Value
		if pos < len(params.Args) {
			arg = params.Args[pos]
		} else if v, ok := params.KwArgs[kw]; ok {
			arg = v
		}
		if arg != nil && toNumber(plain(arg)) > float64(max) {
			return exec.AsValue(fmt.Errorf("%w: %s(%s) above %d", ErrLimit, name, arg.String(), max))
		}
		return f(ev, in, params)
	}
}

func (e *Engine) filters() *exec.FilterSet {
	m := map[string]filterFunc{}
	// Nunjucks built-ins that gonja implements the same way (checked
	// against nunjucks in nunjucks_filters_test.go).
	for _, name := range []string{
		"abs", "escape", "e", "forceescape", "list", "random", "reject", "rejectattr",
		"round", "safe", "select", "selectattr", "sort", "striptags", "sum",
	} {
		if f, ok := builtins.Filters.Get(name); ok {
			m[name] = f
		}
	}
	if f, ok := builtins.Filters.Get("urlize"); ok {
		m["urlize"] = urlize(f)
	}
	// Nunjucks' own answers where gonja's differ (nunjucks_filters.go).
	m["title"] = filterTitle
	m["capitalize"] = filterCapitalize
	m["urlencode"] = filterURLEncode
	m["wordcount"] = filterWordcount
	m["reverse"] = filterReverse
	m["nl2br"] = filterNl2br
	m["int"] = filterInt
	m["float"] = filterFloat
	m["dictsort"] = filterDictsort
	m["groupby"] = filterGroupby
	max := e.opts.MaxOutputBytes
	if f, ok := builtins.Filters.Get("center"); ok {
		m["center"] = argCap("center", 0, "width", max, f)
	}
	if f, ok := builtins.Filters.Get("indent"); ok {
		m["indent"] = argCap("indent", 0, "width", 1000, f)
	}
	if f, ok := builtins.Filters.Get("batch"); ok {
		m["batch"] = argCap("batch", 0, "linecount", 10000, f)
	}
	if f, ok := builtins.Filters.Get("slice"); ok {
		m["slice"] = argCap("slice", 0, "slices", 10000, f)
	}
	// Nunjucks' own semantics where gonja's Jinja filters differ.
	m["default"] = filterDefault
	m["d"] = filterDefault
	m["dump"] = filterDump
	m["join"] = filterJoin
	m["length"] = filterLength
	m["first"] = filterFirst
	m["last"] = filterLast
	m["lower"] = stringFilter(strings.ToLower)
	m["upper"] = stringFilter(strings.ToUpper)
	m["trim"] = stringFilter(strings.TrimSpace)
	m["string"] = stringFilter(func(s string) string { return s })
	m["replace"] = filterReplace
	m["truncate"] = filterTruncate
	// Backstage's filters (createDefaultFilters).
	m["parseRepoUrl"] = e.filterParseRepoURL
	m["projectSlug"] = e.filterProjectSlug
	m["parseEntityRef"] = filterParseEntityRef
	m["pick"] = filterPick
	if e.opts.Cookiecutter {
		m["jsonify"] = filterDump
	}
	// The engine's operators and lookups (see rewrite): in | __binop(op, r)
	// and in | __member(key).
	m["__binop"] = func(ev *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if len(params.Args) != 2 {
			return exec.AsValue(errors.New("operator: wrong arguments"))
		}
		out, err := binop(stateOf(ev), params.Args[0].String(), plain(in), plain(params.Args[1]))
		if err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(out)
	}
	m["__member"] = func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if len(params.Args) != 1 {
			return exec.AsValue(errors.New("lookup: wrong arguments"))
		}
		return memberValue(in, params.Args[0])
	}
	m["__output"] = func(ev *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		if st := stateOf(ev); st != nil && st.capture {
			// A sole expression: keep its value as JSON, as Backstage's
			// ${{ (expr) | dump }} does, and print nothing.
			s, ok := jsonStringify(plain(in), "")
			st.captured, st.didCapture = s, ok
			return exec.AsValue("")
		}
		return exec.AsValue(printed(plain(in)))
	}
	for k, f := range m {
		m[k] = guard(f)
	}
	return exec.NewFilterSet(m)
}

// memberValue looks key up in obj: JSON data the Nunjucks way (member),
// other values (loop, cycler) through gonja.
func memberValue(obj, key *exec.Value) *exec.Value {
	switch plain(obj).(type) {
	case nil, string, []any, map[string]any, bool, int, float64:
		return exec.AsValue(member(obj, key))
	}
	if key.IsString() {
		if v, ok := obj.GetAttribute(key.String()); ok {
			return v
		}
	}
	if v, ok := obj.GetItem(key.Interface()); ok {
		return v
	}
	return exec.AsValue(nil)
}

func errValue(format string, args ...any) *exec.Value {
	return exec.AsValue(fmt.Errorf(format, args...))
}

// filterDefault is Nunjucks' default(value, default, boolean): undefined
// (here also null) takes the default; with boolean true any falsy value does.
func filterDefault(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	var def *exec.Value = exec.AsValue(nil)
	if len(params.Args) > 0 {
		def = params.Args[0]
	}
	boolean := false
	if len(params.Args) > 1 {
		boolean = truthy(plain(params.Args[1]))
	} else if v, ok := params.KwArgs["boolean"]; ok {
		boolean = truthy(plain(v))
	}
	v := plain(in)
	if v == nil || (boolean && !truthy(v)) {
		return def
	}
	return in
}

// truthy is JavaScript's Boolean(value).
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case int:
		return t != 0
	case float64:
		return t != 0 && !math.IsNaN(t)
	case string:
		return t != ""
	}
	return true
}

// filterDump is Nunjucks' dump(value, spaces): JSON.stringify(value, null,
// spaces). A number gives that many spaces (at most 10, as JSON.stringify),
// a string is used as the indent (first 10 characters).
func filterDump(ev *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	indent := ""
	if len(params.Args) > 0 {
		switch t := plain(params.Args[0]).(type) {
		case int:
			indent = strings.Repeat(" ", min(max(t, 0), 10))
		case float64:
			indent = strings.Repeat(" ", min(max(int(t), 0), 10))
		case string:
			indent = t
			if utf8.RuneCountInString(indent) > 10 {
				indent = string([]rune(indent)[:10])
			}
		}
	}
	s, ok := jsonStringify(plain(in), indent)
	if !ok {
		return exec.AsValue(nil)
	}
	return exec.AsValue(s)
}

// filterJoin is Nunjucks' join(arr, del = "", attr): undefined and null
// elements join as empty text.
func filterJoin(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	sep := ""
	if len(params.Args) > 0 {
		sep = jsString(plain(params.Args[0]), "")
	}
	list, ok := plain(in).([]any)
	if !ok {
		return exec.AsValue(jsString(plain(in), ""))
	}
	parts := make([]string, len(list))
	for i, item := range list {
		if len(params.Args) > 1 {
			item = member(item, plain(params.Args[1]))
		}
		parts[i] = jsString(item, "")
	}
	return exec.AsValue(strings.Join(parts, sep))
}

// filterLength is Nunjucks' length: undefined is 0, objects count keys.
func filterLength(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	switch t := plain(in).(type) {
	case string:
		return exec.AsValue(len([]rune(t)))
	case []any:
		return exec.AsValue(len(t))
	case map[string]any:
		return exec.AsValue(len(t))
	}
	return exec.AsValue(0)
}

func filterFirst(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	return exec.AsValue(member(in, 0))
}

func filterLast(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	n := 0
	switch t := plain(in).(type) {
	case []any:
		n = len(t)
	case string:
		n = len([]rune(t))
	}
	if n == 0 {
		return exec.AsValue(nil)
	}
	return exec.AsValue(member(in, n-1))
}

// stringFilter applies f to the value's text (undefined is empty), as
// Nunjucks' lower, upper, trim and string do.
func stringFilter(f func(string) string) filterFunc {
	return func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		return exec.AsValue(f(printed(plain(in))))
	}
}

// filterReplace is Nunjucks' replace(str, old, new, maxCount): every
// occurrence (or the first maxCount) of old is replaced.
func filterReplace(ev *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if len(params.Args) < 2 {
		return errValue("replace: expects old and new")
	}
	s := printed(plain(in))
	old := jsString(plain(params.Args[0]), "undefined")
	repl := jsString(plain(params.Args[1]), "undefined")
	n := -1
	if len(params.Args) > 2 {
		if c := toNumber(plain(params.Args[2])); !math.IsNaN(c) {
			n = int(c)
		}
	}
	count := strings.Count(s, old)
	if n >= 0 && n < count {
		count = n
	}
	if st := stateOf(ev); st != nil {
		if err := st.checkSize(len(s) + count*(len(repl)-len(old))); err != nil {
			return exec.AsValue(err)
		}
	}
	return exec.AsValue(strings.Replace(s, old, repl, n))
}

// filterTruncate is Nunjucks' truncate(str, length = 255, killwords,
// end = "..."): without killwords the text is cut at the last space at or
// before length.
func filterTruncate(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	rs := []rune(printed(plain(in)))
	length := 255
	if len(params.Args) > 0 {
		if f := toNumber(plain(params.Args[0])); !math.IsNaN(f) {
			length = max(int(f), 0)
		}
	}
	if len(rs) <= length {
		return exec.AsValue(string(rs))
	}
	killwords := len(params.Args) > 1 && truthy(plain(params.Args[1]))
	end := "..."
	if len(params.Args) > 2 && plain(params.Args[2]) != nil {
		end = jsString(plain(params.Args[2]), "")
	}
	cut := length
	if !killwords {
		cut = -1
		for i := min(length, len(rs)-1); i >= 0; i-- {
			if rs[i] == ' ' {
				cut = i
				break
			}
		}
		if cut == -1 {
			cut = length
		}
	}
	return exec.AsValue(string(rs[:cut]) + end)
}

// methods are the string, list and object methods templates may call. In
// Backstage's ${{ }} mode those are JavaScript's (replace, split,
// toUpperCase, ...); the Python ones (upper, lower, strip, startswith, ...)
// that cookiecutter templates use are offered too.
func (e *Engine) methods() exec.Methods {
	maxBytes := e.opts.MaxOutputBytes
	str := map[string]exec.Method[string]{
		"toUpperCase": func(s string, _ *exec.Value, _ *exec.VarArgs) (any, error) { return strings.ToUpper(s), nil },
		"toLowerCase": func(s string, _ *exec.Value, _ *exec.VarArgs) (any, error) { return strings.ToLower(s), nil },
		"trim":        func(s string, _ *exec.Value, _ *exec.VarArgs) (any, error) { return strings.TrimSpace(s), nil },
		"trimStart": func(s string, _ *exec.Value, _ *exec.VarArgs) (any, error) {
			return strings.TrimLeft(s, " \t\n\r\v\f"), nil
		},
		"trimEnd": func(s string, _ *exec.Value, _ *exec.VarArgs) (any, error) {
			return strings.TrimRight(s, " \t\n\r\v\f"), nil
		},
		"startsWith": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return strings.HasPrefix(s, argString(a, 0)), nil
		},
		"endsWith": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return strings.HasSuffix(s, argString(a, 0)), nil
		},
		"includes": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return strings.Contains(s, argString(a, 0)), nil
		},
		"indexOf": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return runeIndex(s, strings.Index(s, argString(a, 0))), nil
		},
		"lastIndexOf": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return runeIndex(s, strings.LastIndex(s, argString(a, 0))), nil
		},
		// JavaScript's String.prototype.replace with a string pattern
		// replaces the first occurrence only.
		"replace": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			old, repl := argString(a, 0), argString(a, 1)
			if len(s)+len(repl) > maxBytes {
				return nil, fmt.Errorf("%w: replace result above %d bytes", ErrLimit, maxBytes)
			}
			return strings.Replace(s, old, repl, 1), nil
		},
		"replaceAll": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			old, repl := argString(a, 0), argString(a, 1)
			if n := len(s) + (strings.Count(s, old))*(len(repl)-len(old)); n > maxBytes {
				return nil, fmt.Errorf("%w: replaceAll result above %d bytes", ErrLimit, maxBytes)
			}
			return strings.ReplaceAll(s, old, repl), nil
		},
		// JavaScript's split: no separator gives [s], "" gives characters.
		"split": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			if len(a.Args) == 0 || a.Args[0].IsNil() {
				return []any{s}, nil
			}
			parts := strings.Split(s, argString(a, 0))
			if len(a.Args) > 1 {
				if n := int(toNumber(plain(a.Args[1]))); n >= 0 && n < len(parts) {
					parts = parts[:n]
				}
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		},
		"slice": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			rs := []rune(s)
			from, to := jsSliceRange(len(rs), a, true)
			return string(rs[from:to]), nil
		},
		"substring": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			rs := []rune(s)
			from, to := jsSliceRange(len(rs), a, false)
			return string(rs[from:to]), nil
		},
		"charAt": func(s string, _ *exec.Value, a *exec.VarArgs) (any, error) {
			v := member(s, int(toNumber(plain(argValue(a, 0)))))
			if v == nil {
				return "", nil
			}
			return v, nil
		},
	}
	for _, name := range []string{
		"capitalize", "casefold", "count", "endswith", "find", "isalnum", "isalpha",
		"isdigit", "islower", "isspace", "isupper", "lower", "lstrip", "rstrip",
		"strip", "startswith", "swapcase", "title", "upper", "splitlines",
		"partition", "rpartition", "rsplit",
	} {
		if m, ok := builtins.Methods.Str.Get(name); ok {
			str[name] = m
		}
	}
	list := map[string]exec.Method[[]any]{
		"join": func(l []any, _ *exec.Value, a *exec.VarArgs) (any, error) {
			sep := ","
			if len(a.Args) > 0 && !a.Args[0].IsNil() {
				sep = argString(a, 0)
			}
			parts := make([]string, len(l))
			total := 0
			for i, item := range l {
				parts[i] = jsString(item, "")
				total += len(parts[i]) + len(sep)
			}
			if total > maxBytes {
				return nil, fmt.Errorf("%w: join result above %d bytes", ErrLimit, maxBytes)
			}
			return strings.Join(parts, sep), nil
		},
		"includes": func(l []any, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return listIndex(l, plain(argValue(a, 0))) >= 0, nil
		},
		"indexOf": func(l []any, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return listIndex(l, plain(argValue(a, 0))), nil
		},
		"slice": func(l []any, _ *exec.Value, a *exec.VarArgs) (any, error) {
			from, to := jsSliceRange(len(l), a, true)
			return append([]any(nil), l[from:to]...), nil
		},
		// installJinjaCompat's ARRAY_MEMBERS that do not change the list.
		"count": func(l []any, _ *exec.Value, a *exec.VarArgs) (any, error) {
			want, n := plain(argValue(a, 0)), 0
			for _, item := range l {
				if jsEqual(item, want) {
					n++
				}
			}
			return n, nil
		},
		"index": func(l []any, _ *exec.Value, a *exec.VarArgs) (any, error) {
			i := listIndex(l, plain(argValue(a, 0)))
			if i < 0 {
				return nil, errors.New("ValueError")
			}
			return i, nil
		},
		"find": func(l []any, _ *exec.Value, a *exec.VarArgs) (any, error) {
			return listIndex(l, plain(argValue(a, 0))), nil
		},
	}
	dict := map[string]exec.Method[map[string]any]{}
	for _, name := range []string{"keys", "values", "items", "get"} {
		if m, ok := builtins.Methods.Dict.Get(name); ok {
			dict[name] = m
		}
	}
	return exec.Methods{
		Bool:  exec.NewMethodSet(map[string]exec.Method[bool]{}),
		Int:   exec.NewMethodSet(map[string]exec.Method[int]{}),
		Float: exec.NewMethodSet(map[string]exec.Method[float64]{}),
		Str:   exec.NewMethodSet(str),
		Dict:  exec.NewMethodSet(dict),
		List:  exec.NewMethodSet(list),
	}
}

func argValue(a *exec.VarArgs, i int) *exec.Value {
	if a == nil || i >= len(a.Args) {
		return exec.AsValue(nil)
	}
	return a.Args[i]
}

func argString(a *exec.VarArgs, i int) string {
	return jsString(plain(argValue(a, i)), "undefined")
}

func runeIndex(s string, byteIndex int) int {
	if byteIndex < 0 {
		return -1
	}
	return utf8.RuneCountInString(s[:byteIndex])
}

func jsEqual(a, b any) bool {
	a, b = plain(a), plain(b)
	switch x := a.(type) {
	case int, float64:
		if isPrimitiveNumber(b) && b != nil {
			return toNumber(x) == toNumber(b)
		}
		return false
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}

func listIndex(l []any, want any) int {
	for i, item := range l {
		if jsEqual(item, want) {
			return i
		}
	}
	return -1
}

// jsSliceRange reads (start, end) as JavaScript's slice (negative counts
// from the end) or substring (negative is 0, swapped when start > end).
func jsSliceRange(n int, a *exec.VarArgs, negative bool) (int, int) {
	num := func(i int, def int) int {
		if a == nil || i >= len(a.Args) || a.Args[i].IsNil() {
			return def
		}
		f := toNumber(plain(a.Args[i]))
		if math.IsNaN(f) {
			return 0
		}
		if f > float64(n) {
			return n
		}
		if f < -float64(n) {
			return -n
		}
		return int(f)
	}
	from, to := num(0, 0), num(1, n)
	if negative {
		if from < 0 {
			from += n
		}
		if to < 0 {
			to += n
		}
		from, to = min(max(from, 0), n), min(max(to, 0), n)
		if to < from {
			to = from
		}
		return from, to
	}
	from, to = min(max(from, 0), n), min(max(to, 0), n)
	if from > to {
		from, to = to, from
	}
	return from, to
}
