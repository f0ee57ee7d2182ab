package catalog

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// examplesDir is the repository's example catalog.
const examplesDir = "../../examples/catalog"

// newTestCatalog builds a catalog over the given locations and refreshes it.
func newTestCatalog(t testing.TB, locs []LocationConfig, opts ...Option) *Catalog {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Locations = locs
	c, err := New(cfg, append([]Option{WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// examples loads examples/catalog.
func examples(t testing.TB) *Catalog {
	t.Helper()
	return newTestCatalog(t, []LocationConfig{{Target: examplesDir}})
}

// writeFiles creates files (path → content) under a new temp folder.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// problemsText renders problems one a line for failure messages.
func problemsText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Severity + " " + p.String() + "\n")
	}
	return b.String()
}

// component returns a valid Component document.
func component(name, owner string, extra ...string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name +
		"\nspec:\n  type: service\n  lifecycle: production\n  owner: " + owner + "\n" + strings.Join(extra, "\n")
}

// group returns a valid Group document.
func group(name string, annotations ...string) string {
	s := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: " + name + "\n"
	if len(annotations) > 0 {
		s += "  annotations:\n    " + strings.Join(annotations, "\n    ") + "\n"
	}
	return s + "spec:\n  type: team\n  children: []\n"
}

func botUser(id string) bot.User { return bot.User{ID: id, Name: id} }

func writeFile(dir, name, body string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
}
