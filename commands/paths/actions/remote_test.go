package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/platbot/platbot/commands/paths/template"
)

// mapGitHub serves files of one repository at one ref from a map.
type mapGitHub struct {
	owner, repo, ref string
	files            map[string]string
}

func (m mapGitHub) GetFile(_ context.Context, owner, repo, p, ref string) ([]byte, error) {
	c, ok := m.files[p]
	if !ok || owner != m.owner || repo != m.repo || ref != m.ref {
		return nil, errors.New("404 Not Found")
	}
	return []byte(c), nil
}

func (m mapGitHub) ListDir(_ context.Context, owner, repo, dir, ref string) ([]template.DirEntry, error) {
	if owner != m.owner || repo != m.repo || ref != m.ref {
		return nil, errors.New("404 Not Found")
	}
	seen := map[string]bool{}
	var out []template.DirEntry
	for p := range m.files {
		if !strings.HasPrefix(p, dir+"/") {
			continue
		}
		rest := strings.TrimPrefix(p, dir+"/")
		if i := strings.Index(rest, "/"); i >= 0 {
			d := dir + "/" + rest[:i]
			if !seen[d] {
				seen[d] = true
				out = append(out, template.DirEntry{Path: d, Type: "dir"})
			}
			continue
		}
		out = append(out, template.DirEntry{Path: p, Type: "file"})
	}
	return out, nil
}

const remoteTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: docs}
spec:
  owner: group:default/platform
  steps:
    - id: docs
      action: fetch:plain
      input: {url: 'https://github.com/acme/handbook/tree/main/sessions', targetPath: ./community}
    - id: one
      action: fetch:plain:file
      input: {url: 'https://github.com/acme/handbook/blob/main/LICENSE', targetPath: LICENSE}
`

// fetch:plain and fetch:plain:file take a GitHub address as Backstage's
// do: folders (/tree/) and files (/blob/) are read through the GitHub
// client when the step runs; a dry run without GitHub access says what it
// will fetch; other remote addresses are refused before approval.
func TestFetchPlainFromGitHub(t *testing.T) {
	tpl, err := template.Load(fstest.MapFS{"t/template.yaml": {Data: []byte(remoteTemplate)}}, "t/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	gh := mapGitHub{owner: "acme", repo: "handbook", ref: "main", files: map[string]string{
		"sessions/2024/intro.md": "# Intro\n", "sessions/README.md": "sessions\n", "LICENSE": "Apache-2.0\n", "other/x": "no",
	}}
	acts := New(Deps{GitHub: gh})
	if probs := template.Check(tpl, acts); len(probs) > 0 {
		t.Fatalf("problems %v", probs)
	}
	files := map[string]string{}
	for _, s := range tpl.Steps {
		sc := &StepContext{StepKey: s.ID, Template: tpl, Input: s.Input, Files: files}
		if _, err := acts[s.Action].Run(context.Background(), sc); err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
	}
	want := map[string]string{"community/2024/intro.md": "# Intro\n", "community/README.md": "sessions\n", "LICENSE": "Apache-2.0\n"}
	if len(files) != len(want) {
		t.Fatalf("files %v", files)
	}
	for k, v := range want {
		if files[k] != v {
			t.Errorf("%s = %q, want %q", k, files[k], v)
		}
	}

	// Without GitHub access: the dry run plans, the run explains.
	noGH := New(Deps{})
	s := tpl.Steps[0]
	pl, err := noGH[s.Action].Plan(context.Background(), &StepContext{StepKey: s.ID, Template: tpl, Input: s.Input, Files: map[string]string{}, DryRun: true})
	if err != nil || len(pl.Effects) != 1 || !strings.Contains(pl.Effects[0], "no GitHub access configured") {
		t.Fatalf("plan without GitHub: %+v, %v", pl, err)
	}
	_, err = noGH[s.Action].Run(context.Background(), &StepContext{StepKey: s.ID, Template: tpl, Input: s.Input, Files: map[string]string{}})
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "no GitHub access configured") {
		t.Fatalf("run without GitHub: %v", err)
	}

	for _, c := range []struct{ action, url, want string }{
		{"fetch:plain", "https://gitlab.com/acme/x/tree/main/docs", "must be a path beside the template or a GitHub address"},
		{"fetch:plain", "https://github.com/acme/x/blob/main/README.md", "names a file"},
		{"fetch:plain:file", "https://github.com/acme/x/tree/main/docs", "names a folder"},
		{"fetch:plain", "https://github.com/acme/x/tree/main/../../etc", "must be a path beside the template or a GitHub address"},
	} {
		probs := acts[c.action].Check(tpl, template.StepSpec{ID: "x", Action: c.action, Input: map[string]any{"url": c.url, "targetPath": "x"}})
		if !strings.Contains(strings.Join(probs, "\n"), c.want) {
			t.Errorf("%s %s: %v, want %q", c.action, c.url, probs, c.want)
		}
	}
}
