package golden

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	// The generated clients import the runtime; the test builds one against
	// the version go.mod names, from the module cache.
	_ "github.com/oapi-codegen/runtime"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/actions"
	tmpl "github.com/platbot/platbot/commands/paths/template"
)

const sdkSpec = `openapi: 3.1.0
info:
  title: Orders
  version: "1.0"
paths:
  /orders:
    get:
      operationId: listOrders
      parameters:
        - name: limit
          in: query
          schema:
            type: integer
      responses:
        "200":
          description: The orders
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: "#/components/schemas/Order"
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters:
        - name: orderId
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: The order
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Order"
components:
  schemas:
    Order:
      type: object
      required: [id, total]
      properties:
        id:
          type: string
        total:
          type: number
        note:
          type: [string, "null"]
`

// sdkStep is the step as the template fills it (endpointStep's inputs:
// the service orders-api, language go).
func sdkStep(over map[string]any) *actions.StepContext { return endpointStep(over) }

func TestSDKRun(t *testing.T) {
	repos := defaultRepos()
	repos["acme/orders-api"]["api/openapi.yaml"] = sdkSpec
	a := sdkAction{d: endpointAction(t, repos).d}
	sc := sdkStep(map[string]any{"spec": "api/openapi.yaml"})
	out, err := a.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(sdkSpec))
	if out["path"] != "sdk/go/ordersapiclient/client.gen.go" || out["sha256"] != hex.EncodeToString(sum[:]) ||
		out["repoUrl"] != "github.example?owner=acme&repo=orders-api" || len(sc.Files) != 1 {
		t.Fatalf("output %v, files %v", out, fileNames(sc.Files))
	}
	code := sc.Files["sdk/go/ordersapiclient/client.gen.go"]
	first, _, _ := strings.Cut(code, "\n")
	if !regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`).MatchString(first) || !strings.Contains(first, "sha256 "+hex.EncodeToString(sum[:])) ||
		!strings.Contains(first, "api/openapi.yaml") {
		t.Fatalf("header %q", first)
	}
	for _, want := range []string{"package ordersapiclient", "type Order struct", "func (c *Client) GetOrder(ctx context.Context, orderId string", "func NewClientWithResponses("} {
		if !strings.Contains(code, want) {
			t.Errorf("client lacks %q", want)
		}
	}
	buildGeneratedClient(t, "ordersapiclient", code)
}

func TestSDKRefusals(t *testing.T) {
	repos := defaultRepos()
	repos["acme/orders-api"]["broken.yaml"] = "openapi: 3.1.0\ninfo:\n  title: x\npaths: {}\n"
	repos["acme/orders-api"]["swagger.yaml"] = "swagger: \"2.0\"\ninfo:\n  title: x\n  version: \"1\"\npaths: {}\n"
	for _, c := range []struct {
		over        map[string]any
		field, want string
	}{
		{map[string]any{"language": "typescript"}, "language", `platbot generates Go clients only (with oapi-codegen), not "typescript"`},
		{map[string]any{"package": "Orders-Client"}, "package", `"Orders-Client" is not a Go package name`},
		{map[string]any{"component": "ledger"}, "component", "owned by group:default/checkout"},
		{map[string]any{"component": "bare"}, "component", "acme/bare has no OpenAPI document at openapi.yaml"},
		{map[string]any{"spec": "broken.yaml"}, "component", "is not valid OpenAPI"},
		{map[string]any{"spec": "swagger.yaml"}, "component", "clients are generated from 3.0 and 3.1 documents"},
	} {
		sc := sdkStep(c.over)
		_, err := sdkAction{d: endpointAction(t, repos).d}.Plan(context.Background(), sc)
		var fields bot.FieldErrors
		if err == nil || !errors.As(err, &fields) || len(fields) != 1 || !strings.Contains(fields[c.field], c.want) {
			t.Errorf("%v: plan err = %v (fields %v), want %s: %q", c.over, err, fields, c.field, c.want)
		}
		if len(sc.Files) != 0 {
			t.Errorf("%v: files %v", c.over, fileNames(sc.Files))
		}
	}
	if probs := (sdkAction{}).Check(nil, tmpl.StepSpec{Input: map[string]any{"language": "java"}}); strings.Join(probs, "; ") != `input.component is missing; input.language "java": platbot generates Go clients only` {
		t.Fatalf("problems %q", probs)
	}
}

// buildGeneratedClient builds and vets the generated package in a new
// module that requires the runtime at the version go.mod names (which
// this test imports, so it is in the module cache), resolved from the
// module cache only (no network).
func buildGeneratedClient(t *testing.T, pkg, code string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/oapi-codegen/runtime (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod does not require the oapi-codegen runtime")
	}
	version := string(m[1])
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":               "module example.com/sdk\n\ngo 1.22\n\nrequire github.com/oapi-codegen/runtime " + version + "\n",
		pkg + "/client.gen.go": code,
	}
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
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOTOOLCHAIN=local", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
