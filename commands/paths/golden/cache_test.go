package golden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

// The CRDs the cache's manifests need.
var cacheCRDs = []string{
	"../../../examples/crossplane/redisinstances.platform.example.com.yaml",
	"testdata/crds/external-secrets/external-secrets.io_externalsecrets.yaml",
}

// cacheRepo is a GitOps repository's base branch held in memory.
type cacheRepo map[string]string

func (r cacheRepo) ReadFile(_ context.Context, p string) ([]byte, error) {
	if c, ok := r[p]; ok {
		return []byte(c), nil
	}
	return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
}

func (r cacheRepo) ListDir(_ context.Context, dir string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for p := range r {
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
			n, _, _ := strings.Cut(rest, "/")
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("list %s: %w", dir, fs.ErrNotExist)
	}
	return out, nil
}

// checkoutDeployment is the service's Deployment as a team keeps it, with
// comments the edit must keep.
const checkoutDeployment = `# checkout-service in prod: owned by the checkout team.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout-service
  namespace: checkout-service
spec:
  replicas: 3 # raised for the sale
  selector:
    matchLabels:
      app.kubernetes.io/name: checkout-service
  template:
    metadata:
      labels:
        app.kubernetes.io/name: checkout-service
    spec:
      containers:
        - name: app
          image: ghcr.io/example/checkout-service:1.4.2
          env:
            # The payment provider's sandbox until launch.
            - name: PAYMENTS_URL
              value: https://sandbox.payments.example.com
`

const checkoutDeploymentPath = "teams/checkout/checkout-service/prod/deployment.yaml"

func cacheStep(input map[string]any) *actions.StepContext {
	raw := map[string]any{}
	for k := range input {
		raw[k] = "${{ parameters." + k + " }}"
	}
	return &actions.StepContext{Run: actions.Run{ID: "r1", RequesterRef: "user:default/erik", Owner: "group:default/checkout"},
		StepKey: "cache", Input: input, RawInput: raw, Files: map[string]string{}, Executable: map[string]bool{}}
}

func cacheInput() map[string]any {
	return map[string]any{"service": "component:default/checkout-service", "name": "sessions", "environment": "prod",
		"size": "medium", "highAvailability": true, "evictionPolicy": "volatile-lru"}
}

func cacheAction(t *testing.T, repo cacheRepo) actions.Action {
	d := environmentDeps(t, nil)
	d.GitOpsFiles = repo
	return newCacheActions(d)[ActionCache]
}

func TestCacheClaimSecretDashboardAndDeploymentEnv(t *testing.T) {
	goldentest.InstallCRDs(t, cacheCRDs...)
	a := cacheAction(t, cacheRepo{checkoutDeploymentPath: checkoutDeployment})
	sc := cacheStep(cacheInput())
	plan, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	dir := "teams/checkout/checkout-service/prod/cache-sessions-"
	if len(sc.Files) != 4 {
		t.Fatalf("files: %v", cacheFileNames(sc.Files))
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "add "+dir+"redis-instance.yaml (the RedisInstance claim checkout-service-sessions of checkout-service in prod)") ||
		!strings.Contains(got, "edit "+checkoutDeploymentPath+": the container reads SESSIONS_REDIS_HOST, _PORT and _PASSWORD from checkout-service-sessions-redis") {
		t.Errorf("effects:\n%s", got)
	}
	finops := func(what string, l map[string]string) {
		if l["finops/team"] != "checkout" || l["finops/service"] != "checkout-service" || l["platform.example.com/environment"] != "prod" {
			t.Errorf("%s labels %v", what, l)
		}
	}

	// The claim: the platform's RedisInstance, strictly as typed here.
	var claim struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name, Namespace string
			Labels          map[string]string `json:"labels"`
			Annotations     map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			Size                       string `json:"size"`
			HighAvailability           bool   `json:"highAvailability"`
			EvictionPolicy             string `json:"evictionPolicy"`
			PublishConnectionDetailsTo struct {
				Name      string `json:"name"`
				ConfigRef struct {
					Name string `json:"name"`
				} `json:"configRef"`
			} `json:"publishConnectionDetailsTo"`
		} `json:"spec"`
	}
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"redis-instance.yaml"]), &claim); err != nil {
		t.Fatal(err)
	}
	if claim.APIVersion != "platform.example.com/v1" || claim.Kind != "RedisInstance" || claim.Metadata.Name != "checkout-service-sessions" ||
		claim.Metadata.Namespace != "checkout-service" || claim.Spec.Size != "medium" || !claim.Spec.HighAvailability ||
		claim.Spec.EvictionPolicy != "volatile-lru" || claim.Spec.PublishConnectionDetailsTo.Name != "checkout-service-prod-cache-sessions" ||
		claim.Spec.PublishConnectionDetailsTo.ConfigRef.Name != "vault" || claim.Metadata.Annotations["finops/cost-tag"] != "service=checkout-service" {
		t.Errorf("claim %+v", claim)
	}
	finops("claim", claim.Metadata.Labels)

	// The ExternalSecret reads what the claim publishes.
	var es struct {
		APIVersion, Kind string
		Metadata         struct {
			Name, Namespace string
			Labels          map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			RefreshInterval string            `json:"refreshInterval"`
			SecretStoreRef  map[string]string `json:"secretStoreRef"`
			Target          map[string]string `json:"target"`
			Data            []struct {
				SecretKey string            `json:"secretKey"`
				RemoteRef map[string]string `json:"remoteRef"`
			} `json:"data"`
		} `json:"spec"`
	}
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"external-secret.yaml"]), &es); err != nil {
		t.Fatal(err)
	}
	if es.APIVersion != "external-secrets.io/v1" || es.Metadata.Name != "checkout-service-sessions-redis" || es.Spec.Target["name"] != "checkout-service-sessions-redis" || len(es.Spec.Data) != 3 {
		t.Fatalf("external secret %+v", es)
	}
	for i, want := range [][2]string{{"host", "endpoint"}, {"port", "port"}, {"password", "password"}} {
		if d := es.Spec.Data[i]; d.SecretKey != want[0] || d.RemoteRef["property"] != want[1] || d.RemoteRef["key"] != "crossplane/checkout-service-prod-cache-sessions" {
			t.Errorf("data[%d] %+v", i, d)
		}
	}
	finops("external secret", es.Metadata.Labels)

	// The dashboard: a ConfigMap the Grafana sidecar loads, its JSON a
	// dashboard over the cache's metrics.
	var cm corev1.ConfigMap
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"dashboard.yaml"]), &cm); err != nil {
		t.Fatal(err)
	}
	var dash grafanaDashboard
	dec := json.NewDecoder(strings.NewReader(cm.Data["checkout-service-sessions-redis.json"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if cm.Labels["grafana_dashboard"] != "1" || len(dash.Panels) != 6 || !strings.Contains(dash.Panels[0].Targets[0].Expr, `cache="checkout-service-sessions"`) {
		t.Errorf("dashboard %v %+v", cm.Labels, dash)
	}
	finops("dashboard", cm.Labels)

	// The Deployment: three env entries added, every comment and value kept.
	dep := sc.Files[checkoutDeploymentPath]
	for _, keep := range []string{"# checkout-service in prod: owned by the checkout team.", "replicas: 3 # raised for the sale", "# The payment provider's sandbox until launch."} {
		if !strings.Contains(dep, keep) {
			t.Errorf("the edit lost %q:\n%s", keep, dep)
		}
	}
	var d appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(dep), &d); err != nil {
		t.Fatal(err)
	}
	env := d.Spec.Template.Spec.Containers[0].Env
	if len(env) != 4 || env[0].Name != "PAYMENTS_URL" {
		t.Fatalf("env %+v", env)
	}
	for i, want := range [][2]string{{"SESSIONS_REDIS_HOST", "host"}, {"SESSIONS_REDIS_PORT", "port"}, {"SESSIONS_REDIS_PASSWORD", "password"}} {
		e := env[i+1]
		if e.Name != want[0] || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != "checkout-service-sessions-redis" || e.ValueFrom.SecretKeyRef.Key != want[1] {
			t.Errorf("env[%d] %+v", i+1, e)
		}
	}

	// The API server takes every manifest.
	for f, body := range sc.Files {
		for _, err := range goldentest.Check(t, body) {
			t.Errorf("%s: %v", f, err)
		}
	}
	// ... and refuses a claim outside the platform's API.
	bad := strings.Replace(sc.Files[dir+"redis-instance.yaml"], "evictionPolicy: volatile-lru", "evictionPolicy: lru", 1)
	if len(goldentest.Check(t, bad)) == 0 {
		t.Error("the API server took an unknown eviction policy")
	}

	// Run writes the same files (idempotent).
	sc2 := cacheStep(cacheInput())
	if _, err := a.Run(context.Background(), sc2); err != nil {
		t.Fatal(err)
	}
	for f, body := range sc.Files {
		if sc2.Files[f] != body {
			t.Errorf("Run wrote %s differently", f)
		}
	}
}

// Bad input is a field error on the value that is wrong, and nothing is
// written.
func TestCacheBadInputIsAFieldError(t *testing.T) {
	withCache := cacheRepo{checkoutDeploymentPath: checkoutDeployment,
		path.Join(path.Dir(checkoutDeploymentPath), "cache-sessions-redis-instance.yaml"): "kind: RedisInstance\n"}
	// where earlier versions of new-cache wrote a cache
	withCacheFolder := cacheRepo{checkoutDeploymentPath: checkoutDeployment,
		path.Join(path.Dir(checkoutDeploymentPath), "cache-sessions/redis-instance.yaml"): "kind: RedisInstance\n"}
	withEnv := cacheRepo{checkoutDeploymentPath: strings.Replace(checkoutDeployment, "            - name: PAYMENTS_URL",
		"            - name: SESSIONS_REDIS_HOST\n              value: localhost\n            - name: PAYMENTS_URL", 1)}
	plain := cacheRepo{checkoutDeploymentPath: checkoutDeployment}
	for _, c := range []struct {
		what  string
		repo  cacheRepo
		set   map[string]any
		field string
		want  string
	}{
		{"a cache name already there", withCache, nil, "name", "checkout-service already has a cache sessions in prod"},
		{"a cache name already in a folder", withCacheFolder, nil, "name", "checkout-service already has a cache sessions in prod (teams/checkout/checkout-service/prod/cache-sessions)"},
		{"an env variable already there", withEnv, nil, "name", `container "app" of ` + checkoutDeploymentPath + " already defines SESSIONS_REDIS_HOST"},
		{"a service not in the catalog", plain, map[string]any{"service": "component:default/nope"}, "service", "component:default/nope is not in the catalog"},
		{"another team's service", plain, map[string]any{"service": "component:default/report-builder"}, "service", "report-builder is owned by group:default/reports, not one of your teams (group:default/checkout): a team adds caches to its own services"},
		{"an environment without the service", cacheRepo{}, nil, "environment", "checkout-service has no Deployment in prod"},
		{"a bad name", plain, map[string]any{"name": "Sessions"}, "name", `"Sessions" is not a cache name`},
		{"a bad size", plain, map[string]any{"size": "huge"}, "size", `"huge" is not a size`},
		{"a bad eviction policy", plain, map[string]any{"evictionPolicy": "lru"}, "evictionPolicy", `"lru" is not a Redis eviction policy`},
	} {
		in := cacheInput()
		for k, v := range c.set {
			in[k] = v
		}
		sc := cacheStep(in)
		_, err := cacheAction(t, c.repo).Plan(context.Background(), sc)
		var fe bot.FieldErrors
		if !errors.As(err, &fe) || !strings.Contains(fe[c.field], c.want) {
			t.Errorf("%s: %v (field errors %v)", c.what, err, fe)
		}
		if len(sc.Files) != 0 {
			t.Errorf("%s wrote %v", c.what, cacheFileNames(sc.Files))
		}
	}
}

func cacheFileNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
