package golden

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/paths/golden/goldentest"
)

// add-region replicates the caches of the environment it starts from: a
// cache new-cache made in prod (merged into the base branch) gets, in
// prod-ap, a RedisInstance replicating it as a secondary of its global
// datastore, its ExternalSecret and dashboard; the copied Deployment
// reads the new cache's Secret, and no file of the prod cache is copied
// as it is. Every manifest is accepted by a real kube-apiserver.
func TestRegionReplicatesTheCaches(t *testing.T) {
	goldentest.InstallCRDs(t, append(slicesClone(regionCRDs), cacheCRDs...)...)
	repo := regionRepo()
	made := cacheStep(cacheInput())
	if _, err := cacheAction(t, repo).Run(context.Background(), made); err != nil {
		t.Fatal(err)
	}
	maps.Copy(repo, made.Files) // merged

	sc := regionStep(nil)
	plan, err := regionAction(t, repo).Plan(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	dir := "teams/checkout/checkout-service/prod-ap/"
	for _, f := range []string{"cache-sessions-redis-instance.yaml", "cache-sessions-external-secret.yaml", "cache-sessions-dashboard.yaml"} {
		if _, ok := sc.Files[dir+f]; !ok {
			t.Fatalf("no %s in %v", dir+f, cacheFileNames(sc.Files))
		}
		if strings.Contains(sc.Files[dir+f], "checkout-service-sessions-redis\n") || strings.Contains(sc.Files[dir+f], "prod-cache-sessions\n") {
			t.Errorf("%s names the prod cache's Secret or Vault key:\n%s", f, sc.Files[dir+f])
		}
	}
	if got := strings.Join(plan.Effects, "\n"); !strings.Contains(got, "the cache sessions in ap-southeast-1: checkout-service-sessions-prod-ap replicating checkout-service-sessions (prod)") ||
		!strings.Contains(got, "the copied containers read checkout-service-sessions-prod-ap-redis instead of checkout-service-sessions-redis") {
		t.Errorf("effects:\n%s", got)
	}

	var claim struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name        string            `json:"name"`
			Namespace   string            `json:"namespace"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			Size             string `json:"size"`
			HighAvailability bool   `json:"highAvailability"`
			EvictionPolicy   string `json:"evictionPolicy"`
			Region           string `json:"region"`
			ReplicaOf        *struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
				Region    string `json:"region"`
			} `json:"replicaOf"`
			PublishConnectionDetailsTo struct {
				Name      string            `json:"name"`
				ConfigRef map[string]string `json:"configRef"`
			} `json:"publishConnectionDetailsTo"`
		} `json:"spec"`
	}
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"cache-sessions-redis-instance.yaml"]), &claim); err != nil {
		t.Fatal(err)
	}
	if claim.Kind != "RedisInstance" || claim.Metadata.Name != "checkout-service-sessions-prod-ap" || claim.Metadata.Namespace != "checkout-service" ||
		claim.Spec.Size != "medium" || !claim.Spec.HighAvailability || claim.Spec.EvictionPolicy != "volatile-lru" || claim.Spec.Region != "ap-southeast-1" ||
		claim.Spec.ReplicaOf == nil || claim.Spec.ReplicaOf.Name != "checkout-service-sessions" || claim.Spec.ReplicaOf.Namespace != "checkout-service" ||
		claim.Spec.PublishConnectionDetailsTo.Name != "checkout-service-prod-ap-cache-sessions" || claim.Metadata.Labels["platform.example.com/environment"] != "prod-ap" {
		t.Errorf("claim %+v", claim)
	}
	var es unstructured.Unstructured
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"cache-sessions-external-secret.yaml"]), &es.Object); err != nil {
		t.Fatal(err)
	}
	target, _, _ := unstructured.NestedString(es.Object, "spec", "target", "name")
	data, _, _ := unstructured.NestedSlice(es.Object, "spec", "data")
	if es.GetKind() != "ExternalSecret" || target != "checkout-service-sessions-prod-ap-redis" || len(data) != 3 ||
		data[0].(map[string]any)["remoteRef"].(map[string]any)["key"] != "crossplane/checkout-service-prod-ap-cache-sessions" {
		t.Errorf("ExternalSecret %v", es.Object)
	}
	var cm corev1.ConfigMap
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"cache-sessions-dashboard.yaml"]), &cm); err != nil || cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard %v: %v", cm.Labels, err)
	}
	var d appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict([]byte(sc.Files[dir+"deployment.yaml"]), &d); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if strings.HasPrefix(e.Name, "SESSIONS_REDIS_") {
			n++
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != "checkout-service-sessions-prod-ap-redis" {
				t.Errorf("%s reads %+v", e.Name, e.ValueFrom)
			}
		}
	}
	if n != 3 {
		t.Errorf("the copied Deployment has %d SESSIONS_REDIS_ variables:\n%s", n, sc.Files[dir+"deployment.yaml"])
	}
	for f, body := range sc.Files {
		if strings.HasPrefix(f, "apps/") {
			continue
		}
		for _, err := range goldentest.Check(t, body) {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The API server refuses a secondary that names no primary namespace.
	bad := strings.Replace(sc.Files[dir+"cache-sessions-redis-instance.yaml"], "    namespace: checkout-service\n", "", 1)
	if bad == sc.Files[dir+"cache-sessions-redis-instance.yaml"] || len(goldentest.Check(t, bad)) == 0 {
		t.Error("the API server took a secondary without the primary's namespace")
	}
}

// A cache in the folder earlier versions of new-cache wrote is
// replicated too; one whose claim platbot cannot read is a field error
// on from, and nothing is written.
func TestRegionCacheFolderAndBadCacheClaim(t *testing.T) {
	repo := regionRepo()
	made := cacheStep(cacheInput())
	if _, err := cacheAction(t, repo).Run(context.Background(), made); err != nil {
		t.Fatal(err)
	}
	for f, body := range made.Files {
		f = strings.Replace(f, "/cache-sessions-", "/cache-sessions/", 1)
		repo[f] = body
	}
	sc := regionStep(nil)
	if _, err := regionAction(t, repo).Plan(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	if c := sc.Files["teams/checkout/checkout-service/prod-ap/cache-sessions-redis-instance.yaml"]; !strings.Contains(c, "name: checkout-service-sessions-prod-ap") {
		t.Errorf("no secondary of the folder's cache: %v", cacheFileNames(sc.Files))
	}

	repo["teams/checkout/checkout-service/prod/cache-sessions/redis-instance.yaml"] = "kind: RedisInstance\n"
	sc = regionStep(nil)
	_, err := regionAction(t, repo).Plan(context.Background(), sc)
	var fe bot.FieldErrors
	if !errors.As(err, &fe) || !strings.Contains(fe["from"], "teams/checkout/checkout-service/prod/cache-sessions/redis-instance.yaml is not a RedisInstance claim platbot can replicate") {
		t.Errorf("bad claim: %v", err)
	}
	if len(sc.Files) != 0 {
		t.Errorf("wrote %v", cacheFileNames(sc.Files))
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
