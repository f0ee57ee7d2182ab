package catalog

import (
	"context"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
)

// Backstage's own example catalog (testdata/backstage, Apache-2.0, see its
// NOTICE.md) must read as Backstage reads it.
const backstageDir = "testdata/backstage"

func TestBackstageExamplesLoad(t *testing.T) {
	c := newTestCatalog(t, []LocationConfig{
		{Target: backstageDir + "/all.yaml"},
		{Target: backstageDir + "/acme-corp.yaml"},
	})
	if ps := c.Errors(); len(ps) > 0 {
		t.Fatalf("Backstage's examples have problems:\n%s", problemsText(ps))
	}
	counts := map[string]int{}
	for _, e := range c.List("") {
		counts[e.Kind]++
	}
	// all.yaml → five all-*.yaml Locations → their files; acme-corp.yaml →
	// acme/org.yaml → a Location for the group files.
	want := map[string]int{KindComponent: 13, KindAPI: 10, KindSystem: 3, KindDomain: 3, KindResource: 1, KindLocation: 8, KindGroup: 8, KindUser: 17}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%d %s entities, want %d (all: %v)", counts[k], k, n, counts)
		}
	}
	// Followed relative targets: a component read through all.yaml →
	// all-components.yaml → components/.
	e, ok := c.Get("wayback-search")
	if !ok || !strings.HasSuffix(e.Source.File, "testdata/backstage/components/wayback-search-component.yaml") || e.Source.Location != "file:"+backstageDir+"/all.yaml" {
		t.Fatalf("wayback-search = %+v", e)
	}
	if e.Owner() != "group:default/team-a" {
		t.Errorf("owner = %q", e.Owner())
	}
	// Namespaced users, and refs to another namespace.
	if u, ok := c.Get("user:development/guest"); !ok || u.SpecStrings("memberOf")[0] != "group:default/team-a" {
		t.Errorf("user:development/guest = %v", u)
	}
	if got := len(c.Members("team-a")); got != 5 {
		t.Errorf("team-a has %d members, want 5", got)
	}
	// Backstage's groups give identities: the group tree is walked upwards.
	id, _ := c.Identify(context.Background(), bot.User{ID: "U?", Email: "janelle-dawe@example.com"})
	if id.UserRef != "user:default/janelle.dawe" || !id.InGroup("group:default/acme-corp") || !id.InGroup("backstage") {
		t.Errorf("janelle = %+v", id)
	}
	// The MCP server API uses spec.remotes instead of a definition.
	if _, ok := c.Get("api:backstage-mcp-server"); !ok {
		t.Error("api:backstage-mcp-server rejected")
	}
}

func TestBackstageInvalidExamplesFail(t *testing.T) {
	c := newTestCatalog(t, []LocationConfig{
		{Target: backstageDir + "/components/invalid-component.yaml"},
		{Target: backstageDir + "/all-environments.yaml"},
		{Target: backstageDir + "/components/different-namespace.yaml"},
	})
	ps := c.Errors()
	has := func(file string, line int, text string) {
		t.Helper()
		for _, p := range ps {
			if strings.HasSuffix(p.File, file) && p.Line == line && strings.Contains(p.Message, text) {
				return
			}
		}
		t.Errorf("no problem at %s:%d containing %q:\n%s", file, line, text, problemsText(ps))
	}
	has("components/invalid-component.yaml", 4, `metadata.name "invalid component" is not valid`)
	has("components/invalid-component.yaml", 11, `tag "go 1.15.3" is not valid`)
	has("environments/dev.yaml", 2, `unknown kind "Environment"`)
	has("environments/prod.yaml", 2, `unknown kind "Environment"`)
	if _, ok := c.Get("component:default/invalid component"); ok {
		t.Error("invalid component accepted")
	}
	// The valid entity of another namespace loads (its owner is unknown here).
	e, ok := c.Get("component:alternative/different-namespace")
	if !ok {
		for _, x := range c.List("") {
			t.Log(x.Ref())
		}
		t.Fatal("different-namespace component missing")
	}
	if !strings.HasPrefix(e.Owner(), "group:") {
		t.Errorf("owner = %q", e.Owner())
	}
}

func TestBackstageTemplatesValidate(t *testing.T) {
	c := newTestCatalog(t, []LocationConfig{{Target: backstageDir + "/templates/*/template.yaml"}})
	if got := len(c.List(KindTemplate)); got != 3 {
		t.Fatalf("%d templates, want 3:\n%s", got, problemsText(c.Errors()))
	}
	for _, p := range c.Errors() {
		if p.Severity == SeverityError {
			t.Errorf("template error: %s", p)
		}
	}
}
