package main

import (
	"os"
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
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "--quiet", "--initial-branch=main")
	spec := "openapi: 3.1.0\ninfo:\n  title: Payments\n  version: \"1\"\npaths:\n  /payments:\n    get:\n      summary: List\n      responses:\n        \"200\":\n          description: OK\n"
	if err := os.WriteFile(filepath.Join(repo, "openapi.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "init")

	if r := b.reply(b.command("U0PLATPRIYA", "template approve new-api-endpoint")); !strings.Contains(r, "Approved template") {
		t.Fatalf("approve: %s", r)
	}
	b.command("U0PAYALICE", "new-api-endpoint")
	open := b.waitCall("views.open", 1)[0]
	if open.Failed() || open.View == nil {
		t.Fatalf("views.open: %+v", open)
	}
	v, _ := b.slack.View(open.ViewID)
	if got := jobInputIDs(v.View); got != "component,method,path,summary,auth,rateLimit,jwksUri" {
		t.Fatalf("inputs = %s", got)
	}
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
	a, raw := b.submit(v, state)
	if a.ResponseAction != "errors" || !strings.Contains(a.Errors["path"], "GET /payments is already in the OpenAPI document") {
		t.Fatalf("a duplicate endpoint answered %s", raw)
	}
	if n := len(b.slack.Calls("chat.postMessage")); n != 0 || git("branch", "--list", "plat/*") != "" {
		t.Fatalf("a refused submission posted %d messages or made a branch", n)
	}

	state.set(t, v.View, "method", "POST", "POST")
	state.set(t, v.View, "path", "/payments/{paymentId}/refunds", "")
	if _, raw = b.submit(v, state); raw != "" {
		t.Fatalf("final submission answered %s, want the modal closed", raw)
	}
	waitReviews(t, b.slack, 1)
	branches := strings.Fields(strings.ReplaceAll(git("branch", "--list", "plat/*"), "*", ""))
	if len(branches) != 1 {
		t.Fatalf("branches %q, want one", branches)
	}
	want := "deploy/gateway/payments-service-post-payments-by-payment-id-refunds.yaml\ndocs/api.md\ninternal/handlers/post_payments_by_payment_id_refunds.go\nopenapi.yaml"
	if files := git("diff", "--name-only", "main", branches[0]); files != want {
		t.Fatalf("files changed:\n%s", files)
	}
	if doc := git("show", branches[0]+":openapi.yaml"); !strings.Contains(doc, "/payments/{paymentId}/refunds:\n    post:") {
		t.Fatalf("openapi.yaml:\n%s", doc)
	}
}
