package templating

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCheckNamesTheLine(t *testing.T) {
	e := New(Options{})
	if err := e.Check("ok", "a ${{ parameters.x | dump }}\n{%- if parameters.y %}b{% endif %}"); err != nil {
		t.Fatalf("Check(valid) = %v", err)
	}
	err := e.Check("skeleton/README.md", "line one\n{% if parameters.y %}\nno end\n")
	var te *Error
	if !errors.As(err, &te) || te.Template != "skeleton/README.md" {
		t.Fatalf("Check(unclosed if) = %v, want an *Error naming the file", err)
	}
}

func TestRefs(t *testing.T) {
	e := New(Options{})
	src := `${{ parameters.name | lower }} ${{ steps['fetch-base'].output.files }} {% set x = parameters.y %}${{ x.z }}
{% for item in parameters.list %}${{ item.a }}${{ loop.index }}{% endfor %}${{ each.value + user.entity.metadata.name }}
${{ range(3) }} ${{ "parameters.quoted" }} {% if secrets.token is defined %}{% endif %}`
	got := e.Refs(src)
	want := []string{"parameters.name", "steps.fetch-base.output.files", "parameters.y", "parameters.list", "each.value", "user.entity.metadata.name", "secrets.token"}
	if !slices.Equal(got, want) {
		t.Errorf("Refs = %q\nwant   %q", got, want)
	}
}

func TestStrictEqualityIsNunjucks(t *testing.T) {
	e := New(Options{})
	v := Values{"p": map[string]any{"env": "staging", "n": 3}}
	for src, want := range map[string]string{
		`${{ p.env === "staging" or p.env === "development" }}`: "true",
		`${{ p.env !== "prod" and p.env !== "production" }}`:    "true",
		`{% if p.n === 3 %}three{% endif %} a === b`:            "three a === b",
		`${{ "a === b" }}`: "a === b",
	} {
		got, err := e.RenderString(context.Background(), "x", src, v)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
}

func TestUnclosedBlockNamesItsLine(t *testing.T) {
	e := New(Options{})
	err := e.Check("README.md", "# t\n{% if a %}\nx\n{% for i in l %}\n- ${{ i }}\n{% endif %}\n")
	var te *Error
	if !errors.As(err, &te) || te.Line != 4 || !strings.Contains(te.Msg, "{% for %} is never closed") {
		t.Fatalf("Check = %v, want the for on line 4 named", err)
	}
}
