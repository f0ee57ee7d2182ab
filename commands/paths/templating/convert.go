package templating

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Has reports whether s holds template syntax (a ${{ }} expression or a
// {% %} block), that is, whether rendering it can give anything but s.
func Has(s string) bool {
	return strings.Contains(s, "${{") || strings.Contains(s, "{%")
}

// IsTruthy is Backstage's isTruthy, which decides a step's `if`: a list is
// true when it is not empty, anything else as JavaScript's Boolean(value)
// (so an empty object is true and the text "false" is true).
func IsTruthy(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case int64:
		return x != 0
	case json.Number:
		f, err := x.Float64()
		return err == nil && f != 0
	}
	return truthy(v)
}

// Text writes a rendered value as text for people and for action inputs
// that take text: nothing for nil, numbers as JavaScript writes them, lists
// joined by ",", objects as JSON.
func Text(v any) string {
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
		return jsNumber(x)
	case []any:
		return strings.Join(Strings(x), ",")
	case []string:
		return strings.Join(x, ",")
	case map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// Strings writes each element of a list with Text; a single value is a list
// of one, nil is none.
func Strings(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = Text(e)
		}
		return out
	case []string:
		return x
	case nil:
		return nil
	}
	return []string{Text(v)}
}

// Int reads a whole number: an integer, a float without fraction or
// decimal text.
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || x > math.MaxInt64 || x < math.MinInt64 {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		i, err := x.Int64()
		return i, err == nil
	}
	return 0, false
}
