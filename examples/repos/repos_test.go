package repos

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/golden"
)

// TestExampleReposMatchTheCatalog: every example repository is the
// repository (github.com/project-slug) of a service of the example
// catalog, in new-service's layout: a README with a ## Runbook section,
// CODEOWNERS, a Dockerfile and a Go module that builds and passes its
// tests; its openapi.yaml is a valid OpenAPI 3.1 document (kin-openapi, as
// new-api-endpoint reads it) and the repository's API docs page documents
// it.
func TestExampleReposMatchTheCatalog(t *testing.T) {
	repos, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) == 0 {
		t.Fatal("no example repository")
	}
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: "../catalog"}}
	cat, err := catalog.Load(context.Background(), cfg, catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		var comp *catalog.Entity
		for _, e := range cat.List(catalog.KindComponent) {
			if e.Annotation(catalog.AnnotationGitHubSlug) == r.Slug() {
				comp = e
			}
		}
		if comp == nil {
			t.Errorf("%s: no component of the example catalog has this repository", r.Slug())
			continue
		}
		for _, f := range []string{"README.md", "CODEOWNERS", "Dockerfile", "go.mod", "main.go", "openapi.yaml", "docs/api.md"} {
			if _, ok := r.Files[f]; !ok {
				t.Errorf("%s: %s is missing", r.Slug(), f)
			}
		}
		if !strings.Contains(string(r.Files["README.md"]), "\n## Runbook\n") {
			t.Errorf("%s: the README has no ## Runbook section", r.Slug())
		}
		if _, err := golden.LoadOpenAPI31(context.Background(), r.Files["openapi.yaml"]); err != nil {
			t.Errorf("%s: openapi.yaml %v", r.Slug(), err)
		}
		if _, err := exec.LookPath("go"); err != nil {
			continue
		}
		dir := t.TempDir()
		for p, b := range r.Files {
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("go", "test", "./...")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: go test: %v\n%s", r.Slug(), err, out)
		}
	}
}
