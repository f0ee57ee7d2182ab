package paths

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/devsecrets"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/store"
)

// LastLoad says when the templates were loaded and which could not be: a
// template in a GitHub location with GitHub reachable loads; without it,
// it is named as unloadable.
func TestLastLoad(t *testing.T) {
	gf := &fakeGitHubFiles{files: map[string]string{
		"payments/paths@main:templates/new-note/template.yaml":                    noteTemplate["new-note/template.yaml"],
		"payments/paths@main:templates/new-note/skeleton/${{ values.name }}.yaml": noteTemplate["new-note/skeleton/${{ values.name }}.yaml"],
	}}
	tmpl := templateEntity("new-note", "group:default/payments")
	tmpl.Source = catalog.Source{Location: "url:https://github.com/payments/paths", File: "https://github.com/payments/paths/blob/main/templates/new-note/template.yaml"}
	cat := withTemplates{newCatalog(t), []*catalog.Entity{tmpl}}
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"), store.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	repo, err := gitlocal.Open(context.Background(), filepath.Join(dir, "gitops"), gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := devsecrets.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		github     GitHubFiles
		unloadable string
	}{{gf, ""}, {nil, "new-note"}} {
		p, err := New(Config{TemplatesDir: filepath.Join(dir, "none")}, Deps{Store: st, Catalog: cat, Publisher: localPublisher(repo), Secrets: DevSecrets(ds, ""), GitHub: tc.github, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if l := p.LastLoad(); !l.At.IsZero() || l.Templates != 0 {
			t.Fatalf("before loading: %+v", l)
		}
		install(t, p, bot.NewRouter(bot.RouterOptions{Audit: st, Queue: st, Logger: quietLogger()}))
		l := p.LastLoad()
		if l.At.IsZero() || l.Templates != 1 || strings.Join(l.Unloadable, ",") != tc.unloadable {
			t.Fatalf("github %v: last load %+v, want unloadable %q", tc.github != nil, l, tc.unloadable)
		}
	}
}
