// Package catalogtest is the fake catalog of feature tests. It is not a
// fake at all: it builds a real *catalog.Catalog from entities or YAML
// documents written to a temporary folder, so tests see exactly the
// lookups (short refs, ownership, identities) production does. Tests that
// change the catalog mid-way call Set or Add, which rewrite the file and
// refresh.
package catalogtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
)

// Options adjust the catalog New builds.
type Options struct {
	// Config is the catalog configuration (catalog.DefaultConfig() when
	// zero); its Locations are replaced by the test's folder.
	Config catalog.Config
	// Options are passed to catalog.New (a logger discarding everything is
	// added first).
	Options []catalog.Option
	// Lenient keeps the catalog when its documents have error-level
	// problems (tests of how a feature treats bad catalog data); otherwise
	// such a problem fails the test, naming it.
	Lenient bool
}

// Catalog is a real catalog over a YAML file the test controls.
type Catalog struct {
	*catalog.Catalog
	t    testing.TB
	file string
	docs []string
	opts Options
}

// New returns a catalog holding docs: YAML documents (one or more each,
// separated by "---") or entities rendered with YAML.
func New(t testing.TB, docs ...string) *Catalog {
	t.Helper()
	return NewWith(t, Options{}, docs...)
}

// FromEntities returns a catalog holding the entities.
func FromEntities(t testing.TB, ents ...*catalog.Entity) *Catalog {
	t.Helper()
	return New(t, YAML(t, ents...))
}

// NewWith is New with options.
func NewWith(t testing.TB, opts Options, docs ...string) *Catalog {
	t.Helper()
	cfg := opts.Config
	if cfg.Locations == nil && cfg.AdminGroups == nil && cfg.Refresh == "" {
		cfg = catalog.DefaultConfig()
	}
	file := filepath.Join(t.TempDir(), "catalog-info.yaml")
	cfg.Locations = []catalog.LocationConfig{{Type: "file", Target: file}}
	c := &Catalog{t: t, file: file, opts: opts}
	c.write(docs)
	all := append([]catalog.Option{catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts.Options...)
	cat, err := catalog.New(cfg, all...)
	if err != nil {
		t.Fatalf("catalogtest: %v", err)
	}
	c.Catalog = cat
	c.refresh()
	return c
}

// Set replaces the catalog's documents and refreshes it.
func (c *Catalog) Set(docs ...string) {
	c.t.Helper()
	c.write(docs)
	c.refresh()
}

// Add adds documents and refreshes the catalog.
func (c *Catalog) Add(docs ...string) {
	c.t.Helper()
	c.write(append(append([]string(nil), c.docs...), docs...))
	c.refresh()
}

// AddEntities adds entities and refreshes the catalog.
func (c *Catalog) AddEntities(ents ...*catalog.Entity) {
	c.t.Helper()
	c.Add(YAML(c.t, ents...))
}

func (c *Catalog) write(docs []string) {
	c.t.Helper()
	c.docs = docs
	var b strings.Builder
	for _, d := range docs {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n---\n")
		}
		b.WriteString(d)
	}
	b.WriteString("\n")
	if err := os.WriteFile(c.file, []byte(b.String()), 0o644); err != nil {
		c.t.Fatalf("catalogtest: %v", err)
	}
}

func (c *Catalog) refresh() {
	c.t.Helper()
	if _, err := c.Refresh(context.Background()); err != nil {
		c.t.Fatalf("catalogtest: refresh: %v", err)
	}
	if c.opts.Lenient {
		return
	}
	var bad []string
	for _, p := range c.Errors() {
		if p.Severity == catalog.SeverityError {
			bad = append(bad, fmt.Sprintf("line %d: %s", p.Line, p.Message))
		}
	}
	if len(bad) > 0 {
		c.t.Fatalf("catalogtest: the test catalog has errors (use Options.Lenient for tests of bad data):\n%s", strings.Join(bad, "\n"))
	}
}

// YAML renders entities as YAML documents separated by "---".
func YAML(t testing.TB, ents ...*catalog.Entity) string {
	t.Helper()
	docs := make([]string, 0, len(ents))
	for _, e := range ents {
		b, err := yaml.Marshal(e)
		if err != nil {
			t.Fatalf("catalogtest: %s: %v", e.Ref(), err)
		}
		docs = append(docs, string(b))
	}
	return strings.Join(docs, "---\n")
}

// entity builds an entity; annotations are "key=value" pairs.
func entity(kind, name string, spec map[string]any, annotations []string) *catalog.Entity {
	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: catalog.Metadata{Name: name}, Spec: spec}
	for _, a := range annotations {
		k, v, _ := strings.Cut(a, "=")
		if e.Metadata.Annotations == nil {
			e.Metadata.Annotations = map[string]string{}
		}
		e.Metadata.Annotations[k] = v
	}
	return e
}

// Component returns a production service owned by owner (a group name or
// ref); annotations are "key=value" pairs.
func Component(name, owner string, annotations ...string) *catalog.Entity {
	return entity(catalog.KindComponent, name, map[string]any{"type": "service", "lifecycle": "production", "owner": owner}, annotations)
}

// System returns a system owned by owner.
func System(name, owner string, annotations ...string) *catalog.Entity {
	return entity(catalog.KindSystem, name, map[string]any{"owner": owner}, annotations)
}

// Group returns a team; annotations are "key=value" pairs (for instance
// catalog.AnnotationSlackChannel + "=#team-shop").
func Group(name string, annotations ...string) *catalog.Entity {
	return entity(catalog.KindGroup, name, map[string]any{"type": "team", "children": []any{}}, annotations)
}

// User returns a user with a Slack user id, member of the groups.
func User(name, slackID string, memberOf ...string) *catalog.Entity {
	groups := make([]any, len(memberOf))
	for i, g := range memberOf {
		groups[i] = g
	}
	return entity(catalog.KindUser, name, map[string]any{"memberOf": groups}, []string{catalog.AnnotationSlackUserID + "=" + slackID})
}
