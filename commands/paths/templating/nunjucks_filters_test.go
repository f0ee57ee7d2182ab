package templating

import (
	"context"
	"testing"
)

// nunjucksAnswers are what nunjucks 3.2.4 (the version Backstage bundles),
// configured as Backstage's SecureTemplater (docs/bench/nunjucks/backstage.js),
// renders for each template; "" with fails set means nunjucks refuses it
// (an unknown filter). They were written down once from nunjucks itself.
var nunjucksAnswers = []struct {
	src, want string
	fails     bool
}{
	{"${{ \"my-service\" | title }}", "My-service", false},
	{"${{ \"hello WORLD foo\" | title }}", "Hello World Foo", false},
	{"${{ \"my-service\" | capitalize }}", "My-service", false},
	{"${{ \"a b&c/d?e=f\" | urlencode }}", "a%20b%26c%2Fd%3Fe%3Df", false},
	{"${{ \"my-service x_y\" | wordcount }}", "3", false},
	{"${{ [\"c\",\"a\",\"b\"] | reverse | join(\",\") }}", "b,a,c", false},
	{"${{ \"abc\" | reverse }}", "cba", false},
	{"${{ \"a\\nb\\r\\nc\" | nl2br }}", "a<br />\nb<br />\nc", false},
	{"${{ \"  pad  \" | trim }}", "pad", false},
	{"${{ \"Hello\" | lower }}${{ \"Hello\" | upper }}", "helloHELLO", false},
	{"${{ \"a,b,c\" | replace(\",\", \";\") }}", "a;b;c", false},
	{"${{ \"aaa\" | replace(\"a\", \"b\", 2) }}", "bba", false},
	{"${{ \"line1\\nline2\" | indent }}", "line1\n    line2", false},
	{"${{ \"line1\\nline2\" | indent(2, true) }}", "  line1\n  line2", false},
	{"${{ \"3.7\" | int }}${{ \"x\" | int }}${{ \"x\" | int(5) }}", "35", false},
	{"${{ \"3.5\" | float }}", "3.5", false},
	{"${{ 3.456 | round }}${{ 3.456 | round(2) }}${{ 3.5 | round(0, \"floor\") }}", "33.463", false},
	{"${{ -3 | abs }}", "3", false},
	{"${{ [3,1,2] | sort | join }}", "123", false},
	{"${{ [\"b\",\"A\",\"c\"] | sort | join }}", "Abc", false},
	{"${{ [1,2,3] | sum }}", "6", false},
	{"${{ [1,2,3,4,5] | batch(2) | dump }}", "[[1,2],[3,4],[5]]", false},
	{"${{ [1,2,3,4,5] | slice(2) | dump }}", "[[1,2,3],[4,5]]", false},
	{"${{ \"hello\" | center(11) }}|", "   hello   |", false},
	{"${{ \"<b>x</b> y\" | striptags }}", "x y", false},
	{"${{ \"<a&b>\" | escape }}", "&lt;a&amp;b&gt;", false},
	{"${{ \"abcdefghij\" | truncate(5) }}", "abcde...", false},
	{"${{ \"hello world foo\" | truncate(9) }}", "hello...", false},
	{"${{ [1,2] | length }}${{ \"h\u00e9llo\" | length }}", "25", false},
	{"${{ {\"b\":1,\"a\":2} | dictsort | dump }}", "[[\"a\",2],[\"b\",1]]", false},
	{"${{ \"abc\" | list | dump }}", "[\"a\",\"b\",\"c\"]", false},
	{"${{ [1,2,3] | first }}${{ [1,2,3] | last }}", "13", false},
	{"${{ \"x\" | string }}${{ 5 | string }}", "x5", false},
	{"${{ undefined | default(\"d\") }}${{ \"\" | default(\"d\") }}${{ \"\" | default(\"d\", true) }}", "dd", false},
	{"${{ [{\"a\":1},{\"a\":2}] | selectattr(\"a\") | length }}", "2", false},
	{"${{ [1,2,3,4] | select(\"odd\") | join }}${{ [1,2,3,4] | reject(\"odd\") | join }}", "1324", false},
	{"${{ [{\"g\":1},{\"g\":1},{\"g\":2}] | groupby(\"g\") | dump }}", "{\"1\":[{\"g\":1},{\"g\":1}],\"2\":[{\"g\":2}]}", false},
	{"${{ \"a b\" | urlencode }}", "a%20b", false},
	{"${{ \"go to http://example.com now\" | urlize }}", "go to <a href=\"http://example.com\">http://example.com</a> now", false},
	{"${{ \"hello world\" | wordwrap(5) }}", "", true},
	{"${{ \"%s-%d\" | format(\"a\", 3) }}", "", true},
	{"${{ [\"a\",\"b\"] | join(\"-\") | upper }}", "A-B", false},
	{"${{ \"x\" | safe }}", "x", false},
	{"${{ 10 | int + 1 }}", "11", false},
	{"${{ [1,[2,3]] | dump }}", "[1,[2,3]]", false},
	{"${{ \"a-b-c\" | split(\"-\") | join(\"+\") }}", "", true},
}

// The built-in filters Backstage templates use answer as nunjucks does.
func TestBuiltinFiltersAnswerAsNunjucks(t *testing.T) {
	e := New(Options{})
	for _, c := range nunjucksAnswers {
		got, err := e.RenderString(context.Background(), "t", c.src, Values{"values": map[string]any{}})
		switch {
		case c.fails && err == nil:
			t.Errorf("%s = %q; nunjucks refuses it", c.src, got)
		case !c.fails && (err != nil || got != c.want):
			t.Errorf("%s = %q, %v; nunjucks renders %q", c.src, got, err, c.want)
		}
	}
}
