package paths

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
	"github.com/platbot/platbot/integrations/gitlocal"
)

// ordersProdUS is orders-service's prod-us Deployment as new-service
// labels it, in the payments namespace.
const ordersProdUS = `# The Deployment of orders-service in prod-us.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-service
  namespace: payments
  labels:
    app.kubernetes.io/name: orders-service
    platbot.io/environment: prod-us
    platbot.io/team: payments
    platbot.io/tier: tier1
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: orders-service
  template:
    metadata:
      labels:
        app.kubernetes.io/name: orders-service
        platbot.io/environment: prod-us
        platbot.io/tier: tier1
    spec:
      containers:
        - name: orders-service
          image: ghcr.io/example/orders-service:2.0.1
          env:
            - name: ENVIRONMENT
              value: prod-us
            - name: PORT
              value: "8080"
`

func addRegionValues(env, region, from string) bot.Values {
	return bot.Values{"service": {"orders-service"}, "environment": {env}, "region": {region}, "tier": {"tier1"}, "from": {from},
		"hostname": {"orders.example.com"}, "routing": {"latency"}, "databaseEnvironment": {"prod"}}
}

// /plat add-region, from the form to the pull request in local git, for a
// service whose prod-us manifests and database are on the GitOps
// repository's base branch, and a cache new-cache made in prod-us merged:
// the placed Application, the copied manifests, the DNSEndpoint, the
// Probe and its alerts, the database's read replica and the cache's
// secondary in the new region (its claim, ExternalSecret and dashboard,
// the copied Deployment reading its Secret), each accepted by a real
// kube-apiserver; a region without a cluster, and other bad input, get a
// field error and create nothing.
func TestAddRegionPath(t *testing.T) {
	pl := &tablePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a", "tier1/us-east-1": "use1-prod-a"},
		existing: map[string]bool{"component:default/orders-service/prod-us": true}}
	cat := newCatalog(t, &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindResource,
		Metadata: catalog.Metadata{Name: "orders-db", Annotations: map[string]string{"platbot.dev/golden-path": "new-db"}},
		Spec:     map[string]any{"type": "database", "owner": "group:default/payments", "dependencyOf": []any{"component:default/orders-service"}}})
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl})
	repo := filepath.Join(e.dir, "gitops")
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	primary := "apiVersion: platform.example.com/v1\nkind: PostgresInstance\nmetadata:\n  name: orders-db\n  namespace: payments-prod\nspec:\n  size: large\n  storageGB: 200\n  highAvailability: true\n  credentialsSecretRef:\n    name: orders-db-db-credentials\n"
	if _, _, err := lr.OpenPullRequest(context.Background(), gitlocal.PullRequestSpec{Branch: "seed", Title: "seed", CommitMessage: "seed",
		Files: []gitlocal.File{
			{Path: "teams/payments/orders-service/prod-us/deployment.yaml", Content: []byte(ordersProdUS)},
			{Path: "databases/orders-db/prod/postgres-instance.yaml", Content: []byte(primary)},
		}}); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "update-ref", "refs/heads/main", "seed")

	// The team gave orders-service a cache in prod-us, and merged it.
	e.approve(t, "new-cache")
	if errs := e.submit(userJane, e.form(userJane, "new-cache"), newCacheValues("orders-service", "rates", "prod-us")); errs != nil {
		t.Fatalf("cache refused: %v", errs)
	}
	e.drain()
	cacheRun := e.onlyRun()
	if cacheRun.State != RunSucceeded {
		t.Fatalf("new-cache run %s: %s", cacheRun.State, cacheRun.Error)
	}
	git(t, repo, "update-ref", "refs/heads/main", cacheRun.Branch())

	e.approve(t, "add-region")
	// The form offers the regions where a cluster runs, not the
	// template's whole list.
	if f := e.form(userJane, "add-region").Field("region"); f == nil || fmt.Sprint(f.Options) != "[{us-east-1 us-east-1} {eu-west-1 eu-west-1}]" {
		t.Fatalf("region field %+v", f)
	}
	// The dry run's title names the template and the team: the template
	// has no name parameter, so no empty name in backticks.
	if errs := e.submit(userJane, e.form(userJane, "add-region --dry-run"), addRegionValues("prod-eu", "eu-west-1", "prod-us")); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	// (A long preview comes as a file.)
	out := e.msgr.Last().Text()
	if f := e.msgr.Last().File; f != nil {
		out += "\n" + string(f.Content)
	}
	if !strings.Contains(out, "Dry run of Add a region for group:default/payments — nothing was created") || strings.Contains(out, "``") ||
		!strings.Contains(out, "the copied containers read orders-service-rates-prod-eu-redis instead of orders-service-rates-redis") {
		t.Fatalf("dry run:\n%s", out)
	}
	if len(e.runs()) != 1 {
		t.Fatal("the dry run started a run")
	}
	if errs := e.submit(userJane, e.form(userJane, "add-region"), addRegionValues("prod-eu", "eu-west-1", "prod-us")); errs != nil {
		t.Fatalf("valid region refused: %v", errs)
	}
	e.drain()
	var r *Run
	for _, x := range e.runs() {
		if x.Template == "add-region" {
			r = x
		}
	}
	if r == nil {
		t.Fatal("no add-region run")
	}
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-add-region"
	dir := "teams/payments/orders-service/prod-eu/"
	want := []string{"apps/payments/orders-service/prod-eu.yaml", "databases/orders-db/prod-eu/postgres-instance.yaml",
		dir + "cache-rates-dashboard.yaml", dir + "cache-rates-external-secret.yaml", dir + "cache-rates-redis-instance.yaml",
		dir + "deployment.yaml", dir + "dnsendpoint.yaml", dir + "probe.yaml", dir + "prometheusrule.yaml"}
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); files != strings.Join(want, "\n") {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	show := func(p string) string { return git(t, repo, "show", branch+":"+p) + "\n" }
	if app := show(want[0]); !strings.Contains(app, "name: euw1-prod-a") || !strings.Contains(app, "path: "+strings.TrimSuffix(dir, "/")) {
		t.Fatalf("Application:\n%s", app)
	}
	var replica unstructured.Unstructured
	if err := sigsyaml.UnmarshalStrict([]byte(show(want[1])), &replica.Object); err != nil {
		t.Fatal(err)
	}
	if of, _, _ := unstructured.NestedStringMap(replica.Object, "spec", "readReplicaOf"); of["name"] != "orders-db" || of["namespace"] != "payments-prod" {
		t.Fatalf("replica %v", replica.Object)
	}
	if dns := show(dir + "dnsendpoint.yaml"); !strings.Contains(dns, "setIdentifier: orders-service-prod-eu") || !strings.Contains(dns, "value: eu-west-1") {
		t.Fatalf("DNSEndpoint:\n%s", dns)
	}
	// The copied Deployment is prod-eu's: its labels and variables say
	// so, nothing says prod-us.
	dep := show(dir + "deployment.yaml")
	var d appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(dep), &d); err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if strings.Contains(dep, "prod-us") || d.Labels["platbot.io/environment"] != "prod-eu" || d.Spec.Template.Labels["platbot.io/environment"] != "prod-eu" ||
		c.Env[0].Name != "ENVIRONMENT" || c.Env[0].Value != "prod-eu" || c.Env[1].Value != "8080" || c.Image != "ghcr.io/example/orders-service:2.0.1" ||
		!strings.HasPrefix(dep, "# Deployment of orders-service in prod-eu (eu-west-1, tier1, on euw1-prod-a)") {
		t.Fatalf("copied Deployment:\n%s", dep)
	}
	// The cache: prod-eu's secondary of prod-us's, which the copied
	// Deployment reads.
	rates := 0
	for _, v := range c.Env {
		if strings.HasPrefix(v.Name, "RATES_REDIS_") {
			rates++
			if v.ValueFrom == nil || v.ValueFrom.SecretKeyRef == nil || v.ValueFrom.SecretKeyRef.Name != "orders-service-rates-prod-eu-redis" {
				t.Errorf("%s of the copied Deployment reads %+v", v.Name, v.ValueFrom)
			}
		}
	}
	if rates != 3 {
		t.Errorf("the copied Deployment has %d RATES_REDIS_ variables:\n%s", rates, dep)
	}
	var secondary unstructured.Unstructured
	if err := sigsyaml.UnmarshalStrict([]byte(show(dir+"cache-rates-redis-instance.yaml")), &secondary.Object); err != nil {
		t.Fatal(err)
	}
	if of, _, _ := unstructured.NestedStringMap(secondary.Object, "spec", "replicaOf"); secondary.GetName() != "orders-service-rates-prod-eu" ||
		of["name"] != "orders-service-rates" || of["namespace"] != "payments" {
		t.Fatalf("cache %v", secondary.Object)
	}
	if es := show(dir + "cache-rates-external-secret.yaml"); !strings.Contains(es, "name: orders-service-rates-prod-eu-redis") ||
		!strings.Contains(es, "key: crossplane/orders-service-prod-eu-cache-rates") {
		t.Fatalf("ExternalSecret:\n%s", es)
	}
	// The cache, DNS and monitoring sit in the Deployment's namespace.
	for _, f := range slices.Concat(want[2:5], want[6:]) {
		var u unstructured.Unstructured
		if err := sigsyaml.UnmarshalStrict([]byte(show(f)), &u.Object); err != nil {
			t.Fatal(err)
		}
		if u.GetNamespace() != "payments" {
			t.Errorf("%s is in namespace %q, not the Deployment's payments", f, u.GetNamespace())
		}
	}
	goldentest.InstallCRDs(t, "../../examples/crossplane/postgresinstances.platform.example.com.yaml",
		"../../examples/crossplane/redisinstances.platform.example.com.yaml",
		"golden/testdata/crds/external-secrets/external-secrets.io_externalsecrets.yaml",
		"golden/testdata/crds/external-dns/dnsendpoints.externaldns.k8s.io.yaml",
		"golden/testdata/crds/prometheus-operator/monitoring.coreos.com_probes.yaml",
		"golden/testdata/crds/prometheus-operator/monitoring.coreos.com_prometheusrules.yaml")
	for _, f := range want[1:] {
		for _, err := range goldentest.Check(t, show(f)) {
			t.Errorf("%s: %v", f, err)
		}
	}

	e.refusedOnFields(t, "add-region", repo, []fieldRefusal{
		// a region the form does not offer
		{addRegionValues("prod-ap", "ap-southeast-1", "prod-us"), "region", `"ap-southeast-1" is not one of the choices (us-east-1, eu-west-1)`},
		{addRegionValues("prod-us", "us-east-1", "prod-us"), "environment", "orders-service already has an environment prod-us"},
		{addRegionValues("prod-eu3", "eu-west-1", "staging"), "from", "orders-service has no environment staging"},
		{addRegionValues("Prod EU", "eu-west-1", "prod-us"), "environment", "lower-case letters"},
	})
}

// seedOrdersProdUS makes orders-service's prod-us Deployment, and extra,
// the GitOps repository's base branch.
func seedOrdersProdUS(t *testing.T, repo string, extra ...gitlocal.File) *gitlocal.Repo {
	t.Helper()
	lr, err := gitlocal.Open(context.Background(), repo, gitlocal.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	files := append([]gitlocal.File{{Path: "teams/payments/orders-service/prod-us/deployment.yaml", Content: []byte(ordersProdUS)}}, extra...)
	if _, _, err := lr.OpenPullRequest(context.Background(), gitlocal.PullRequestSpec{Branch: "seed", Title: "seed", CommitMessage: "seed", Files: files}); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "update-ref", "refs/heads/main", "seed")
	return lr
}

// addRegionRun submits a valid add-region form for prod-eu in eu-west-1
// and returns the pull request's branch and record.
func addRegionRun(t *testing.T, e *env, lr *gitlocal.Repo) (string, *gitlocal.PullRequest) {
	t.Helper()
	e.approve(t, "add-region")
	if errs := e.submit(userJane, e.form(userJane, "add-region"), addRegionValues("prod-eu", "eu-west-1", "prod-us")); errs != nil {
		t.Fatalf("valid region refused: %v", errs)
	}
	e.drain()
	r := e.onlyRun()
	if r.State != RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	branch := "plat/" + r.ID + "-add-region"
	pr, err := lr.FindPullRequest(context.Background(), branch)
	if err != nil || pr == nil {
		t.Fatalf("pull request record: %v", err)
	}
	return branch, pr
}

// /plat add-region for a service whose catalog file is in the GitOps
// repository: the same pull request adds the new environment, with its
// tier and region, to spec.deployment.environments (comments and style
// kept), so that /plat where and /plat move see it once merged, and the
// description says so; the dry run shows the edit.
func TestAddRegionPathAddsToIntent(t *testing.T) {
	pl := &tablePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	cat := &inRepoCatalog{Catalog: newCatalog(t)}
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl})
	repo := filepath.Join(e.dir, "gitops")
	cat.file = filepath.Join(repo, "catalog", "orders-service.yaml")
	lr := seedOrdersProdUS(t, repo, gitlocal.File{Path: "catalog/orders-service.yaml", Content: []byte(ordersCatalogFile)})

	e.command(userAdmin, "template approve add-region")
	if errs := e.submit(userJane, e.form(userJane, "add-region --dry-run"), addRegionValues("prod-eu", "eu-west-1", "prod-us")); errs != nil {
		t.Fatalf("dry run refused: %v", errs)
	}
	out := e.msgr.Last().Text()
	if f := e.msgr.Last().File; f != nil {
		out += "\n" + string(f.Content)
	}
	if !strings.Contains(out, "edit catalog/orders-service.yaml: add prod-eu to the spec.deployment.environments of orders-service (its deployment intent)") {
		t.Fatalf("dry run:\n%s", out)
	}

	branch, pr := addRegionRun(t, e, lr)
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); !strings.Contains(files, "catalog/orders-service.yaml\n") {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	want := ordersCatalogFile + "      - {name: prod-eu, tier: tier1, region: eu-west-1}\n"
	if got := git(t, repo, "show", branch+":catalog/orders-service.yaml") + "\n"; got != want {
		t.Fatalf("catalog file on %s:\n%s\nwant\n%s", branch, got, want)
	}
	// What the catalog reads back from the edited file has prod-eu in
	// eu-west-1: what /plat where and /plat move read.
	ent, ok := catalogtest.New(t, want).Get("component:default/orders-service")
	if !ok {
		t.Fatal("the edited file has no orders-service")
	}
	in, has, err := catalog.IntentOf(ent)
	if err != nil || !has || strings.Join(in.Names(), ",") != "dev,staging,prod-eu" {
		t.Fatalf("intent read back: %+v %v %v", in, has, err)
	}
	if pe, ok := in.Env("prod-eu"); !ok || pe.Tier != "tier1" || pe.Region != "eu-west-1" {
		t.Fatalf("prod-eu read back: %+v", pe)
	}
	if !strings.Contains(pr.Body, "This pull request also adds `{name: prod-eu, tier: tier1, region: eu-west-1}` to the spec.deployment.environments of orders-service in its catalog file, `catalog/orders-service.yaml`, so that /plat where shows prod-eu once merged.") {
		t.Fatalf("pull request body:\n%s", pr.Body)
	}
}

// The same path for a service whose catalog file is outside the GitOps
// repository: no catalog file in the pull request, and its description
// says what to add where.
func TestAddRegionPathIntentElsewhere(t *testing.T) {
	pl := &tablePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	cat := &inRepoCatalog{Catalog: newCatalog(t), file: filepath.Join(t.TempDir(), "catalog-info.yaml")}
	e := newEnv(t, envOptions{templates: "../../examples/templates", cat: cat, placer: pl})
	repo := filepath.Join(e.dir, "gitops")
	lr := seedOrdersProdUS(t, repo)
	branch, pr := addRegionRun(t, e, lr)
	if files := withoutLineage(git(t, repo, "diff", "--name-only", "main", branch)); strings.Contains(files, "catalog") {
		t.Fatalf("files on %s:\n%s", branch, files)
	}
	if want := "The catalog entity of orders-service is read from " + cat.file + ", outside the GitOps repository this pull request targets: add `{name: prod-eu, tier: tier1, region: eu-west-1}` to `spec.deployment.environments` of orders-service there"; !strings.Contains(pr.Body, want) {
		t.Fatalf("pull request body:\n%s\nwant %q", pr.Body, want)
	}
}
