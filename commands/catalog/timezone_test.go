package catalog

import (
	"strings"
	"testing"
)

// A team's platbot.dev/timezone is checked at load: an IANA name loads
// with the Group, anything else is an error on its line of its file (and
// the Group is refused, as for any invalid entity).
func TestGroupTimeZoneAnnotation(t *testing.T) {
	const teams = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: berlin
  annotations:
    platbot.dev/timezone: Europe/Berlin
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: nowhere
  annotations:
    platbot.dev/timezone: Mars/Olympus_Mons
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: local
  annotations:
    platbot.dev/timezone: Local
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: zoneless
spec:
  type: team
  children: []
`
	dir := writeFiles(t, map[string]string{"teams.yaml": teams})
	c := newTestCatalog(t, []LocationConfig{{Target: dir}})
	ps := c.Errors()
	want := map[int]string{
		16: `annotation platbot.dev/timezone: "Mars/Olympus_Mons" is not an IANA time zone name`,
		26: `annotation platbot.dev/timezone: "Local" is not an IANA time zone name`,
	}
	if len(ps) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(ps), len(want), problemsText(ps))
	}
	for _, p := range ps {
		if w, ok := want[p.Line]; !ok || p.Severity != SeverityError || !strings.Contains(p.Message, w) || !strings.HasSuffix(p.File, "teams.yaml") {
			t.Errorf("unexpected problem %s:%d %s %q", p.File, p.Line, p.Severity, p.Message)
		}
	}
	berlin, ok := c.Get("group:default/berlin")
	if !ok {
		t.Fatal("the Berlin team did not load")
	}
	if loc, ok := TimeZone(berlin); !ok || loc.String() != "Europe/Berlin" {
		t.Errorf("TimeZone(berlin) = %v, %v", loc, ok)
	}
	zoneless, ok := c.Get("group:default/zoneless")
	if !ok {
		t.Fatal("the team without a zone did not load")
	}
	if loc, ok := TimeZone(zoneless); ok {
		t.Errorf("TimeZone(zoneless) = %v, want none", loc)
	}
	if _, ok := c.Get("group:default/nowhere"); ok {
		t.Error("the team with an invalid zone loaded")
	}
}
