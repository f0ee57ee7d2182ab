package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	goslack "github.com/slack-go/slack"
)

// TestServeNewAPIEndpointOverSlack runs /plat new-api-endpoint through the
// served bot as Slack does: a method and path the service's OpenAPI
// document already has comes back beside the path field and nothing
// starts; the corrected submission opens the pull request in the
// service's own repository (a local git repository in the data folder, as
// without a GitHub token) with the operation, handler, gateway manifests
// and docs.
func TestServeNewAPIEndpointOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startExamplesBot(t)
	// payments-service's repository (github.com/project-slug acme/payments-service).
	repo := filepath.Join(b.env["PLATBOT_DATA_DIR"], "repos", "acme", "payments-service")
	spec := "openapi: 3.1.0\ninfo:\n  title: Payments\n  version: \"1\"\npaths:\n  /payments:\n    get:\n      summary: List\n      responses:\n        \"200\":\n          description: OK\n"
	git := gitRepo(t, repo, map[string]string{"openapi.yaml": spec})

	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-api-endpoint")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	v := b.openGoldenModal(t, "new-api-endpoint", "component,method,path,summary,auth,rateLimit,jwksUri")
	state := jobState{}
	state.set(t, v.View, "component", "component:default/payments-service", "payments-service")
	state.set(t, v.View, "method", "GET", "GET")
	state.set(t, v.View, "path", "/payments", "")
	state.set(t, v.View, "summary", "List payments", "")
	state.set(t, v.View, "auth", "jwt", "JWT bearer token")
	num, ok := jobInput(v.View, "rateLimit").Element.(*goslack.NumberInputBlockElement)
	if !ok {
		t.Fatalf("rateLimit is not a number input")
	}
	state["rateLimit"] = map[string]any{num.ActionID: map[string]any{"type": "number_input", "value": "60"}}
	state.set(t, v.View, "jwksUri", "https://auth.acme.example/.well-known/jwks.json", "")
	b.submitRefused(t, v, state, repo, "path", "GET /payments is already in the OpenAPI document")

	state.set(t, v.View, "method", "POST", "POST")
	state.set(t, v.View, "path", "/payments/{paymentId}/refunds", "")
	branch := b.submitRun(t, v, state, repo)
	want := "deploy/gateway/payments-service-post-payments-by-payment-id-refunds.yaml\ndocs/api.md\ninternal/handlers/post_payments_by_payment_id_refunds.go\nopenapi.yaml"
	if files := withoutLineageText(git("diff", "--name-only", "main", branch)); files != want {
		t.Fatalf("files changed:\n%s", files)
	}
	if doc := git("show", branch+":openapi.yaml"); !strings.Contains(doc, "/payments/{paymentId}/refunds:\n    post:") {
		t.Fatalf("openapi.yaml:\n%s", doc)
	}
}
