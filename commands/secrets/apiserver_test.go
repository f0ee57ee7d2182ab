package secrets

import (
	"strings"
	"testing"

	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

// externalSecretCRD is external-secrets' ExternalSecret CRD, the fixture
// the golden paths' tests install too (its README says where it is from).
const externalSecretCRD = "../paths/golden/testdata/crds/external-secrets/external-secrets.io_externalsecrets.yaml"

// The ExternalSecret a secret's pull request adds, and the Deployment it
// edits, are accepted by a real kube-apiserver with external-secrets' CRD
// installed (server-side apply, dry run, unknown fields refused). The
// file replaces a v1beta1 ExternalSecret an older platbot wrote at the same
// path, which the API server refuses.
func TestPullRequestManifestsDryRunOnTheAPIServer(t *testing.T) {
	goldentest.InstallCRDs(t, externalSecretCRD)
	path := "apps/orders-service/dev/externalsecret-orders-service-stripe-api-key.yaml"
	old := `apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: orders-service-stripe-api-key
  namespace: payments-dev
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: ClusterSecretStore
    name: vault
  target:
    name: orders-service-stripe-api-key
    creationPolicy: Owner
  data:
    - secretKey: STRIPE_API_KEY
      remoteRef:
        key: payments/orders-service/dev/STRIPE_API_KEY
        property: value
`
	if errs := goldentest.Check(t, old); len(errs) != 1 || !strings.Contains(errs[0].Error(), "v1beta1") {
		t.Fatalf("the API server should refuse the v1beta1 ExternalSecret, got %v", errs)
	}
	// The test's Deployment, made complete enough for the API server.
	dep := strings.Replace(deploymentYAML, "spec:\n  template:\n", "spec:\n  selector:\n    matchLabels:\n      app: orders-service\n  template:\n", 1)
	e := newEnv(t, envOptions{seedRepo: map[string]string{
		"apps/orders-service/dev/deployment.yaml": dep,
		path: old,
	}})
	tok := addAndSeal(t, e, userJane, "orders-service", "dev", "STRIPE_API_KEY", canary(t))
	e.drain()
	_, ch := e.change(tok)
	if ch.PullRequest == nil {
		t.Fatalf("no pull request: %+v", ch)
	}
	es := e.git("show", ch.PullRequest.Branch+":"+path)
	if got := parseExternalSecret(t, es); got.APIVersion != "external-secrets.io/v1" {
		t.Fatalf("the pull request keeps the ExternalSecret at %s:\n%s", got.APIVersion, es)
	}
	goldentest.DryRun(t, es)
	goldentest.DryRun(t, e.git("show", ch.PullRequest.Branch+":apps/orders-service/dev/deployment.yaml"))

	// A rotation's ExternalSecret (force-sync annotation), for a service
	// whose names need rewriting into Kubernetes names.
	s := &Secrets{cfg: DefaultConfig(), kv: &devKV{mount: "secret"}}
	tg := Target{Service: "Orders.V2", Team: "Pay_ments", Env: "prod", Name: "API_KEY", Path: "Pay_ments/Orders.V2/prod/API_KEY"}
	text, err := s.externalSecret(tg, &Change{ID: "012345678901234567890123", Op: OpRotate, Target: tg})
	if err != nil {
		t.Fatal(err)
	}
	if got := parseExternalSecret(t, text); got.Metadata.Annotations["force-sync"] == "" {
		t.Fatalf("no force-sync annotation:\n%s", text)
	}
	goldentest.DryRun(t, text)
}
