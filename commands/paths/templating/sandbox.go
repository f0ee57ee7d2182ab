package templating

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// renderState is the per-render state that filters, globals, loops and the
// output writer consult: the deadline and the size bound. A render runs on
// one goroutine, so it needs no lock.
type renderState struct {
	ctx      context.Context
	maxBytes int
	limitErr error

	// capture makes the output of the template's one ${{ }} its value
	// (captured, as JSON; didCapture false when undefined) instead of text.
	capture    bool
	captured   string
	didCapture bool
}

// check returns an error once the render must stop: its context is done or
// a limit was hit.
func (s *renderState) check() error {
	if s.limitErr != nil {
		return s.limitErr
	}
	if err := s.ctx.Err(); err != nil {
		s.limitErr = fmt.Errorf("%w: rendering took too long (%v)", ErrLimit, err)
		return s.limitErr
	}
	return nil
}

// fail records a limit error so that the render reports it rather than the
// engine's wrapping of it.
func (s *renderState) fail(format string, args ...any) error {
	if s.limitErr == nil {
		s.limitErr = fmt.Errorf("%w: "+format, append([]any{ErrLimit}, args...)...)
	}
	return s.limitErr
}

func (s *renderState) checkSize(n int) error {
	if n > s.maxBytes {
		return s.fail("a value of %d bytes was built, more than the %d allowed", n, s.maxBytes)
	}
	return s.check()
}

func stateOf(e *exec.Evaluator) *renderState {
	if e == nil || e.Environment == nil || e.Environment.Context == nil {
		return nil
	}
	v, ok := e.Environment.Context.Get(stateKey)
	if !ok {
		return nil
	}
	st, _ := v.(*renderState)
	return st
}

// limitedWriter collects the output up to the size bound and stops the
// render when the bound is passed or the deadline is reached.
type limitedWriter struct {
	st *renderState
	b  strings.Builder
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if err := w.st.check(); err != nil {
		return 0, err
	}
	if w.b.Len()+len(p) > w.st.maxBytes {
		return 0, w.st.fail("the output passed %d bytes", w.st.maxBytes)
	}
	return w.b.Write(p)
}

// sandboxLoader serves the one template being rendered and refuses every
// other name, so no template text can come from a file.
type sandboxLoader struct {
	name string
	src  string
}

func (l *sandboxLoader) Read(path string) (io.Reader, error) {
	if path != l.name {
		return nil, fmt.Errorf("templates cannot load other templates (%q)", path)
	}
	return strings.NewReader(l.src), nil
}

func (l *sandboxLoader) Resolve(path string) (string, error) {
	if path != l.name {
		return "", fmt.Errorf("templates cannot load other templates (%q)", path)
	}
	return path, nil
}

func (l *sandboxLoader) Inherit(from string) (loaders.Loader, error) {
	return nil, fmt.Errorf("templates cannot load other templates (%q)", from)
}

// refusedTags are parsed into a clear error: they would read other
// templates (include, import, from, extends) or allow unbounded recursion
// (macro, call).
var refusedTags = map[string]string{
	"include": "templates cannot include other files",
	"import":  "templates cannot import other files",
	"from":    "templates cannot import other files",
	"extends": "templates cannot extend other files",
	"macro":   "macros are not supported",
	"call":    "macros are not supported",
}

func refusedTag(name, why string) parser.ControlStructureParser {
	return func(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
		line := 0
		if t := p.Current(); t != nil {
			line = t.Line
		}
		return nil, fmt.Errorf("line %d: {%% %s %%} is refused: %s (rendering is sandboxed)", line, name, why)
	}
}

// guardedFor checks the deadline each time a loop starts, so that nested
// loops without output still stop in time.
type guardedFor struct {
	Inner exec.ControlStructure
}

func (g *guardedFor) Position() *tokens.Token { return g.Inner.Position() }
func (g *guardedFor) String() string          { return g.Inner.String() }

func (g *guardedFor) Execute(r *exec.Renderer, tag *nodes.ControlStructureBlock) error {
	if st := stateOf(&exec.Evaluator{Environment: r.Environment}); st != nil {
		if err := st.check(); err != nil {
			return err
		}
	}
	return g.Inner.Execute(r, tag)
}

func controlStructures() *exec.ControlStructureSet {
	keep := []string{"autoescape", "block", "filter", "for", "if", "raw", "set", "with"}
	m := map[string]parser.ControlStructureParser{}
	for _, name := range keep {
		p, ok := builtins.ControlStructures.Get(name)
		if !ok {
			continue
		}
		if name == "for" {
			inner := p
			p = func(pp *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
				cs, err := inner(pp, args)
				if err != nil {
					return nil, err
				}
				ecs, ok := cs.(exec.ControlStructure)
				if !ok {
					return nil, errors.New("for: unexpected parse result")
				}
				return &guardedFor{Inner: ecs}, nil
			}
		}
		m[name] = p
	}
	m["raw"] = rawParser
	for name, why := range refusedTags {
		m[name] = refusedTag(name, why)
	}
	return exec.NewControlStructureSet(m)
}

// rawBlock is {% raw %}: its text is written as it is. gonja's own raw
// parser fails on an empty block.
type rawBlock struct {
	Location *tokens.Token
	Text     string
}

func (b *rawBlock) Position() *tokens.Token { return b.Location }
func (b *rawBlock) String() string          { return "raw" }

func (b *rawBlock) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	_, err := io.WriteString(r.Output, b.Text)
	return err
}

func rawParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	b := &rawBlock{Location: p.Current()}
	if !args.End() {
		return nil, args.Error("raw takes no arguments", args.Current())
	}
	wrapper, _, err := p.WrapUntil("endraw")
	if err != nil {
		return nil, err
	}
	for _, n := range wrapper.Nodes {
		d, ok := n.(*nodes.Data)
		if !ok {
			return nil, p.Error("raw can only contain text", n.Position())
		}
		b.Text += d.Data.Val
	}
	return b, nil
}

// lex returns the tokens of src (whitespace skipped), ending with the EOF
// or error token.
func (e *Engine) lex(src string) (out []*tokens.Token) {
	defer func() {
		if p := recover(); p != nil {
			out = []*tokens.Token{{Type: tokens.Error, Val: fmt.Sprintf("the engine failed to read the template: %v", p)}}
		}
	}()
	s := tokens.LexAll(src, e.cfg)
	for s.Current() != nil && !s.End() {
		t := s.Next()
		if t.Type == tokens.Data && t.Val == "" {
			continue
		}
		out = append(out, t)
	}
	if c := s.Current(); c != nil {
		out = append(out, c)
	}
	return out
}

// checkTags bounds, before parsing, what would drive gonja's
// recursive-descent parser and renderer deep: bracket nesting inside a tag,
// the length of a tag and the nesting of blocks. It is a byte scan (no
// lexing), so it costs little on every render.
func (e *Engine) checkTags(src string) error {
	vs, ve := e.cfg.VariableStartString, e.cfg.VariableEndString
	bs, be := e.cfg.BlockStartString, e.cfg.BlockEndString
	cs, ce := e.cfg.CommentStartString, e.cfg.CommentEndString
	delims := [3][2]string{{vs, ve}, {bs, be}, {cs, ce}}
	// at[k] is the next position of delims[k]'s start at or after i (-1:
	// none left), so that each search runs once over the text.
	at := [3]int{-2, -2, -2}
	line, blocks, i := 1, 0, 0
	for i < len(src) {
		next, end, kind := -1, "", 0
		for k, d := range delims {
			if at[k] == -2 || (at[k] >= 0 && at[k] < i) {
				at[k] = -1
				if j := strings.Index(src[i:], d[0]); j >= 0 {
					at[k] = i + j
				}
			}
			if at[k] >= 0 && (next < 0 || at[k]-i < next) {
				next, end, kind = at[k]-i, d[1], k
			}
		}
		if next < 0 {
			return nil
		}
		line += strings.Count(src[i:i+next], "\n")
		i += next
		start := i
		if kind == 2 {
			k := strings.Index(src[i:], end)
			if k < 0 {
				return nil
			}
			line += strings.Count(src[i:i+k], "\n")
			i += k + len(end)
			continue
		}
		if kind == 0 {
			i += len(vs)
		} else {
			i += len(bs)
		}
		depth, quote := 0, byte(0)
		for i < len(src) {
			c := src[i]
			if c == '\n' {
				line++
			}
			if quote != 0 {
				if c == '\\' {
					i++
				} else if c == quote {
					quote = 0
				}
				i++
				continue
			}
			if depth == 0 && strings.HasPrefix(src[i:], end) {
				i += len(end)
				break
			}
			switch c {
			case '"', '\'':
				quote = c
			case '(', '[', '{':
				depth++
				if depth > maxNesting {
					return fmt.Errorf("line %d: brackets nest more than %d deep", line, maxNesting)
				}
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
			i++
		}
		if i-start > maxTagBytes {
			return fmt.Errorf("line %d: a tag is longer than %d bytes", line, maxTagBytes)
		}
		if kind == 1 {
			words := strings.Fields(strings.Trim(src[start+len(bs):min(i, len(src))], "-+ \t\r\n%}"))
			if len(words) == 0 {
				continue
			}
			switch w := words[0]; {
			case strings.HasPrefix(w, "end"):
				blocks--
			case w == "if" || w == "for" || w == "with" || w == "filter" || w == "raw" || w == "block" || w == "autoescape" || w == "macro" || w == "call" ||
				(w == "set" && !strings.Contains(src[start:i], "=")):
				blocks++
				if blocks > maxBlocks {
					return fmt.Errorf("line %d: blocks nest more than %d deep", line, maxBlocks)
				}
			}
		}
	}
	return nil
}

// parse builds the template with the sandbox loader and the engine's
// environment, then rewrites its tree (see rewrite).
func (e *Engine) parse(name string, src string) (tpl *exec.Template, err error) {
	defer func() {
		if p := recover(); p != nil {
			tpl, err = nil, &Error{Template: name, Msg: fmt.Sprintf("the engine failed to parse the template: %v", p)}
		}
	}()
	loader := &sandboxLoader{name: name, src: e.strictEquality(src)}
	tpl, err = exec.NewTemplate(name, e.cfg, loader, e.env)
	if err != nil {
		msg := err.Error()
		// gonja quotes the whole template source in parse errors; keep the
		// reason only.
		if i := strings.Index(msg, "': "); strings.HasPrefix(msg, "failed to parse template '") && i > 0 {
			msg = msg[strings.LastIndex(msg, "': ")+3:]
		}
		if strings.Contains(msg, "Unexpected EOF") || strings.Contains(msg, "not found (or beginning not provided)") {
			if tag, line := e.unclosedBlock(src); line > 0 {
				return nil, &Error{Template: name, Line: line, Msg: fmt.Sprintf("{%% %s %%} is never closed (expected {%% end%s %%})", tag, tag)}
			}
		}
		return nil, &Error{Template: name, Line: lineOf(errors.New(msg)), Msg: leadingLine.ReplaceAllString(msg, "")}
	}
	if err := rewrite(tpl.Root(), e.env.Filters); err != nil {
		return nil, &Error{Template: name, Line: lineOf(err), Msg: leadingLine.ReplaceAllString(err.Error(), "")}
	}
	return tpl, nil
}

// rewrite adapts the parsed tree to Nunjucks semantics, in place:
//
//   - arithmetic and concatenation (+ - * / // % ** ~) become calls of
//     __binop, which follows JavaScript's operators and bounds string sizes;
//   - attribute and item lookups (a.b, a[b]) become calls of __member, which
//     yields undefined on undefined, as Nunjucks' memberLookup does, and
//     knows .length;
//   - every {{ }} output passes through __output, which writes values as
//     Nunjucks does (true, 1, a,b; undefined and null as nothing).
//
// gonja keeps some expressions in unexported fields of its control
// structures (set, with, filter), so the walk reaches fields through
// reflect and unsafe; it only ever replaces a nodes.Node in a field,
// slice element or map value of a Node type.
func rewrite(root *nodes.Template, filters *exec.FilterSet) error {
	w := &walker{seen: map[uintptr]bool{}, filters: filters}
	w.walk(reflect.ValueOf(root))
	return w.err
}

type walker struct {
	seen    map[uintptr]bool
	filters *exec.FilterSet
	err     error
}

var (
	nodeType   = reflect.TypeFor[nodes.Node]()
	exprType   = reflect.TypeFor[nodes.Expression]()
	tokenType  = reflect.TypeFor[*tokens.Token]()
	evalOpsSet = map[tokens.Type]string{
		tokens.Addition:      "+",
		tokens.Subtraction:   "-",
		tokens.Multiply:      "*",
		tokens.Division:      "/",
		tokens.FloorDivision: "//",
		tokens.Modulo:        "%",
		tokens.Power:         "**",
		tokens.Tilde:         "~",
	}
)

// settable returns v made settable when it is addressable.
func settable(v reflect.Value) reflect.Value {
	if v.CanSet() || !v.CanAddr() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

func (w *walker) walk(v reflect.Value) {
	if w.err != nil || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.CanSet() && (v.Type() == nodeType || v.Type() == exprType) {
			w.walkSlot(v)
			return
		}
		w.walk(v.Elem())
	case reflect.Pointer:
		if v.IsNil() || v.Type() == tokenType {
			return
		}
		p := v.Pointer()
		if w.seen[p] {
			return
		}
		w.seen[p] = true
		if v.CanInterface() {
			switch n := v.Interface().(type) {
			case *nodes.Data, *nodes.Name, *nodes.String, *nodes.Integer, *nodes.Float, *nodes.Bool, *nodes.None, *nodes.Comment:
				return // leaves: nothing to rewrite inside
			case *nodes.Wrapper:
				w.walk(reflect.ValueOf(&n.Nodes).Elem())
				return
			case *nodes.Template:
				w.walk(reflect.ValueOf(&n.Nodes).Elem())
				w.walk(reflect.ValueOf(&n.Blocks).Elem())
				return
			}
		}
		// Nunjucks refuses an unknown filter when it compiles the template.
		if fc, ok := v.Interface().(*nodes.FilterCall); ok && !w.filters.Exists(fc.Name) {
			line := 0
			if fc.Token != nil {
				line = fc.Token.Line
			}
			w.err = fmt.Errorf("line %d: filter not found: %s", line, fc.Name)
			return
		}
		// Nunjucks reads a bare name as an object key ({ defaultKind: "x" }),
		// as JavaScript does; Jinja would look the name up.
		if pair, ok := v.Interface().(*nodes.Pair); ok {
			if k, ok := pair.Key.(*nodes.Name); ok {
				pair.Key = strNode(k.Name, k.Name.Val)
			}
		}
		w.walk(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			w.walk(settable(v.Field(i)))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			w.walk(settable(v.Index(i)))
		}
	case reflect.Map:
		iter := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var updates []kv
		for iter.Next() {
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(iter.Value())
			w.walk(val)
			updates = append(updates, kv{iter.Key(), val})
		}
		if v.CanSet() {
			for _, u := range updates {
				v.SetMapIndex(u.k, u.v)
			}
		}
	}
}

// walkSlot rewrites the node held by an interface slot of type Node or
// Expression after rewriting its children.
func (w *walker) walkSlot(slot reflect.Value) {
	n, ok := slot.Interface().(nodes.Node)
	if !ok || n == nil {
		return
	}
	switch t := n.(type) {
	case *nodes.Call:
		if w.seen[reflect.ValueOf(t).Pointer()] {
			return
		}
		w.seen[reflect.ValueOf(t).Pointer()] = true
		// A method call (x.replace(...)) keeps its attribute lookup: gonja
		// resolves methods from it. Its receiver is rewritten.
		switch f := t.Func.(type) {
		case *nodes.GetAttribute:
			w.seen[reflect.ValueOf(f).Pointer()] = true
			w.walk(settable(reflect.ValueOf(f).Elem().FieldByName("Node")))
		case *nodes.GetItem:
			w.seen[reflect.ValueOf(f).Pointer()] = true
			w.walk(settable(reflect.ValueOf(f).Elem().FieldByName("Node")))
			w.walk(settable(reflect.ValueOf(f).Elem().FieldByName("Arg")))
		default:
			w.walk(settable(reflect.ValueOf(t).Elem().FieldByName("Func")))
		}
		w.walk(reflect.ValueOf(&t.Args).Elem())
		w.walk(reflect.ValueOf(&t.Kwargs).Elem())
		// Parent is the receiver of a method call; keep it intact.
		return
	case *nodes.BinaryExpression:
		w.walk(reflect.ValueOf(t))
		op, ok := evalOpsSet[t.Operator.Token.Type]
		if !ok {
			return
		}
		slot.Set(reflect.ValueOf(filterNode(t.Operator.Token, "__binop", t.Left, strNode(t.Operator.Token, op), t.Right)))
		return
	case *nodes.GetAttribute:
		w.walk(reflect.ValueOf(t))
		var key nodes.Expression
		if t.Attribute != "" {
			key = strNode(t.Location, t.Attribute)
		} else {
			key = &nodes.Integer{Location: t.Location, Val: t.Index}
		}
		slot.Set(reflect.ValueOf(filterNode(t.Location, "__member", t.Node, key)))
		return
	case *nodes.GetItem:
		w.walk(reflect.ValueOf(t))
		if t.Arg == nil {
			return
		}
		slot.Set(reflect.ValueOf(filterNode(t.Location, "__member", t.Node, t.Arg)))
		return
	case *nodes.Output:
		if w.seen[reflect.ValueOf(t).Pointer()] {
			return
		}
		w.walk(reflect.ValueOf(t))
		t.Expression = outputFilter(t.Expression)
		if t.Condition != nil && t.Alternative == nil {
			// Nunjucks: `a if c` without else is "" when c is false.
			t.Alternative = strNode(t.Start, "")
		}
		if t.Alternative != nil {
			t.Alternative = outputFilter(t.Alternative)
		}
		return
	}
	w.walk(reflect.ValueOf(n))
}

func outputFilter(x nodes.Expression) nodes.Expression {
	return &nodes.FilteredExpression{
		Expression: x,
		Filters:    []*nodes.FilterCall{{Token: x.Position(), Name: "__output", Kwargs: map[string]nodes.Expression{}}},
	}
}

func strNode(at *tokens.Token, s string) *nodes.String {
	return &nodes.String{Location: at, Val: s}
}

// filterNode is in | fn(args...): the engine's own operations are
// filters, which gonja calls directly (a global function would be called
// through reflection on every use).
func filterNode(at *tokens.Token, fn string, in nodes.Expression, args ...nodes.Expression) *nodes.FilteredExpression {
	tok := &tokens.Token{Type: tokens.Name, Val: fn}
	if at != nil {
		tok.Line, tok.Col, tok.Pos = at.Line, at.Col, at.Pos
	}
	return &nodes.FilteredExpression{
		Expression: in,
		Filters:    []*nodes.FilterCall{{Token: tok, Name: fn, Args: args, Kwargs: map[string]nodes.Expression{}}},
	}
}

// strictEquality rewrites JavaScript's === and !== inside tags (outside
// string literals) to == and !=, which is what gonja parses: Nunjucks
// accepts both spellings and templates use them. The comparison itself is
// the engine's (see jsEqual).
func (e *Engine) strictEquality(src string) string {
	if !strings.Contains(src, "===") && !strings.Contains(src, "!==") {
		return src
	}
	var b strings.Builder
	b.Grow(len(src))
	starts := []string{e.cfg.VariableStartString, e.cfg.BlockStartString}
	ends := []string{e.cfg.VariableEndString, e.cfg.BlockEndString}
	i := 0
	for i < len(src) {
		k, at := -1, len(src)
		for j, st := range starts {
			if x := strings.Index(src[i:], st); x >= 0 && i+x < at {
				k, at = j, i+x
			}
		}
		if k < 0 {
			b.WriteString(src[i:])
			break
		}
		b.WriteString(src[i : at+len(starts[k])])
		i = at + len(starts[k])
		var quote byte
		for i < len(src) {
			c := src[i]
			if quote != 0 {
				b.WriteByte(c)
				if c == '\\' && i+1 < len(src) {
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if c == quote {
					quote = 0
				}
				i++
				continue
			}
			if strings.HasPrefix(src[i:], ends[k]) {
				break
			}
			switch {
			case c == '"' || c == '\'':
				quote = c
			case strings.HasPrefix(src[i:], "==="):
				b.WriteString("==")
				i += 3
				continue
			case strings.HasPrefix(src[i:], "!=="):
				b.WriteString("!=")
				i += 3
				continue
			}
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// unclosedBlock finds the innermost block tag of src that is still open at
// the end, and its line (0 when every block is closed): the parser reports
// an unclosed block at the end of the text, people look for its start.
func (e *Engine) unclosedBlock(src string) (string, int) {
	type open struct {
		tag  string
		line int
	}
	var stack []open
	toks := e.lex(src)
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].Type != tokens.BlockBegin || toks[i+1].Type != tokens.Name {
			continue
		}
		w := toks[i+1].Val
		switch {
		case strings.HasPrefix(w, "end"):
			if n := len(stack); n > 0 && "end"+stack[n-1].tag == w {
				stack = stack[:n-1]
			}
		case w == "if" || w == "for" || w == "with" || w == "filter" || w == "raw" || w == "block" || w == "macro" || w == "call":
			stack = append(stack, open{w, toks[i].Line})
		case w == "set":
			// {% set x %}...{% endset %} is a block; {% set x = v %} is not.
			assign := false
			for j := i + 2; j < len(toks) && toks[j].Type != tokens.BlockEnd; j++ {
				assign = assign || toks[j].Type == tokens.Assign
			}
			if !assign {
				stack = append(stack, open{w, toks[i].Line})
			}
		}
	}
	if len(stack) == 0 {
		return "", 0
	}
	top := stack[len(stack)-1]
	return top.tag, top.line
}
