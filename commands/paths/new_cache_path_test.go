package paths

import (
	"context"
	"path"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
	"github.com/platbot/platbot/commands/placement"
	exampleplacement "github.com/platbot/platbot/examples/placement"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// ordersDeployment is orders-service's Deployment in prod-eu, in
// new-service's layout, with a comment the edit keeps.
const ordersDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-service
  namespace: orders-service
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: orders-service
  template:
    metadata:
      labels:
        app.kubernetes.io/name: orders-service
    spec:
      containers:
        - name: orders-service
          image: ghcr.io/example/orders-service:2.0.1 # pinned for the audit
`

const ordersDeploymentPath = "teams/payments/orders-service/prod-eu/deployment.yaml"

func newCacheValues(service, name, env string) bot.Values {
	return bot.Values{"service": {service}, "name": {name}, "environment": {env}, "size": {"medium"},
		"highAvailability": {"true"}, "evictionPolicy": {"allkeys-lfu"}}
}

// /plat new-cache, from the form to the pull request in local git, on a
// service whose Deployment is on the GitOps repository's base branch:
// the claim, the ExternalSecret, the dashboard and the edited Deployment,
// each accepted by a real kube-apiserver, and each in the folder that
// the environment's Argo CD Application (as the example placement
// configuration writes it for new-service) syncs; bad input gets a field
// error and creates nothing.
func TestNewCachePath(t *testing.T) {
	cat := newCatalog(t)
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat})
	repo := filepath.Join(e.dir, "gitops")
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	// prod-eu's Application, placed as new-service places it: its source
	// is the folder of the Deployment.
	cfg, err := placement.LoadFile(exampleplacement.Config, exampleplacement.File)
	if err != nil {
		t.Fatal(err)
	}
	envs, err := placement.NewEnvironments(cfg, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	app, err := envs.Place(context.Background(), placement.NewEnvironment{Service: "component:default/orders-service",
		Env: placement.Environment{Name: "prod-eu", Tier: "tier1", Region: "eu-west-1"}, SourcePath: path.Dir(ordersDeploymentPath)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lr.OpenPullRequest(context.Background(), gitlocal.PullRequestSpec{Branch: "seed", Title: "seed", CommitMessage: "seed",
		Files: []gitlocal.File{{Path: ordersDeploymentPath, Content: []byte(ordersDeployment)}, {Path: app.Path, Content: app.Manifest},
			// caches the team made before: one as new-cache writes
			// them, one where earlier versions of it did
			{Path: "teams/payments/orders-service/prod-eu/cache-carts-redis-instance.yaml", Content: []byte("kind: RedisInstance\n")},
			{Path: "teams/payments/orders-service/prod-eu/cache-stock/redis-instance.yaml", Content: []byte("kind: RedisInstance\n")}}}); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "update-ref", "refs/heads/main", "seed")

	e.approve(t, "new-cache")
	if errs := e.submit(userJane, e.form(userJane, "new-cache"), newCacheValues("orders-service", "sessions", "prod-eu")); errs != nil {
		t.Fatalf("valid cache refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-new-cache"
	dir := "teams/payments/orders-service/prod-eu/cache-sessions-"
	want := dir + "dashboard.yaml\n" + dir + "external-secret.yaml\n" + dir + "redis-instance.yaml\n" + ordersDeploymentPath
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != want {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	show := func(p string) string { return git(t, repo, "show", branch+":"+p) + "\n" }

	// Argo CD deploys every file: the environment's Application syncs
	// the files of its source path, not its subfolders (a strict decode:
	// no source.directory, so no recurse).
	var a placement.Application
	if err := sigsyaml.UnmarshalStrict([]byte(show(app.Path)), &a); err != nil {
		t.Fatalf("Application %s: %v", app.Path, err)
	}
	for _, f := range strings.Split(want, "\n") {
		if path.Dir(f) != a.Spec.Source.Path {
			t.Errorf("%s is not in %s, the folder the Application %s syncs", f, a.Spec.Source.Path, app.Path)
		}
	}

	var claim unstructured.Unstructured
	if err := sigsyaml.UnmarshalStrict([]byte(show(dir+"redis-instance.yaml")), &claim.Object); err != nil {
		t.Fatal(err)
	}
	if spec, _, _ := unstructured.NestedMap(claim.Object, "spec"); claim.GetKind() != "RedisInstance" || spec["size"] != "medium" ||
		spec["highAvailability"] != true || spec["evictionPolicy"] != "allkeys-lfu" || claim.GetLabels()["finops/team"] != "payments" {
		t.Fatalf("claim %v", claim.Object)
	}
	var cm corev1.ConfigMap
	if err := sigsyaml.UnmarshalStrict([]byte(show(dir+"dashboard.yaml")), &cm); err != nil || cm.Labels["grafana_dashboard"] != "1" {
		t.Fatalf("dashboard %v: %v", cm.Labels, err)
	}
	dep := show(ordersDeploymentPath)
	var d appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(dep), &d); err != nil {
		t.Fatal(err)
	}
	if env := d.Spec.Template.Spec.Containers[0].Env; len(env) != 3 || env[2].Name != "SESSIONS_REDIS_PASSWORD" ||
		env[2].ValueFrom.SecretKeyRef.Name != "orders-service-sessions-redis" || !strings.Contains(dep, "# pinned for the audit") {
		t.Fatalf("Deployment:\n%s", dep)
	}
	goldentest.InstallCRDs(t, "../../examples/crossplane/redisinstances.platform.example.com.yaml",
		"golden/testdata/crds/external-secrets/external-secrets.io_externalsecrets.yaml")
	for _, f := range strings.Split(want, "\n") {
		for _, err := range goldentest.Check(t, show(f)) {
			t.Errorf("%s: %v", f, err)
		}
	}

	// A cache name the service has is refused, as are the other bad
	// inputs, and nothing is created.
	e.refusedOnFields(t, "new-cache", repo, []fieldRefusal{
		{newCacheValues("orders-service", "carts", "prod-eu"), "name", "orders-service already has a cache carts in prod-eu"},
		{newCacheValues("orders-service", "stock", "prod-eu"), "name", "orders-service already has a cache stock in prod-eu"},
		{newCacheValues("orders-service", "stock", "dev"), "environment", "orders-service has no Deployment in dev"},
		{newCacheValues("nope-service", "carts", "prod-eu"), "service", "is not one of the choices"},
		{newCacheValues("orders-service", "Carts", "prod-eu"), "name", "lower-case letters"},
	})
}
