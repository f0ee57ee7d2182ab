package hygiene_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/hygiene"
)

const multiDoc = `# Payments services. Owned by #payments.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout # the storefront's checkout
  annotations:
    finops/cost-tag: "label:service=checkout"
spec:
  type: service
  lifecycle: production   # promoted 2024-01
  owner: payments
---
# Legacy ledger, kept for audits.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
spec:
  type: service
  owner: payments # no lifecycle yet
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: quoted
spec:
  lifecycle: 'experimental'
  type: service
  owner: payments
`

func TestSetLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name, entity string
		want         []string // lines that must be in the result
		changed      bool
	}{
		{"replaces the value, keeps the comment", "checkout", []string{"  lifecycle: deprecated   # promoted 2024-01\n"}, true},
		{"adds the key with the spec's indentation", "ledger", []string{"spec:\n  lifecycle: deprecated\n  type: service\n  owner: payments # no lifecycle yet\n"}, true},
		{"replaces a quoted value", "quoted", []string{"  lifecycle: deprecated\n  type: service\n"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := hygiene.SetLifecycle([]byte(multiDoc), hygiene.EntityName{Kind: "Component", Name: tc.entity}, "deprecated")
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %v", changed)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("result lacks %q:\n%s", w, out)
				}
			}
			// One line changed or added, everything else byte for byte.
			before, after := strings.Split(multiDoc, "\n"), strings.Split(string(out), "\n")
			diff := len(after) - len(before)
			if diff < 0 || diff > 1 {
				t.Fatalf("%d lines added", diff)
			}
			changedLines := 0
			for i, j := 0, 0; i < len(before); i, j = i+1, j+1 {
				if before[i] == after[j] {
					continue
				}
				changedLines++
				if diff == 1 && after[j+1] == before[i] {
					j++ // the added line
				}
			}
			if diff == 0 && changedLines != 1 || diff == 1 && changedLines != 1 {
				t.Errorf("%d lines differ, want one changed or added:\n%s", changedLines, out)
			}
			for _, c := range []string{"# Payments services. Owned by #payments.", "# the storefront's checkout", "# Legacy ledger, kept for audits."} {
				if !strings.Contains(string(out), c) {
					t.Errorf("comment %q lost", c)
				}
			}
		})
	}
	// Already deprecated: unchanged.
	src := strings.Replace(multiDoc, "lifecycle: production", "lifecycle: deprecated", 1)
	out, changed, err := hygiene.SetLifecycle([]byte(src), hygiene.EntityName{Kind: "component", Name: "checkout"}, "deprecated")
	if err != nil || changed || string(out) != src {
		t.Errorf("already deprecated: changed=%v err=%v", changed, err)
	}
	// Not in the file; flow style spec.
	if _, _, err := hygiene.SetLifecycle([]byte(multiDoc), hygiene.EntityName{Kind: "Component", Name: "nope"}, "deprecated"); !errors.Is(err, hygiene.ErrNotInFile) {
		t.Errorf("missing entity: %v", err)
	}
	flow := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: f\nspec: {type: service, lifecycle: production, owner: x}\n"
	if _, _, err := hygiene.SetLifecycle([]byte(flow), hygiene.EntityName{Kind: "Component", Name: "f"}, "deprecated"); !errors.Is(err, hygiene.ErrUnsupported) {
		t.Errorf("flow-style spec: %v", err)
	}
	// CRLF files keep their line endings.
	crlf := strings.ReplaceAll(multiDoc, "\n", "\r\n")
	out, _, err = hygiene.SetLifecycle([]byte(crlf), hygiene.EntityName{Kind: "Component", Name: "ledger"}, "deprecated")
	if err != nil || !strings.Contains(string(out), "spec:\r\n  lifecycle: deprecated\r\n  type: service\r\n") {
		t.Errorf("CRLF: %v\n%q", err, out)
	}
}

func TestRemoveEntity(t *testing.T) {
	for _, tc := range []struct{ entity, gone, kept string }{
		{"ledger", "# Legacy ledger, kept for audits.", "# Payments services. Owned by #payments."},
		{"checkout", "# the storefront's checkout", "# Legacy ledger, kept for audits."},
		{"quoted", "'experimental'", "# Legacy ledger, kept for audits."},
	} {
		t.Run(tc.entity, func(t *testing.T) {
			out, last, err := hygiene.RemoveEntity([]byte(multiDoc), hygiene.EntityName{Kind: "Component", Name: tc.entity})
			if err != nil || last {
				t.Fatalf("last=%v err=%v", last, err)
			}
			s := string(out)
			if strings.Contains(s, "name: "+tc.entity+"\n") || strings.Contains(s, tc.gone) {
				t.Errorf("%s still there:\n%s", tc.entity, s)
			}
			if !strings.Contains(s, tc.kept) || strings.Count(s, "---\n") != 1 || strings.Count(s, "kind: Component") != 2 {
				t.Errorf("other documents changed:\n%s", s)
			}
			if strings.HasPrefix(s, "---") {
				t.Errorf("starts with a separator:\n%s", s)
			}
		})
	}
	single := "# only one\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: solo\nspec:\n  type: service\n  lifecycle: production\n  owner: x\n"
	out, last, err := hygiene.RemoveEntity([]byte(single), hygiene.EntityName{Kind: "Component", Name: "solo"})
	if err != nil || !last || out != nil {
		t.Errorf("the only entity: last=%v err=%v out=%q", last, err, out)
	}
}

// TestMergedDeletionsRefresh: once a deletion's pull request is merged,
// the next refresh finds the entity gone (an orphan) and nothing broken:
// a file of a folder location that held only it is gone, the configured
// location's file that held only it now holds only the note, and a
// multi-document file keeps its other entities.
func TestMergedDeletionsRefresh(t *testing.T) {
	f := newFixture(t)
	f.write(t, "org/solo.yaml", component("solo", "payments", "production", conventional, "system: shop"))
	f.refresh(t)
	if e, ok := f.cat.Get("solo"); !ok || e.Orphan {
		t.Fatalf("solo before the merge: %+v", e)
	}
	if err := os.Remove(filepath.Join(f.dir, "org", "solo.yaml")); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(f.dir, "org", "catalog.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, last, err := hygiene.RemoveEntity(src, hygiene.EntityName{Kind: "Component", Name: "nobody"})
	if err != nil || last {
		t.Fatal(last, err)
	}
	f.write(t, "org/catalog.yaml", string(out))
	if _, last, err := hygiene.RemoveEntity([]byte(fragileDoc), hygiene.EntityName{Kind: "Component", Name: "fragile"}); err != nil || !last {
		t.Fatalf("fragile is its file's only entity: %v %v", last, err)
	}
	f.write(t, "fragile.yaml", fmt.Sprintf(hygiene.RemovedNote, "hd-del-1"))
	f.refresh(t)
	for _, p := range f.cat.Errors() {
		if p.Severity == catalog.SeverityError {
			t.Errorf("problem after the merge: %s", p)
		}
	}
	for _, name := range []string{"nobody", "fragile", "solo"} {
		if e, ok := f.cat.Get(name); !ok || !e.Orphan {
			t.Errorf("%s after the merge: %+v, want an orphan", name, e)
		}
	}
	if e, ok := f.cat.Get("checkout"); !ok || e.Orphan {
		t.Errorf("checkout lost: %+v", e)
	}
	for _, s := range f.cat.LocationStatuses() {
		if s.Failed {
			t.Errorf("location failed after the merge: %+v", s)
		}
	}
}
