package hygiene_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/catalog"
)

// component is a Component document; extra lines go under metadata
// (annotations) and spec.
func component(name, owner, lifecycle string, annotations map[string]string, spec ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\n", name)
	if len(annotations) > 0 {
		b.WriteString("  annotations:\n")
		for _, k := range sortedKeys(annotations) {
			fmt.Fprintf(&b, "    %s: %q\n", k, annotations[k])
		}
	}
	fmt.Fprintf(&b, "spec:\n  type: service\n  lifecycle: %s\n  owner: %s\n", lifecycle, owner)
	for _, s := range spec {
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// conventional are the annotations that satisfy every convention.
var conventional = map[string]string{"finops/cost-tag": "label:service=x", "pagerduty.com/service-id": "P1"}

func group(name string, channel string, members ...string) string {
	s := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: " + name + "\n"
	if channel != "" {
		s += "  annotations:\n    slack.com/channel: \"" + channel + "\"\n"
	}
	s += "spec:\n  type: team\n  children: []\n"
	if len(members) > 0 {
		s += "  members: [" + strings.Join(members, ", ") + "]\n"
	}
	return s
}

func user(name, slackID, group string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: " + name +
		"\n  annotations:\n    slack.com/user-id: \"" + slackID + "\"\nspec:\n  memberOf: [" + group + "]\n"
}

func system(name, owner string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: " + name + "\nspec:\n  owner: " + owner + "\n"
}

// fixture is a catalog with one entity for each kind of finding, over two
// configured locations: the folder org/ and the file fragile.yaml.
type fixture struct {
	dir     string
	cat     *catalog.Catalog
	fragile string
}

// orgDocs are the documents of org/catalog.yaml; drop names documents to
// leave out (to make them vanish).
func orgDocs(drop ...string) string {
	docs := map[string]string{
		"groups": group("payments", "#payments", "alice") + "---\n" + group("platform", "#platform") + "---\n" + group("ghosts", "#ghosts"),
		"alice":  user("alice", "U1", "payments"),
		"bob":    user("bob", "U2", "payments"),
		"carol":  user("carol", "U3", "platform"),
		"dave":   user("dave", "U4", "payments"),
		"erin":   user("erin", "U5", "platform"),
		"system": system("shop", "payments"),
		// On-call set on the owning group, as the example catalog does:
		// the component needs none of its own.
		"oncall": "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: oncall\n  annotations:\n    pagerduty.com/service-id: PGRP\nspec:\n  type: team\n  children: []\n---\n" +
			user("finn", "U6", "oncall") + "---\n" +
			component("covered", "oncall", "production", map[string]string{"finops/cost-tag": "label:service=covered"}, "system: shop"),
		// No finding.
		"checkout": component("checkout", "payments", "production", conventional, "system: shop"),
		// No deploy in over a year.
		"legacy": component("legacy", "payments", "production", conventional, "system: shop"),
		// No deploy known at all: not flagged.
		"unknown-deploys": component("unknown-deploys", "payments", "production", conventional, "system: shop"),
		// Owner not in the catalog.
		"nobody": component("nobody", "group:default/disbanded", "production", conventional, "system: shop"),
		// Owner with a deactivated Slack account.
		"carols": component("carols", "user:carol", "production", conventional, "system: shop"),
		// Owner who vanished from the organisation source (dave is dropped).
		"daves": component("daves", "user:dave", "production", conventional, "system: shop"),
		// Owning group with no members.
		"haunted": component("haunted", "ghosts", "production", conventional, "system: shop"),
		// Missing conventions.
		"bare": "# Started in 2023, never finished.\n" + component("bare", "payments", "production", nil),
		// Deprecated, still used; and deprecated, idle.
		"old-api":   component("old-api", "payments", "deprecated", conventional, "system: shop"),
		"quiet-api": component("quiet-api", "payments", "deprecated", conventional, "system: shop"),
		// Marked orphan by its annotation.
		"marked": component("marked", "payments", "production", map[string]string{"backstage.io/orphan": "true", "finops/cost-tag": "label:service=m", "pagerduty.com/service-id": "P2"}, "system: shop"),
		// Vanishes from its location (dropped).
		"gone": component("gone", "payments", "production", conventional, "system: shop"),
	}
	order := []string{"groups", "alice", "bob", "carol", "dave", "erin", "system", "oncall", "checkout", "legacy", "unknown-deploys", "nobody", "carols", "daves", "haunted", "bare", "old-api", "quiet-api", "marked", "gone"}
	var out []string
	for _, k := range order {
		skip := false
		for _, d := range drop {
			skip = skip || d == k
		}
		if !skip {
			out = append(out, docs[k])
		}
	}
	return strings.Join(out, "---\n")
}

// fragileDoc is the file of the location that fails: its component would
// be flagged for everything if it were looked at.
const fragileDoc = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: fragile\nspec:\n  type: service\n  lifecycle: deprecated\n  owner: ghosts\n"

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, fragile: filepath.Join(dir, "fragile.yaml")}
	if err := os.MkdirAll(filepath.Join(dir, "org"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.write(t, "org/catalog.yaml", orgDocs())
	f.write(t, "fragile.yaml", fragileDoc)
	cfg := catalog.DefaultConfig()
	cfg.Locations = []catalog.LocationConfig{{Target: filepath.Join(dir, "org")}, {Target: f.fragile}}
	cfg.AdminGroups = []string{"platform"}
	var err error
	f.cat, err = catalog.New(cfg, catalog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	f.refresh(t)
	if errs := f.cat.Errors(); len(errs) > 0 {
		for _, p := range errs {
			if p.Severity == catalog.SeverityError {
				t.Fatalf("fixture problem: %s", p)
			}
		}
	}
	return f
}

func (f *fixture) write(t testing.TB, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) refresh(t testing.TB) {
	t.Helper()
	if _, err := f.cat.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// degrade drops dave and gone from the organisation file and removes the
// fragile location's file, then refreshes: dave and gone are orphans of a
// healthy location, fragile an orphan of a failed one.
func (f *fixture) degrade(t testing.TB) {
	t.Helper()
	f.write(t, "org/catalog.yaml", orgDocs("dave", "gone"))
	if err := os.Remove(f.fragile); err != nil {
		t.Fatal(err)
	}
	f.refresh(t)
}
