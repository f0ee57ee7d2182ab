package paths

import (
	"crypto/sha256"
	"encoding/hex"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/integrations/gitops"
)

// /plat new-sdk, from the form to the pull request in the service's own
// repository (local git): the branch holds the generated Go client, with
// the "DO NOT EDIT" header naming the document's sha256, which parses as
// Go; another language and a missing document get a field error and
// create nothing.
func TestNewSDKPath(t *testing.T) {
	cat := newCatalog(t,
		catalogtest.Component("orders-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/orders-api"),
	)
	reposDir := filepath.Join(t.TempDir(), "repos")
	repo := filepath.Join(reposDir, "acme/orders-api")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "init", "--quiet", "--initial-branch=main")
	if err := os.WriteFile(filepath.Join(repo, "openapi.yaml"), []byte(endpointSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", ".")
	git(t, repo, "-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "init")
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, repos: endpointRepos{e2eRepos{gitops.LocalRepositories(reposDir)}}})
	e.approve(t, "new-sdk")

	if errs := e.submit(userJane, e.form(userJane, "new-sdk"), bot.Values{"component": {"orders-api"}, "language": {"go"}, "package": {"orders"}}); errs != nil {
		t.Fatalf("valid submission refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-sdk"
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != "sdk/go/orders/client.gen.go" {
		t.Fatalf("files changed on %s:\n%s", branch, files)
	}
	code := git(t, repo, "show", branch+":sdk/go/orders/client.gen.go")
	sum := sha256.Sum256([]byte(endpointSpec))
	first, _, _ := strings.Cut(code, "\n")
	if !strings.HasPrefix(first, "// Code generated ") || !strings.HasSuffix(first, "DO NOT EDIT.") || !strings.Contains(first, hex.EncodeToString(sum[:])) {
		t.Fatalf("header %q", first)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "client.gen.go", code, 0)
	if err != nil || f.Name.Name != "orders" || !strings.Contains(code, "func (c *Client) GetOrder(") {
		t.Fatalf("client: %v\n%s", err, code)
	}

	before := git(t, repo, "branch", "--list", "plat/*")
	for _, c := range []struct {
		values      bot.Values
		field, want string
	}{
		{bot.Values{"component": {"orders-api"}, "language": {"typescript"}}, "language", `platbot generates Go clients only (with oapi-codegen), not "typescript"`},
		{bot.Values{"component": {"orders-api"}, "language": {"go"}, "spec": {"api/v2.yaml"}}, "component", "acme/orders-api has no OpenAPI document at api/v2.yaml"},
	} {
		errs := e.submit(userJane, e.form(userJane, "new-sdk"), c.values)
		if !strings.Contains(errs[c.field], c.want) || len(errs) != 1 {
			t.Errorf("%v: field errors %v, want %s: %q", c.values, errs, c.field, c.want)
		}
	}
	if n := len(e.runs()); n != 1 {
		t.Fatalf("%d runs after refused submissions, want 1", n)
	}
	if after := git(t, repo, "branch", "--list", "plat/*"); after != before {
		t.Fatalf("refused submissions created branches:\n%s\nwas:\n%s", after, before)
	}
}
