package templating

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzRender renders arbitrary templates. Whatever the input, the engine
// returns (no panic, no crash of the process), keeps its output bound and
// never lets a secret reach an error. The seed corpus is in
// testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	for _, seed := range []string{
		"${{ parameters.name | dump }}",
		"{%- if parameters.name %}\nname: ${{ parameters.name }}\n{%- endif %}",
		"{% for t in parameters.tags %}${{ loop.index }}${{ t }}{% endfor %}",
		"${{ (parameters.repoUrl | parseRepoUrl).owner + '/' + parameters.name }}",
	} {
		f.Add(seed)
	}
	const maxOut = 1 << 14
	e := New(Options{MaxOutputBytes: maxOut, MaxTemplateBytes: 1 << 14, Timeout: 500 * time.Millisecond})
	vals := Values{
		"parameters": map[string]any{"name": "prx", "tags": []any{"a", "b"}, "repoUrl": "github.com?owner=o&repo=r", "n": 3},
		"secrets":    map[string]any{"token": "fuzz-secret-value"},
	}
	f.Fuzz(func(t *testing.T, tmpl string) {
		out, err := e.RenderString(context.Background(), "fuzz", tmpl, vals)
		if err == nil && len(out) > maxOut {
			t.Fatalf("output of %d bytes passed the bound", len(out))
		}
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if strings.Contains(err.Error(), "the engine failed") {
				t.Fatalf("engine panic: %v", err)
			}
			if strings.Contains(err.Error(), "fuzz-secret-value") {
				t.Fatalf("secret in error: %v", err)
			}
		}
		if _, _, err := e.RenderValue(context.Background(), "fuzz", map[string]any{"a": tmpl}, vals); err != nil && strings.Contains(err.Error(), "the engine failed") {
			t.Fatalf("engine panic: %v", err)
		}
	})
}
