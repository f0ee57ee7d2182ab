package golden

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/integrations/yamledit"
)

// ActionCache is the action of the new-cache golden path
// (examples/templates/new-cache).
const ActionCache = "platbot:cache"

func init() { registry = append(registry, newCacheActions) }

func newCacheActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionCache: cache{d: d}}
}

// The values a RedisInstance claim allows (examples/crossplane).
var (
	cacheSizes            = []string{"small", "medium", "large"}
	cacheEvictionPolicies = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}
	cacheNameRe           = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$`)
)

// cache is platbot:cache: a Redis cache for an existing service in one
// environment. Input: service (the Component's ref; one of the
// requester's teams must own it), name (the cache's, unique per service),
// environment, size, highAvailability, evictionPolicy (default
// allkeys-lru), deploymentPath (the service's Deployment manifest in the
// GitOps repository; default new-service's layout,
// teams/<team>/<service>/<environment>/deployment.yaml) and container
// (optional, as yamledit.SecretEnv). Next
// to the Deployment, in the same folder, it writes
//
//	cache-<name>-redis-instance.yaml  the platform's RedisInstance claim
//	                                  (Crossplane), publishing its
//	                                  connection details to Vault
//	cache-<name>-external-secret.yaml the ExternalSecret making them a
//	                                  Kubernetes Secret
//	cache-<name>-dashboard.yaml       a Grafana dashboard ConfigMap
//	                                  (grafana_dashboard: "1")
//
// The folder is the source path of the environment's Argo CD Application
// (new-service's layout), which syncs that folder's files and not its
// subfolders (no directory.recurse): files there are deployed with the
// Deployment by the Application that already exists.
//
// and edits the Deployment (comment-preserving, integrations/yamledit) so
// its container reads <NAME>_REDIS_HOST, _PORT and _PASSWORD from that
// Secret. Every object carries the FinOps labels. Outputs: claimPath,
// deploymentPath, secretName.
type cache struct{ d actions.Deps }

func (cache) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"service", "name", "environment", "size"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

// plannedCache is what a step adds and changes.
type plannedCache struct {
	service, name, env, dir, deploymentPath, secretName string
	files                                               map[string]string
}

func (c cache) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	p, err := c.prepare(ctx, sc)
	if err != nil {
		return actions.Plan{}, err
	}
	p.write(sc)
	return actions.Plan{Effects: p.effects(), Output: p.output()}, nil
}

func (c cache) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	p, err := c.prepare(ctx, sc)
	if err != nil {
		return nil, err
	}
	p.write(sc)
	return p.output(), nil
}

func (p *plannedCache) write(sc *actions.StepContext) {
	for f, body := range p.files {
		sc.Files[f] = body
	}
}

func (p *plannedCache) effects() []string {
	return []string{
		fmt.Sprintf("add %s (the RedisInstance claim %s of %s in %s)", cacheFile(p.dir, p.name, cacheClaimFile), p.service+"-"+p.name, p.service, p.env),
		fmt.Sprintf("add %s (the ExternalSecret %s with the connection details)", cacheFile(p.dir, p.name, cacheSecretFile), p.secretName),
		fmt.Sprintf("add %s (the Redis Grafana dashboard)", cacheFile(p.dir, p.name, cacheDashboardFile)),
		fmt.Sprintf("edit %s: the container reads %s_REDIS_HOST, _PORT and _PASSWORD from %s", p.deploymentPath, envPrefix(p.name), p.secretName),
	}
}

func (p *plannedCache) output() map[string]any {
	return map[string]any{"claimPath": cacheFile(p.dir, p.name, cacheClaimFile), "deploymentPath": p.deploymentPath, "secretName": p.secretName}
}

// The files of a cache, beside the Deployment (see cacheFile).
const (
	cacheClaimFile     = "redis-instance.yaml"
	cacheSecretFile    = "external-secret.yaml"
	cacheDashboardFile = "dashboard.yaml"
)

// cacheFile is the file of the cache name in the environment folder dir:
// dir/cache-<name>-<file>.
func cacheFile(dir, name, file string) string { return path.Join(dir, "cache-"+name+"-"+file) }

// envPrefix is the env variables' prefix of a cache name.
func envPrefix(name string) string { return strings.ToUpper(strings.ReplaceAll(name, "-", "_")) }

// prepare checks the input against the catalog and the GitOps repository
// and builds every file; nothing is written until it all succeeds.
func (c cache) prepare(ctx context.Context, sc *actions.StepContext) (*plannedCache, error) {
	ref, name, env := inputText(sc, "service"), inputText(sc, "name"), inputText(sc, "environment")
	if ref == "" {
		return nil, fieldError(sc, "service", "choose the service the cache is for")
	}
	if !cacheNameRe.MatchString(name) {
		return nil, fieldError(sc, "name", fmt.Sprintf("%q is not a cache name: lower-case letters, digits and '-', starting with a letter, at most 20 (like sessions)", name))
	}
	if env == "" {
		return nil, fieldError(sc, "environment", "choose the environment")
	}
	size := inputText(sc, "size")
	if !slices.Contains(cacheSizes, size) {
		return nil, fieldError(sc, "size", fmt.Sprintf("%q is not a size: one of %s", size, strings.Join(cacheSizes, ", ")))
	}
	eviction := inputText(sc, "evictionPolicy")
	if eviction == "" {
		eviction = "allkeys-lru"
	}
	if !slices.Contains(cacheEvictionPolicies, eviction) {
		return nil, fieldError(sc, "evictionPolicy", fmt.Sprintf("%q is not a Redis eviction policy: one of %s", eviction, strings.Join(cacheEvictionPolicies, ", ")))
	}
	ha := false
	switch v := inputText(sc, "highAvailability"); v {
	case "", "false":
	case "true":
		ha = true
	default:
		return nil, fieldError(sc, "highAvailability", fmt.Sprintf("%q is not true or false", v))
	}
	svc, err := environment{d: c.d}.service(ref, sc.Run, "caches")
	if err != nil {
		return nil, fieldError(sc, "service", err.Error())
	}
	team := strings.TrimPrefix(svc.Owner(), "group:default/")
	raw := inputText(sc, "deploymentPath")
	if raw == "" {
		raw = path.Join("teams", team, svc.Metadata.Name, env, "deployment.yaml")
	}
	dp := strings.Trim(path.Clean("/"+raw), "/")
	if dp == "" || strings.Contains(raw, "..") || !strings.HasSuffix(dp, ".yaml") {
		return nil, &actions.StepError{Msg: fmt.Sprintf("input.deploymentPath %q is not a YAML file inside the GitOps repository", raw)}
	}
	if c.d.GitOpsFiles == nil {
		return nil, &actions.StepError{Msg: "platbot cannot read the GitOps repository here, so it cannot find the Deployment of " + svc.Metadata.Name}
	}
	src, err := c.d.GitOpsFiles.ReadFile(ctx, dp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fieldError(sc, "environment", fmt.Sprintf("%s has no Deployment in %s (%s is not in the GitOps repository)", svc.Metadata.Name, env, dp))
	}
	if err != nil {
		return nil, &actions.StepError{Msg: "could not read " + dp, Hint: "Press Retry", Err: err}
	}
	var dep appsv1.Deployment
	if err := sigsyaml.Unmarshal(src, &dep); err != nil || dep.Kind != "Deployment" {
		return nil, &actions.StepError{Msg: fmt.Sprintf("%s is not a Deployment manifest (%v)", dp, err)}
	}
	ns := dep.Namespace
	if ns == "" {
		ns = "default"
	}
	dir := path.Dir(dp)
	entries, err := c.d.GitOpsFiles.ListDir(ctx, dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &actions.StepError{Msg: "could not list " + path.Dir(dp), Hint: "Press Retry", Err: err}
	}
	// A folder cache-<name> is where earlier versions of this path wrote
	// a cache.
	for _, have := range []string{path.Base(cacheFile(dir, name, cacheClaimFile)), "cache-" + name} {
		if slices.Contains(entries, have) {
			return nil, fieldError(sc, "name", fmt.Sprintf("%s already has a cache %s in %s (%s): choose another name", svc.Metadata.Name, name, env, path.Join(dir, have)))
		}
	}

	claimName := svc.Metadata.Name + "-" + name
	secretName := claimName + "-redis"
	vaultName := svc.Metadata.Name + "-" + env + "-cache-" + name
	labels := map[string]string{
		"app.kubernetes.io/name": svc.Metadata.Name, "app.kubernetes.io/component": "cache", "app.kubernetes.io/managed-by": "platbot",
		"platform.example.com/environment": env, "finops/team": team, "finops/service": svc.Metadata.Name,
	}
	annotations := map[string]any{"finops/cost-tag": "service=" + svc.Metadata.Name, "finops/owner": svc.Owner(), "platbot.dev/golden-path": "new-cache"}
	anyLabels := map[string]any{}
	for k, v := range labels {
		anyLabels[k] = v
	}

	claim := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.example.com/v1", "kind": "RedisInstance",
		"metadata": map[string]any{"name": claimName, "namespace": ns, "labels": anyLabels, "annotations": annotations},
		"spec": map[string]any{
			"size": size, "highAvailability": ha, "evictionPolicy": eviction,
			// The platform's StoreConfig "vault" keeps connection details
			// under crossplane/ in the KV store (examples/crossplane/README.md).
			"publishConnectionDetailsTo": map[string]any{"name": vaultName, "configRef": map[string]any{"name": "vault"}},
		},
	}}
	secret := cacheExternalSecret(secretName, ns, vaultName, anyLabels)
	dash, err := redisDashboard(claimName, ns, env, team, labels)
	if err != nil {
		return nil, err
	}

	edited := src
	prefix := envPrefix(name)
	for _, e := range []struct{ suffix, key string }{{"_REDIS_HOST", "host"}, {"_REDIS_PORT", "port"}, {"_REDIS_PASSWORD", "password"}} {
		out, res, err := yamledit.AddSecretEnv(edited, yamledit.SecretEnv{Container: inputText(sc, "container"), Name: prefix + e.suffix, SecretName: secretName, SecretKey: e.key})
		if err != nil {
			return nil, &actions.StepError{Msg: fmt.Sprintf("could not add %s to %s: %v", prefix+e.suffix, dp, err), Hint: "Add the env entries by hand, then run again"}
		}
		if res.Exists {
			return nil, fieldError(sc, "name", fmt.Sprintf("container %q of %s already defines %s: choose another cache name", res.Container, dp, prefix+e.suffix))
		}
		edited = out
	}

	p := &plannedCache{service: svc.Metadata.Name, name: name, env: env, dir: dir, deploymentPath: dp, secretName: secretName,
		files: map[string]string{dp: string(edited)}}
	for _, o := range []struct {
		file, head string
		obj        any
	}{
		{cacheClaimFile, "# The " + name + " Redis cache of " + svc.Metadata.Name + " in " + env + ", claimed through Crossplane\n# (platform.example.com/v1 RedisInstance). Rendered by platbot's new-cache golden path.\n", claim.Object},
		{cacheSecretFile, "# The connection details of " + claimName + " (host, port, password), from Vault.\n", secret.Object},
		{cacheDashboardFile, "# The Grafana dashboard of " + claimName + " in " + env + " (the Grafana sidecar loads it).\n", dash},
	} {
		b, err := sigsyaml.Marshal(o.obj)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", o.file, err)
		}
		p.files[cacheFile(dir, name, o.file)] = o.head + string(b)
	}
	for f, body := range p.files {
		if prev, ok := sc.Files[f]; ok && prev != body && f != dp {
			return nil, &actions.StepError{Msg: "an earlier step of this run already wrote " + f}
		}
	}
	return p, nil
}

// cacheExternalSecret is the ExternalSecret making the connection details
// a cache's claim publishes to Vault (under crossplane/<vaultName>) the
// Secret name in ns, with the keys host, port and password.
func cacheExternalSecret(name, ns, vaultName string, labels map[string]any) *unstructured.Unstructured {
	data := []any{}
	for _, k := range []struct{ key, property string }{{"host", "endpoint"}, {"port", "port"}, {"password", "password"}} {
		data = append(data, map[string]any{"secretKey": k.key, "remoteRef": map[string]any{"key": "crossplane/" + vaultName, "property": k.property}})
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": labels},
		"spec": map[string]any{
			"refreshInterval": "1h",
			"secretStoreRef":  map[string]any{"kind": "ClusterSecretStore", "name": "vault"},
			"target":          map[string]any{"name": name, "creationPolicy": "Owner"},
			"data":            data,
		},
	}}
}

// redisDashboard is the cache's Grafana dashboard over redis_exporter's
// metrics, which the platform's Redis composition scrapes with the label
// cache=<claim name>.
func redisDashboard(claim, ns, env, team string, labels map[string]string) (*corev1.ConfigMap, error) {
	sel := fmt.Sprintf(`namespace=%q, cache=%q`, ns, claim)
	return dashboardConfigMap(dashboardSpec{
		Meta: metav1.ObjectMeta{Name: claim + "-redis-dashboard", Namespace: ns, Labels: labels},
		Key:  claim + "-redis.json",
		UID:  "redis-" + claim + "-" + env, Title: claim + " Redis (" + env + ")", Tags: []string{team, env, "redis", "platbot"},
		Panels: []dashboardPanel{
			{"Memory used / max", fmt.Sprintf(`redis_memory_used_bytes{%[1]s} / redis_memory_max_bytes{%[1]s}`, sel), "{{instance}}"},
			{"Hit ratio", fmt.Sprintf(`sum(rate(redis_keyspace_hits_total{%[1]s}[5m])) / (sum(rate(redis_keyspace_hits_total{%[1]s}[5m])) + sum(rate(redis_keyspace_misses_total{%[1]s}[5m])))`, sel), "hits"},
			{"Evicted keys per second", fmt.Sprintf(`sum(rate(redis_evicted_keys_total{%s}[5m]))`, sel), "evicted"},
			{"Commands per second", fmt.Sprintf(`sum(rate(redis_commands_processed_total{%s}[5m]))`, sel), "commands"},
			{"Connected clients", fmt.Sprintf(`sum(redis_connected_clients{%s})`, sel), "clients"},
			{"Replication lag (s)", fmt.Sprintf(`max(redis_connected_slave_lag_seconds{%s})`, sel), "lag"},
		},
	})
}
