package golden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

// The CRDs add-region's manifests need.
var regionCRDs = []string{
	"../../../examples/crossplane/postgresinstances.platform.example.com.yaml",
	"testdata/crds/external-dns/dnsendpoints.externaldns.k8s.io.yaml",
	"testdata/crds/prometheus-operator/monitoring.coreos.com_probes.yaml",
	"testdata/crds/prometheus-operator/monitoring.coreos.com_prometheusrules.yaml",
}

// checkoutPrimaryDB is new-db's prod claim of a database checkout-service
// uses.
const checkoutPrimaryDB = `apiVersion: platform.example.com/v1
kind: PostgresInstance
metadata:
  name: carts-db
  namespace: checkout-prod
spec:
  size: medium
  storageGB: 50
  highAvailability: true
  credentialsSecretRef:
    name: carts-db-db-credentials
`

func regionRepo() cacheRepo {
	return cacheRepo{
		"teams/checkout/checkout-service/prod/deployment.yaml": checkoutDeployment,
		"databases/carts-db/prod/postgres-instance.yaml":       checkoutPrimaryDB,
	}
}

func regionAction(t *testing.T, repo cacheRepo) actions.Action {
	pl := &rulePlacer{clusters: map[string]string{"tier1/ap-southeast-1": "apse1-prod-a", "tier1/eu-west-1": "euw1-prod-a"},
		existing: map[string]bool{"component:default/checkout-service/prod": true}}
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("checkout"), catalogtest.Group("reports"),
		catalogtest.User("erik", "U-erik", "checkout"),
		catalogtest.Component("checkout-service", "group:default/checkout"),
		catalogtest.Component("report-builder", "group:default/reports"),
		&catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindResource,
			Metadata: catalog.Metadata{Name: "carts-db", Annotations: map[string]string{"platbot.dev/golden-path": "new-db"}},
			Spec:     map[string]any{"type": "database", "owner": "group:default/checkout", "dependencyOf": []any{"checkout-service"}}},
	)
	return newRegionActions(actions.Deps{Catalog: cat, Placer: pl, GitOpsFiles: repo})[ActionRegion]
}

func regionStep(set map[string]any) *actions.StepContext {
	in := map[string]any{"service": "component:default/checkout-service", "environment": "prod-ap", "region": "ap-southeast-1",
		"from": "prod", "hostname": "checkout.example.com", "routing": "latency", "ingressDomain": "clusters.example.com", "databaseEnvironment": "prod"}
	for k, v := range set {
		in[k] = v
	}
	raw := map[string]any{}
	for k := range in {
		raw[k] = "${{ parameters." + k + " }}"
	}
	raw["ingressDomain"] = "clusters.example.com"
	return &actions.StepContext{Run: actions.Run{ID: "r1", RequesterRef: "user:default/erik", Owner: "group:default/checkout"},
		StepKey: "region", Input: in, RawInput: raw, Files: map[string]string{}, Executable: map[string]bool{}}
}

func TestRegionPlacesCopiesRoutesProbesAndReplicates(t *testing.T) {
	goldentest.InstallCRDs(t, regionCRDs...)
	a := regionAction(t, regionRepo())
	sc := regionStep(nil)
	plan, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	dir := "teams/checkout/checkout-service/prod-ap/"
	want := []string{"apps/checkout/checkout-service/prod-ap.yaml", dir + "deployment.yaml", dir + "dnsendpoint.yaml", dir + "probe.yaml",
		dir + "prometheusrule.yaml", "databases/carts-db/prod-ap/postgres-instance.yaml"}
	if len(sc.Files) != len(want) {
		t.Fatalf("files %v", cacheFileNames(sc.Files))
	}
	for _, f := range want {
		if _, ok := sc.Files[f]; !ok {
			t.Fatalf("no %s in %v", f, cacheFileNames(sc.Files))
		}
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "place prod-ap of checkout-service: prod-ap → cluster apse1-prod-a") ||
		!strings.Contains(got, "add databases/carts-db/prod-ap/postgres-instance.yaml (a read replica of carts-db in ap-southeast-1)") {
		t.Errorf("effects:\n%s", got)
	}
	// A Deployment with nothing naming its environment keeps its meaning.
	var d, orig appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"deployment.yaml"]), &d); err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.UnmarshalStrict([]byte(checkoutDeployment), &orig); err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(&d, &orig) {
		t.Errorf("the copied Deployment changed:\n%s", sc.Files[dir+"deployment.yaml"])
	}

	obj := func(f string) *unstructured.Unstructured {
		t.Helper()
		u := &unstructured.Unstructured{}
		if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[f]), &u.Object); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		return u
	}
	dns := obj(dir + "dnsendpoint.yaml")
	eps, _, _ := unstructured.NestedSlice(dns.Object, "spec", "endpoints")
	ep := eps[0].(map[string]any)
	if dns.GetKind() != "DNSEndpoint" || ep["dnsName"] != "checkout.example.com" || ep["setIdentifier"] != "checkout-service-prod-ap" ||
		ep["targets"].([]any)[0] != "checkout-service.apse1-prod-a.clusters.example.com" ||
		ep["providerSpecific"].([]any)[0].(map[string]any)["name"] != "aws/region" || ep["providerSpecific"].([]any)[0].(map[string]any)["value"] != "ap-southeast-1" {
		t.Errorf("DNSEndpoint %v", dns.Object)
	}
	probe := obj(dir + "probe.yaml")
	if s, _, _ := unstructured.NestedStringSlice(probe.Object, "spec", "targets", "staticConfig", "static"); len(s) != 1 || s[0] != "https://checkout-service.apse1-prod-a.clusters.example.com/healthz" {
		t.Errorf("Probe %v", probe.Object)
	}
	rule := obj(dir + "prometheusrule.yaml")
	if !strings.Contains(sc.Files[dir+"prometheusrule.yaml"], `probe_success{job="probe-checkout-service-prod-ap"} == 0`) {
		t.Errorf("PrometheusRule %v", rule.Object)
	}
	replica := obj("databases/carts-db/prod-ap/postgres-instance.yaml")
	spec, _, _ := unstructured.NestedMap(replica.Object, "spec")
	if replica.GetNamespace() != "checkout-prod-ap" || spec["size"] != "medium" || fmt.Sprint(spec["storageGB"]) != "50" || spec["region"] != "ap-southeast-1" ||
		spec["readReplicaOf"].(map[string]any)["name"] != "carts-db" || spec["readReplicaOf"].(map[string]any)["namespace"] != "checkout-prod" ||
		replica.GetLabels()["finops/team"] != "checkout" {
		t.Errorf("replica %v", replica.Object)
	}

	// The API server takes every manifest but the Application (its
	// placement feature's, tested there).
	for f, body := range sc.Files {
		if strings.HasPrefix(f, "apps/") {
			continue
		}
		for _, err := range goldentest.Check(t, body) {
			t.Errorf("%s: %v", f, err)
		}
	}
	// ... and refuses a replica without the primary's namespace.
	bad := strings.Replace(sc.Files["databases/carts-db/prod-ap/postgres-instance.yaml"], "    namespace: checkout-prod\n", "", 1)
	if bad == sc.Files["databases/carts-db/prod-ap/postgres-instance.yaml"] || len(goldentest.Check(t, bad)) == 0 {
		t.Error("the API server took a read replica without the primary's namespace")
	}

	// Geolocation routing names the region's continent.
	sc = regionStep(map[string]any{"routing": "geo", "region": "eu-west-1", "environment": "prod-eu2"})
	if _, err := a.Plan(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	geo := sc.Files["teams/checkout/checkout-service/prod-eu2/dnsendpoint.yaml"]
	if !strings.Contains(geo, "- name: aws/geolocation-continent-code\n      value: EU\n") {
		t.Errorf("geo DNSEndpoint:\n%s", geo)
	}
	for _, err := range goldentest.Check(t, geo) {
		t.Error(err)
	}
}

// A region without a cluster, and the other bad inputs, are field errors
// and write nothing.
func TestRegionBadInputIsAFieldError(t *testing.T) {
	noDB := regionRepo()
	delete(noDB, "databases/carts-db/prod/postgres-instance.yaml")
	for _, c := range []struct {
		what  string
		repo  cacheRepo
		set   map[string]any
		field string
		want  string
	}{
		{"a region without a cluster", regionRepo(), map[string]any{"region": "sa-east-1"}, "region", "no placement rule matches tier=tier1, region=sa-east-1"},
		{"an environment the service has", regionRepo(), map[string]any{"environment": "prod"}, "environment", "checkout-service already has an environment prod"},
		{"a start environment it lacks", regionRepo(), map[string]any{"from": "staging"}, "from", "checkout-service has no environment staging"},
		{"another team's service", regionRepo(), map[string]any{"service": "component:default/report-builder"}, "service", "is owned by group:default/reports, not one of your teams (group:default/checkout): a team adds regions to its own services"},
		{"a bad host name", regionRepo(), map[string]any{"hostname": "not a host"}, "hostname", "is not a DNS name"},
		{"a bad routing policy", regionRepo(), map[string]any{"routing": "weighted"}, "routing", "latency or geo"},
		{"a database without its primary", noDB, nil, "databaseEnvironment", "carts-db, which checkout-service uses, has no prod instance"},
	} {
		sc := regionStep(c.set)
		_, err := regionAction(t, c.repo).Plan(context.Background(), sc)
		var fe bot.FieldErrors
		if !errors.As(err, &fe) || !strings.Contains(fe[c.field], c.want) {
			t.Errorf("%s: %v (field errors %v)", c.what, err, fe)
		}
		if len(sc.Files) != 0 {
			t.Errorf("%s wrote %v", c.what, cacheFileNames(sc.Files))
		}
	}
}

// The prod-us manifests of checkout-service the way new-service and the
// platform label them: every reference to prod-us, us-east-1 and its tier
// is structural (labels, annotations, selectors, variables).
const (
	prodUSDeployment = `# The Deployment of checkout-service in prod-us.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout-service
  namespace: checkout
  labels:
    app.kubernetes.io/name: checkout-service
    platbot.io/environment: prod-us
    platbot.io/tier: standard
    platform.example.com/region: us-east-1
  annotations:
    platbot.dev/environment: prod-us
    platbot.dev/region: us-east-1
    platbot.dev/placement: "prod-us → cluster use1-prod-a: rule tier1 matched"
    example.com/owner-note: keep me
spec:
  replicas: 3 # raised for the sale
  selector:
    matchLabels:
      app.kubernetes.io/name: checkout-service
      platbot.io/environment: prod-us
  template:
    metadata:
      labels:
        app.kubernetes.io/name: checkout-service
        platbot.io/environment: prod-us
        topology.kubernetes.io/region: us-east-1
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/example/checkout-migrate:1.4.2
          env:
            - name: APP_ENV
              value: prod-us
      containers:
        - name: app
          image: ghcr.io/example/checkout-service:1.4.2
          env:
            - name: ENVIRONMENT
              value: prod-us
            - name: AWS_REGION
              value: us-east-1
            - name: TIER
              value: standard
            - name: UPSTREAM_ENVIRONMENT
              value: staging
            - name: PAYMENTS_URL
              value: https://sandbox.payments.example.com
`
	prodUSService = `apiVersion: v1
kind: Service
metadata:
  name: checkout-service
  namespace: checkout
  labels:
    platbot.io/environment: prod-us
spec:
  selector:
    app.kubernetes.io/name: checkout-service
    platbot.io/environment: prod-us
  ports:
    - name: http
      port: 80
      targetPort: http
`
	prodUSMonitoring = `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: checkout-service
  namespace: checkout
  labels:
    platbot.io/environment: prod-us
spec:
  selector:
    matchLabels:
      platbot.io/environment: prod-us
  endpoints:
    - port: http
      path: /metrics
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: checkout-settings
  namespace: checkout
  labels:
    platbot.io/environment: prod-us
data:
  REGION: us-east-1
  DEPLOY_ENV: prod-us
  GREETING: hello from the checkout
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: checkout-service
  namespace: checkout
  labels:
    platbot.io/environment: prod-us
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      platbot.io/environment: prod-us
`
)

func prodUSRegionAction(t *testing.T, repo cacheRepo, annotations ...string) actions.Action {
	pl := &rulePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}
	cat := catalogtest.FromEntities(t,
		catalogtest.Group("checkout"), catalogtest.User("erik", "U-erik", "checkout"),
		catalogtest.Component("checkout-service", "group:default/checkout", annotations...))
	return newRegionActions(actions.Deps{Catalog: cat, Placer: pl, GitOpsFiles: repo})[ActionRegion]
}

// The copy of prod-us is prod-eu's: each manifest decoded with its type,
// its labels, annotations, selectors and variables naming prod-us,
// us-east-1 and its tier say prod-eu, eu-west-1 and tier1, the rest means
// what it meant, nothing says prod-us, and the API server takes it all;
// the DNSEndpoint, Probe and PrometheusRule sit in the Deployment's
// namespace.
func TestRegionCopyIsTheNewEnvironments(t *testing.T) {
	goldentest.InstallCRDs(t, append(regionCRDs, "testdata/crds/prometheus-operator/monitoring.coreos.com_servicemonitors.yaml")...)
	src := "teams/checkout/checkout-service/prod-us/"
	repo := cacheRepo{src + "deployment.yaml": prodUSDeployment, src + "service.yaml": prodUSService, src + "monitoring.yaml": prodUSMonitoring}
	a := prodUSRegionAction(t, repo, "platbot.dev/environments=staging:standard, prod-us:standard@us-east-1", "backstage.io/kubernetes-namespace=checkout")
	sc := regionStep(map[string]any{"environment": "prod-eu", "region": "eu-west-1", "from": "prod-us"})
	plan, err := a.Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	dir := "teams/checkout/checkout-service/prod-eu/"
	for _, f := range []string{"deployment.yaml", "service.yaml", "monitoring.yaml"} {
		body, ok := sc.Files[dir+f]
		if !ok {
			t.Fatalf("no %s in %v", f, cacheFileNames(sc.Files))
		}
		for _, old := range []string{"prod-us", "us-east-1", "standard", "use1-prod-a"} {
			if strings.Contains(body, old) {
				t.Errorf("%s still says %s:\n%s", f, old, body)
			}
		}
		if !strings.HasPrefix(body, "# ") || !strings.Contains(strings.SplitN(body, "\napiVersion:", 2)[0], "checkout-service in prod-eu (eu-west-1, tier1, on euw1-prod-a)") {
			t.Errorf("%s header:\n%s", f, body)
		}
		for _, err := range goldentest.Check(t, body) {
			t.Errorf("%s: %v", f, err)
		}
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "copy 3 manifest file(s) of prod-us into "+strings.TrimSuffix(dir, "/")+", their environment, region and tier references rewritten for prod-eu") {
		t.Errorf("effects:\n%s", got)
	}

	// The Deployment is the original with exactly the structural
	// references rewritten.
	var got, want appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"deployment.yaml"]), &got); err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.UnmarshalStrict([]byte(prodUSDeployment), &want); err != nil {
		t.Fatal(err)
	}
	want.Labels["platbot.io/environment"], want.Labels["platbot.io/tier"], want.Labels["platform.example.com/region"] = "prod-eu", "tier1", "eu-west-1"
	want.Annotations["platbot.dev/environment"], want.Annotations["platbot.dev/region"] = "prod-eu", "eu-west-1"
	want.Annotations["platbot.dev/placement"] = "prod-eu → cluster euw1-prod-a: rule `tier1` matched tier=tier1"
	want.Spec.Selector.MatchLabels["platbot.io/environment"] = "prod-eu"
	want.Spec.Template.Labels["platbot.io/environment"], want.Spec.Template.Labels["topology.kubernetes.io/region"] = "prod-eu", "eu-west-1"
	want.Spec.Template.Spec.InitContainers[0].Env[0].Value = "prod-eu"
	env := want.Spec.Template.Spec.Containers[0].Env
	env[0].Value, env[1].Value, env[2].Value = "prod-eu", "eu-west-1", "tier1"
	if !apiequality.Semantic.DeepEqual(&got, &want) {
		t.Errorf("copied Deployment:\n%s", sc.Files[dir+"deployment.yaml"])
	}
	if got.Spec.Template.Spec.Containers[0].Env[3].Value != "staging" || got.Annotations["example.com/owner-note"] != "keep me" {
		t.Errorf("a value that does not name prod-us changed:\n%s", sc.Files[dir+"deployment.yaml"])
	}

	var svc corev1.Service
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"service.yaml"]), &svc); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Selector["platbot.io/environment"] != "prod-eu" || svc.Labels["platbot.io/environment"] != "prod-eu" {
		t.Errorf("Service %+v", svc.ObjectMeta)
	}

	// The multi-document file: the ServiceMonitor by its shape, the
	// ConfigMap's variables, the PDB's selector.
	docs := strings.Split(strings.SplitN(sc.Files[dir+"monitoring.yaml"], "\napiVersion:", 2)[1], "\n---\n")
	if len(docs) != 3 {
		t.Fatalf("monitoring.yaml has %d documents:\n%s", len(docs), sc.Files[dir+"monitoring.yaml"])
	}
	docs[0] = "apiVersion:" + docs[0]
	var sm unstructured.Unstructured
	if err := sigsyaml.UnmarshalStrict([]byte(docs[0]), &sm.Object); err != nil {
		t.Fatal(err)
	}
	if l, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels"); sm.GetKind() != "ServiceMonitor" || l["platbot.io/environment"] != "prod-eu" {
		t.Errorf("ServiceMonitor %v", sm.Object)
	}
	var cm corev1.ConfigMap
	if err := sigsyaml.UnmarshalStrict([]byte(docs[1]), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["REGION"] != "eu-west-1" || cm.Data["DEPLOY_ENV"] != "prod-eu" || cm.Data["GREETING"] != "hello from the checkout" {
		t.Errorf("ConfigMap %v", cm.Data)
	}
	var pdb policyv1.PodDisruptionBudget
	if err := sigsyaml.UnmarshalStrict([]byte(docs[2]), &pdb); err != nil {
		t.Fatal(err)
	}
	if pdb.Spec.Selector.MatchLabels["platbot.io/environment"] != "prod-eu" || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("PDB %+v", pdb.Spec)
	}

	// DNS and monitoring in the namespace the service runs in.
	for _, f := range []string{"dnsendpoint.yaml", "probe.yaml", "prometheusrule.yaml"} {
		u := &unstructured.Unstructured{}
		if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+f]), &u.Object); err != nil {
			t.Fatal(err)
		}
		if u.GetNamespace() != "checkout" {
			t.Errorf("%s is in namespace %q, not the Deployment's checkout", f, u.GetNamespace())
		}
	}
}

// Without a Deployment to copy, the catalog's namespace annotation says
// where the service runs; without the catalog's intent, the manifests'
// own region label says which region to rewrite.
func TestRegionNamespaceAndRegionWithoutDeploymentOrIntent(t *testing.T) {
	src := "teams/checkout/checkout-service/prod-us/"
	// The region is known from the ServiceMonitor's label.
	mon := strings.Replace(prodUSMonitoring, "  labels:\n    platbot.io/environment: prod-us\n", "  labels:\n    platbot.io/environment: prod-us\n    platbot.dev/region: us-east-1\n", 1)
	repo := cacheRepo{src + "monitoring.yaml": mon}
	a := prodUSRegionAction(t, repo, "backstage.io/kubernetes-namespace=shop")
	sc := regionStep(map[string]any{"environment": "prod-eu", "region": "eu-west-1", "from": "prod-us"})
	if _, err := a.Plan(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	dir := "teams/checkout/checkout-service/prod-eu/"
	if body := sc.Files[dir+"monitoring.yaml"]; strings.Contains(body, "prod-us") || strings.Contains(body, "us-east-1") {
		t.Errorf("monitoring.yaml:\n%s", body)
	}
	for _, f := range []string{"dnsendpoint.yaml", "probe.yaml", "prometheusrule.yaml"} {
		u := &unstructured.Unstructured{}
		if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+f]), &u.Object); err != nil {
			t.Fatal(err)
		}
		if u.GetNamespace() != "shop" {
			t.Errorf("%s is in namespace %q, not the catalog's shop", f, u.GetNamespace())
		}
	}
}

// A start environment's manifest its type refuses is a field error on
// from, naming the file, and nothing is written.
func TestRegionRefusesToCopyAnInvalidManifest(t *testing.T) {
	src := "teams/checkout/checkout-service/prod-us/"
	repo := cacheRepo{src + "deployment.yaml": strings.Replace(prodUSDeployment, "  replicas: 3", "  replica: 3", 1)}
	a := prodUSRegionAction(t, repo)
	sc := regionStep(map[string]any{"environment": "prod-eu", "region": "eu-west-1", "from": "prod-us"})
	_, err := a.Plan(context.Background(), sc)
	var fe bot.FieldErrors
	if !errors.As(err, &fe) || !strings.Contains(fe["from"], src+"deployment.yaml cannot be copied") || !strings.Contains(fe["from"], `unknown field "replica"`) {
		t.Fatalf("%v (field errors %v)", err, fe)
	}
	if len(sc.Files) != 0 {
		t.Errorf("wrote %v", cacheFileNames(sc.Files))
	}
}

// What new-service wrote for prod-us (Deployment, Service, HPA, PDB,
// ServiceMonitor, dashboard) becomes prod-eu's: nothing of the copy
// names prod-us, us-east-1 or its cluster, the dashboard has prod-eu's
// key and uid, and the API server takes every file.
func TestRegionCopiesWhatNewServiceWrote(t *testing.T) {
	goldentest.InstallCRDs(t, append(regionCRDs, "testdata/crds/prometheus-operator/monitoring.coreos.com_servicemonitors.yaml")...)
	ns := serviceStep(map[string]any{"environments": []any{"prod-us"}})
	if _, err := serviceAction(t, seedPlacer(true)).Run(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	src := "teams/payments/ledger-api/prod-us/"
	repo := cacheRepo{}
	for f, body := range ns.Files {
		if strings.HasPrefix(f, src) {
			repo[f] = body
		}
	}
	if len(repo) != 6 || !strings.Contains(repo[src+"dashboard.yaml"], "ledger-api-prod-us.json") {
		t.Fatalf("new-service wrote %v", cacheFileNames(ns.Files))
	}

	cat := catalogtest.FromEntities(t,
		catalogtest.Group("payments"), catalogtest.User("dana", "U-dana", "payments"),
		catalogtest.Component("ledger-api", "group:default/payments", "platbot.dev/environments=prod-us:tier1@us-east-1"))
	a := newRegionActions(actions.Deps{Catalog: cat, Placer: &rulePlacer{clusters: map[string]string{"tier1/eu-west-1": "euw1-prod-a"}}, GitOpsFiles: repo})[ActionRegion]
	sc := regionStep(map[string]any{"service": "component:default/ledger-api", "environment": "prod-eu", "region": "eu-west-1", "from": "prod-us"})
	sc.Run = actions.Run{ID: "r2", RequesterRef: "user:default/dana", Owner: "group:default/payments"}
	if _, err := a.Plan(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	dir := "teams/payments/ledger-api/prod-eu/"
	n := 0
	for f, body := range sc.Files {
		if !strings.HasPrefix(f, dir) {
			continue
		}
		n++
		for _, old := range []string{"prod-us", "us-east-1", "use1-prod-a"} {
			if strings.Contains(body, old) {
				t.Errorf("%s still says %s:\n%s", f, old, body)
			}
		}
		for _, err := range goldentest.Check(t, body) {
			t.Errorf("%s: %v", f, err)
		}
	}
	if n != 9 {
		t.Errorf("%d files in %s: %v", n, dir, cacheFileNames(sc.Files))
	}
	var cm corev1.ConfigMap
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"dashboard.yaml"]), &cm); err != nil {
		t.Fatal(err)
	}
	var dash grafanaDashboard
	if err := json.Unmarshal([]byte(cm.Data["ledger-api-prod-eu.json"]), &dash); err != nil {
		t.Fatalf("dashboard %v: %v", cm.Data, err)
	}
	if dash.UID != "ledger-api-prod-eu" || dash.Title != "ledger-api (prod-eu)" || !slices.Contains(dash.Tags, "prod-eu") || len(dash.Panels) != 5 ||
		cm.Labels["platbot.io/environment"] != "prod-eu" {
		t.Errorf("dashboard %+v, labels %v", dash, cm.Labels)
	}
}
