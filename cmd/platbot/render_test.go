package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// platbot template render renders a golden path found by name, as the bot
// finds it, into a folder: the files its steps write, and the plan of the
// rest; nothing is published and no database is touched.
func TestTemplateRenderByName(t *testing.T) {
	e := testEnv(t, nil)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runBot(t, e, "", "template", "render", "new-db",
		"--set", "name=orders-db", "--set", "owner=payments", "--set", "environments=dev", "--set", "environments=prod",
		"--set", "size=medium", "--set", "storageGB=50", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, want := range []string{"Rendered new-db: 7 file(s)", "databases/orders-db/prod/postgres-instance.yaml", "open a pull request", "write them to secret/payments/orders-db/prod/db"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "databases/orders-db/prod/external-secret.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Metadata struct {
			Name, Namespace string
		}
	}
	if err := yaml.Unmarshal(b, &doc); err != nil || doc.Metadata.Name != "orders-db-db-credentials" || doc.Metadata.Namespace != "payments-prod" {
		t.Fatalf("external-secret.yaml: %+v, %v\n%s", doc, err, b)
	}
	if _, err := os.Stat(e["PLATBOT_DB"]); !os.IsNotExist(err) {
		t.Errorf("render touched the database (%v)", err)
	}
}

// A template file with a broken skeleton is named with its file and line,
// and the exit status is 1; a usage mistake is 2.
func TestTemplateRenderErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("template.yaml", `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: broken}
spec:
  owner: group:default/platform
  parameters:
    - properties: {name: {type: string}}
  steps:
    - id: fetch
      action: fetch:template
      input: {url: ./skeleton, values: {name: '${{ parameters.name }}'}}
    - id: cook
      action: fetch:cookiecutter
      input: {url: ./skeleton}
`)
	write("skeleton/README.md", "# ${{ values.name }}\n\n{% if values.name %}\nno end\n")
	e := testEnv(t, nil)
	code, _, stderr := runBot(t, e, "", "template", "render", filepath.Join(dir, "template.yaml"), "--out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "step cook (template.yaml:13) uses action fetch:cookiecutter, which platbot does not support") {
		t.Fatalf("unsupported action: exit %d\n%s", code, stderr)
	}
	write("template.yaml", strings.Replace(mustRead(t, filepath.Join(dir, "template.yaml")), "    - id: cook\n      action: fetch:cookiecutter\n      input: {url: ./skeleton}\n", "", 1))
	code, _, stderr = runBot(t, e, "", "template", "render", filepath.Join(dir, "template.yaml"), "--set", "name=x", "--out", t.TempDir())
	// Skeleton files are parsed before anything renders: the unclosed block
	// is named by the line that opens it.
	if code != 1 || !strings.Contains(stderr, "skeleton/README.md:3: {% if %} is never closed") || strings.Contains(stderr, "Check the values you entered") {
		t.Fatalf("skeleton error: exit %d\n%s", code, stderr)
	}
	if code, _, _ := runBot(t, e, "", "template", "render", "new-db"); code != 2 {
		t.Errorf("without --out: exit %d, want 2", code)
	}
	if code, _, stderr := runBot(t, e, "", "template", "render", "new-bd", "--out", t.TempDir()); code != 1 || !strings.Contains(stderr, "did you mean new-db") {
		t.Errorf("unknown name: exit %d\n%s", code, stderr)
	}
	// An owner the catalog does not know renders, with a warning.
	code, _, stderr = runBot(t, e, "", "template", "render", "new-db", "--set", "name=orders-db", "--set", "owner=nosuchteam", "--out", t.TempDir())
	if code != 0 || !strings.Contains(stderr, "warning: parameter owner: group:default/nosuchteam is not a group in the catalog") {
		t.Errorf("unknown owner: exit %d\n%s", code, stderr)
	}
	// Values that do not fit are refused, each named, and nothing is written.
	base := []string{"template", "render", "new-db", "--set", "name=orders-db"}
	for _, c := range []struct {
		set  []string
		want string
	}{
		{[]string{"owner=payments", "storageGB=abc"}, "parameter storageGB: "},
		{[]string{"owner=payments", "storageGB=5"}, "parameter storageGB: must be at least 10"},
		{[]string{"owner=payments", "highAvailability=maybe"}, "parameter highAvailability: "},
		{[]string{"owner=payments", "sotrageGB=20"}, "parameter sotrageGB: the template has no such parameter; did you mean storageGB?"},
		{[]string{"owner=payments", "size=small", "size=large"}, "parameter size: given 2 times; it takes one value"},
	} {
		out := t.TempDir()
		args := append(append([]string(nil), base...), "--out", out)
		for _, s := range c.set {
			args = append(args, "--set", s)
		}
		code, _, stderr := runBot(t, e, "", args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %s", c.set, code, stderr)
		}
		if files := existingFiles(out); len(files) != 0 {
			t.Errorf("%v: wrote %v", c.set, files)
		}
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
