package paths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

// A skeleton's executable script stays executable: in the approved
// version, in the run and in the commit of the pull request (mode 100755),
// as Backstage's fetch:template writes each file with its source's mode;
// the mode is part of the version, so changing it needs a new approval.
func TestExecutableSkeletonFileKeepsItsMode(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		t.Helper()
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("new-tool/template.yaml", `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: new-tool}
spec:
  owner: group:default/platform
  parameters:
    - required: [name]
      properties: {name: {title: Name, type: string, ui:field: EntityNamePicker}}
  steps:
    - id: fetch
      action: fetch:template
      input: {url: ./skeleton, targetPath: 'tools/${{ parameters.name }}', values: {name: '${{ parameters.name }}'}}
    - id: publish
      action: publish:github:pull-request
      input: {title: 'tool ${{ parameters.name }}'}
`, 0o644)
	write("new-tool/skeleton/run.sh", "#!/bin/sh\necho ${{ values.name }}\n", 0o755)
	write("new-tool/skeleton/README.md", "# ${{ values.name }}\n", 0o644)
	e := newEnv(t, envOptions{templates: dir, noApprove: true})
	e.command(userAdmin, "template approve new-tool")
	v1 := e.approved("new-tool")
	if v1 == nil || !v1.Executable["skeleton/run.sh"] || v1.Executable["skeleton/README.md"] {
		t.Fatalf("approved version: %+v", v1)
	}
	f := e.form(userJane, "new-tool")
	if errs := e.submit(userJane, f, bot.Values{"name": {"linter"}}); errs != nil {
		t.Fatal(errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	tree := git(t, filepath.Join(e.dir, "gitops"), "ls-tree", "-r", r.Branch())
	if !strings.Contains(tree, "100755 blob") || !strings.Contains(tree, "\ttools/linter/run.sh") {
		t.Fatalf("tree:\n%s", tree)
	}
	for _, line := range strings.Split(tree, "\n") {
		if strings.HasSuffix(line, "\ttools/linter/README.md") && !strings.HasPrefix(line, "100644 ") {
			t.Errorf("README mode: %s", line)
		}
		if strings.HasSuffix(line, "\ttools/linter/run.sh") && !strings.HasPrefix(line, "100755 ") {
			t.Errorf("run.sh mode: %s", line)
		}
	}

	// Taking the executable bit away is a new version to approve.
	if err := os.Chmod(filepath.Join(dir, "new-tool/skeleton/run.sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := e.reply(userJane, "templates"); !strings.Contains(out, "/plat new-tool") {
		t.Fatalf("templates: %s", out)
	}
	if e.paths.entry("new-tool").Current.Hash == v1.Hash {
		t.Error("the mode change did not change the version")
	}
}
