package bot

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzRouter has commands of one, two and three words, aliases, boolean
// and value flags, the shapes the features register.
func fuzzRouter() *Router {
	r := NewRouter(RouterOptions{})
	for _, c := range []*Command{
		{Name: "ping"},
		{Name: "catalog search", Usage: "<query>"},
		{Name: "scorecard waive", BoolFlags: []string{"dry-run"}, Flags: []string{"days", "reason"}},
		{Name: "secret add", Aliases: []string{"secrets add"}},
		{Name: "cost team show", BoolFlags: []string{"json"}},
	} {
		r.Register(c)
	}
	return r
}

// FuzzResolve feeds arbitrary /plat command text through word splitting,
// command lookup, flag parsing and suggestions, the way every slash
// command, mention and shortcut is read. It checks that
//   - without quotes, words are exactly the whitespace-separated fields;
//   - positional arguments never hold an unparsed flag ("--x" or "-h")
//     unless they follow a "--" terminator, and are the remaining words in
//     order;
//   - every flag name is lower case and was written as --name or -h;
//   - suggestions are at most three registered command names.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"ping",
		"catalog search payments",
		`scorecard waive payments-service has-runbook --days 30 --reason "known issue, fixed in Q3"`,
		"scorecard waive svc check --dry-run --REASON=“smart quotes” -h",
		"secrets add orders-service dev STRIPE_KEY",
		"cost team show payments --json -- --not-a-flag -h",
		"catlog serch",
		"  'unterminated quote --days 3",
		"--days=1 ping",
		"",
	} {
		f.Add(s)
	}
	r := fuzzRouter()
	names := map[string]bool{}
	for _, c := range r.Commands() {
		names[c.Name] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := SplitWords(text)
		if utf8.ValidString(text) && !strings.ContainsAny(text, "\"'“‘") {
			if want := strings.FieldsFunc(text, unicode.IsSpace); !slices.Equal(words, want) {
				t.Fatalf("SplitWords(%q) = %q, want the fields %q", text, words, want)
			}
		}

		c, args, flags := r.Resolve(text)
		if c != nil {
			rest := words
			for n := min(len(words), 4); n >= 1; n-- {
				if r.find(strings.Join(words[:n], " ")) == c {
					rest = words[n:]
					break
				}
			}
			term := slices.Index(rest, "--")
			before := args
			if term >= 0 {
				// Everything after "--" is positional, verbatim.
				after := rest[term+1:]
				if len(args) < len(after) || !slices.Equal(args[len(args)-len(after):], after) {
					t.Fatalf("Resolve(%q): args %q do not end with the words after --: %q", text, args, after)
				}
				before = args[:len(args)-len(after)]
			}
			for _, a := range before {
				if (strings.HasPrefix(a, "--") && len(a) > 2) || a == "-h" {
					t.Fatalf("Resolve(%q): unparsed flag %q among the arguments %q", text, a, args)
				}
			}
			if !isSubsequence(args, rest) {
				t.Fatalf("Resolve(%q): args %q are not the remaining words %q in order", text, args, rest)
			}
			for k := range flags {
				if k != strings.ToLower(k) {
					t.Fatalf("Resolve(%q): flag %q is not lower case", text, k)
				}
				if !flagWritten(k, rest) {
					t.Fatalf("Resolve(%q): flag %q was never written in %q", text, k, rest)
				}
			}
		}

		sugg := r.Suggest(text)
		if len(sugg) > 3 {
			t.Fatalf("Suggest(%q) = %q: more than three", text, sugg)
		}
		for _, s := range sugg {
			if !names[s] {
				t.Fatalf("Suggest(%q) names %q, which is not a command", text, s)
			}
		}
	})
}

// isSubsequence reports whether sub appears in s in order.
func isSubsequence(sub, s []string) bool {
	i := 0
	for _, w := range s {
		if i < len(sub) && sub[i] == w {
			i++
		}
	}
	return i == len(sub)
}

// flagWritten reports whether flag k was written as --k, --k=value or
// (for help) -h among words.
func flagWritten(k string, words []string) bool {
	for _, w := range words {
		if w == "--" {
			return false
		}
		if k == "help" && w == "-h" {
			return true
		}
		name, ok := strings.CutPrefix(w, "--")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "=")
		if strings.ToLower(name) == k {
			return true
		}
	}
	return false
}
