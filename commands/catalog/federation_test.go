package catalog

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot/bottest"
)

// location returns a Location document without spec.owner.
func location(name string, targets ...string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: " + name +
		"\nspec:\n  targets:\n    - " + strings.Join(targets, "\n    - ") + "\n"
}

// ownedLocation returns a Location document whose targets are team files
// of owner.
func ownedLocation(name, owner string, targets ...string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: " + name +
		"\nspec:\n  owner: " + owner + "\n  targets:\n    - " + strings.Join(targets, "\n    - ") + "\n"
}

// user returns a valid User document.
func user(name, slackID string, memberOf ...string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: " + name +
		"\n  annotations:\n    slack.com/user-id: " + slackID + "\nspec:\n  memberOf: [" + strings.Join(memberOf, ", ") + "]\n"
}

// lineWith returns the 1-based line of body that first contains text.
func lineWith(t testing.TB, body, text string) int {
	t.Helper()
	for i, l := range strings.Split(body, "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", text)
	return 0
}

// hasProblem reports whether a problem is at file (a suffix) and line and
// its message contains text.
func hasProblem(ps []Problem, file string, line int, text string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool {
		return strings.HasSuffix(p.File, file) && p.Line == line && strings.Contains(p.Message, text)
	})
}

func TestFederationThroughLocations(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"index.yaml": group("payments") + "---\n" + group("checkout") + "---\n" +
			ownedLocation("payments-team", "payments", "./teams/payments/catalog-info.yaml", "./teams/missing.yaml") + "---\n" +
			ownedLocation("checkout-team", "group:default/checkout", "./teams/checkout/*.y*ml"),
		"teams/payments/catalog-info.yaml": component("payments-service", "payments"),
		"teams/checkout/a.yaml":            component("checkout-service", "checkout"),
		"teams/checkout/b.yml":             component("cart-service", "checkout"),
		"teams/checkout/notes.txt":         "not yaml",
		"teams/not-linked/loose.yaml":      component("loose", "checkout"),
	})
	c := newTestCatalog(t, []LocationConfig{{Target: dir + "/index.yaml"}})

	for _, name := range []string{"payments-service", "checkout-service", "cart-service"} {
		e, ok := c.Get(name)
		if !ok {
			t.Fatalf("%s not loaded; problems:\n%s", name, problemsText(c.Errors()))
		}
		if e.Source.Location != "file:"+dir+"/index.yaml" {
			t.Errorf("%s location = %q", name, e.Source.Location)
		}
	}
	if e, _ := c.Get("cart-service"); !strings.HasSuffix(e.Source.File, "teams/checkout/b.yml") || e.Source.Line != 1 {
		t.Errorf("cart-service source = %s", e.Source)
	}
	if _, ok := c.Get("loose"); ok {
		t.Error("a file no Location names was read")
	}
	// The missing target is reported at the line that names it.
	ps := c.Errors()
	if len(ps) != 1 || !hasProblem(ps, "index.yaml", 25, "missing.yaml") {
		t.Errorf("problems:\n%s", problemsText(ps))
	}
}

// The escalation of issue 12: a team's own file, federated by a Location,
// declared a group under the platform group and made its people admins.
// A team file may add only Components, APIs, Resources, Systems and
// Templates owned by its team; everything else is reported with file and
// line and not loaded, and the rest of the file still loads.
func TestTeamFileGrantsNothing(t *testing.T) {
	team := component("payments-service", "payments") + "---\n" +
		group("rogue-admins") + "  parent: platform\n  members: [mallory]\n" + "---\n" +
		user("mallory", "U0MALLORY", "platform") + "---\n" +
		user("alice", "U0ALICE", "platform") + "---\n" + // a second definition of an org user
		component("platform-takeover", "platform") + "---\n" + // owned by another team
		"apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: payments-domain\nspec:\n  owner: payments\n" + "---\n" +
		ownedLocation("more", "payments", "../../org.yaml") + "---\n" +
		"apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: group:default/payments\n  definition: x\n"
	// Problems are at the kind of a refused entity, or at its spec.owner.
	kindOf := func(name string) int { return lineWith(t, team, "name: "+name) - 2 }
	dir := writeFiles(t, map[string]string{
		"org.yaml": group("platform") + "---\n" + group("payments") + "---\n" +
			user("priya", "U0PRIYA", "platform") + "---\n" + user("alice", "U0ALICE", "payments") + "---\n" +
			ownedLocation("payments-team", "payments", "./teams/payments/catalog-info.yaml"),
		"teams/payments/catalog-info.yaml": team,
	})
	c := newTestCatalog(t, []LocationConfig{{Target: dir + "/org.yaml"}})
	ctx := context.Background()

	for _, slack := range []string{"U0MALLORY", "U0ALICE"} {
		id, _ := c.Identify(ctx, botUser(slack))
		if id.IsAdmin() || id.InGroup("platform") {
			t.Errorf("%s became a platform member through a team file: %+v", slack, id)
		}
	}
	if id, _ := c.Identify(ctx, botUser("U0ALICE")); id.UserRef != "user:default/alice" || !slices.Equal(id.DirectGroups, []string{"group:default/payments"}) {
		t.Errorf("alice = %+v", id)
	}
	if id, _ := c.Identify(ctx, botUser("U0PRIYA")); !id.IsAdmin() {
		t.Errorf("priya, of the organisation file, is no admin: %+v", id)
	}
	for _, ref := range []string{"group:rogue-admins", "user:mallory", "component:platform-takeover", "domain:payments-domain", "location:more"} {
		if _, ok := c.Get(ref); ok {
			t.Errorf("%s loaded from a team file", ref)
		}
	}
	for _, ref := range []string{"component:payments-service", "api:payments-api"} {
		if _, ok := c.Get(ref); !ok {
			t.Errorf("%s, owned by the team, not loaded", ref)
		}
	}
	if got := len(c.Children("platform")); got != 0 {
		t.Errorf("platform has %d children", got)
	}

	ps := c.Errors()
	file := "teams/payments/catalog-info.yaml"
	for _, want := range []struct {
		line int
		text string
	}{
		{kindOf("rogue-admins"), "may add only Component, API, Resource, System, Template entities; this Group is not loaded"},
		{kindOf("mallory"), "this User is not loaded"},
		{kindOf("alice"), "this User is not loaded"},
		{lineWith(t, team, "owner: platform"), "spec.owner is group:default/platform, but a team file of group:default/payments"},
		{kindOf("payments-domain"), "this Domain is not loaded"},
		{kindOf("more"), "this Location is not loaded"},
	} {
		if !hasProblem(ps, file, want.line, want.text) {
			t.Errorf("no problem at %s:%d containing %q", file, want.line, want.text)
		}
	}
	if !hasProblem(ps, file, kindOf("rogue-admins"), "brought in by Location location:default/payments-team at ") {
		t.Error("the problem does not say which Location brought the file in")
	}
	if len(ps) != 6 {
		t.Errorf("%d problems, want 6:\n%s", len(ps), problemsText(ps))
	}
}

// With organisation sources configured, the other configured locations
// may add no Users or Groups either; a location with an owner is a team
// source.
func TestOrganizationSources(t *testing.T) {
	services := component("edge", "platform") + "---\n" + group("shadow") + "  parent: platform\n" + "---\n" + user("eve", "U0EVE", "platform")
	payments := component("payments-service", "payments") + "---\n" + component("edge-2", "platform")
	dir := writeFiles(t, map[string]string{
		"org/org.yaml":      group("platform") + "---\n" + group("payments") + "---\n" + user("priya", "U0PRIYA", "platform"),
		"services/all.yaml": services,
		"payments.yaml":     payments,
	})
	cfg := DefaultConfig()
	cfg.Organization = []LocationConfig{{Target: dir + "/org"}}
	cfg.Locations = []LocationConfig{{Target: dir + "/services"}, {Target: dir + "/payments.yaml", Owner: "payments"}}
	c, err := New(cfg, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"group:platform", "user:priya", "component:edge", "component:payments-service"} {
		if _, ok := c.Get(ref); !ok {
			t.Errorf("%s not loaded:\n%s", ref, problemsText(c.Errors()))
		}
	}
	for _, ref := range []string{"group:shadow", "user:eve", "component:edge-2"} {
		if _, ok := c.Get(ref); ok {
			t.Errorf("%s loaded", ref)
		}
	}
	ps := c.Errors()
	if !hasProblem(ps, "services/all.yaml", lineWith(t, services, "kind: Group"), "a Group may come only from an organisation source (catalog.organization)") ||
		!hasProblem(ps, "services/all.yaml", lineWith(t, services, "kind: User"), "a User may come only from an organisation source") ||
		!hasProblem(ps, "payments.yaml", lineWith(t, payments, "owner: platform"), "spec.owner is group:default/platform, but a team file of group:default/payments") || len(ps) != 3 {
		t.Errorf("problems:\n%s", problemsText(ps))
	}

	bad := DefaultConfig()
	bad.Organization = []LocationConfig{{Target: "org.yaml", Owner: "payments"}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "organization[0]: an organisation source has no owner") {
		t.Errorf("an organisation source with an owner: %v", err)
	}
}

// A Location without spec.owner names no team: its targets are not read,
// unless every file it names was read already.
func TestUnownedLocationReadsNothing(t *testing.T) {
	index := group("payments") + "---\n" + location("loose", "./team/x.yaml") + "---\n" + location("covered", "./other.yaml")
	dir := writeFiles(t, map[string]string{
		"index.yaml":    index,
		"other.yaml":    component("other", "payments"),
		"team/x.yaml":   component("x", "payments"),
		"unrelated.yml": component("unrelated", "payments"),
	})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	if _, ok := c.Get("x"); ok {
		t.Error("the target of a Location without an owner was read")
	}
	if _, ok := c.Get("other"); !ok {
		t.Error("other.yaml, read through the folder, is missing")
	}
	ps := c.Errors()
	if len(ps) != 1 || !hasProblem(ps, "index.yaml", lineWith(t, index, "./team/x.yaml"), "Location has no spec.owner, so its target") {
		t.Errorf("problems:\n%s", problemsText(ps))
	}
}

// A Location's targets are confined to the root of the location its file
// was reached from: absolute paths, "..", globs that leave it and symlinks
// out of it are reported at the target's line and not read.
func TestLocationTargetsConfinedToRoot(t *testing.T) {
	outside := writeFiles(t, map[string]string{
		"secret.yaml":    component("outside-abs", "payments"),
		"dir/a.yaml":     component("outside-dir", "payments"),
		"globbed/a.yaml": component("outside-glob", "payments"),
		"linked/b.yaml":  component("outside-link-dir", "payments"),
		"linkfile.yaml":  component("outside-link-file", "payments"),
	})
	base := t.TempDir()
	catalogDir := filepath.Join(base, "catalog")
	if err := os.MkdirAll(filepath.Join(catalogDir, "teams", "payments"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"teams/payments/ok.yaml": component("inside", "payments"),
		"../escape.yaml":         component("outside-dotdot", "payments"),
		"../glob/a.yaml":         component("outside-dotdot-glob", "payments"),
	}
	for name, body := range files {
		p := filepath.Join(catalogDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{
		"teams/payments/link.yaml": filepath.Join(outside, "linkfile.yaml"),
		"teams/linked":             filepath.Join(outside, "linked"),
	} {
		if err := os.Symlink(to, filepath.Join(catalogDir, link)); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
	// Each target with the problem it must get ("" when it is read).
	targets := []struct{ target, problem string }{
		{"./teams/payments/ok.yaml", ""},
		{filepath.ToSlash(filepath.Join(outside, "secret.yaml")), "is an absolute path"},
		{"../escape.yaml", "the path leaves the location's root"},
		{"./teams/../../glob/*.yaml", "the glob leaves the location's root"},
		{"../*/a.yaml", "the glob leaves the location's root"},
		{"./teams/payments/link.yaml", "leads out of the location's root"}, // a symlink to a file outside
		{"./teams/linked/b.yaml", "leads out of the location's root"},      // inside a symlinked folder
		{"./teams/linked/*.yaml", "leads out of the location's root"},
		{"./teams/linked", "leads out of the location's root"},
	}
	var list []string
	for _, tg := range targets {
		list = append(list, tg.target)
	}
	index := group("payments") + "---\n" + ownedLocation("payments-team", "payments", list...)
	if err := os.WriteFile(filepath.Join(catalogDir, "index.yaml"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newTestCatalog(t, []LocationConfig{{Target: catalogDir + "/index.yaml"}})
	if _, ok := c.Get("inside"); !ok {
		t.Fatalf("the target inside the root was not read:\n%s", problemsText(c.Errors()))
	}
	for _, e := range c.List(KindComponent) {
		if strings.HasPrefix(e.Metadata.Name, "outside") {
			t.Errorf("%s read from %s, outside the root", e.Ref(), e.Source)
		}
	}
	ps := c.Errors()
	first := lineWith(t, index, "targets:") + 1
	want := 0
	for i, tg := range targets {
		if tg.problem == "" {
			continue
		}
		want++
		if !hasProblem(ps, "catalog/index.yaml", first+i, tg.problem) {
			t.Errorf("target %q: no problem at index.yaml:%d containing %q", tg.target, first+i, tg.problem)
		}
	}
	if len(ps) != want {
		t.Errorf("%d problems, want %d:\n%s", len(ps), want, problemsText(ps))
	}
}

func TestLocationRulesLimitKinds(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"org.yaml": group("platform") + "---\n" + group("payments"),
		"team/catalog-info.yaml": component("sneaky-service", "payments") + "---\n" +
			"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: payments-template\nspec:\n  type: service\n  owner: payments\n  steps: []\n" +
			"---\n" + ownedLocation("more", "payments", "./more.yaml"),
		"team/more.yaml": "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: nested-template\nspec:\n  type: service\n  owner: payments\n  steps: []\n" +
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
		!strings.Contains(msgs[1], "more.yaml:11") || !strings.Contains(msgs[1], "may not contribute a Group") {
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
	r := rootOf(p)
	for target, want := range map[string]string{
		"./team.yaml":  "https://github.com/acme/payments/blob/main/catalog/team.yaml",
		"../root.yaml": "https://github.com/acme/payments/blob/main/root.yaml",
		"https://github.com/acme/checkout/blob/v2/catalog-info.yaml": "https://github.com/acme/checkout/blob/v2/catalog-info.yaml",
	} {
		np, err := p.resolve(target, "", DefaultGitHubHost, r)
		if err != nil || np.String() != want {
			t.Errorf("resolve(%q) = %s, %v; want %s", target, np, err, want)
		}
	}
	for bad, why := range map[string]string{
		"../../outside.yaml":          "leaves the repository",
		"/abs/x.yaml":                 "is an absolute path",
		"https://gitlab.com/x/y.yaml": "only relative paths and https://github.com/ URLs",
		"https://ghe.example/acme/payments/blob/main/x.yaml": "is on ghe.example, but GitHub locations must stay on github.com",
		"s3://bucket/x": "only relative paths",
	} {
		if np, err := p.resolve(bad, "", DefaultGitHubHost, r); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("resolve(%q) = %s, %v; want an error containing %q", bad, np, err, why)
		}
	}
	if _, err := p.resolve("./x.yaml", "ldap", DefaultGitHubHost, r); err == nil {
		t.Error("an unsupported location type was accepted")
	}
	// On GitHub Enterprise, URLs must name its host.
	ghe := place{kind: LocationGitHub, host: "ghe.example", owner: "acme", repo: "payments", path: "catalog-info.yaml"}
	if np, err := ghe.resolve("https://ghe.example/acme/checkout/blob/main/catalog-info.yaml", "", "ghe.example", rootOf(ghe)); err != nil ||
		np.String() != "https://ghe.example/acme/checkout/blob/main/catalog-info.yaml" {
		t.Errorf("GHE URL = %s, %v", np, err)
	}
	if _, err := ghe.resolve("https://github.com/acme/checkout/blob/main/catalog-info.yaml", "", "ghe.example", rootOf(ghe)); err == nil {
		t.Error("a github.com URL was read through GitHub Enterprise")
	}
	cfg := DefaultConfig()
	cfg.GitHubHost = "ghe.example"
	cfg.Locations = []LocationConfig{{Target: "https://github.com/acme/payments/blob/main/x.yaml"}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "must stay on ghe.example (catalog.githubHost)") {
		t.Errorf("a configured github.com URL with githubHost ghe.example: %v", err)
	}
}

func TestGitHubHostFor(t *testing.T) {
	for api, want := range map[string]string{
		"":                                "github.com",
		"https://api.github.com/":         "github.com",
		"https://ghe.example/api/v3/":     "ghe.example",
		"https://GHE.example:8443/api/v3": "ghe.example:8443",
	} {
		if got := GitHubHostFor(api); got != want {
			t.Errorf("GitHubHostFor(%q) = %q, want %q", api, got, want)
		}
	}
}

// The scenario on the example catalog: the payments team edits its
// own file (teams/payments/catalog-info.yaml) to declare a group under
// platform with bob in it. An admin's reload shows the refusal, with file
// and line, in /plat catalog errors, and bob is no admin.
func TestExampleTeamFileCannotMakeAdmins(t *testing.T) {
	files := map[string]string{}
	for _, name := range []string{"org.yaml", "people.yaml", "systems.yaml", "platform.yaml", "checkout.yaml", "reports.yaml", "locations.yaml", "teams/payments/catalog-info.yaml"} {
		b, err := os.ReadFile(filepath.Join(examplesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	dir := writeFiles(t, files)
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	if ps := c.Errors(); len(ps) > 0 {
		t.Fatalf("the copied examples have problems:\n%s", problemsText(ps))
	}
	teamFile := files["teams/payments/catalog-info.yaml"] + "---\n" +
		group("payments-admins") + "  parent: platform\n  members: [bob.okafor]\n"
	if err := writeFile(dir, "teams/payments/catalog-info.yaml", teamFile); err != nil {
		t.Fatal(err)
	}
	m := bottest.NewMessenger()
	if err := run(t, c, m, "U0PLATPRIYA", "catalog reload"); err != nil {
		t.Fatal(err)
	}
	m.Reset()
	if err := run(t, c, m, "U0PLATPRIYA", "catalog errors"); err != nil {
		t.Fatal(err)
	}
	want := dir + "/teams/payments/catalog-info.yaml:" + strconv.Itoa(lineWith(t, teamFile, "name: payments-admins")-2) +
		": group:default/payments-admins: a team file of group:default/payments (brought in by Location location:default/payments-team at " +
		dir + "/locations.yaml:6) may add only Component, API, Resource, System, Template entities; this Group is not loaded"
	if text := m.AllText(); !strings.Contains(text, want) {
		t.Errorf("catalog errors lacks\n%s\nin:\n%s", want, text)
	}
	id, _ := c.Identify(context.Background(), botUser("U0PAYBOB"))
	if id.IsAdmin() || id.InGroup("platform") || len(c.Children("platform")) != 0 {
		t.Errorf("bob = %+v; platform's children %v", id, c.Children("platform"))
	}
	if _, ok := c.Get("payments-service"); !ok {
		t.Error("the rest of the team file no longer loads")
	}
}
