package main

import (
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestServeNewCacheOverSlack runs /plat new-cache through the served bot
// as Slack does, in demo mode on the example catalog, where the local
// GitOps repository platbot creates starts with the example services'
// manifests (examples/gitops): an environment in which payments-service
// has no Deployment comes back beside the environment field and nothing
// starts; the corrected submission's pull request holds the cache's
// claim, ExternalSecret and dashboard and the Deployment reading the
// connection Secret, its comments kept.
func TestServeNewCacheOverSlack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	b := startExamplesBot(t, map[string]string{"PLATBOT_DEMO": "1"})
	repo := b.env["PLATBOT_GITOPS_REPO"]
	const dir = "teams/payments/payments-service/staging"
	if seeded := gitLines(t, repo, "ls-tree", "-r", "--name-only", "main", "teams/payments/payments-service"); !slices.Contains(seeded, dir+"/deployment.yaml") {
		t.Fatalf("the new GitOps repository lacks the example Deployment: %q", seeded)
	}

	v := b.openGoldenModal(t, "new-cache", "service,name,environment,size,highAvailability,evictionPolicy")
	state := jobState{}
	state.set(t, v.View, "service", "component:default/payments-service", "payments-service")
	state.set(t, v.View, "name", "sessions", "")
	state.set(t, v.View, "environment", "dev", "dev")
	state.set(t, v.View, "size", "medium", "Medium (6 GiB)")
	state.set(t, v.View, "evictionPolicy", "allkeys-lfu", "allkeys-lfu")
	b.submitRefused(t, v, state, repo, "environment", "payments-service has no Deployment in dev (teams/payments/payments-service/dev/deployment.yaml is not in the GitOps repository)")

	state.set(t, v.View, "environment", "staging", "staging")
	branch := b.submitRun(t, v, state, repo)
	cache := path.Join(dir, "cache-sessions")
	want := []string{cache + "-dashboard.yaml", cache + "-external-secret.yaml", cache + "-redis-instance.yaml", dir + "/deployment.yaml"}
	if files := withoutLineage(gitLines(t, repo, "diff", "--name-only", "main", branch)); !slices.Equal(files, want) {
		t.Fatalf("files changed %q, want %q", files, want)
	}

	src := gitShow(t, repo, branch+":"+dir+"/deployment.yaml")
	if !strings.HasPrefix(string(src), "# The Deployment of payments-service in staging") {
		t.Errorf("the edited Deployment lost its comment:\n%s", src)
	}
	var dep appsv1.Deployment
	if err := sigsyaml.UnmarshalStrict(src, &dep); err != nil {
		t.Fatalf("Deployment: %v\n%s", err, src)
	}
	env := map[string]string{}
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == "payments-service-sessions-redis" {
			env[e.Name] = e.ValueFrom.SecretKeyRef.Key
		}
	}
	if env["SESSIONS_REDIS_HOST"] != "host" || env["SESSIONS_REDIS_PORT"] != "port" || env["SESSIONS_REDIS_PASSWORD"] != "password" {
		t.Errorf("the container reads %v from the cache's Secret", env)
	}

	var claim struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name, Namespace string
			Labels          map[string]string
		} `json:"metadata"`
		Spec struct {
			Size             string `json:"size"`
			HighAvailability bool   `json:"highAvailability"`
			EvictionPolicy   string `json:"evictionPolicy"`
		} `json:"spec"`
	}
	if err := sigsyaml.Unmarshal(gitShow(t, repo, branch+":"+cache+"-redis-instance.yaml"), &claim); err != nil {
		t.Fatal(err)
	}
	if claim.Kind != "RedisInstance" || claim.Metadata.Name != "payments-service-sessions" || claim.Metadata.Namespace != "payments" ||
		claim.Spec.Size != "medium" || claim.Spec.EvictionPolicy != "allkeys-lfu" || claim.Spec.HighAvailability || claim.Metadata.Labels["finops/team"] != "payments" {
		t.Errorf("claim %+v", claim)
	}
	var dash corev1.ConfigMap
	if err := sigsyaml.UnmarshalStrict(gitShow(t, repo, branch+":"+cache+"-dashboard.yaml"), &dash); err != nil {
		t.Fatal(err)
	}
	if dash.Labels["grafana_dashboard"] != "1" || dash.Namespace != "payments" || len(dash.Data) != 1 {
		t.Errorf("dashboard ConfigMap %s/%s labels %v, %d data keys", dash.Namespace, dash.Name, dash.Labels, len(dash.Data))
	}
}
