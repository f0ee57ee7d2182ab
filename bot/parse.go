package bot

import (
	"strings"
	"unicode"
)

// SplitWords splits a command line into words. Double and single quotes
// group words (Slack's “smart” quotes count too), so
// `waive svc check --reason "known issue"` keeps the reason whole.
func SplitWords(s string) []string {
	var (
		words []string
		cur   strings.Builder
		quote rune
		inTok bool
	)
	closing := func(q rune) rune {
		switch q {
		case '“':
			return '”'
		case '‘':
			return '’'
		}
		return q
	}
	for _, r := range s {
		switch {
		case quote != 0:
			if r == closing(quote) || (quote == '“' && r == '"') {
				quote = 0
				continue
			}
			cur.WriteRune(r)
		case r == '"' || r == '\'' || r == '“' || r == '‘':
			quote = r
			inTok = true
		case unicode.IsSpace(r):
			if inTok {
				words = append(words, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if inTok {
		words = append(words, cur.String())
	}
	return words
}

// parseFlags separates "--name value", "--name=value" and boolean flags from
// positional arguments. A flag takes the next word as its value unless it is
// declared boolean, is last, or the next word is itself a flag.
func parseFlags(words []string, boolFlags []string) (args []string, flags Flags) {
	flags = Flags{}
	isBool := func(n string) bool {
		for _, b := range boolFlags {
			if b == n {
				return true
			}
		}
		return n == "help"
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			args = append(args, words[i+1:]...)
			break
		}
		if !strings.HasPrefix(w, "--") || len(w) == 2 {
			if w == "-h" {
				flags["help"] = "true"
				continue
			}
			args = append(args, w)
			continue
		}
		name := strings.TrimPrefix(w, "--")
		if k, v, ok := strings.Cut(name, "="); ok {
			flags[strings.ToLower(k)] = v
			continue
		}
		name = strings.ToLower(name)
		if isBool(name) || i+1 >= len(words) || strings.HasPrefix(words[i+1], "--") {
			flags[name] = "true"
			continue
		}
		flags[name] = words[i+1]
		i++
	}
	return args, flags
}
