package templating

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Every bound stops a render with an error that wraps ErrLimit, before the
// engine builds the oversized value or runs past its deadline.
func TestLimits(t *testing.T) {
	small := New(Options{MaxOutputBytes: 4096, MaxTemplateBytes: 8192})
	doubling := `{% set s = "0123456789abcdef" %}` + strings.Repeat(`{% set s = s ~ s %}`, 30) + `${{ s | length }}`
	cases := []struct {
		name string
		e    *Engine
		tmpl string
	}{
		{"output size", small, `{% for i in range(1000) %}0123456789{% endfor %}`},
		{"concatenation doubling", small, doubling},
		{"plus doubling", small, strings.Replace(doubling, "s ~ s", "s + s", -1)},
		{"replace amplification", small, `${{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" | replace("a", "` + strings.Repeat("b", 1000) + `") }}`},
		{"center width", small, `${{ "x" | center(1000000000) }}`},
		{"indent width", small, `${{ "x\ny" | indent(1000000000) }}`},
		{"range length", small, `${{ range(1000000000) | length }}`},
		{"template size", small, strings.Repeat("x", 8193)},
		{"plain text output size", small, strings.Repeat("x", 5000)},
		{"bracket nesting", small, "${{ " + strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100) + " }}"},
		{"bracket nesting in a block", small, "{% if " + strings.Repeat("[", 100) + "1" + strings.Repeat("]", 100) + " %}{% endif %}"},
		{"block nesting", New(Options{}), strings.Repeat("{% if true %}", 200) + strings.Repeat("{% endif %}", 200)},
		{"tag length", New(Options{}), "${{ " + strings.Repeat("not ", 5000) + "1 }}"},
		{"time", New(Options{Timeout: 50 * time.Millisecond}), `{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.e.RenderString(context.Background(), "t", c.tmpl, nil)
			if err == nil {
				t.Fatalf("rendered %d bytes", len(out))
			}
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("error %v does not wrap ErrLimit", err)
			}
		})
	}
}

func TestCancelledContextStopsRender(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).RenderString(ctx, "t", "${{ 1 }}", nil)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("cancelled context: %v", err)
	}
}

// Brackets inside string literals and text outside tags do not count
// towards the nesting bound.
func TestNestingBoundCountsTagBracketsOnly(t *testing.T) {
	e := New(Options{})
	deepText := strings.Repeat("{[(", 100)
	out, err := e.RenderString(context.Background(), "t", deepText+`${{ "`+deepText+`" | length }}{% if "((((" %}ok{% endif %}`, nil)
	if err != nil || out != deepText+"300ok" {
		t.Fatalf("%q %v", out, err)
	}
	out, err = e.RenderString(context.Background(), "t", strings.Repeat("{% if true %}", 50)+"x"+strings.Repeat("{% endif %}", 50), nil)
	if err != nil || out != "x" {
		t.Fatalf("50 nested blocks: %q %v", out, err)
	}
}

// The output bound is on the bytes written, so text just under it renders.
func TestOutputJustUnderLimit(t *testing.T) {
	e := New(Options{MaxOutputBytes: 100})
	out, err := e.RenderString(context.Background(), "t", `{% for i in range(10) %}0123456789{% endfor %}`, nil)
	if err != nil || len(out) != 100 {
		t.Fatalf("%d bytes, %v", len(out), err)
	}
	if _, err := e.RenderString(context.Background(), "t", `{% for i in range(10) %}0123456789{% endfor %}!`, nil); !errors.Is(err, ErrLimit) {
		t.Fatalf("101 bytes: %v", err)
	}
}
