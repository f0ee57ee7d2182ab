package paths

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/golden"
	"github.com/platbot/platbot/integrations/gitlocal"
	"github.com/platbot/platbot/integrations/gitops"
	"github.com/platbot/platbot/store"
)

// endpointRepos are local repositories that the action also reads, as
// the bot's (cmd/platbot/adapters.go) are.
type endpointRepos struct{ e2eRepos }

func (r endpointRepos) ReadFile(ctx context.Context, owner, name, p string) ([]byte, error) {
	return r.r.ReadFile(ctx, owner, name, p)
}

func (r endpointRepos) ListDir(ctx context.Context, owner, name, p string) ([]string, error) {
	return r.r.ListDir(ctx, owner, name, p)
}

const endpointSpec = `openapi: 3.1.0
info:
  title: Orders
  version: "1.0"
# Orders by id.
paths:
  /orders/{id}:
    get:
      operationId: getOrder
      summary: One order
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: The order
`

// seedEndpointRepos creates a local git repository for each of repos
// (owner/name) under a new directory, each with one commit holding
// endpointSpec as openapi.yaml and docs as the service's API docs page,
// and returns the directory.
func seedEndpointRepos(t *testing.T, docs string, repos ...string) string {
	t.Helper()
	reposDir := filepath.Join(t.TempDir(), "repos")
	for _, r := range repos {
		dir := filepath.Join(reposDir, r)
		if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "init", "--quiet", "--initial-branch=main")
		for name, content := range map[string]string{"openapi.yaml": endpointSpec, "docs/api.md": docs} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git(t, dir, "add", ".")
		git(t, dir, "-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "init")
	}
	return reposDir
}

// /plat new-api-endpoint, from the form to the pull request in the
// service's own repository (local git): the branch holds the OpenAPI
// document with the operation (loaded and validated with kin-openapi, the
// comment kept), the handler, the route and policies and the docs;
// a path and method the document has, a bad path and another team's
// service get a field error and create nothing.
func TestNewAPIEndpointPath(t *testing.T) {
	cat := newCatalog(t,
		catalogtest.Component("orders-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/orders-api"),
		catalogtest.Component("ledger", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/ledger"),
	)
	reposDir := seedEndpointRepos(t, "# Orders API\n", "acme/orders-api", "acme/ledger")
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, repos: endpointRepos{e2eRepos{gitops.LocalRepositories(reposDir)}}})
	e.approve(t, "new-api-endpoint")
	repo := filepath.Join(reposDir, "acme/orders-api")

	f := e.form(userJane, "new-api-endpoint")
	if errs := e.submit(userJane, f, bot.Values{
		"component": {"orders-api"}, "method": {"POST"}, "path": {"/orders/{orderId}/refunds"}, "summary": {"Refund an order"},
		"auth": {"jwt"}, "jwksUri": {"https://auth.example.com/.well-known/jwks.json"}, "rateLimit": {"90"},
	}); errs != nil {
		t.Fatalf("valid submission refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-api-endpoint"
	route := "orders-api-post-orders-by-order-id-refunds"
	want := strings.Join([]string{"deploy/gateway/" + route + ".yaml", "docs/api.md", "internal/handlers/post_orders_by_order_id_refunds.go", "openapi.yaml"}, "\n")
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != want {
		t.Fatalf("files changed on %s:\n%s", branch, files)
	}
	spec := git(t, repo, "show", branch+":openapi.yaml") + "\n"
	doc, err := golden.LoadOpenAPI31(context.Background(), []byte(spec))
	if err != nil {
		t.Fatalf("%v\n%s", err, spec)
	}
	if op := doc.Paths.Value("/orders/{orderId}/refunds").Post; op == nil || op.Summary != "Refund an order" || doc.Paths.Value("/orders/{id}").Get == nil ||
		!strings.Contains(spec, "# Orders by id.") {
		t.Fatalf("document:\n%s", spec)
	}
	gw := git(t, repo, "show", branch+":deploy/gateway/"+route+".yaml")
	for _, w := range []string{"kind: HTTPRoute", "kind: BackendTrafficPolicy", "requests: 90", "kind: SecurityPolicy", "uri: https://auth.example.com/.well-known/jwks.json"} {
		if !strings.Contains(gw, w) {
			t.Errorf("gateway manifests lack %q:\n%s", w, gw)
		}
	}
	if d := git(t, repo, "show", branch+":docs/api.md"); !strings.HasPrefix(d, "# Orders API\n\n## `POST /orders/{orderId}/refunds`") {
		t.Errorf("docs:\n%s", d)
	}
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := lr.FindPullRequest(context.Background(), branch)
	if err != nil || pr == nil || pr.Title != "api: POST /orders/{orderId}/refunds" || !strings.Contains(pr.Body, "90 requests a minute and jwt authentication") {
		t.Fatalf("pull request %+v %v", pr, err)
	}

	// After a database restore, the named run's lineage (the endpoint's)
	// is read back from the service's own repository once merged.
	lineages, err := e.paths.lineages().List(e.ctx, store.Query{Key: "orders-api"})
	if err != nil || len(lineages) != 1 || lineages[0].Value.Name == "" {
		t.Fatalf("lineage of the run: %+v, %v", lineages, err)
	}
	rec := lineages[0].Value
	git(t, repo, "merge", "--quiet", "--ff-only", branch)
	restored := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, repos: endpointRepos{e2eRepos{gitops.LocalRepositories(reposDir)}}})
	ls, err := restored.paths.serviceLineage(restored.ctx, "orders-api")
	if err != nil || len(ls) != 1 {
		t.Fatalf("read back after a restore: %+v, %v", ls, err)
	}
	if got := ls[0]; got.ID() != rec.ID() || got.Version != rec.Version || got.Run != r.ID || len(got.Outputs) != 1 ||
		len(got.Outputs[0].Files) != len(rec.Outputs[0].Files) {
		t.Fatalf("read back %+v\nwant %+v", got, rec)
	}

	branches := func() string {
		return git(t, repo, "branch", "--list", "plat/*") + "|" + git(t, filepath.Join(reposDir, "acme/ledger"), "branch", "--list", "plat/*")
	}
	before := branches()
	base := bot.Values{"component": {"orders-api"}, "method": {"GET"}, "summary": {"x"}, "auth": {"none"}, "rateLimit": {"10"}}
	with := func(k, v string) bot.Values {
		out := bot.Values{}
		for kk, vv := range base {
			out[kk] = vv
		}
		out[k] = []string{v}
		return out
	}
	for _, c := range []struct {
		values      bot.Values
		field, want string
	}{
		{with("path", "/orders/{id}"), "path", "GET /orders/{id} is already in the OpenAPI document"},
		{with("path", "/orders/{orderId}"), "path", "is already in the OpenAPI document (as GET /orders/{id})"},
		{with("path", "orders"), "path", `"orders" is not an endpoint path: it starts with /`},
		{func() bot.Values { v := with("path", "/ledger"); v["component"] = []string{"ledger"}; return v }(), "component",
			`"ledger" is not one of the choices`},
	} {
		errs := e.submit(userJane, e.form(userJane, "new-api-endpoint"), c.values)
		if !strings.Contains(errs[c.field], c.want) || len(errs) != 1 {
			t.Errorf("%v: field errors %v, want %s: %q", c.values, errs, c.field, c.want)
		}
	}
	if n := len(e.runs()); n != 1 {
		t.Fatalf("%d runs after refused submissions, want 1", n)
	}
	if after := branches(); after != before {
		t.Fatalf("refused submissions created branches:\n%s\nwas:\n%s", after, before)
	}
}
