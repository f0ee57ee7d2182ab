package catalog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"go.yaml.in/yaml/v3"
)

// Backstage's own example catalog (testdata/backstage, Apache-2.0, see its
// NOTICE.md) must read as Backstage reads it.
const backstageDir = "testdata/backstage"

// backstageTargets returns the files the Location entity in a Backstage
// example file names, as paths from the working folder.
func backstageTargets(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(path.Join(backstageDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Targets []string `yaml:"targets"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if doc.Kind != KindLocation {
			continue
		}
		for _, tg := range doc.Spec.Targets {
			out = append(out, path.Join(backstageDir, path.Dir(file), tg))
		}
	}
}

// backstageConfig configures Backstage's examples for platbot's trust
// model. Backstage federates everything through Location entities without
// owners; platbot reads a Location's targets only as team files of its
// spec.owner, and identity only from organisation sources. So the files
// the Location entities name are configured directly: the organisation
// (acme-corp.yaml, acme/org.yaml and the group files its Location names)
// and, as locations, all.yaml, its five all-*.yaml files and the files
// they name. Every Location entity then names only files read already,
// which is no problem.
func backstageConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Organization = []LocationConfig{{Target: backstageDir + "/acme-corp.yaml"}, {Target: backstageDir + "/acme/org.yaml"}}
	for _, f := range backstageTargets(t, "acme/org.yaml") {
		cfg.Organization = append(cfg.Organization, LocationConfig{Target: f})
	}
	cfg.Locations = []LocationConfig{{Target: backstageDir + "/all.yaml"}}
	for _, all := range backstageTargets(t, "all.yaml") {
		cfg.Locations = append(cfg.Locations, LocationConfig{Target: all})
		for _, f := range backstageTargets(t, strings.TrimPrefix(all, backstageDir+"/")) {
			cfg.Locations = append(cfg.Locations, LocationConfig{Target: f})
		}
	}
	return cfg
}

func TestBackstageExamplesLoad(t *testing.T) {
	c, err := New(backstageConfig(t), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ps := c.Errors(); len(ps) > 0 {
		t.Fatalf("Backstage's examples have problems:\n%s", problemsText(ps))
	}
	counts := map[string]int{}
	for _, e := range c.List("") {
		counts[e.Kind]++
	}
	// all.yaml and its five all-*.yaml Locations, acme-corp.yaml and the
	// Location in acme/org.yaml for the group files.
	want := map[string]int{KindComponent: 13, KindAPI: 10, KindSystem: 3, KindDomain: 3, KindResource: 1, KindLocation: 8, KindGroup: 8, KindUser: 17}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%d %s entities, want %d (all: %v)", counts[k], k, n, counts)
		}
	}
	e, ok := c.Get("wayback-search")
	if !ok || !strings.HasSuffix(e.Source.File, "testdata/backstage/components/wayback-search-component.yaml") ||
		e.Source.Location != "file:"+backstageDir+"/components/wayback-search-component.yaml" {
		t.Fatalf("wayback-search = %+v", e)
	}
	// The same files federated as Backstage does, through Location
	// entities without owners, are not read: platbot reports each target.
	fed := newTestCatalog(t, []LocationConfig{{Target: backstageDir + "/all.yaml"}, {Target: backstageDir + "/acme-corp.yaml"}})
	if got := len(fed.List(KindComponent)) + len(fed.List(KindGroup)); got != 0 {
		t.Errorf("%d components and groups read through Locations without owners", got)
	}
	if ps := fed.Errors(); len(ps) != 6 || !strings.Contains(ps[0].Message, "Location has no spec.owner") {
		t.Errorf("problems:\n%s", problemsText(ps))
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
	locs := []LocationConfig{
		{Target: backstageDir + "/components/invalid-component.yaml"},
		{Target: backstageDir + "/components/different-namespace.yaml"},
	}
	for _, f := range backstageTargets(t, "all-environments.yaml") {
		locs = append(locs, LocationConfig{Target: f})
	}
	c := newTestCatalog(t, locs)
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
