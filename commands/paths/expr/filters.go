package expr

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/platbot/platbot/commands/catalog"
)

// ---- filters ----

// filterNames are the filters evalFilter knows, with their argument counts.
var filterNames = map[string][2]int{
	"lower": {0, 0}, "upper": {0, 0}, "trim": {0, 0}, "title": {0, 0}, "dump": {0, 1},
	"join": {0, 1}, "default": {1, 1}, "replace": {2, 2}, "length": {0, 0}, "first": {0, 0},
	"last": {0, 0}, "string": {0, 0}, "int": {0, 0}, "parseRepoUrl": {0, 0},
	"parseEntityRef": {0, 1}, "pick": {1, 1}, "projectSlug": {0, 0},
}

func (n filterNode) eval(s Scope) (any, error) {
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
		return strings.ToLower(ToString(v)), nil
	case "upper":
		return strings.ToUpper(ToString(v)), nil
	case "trim":
		return strings.TrimSpace(ToString(v)), nil
	case "title":
		words := strings.Fields(ToString(v))
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
			sep = ToString(args[0])
		}
		return strings.Join(ToStrings(v), sep), nil
	case "default":
		if v == nil || v == "" {
			return args[0], nil
		}
		return v, nil
	case "replace":
		return strings.ReplaceAll(ToString(v), ToString(args[0]), ToString(args[1])), nil
	case "length":
		switch c := v.(type) {
		case []any:
			return int64(len(c)), nil
		case map[string]any:
			return int64(len(c)), nil
		}
		return int64(len([]rune(ToString(v)))), nil
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
		return ToString(v), nil
	case "int":
		i, ok := ToInt(v)
		if !ok {
			return nil, fmt.Errorf("int: %q is not a number", ToString(v))
		}
		return i, nil
	case "parseRepoUrl":
		return parseRepoURL(ToString(v))
	case "parseEntityRef":
		kind := catalog.KindGroup
		if len(args) > 0 {
			if m, ok := args[0].(map[string]any); ok {
				if k, ok := m["defaultKind"].(string); ok {
					kind = k
				}
			}
		}
		k, ns, name := catalog.ParseRef(ToString(v), kind, catalog.DefaultNamespace)
		return map[string]any{"kind": strings.ToLower(k), "namespace": ns, "name": name}, nil
	case "pick":
		return index(v, args[0]), nil
	case "projectSlug":
		m, err := parseRepoURL(ToString(v))
		if err != nil {
			return nil, err
		}
		return ToString(m["owner"]) + "/" + ToString(m["repo"]), nil
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
