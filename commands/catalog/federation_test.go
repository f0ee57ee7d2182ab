package catalog

import (
	"slices"
	"strings"
	"testing"
)

func location(name string, targets ...string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: " + name +
		"\nspec:\n  targets:\n    - " + strings.Join(targets, "\n    - ") + "\n"
}

func TestFederationThroughLocations(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"index.yaml": group("payments") + "---\n" + group("checkout") + "---\n" +
			location("teams", "./teams/payments/catalog-info.yaml", "./teams/checkout/*.y*ml", "./teams/missing.yaml"),
		"teams/payments/catalog-info.yaml": component("payments-service", "payments") + "---\n" +
			location("payments-more", "../shared/extra.yaml", "../../index.yaml"),
		"teams/shared/extra.yaml":     component("payments-ledger", "payments"),
		"teams/checkout/a.yaml":       component("checkout-service", "checkout"),
		"teams/checkout/b.yml":        component("cart-service", "checkout"),
		"teams/checkout/notes.txt":    "not yaml",
		"teams/not-linked/loose.yaml": component("loose", "checkout"),
	})
	c := newTestCatalog(t, []LocationConfig{{Target: dir + "/index.yaml"}})

	for _, name := range []string{"payments-service", "payments-ledger", "checkout-service", "cart-service"} {
		e, ok := c.Get(name)
		if !ok {
			t.Fatalf("%s not loaded; problems:\n%s", name, problemsText(c.Errors()))
		}
		if e.Source.Location != "file:"+dir+"/index.yaml" {
			t.Errorf("%s location = %q", name, e.Source.Location)
		}
	}
	if e, _ := c.Get("payments-ledger"); !strings.HasSuffix(e.Source.File, "teams/shared/extra.yaml") || e.Source.Line != 1 {
		t.Errorf("payments-ledger source = %s", e.Source)
	}
	if _, ok := c.Get("loose"); ok {
		t.Error("a file no Location names was read")
	}
	// The missing target is reported at the line that names it; the cycle
	// back to index.yaml is read once and not reported.
	ps := c.Errors()
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "missing.yaml") || !strings.HasSuffix(ps[0].File, "index.yaml") || ps[0].Line != 25 {
		t.Errorf("problems:\n%s", problemsText(ps))
	}
}

func TestLocationRulesLimitKinds(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"org.yaml": group("platform") + "---\n" + group("payments"),
		"team/catalog-info.yaml": component("sneaky-service", "payments") + "---\n" +
			"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: payments-template\nspec:\n  type: service\n  owner: payments\n  steps: []\n" +
			"---\n" + location("more", "./more.yaml"),
		"team/more.yaml": "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: nested-template\nspec:\n  type: service\n  steps: []\n" +
			"---\n" + group("rogue-admins"),
	})
	c := newTestCatalog(t, []LocationConfig{
		{Target: dir + "/org.yaml"},
		{Target: dir + "/team/catalog-info.yaml", Rules: []KindRule{{Allow: []string{"Template", "Location"}}}},
	})
	for _, ok := range []string{"template:payments-template", "template:nested-template", "group:platform"} {
		if _, found := c.Get(ok); !found {
			t.Errorf("%s should load; problems:\n%s", ok, problemsText(c.Errors()))
		}
	}
	for _, denied := range []string{"component:sneaky-service", "group:rogue-admins"} {
		if _, found := c.Get(denied); found {
			t.Errorf("%s got past the location's rules", denied)
		}
	}
	var msgs []string
	for _, p := range c.Errors() {
		msgs = append(msgs, p.String())
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "may not contribute a Component (its rules allow Location, Template)") ||
		!strings.Contains(msgs[1], "more.yaml:10") || !strings.Contains(msgs[1], "may not contribute a Group") {
		t.Errorf("problems: %q", msgs)
	}

	// Global rules apply to locations without their own.
	cfg := DefaultConfig()
	cfg.Rules = []KindRule{{Allow: []string{"Group"}}}
	cfg.Locations = []LocationConfig{{Target: dir + "/org.yaml"}, {Target: dir + "/team/catalog-info.yaml"}}
	c2, err := New(cfg, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(c2.List("")); got != 2 {
		t.Errorf("global rules allow only Groups: %d entities", got)
	}
	if !slices.ContainsFunc(c2.Errors(), func(p Problem) bool { return strings.Contains(p.Message, "may not contribute a Location") }) {
		t.Errorf("problems:\n%s", problemsText(c2.Errors()))
	}
}

func TestLocationTargetsStayInTheirRepository(t *testing.T) {
	p := place{kind: LocationGitHub, owner: "acme", repo: "payments", ref: "main", path: "catalog/index.yaml"}
	for target, want := range map[string]string{
		"./team.yaml":  "https://github.com/acme/payments/blob/main/catalog/team.yaml",
		"../root.yaml": "https://github.com/acme/payments/blob/main/root.yaml",
		"/abs/x.yaml":  "https://github.com/acme/payments/blob/main/abs/x.yaml",
		"https://github.com/acme/checkout/blob/v2/catalog-info.yaml": "https://github.com/acme/checkout/blob/v2/catalog-info.yaml",
	} {
		np, err := p.resolve(target, "")
		if err != nil || np.String() != want {
			t.Errorf("resolve(%q) = %s, %v; want %s", target, np, err, want)
		}
	}
	for _, bad := range []string{"../../outside.yaml", "https://gitlab.com/x/y.yaml", "s3://bucket/x"} {
		if np, err := p.resolve(bad, ""); err == nil {
			t.Errorf("resolve(%q) = %s, want an error", bad, np)
		}
	}
	if _, err := p.resolve("./x.yaml", "ldap"); err == nil {
		t.Error("an unsupported location type was accepted")
	}
}
