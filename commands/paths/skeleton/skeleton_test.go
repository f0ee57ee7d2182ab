package skeleton

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestRenderYAMLIsStructural(t *testing.T) {
	files := map[string][]byte{
		"skel/claim.yaml": []byte(`# a comment survives
apiVersion: v1
kind: Thing
metadata:
  name: ${{ values.name }}
  labels:
    team: ${{ values.team }}
spec:
  storageGB: ${{ values.storage }}
  ha: ${{ values.ha }}
  note: size ${{ values.size }} for ${{ values.name }}
  optional: ${{ values.missing if values.missing }}
  list:
    - ${{ values.envs }}
    - ${{ values.missing }}
`),
	}
	evil := "x\"\nmetadata: {name: pwned}\n  injected: true\n# "
	out, err := Render(files, "./skel", "out", map[string]any{
		"name": evil, "team": "a: b", "storage": int64(20), "ha": true, "size": "it's 'small'",
		"envs": []any{"dev", "prod"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out["out/claim.yaml"]
	if !strings.Contains(got, "# a comment survives") {
		t.Errorf("comment lost:\n%s", got)
	}
	var doc struct {
		Metadata struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec map[string]any `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("rendered YAML does not parse: %v\n%s", err, got)
	}
	if doc.Metadata.Name != evil {
		t.Errorf("name = %q, want the value verbatim", doc.Metadata.Name)
	}
	if doc.Metadata.Labels["team"] != "a: b" {
		t.Errorf("team = %q", doc.Metadata.Labels["team"])
	}
	if doc.Spec["storageGB"] != 20 || doc.Spec["ha"] != true {
		t.Errorf("types lost: %#v", doc.Spec)
	}
	if _, ok := doc.Spec["injected"]; ok {
		t.Error("YAML injected")
	}
	if _, ok := doc.Spec["optional"]; ok {
		t.Error("undefined optional value rendered")
	}
	if l, _ := doc.Spec["list"].([]any); len(l) != 1 {
		t.Errorf("list = %#v (undefined items are dropped)", doc.Spec["list"])
	}
	if doc.Spec["note"] != "size it's 'small' for "+evil {
		t.Errorf("note = %q", doc.Spec["note"])
	}
}

func TestRenderNamesAndConfinement(t *testing.T) {
	files := map[string][]byte{
		"skel/${{ values.name }}/README.md":      []byte("# ${{ values.name }}\n"),
		"skel/${{ values.optional }}/extra.txt":  []byte("dropped"),
		"skel/static.txt":                        []byte("static ${{ values.name }}"),
		"skel/raw/workflow.yml":                  []byte("run: ${{ github.sha }}\n"),
		"other/not-in-skeleton.txt":              []byte("ignored"),
		"skel/nested/${{ values.env }}/file.txt": []byte("x"),
	}
	out, err := Render(files, "skel", "", map[string]any{"name": "svc", "env": "dev"}, []string{"raw/*"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"svc/README.md":       "# svc\n",
		"static.txt":          "static svc",
		"raw/workflow.yml":    "run: ${{ github.sha }}\n",
		"nested/dev/file.txt": "x",
	}
	if len(out) != len(want) {
		t.Fatalf("files %v", out)
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %q, want %q", k, out[k], v)
		}
	}

	// Traversal through values or the skeleton itself is refused.
	for _, c := range []struct {
		files  map[string][]byte
		target string
		values map[string]any
	}{
		{map[string][]byte{"skel/${{ values.name }}/x": []byte("x")}, "", map[string]any{"name": ".."}},
		{map[string][]byte{"skel/${{ values.name }}": []byte("x")}, "", map[string]any{"name": "../../etc/passwd"}},
		{map[string][]byte{"skel/x": []byte("x")}, "../outside", nil},
		{map[string][]byte{"skel/x": []byte("x")}, "/abs", nil},
		{map[string][]byte{"skel/${{ values.name }}/config": []byte("x")}, "", map[string]any{"name": ".git"}},
	} {
		if out, err := Render(c.files, "skel", c.target, c.values, nil); err == nil {
			t.Errorf("rendered %v to %v", c.files, out)
		}
	}
}
