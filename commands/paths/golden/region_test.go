package golden

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
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
		"teams/checkout/checkout-service/prod/deployment.yaml":                    checkoutDeployment,
		"teams/checkout/checkout-service/prod/cache-sessions/redis-instance.yaml": "kind: RedisInstance\n",
		"databases/carts-db/prod/postgres-instance.yaml":                          checkoutPrimaryDB,
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
	if sc.Files[dir+"deployment.yaml"] != checkoutDeployment {
		t.Error("the Deployment was not copied unchanged")
	}
	var d appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"deployment.yaml"]), &d); err != nil {
		t.Fatal(err)
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
		{"another team's service", regionRepo(), map[string]any{"service": "component:default/report-builder"}, "service", "is owned by group:default/reports"},
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
