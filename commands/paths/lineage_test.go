package paths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/paths/template"
)

// newDBRun runs new-db for orders-db as jane and returns the run and the
// GitOps repository's folder.
func newDBRun(t *testing.T, e *env) (*Run, string) {
	t.Helper()
	if errs := e.submit(userJane, e.form(userJane, "new-db"), newDBValues("orders-db")); errs != nil {
		t.Fatalf("valid submission rejected: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	return r, filepath.Join(e.dir, "gitops")
}

func TestLineageRecordedWithTheFilesAndInTheStore(t *testing.T) {
	e := newEnv(t, envOptions{})
	r, repo := newDBRun(t, e)
	branch := r.Branch()
	file := LineageDir + "/orders-db/new-db.yaml"
	l, err := parseLineage(file, []byte(git(t, repo, "show", branch+":"+file)))
	if err != nil {
		t.Fatal(err)
	}
	if l.Service != "orders-db" || l.Template != "new-db" || l.Version != e.approved("new-db").Hash || l.Run != r.ID ||
		l.Owner != "group:default/payments" || l.Inputs["name"] != "orders-db" || l.Inputs["size"] != "medium" {
		t.Fatalf("lineage file:\n%+v", l)
	}
	if len(l.Outputs) != 1 || !l.Outputs[0].GitOps() || l.Outputs[0].File != file {
		t.Fatalf("outputs %+v", l.Outputs)
	}
	// Every file of the pull request, with the hash of what was generated.
	files := strings.Split(withoutLineage(git(t, repo, "ls-tree", "-r", "--name-only", branch)), "\n")
	if len(l.Outputs[0].Files) != len(files) {
		t.Fatalf("lineage lists %d files, the branch has %d: %v", len(l.Outputs[0].Files), len(files), l.Outputs[0].Files)
	}
	for _, f := range files {
		if got, want := l.Outputs[0].Files[f], fileHash(git(t, repo, "show", branch+":"+f)+"\n"); got != want {
			t.Errorf("%s: hash %s, want %s", f, got, want)
		}
	}
	// The catalog entity names the template.
	var ent struct {
		Metadata struct {
			Annotations map[string]string
		}
	}
	if err := yaml.Unmarshal([]byte(git(t, repo, "show", branch+":databases/orders-db/catalog-info.yaml")), &ent); err != nil {
		t.Fatal(err)
	}
	if ent.Metadata.Annotations[AnnotationTemplate] != "new-db" {
		t.Fatalf("catalog entity annotations %v", ent.Metadata.Annotations)
	}
	// The store has the same lineage.
	it, err := e.paths.lineages().Get(e.ctx, "orders-db/new-db")
	if err != nil {
		t.Fatal(err)
	}
	if it.Value.Version != l.Version || it.Value.Run != r.ID || len(it.Value.Outputs) != 1 || len(it.Value.Outputs[0].Files) != len(files) {
		t.Fatalf("stored lineage %+v", it.Value)
	}
}

// TestLineageReadBackAfterARestore drops the database: the lineage comes
// back from the GitOps repository alone, and is stored again.
func TestLineageReadBackAfterARestore(t *testing.T) {
	e := newEnv(t, envOptions{})
	r, repo := newDBRun(t, e)
	git(t, repo, "update-ref", "refs/heads/main", r.Branch()) // the pull request is merged
	before, err := e.paths.lineages().Get(e.ctx, "orders-db/new-db")
	if err != nil {
		t.Fatal(err)
	}

	restored := newEnv(t, envOptions{gitops: repo})
	if _, err := restored.paths.lineages().Get(restored.ctx, "orders-db/new-db"); err == nil {
		t.Fatal("the new database already has the lineage")
	}
	ls, err := restored.paths.serviceLineage(restored.ctx, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 {
		t.Fatalf("%d lineages read back", len(ls))
	}
	got, want := ls[0], before.Value
	if got.ID() != want.ID() || got.Version != want.Version || got.Run != want.Run || got.Owner != want.Owner ||
		len(got.Inputs) != len(want.Inputs) || got.Inputs["name"] != "orders-db" || !got.Created.Equal(want.Created) {
		t.Fatalf("read back %+v\nwant %+v", got, want)
	}
	if len(got.Outputs) != 1 || len(got.Outputs[0].Files) != len(want.Outputs[0].Files) {
		t.Fatalf("outputs read back %+v\nwant %+v", got.Outputs, want.Outputs)
	}
	for f, h := range want.Outputs[0].Files {
		if got.Outputs[0].Files[f] != h {
			t.Errorf("%s: %s, want %s", f, got.Outputs[0].Files[f], h)
		}
	}
	if _, err := restored.paths.lineages().Get(restored.ctx, "orders-db/new-db"); err != nil {
		t.Fatalf("the lineage read back is not stored again: %v", err)
	}
	if _, err := restored.st.GetRecord(restored.ctx, KindLineageHead, "orders-db/new-db"); err != nil {
		t.Fatalf("the lineage read back is not in drift's records: %v", err)
	}
}

// TestLineageRestoredAtStartAfterARestore: a bot starting on a database
// with no lineage reads every service's lineage back from the GitOps
// repository, so drift knows them again without anyone upgrading.
func TestLineageRestoredAtStartAfterARestore(t *testing.T) {
	e := newEnv(t, envOptions{})
	r, repo := newDBRun(t, e)
	git(t, repo, "update-ref", "refs/heads/main", r.Branch())

	restored := newEnv(t, envOptions{gitops: repo})
	if err := restored.paths.Resume(restored.ctx); err != nil {
		t.Fatal(err)
	}
	restored.drain()
	it, err := restored.paths.lineages().Get(restored.ctx, "orders-db/new-db")
	if err != nil || it.Value.Run != r.ID {
		t.Fatalf("lineage after the start: %+v, %v", it, err)
	}
	if _, err := restored.st.GetRecord(restored.ctx, KindLineageHead, "orders-db/new-db"); err != nil {
		t.Fatalf("drift's record after the start: %v", err)
	}
}

func TestAnnotateEntityKeepsTheFile(t *testing.T) {
	in := "# the team's comment\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger-api\n  annotations:\n    platbot.dev/template: new-service\nspec:\n  owner: group:default/payments\n"
	out, ok := annotateEntity("catalog-info.yaml", in, "ledger-api", "add-ci-workflow")
	if !ok || !strings.Contains(out, "# the team's comment") || !strings.Contains(out, "platbot.dev/template: new-service,add-ci-workflow") {
		t.Fatalf("annotated (%v):\n%s", ok, out)
	}
	if _, ok := annotateEntity("catalog-info.yaml", out, "ledger-api", "add-ci-workflow"); ok {
		t.Fatal("annotated twice")
	}
	if _, ok := annotateEntity("catalog-info.yaml", in, "other", "new-db"); ok {
		t.Fatal("annotated another entity")
	}
	if _, ok := annotateEntity("values.yaml", in, "ledger-api", "new-db"); ok {
		t.Fatal("annotated a file that is no catalog file")
	}
}

// TestLineageSubjectOfTheExamplePaths: which service a run is about, and
// what tells it apart from the template's other runs for that service.
func TestLineageSubjectOfTheExamplePaths(t *testing.T) {
	for _, c := range []struct {
		template      string
		params        map[string]any
		service, name string
	}{
		{"new-service", map[string]any{"name": "ledger-api", "owner": "group:default/payments"}, "ledger-api", ""},
		{"new-db", map[string]any{"name": "orders-db", "dependencyOf": "component:default/orders-service"}, "orders-db", ""},
		{"new-cache", map[string]any{"service": "component:default/orders-service", "name": "sessions", "environment": "prod-eu"}, "orders-service", "sessions"},
		{"new-migration", map[string]any{"database": "resource:default/orders-db", "migration": "add_refunds"}, "orders-db", "add-refunds"},
		{"new-api-endpoint", map[string]any{"component": "component:default/orders-api", "method": "POST", "path": "/orders/{orderId}/refunds", "summary": "Refund an order"},
			"orders-api", "post-orders-orderid-refunds"},
		{"new-cron-job", map[string]any{"jobName": "orders-export", "service": "component:default/orders-service", "schedule": "0 3 * * 1-5"}, "orders-service", "orders-export-0-3-1-5"},
	} {
		tm, err := template.Load(os.DirFS("../../examples/templates"), c.template+"/template.yaml", "")
		if err != nil {
			t.Fatal(err)
		}
		if svc, name := subject(tm, c.params); svc != c.service || name != c.name {
			t.Errorf("%s: subject %q, %q; want %q, %q", c.template, svc, name, c.service, c.name)
		}
	}
	// A long one is cut, and two that differ past the cut stay apart.
	tm, err := template.Load(os.DirFS("../../examples/templates"), "new-api-endpoint/template.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	params := func(path string) map[string]any {
		return map[string]any{"component": "component:default/orders-api", "method": "GET", "path": path}
	}
	a := runName(tm, params("/organisations/{organisationId}/accounts/{accountId}/statements"), "component")
	b := runName(tm, params("/organisations/{organisationId}/accounts/{accountId}/statements/{statementId}"), "component")
	if len(a) > 48 || len(b) > 48 || a == b || !strings.HasPrefix(a, "get-organisations-organisationid-accoun-") {
		t.Errorf("long names %q and %q", a, b)
	}
}
