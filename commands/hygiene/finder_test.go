package hygiene_test

import (
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/hygiene"
)

var (
	scanNow  = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	rules    = hygiene.Rules{NoDeployAfter: 365 * 24 * time.Hour, RequiredAnnotations: []string{"finops/cost-tag"}, OnCallAnnotations: []string{"pagerduty.com/service-id"}}
	recently = scanNow.AddDate(0, -1, 0)
)

func entities(c *catalog.Catalog) []*catalog.Entity { return append(c.List(""), c.Orphans()...) }

func fixtureInput(f *fixture) hygiene.Input {
	return hygiene.Input{
		Now: scanNow, Entities: entities(f.cat), Locations: f.cat.LocationStatuses(),
		Deactivated: map[string]bool{"user:default/carol": true, "user:default/alice": false},
		Deploys: map[string]hygiene.Deploy{
			"component:default/checkout": {Known: true, At: recently},
			"component:default/legacy":   {Known: true, At: scanNow.AddDate(-1, -2, 0)},
			// fragile's would flag it, were its location healthy.
			"component:default/fragile": {Known: true, At: scanNow.AddDate(-3, 0, 0)},
			// A provider that could not tell is no "no deploy".
			"component:default/unknown-deploys": {Known: false},
		},
		Usage: map[string]hygiene.Usage{
			"component:default/old-api":   {Requests: 1200, RequestsKnown: true, CostKnown: false},
			"component:default/quiet-api": {Requests: 0, RequestsKnown: true, Cost: 0, CostKnown: true},
			"component:default/fragile":   {Requests: 5, RequestsKnown: true},
		},
	}
}

func TestFindEachKind(t *testing.T) {
	f := newFixture(t)
	f.degrade(t)
	rep := hygiene.Find(fixtureInput(f), rules)

	got := map[string]string{}
	for _, fd := range rep.Findings {
		key := fd.Kind + " " + fd.Entity
		if _, dup := got[key]; dup {
			t.Errorf("finding %s twice", key)
		}
		got[key] = fd.Why
		if fd.ID != hygiene.FindingID(fd.Kind, fd.Entity) {
			t.Errorf("%s: id %s", key, fd.ID)
		}
	}
	want := map[string]string{
		"orphan component:default/gone":               "no longer found in file:",
		"orphan component:default/marked":             `annotated backstage.io/orphan: "true"`,
		"orphan user:default/dave":                    "no longer found",
		"unresolved-owner component:default/nobody":   "group:default/disbanded is not in the catalog",
		"owner-left component:default/carols":         "user:default/carol has a deactivated Slack account",
		"owner-left component:default/daves":          "user:default/dave vanished from the organisation source",
		"owner-left component:default/haunted":        "group:default/ghosts has no remaining members",
		"no-deploy component:default/legacy":          "last deployed 2025-08-01, 426 days ago",
		"deprecated-in-use component:default/old-api": "deprecated, but 1,200 requests in the last 30 days",
		"missing-conventions component:default/bare":  "missing spec.system, finops/cost-tag, an on-call annotation (pagerduty.com/service-id)",
	}
	for k, why := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing finding %s", k)
			continue
		}
		if !strings.Contains(g, why) {
			t.Errorf("%s: why = %q, want it to contain %q", k, g, why)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s: %s", k, got[k])
		}
	}
	// Nothing from the failed location, which the report names.
	for _, fd := range rep.Findings {
		if strings.Contains(fd.Entity, "fragile") {
			t.Errorf("flagged %s from the failed location", fd.Entity)
		}
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Location != "file:"+f.fragile || rep.Skipped[0].Entities != 1 || rep.Skipped[0].Error == "" {
		t.Errorf("skipped = %+v, want the fragile location with its one entity and error", rep.Skipped)
	}
	// Findings carry their team (the owning group) and source.
	for _, fd := range rep.Findings {
		switch fd.Entity {
		case "component:default/legacy", "component:default/bare":
			if fd.Team != "group:default/payments" || fd.Source.File == "" || fd.Source.Line == 0 {
				t.Errorf("%s: team %q source %+v", fd.Entity, fd.Team, fd.Source)
			}
		case "component:default/carols":
			if fd.Team != "group:default/platform" {
				t.Errorf("carols (owned by a user of platform): team %q", fd.Team)
			}
		case "component:default/nobody":
			if fd.Team != "" {
				t.Errorf("nobody: team %q, want none (platform channel only)", fd.Team)
			}
		}
	}
	// platform's members are carol (deactivated) and erin: it has one left.
	if _, ok := got["owner-left group:default/platform"]; ok || rep.TeamScanned["group:default/platform"] == 0 {
		t.Errorf("platform flagged, or none of its entities counted: %v", rep.TeamScanned)
	}
	if rep.Findings[0].Kind != hygiene.KindOrphan || rep.Findings[len(rep.Findings)-1].Kind != hygiene.KindConventions {
		t.Errorf("findings not in kind order: first %s, last %s", rep.Findings[0].Kind, rep.Findings[len(rep.Findings)-1].Kind)
	}
}

func TestFindRules(t *testing.T) {
	f := newFixture(t)
	f.degrade(t)
	count := func(rep hygiene.Report, kind string) int {
		n := 0
		for _, fd := range rep.Findings {
			if fd.Kind == kind {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		name  string
		edit  func(*hygiene.Input, *hygiene.Rules)
		kind  string
		count int
	}{
		{"orphans: the marked one and the two that vanished", func(*hygiene.Input, *hygiene.Rules) {}, hygiene.KindOrphan, 3},
		{"a deploy exactly at the limit counts", func(in *hygiene.Input, r *hygiene.Rules) {
			in.Deploys["component:default/legacy"] = hygiene.Deploy{Known: true, At: scanNow.Add(-r.NoDeployAfter)}
		}, hygiene.KindNoDeploy, 1},
		{"a day short of the limit does not", func(in *hygiene.Input, r *hygiene.Rules) {
			in.Deploys["component:default/legacy"] = hygiene.Deploy{Known: true, At: scanNow.Add(-r.NoDeployAfter + 24*time.Hour)}
		}, hygiene.KindNoDeploy, 0},
		{"no deploy facts at all flag nothing", func(in *hygiene.Input, _ *hygiene.Rules) { in.Deploys = nil }, hygiene.KindNoDeploy, 0},
		{"an unknown Slack account is no deactivation", func(in *hygiene.Input, _ *hygiene.Rules) { in.Deactivated = nil }, hygiene.KindOwnerLeft, 2},
		{"a deactivated only member empties the group", func(in *hygiene.Input, _ *hygiene.Rules) {
			in.Deactivated["user:default/alice"] = true
			in.Deactivated["user:default/bob"] = true
		}, hygiene.KindOwnerLeft, 3 + 8},
		{"cost alone flags a deprecated component", func(in *hygiene.Input, _ *hygiene.Rules) {
			in.Usage["component:default/quiet-api"] = hygiene.Usage{Cost: 12.5, CostKnown: true, Currency: "$"}
		}, hygiene.KindDeprecatedInUse, 2},
		{"unknown usage flags nothing", func(in *hygiene.Input, _ *hygiene.Rules) { in.Usage = nil }, hygiene.KindDeprecatedInUse, 0},
		{"no required annotations", func(_ *hygiene.Input, r *hygiene.Rules) {
			r.RequiredAnnotations, r.OnCallAnnotations = nil, nil
		}, hygiene.KindConventions, 1},
		{"every location failed flags nothing", func(in *hygiene.Input, _ *hygiene.Rules) {
			for i := range in.Locations {
				in.Locations[i].Failed, in.Locations[i].Error = true, "down"
			}
		}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fixtureInput(f)
			in.Locations = append([]catalog.LocationStatus(nil), in.Locations...)
			r := rules
			tc.edit(&in, &r)
			rep := hygiene.Find(in, r)
			n := len(rep.Findings)
			if tc.kind != "" {
				n = count(rep, tc.kind)
			}
			if n != tc.count {
				var got []string
				for _, fd := range rep.Findings {
					got = append(got, fd.Kind+" "+fd.Entity)
				}
				t.Errorf("%d %q findings, want %d: %s", n, tc.kind, tc.count, strings.Join(got, "; "))
			}
		})
	}
}

// A Component without spec.owner and spec.lifecycle misses both
// conventions (with the rest). The catalog refuses such a Component when it
// reads a file, so it is handed to Find directly, as a saved snapshot or
// another source could; its cost reads as the cost feature writes it.
func TestFindMissingOwnerAndLifecycle(t *testing.T) {
	f := newFixture(t)
	in := fixtureInput(f)
	in.Entities = append(in.Entities, &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindComponent,
		Metadata: catalog.Metadata{Name: "loose", Namespace: catalog.DefaultNamespace}, Spec: map[string]any{"type": "service"},
		Source: catalog.Source{Location: in.Locations[0].Location, File: "org/loose.yaml", Line: 1}})
	in.Usage["component:default/quiet-api"] = hygiene.Usage{Cost: 5325.2, CostKnown: true, Currency: "$"}
	rep := hygiene.Find(in, rules)
	var conv, used string
	for _, fd := range rep.Findings {
		switch fd.Kind + " " + fd.Entity {
		case "missing-conventions component:default/loose":
			conv = fd.Why
			if len(fd.Missing) < 2 || fd.Missing[0] != "spec.owner" || fd.Missing[1] != "spec.lifecycle" {
				t.Errorf("missing = %q", fd.Missing)
			}
		case "deprecated-in-use component:default/quiet-api":
			used = fd.Why
		}
	}
	if want := "missing spec.owner, spec.lifecycle, spec.system, finops/cost-tag, an on-call annotation"; !strings.HasPrefix(conv, want) {
		t.Errorf("loose: why = %q, want it to start with %q", conv, want)
	}
	if want := "deprecated, but $5,325 of cost in the last 30 days"; used != want {
		t.Errorf("quiet-api: why = %q, want %q", used, want)
	}
}
