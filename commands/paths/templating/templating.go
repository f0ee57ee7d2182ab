// Package templating renders Backstage software templates: the ${{ }}
// expressions of template.yaml step inputs and the skeleton files and file
// names that fetch:template copies. It matches the Nunjucks environment that
// Backstage's scaffolder configures (autoescape off, ${{ }} variables,
// {% %} blocks, undefined renders as empty text) on top of the gonja
// Jinja engine, with Backstage's filters (parseRepoUrl, parseEntityRef,
// pick, projectSlug) and Nunjucks' dump.
//
// Rendering is sandboxed: a template can reach no file, no network and no
// other template (include, import, extends, from, macro and call are refused
// when the template is parsed), it is bounded in time (the caller's context
// and Options.Timeout) and in output and intermediate string size, and values
// are data: a rendered value is never parsed again as template or YAML text.
//
// docs/templating.md describes the language and where it differs from
// Backstage.
package templating

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Values is what templates may refer to by name. Backstage's scaffolder
// offers parameters, steps.<id>.output, user.entity, user.ref, secrets and,
// inside fetch:template skeletons, values (or cookiecutter in cookiecutter
// compatibility mode). Values are converted to JSON data before rendering, as
// Backstage does (JSON.stringify of the context), so only JSON-representable
// data reaches templates.
type Values map[string]any

// Options bound and configure an Engine. Zero fields take the defaults.
type Options struct {
	// MaxTemplateBytes refuses longer templates before parsing. Default 1 MiB.
	MaxTemplateBytes int
	// MaxOutputBytes bounds the rendered text and every string built while
	// rendering (concatenation, filters). Default 4 MiB.
	MaxOutputBytes int
	// Timeout bounds one render call on top of the caller's context.
	// Default 2 s.
	Timeout time.Duration
	// Cookiecutter switches to Backstage's cookiecutterCompat mode of
	// fetch:template: {{ }} variable delimiters, the jsonify filter (an alias
	// of dump) and the True, False and None names.
	Cookiecutter bool
	// RepoHosts maps a repository host to its integration type (github,
	// gitlab, bitbucket, azure, gitea, gerrit), as Backstage's
	// integrations.byHost does for parseRepoUrl and projectSlug. A host that
	// is not listed is refused. Default: github.com is a github host.
	RepoHosts map[string]string
}

const (
	defaultMaxTemplate = 1 << 20
	defaultMaxOutput   = 4 << 20
	defaultTimeout     = 2 * time.Second
	// maxNesting bounds how deeply brackets nest inside one tag, so that a
	// hostile template cannot drive the recursive-descent parser deep.
	maxNesting = 64
	// maxTagBytes bounds the length of one ${{ }} or {% %} tag.
	maxTagBytes = 16384
	// maxBlocks bounds how deeply {% %} blocks nest.
	maxBlocks = 100
	// maxRange bounds the list that range() builds.
	maxRange = 100000
	// stateKey names the per-render state in the gonja context.
	stateKey = "__platbot_render"
)

// Engine renders templates. It is safe for concurrent use.
type Engine struct {
	opts Options
	cfg  *config.Config
	env  *exec.Environment

	// cache holds parsed and rewritten templates by source text: a
	// skeleton's files and names are rendered again for every run and
	// preview. A parsed template is only read while rendering.
	mu         sync.Mutex
	cache      map[string]*exec.Template
	cacheBytes int
}

// maxCacheBytes bounds the source text the parse cache holds; past it the
// cache starts over.
const maxCacheBytes = 16 << 20

// New returns an Engine with opts' limits and mode.
func New(opts Options) *Engine {
	if opts.MaxTemplateBytes <= 0 {
		opts.MaxTemplateBytes = defaultMaxTemplate
	}
	if opts.MaxOutputBytes <= 0 {
		opts.MaxOutputBytes = defaultMaxOutput
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.RepoHosts == nil {
		opts.RepoHosts = map[string]string{"github.com": "github"}
	}
	cfg := config.New()
	cfg.AutoEscape = false
	cfg.StrictUndefined = false
	cfg.KeepTrailingNewline = true // Nunjucks keeps the text as written
	if !opts.Cookiecutter {
		cfg.VariableStartString = "${{"
	}
	e := &Engine{opts: opts, cfg: cfg}
	e.env = e.environment()
	return e
}

// Error is a template that could not be parsed or rendered. Its text names
// the template and, when the engine reports it, the line; it never contains
// the values of secrets.
type Error struct {
	Template string
	Line     int // 0 when unknown
	Msg      string
	limit    bool
}

// Unwrap lets errors.Is(err, ErrLimit) find a bound that stopped a render.
func (e *Error) Unwrap() error {
	if e.limit {
		return ErrLimit
	}
	return nil
}

// leadingLine matches a "line N: " that the engine put before a message.
var leadingLine = regexp.MustCompile(`^(?:[A-Za-z ]+"[a-z]+": )?line \d+: `)

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Template, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Template, e.Msg)
}

// ErrLimit is wrapped by errors from the output, size and time bounds.
var ErrLimit = errors.New("template limit exceeded")

// RenderString renders tmpl (file contents, a file or folder name) to text.
// name identifies the template in errors (for example "skeleton/README.md").
func (e *Engine) RenderString(ctx context.Context, name, tmpl string, values Values) (string, error) {
	data, secrets, err := normalizeValues(values)
	if err != nil {
		return "", &Error{Template: name, Msg: err.Error()}
	}
	out, err := e.render(ctx, name, tmpl, data)
	if err != nil {
		return "", redact(err, secrets)
	}
	return out, nil
}

// RenderValue renders an action input the way Backstage's task worker does:
// maps and lists are walked, and every string in them is rendered. A string
// that is exactly one ${{ expr }} yields the expression's value with its type
// (a list stays a list, a number a number); any other string renders to text.
// A string that renders to nothing is undefined, as in Backstage: its map key
// is dropped, a list keeps a nil in its place, and a top-level undefined
// returns (nil, false). Rendered text is never parsed as YAML or template
// text again, so a value cannot add keys or expressions.
func (e *Engine) RenderValue(ctx context.Context, name string, input any, values Values) (any, bool, error) {
	data, secrets, err := normalizeValues(values)
	if err != nil {
		return nil, false, &Error{Template: name, Msg: err.Error()}
	}
	out, ok, err := e.renderValue(ctx, name, input, data)
	if err != nil {
		return nil, false, redact(err, secrets)
	}
	return out, ok, nil
}

func (e *Engine) renderValue(ctx context.Context, name string, input any, data map[string]any) (any, bool, error) {
	switch in := input.(type) {
	case string:
		return e.renderInputString(ctx, name, in, data)
	case map[string]any:
		out := make(map[string]any, len(in))
		keys := make([]string, 0, len(in))
		for k := range in {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, ok, err := e.renderValue(ctx, name+"."+k, in[k], data)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out[k] = v
			}
		}
		return out, true, nil
	case []any:
		out := make([]any, len(in))
		for i, item := range in {
			v, _, err := e.renderValue(ctx, name+"["+strconv.Itoa(i)+"]", item, data)
			if err != nil {
				return nil, false, err
			}
			out[i] = v
		}
		return out, true, nil
	default:
		return input, true, nil
	}
}

// renderInputString follows NunjucksWorkflowRunner.render in Backstage's
// scaffolder-backend: a sole expression is rendered as ${{ (expr) | dump }}
// and the JSON parsed back; anything else renders to text; an empty result
// is undefined.
func (e *Engine) renderInputString(ctx context.Context, name, s string, data map[string]any) (any, bool, error) {
	if _, ok := e.soleExpression(s); ok {
		out, defined, err := e.renderCapture(ctx, name, s, data)
		if err != nil {
			return nil, false, err
		}
		if !defined {
			return nil, false, nil
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, false, &Error{Template: name, Msg: fmt.Sprintf("read back the value of the expression: %v", err)}
		}
		return plainJSON(v), true, nil
	}
	out, err := e.render(ctx, name, s, data)
	if err != nil {
		return nil, false, err
	}
	if out == "" {
		return nil, false, nil
	}
	return out, true, nil
}

// soleExpression reports whether s is exactly one variable tag with nothing
// around it (Backstage's isSingleTemplateString) and returns its inside.
// Like Backstage's /\${{(.+)}}/ rewrite, the expression must sit on one line.
func (e *Engine) soleExpression(s string) (string, bool) {
	start, end := e.cfg.VariableStartString, e.cfg.VariableEndString
	if !strings.HasPrefix(s, start) || !strings.HasSuffix(s, end) || len(s) < len(start)+len(end) {
		return "", false
	}
	inner := s[len(start) : len(s)-len(end)]
	if strings.ContainsAny(inner, "\n\r") || strings.TrimSpace(inner) == "" {
		return "", false
	}
	// Exactly one variable tag and nothing else (no text, no second tag).
	var begins, ends int
	for _, t := range e.lex(s) {
		switch t.Type {
		case tokens.VariableBegin:
			begins++
		case tokens.VariableEnd:
			ends++
		case tokens.Data, tokens.BlockBegin, tokens.CommentBegin, tokens.Error:
			return "", false
		}
	}
	if begins != 1 || ends != 1 {
		return "", false
	}
	// Whitespace control markers belong to the tag, not the expression.
	inner = strings.TrimPrefix(inner, "-")
	inner = strings.TrimSuffix(inner, "-")
	return inner, true
}

// render parses and executes one template within the limits.
func (e *Engine) render(ctx context.Context, name, src string, data map[string]any) (string, error) {
	out, _, err := e.renderWith(ctx, name, src, data, false)
	return out, err
}

// renderCapture renders a sole expression and returns its value as JSON
// (Backstage renders it as ${{ (expr) | dump }}); defined is false when the
// value is undefined.
func (e *Engine) renderCapture(ctx context.Context, name, src string, data map[string]any) (string, bool, error) {
	return e.renderWith(ctx, name, src, data, true)
}

func (e *Engine) renderWith(ctx context.Context, name, src string, data map[string]any, capture bool) (string, bool, error) {
	if len(src) > e.opts.MaxTemplateBytes {
		return "", false, &Error{Template: name, Msg: fmt.Sprintf("%v: the template has %d bytes, more than the %d allowed", ErrLimit, len(src), e.opts.MaxTemplateBytes), limit: true}
	}
	if !strings.Contains(src, e.cfg.VariableStartString) && !strings.Contains(src, e.cfg.BlockStartString) && !strings.Contains(src, e.cfg.CommentStartString) {
		// No tag: the text renders as itself (most skeleton files and names).
		if len(src) > e.opts.MaxOutputBytes {
			return "", false, &Error{Template: name, Msg: fmt.Sprintf("%v: the output passed %d bytes", ErrLimit, e.opts.MaxOutputBytes), limit: true}
		}
		if err := ctx.Err(); err != nil {
			return "", false, &Error{Template: name, Msg: fmt.Sprintf("%v: rendering was cancelled (%v)", ErrLimit, err), limit: true}
		}
		return src, src != "", nil
	}
	tpl, err := e.parsed(name, src)
	if err != nil {
		return "", false, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	st := &renderState{ctx: ctx, maxBytes: e.opts.MaxOutputBytes, capture: capture}
	gctx := exec.NewContext(make(map[string]any, len(data)+1))
	for k, v := range data {
		gctx.Set(k, v)
	}
	gctx.Set(stateKey, st)

	// Rendering runs here; the deadline is checked at every write, loop
	// iteration and filter (renderState.check), which is where time goes.
	out, err := e.execute(tpl, gctx, st)
	if err != nil {
		if st.limitErr != nil {
			return "", false, &Error{Template: name, Msg: st.limitErr.Error(), limit: true}
		}
		return "", false, e.wrapErr(name, err)
	}
	if capture {
		return st.captured, st.didCapture, nil
	}
	return out, true, nil
}

// execute runs a parsed template into a bounded writer; a panic in the
// engine is an error.
func (e *Engine) execute(tpl *exec.Template, gctx *exec.Context, st *renderState) (out string, err error) {
	w := &limitedWriter{st: st}
	defer func() {
		if p := recover(); p != nil {
			out, err = "", fmt.Errorf("the engine failed: %v", p)
		}
	}()
	if err := tpl.Execute(w, gctx); err != nil {
		return "", err
	}
	return w.b.String(), nil
}

// filterNoise matches gonja's quoting of a filter call node in errors.
var filterNoise = regexp.MustCompile(`unable to evaluate filter &\{[^}]*\}: `)

// parsed returns the template for src from the cache or parses it.
func (e *Engine) parsed(name, src string) (*exec.Template, error) {
	e.mu.Lock()
	tpl, ok := e.cache[src]
	e.mu.Unlock()
	if ok {
		return tpl, nil
	}
	if err := e.checkTags(src); err != nil {
		return nil, &Error{Template: name, Line: lineOf(err), Msg: leadingLine.ReplaceAllString(err.Error(), ""), limit: !strings.HasPrefix(err.Error(), "the engine failed")}
	}
	tpl, err := e.parse(name, src)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.cache == nil || e.cacheBytes+len(src) > maxCacheBytes {
		e.cache, e.cacheBytes = map[string]*exec.Template{}, 0
	}
	e.cache[src] = tpl
	e.cacheBytes += len(src)
	e.mu.Unlock()
	return tpl, nil
}

var lineRE = regexp.MustCompile(`(?i)\bline[ =:]*(\d+)`)

func lineOf(err error) int {
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// wrapErr turns a gonja error into an Error naming the template and line.
func (e *Engine) wrapErr(name string, err error) error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	// gonja wraps the cause in layers that quote the parsed tree; the cause
	// alone is the useful part, the outer text holds the line.
	cause := err
	for {
		next := errors.Unwrap(cause)
		if next == nil {
			break
		}
		cause = next
	}
	msg := cause.Error()
	limit := errors.Is(err, ErrLimit) || strings.Contains(msg, ErrLimit.Error())
	msg = filterNoise.ReplaceAllString(msg, "")
	if i := strings.LastIndex(msg, "invalid call to filter '"); i >= 0 {
		rest := msg[i+len("invalid call to filter '"):]
		if j := strings.Index(rest, "': "); j >= 0 {
			msg = rest[j+3:]
		}
	}
	for _, noise := range []string{"unable to evaluate parameters: ", "unable to execute template: "} {
		msg = strings.ReplaceAll(msg, noise, "")
	}
	line := lineOf(err)
	if l := lineOf(cause); l > 0 {
		line = l
	}
	return &Error{Template: name, Line: line, Msg: msg, limit: limit}
}

// redact replaces the values of secrets in an error's text.
func redact(err error, secrets []string) error {
	if len(secrets) == 0 {
		return err
	}
	var te *Error
	if !errors.As(err, &te) {
		te = &Error{Msg: err.Error()}
	}
	msg := te.Msg
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return &Error{Template: te.Template, Line: te.Line, Msg: msg, limit: te.limit}
}

// normalizeValues converts values to JSON data (maps, lists, strings,
// numbers, booleans, nil) as Backstage does with JSON.stringify, and collects
// the strings under "secrets" for redaction.
func normalizeValues(values Values) (map[string]any, []string, error) {
	if data, ok := plainCopy(map[string]any(values)).(map[string]any); ok {
		return data, secretStrings(data), nil
	}
	raw, err := json.Marshal(map[string]any(values))
	if err != nil {
		return nil, nil, fmt.Errorf("template values are not JSON data: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("template values are not JSON data: %w", err)
	}
	data, _ := plainJSON(v).(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	return data, secretStrings(data), nil
}

// errNotPlain marks a value that plainCopy cannot copy without JSON.
type errNotPlain struct{}

// plainCopy copies JSON-like Go data (the maps, lists and scalars that
// YAML and JSON decoding produce) the way the JSON round trip would, and
// returns errNotPlain{} for anything else (structs, other map types).
func plainCopy(v any) any {
	switch t := v.(type) {
	case nil, string, bool:
		return t
	case int:
		if t > 1<<53 || t < -(1<<53) {
			return numberValue(float64(t))
		}
		return t
	case int64:
		return plainCopy(int(t))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return errNotPlain{}
		}
		return numberValue(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, c := range t {
			cc := plainCopy(c)
			if _, bad := cc.(errNotPlain); bad {
				return cc
			}
			out[k] = cc
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			cc := plainCopy(c)
			if _, bad := cc.(errNotPlain); bad {
				return cc
			}
			out[i] = cc
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, c := range t {
			out[k] = c
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = c
		}
		return out
	}
	return errNotPlain{}
}

// secretStrings collects the strings under "secrets", longest first so that
// a secret containing another is replaced whole.
func secretStrings(data map[string]any) []string {
	var secrets []string
	var collect func(any)
	collect = func(x any) {
		switch t := x.(type) {
		case string:
			if t != "" {
				secrets = append(secrets, t)
			}
		case map[string]any:
			for _, c := range t {
				collect(c)
			}
		case []any:
			for _, c := range t {
				collect(c)
			}
		}
	}
	collect(data["secrets"])
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	return secrets
}

// plainJSON turns json.Number into int (whole numbers that a float64 holds
// exactly) or float64, recursively.
func plainJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil && i <= 1<<53 && i >= -(1<<53) {
			return int(i)
		}
		f, err := t.Float64()
		if err != nil {
			return string(t)
		}
		return numberValue(f)
	case map[string]any:
		for k, c := range t {
			t[k] = plainJSON(c)
		}
		return t
	case []any:
		for i, c := range t {
			t[i] = plainJSON(c)
		}
		return t
	default:
		return v
	}
}
