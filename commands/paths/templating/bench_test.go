package templating

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// skeleton generates a fetch:template skeleton of n files in the shape of
// Backstage's samples: YAML with dump-quoted values and {%- if %} keys, a
// README with a loop, and file names with expressions.
func skeleton(n int) map[string]string {
	files := make(map[string]string, n)
	for i := 0; i < n; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name | dump }}\n")
		b.WriteString("  {%- if values.description %}\n  description: ${{ values.description | dump }}\n  {%- endif %}\n")
		b.WriteString("  annotations:\n    github.com/project-slug: ${{ values.destination.owner + \"/\" + values.destination.repo }}\n")
		b.WriteString("  tags:\n  {%- for t in values.tags %}\n    - ${{ t | lower | dump }}\n  {%- endfor %}\n")
		b.WriteString("spec:\n  owner: ${{ values.owner | parseEntityRef | pick(\"name\") }}\n")
		b.WriteString("  {%- if values.replicas > 1 %}\n  replicas: ${{ values.replicas }}\n  {%- else %}\n  replicas: 1\n  {%- endif %}\n")
		for j := 0; j < 20; j++ {
			fmt.Fprintf(&b, "# line %d of file %d for ${{ values.name }} in ${{ values.destination.repo }}\n", j, i)
		}
		files[fmt.Sprintf("${{ values.name }}/file-%03d.yaml", i)] = b.String()
	}
	return files
}

// BenchmarkRenderSkeleton renders every name and file of a generated
// 200-file skeleton; one iteration is one whole skeleton. "cold" uses a new
// Engine each time (every template parsed), "warm" one Engine (parsed
// templates reused, as for the next run of the same template).
func BenchmarkRenderSkeleton(b *testing.B) {
	files := skeleton(200)
	vals := Values{"values": map[string]any{
		"name":        "payments",
		"description": "Payments service",
		"destination": map[string]any{"owner": "acme", "repo": "payments"},
		"tags":        []any{"Go", "gRPC", "Payments"},
		"owner":       "group:default/team-a",
		"replicas":    3,
	}}
	ctx := context.Background()
	renderAll := func(b *testing.B, e *Engine) {
		for name, body := range files {
			if _, err := e.RenderString(ctx, name, name, vals); err != nil {
				b.Fatal(err)
			}
			if _, err := e.RenderString(ctx, name, body, vals); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			renderAll(b, New(Options{}))
		}
	})
	b.Run("warm", func(b *testing.B) {
		e := New(Options{})
		renderAll(b, e)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			renderAll(b, e)
		}
	})
}

// The benchmark's skeleton renders to what its template says: the empty
// description and the else branch's keys follow {%- if %}, the tags the loop.
func TestSkeletonRenders(t *testing.T) {
	e := New(Options{})
	for name, body := range skeleton(1) {
		got, err := e.RenderString(context.Background(), name, body, Values{"values": map[string]any{
			"name": "p", "destination": map[string]any{"owner": "o", "repo": "r"}, "tags": []any{"A", "B"}, "owner": "group:x", "replicas": 1,
		}})
		if err != nil {
			t.Fatal(err)
		}
		want := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: \"p\"\n" +
			"  annotations:\n    github.com/project-slug: o/r\n  tags:\n    - \"a\"\n    - \"b\"\n" +
			"spec:\n  owner: x\n  replicas: 1\n"
		for j := 0; j < 20; j++ {
			want += fmt.Sprintf("# line %d of file 0 for p in r\n", j)
		}
		if got != want {
			t.Fatalf("got:\n%s\nwant:\n%s", got, want)
		}
	}
}
