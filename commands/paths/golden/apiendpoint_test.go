package golden

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
	tmpl "github.com/platbot/platbot/commands/paths/template"
)

var gatewayCRDs = []string{
	"testdata/crds/gateway-api/gateway.networking.k8s.io_httproutes.yaml",
	"testdata/crds/envoy-gateway/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
	"testdata/crds/envoy-gateway/gateway.envoyproxy.io_securitypolicies.yaml",
}

const ordersSpec = `openapi: 3.1.0
# Kept by every change platbot proposes.
info:
  title: Orders
  version: 1.2.0
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

// repoFiles are repositories' default branches held in memory, read as
// the GitHub reader reads them: "owner/repo" → path → content.
type repoFiles map[string]map[string]string

func (f repoFiles) GetFile(_ context.Context, owner, repo, p, ref string) ([]byte, error) {
	if ref != "" {
		return nil, fmt.Errorf("unexpected ref %q", ref)
	}
	if c, ok := f[owner+"/"+repo][p]; ok {
		return []byte(c), nil
	}
	return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
}

func (repoFiles) ListDir(context.Context, string, string, string, string) ([]tmpl.DirEntry, error) {
	return nil, errors.New("not used")
}

func endpointAction(t *testing.T, files repoFiles) apiEndpoint {
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("payments"), catalogtest.Group("checkout"),
		catalogtest.User("jane", "U-jane", "payments"),
		catalogtest.Component("orders-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/orders-api",
			"backstage.io/kubernetes-namespace=orders"),
		catalogtest.Component("ledger", "group:default/checkout", catalog.AnnotationGitHubSlug+"=acme/ledger"),
		catalogtest.Component("old-api", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/old-api"),
		catalogtest.Component("bare", "group:default/payments", catalog.AnnotationGitHubSlug+"=acme/bare"),
	)
	return apiEndpoint{d: actions.Deps{Catalog: cat, GitHub: files, GitHubHost: "github.example"}}
}

func defaultRepos() repoFiles {
	return repoFiles{
		"acme/orders-api": {"openapi.yaml": ordersSpec, "docs/api.md": "# Orders API\n\nHand-written intro.\n"},
		"acme/old-api":    {"openapi.yaml": strings.Replace(ordersSpec, "3.1.0", "3.0.3", 1)},
		"acme/bare":       {},
	}
}

// endpointStep is the step as the template fills it: each input from the
// parameter of the same name.
func endpointStep(over map[string]any) *actions.StepContext {
	in := map[string]any{
		"component": "component:default/orders-api", "method": "POST", "path": "/orders/{orderId}/refunds",
		"summary": "Refund an order", "auth": "jwt", "rateLimit": 120, "language": "go",
		"jwksUri": "https://auth.example.com/.well-known/jwks.json",
	}
	for k, v := range over {
		in[k] = v
	}
	sc := migrationStep(in)
	sc.RawInput = map[string]any{}
	for k := range in {
		sc.RawInput[k] = "${{ parameters." + k + " }}"
	}
	return sc
}

func TestAPIEndpointRun(t *testing.T) {
	ctx := context.Background()
	a := endpointAction(t, defaultRepos())
	sc := endpointStep(nil)
	out, err := a.Run(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	route := "orders-api-post-orders-by-order-id-refunds"
	if out["repoUrl"] != "github.example?owner=acme&repo=orders-api" || out["operationId"] != "postOrdersByOrderIdRefunds" || out["route"] != route {
		t.Fatalf("output %v", out)
	}
	handlerPath := "internal/handlers/post_orders_by_order_id_refunds.go"
	want := []string{"deploy/gateway/" + route + ".yaml", "docs/api.md", handlerPath, "openapi.yaml"}
	if got := fileNames(sc.Files); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("files %v", got)
	}

	// The document still loads as valid OpenAPI 3.1, keeps what it had and
	// has the new operation.
	doc, err := LoadOpenAPI31(ctx, []byte(sc.Files["openapi.yaml"]))
	if err != nil {
		t.Fatalf("%v\n%s", err, sc.Files["openapi.yaml"])
	}
	if doc.Info.Version != "1.2.0" || doc.Paths.Value("/orders/{id}").Get.OperationID != "getOrder" {
		t.Fatalf("the existing document changed:\n%s", sc.Files["openapi.yaml"])
	}
	op := doc.Paths.Value("/orders/{orderId}/refunds").Post
	if op == nil || op.Summary != "Refund an order" || op.OperationID != "postOrdersByOrderIdRefunds" ||
		len(op.Parameters) != 1 || op.Parameters[0].Value.Name != "orderId" || op.RequestBody == nil ||
		op.Responses.Value("429") == nil || op.Responses.Value("401") == nil || op.Security == nil || len(*op.Security) != 1 {
		t.Fatalf("operation %+v\n%s", op, sc.Files["openapi.yaml"])
	}
	// The YAML keeps its order and comments; the new path comes last.
	if y := sc.Files["openapi.yaml"]; !strings.HasPrefix(y, ordersSpec[:strings.Index(ordersSpec, "  /orders/{id}:")]) ||
		!strings.Contains(y, "  /orders/{id}:\n    get:\n      operationId: getOrder\n") ||
		strings.Index(y, "/orders/{orderId}/refunds:") < strings.Index(y, "/orders/{id}:") {
		t.Fatalf("the document was rewritten:\n%s", y)
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Scheme != "bearer" || s.Value.BearerFormat != "JWT" {
		t.Fatalf("security schemes %v", doc.Components.SecuritySchemes)
	}

	// The handler builds and vets as a package of its own.
	buildGoPackage(t, map[string]string{"handlers/h.go": sc.Files[handlerPath]})
	if !strings.Contains(sc.Files[handlerPath], `mux.HandleFunc("POST /orders/{orderId}/refunds", PostOrdersByOrderIdRefunds)`) {
		t.Fatalf("handler:\n%s", sc.Files[handlerPath])
	}

	// The docs keep what they had and gain the section.
	if d := sc.Files["docs/api.md"]; !strings.HasPrefix(d, "# Orders API\n\nHand-written intro.\n\n## `POST /orders/{orderId}/refunds`\n") ||
		!strings.Contains(d, "120 requests a minute") || !strings.Contains(d, "JWT bearer token") {
		t.Fatalf("docs:\n%s", d)
	}

	// The route and policies are what the API server accepts.
	gw := sc.Files["deploy/gateway/"+route+".yaml"]
	for _, w := range []string{"kind: HTTPRoute", "kind: BackendTrafficPolicy", "kind: SecurityPolicy", "value: ^/orders/[^/]+/refunds$",
		"requests: 120", "unit: Minute", "uri: https://auth.example.com/.well-known/jwks.json", "namespace: orders"} {
		if !strings.Contains(gw, w) {
			t.Errorf("gateway manifests lack %q:\n%s", w, gw)
		}
	}
	goldentest.InstallCRDs(t, gatewayCRDs...)
	goldentest.DryRun(t, gw)
}

// Each auth choice gives manifests the API server accepts: none has no
// SecurityPolicy, api-key reads the keys from the service's Secret.
func TestAPIEndpointAuthChoicesDryRun(t *testing.T) {
	goldentest.InstallCRDs(t, gatewayCRDs...)
	for auth, kinds := range map[string]int{"none": 2, "api-key": 3} {
		sc := endpointStep(map[string]any{"auth": auth, "method": "get", "path": "/orders", "jwksUri": ""})
		if _, err := endpointAction(t, defaultRepos()).Run(context.Background(), sc); err != nil {
			t.Fatal(err)
		}
		gw := sc.Files["deploy/gateway/orders-api-get-orders.yaml"]
		if n := strings.Count(gw, "---\n") + 1; n != kinds || strings.Contains(gw, "kind: SecurityPolicy") != (auth != "none") {
			t.Errorf("%s: %d documents:\n%s", auth, n, gw)
		}
		if auth == "api-key" && (!strings.Contains(gw, "name: orders-api-api-keys") || !strings.Contains(gw, "- X-API-Key")) {
			t.Errorf("api-key:\n%s", gw)
		}
		if !strings.Contains(gw, "type: Exact") || !strings.Contains(gw, "method: GET") {
			t.Errorf("%s: route match:\n%s", auth, gw)
		}
		goldentest.DryRun(t, gw)
	}
}

// The dry run is a real check: a policy with a unit Envoy Gateway does not
// know is refused.
func TestAPIEndpointDryRunWouldCatchABadPolicy(t *testing.T) {
	goldentest.InstallCRDs(t, gatewayCRDs...)
	objs := EndpointGatewayObjects(EndpointGateway{Service: "s", Namespace: "s", Port: 80, Method: "GET", Path: "/x",
		OperationID: "getX", Auth: "none", PerMinute: 5, Gateway: GatewayRef{Name: "gw"}})
	rules := objs[1].Object["spec"].(map[string]any)["rateLimit"].(map[string]any)["local"].(map[string]any)["rules"].([]any)
	rules[0].(map[string]any)["limit"].(map[string]any)["unit"] = "Fortnight"
	b, err := objs[1].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if errs := goldentest.Check(t, string(b)); len(errs) != 1 || !strings.Contains(errs[0].Error(), "Fortnight") {
		t.Fatalf("refusals %v", errs)
	}
}

func TestAPIEndpointRefusals(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		over        map[string]any
		field, want string
	}{
		{map[string]any{"method": "GET", "path": "/orders/{id}"}, "path", "GET /orders/{id} is already in the OpenAPI document"},
		{map[string]any{"method": "GET", "path": "/orders/{orderNo}"}, "path", "GET /orders/{orderNo} is already in the OpenAPI document (as GET /orders/{id})"},
		{map[string]any{"method": "DELETE", "path": "/orders/{orderNo}"}, "path", "the OpenAPI document has this path as /orders/{id}: use its parameter names"},
		{map[string]any{"path": "orders"}, "path", `"orders" is not an endpoint path`},
		{map[string]any{"path": "/orders/../admin"}, "path", "is not an endpoint path"},
		{map[string]any{"path": "/a/{x}/b/{x}"}, "path", "the parameter {x} appears twice"},
		{map[string]any{"method": "TRACE"}, "method", `"TRACE" is not one of GET, POST, PUT, PATCH, DELETE`},
		{map[string]any{"summary": ""}, "summary", "one line of at most 120 characters"},
		{map[string]any{"auth": "basic"}, "auth", `"basic" is not none, jwt or api-key`},
		{map[string]any{"jwksUri": "http://auth.example.com/jwks"}, "jwksUri", "JWT auth needs the issuer's JWKS address"},
		{map[string]any{"rateLimit": 0}, "rateLimit", "must be between 1 and 1000000"},
		{map[string]any{"language": "python"}, "language", `platbot writes handlers in Go (net/http) only, not "python"`},
		{map[string]any{"gateway": "kong"}, "gateway", `"kong" is not a gateway format platbot writes`},
		{map[string]any{"component": "ledger"}, "component", "owned by group:default/checkout, not one of your teams"},
		{map[string]any{"component": "nope"}, "component", "component:default/nope is not in the catalog"},
		{map[string]any{"component": "old-api"}, "component", `acme/old-api's openapi.yaml: is OpenAPI "3.0.3", not 3.1`},
		{map[string]any{"component": "bare"}, "component", "acme/bare has no OpenAPI document at openapi.yaml"},
	} {
		sc := endpointStep(c.over)
		_, err := endpointAction(t, defaultRepos()).Plan(ctx, sc)
		var fields bot.FieldErrors
		if err == nil || !errors.As(err, &fields) || len(fields) != 1 || !strings.Contains(fields[c.field], c.want) {
			t.Errorf("%v: plan err = %v (fields %v), want %s: %q", c.over, err, fields, c.field, c.want)
		}
		if len(sc.Files) != 0 {
			t.Errorf("%v: files %v", c.over, fileNames(sc.Files))
		}
	}
	// A document that is not valid OpenAPI is named with the problem.
	repos := defaultRepos()
	repos["acme/orders-api"]["openapi.yaml"] = "openapi: 3.1.0\ninfo:\n  title: Orders\npaths: {}\n"
	_, err := endpointAction(t, repos).Plan(ctx, endpointStep(nil))
	var fields bot.FieldErrors
	if !errors.As(err, &fields) || !strings.Contains(fields["component"], "is not valid OpenAPI") {
		t.Fatalf("invalid document: %v", err)
	}
	// Without a reader for the repository nothing is guessed.
	a := endpointAction(t, nil)
	a.d.GitHub = nil
	if _, err := a.Plan(ctx, endpointStep(nil)); err == nil || !strings.Contains(err.Error(), "cannot read acme/orders-api's repository") {
		t.Fatalf("no reader: %v", err)
	}
}

// A JSON document stays JSON; an empty paths: {} gets its first path.
func TestAPIEndpointDocumentForms(t *testing.T) {
	ctx := context.Background()
	for name, spec := range map[string]string{
		"json":  `{"openapi": "3.1.0", "info": {"title": "Orders", "version": "1"}, "paths": {}}`,
		"empty": "openapi: 3.1.0\ninfo:\n  title: Orders\n  version: \"1\"\npaths: {}\n",
		"none":  "openapi: 3.1.0\ninfo:\n  title: Orders\n  version: \"1\"\n",
	} {
		repos := defaultRepos()
		repos["acme/orders-api"]["openapi.yaml"] = spec
		sc := endpointStep(map[string]any{"auth": "api-key"})
		if _, err := endpointAction(t, repos).Run(ctx, sc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := sc.Files["openapi.yaml"]
		if (name == "json") != strings.HasPrefix(out, "{") {
			t.Errorf("%s: written as\n%s", name, out)
		}
		doc, err := LoadOpenAPI31(ctx, []byte(out))
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		if doc.Paths.Value("/orders/{orderId}/refunds").Post == nil || doc.Components.SecuritySchemes["apiKey"].Value.Name != "X-API-Key" {
			t.Errorf("%s:\n%s", name, out)
		}
	}
}

func TestOperationIDAndHandler(t *testing.T) {
	for in, want := range map[string]string{
		"GET /orders":                   "getOrders",
		"DELETE /orders/{orderId}":      "deleteOrdersByOrderId",
		"PUT /v1/user-prefs/{k}/values": "putV1UserPrefsByKValues",
		"PATCH /a.b_c":                  "patchABC",
	} {
		m, p, _ := strings.Cut(in, " ")
		if got := OperationID(m, p); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	files := map[string]string{}
	for _, in := range []string{"GET /orders", "DELETE /orders/{orderId}", "PUT /v1/user-prefs/{k}/values"} {
		m, p, _ := strings.Cut(in, " ")
		src, err := GoHandler(OperationID(m, p), m, p, "Does */ things")
		if err != nil {
			t.Fatal(err)
		}
		files["handlers/"+OperationID(m, p)+".go"] = string(src)
	}
	buildGoPackage(t, files)
}

func TestAPIEndpointCheck(t *testing.T) {
	probs := apiEndpoint{}.Check(nil, tmpl.StepSpec{Input: map[string]any{"method": "GET", "gateway": "kong"}})
	if strings.Join(probs, "; ") != `input.component is missing; input.path is missing; input.summary is missing; input.gateway "kong" is not a gateway format platbot writes (known: envoy-gateway)` {
		t.Fatalf("problems %q", probs)
	}
}

// buildGoPackage writes the files into a new module and runs go build and
// go vet on it (standard library only, so nothing is downloaded).
func buildGoPackage(t *testing.T, files map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	files["go.mod"] = "module example.com/svc\n\ngo 1.22\n"
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s\n%v", args[0], err, out, files)
		}
	}
}

// repoReader is Deps.RepoFiles over repoFiles.
type repoReader struct{ f repoFiles }

func (r repoReader) ReadFile(ctx context.Context, owner, repo, p string) ([]byte, error) {
	return r.f.GetFile(ctx, owner, repo, p, "")
}

// Deps.RepoFiles (template render's reader) comes before the GitHub reader.
func TestAPIEndpointReadsRepoFilesFirst(t *testing.T) {
	a := endpointAction(t, repoFiles{})
	a.d.RepoFiles = repoReader{defaultRepos()}
	sc := endpointStep(nil)
	if _, err := a.Run(context.Background(), sc); err != nil || !strings.Contains(sc.Files["openapi.yaml"], "operationId: getOrder") {
		t.Fatalf("run: %v\n%s", err, sc.Files["openapi.yaml"])
	}
}
