package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// platbot template render new-api-endpoint reads the service's OpenAPI
// document from its local repository in the data folder (no GitHub is
// configured), writes the changed document, handler, gateway manifests and
// docs, and refuses a path and method the document already has (exit 1).
func TestTemplateRenderNewAPIEndpoint(t *testing.T) {
	e := testEnv(t, nil)
	dir := filepath.Join(e["PLATBOT_DATA_DIR"], "repos", "acme", "payments-service")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gitLines(t, dir, "init", "--quiet", "--initial-branch=main")
	spec := "openapi: 3.1.0\ninfo:\n  title: Payments\n  version: \"1\"\npaths:\n  /payments:\n    get:\n      summary: List\n      responses:\n        \"200\":\n          description: OK\n"
	if err := os.WriteFile(filepath.Join(dir, "openapi.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	gitLines(t, dir, "add", ".")
	gitLines(t, dir, "-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "init")

	out := t.TempDir()
	args := func(method, path string) []string {
		return []string{"template", "render", "new-api-endpoint", "--as", "dana.whitfield", "--out", out,
			"--set", "component=payments-service", "--set", "method=" + method, "--set", "path=" + path,
			"--set", "summary=Refund a payment", "--set", "auth=api-key", "--set", "rateLimit=60"}
	}
	code, stdout, stderr := runBot(t, e, "", args("POST", "/payments/{paymentId}/refunds")...)
	if code != 0 || !strings.Contains(stdout, "Rendered new-api-endpoint: 4 file(s)") {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	for name, want := range map[string]string{
		"openapi.yaml": "/payments/{paymentId}/refunds:\n    post:",
		"docs/api.md":  "## `POST /payments/{paymentId}/refunds`",
		"deploy/gateway/payments-service-post-payments-by-payment-id-refunds.yaml": "kind: SecurityPolicy",
		"internal/handlers/post_payments_by_payment_id_refunds.go":                 `mux.HandleFunc("POST /payments/{paymentId}/refunds"`,
	} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q (%v):\n%s", name, want, err, b)
		}
	}
	code, stdout, stderr = runBot(t, e, "", args("GET", "/payments")...)
	if code != 1 || !strings.Contains(stderr, "GET /payments is already in the OpenAPI document") {
		t.Errorf("exit %d: %s\n%s", code, stderr, stdout)
	}
}
