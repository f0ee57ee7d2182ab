package place

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// clustersYAML are four clusters in two regions and two tiers; one is
// cordoned.
const clustersYAML = `clusters:
  - name: use1-prod-a
    server: https://use1-prod-a.k8s.example
    region: us-east-1
    tiers: [tier1]
  - name: use1-prod-b
    server: https://use1-prod-b.k8s.example
    region: us-east-1
    tiers: [tier1]
    cordoned: true
  - name: euw1-prod-a
    destinationName: euw1-prod-a
    region: eu-west-1
    tiers: [tier1]
  - name: use1-shared
    server: https://use1-shared.k8s.example
    region: us-east-1
    tiers: [standard, tier1]
`

func compile(t *testing.T, rules string) (*Placer, error) {
	t.Helper()
	var cfg Config
	if err := yaml.Unmarshal([]byte(clustersYAML+"rules:\n"+rules), &cfg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return Compile(cfg, "placement.yaml")
}

func mustCompile(t *testing.T, rules string) *Placer {
	t.Helper()
	p, err := compile(t, rules)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const rules = `  - name: default
    clusters: [use1-shared]
  - name: tier1-us
    match: {tier: tier1, region: us-east-1}
    clusters: [use1-prod-b, use1-prod-a]
  - name: tier1-eu
    match: {tier: tier1, region: eu-west-1}
    clusters: [euw1-prod-a]
  - name: prod
    match: {environment: prod*}
    clusters: [use1-shared]
  - name: checkout-prod-us-pci
    match: {tier: tier1, region: us-east-1, team: checkout, labels: {pci: "true"}}
    clusters: [use1-prod-a]
`

func TestPlaceMostSpecificWins(t *testing.T) {
	p := mustCompile(t, rules)
	for _, tc := range []struct {
		name    string
		target  Target
		cluster string
		rule    string
		explain string
	}{
		{"no criteria matches everything", Target{Service: "s", Environment: "dev", Tier: "standard"}, "use1-shared", "default",
			"dev → cluster use1-shared: rule `default` matched every environment (it has no criteria)"},
		{"one criterion beats none", Target{Service: "s", Environment: "prod-x", Tier: "standard"}, "use1-shared", "prod",
			"prod-x → cluster use1-shared: rule `prod` matched environment=prod*"},
		{"two criteria beat one; cordoned cluster passed over", Target{Service: "s", Environment: "prod-us", Tier: "tier1", Region: "us-east-1"}, "use1-prod-a", "tier1-us",
			"prod-us → cluster use1-prod-a: rule `tier1-us` matched tier=tier1, region=us-east-1; passed over use1-prod-b (cordoned: it takes no new placements)"},
		{"other region", Target{Service: "s", Environment: "prod-eu", Tier: "tier1", Region: "eu-west-1"}, "euw1-prod-a", "tier1-eu",
			"prod-eu → cluster euw1-prod-a: rule `tier1-eu` matched tier=tier1, region=eu-west-1"},
		{"four criteria (label) beat two", Target{Service: "s", Team: "checkout", Labels: map[string]string{"pci": "true"}, Environment: "prod-us", Tier: "tier1", Region: "us-east-1"}, "use1-prod-a", "checkout-prod-us-pci",
			"prod-us → cluster use1-prod-a: rule `checkout-prod-us-pci` matched tier=tier1, region=us-east-1, team=checkout, label pci=true"},
		{"label value differs: less specific rule", Target{Service: "s", Team: "checkout", Labels: map[string]string{"pci": "false"}, Environment: "prod-us", Tier: "tier1", Region: "us-east-1"}, "use1-prod-a", "tier1-us", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := p.Place(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if d.Cluster.Name != tc.cluster || d.Rule.Name != tc.rule {
				t.Errorf("placed on %s by %s, want %s by %s", d.Cluster.Name, d.Rule.Name, tc.cluster, tc.rule)
			}
			if tc.explain != "" && d.Explain() != tc.explain {
				t.Errorf("explanation\n got %q\nwant %q", d.Explain(), tc.explain)
			}
		})
	}
}

func TestPlaceNoMatch(t *testing.T) {
	p := mustCompile(t, `  - name: tier1-us
    match: {tier: tier1, region: us-east-1}
    clusters: [use1-prod-a]
`)
	_, err := p.Place(Target{Service: "checkout-service", Team: "checkout", Environment: "prod-ap", Tier: "tier1", Region: "ap-south-1"})
	var nm *NoMatchError
	if !errors.As(err, &nm) || nm.Rule != nil {
		t.Fatalf("want a NoMatchError without rule, got %v", err)
	}
	want := "prod-ap of checkout-service: no placement rule matches environment=prod-ap, tier=tier1, region=ap-south-1, team=checkout, no labels"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error\n got %q\nwant prefix %q", err, want)
	}
}

func TestPlaceAllClustersOfRuleCordonedOrUnfit(t *testing.T) {
	p := mustCompile(t, `  - name: tier1
    match: {tier: tier1}
    clusters: [use1-prod-b, euw1-prod-a]
`)
	_, err := p.Place(Target{Service: "s", Environment: "prod-us", Tier: "tier1", Region: "us-east-1"})
	var nm *NoMatchError
	if !errors.As(err, &nm) || nm.Rule == nil || nm.Rule.Name != "tier1" {
		t.Fatalf("want a NoMatchError naming rule tier1, got %v", err)
	}
	for _, want := range []string{"rule `tier1` (line 20) matched", "use1-prod-b (cordoned: it takes no new placements)", "euw1-prod-a (in eu-west-1, not us-east-1)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The same environment without a region fits the EU cluster.
	d, err := p.Place(Target{Service: "s", Environment: "prod", Tier: "tier1"})
	if err != nil || d.Cluster.Name != "euw1-prod-a" {
		t.Fatalf("got %+v, %v", d, err)
	}
}

func TestFit(t *testing.T) {
	p := mustCompile(t, rules)
	tg := Target{Environment: "prod-us", Tier: "tier1", Region: "us-east-1"}
	for name, want := range map[string]string{
		"use1-prod-a": "",
		"use1-prod-b": "cordoned: it takes no new placements",
		"euw1-prod-a": "in eu-west-1, not us-east-1",
		"use1-shared": "",
	} {
		c, _ := p.Cluster(name)
		if got := Fit(c, tg); got != want {
			t.Errorf("Fit(%s) = %q, want %q", name, got, want)
		}
	}
	c, _ := p.Cluster("use1-shared")
	c2 := *c
	c2.Tiers = []string{"standard"}
	if got := Fit(&c2, tg); got != "takes only standard, not tier1" {
		t.Errorf("tier misfit: %q", got)
	}
}

func TestCompileRefusesTies(t *testing.T) {
	for _, tc := range []struct {
		name, rules, want string
	}{
		{"two defaults", `  - name: a
    clusters: [use1-shared]
  - name: b
    clusters: [use1-shared]
`, `placement.yaml:22: rules "a" (line 20) and "b" (line 22) tie: both have 0 criteria and both match every environment`},
		{"different criteria, same count", `  - name: us
    match: {tier: tier1, region: us-east-1}
    clusters: [use1-prod-a]
  - name: checkout-prod
    match: {team: checkout, environment: prod*}
    clusters: [use1-shared]
`, `placement.yaml:23: rules "us" (line 20) and "checkout-prod" (line 23) tie: both have 2 criteria and both match tier=tier1, region=us-east-1, environment=prod*, team=checkout`},
		{"overlapping environment patterns", `  - name: prod
    match: {environment: prod*}
    clusters: [use1-shared]
  - name: prod-us
    match: {environment: prod-us}
    clusters: [use1-shared]
`, `placement.yaml:23: rules "prod" (line 20) and "prod-us" (line 23) tie: both have 1 criteria and both match environment=prod-us`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compile(t, tc.rules)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error\n got %v\nwant prefix %q", err, tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Line == 0 {
				t.Errorf("want an *Error with the line, got %T", err)
			}
		})
	}
	// Exclusive rules of equal specificity are fine.
	mustCompile(t, `  - name: us
    match: {tier: tier1, region: us-east-1}
    clusters: [use1-prod-a]
  - name: eu
    match: {tier: tier1, region: eu-west-1}
    clusters: [euw1-prod-a]
  - name: dev
    match: {environment: dev}
    clusters: [use1-shared]
  - name: staging
    match: {environment: staging*}
    clusters: [use1-shared]
`)
}

func TestCompileRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct{ name, rules, want string }{
		{"unknown cluster", "  - name: r\n    clusters: [use1-prod-c]\n", `placement.yaml:20: rule "r" names cluster "use1-prod-c", which is not defined (did you mean "use1-prod-a"?)`},
		{"region misfit", "  - name: r\n    match: {region: eu-west-1}\n    clusters: [use1-prod-a]\n", `placement.yaml:20: rule "r" matches region=eu-west-1 but its cluster "use1-prod-a" is in us-east-1`},
		{"tier misfit", "  - name: r\n    match: {tier: standard}\n    clusters: [use1-prod-a]\n", `placement.yaml:20: rule "r" matches tier=standard but its cluster "use1-prod-a" takes only tier1`},
		{"no clusters", "  - name: r\n", `placement.yaml:20: rule "r" names no clusters`},
		{"bad pattern", "  - name: r\n    match: {environment: '*prod'}\n    clusters: [use1-shared]\n", `placement.yaml:20: rule "r": environment "*prod" may only end in *`},
		{"duplicate rule", "  - name: r\n    clusters: [use1-shared]\n  - name: r\n    match: {tier: tier1}\n    clusters: [use1-shared]\n", `placement.yaml:22: rule "r" is defined twice (first at line 20)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compile(t, tc.rules)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
	var cfg Config
	err := yaml.Unmarshal([]byte("clusters:\n  - name: a\n    servre: https://x\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), `line 3: unknown key "servre" in a cluster`) {
		t.Errorf("unknown cluster key: %v", err)
	}
	err = yaml.Unmarshal([]byte("rules:\n  - name: a\n    match:\n      tire: tier1\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), `line 4: unknown key "tire" in a rule match`) {
		t.Errorf("unknown match key: %v", err)
	}
	for _, c := range []struct{ yaml, want string }{
		{"  - name: a\n    region: r\n    tiers: [t]\n", `cluster "a" needs exactly one Argo CD destination`},
		{"  - name: a\n    server: s\n    destinationName: a\n    region: r\n    tiers: [t]\n", `cluster "a" needs exactly one Argo CD destination`},
		{"  - name: a\n    server: s\n    tiers: [t]\n", `cluster "a" has no region`},
		{"  - name: a\n    server: s\n    region: r\n", `cluster "a" lists no tiers`},
	} {
		var cfg Config
		if err := yaml.Unmarshal([]byte("clusters:\n"+c.yaml), &cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(cfg, "f.yaml"); err == nil || err.Error() != "f.yaml:2: "+c.want+errTail(err, c.want) {
			t.Errorf("got %v, want f.yaml:2: %s…", err, c.want)
		}
	}
}

// errTail is what err says after want (so a test can compare the start).
func errTail(err error, want string) string {
	if err == nil {
		return ""
	}
	_, tail, _ := strings.Cut(err.Error(), want)
	return tail
}

// benchConfig is 50 clusters in 5 regions and 2 tiers (every seventh
// cordoned), and 200 rules: one per (team, tier, region) for 19 teams, one
// per sandbox environment, and a default over every cluster.
func benchConfig() Config {
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"}
	tiers := []string{"tier1", "standard"}
	var cfg Config
	for i := 0; i < 50; i++ {
		cfg.Clusters = append(cfg.Clusters, Cluster{
			Name: fmt.Sprintf("c%02d", i), Server: fmt.Sprintf("https://c%02d.example", i),
			Region: regions[i%5], Tiers: []string{tiers[(i/5)%2]}, Cordoned: i%7 == 3,
		})
	}
	clustersIn := func(region, tier string) []string {
		var out []string
		for _, c := range cfg.Clusters {
			if c.Region == region && c.Tiers[0] == tier {
				out = append(out, c.Name)
			}
		}
		return out
	}
	for team := 0; team < 19; team++ {
		for _, tier := range tiers {
			for _, region := range regions {
				cfg.Rules = append(cfg.Rules, Rule{
					Name:     fmt.Sprintf("team%d-%s-%s", team, tier, region),
					Match:    Match{Team: fmt.Sprintf("team%d", team), Tier: tier, Region: region},
					Clusters: clustersIn(region, tier),
				})
			}
		}
	}
	for len(cfg.Rules) < 199 {
		i := len(cfg.Rules)
		cfg.Rules = append(cfg.Rules, Rule{Name: fmt.Sprintf("env%d", i), Match: Match{Environment: fmt.Sprintf("sandbox-%d", i)}, Clusters: []string{"c05"}})
	}
	var all []string
	for _, c := range cfg.Clusters {
		all = append(all, c.Name)
	}
	cfg.Rules = append(cfg.Rules, Rule{Name: "default", Clusters: all})
	return cfg
}

// benchTargets are 10,000 services × 4 environments.
func benchTargets() []Target {
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"}
	var out []Target
	for s := 0; s < 10000; s++ {
		svc, team := fmt.Sprintf("svc-%d", s), fmt.Sprintf("team%d", s%25)
		labels := map[string]string{"lang": "go"}
		out = append(out,
			Target{Service: svc, Team: team, Labels: labels, Environment: "dev", Tier: "standard", Region: regions[s%5]},
			Target{Service: svc, Team: team, Labels: labels, Environment: "staging", Tier: "standard", Region: regions[(s+1)%5]},
			Target{Service: svc, Team: team, Labels: labels, Environment: "prod-a", Tier: "tier1", Region: regions[(s+2)%5]},
			Target{Service: svc, Team: team, Labels: labels, Environment: "prod-b", Tier: "tier1", Region: regions[(s+3)%5]},
		)
	}
	return out
}

func TestBenchConfigPlacesEverything(t *testing.T) {
	p, err := Compile(benchConfig(), "bench")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules()) != 200 || len(p.Clusters()) != 50 {
		t.Fatalf("%d rules, %d clusters", len(p.Rules()), len(p.Clusters()))
	}
	byRule := map[string]int{}
	for _, tg := range benchTargets() {
		d, err := p.Place(tg)
		if err != nil {
			t.Fatal(err)
		}
		if d.Cluster.Cordoned {
			t.Fatalf("%s placed on cordoned %s", tg.Environment, d.Cluster.Name)
		}
		byRule[d.Rule.Name]++
	}
	// Teams 0-18 have rules; 19-24 fall to the default.
	if byRule["default"] != 10000*4/25*6 {
		t.Errorf("default placed %d, want %d", byRule["default"], 10000*4/25*6)
	}
}

// BenchmarkPlace places 10,000 services × 4 environments over 50 clusters
// and 200 rules per iteration.
func BenchmarkPlace(b *testing.B) {
	p, err := Compile(benchConfig(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	targets := benchTargets()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, tg := range targets {
			if _, err := p.Place(tg); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestReservedClusters(t *testing.T) {
	const reserved = `  - name: tier1-us
    match: {tier: tier1, region: us-east-1}
    clusters: [use1-prod-a]
  - name: payments-us
    match: {tier: tier1, region: us-east-1, team: payments}
    clusters: [use1-shared, use1-prod-a]
    reserved: [use1-shared]
`
	p := mustCompile(t, reserved)
	pay := Target{Service: "pay", Team: "payments", Environment: "prod", Tier: "tier1", Region: "us-east-1"}
	d, err := p.Place(pay)
	if err != nil || d.Cluster.Name != "use1-shared" {
		t.Fatalf("payments placed on %v, %v; want its reserved use1-shared", d.Cluster, err)
	}
	c, _ := p.Cluster("use1-shared")
	if why := p.Fit(c, pay, nil); why != "" {
		t.Errorf("the reserving rule's target does not fit: %s", why)
	}
	other := Target{Service: "checkout", Team: "checkout", Environment: "prod", Tier: "tier1", Region: "us-east-1"}
	const want = "reserved for rule `payments-us` (tier=tier1, region=us-east-1, team=payments), which does not match it"
	if why := p.Fit(c, other, nil); why != want {
		t.Errorf("Fit of another team's target:\n got %q\nwant %q", why, want)
	}
	if got := p.Reserved("use1-shared"); len(got) != 1 || got[0] != "payments-us" {
		t.Errorf("Reserved = %v", got)
	}
	// Fit without the placer ignores reservations (as before).
	if why := Fit(c, other); why != "" {
		t.Errorf("package Fit: %q", why)
	}

	for _, tc := range []struct{ name, rules, want string }{
		{"not its cluster", "  - name: r\n    clusters: [use1-shared]\n    reserved: [use1-prod-a]\n",
			`placement.yaml:20: rule "r" reserves cluster "use1-prod-a", which is not among its clusters (use1-shared)`},
		{"listed by another rule", reserved + "  - name: standard\n    match: {tier: standard}\n    clusters: [use1-shared]\n",
			`placement.yaml:27: rule "standard" lists cluster "use1-shared", which rule "payments-us" (line 23) reserves`},
		{"unknown key", "  - name: r\n    clusters: [use1-shared]\n    reserve: [use1-shared]\n", `unknown key "reserve" in a rule`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg Config
			err := yaml.Unmarshal([]byte(clustersYAML+"rules:\n"+tc.rules), &cfg)
			if err == nil {
				_, err = Compile(cfg, "placement.yaml")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestCapacity(t *testing.T) {
	var cfg Config
	if err := yaml.Unmarshal([]byte(clustersYAML+"rules:\n"+rules), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Clusters[0].Capacity = 2 // use1-prod-a
	p, err := Compile(cfg, "placement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{Service: "s", Environment: "prod-us", Tier: "tier1", Region: "us-east-1"}
	loads := func(n int) Load { return func(c string) int { return map[string]int{"use1-prod-a": n}[c] } }
	if d, err := p.PlaceWith(tg, loads(1)); err != nil || d.Cluster.Name != "use1-prod-a" {
		t.Fatalf("with room: %v, %v", d.Cluster, err)
	}
	_, err = p.PlaceWith(tg, loads(2))
	var nm *NoMatchError
	if !errors.As(err, &nm) || !strings.Contains(err.Error(), "use1-prod-a (full: 2 of 2 placements, it takes no new ones)") ||
		!strings.Contains(err.Error(), "use1-prod-b (cordoned") {
		t.Fatalf("full cluster: %v", err)
	}
	if d, err := p.Place(tg); err != nil || d.Cluster.Name != "use1-prod-a" {
		t.Errorf("Place ignores capacities: %v, %v", d.Cluster, err)
	}
	c, _ := p.Cluster("use1-prod-a")
	if why := p.Fit(c, tg, loads(2)); why != "full: 2 of 2 placements, it takes no new ones" {
		t.Errorf("Fit of a full cluster: %q", why)
	}
	cfg.Clusters[0].Capacity = -1
	if _, err := Compile(cfg, "placement.yaml"); err == nil || !strings.Contains(err.Error(), `placement.yaml:2: cluster "use1-prod-a": capacity -1 is negative`) {
		t.Errorf("negative capacity: %v", err)
	}
}

// A cluster chosen by hand must be one of the matching rule's clusters:
// fitting its region and tier is not enough, and without a matching rule
// no cluster fits.
func TestFitOnlyTheMatchingRulesClusters(t *testing.T) {
	p := mustCompile(t, `  - name: tier1-us
    match: {tier: tier1, region: us-east-1}
    clusters: [use1-prod-a]
  - name: payments-us
    match: {tier: tier1, region: us-east-1, team: payments}
    clusters: [use1-shared]
`)
	pay := Target{Service: "pay", Team: "payments", Environment: "prod", Tier: "tier1", Region: "us-east-1"}
	a, _ := p.Cluster("use1-prod-a")
	shared, _ := p.Cluster("use1-shared")
	const want = "not a cluster of rule `payments-us` (line 23), the rule that matches it (tier=tier1, region=us-east-1, team=payments); its clusters are use1-shared"
	if why := p.Fit(a, pay, nil); why != want {
		t.Errorf("Fit of another rule's cluster:\n got %q\nwant %q", why, want)
	}
	if why := p.Fit(shared, pay, nil); why != "" {
		t.Errorf("Fit of the matching rule's cluster: %q", why)
	}
	eu := Target{Service: "pay", Team: "payments", Environment: "prod-eu", Tier: "tier1", Region: "eu-west-1"}
	euw1, _ := p.Cluster("euw1-prod-a")
	if why := p.Fit(euw1, eu, nil); !strings.HasPrefix(why, "no placement rule matches environment=prod-eu, tier=tier1, region=eu-west-1") {
		t.Errorf("Fit without a matching rule: %q", why)
	}
}
