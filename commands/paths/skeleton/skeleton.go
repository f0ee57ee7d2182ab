// Package skeleton renders a template's skeleton folder (Backstage's
// fetch:template). A skeleton is a folder of files written with Backstage's
// ${{ values.x }} expressions (see commands/paths/expr); the step's
// input.values are what the files see as "values".
//
//   - File and folder names may hold expressions. A name that renders empty
//     drops the file (a conditional file). The rendered path must stay inside
//     the output: no absolute paths, no "..", nothing in .git.
//   - .yaml and .yml files are parsed as YAML first and expressions are
//     evaluated inside each key and scalar, which is then set as a typed
//     value and marshalled again. So ${{ values.storageGB }} stays a number,
//     and a value holding quotes, colons or newlines is always one quoted
//     scalar: a parameter can never inject YAML structure.
//   - Other files are text with the expressions substituted.
//   - Files matching input.copyWithoutRender (path globs) are copied as is.
package skeleton

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/paths/expr"
)

// Render renders the files of the template folder dir (paths relative to
// the template's folder) into target: the rendered files by output path.
// Files matching a copyRaw glob are copied as they are.
func Render(files map[string][]byte, dir, target string, values map[string]any, copyRaw []string) (map[string]string, error) {
	dir = path.Clean(strings.TrimPrefix(dir, "./"))
	scope := expr.Scope{"values": values}
	out := map[string]string{}
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.HasPrefix(n, dir+"/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("skeleton folder %s is empty or missing", dir)
	}
	for _, n := range names {
		rel := strings.TrimPrefix(n, dir+"/")
		rendered, err := renderPath(rel, scope)
		if err != nil {
			return nil, fmt.Errorf("file name %s: %w", rel, err)
		}
		if rendered == "" {
			continue
		}
		full := rendered
		if target != "" {
			full = path.Join(target, rendered)
		}
		if err := CheckOutputPath(full); err != nil {
			return nil, fmt.Errorf("file %s renders to %q: %w", rel, full, err)
		}
		if _, dup := out[full]; dup {
			return nil, fmt.Errorf("two skeleton files render to %s", full)
		}
		content := files[n]
		switch {
		case matchAny(copyRaw, rel):
			out[full] = string(content)
		case IsYAML(rel):
			s, err := renderYAML(content, scope)
			if err != nil {
				return nil, fmt.Errorf("file %s: %w", rel, err)
			}
			out[full] = s
		default:
			t, err := expr.ParseText(string(content))
			if err != nil {
				return nil, fmt.Errorf("file %s: %w", rel, err)
			}
			s, err := t.Render(scope)
			if err != nil {
				return nil, fmt.Errorf("file %s: %w", rel, err)
			}
			out[full] = s
		}
	}
	return out, nil
}

// renderPath renders each segment of a relative path; "" drops the file.
func renderPath(rel string, scope expr.Scope) (string, error) {
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		if !expr.Has(s) {
			continue
		}
		t, err := expr.ParseText(s)
		if err != nil {
			return "", err
		}
		r, err := t.Render(scope)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(r) == "" {
			return "", nil
		}
		if strings.Contains(r, "/") || strings.Contains(r, "\\") {
			return "", fmt.Errorf("segment %q renders to %q, which holds a path separator", s, r)
		}
		segs[i] = r
	}
	return strings.Join(segs, "/"), nil
}

// CheckOutputPath confines a rendered path to the output folder: relative,
// clean, not into .git, no control characters.
func CheckOutputPath(p string) error {
	switch {
	case p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0):
		return errors.New("paths must be relative")
	case path.Clean(p) != p:
		return errors.New("paths must be clean (no .., no //)")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return errors.New("paths must stay inside the output folder")
		}
		if strings.EqualFold(seg, ".git") {
			return errors.New("paths must not write into .git")
		}
		for _, r := range seg {
			if r < 0x20 || r == 0x7f {
				return errors.New("paths must not hold control characters")
			}
		}
	}
	return nil
}

// matchAny reports whether rel matches one of the globs.
func matchAny(globs []string, rel string) bool {
	for _, g := range globs {
		g = strings.TrimPrefix(g, "./")
		if ok, _ := path.Match(g, rel); ok {
			return true
		}
	}
	return false
}

// IsYAML reports whether a file is rendered as YAML (by its name).
func IsYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// renderYAML renders a YAML file structurally (see the package comment).
func renderYAML(content []byte, scope expr.Scope) (string, error) {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("not valid YAML before rendering (put ${{ }} inside values only): %w", err)
		}
		if err := renderNode(&n, scope); err != nil {
			return "", err
		}
		docs = append(docs, &n)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return "", fmt.Errorf("marshal: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("marshal: %w", err)
	}
	return b.String(), nil
}

func renderNode(n *yaml.Node, scope expr.Scope) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := renderNode(c, scope); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		kept := n.Content[:0]
		for _, c := range n.Content {
			if undefined(c, scope) {
				continue
			}
			if err := renderNode(c, scope); err != nil {
				return err
			}
			kept = append(kept, c)
		}
		n.Content = kept
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if undefined(val, scope) {
				continue
			}
			kept = append(kept, k, val)
			if expr.Has(k.Value) {
				t, err := expr.ParseText(k.Value)
				if err != nil {
					return fmt.Errorf("line %d: %w", k.Line, err)
				}
				s, err := t.Render(scope)
				if err != nil {
					return fmt.Errorf("line %d: %w", k.Line, err)
				}
				setString(k, s)
			}
			if err := renderNode(val, scope); err != nil {
				return err
			}
		}
		n.Content = kept
	case yaml.ScalarNode:
		if !expr.Has(n.Value) {
			return nil
		}
		t, err := expr.ParseText(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if !t.Single() {
			s, err := t.Render(scope)
			if err != nil {
				return fmt.Errorf("line %d: %w", n.Line, err)
			}
			setString(n, s)
			return nil
		}
		v, err := t.Value(scope)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		var nn yaml.Node
		if err := nn.Encode(v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		nn.HeadComment, nn.LineComment, nn.FootComment = n.HeadComment, n.LineComment, n.FootComment
		if s, ok := v.(string); ok {
			setString(&nn, s)
		}
		*n = nn
	}
	return nil
}

// undefined reports whether n is a scalar that is exactly one expression
// whose value is undefined: such a mapping entry or list item is left out
// (system: ${{ values.system if values.system }}).
func undefined(n *yaml.Node, scope expr.Scope) bool {
	if n.Kind != yaml.ScalarNode || !expr.Has(n.Value) {
		return false
	}
	t, err := expr.ParseText(n.Value)
	if err != nil || !t.Single() {
		return false
	}
	v, err := t.Value(scope)
	return err == nil && v == nil
}

// setString makes n the string s, quoted whenever plain style would read
// back as something else.
func setString(n *yaml.Node, s string) {
	n.Kind = yaml.ScalarNode
	n.Tag = "!!str"
	n.Value = s
	n.Style = 0
	if strings.ContainsAny(s, "\n\r") {
		n.Style = yaml.DoubleQuotedStyle
	}
}
