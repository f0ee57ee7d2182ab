// Package skeleton renders a template's skeleton folder as Backstage's
// fetch:template does (plugins/scaffolder-backend, actions/builtin/fetch/
// template.ts), with the engine of commands/paths/templating:
//
//   - Every file's name and contents are rendered with the step's
//     input.values as `values` (`cookiecutter` in cookiecutter
//     compatibility mode), as text: a YAML file is text to Nunjucks too, so
//     `{%- if %}` blocks may drop keys and `| dump` quotes a value.
//   - A path that renders empty, absolute or with an empty segment
//     ("a//b") is skipped: that is how conditional files and folders work.
//     Whatever else it renders to must stay inside the output: no "..", no
//     .git, no control characters.
//   - Binary files (isbinaryfile's test) are copied byte for byte.
//   - copyWithoutTemplating globs: contents copied as they are, names
//     rendered; copyWithoutRender (its deprecated predecessor): neither;
//     templateFileExtension: only files with that extension are rendered
//     (and lose it), every name is rendered.
//   - A path already in the output (an earlier step's, or an earlier file's
//     that rendered to the same name) is kept unless replace is set.
package skeleton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/paths/templating"
)

// Options are fetch:template's inputs.
type Options struct {
	// Values are what the files see as values (or cookiecutter).
	Values map[string]any
	// Target is the output folder within the working directory ("" = top).
	Target string
	// CopyWithoutTemplating and CopyWithoutRender are globs over the
	// skeleton's relative paths (a glob naming a folder covers what is in it).
	CopyWithoutTemplating []string
	CopyWithoutRender     []string
	// Extension, when set (".njk"), renders only files ending in it.
	Extension string
	// Cookiecutter renders with the cookiecutter-compatible engine.
	Cookiecutter bool
	// Replace overwrites files already in the output.
	Replace bool
	// Executable names the skeleton's executable files (template-relative
	// paths); Render marks their outputs in ExecOut, when given, as
	// Backstage writes each file with its source's mode.
	Executable map[string]bool
	ExecOut    map[string]bool
}

// Engines are the two template engines fetch:template can use.
type Engines struct {
	Std, Cookiecutter *templating.Engine
}

// Render renders the files of the template folder dir (paths relative to
// the template's folder) into out, the working directory's files by path.
// It returns the paths it wrote, sorted. Nothing is written when it fails.
func (en Engines) Render(ctx context.Context, files map[string][]byte, dir string, o Options, out map[string]string) ([]string, error) {
	dir = path.Clean(strings.TrimPrefix(dir, "./"))
	eng, key := en.Std, "values"
	if o.Cookiecutter {
		eng, key = en.Cookiecutter, "cookiecutter"
	}
	values := o.Values
	if values == nil {
		values = map[string]any{}
	}
	scope := templating.Values{key: values}
	target := strings.TrimPrefix(strings.Trim(o.Target, "/"), "./")
	if target == "." {
		target = ""
	}
	if target != "" {
		if err := CheckOutputPath(path.Clean(target)); err != nil {
			return nil, fmt.Errorf("targetPath %q: %w", o.Target, err)
		}
	}
	names := make([]string, 0, len(files))
	prefix := dir + "/"
	if dir == "." {
		prefix = ""
	}
	for n := range files {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("skeleton folder %s is empty or missing", dir)
	}
	written := map[string]string{}
	var order []string
	for _, n := range names {
		rel := strings.TrimPrefix(n, prefix)
		content := files[n]
		local := rel
		renderContents, renderName := true, true
		switch {
		case o.Extension != "":
			renderContents = strings.HasSuffix(local, o.Extension)
			if renderContents {
				local = strings.TrimSuffix(local, o.Extension)
			}
		case matchAny(o.CopyWithoutRender, rel):
			renderContents, renderName = false, false
		case matchAny(o.CopyWithoutTemplating, rel):
			renderContents = false
		}
		if renderName {
			r, err := eng.RenderString(ctx, n, local, scope)
			if err != nil {
				return nil, fmt.Errorf("file name: %w", err)
			}
			local = r
		}
		if local == "" || strings.HasPrefix(local, "/") || strings.Contains(local, "//") {
			continue // a conditional file or folder that is left out
		}
		full := local
		if target != "" {
			full = target + "/" + local
		}
		if err := CheckOutputPath(full); err != nil {
			return nil, fmt.Errorf("file %s renders to %q: %w", rel, full, err)
		}
		if _, exists := out[full]; exists && !o.Replace {
			continue
		}
		if _, exists := written[full]; exists && !o.Replace {
			continue
		}
		text := string(content)
		if renderContents && !IsBinary(content) {
			r, err := eng.RenderString(ctx, n, text, scope)
			if err != nil {
				return nil, err
			}
			if IsYAML(local) && structural(values) {
				if err := sameStructure(ctx, eng, n, text, r, key, values); err != nil {
					return nil, err
				}
			}
			text = r
		}
		if _, exists := written[full]; !exists {
			order = append(order, full)
		}
		written[full] = text
		if o.ExecOut != nil {
			if o.Executable[n] {
				o.ExecOut[full] = true
			} else {
				delete(o.ExecOut, full)
			}
		}
	}
	for _, n := range order {
		out[n] = written[n]
	}
	sort.Strings(order)
	return order, nil
}

// structural reports whether any string in v could change YAML structure
// when written into a YAML file without quotes: a line break, or a
// character YAML reads as syntax (": ", "#", flow brackets and commas,
// anchors, tags, quotes, block indicators).
func structural(v any) bool {
	switch x := v.(type) {
	case string:
		return yamlSignificant(x)
	case map[string]any:
		for _, e := range x {
			if structural(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if structural(e) {
				return true
			}
		}
	}
	return false
}

func yamlSignificant(s string) bool {
	if strings.ContainsAny(s, "\n\r{}[],#&*!|>'\"%@`") || strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return true
	}
	t := strings.TrimSpace(s)
	return t != s || strings.HasPrefix(t, "-") || strings.HasPrefix(t, "?")
}

// neutral is v with every string that could change YAML structure replaced
// by a word of no YAML meaning.
func neutral(v any) any {
	switch x := v.(type) {
	case string:
		if yamlSignificant(x) {
			return "value"
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = neutral(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = neutral(e)
		}
		return out
	}
	return v
}

// sameStructure refuses a YAML file whose rendering has mapping keys or
// documents that the same rendering with every structural value replaced
// by a word does not have: such a value written without `| dump` would add
// YAML structure (keys, documents) that nobody wrote into the template.
func sameStructure(ctx context.Context, eng *templating.Engine, rel, src, rendered, key string, values map[string]any) error {
	flat, err := eng.RenderString(ctx, rel, src, templating.Values{key: neutral(values)})
	if err != nil {
		return nil
	}
	want, ok := yamlShape(flat)
	if !ok {
		return nil // not YAML with plain values either: the template's own doing
	}
	got, ok := yamlShape(rendered)
	if !ok {
		return fmt.Errorf("file %s: a value makes the YAML invalid: the template must quote values with | dump (tell its owners)", rel)
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			return fmt.Errorf("file %s: a value adds %s to the YAML, which the template does not write: the template must quote values with | dump (tell its owners)", rel, k)
		}
	}
	return nil
}

// yamlShape lists the key paths and document count of a YAML text
// ("doc 2", "doc 1: metadata.name"); false when it is not YAML.
func yamlShape(s string) ([]string, bool) {
	dec := yaml.NewDecoder(strings.NewReader(s))
	var out []string
	for i := 1; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		out = append(out, fmt.Sprintf("document %d", i))
		var walk func(n *yaml.Node, at string)
		walk = func(n *yaml.Node, at string) {
			switch n.Kind {
			case yaml.DocumentNode, yaml.SequenceNode:
				for _, c := range n.Content {
					walk(c, at)
				}
			case yaml.MappingNode:
				for j := 0; j+1 < len(n.Content); j += 2 {
					p := at + "." + n.Content[j].Value
					out = append(out, fmt.Sprintf("the key %q (document %d)", strings.TrimPrefix(p, "."), i))
					walk(n.Content[j+1], p)
				}
			}
		}
		walk(&n, "")
	}
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

// matchAny reports whether rel, or a folder it is in, matches one of the
// globs (globby's patterns: "**" spans folders).
func matchAny(globs []string, rel string) bool {
	for _, g := range globs {
		g = strings.TrimPrefix(strings.TrimSpace(g), "./")
		if g == "" {
			continue
		}
		if Glob(g, rel) {
			return true
		}
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			if Glob(strings.TrimSuffix(g, "/"), d) {
				return true
			}
		}
	}
	return false
}

// Glob matches a slash-separated path against a glob where "*" and "?"
// stay within a segment and a "**" segment spans any number of segments.
func Glob(pattern, name string) bool {
	return globSegs(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func globSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if globSegs(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// IsYAML reports whether a file is YAML (by its name).
func IsYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// IsBinary is the test of the isbinaryfile package that fetch:template
// uses: over the first 512 bytes, a NUL byte or more than 10% bytes that
// are neither text control characters nor part of UTF-8 sequences make a
// file binary; byte-order marks make it text and a PDF header binary.
func IsBinary(b []byte) bool {
	n := min(len(b), 512)
	if n == 0 {
		return false
	}
	switch {
	case n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf,
		n >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff,
		n >= 4 && b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0,
		n >= 4 && b[0] == 0x84 && b[1] == 0x31 && b[2] == 0x95 && b[3] == 0x33:
		return false
	case n >= 5 && string(b[:5]) == "%PDF-":
		return true
	case n >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0xff && b[1] == 0xfe):
		return false
	}
	cont := func(c byte) bool { return c >= 0x80 && c <= 0xbf }
	suspicious := 0
	for i := 0; i < n; i++ {
		c := b[i]
		if c == 0 {
			return true
		}
		if (c < 7 || c > 14) && (c < 32 || c > 127) {
			switch {
			case c >= 0xc0 && c <= 0xdf && i+1 < n:
				i++
				if cont(b[i]) {
					continue
				}
			case c >= 0xe0 && c <= 0xef && i+2 < n:
				i++
				if cont(b[i]) && cont(b[i+1]) {
					i++
					continue
				}
			case c >= 0xf0 && c <= 0xf7 && i+3 < n:
				i++
				if cont(b[i]) && cont(b[i+1]) && cont(b[i+2]) {
					i += 2
					continue
				}
			}
			suspicious++
			if i >= 32 && suspicious*100/n > 10 {
				return true
			}
		}
	}
	return suspicious*100/n > 10
}
