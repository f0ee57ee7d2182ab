package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestExamplesLoadClean(t *testing.T) {
	c := examples(t)
	if ps := c.Errors(); len(ps) > 0 {
		t.Fatalf("examples/catalog has problems:\n%s", problemsText(ps))
	}

	teams := 0
	for _, g := range c.List(KindGroup) {
		if g.Type() == "team" {
			teams++
			if c.ManagerOf(g.Ref()) == "" || len(c.Members(g.Ref())) < 2 {
				t.Errorf("team %s needs a manager and members", g.Ref())
			}
		}
	}
	if teams < 4 {
		t.Errorf("%d teams, want payments, checkout, reports and platform", teams)
	}
	comps := c.List(KindComponent)
	if len(comps) < 10 {
		t.Errorf("%d components, want 10+", len(comps))
	}
	lifecycles := map[string]bool{}
	for _, e := range comps {
		lifecycles[e.Lifecycle()] = true
	}
	for _, l := range []string{"production", "experimental", "deprecated"} {
		if !lifecycles[l] {
			t.Errorf("no %s component", l)
		}
	}
	for _, k := range []string{KindSystem, KindDomain, KindAPI, KindResource, KindUser, KindLocation} {
		if len(c.List(k)) == 0 {
			t.Errorf("no %s entity", k)
		}
	}
	if len(c.List(KindTemplate)) != 0 {
		t.Error("examples/catalog must leave Templates to the golden-paths feature")
	}

	owners := map[string]bool{}
	for _, name := range []string{"checkout-service", "payments-service", "reports-service"} {
		e, ok := c.Get(name)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if e.Type() != "service" || e.Lifecycle() != "production" {
			t.Errorf("%s: type %q lifecycle %q", name, e.Type(), e.Lifecycle())
		}
		owners[e.Owner()] = true
		for _, a := range []string{AnnotationGitHubSlug, AnnotationNamespace} {
			if e.Annotation(a) == "" {
				t.Errorf("%s lacks %s", name, a)
			}
		}
		if e.Annotation(AnnotationCostTag) != "service="+name {
			t.Errorf("%s cost tag = %q", name, e.Annotation(AnnotationCostTag))
		}
	}
	if len(owners) != 3 {
		t.Errorf("owners %v, want three different teams", owners)
	}
	pd := func(svc string) string {
		e, _ := c.Get(svc)
		o, _ := c.Get(e.Owner())
		return o.Annotation(AnnotationPagerDuty)
	}
	if pd("checkout-service") == "" || pd("payments-service") == "" || pd("reports-service") != "" {
		t.Errorf("pagerduty on owners: checkout %q payments %q reports %q (want set, set, empty)",
			pd("checkout-service"), pd("payments-service"), pd("reports-service"))
	}
	// payments-service has no runbook link; checkout-service has one.
	hasRunbook := func(svc string) bool {
		e, _ := c.Get(svc)
		return slices.ContainsFunc(e.Metadata.Links, func(l Link) bool { return l.Type == "runbook" })
	}
	if !hasRunbook("checkout-service") || hasRunbook("payments-service") {
		t.Error("checkout-service needs a runbook link and payments-service none")
	}

	// Federation: payments-service comes from the team's own file through
	// the payments-team Location entity.
	e, _ := c.Get("payments-service")
	if !strings.HasSuffix(e.Source.File, "teams/payments/catalog-info.yaml") || e.Source.Line != 3 {
		t.Errorf("payments-service source = %s", e.Source)
	}
	if e.Annotation(AnnotationOrigin) != "file:"+examplesDir {
		t.Errorf("origin annotation = %q", e.Annotation(AnnotationOrigin))
	}

	admins := 0
	for _, u := range c.Members("platform") {
		if u.Annotation(AnnotationSlackUserID) != "" {
			admins++
		}
	}
	if admins == 0 {
		t.Error("platform team needs members with Slack ids")
	}
}

func TestGetAcceptsShortRefs(t *testing.T) {
	c := examples(t)
	for ref, want := range map[string]string{
		"checkout-service":                     "component:default/checkout-service",
		"Checkout-Service":                     "component:default/checkout-service",
		"component:checkout-service":           "component:default/checkout-service",
		"component:default/checkout-service":   "component:default/checkout-service",
		"api:payments-api":                     "api:default/payments-api",
		"payments-api":                         "api:default/payments-api", // the only entity with that name
		"group:payments":                       "group:default/payments",
		"user:alice.moreau":                    "user:default/alice.moreau",
		"default/reports-service":              "component:default/reports-service",
		"resource:default/payments-db":         "resource:default/payments-db",
		"location:default/payments-team":       "location:default/payments-team",
		"system:reporting":                     "system:default/reporting",
		"domain:commerce":                      "domain:default/commerce",
		"  checkout-service  ":                 "component:default/checkout-service",
		"group:default/engineering":            "group:default/engineering",
		"user:default/sam.patel":               "user:default/sam.patel",
		"component:default/legacy-checkout":    "component:default/legacy-checkout",
		"component:default/promotions-service": "component:default/promotions-service",
	} {
		e, ok := c.Get(ref)
		if !ok || e.Ref() != want {
			t.Errorf("Get(%q) = %v, %v; want %s", ref, e, ok, want)
		}
	}
	for _, ref := range []string{"", "payments", "nope", "component:payments", "api:checkout-service"} {
		if e, ok := c.Get(ref); ok {
			t.Errorf("Get(%q) = %s, want not found", ref, e.Ref())
		}
	}
	if e, ok := c.Lookup("payments", KindGroup); !ok || e.Ref() != "group:default/payments" {
		t.Errorf("Lookup(payments, Group) = %v %v", e, ok)
	}
}

func TestOwnedByMembersAndRelations(t *testing.T) {
	c := examples(t)
	var names []string
	for _, e := range c.OwnedBy("payments") {
		names = append(names, e.Kind+":"+e.Metadata.Name)
	}
	for _, want := range []string{"Component:payments-service", "Component:payments-ledger", "Component:fraud-scoring", "API:payments-api", "Resource:payments-db", "System:payments"} {
		if !slices.Contains(names, want) {
			t.Errorf("OwnedBy(payments) = %v, missing %s", names, want)
		}
	}
	var members []string
	for _, u := range c.Members("group:default/payments") {
		members = append(members, u.Metadata.Name)
	}
	if !slices.Equal(members, []string{"alice.moreau", "bob.okafor", "dana.whitfield"}) {
		t.Errorf("Members(payments) = %v", members)
	}
	if got := c.Children("engineering"); len(got) != 4 {
		t.Errorf("Children(engineering) = %v", got)
	}
	if got := c.Parents("payments"); !slices.Equal(got, []string{"group:default/engineering"}) {
		t.Errorf("Parents(payments) = %v", got)
	}

	svc, _ := c.Get("payments-service")
	for _, r := range []Relation{
		{RelationOwnedBy, "group:default/payments"},
		{RelationPartOf, "system:default/payments"},
		{RelationProvidesAPI, "api:default/payments-api"},
		{RelationDependsOn, "resource:default/payments-db"},
	} {
		if !slices.Contains(svc.Relations, r) {
			t.Errorf("payments-service lacks relation %v: %v", r, svc.Relations)
		}
	}
	g, _ := c.Get("group:payments")
	if !slices.Contains(g.Relations, Relation{RelationOwnerOf, "component:default/payments-service"}) ||
		!slices.Contains(g.Relations, Relation{RelationHasMember, "user:default/alice.moreau"}) ||
		!slices.Contains(g.Relations, Relation{RelationChildOf, "group:default/engineering"}) {
		t.Errorf("group:payments relations = %v", g.Relations)
	}
	db, _ := c.Get("resource:payments-db")
	if !slices.Contains(db.Relations, Relation{RelationDependencyOf, "component:default/payments-service"}) {
		t.Errorf("payments-db relations = %v", db.Relations)
	}
}

func TestSearchRanks(t *testing.T) {
	c := examples(t)
	names := func(es []*Entity) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Metadata.Name)
		}
		return out
	}
	cases := []struct {
		q     string
		first string
		has   []string
	}{
		{"checkout-service", "checkout-service", nil},
		{"payments", "payments", []string{"payments-service", "payments-ledger", "payments-api"}},
		{"pci", "", []string{"payments-service", "payments-ledger", "payments-db"}},
		{"chekout", "checkout", []string{"checkout-service", "checkout-web"}},
		{"ledger", "payments-ledger", nil},
		{"warehouse postgres", "reports-warehouse", nil},
		{"Grace", "grace.kim", nil},
		{"fraud model", "fraud-scoring", nil},
		// Typos: a letter mistyped, two letters swapped, two edits.
		{"chackout", "", []string{"checkout-service", "checkout-web", "checkout"}},
		{"chekcout", "", []string{"checkout-service", "checkout-web", "checkout"}},
		{"checkout-servcie", "checkout-service", nil},
		{"paymnets ledgre", "payments-ledger", nil},
		{"warehuose", "reports-warehouse", nil},
	}
	for _, tc := range cases {
		got := names(c.Search(tc.q, 10))
		if len(got) == 0 {
			t.Errorf("Search(%q) found nothing", tc.q)
			continue
		}
		if tc.first != "" && got[0] != tc.first {
			t.Errorf("Search(%q) = %v, want %s first", tc.q, got, tc.first)
		}
		for _, h := range tc.has {
			if !slices.Contains(got, h) {
				t.Errorf("Search(%q) = %v, missing %s", tc.q, got, h)
			}
		}
	}
	if got := c.Search("payments", 3); len(got) != 3 {
		t.Errorf("Search n=3 gave %d", len(got))
	}
	for _, nothing := range []string{"zzzzqqq", "chxxxxut", "pyy"} {
		if got := c.Search(nothing, 10); len(got) != 0 {
			t.Errorf("Search(%q) = %v", nothing, names(got))
		}
	}
	if got := c.Search("zzzzqqq", 10); len(got) != 0 {
		t.Errorf("Search(nonsense) = %v", names(got))
	}
	if got := c.Search("  ", 10); got != nil {
		t.Errorf("Search(blank) = %v", names(got))
	}
}

func TestSearchRanksTyposLast(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.yaml": group("t") + "---\n" +
		component("sevrice-b", "t") + "---\n" + component("service-a", "t") + "---\n" + component("unrelated", "t")})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	var got []string
	for _, e := range c.Search("servce", 0) {
		got = append(got, e.Metadata.Name)
	}
	// service-a holds "servce" with a letter left out; sevrice-b only
	// within two edits (a swap and a left-out letter).
	if !slices.Equal(got, []string{"service-a", "sevrice-b"}) {
		t.Errorf("Search(servce) = %v", got)
	}
}

func TestEditsWithin(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		k    int
		want int
	}{
		{"checkout", "checkout", 2, 0},
		{"chackout", "checkout", 2, 1},
		{"chekcout", "checkout", 2, 1},
		{"chkout", "checkout", 2, 2},
		{"checkuot", "checkout", 1, 1},
		{"cehkcout", "checkout", 2, 2},
		{"chxxxxut", "checkout", 2, -1},
		{"ab", "abcd", 1, -1},
		{"", "ab", 2, 2},
		{"ca", "abc", 2, -1}, // 3 with swaps that may not overlap (OSA)
	} {
		if got := editsWithin(tc.a, tc.b, tc.k); got != tc.want {
			t.Errorf("editsWithin(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.k, got, tc.want)
		}
	}
	if got := editsWithin(strings.Repeat("a", 70), strings.Repeat("a", 70), 2); got != -1 {
		t.Errorf("overlong words: %d", got)
	}
}

func TestSuggest(t *testing.T) {
	c := examples(t)
	for in, want := range map[string]string{
		"checkout-servce":  "checkout-service",
		"chekout-service":  "checkout-service",
		"payment-service":  "payments-service",
		"reports":          "reports-etl",
		"xyzzy-completely": "",
	} {
		if got := c.Suggest(in, KindComponent); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := c.Suggest("paymnts", KindGroup); got != "payments" {
		t.Errorf("Suggest(paymnts, Group) = %q", got)
	}
}

func TestConfigValidateAndEnv(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AddLocations(strings.Split(" extra/one.yaml, examples/catalog ,extra/two,", ",")...)
	var targets []string
	for _, l := range cfg.Locations {
		targets = append(targets, l.Target)
	}
	if !slices.Equal(targets, []string{"examples/catalog", "extra/one.yaml", "extra/two"}) {
		t.Errorf("locations after AddLocations = %v", targets)
	}

	gh := Config{Locations: []LocationConfig{{Target: "https://github.com/acme/payments/blob/main/catalog/all.yaml", Type: LocationGitHub}}, AdminGroups: []string{"platform"}}
	if err := gh.Validate(); err != nil {
		t.Fatal(err)
	}
	if l := gh.Locations[0]; l.Repo != "acme/payments" || l.Ref != "main" || l.Path != "catalog/all.yaml" {
		t.Errorf("github URL location = %+v", l)
	}
	if gh.AdminGroups[0] != "group:default/platform" || gh.Refresh != DefaultRefresh {
		t.Errorf("defaults: %+v", gh)
	}

	// A GitHub URL is a GitHub location without saying so, in the config
	// file and in PLATBOT_CATALOG, not a local path.
	for _, target := range []string{
		"https://github.com/acme/payments/blob/main/catalog/all.yaml",
		"https://github.com/acme/payments/blob/main/catalog/all.yaml#L3",
	} {
		untyped := Config{Locations: []LocationConfig{{Target: target}}}
		if err := untyped.Validate(); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if l := untyped.Locations[0]; l.Type != LocationGitHub || l.Repo != "acme/payments" || l.Ref != "main" || l.Path != "catalog/all.yaml" ||
			l.locationName(untyped.GitHubHost) != "url:https://github.com/acme/payments/blob/main/catalog/all.yaml" {
			t.Errorf("untyped github URL location = %+v", l)
		}
	}
	env := DefaultConfig()
	env.Locations = append(env.Locations, LocationConfig{Repo: "acme/checkout", Ref: "v2", Path: "catalog-info.yaml"})
	env.AddLocations("https://github.com/acme/payments/blob/main/catalog/all.yaml", "extra/local", "https://github.com/acme/checkout/blob/v2/catalog-info.yaml")
	if err := env.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(env.Locations) != 4 {
		t.Fatalf("locations after AddLocations = %+v", env.Locations)
	}
	if l := env.Locations[2]; l.Type != LocationGitHub || l.Repo != "acme/payments" || l.Ref != "main" || l.Path != "catalog/all.yaml" {
		t.Errorf("PLATBOT_CATALOG github URL = %+v", l)
	}
	if l := env.Locations[3]; l.Type != LocationFile || l.Target != "extra/local" {
		t.Errorf("PLATBOT_CATALOG folder = %+v", l)
	}

	for name, bad := range map[string]Config{
		"file type with a github URL": {Locations: []LocationConfig{{Type: LocationFile, Target: "https://github.com/acme/payments/blob/main/x.yaml"}}},
		"other URL":                   {Locations: []LocationConfig{{Target: "https://gitlab.com/acme/payments/-/blob/main/x.yaml"}}},
		"github URL without a file":   {Locations: []LocationConfig{{Type: LocationGitHub, Target: "https://github.com/acme/payments"}}},
		"refresh":                     {Refresh: "every tuesday"},
		"kind rule":                   {Rules: []KindRule{{Allow: []string{"Componnent"}}}},
		"repo":                        {Locations: []LocationConfig{{Repo: "acme"}}},
		"type":                        {Locations: []LocationConfig{{Type: "s3", Target: "x"}}},
		"no target":                   {Locations: []LocationConfig{{Type: LocationFile}}},
		"managerFrom":                 {ManagerFrom: []string{"hr-system"}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, bad)
		}
	}
}

// examples/platbot.yaml names the example's organisation files explicitly;
// the catalog it loads is the one of the single-list default.
func TestExamplesWithOrganizationConfigured(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Organization = []LocationConfig{{Target: examplesDir + "/org.yaml"}, {Target: examplesDir + "/people.yaml"}}
	cfg.Locations = []LocationConfig{{Target: examplesDir}}
	c, err := New(cfg, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ps := c.Errors(); len(ps) > 0 {
		t.Fatalf("problems:\n%s", problemsText(ps))
	}
	def := examples(t)
	refs := func(c *Catalog) []string {
		var out []string
		for _, e := range c.List("") {
			out = append(out, e.Ref())
		}
		return out
	}
	if got, want := refs(c), refs(def); !slices.Equal(got, want) {
		t.Errorf("entities differ:\n%v\n%v", got, want)
	}
	for _, u := range []string{"U0PLATPRIYA", "U0PAYBOB"} {
		a, _ := c.Identify(t.Context(), botUser(u))
		b, _ := def.Identify(t.Context(), botUser(u))
		if !slices.Equal(a.Groups, b.Groups) || !slices.Equal(a.Roles, b.Roles) || a.UserRef == "" {
			t.Errorf("%s: %+v vs %+v", u, a, b)
		}
	}
	// The payments team's own file is a team file in both.
	if e, ok := c.Get("payments-service"); !ok || !strings.HasSuffix(e.Source.File, "teams/payments/catalog-info.yaml") {
		t.Errorf("payments-service = %v", e)
	}
}
