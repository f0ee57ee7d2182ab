package templating

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Check parses src as the engine would render it and returns the first
// syntax problem (an *Error naming name and the line), or nil. It renders
// nothing, so templates can be checked before anyone fills in values.
func (e *Engine) Check(name, src string) error {
	if len(src) > e.opts.MaxTemplateBytes {
		return &Error{Template: name, Msg: "the template is larger than the engine accepts", limit: true}
	}
	if err := e.checkTags(src); err != nil {
		return &Error{Template: name, Line: lineOf(err), Msg: leadingLine.ReplaceAllString(err.Error(), "")}
	}
	_, err := e.parsed(name, src)
	return err
}

// Refs lists the dotted names src's tags read from the context, as written:
// "parameters.name", "steps.fetch.output.files", "each.value". An item
// lookup with a literal string (steps['fetch-base']) is written dotted. Names
// that a {% set %} or {% for %} of src itself binds are left out, as are
// filter and test names. It does not parse src; use Check for syntax.
func (e *Engine) Refs(src string) []string {
	toks := e.lex(src)
	bound := map[string]bool{}
	var out []string
	seen := map[string]bool{}
	inTag := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.Type {
		case tokens.VariableBegin, tokens.BlockBegin:
			inTag = true
			// {% set x = %}, {% for a, b in %}: the names bound.
			if t.Type == tokens.BlockBegin && i+1 < len(toks) && toks[i+1].Type == tokens.Name {
				switch toks[i+1].Val {
				case "set":
					for j := i + 2; j < len(toks) && toks[j].Type != tokens.Assign && toks[j].Type != tokens.BlockEnd; j++ {
						if toks[j].Type == tokens.Name {
							bound[toks[j].Val] = true
						}
					}
				case "for":
					for j := i + 2; j < len(toks) && toks[j].Type != tokens.In && toks[j].Type != tokens.BlockEnd; j++ {
						if toks[j].Type == tokens.Name {
							bound[toks[j].Val] = true
						}
					}
				}
			}
			continue
		case tokens.VariableEnd, tokens.BlockEnd:
			inTag = false
			continue
		}
		if !inTag || t.Type != tokens.Name {
			continue
		}
		if i > 0 {
			switch toks[i-1].Type {
			case tokens.Dot, tokens.Pipe, tokens.Is, tokens.BlockBegin:
				continue // an attribute, a filter, a test or the tag's keyword
			}
		}
		if keyword(t.Val) || bound[t.Val] {
			continue
		}
		parts := []string{t.Val}
		j := i + 1
		for j+1 < len(toks) {
			if toks[j].Type == tokens.Dot && toks[j+1].Type == tokens.Name {
				parts = append(parts, toks[j+1].Val)
				j += 2
				continue
			}
			if toks[j].Type == tokens.LeftBracket && toks[j+1].Type == tokens.String && j+2 < len(toks) && toks[j+2].Type == tokens.RightBracket {
				parts = append(parts, toks[j+1].Val)
				j += 3
				continue
			}
			break
		}
		if j < len(toks) && toks[j].Type == tokens.LeftParenthesis && len(parts) == 1 {
			continue // a global function: range(), cycler()
		}
		i = j - 1
		ref := strings.Join(parts, ".")
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	return out
}

// keyword reports whether a Name token is part of the language rather than
// a context name.
func keyword(s string) bool {
	switch s {
	case "if", "else", "elif", "endif", "for", "endfor", "in", "not", "and", "or", "is", "set", "endset",
		"true", "false", "none", "null", "True", "False", "None", "loop", "raw", "endraw", "with", "endwith",
		"filter", "endfilter", "recursive", "undefined":
		return true
	}
	return false
}
