package golden

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/integrations/yamledit"
)

// ActionRegion is the action of the add-region golden path
// (examples/templates/add-region).
const ActionRegion = "platbot:region"

func init() { registry = append(registry, newRegionActions) }

func newRegionActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionRegion: region{d: d}}
}

var (
	regionEnvRe  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)
	hostnameRe   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	regionNameRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// continents are Route 53's geolocation continent codes by the prefix
	// of an AWS region.
	continents = map[string]string{"us": "NA", "ca": "NA", "mx": "NA", "sa": "SA", "eu": "EU", "il": "AS", "me": "AS", "ap": "AS", "af": "AF"}
)

// region is platbot:region: an existing service in a new environment in
// a new region. Input: service (a Component of the requester's team),
// environment (the new one's name), region, tier (default tier1), from
// (the environment whose manifests the new one starts from), hostname
// (the service's public DNS name), routing (latency or geo),
// ingressDomain (each cluster's ingress answers for
// <service>.<cluster>.<ingressDomain>) and databaseEnvironment (the
// environment of the primary databases, default prod). It writes, in
// new-service's layout (teams/<team>/<service>/<environment>/):
//
//   - the from environment's manifests, each decoded with its Go type and
//     its environment, region and tier labels, annotations and variables
//     rewritten for the new environment (envCopy, region_copy.go);
//   - the Argo CD Application the placement rules give (a region where no
//     cluster runs is a field error on region), or the environment's
//     element added to the service's ApplicationSet when the platform
//     writes those (actions.Placed.Content);
//   - dnsendpoint.yaml: an external-dns DNSEndpoint for hostname, one
//     weighted record set per region (setIdentifier <service>-<env>) with
//     Route 53 latency routing (aws/region) or geolocation routing
//     (aws/geolocation-continent-code);
//   - probe.yaml and prometheusrule.yaml: a blackbox Probe of the new
//     endpoint's /healthz and the alerts on it;
//
// (the DNSEndpoint, Probe and PrometheusRule in the namespace of the
// copied Deployment, else the catalog's backstage.io/kubernetes-namespace,
// else the service's name)
//
// For every cache of the from environment (new-cache's
// cache-<name>-*.yaml beside its Deployment, or the cache-<name>/ folder
// earlier versions wrote) it writes the new environment's cache files
// instead of copying them: a RedisInstance in the new region that
// replicates the from environment's as a secondary of its global
// datastore (spec.replicaOf), the ExternalSecret of its connection
// details and its dashboard; the copied containers' references to the
// start cache's Secret name the new one's (envCopy.secrets).
//
// And, for every new-db database the service uses (catalog
// spec.dependencyOf), databases/<db>/<environment>/postgres-instance.yaml:
// a read replica in the new region of the primary's claim.
//
// And it adds the new environment (its name, tier and region) to the
// service's deployment intent, as new-environment does (addToIntent,
// intent.go): the catalog file edited in place when the GitOps repository
// holds it, else the intent output says what to add where. Outputs:
// cluster, explanation, applicationPath, catalogPath (the edited catalog
// file, "" when none) and intent (a sentence for the pull request's
// description).
type region struct{ d actions.Deps }

func (region) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"service", "environment", "region", "from", "hostname", "ingressDomain"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

type plannedRegion struct {
	service, env string
	placed       *actions.Placed
	files        map[string]string
	effects      []string
	intent       intentEdit
}

func (r region) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	p, err := r.prepare(ctx, sc)
	if err != nil {
		return actions.Plan{}, err
	}
	if err := p.write(sc); err != nil {
		return actions.Plan{}, err
	}
	return actions.Plan{Effects: p.effects, Output: p.output()}, nil
}

func (r region) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	p, err := r.prepare(ctx, sc)
	if err != nil {
		return nil, err
	}
	if err := p.write(sc); err != nil {
		return nil, err
	}
	return p.output(), nil
}

// write adds the step's files to the run's: the Argo CD file with what
// the run already planned for it (an ApplicationSet gains the
// environment: Placed.Content).
func (p *plannedRegion) write(sc *actions.StepContext) error {
	prev, ok := sc.Files[p.placed.Path]
	argo, err := p.placed.Content(prev, ok)
	if err != nil {
		return &actions.StepError{Msg: "could not add " + p.env + " of " + p.service + " to its Argo CD file: " + err.Error(), Err: err}
	}
	for f, b := range p.files {
		sc.Files[f] = b
	}
	sc.Files[p.placed.Path] = argo
	p.intent.write(sc)
	return nil
}

func (p *plannedRegion) output() map[string]any {
	return map[string]any{"cluster": p.placed.Cluster, "explanation": p.placed.Explain, "applicationPath": p.placed.Path,
		"catalogPath": p.intent.path, "intent": p.intent.note}
}

// cacheEntryRe is a file new-cache writes beside a Deployment (cacheFile):
// the cache's name and which file.
var cacheEntryRe = regexp.MustCompile(`^cache-([a-z](?:[-a-z0-9]{0,18}[a-z0-9])?)-(redis-instance|external-secret|dashboard)\.yaml$`)

// primaryCache is the part of a new-cache RedisInstance a secondary
// copies.
type primaryCache struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Size             string `json:"size"`
		HighAvailability bool   `json:"highAvailability"`
		EvictionPolicy   string `json:"evictionPolicy"`
		Region           string `json:"region"`
	} `json:"spec"`
}

// cacheSecretName is the Secret a cache's ExternalSecret writes
// (spec.target.name, else its name); "" when the file says none.
func cacheSecretName(b []byte) string {
	var es struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Target struct {
				Name string `json:"name"`
			} `json:"target"`
		} `json:"spec"`
	}
	if sigsyaml.Unmarshal(b, &es) != nil {
		return ""
	}
	if es.Spec.Target.Name != "" {
		return es.Spec.Target.Name
	}
	return es.Metadata.Name
}

// primaryClaim is the part of a new-db PostgresInstance a replica copies.
type primaryClaim struct {
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Size                 string `json:"size"`
		StorageGB            int64  `json:"storageGB"`
		Region               string `json:"region"`
		CredentialsSecretRef struct {
			Name string `json:"name"`
		} `json:"credentialsSecretRef"`
	} `json:"spec"`
}

func (r region) prepare(ctx context.Context, sc *actions.StepContext) (*plannedRegion, error) {
	ref, env, reg, from := inputText(sc, "service"), inputText(sc, "environment"), inputText(sc, "region"), inputText(sc, "from")
	host, routing, ingress := strings.ToLower(inputText(sc, "hostname")), inputText(sc, "routing"), strings.ToLower(inputText(sc, "ingressDomain"))
	tier := inputText(sc, "tier")
	if tier == "" {
		tier = "tier1"
	}
	dbEnv := inputText(sc, "databaseEnvironment")
	if dbEnv == "" {
		dbEnv = "prod"
	}
	switch {
	case ref == "":
		return nil, fieldError(sc, "service", "choose the service")
	case !regionEnvRe.MatchString(env):
		return nil, fieldError(sc, "environment", fmt.Sprintf("%q is not an environment name: lower-case letters, digits and '-' (like prod-ap)", env))
	case !regionNameRe.MatchString(reg):
		return nil, fieldError(sc, "region", fmt.Sprintf("%q is not a region name (like ap-southeast-1)", reg))
	case from == "":
		return nil, fieldError(sc, "from", "choose an existing environment of the service to start from")
	case !hostnameRe.MatchString(host):
		return nil, fieldError(sc, "hostname", fmt.Sprintf("%q is not a DNS name (like orders.example.com)", host))
	case !hostnameRe.MatchString(ingress):
		return nil, &actions.StepError{Msg: fmt.Sprintf("input.ingressDomain %q is not a DNS name", ingress)}
	case routing != "latency" && routing != "geo":
		return nil, fieldError(sc, "routing", fmt.Sprintf("%q is not a routing policy: latency or geo", routing))
	}
	continent := continents[reg[:2]]
	if routing == "geo" && continent == "" {
		return nil, fieldError(sc, "region", "platbot knows no continent of "+reg+" for geolocation routing: choose latency routing")
	}
	svc, err := environment{d: r.d}.service(ref, sc.Run, "regions")
	if err != nil {
		return nil, fieldError(sc, "service", err.Error())
	}
	if r.d.GitOpsFiles == nil {
		return nil, &actions.StepError{Msg: "platbot cannot read the GitOps repository here, so it cannot copy the environment " + from}
	}
	if r.d.Placer == nil {
		return nil, &actions.StepError{Msg: "placement is not available here, so platbot cannot tell which cluster " + env + " would run on",
			Hint: "Ask an admin to configure placement (docs/placement.md)"}
	}
	name, team := svc.Metadata.Name, strings.TrimPrefix(svc.Owner(), "group:default/")
	base := path.Join("teams", team, name)
	dir := path.Join(base, env)
	if have, err := r.d.GitOpsFiles.ListDir(ctx, dir); err == nil && len(have) > 0 {
		return nil, fieldError(sc, "environment", fmt.Sprintf("%s already has an environment %s (%s)", name, env, dir))
	}
	placed, err := r.d.Placer.PlaceEnvironment(ctx, actions.PlaceRequest{Service: svc.Ref(), Environment: env, Tier: tier, Region: reg, SourcePath: dir})
	if err != nil {
		var pe *actions.PlaceError
		if errors.As(err, &pe) {
			return nil, fieldError(sc, pe.Input, pe.Err.Error())
		}
		return nil, &actions.StepError{Msg: "could not place " + env + " of " + name, Hint: "Press Retry", Err: err}
	}
	p := &plannedRegion{service: name, env: env, placed: placed, files: map[string]string{}}
	argo := "add " + placed.Path + " (the Argo CD Application deploying " + env + " to " + placed.Cluster + ")"
	if placed.Add != nil {
		argo = "add " + env + " to " + placed.Path + " (the Argo CD ApplicationSet of " + name + "; its element deploys " + env + " to " + placed.Cluster + ")"
	}
	p.effects = append(p.effects, "place "+env+" of "+name+": "+placed.Explain, argo)

	// The manifests of the environment it starts from.
	entries, err := r.d.GitOpsFiles.ListDir(ctx, path.Join(base, from))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil, fieldError(sc, "from", fmt.Sprintf("%s has no environment %s in the GitOps repository (%s)", name, from, path.Join(base, from)))
	}
	if err != nil {
		return nil, &actions.StepError{Msg: "could not list " + path.Join(base, from), Hint: "Press Retry", Err: err}
	}
	sort.Strings(entries)
	var copies []*copiedFile
	// The caches of from, by name: where their files are (new-cache's
	// layout, or a cache-<name>/ folder of earlier versions).
	caches := map[string]func(file string) string{}
	for _, e := range entries {
		if m := cacheEntryRe.FindStringSubmatch(e); m != nil {
			caches[m[1]] = func(file string) string { return cacheFile(path.Join(base, from), m[1], file) }
			continue // replicated below, not copied
		}
		if n, ok := strings.CutPrefix(e, "cache-"); ok && cacheNameRe.MatchString(n) && !strings.HasSuffix(e, ".yaml") {
			caches[n] = func(file string) string { return path.Join(base, from, e, file) }
			continue
		}
		if !strings.HasSuffix(e, ".yaml") {
			continue // other folders are not part of the Application's source
		}
		src := path.Join(base, from, e)
		b, err := r.d.GitOpsFiles.ReadFile(ctx, src)
		if err != nil {
			return nil, &actions.StepError{Msg: "could not read " + src, Hint: "Press Retry", Err: err}
		}
		f, err := decodeManifests(e, b)
		if err != nil {
			return nil, fieldError(sc, "from", fmt.Sprintf("%s cannot be copied: %v; fix it in %s first", src, err, from))
		}
		copies = append(copies, f)
	}
	// What the copies say about the start environment: the catalog's
	// deployment intent, else the manifests' own labels.
	cp := &envCopy{service: name, from: from, env: env, region: reg, tier: tier, cluster: placed.Cluster, placement: placed.Explain}
	if in, ok, err := catalog.IntentOf(svc); err == nil && ok {
		if e, ok := in.Env(from); ok {
			cp.fromRegion, cp.fromTier = e.Region, e.Tier
		}
	}
	// The namespace the service runs in: its Deployment's, else the
	// catalog's (backstage.io/kubernetes-namespace), else its name.
	svcNS := svc.Annotation("backstage.io/kubernetes-namespace")
	fromNS := ""
	for _, f := range copies {
		if cp.fromRegion == "" {
			cp.fromRegion = f.regionLabel()
		}
		if fromNS == "" {
			fromNS = f.deploymentNamespace()
		}
	}
	if fromNS != "" {
		svcNS = fromNS
	}
	if svcNS == "" {
		svcNS = name
	}
	if err := r.replicateCaches(ctx, sc, p, cp, caches, svc.Owner(), team, dir, svcNS); err != nil {
		return nil, err
	}
	unchanged := 0
	for _, f := range copies {
		body, err := cp.encode(f)
		if err != nil {
			return nil, &actions.StepError{Msg: "could not copy " + path.Join(base, from, f.name), Err: err}
		}
		if f.raw != nil {
			unchanged++
		}
		p.files[path.Join(dir, f.name)] = body
	}
	p.effects = append(p.effects, fmt.Sprintf("copy %d manifest file(s) of %s into %s, their environment, region and tier references rewritten for %s", len(copies), from, dir, env))
	if unchanged > 0 {
		p.effects = append(p.effects, fmt.Sprintf("copy %d file(s) of %s that hold no Kubernetes object unchanged", unchanged, from))
	}

	labels := map[string]any{"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "platbot", "platform.example.com/environment": env,
		"platform.example.com/region": reg, "finops/team": team, "finops/service": name}
	target := name + "." + placed.Cluster + "." + ingress
	setID := name + "-" + env
	provider := []any{map[string]any{"name": "aws/region", "value": reg}}
	if routing == "geo" {
		provider = []any{map[string]any{"name": "aws/geolocation-continent-code", "value": continent}}
	}
	objs := []struct {
		file, head string
		obj        map[string]any
	}{
		{"dnsendpoint.yaml", fmt.Sprintf("# %s answers from %s too: external-dns publishes this record set with Route 53 %s routing\n# (set identifier %s); the other regions' DNSEndpoints carry the other sets.\n", host, reg, routing, setID), map[string]any{
			"apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
			"metadata": map[string]any{"name": setID, "namespace": svcNS, "labels": labels},
			"spec": map[string]any{"endpoints": []any{map[string]any{
				"dnsName": host, "recordType": "CNAME", "recordTTL": int64(60), "targets": []any{target},
				"setIdentifier": setID, "providerSpecific": provider,
			}}},
		}},
		{"probe.yaml", "# The blackbox exporter checks " + env + "'s endpoint from outside.\n", map[string]any{
			"apiVersion": "monitoring.coreos.com/v1", "kind": "Probe",
			"metadata": map[string]any{"name": setID, "namespace": svcNS, "labels": labels},
			"spec": map[string]any{
				"jobName": "probe-" + setID, "interval": "30s", "module": "http_2xx",
				"prober": map[string]any{"url": "blackbox-exporter.monitoring.svc:9115"},
				"targets": map[string]any{"staticConfig": map[string]any{
					"static": []any{"https://" + target + "/healthz"}, "labels": map[string]any{"service": name, "environment": env, "region": reg},
				}},
			},
		}},
		{"prometheusrule.yaml", "# Alerts on " + env + "'s endpoint (the Probe beside this file).\n", map[string]any{
			"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
			"metadata": map[string]any{"name": setID + "-endpoint", "namespace": svcNS, "labels": labels},
			"spec": map[string]any{"groups": []any{map[string]any{
				"name": setID + "-endpoint",
				"rules": []any{
					map[string]any{"alert": "EndpointDown", "expr": fmt.Sprintf(`probe_success{job=%q} == 0`, "probe-"+setID), "for": "5m",
						"labels":      map[string]any{"severity": "critical", "service": name, "environment": env},
						"annotations": map[string]any{"summary": name + " in " + env + " (" + reg + ") does not answer https://" + target + "/healthz"}},
					map[string]any{"alert": "EndpointSlow", "expr": fmt.Sprintf(`avg_over_time(probe_duration_seconds{job=%q}[10m]) > 1`, "probe-"+setID), "for": "10m",
						"labels":      map[string]any{"severity": "warning", "service": name, "environment": env},
						"annotations": map[string]any{"summary": name + " in " + env + " (" + reg + ") answers in more than a second"}},
				},
			}}},
		}},
	}
	for _, o := range objs {
		if err := r.add(p, path.Join(dir, o.file), o.head, o.obj); err != nil {
			return nil, err
		}
	}
	p.effects = append(p.effects, "add "+path.Join(dir, "dnsendpoint.yaml")+" ("+host+" → "+target+", "+routing+" routing)",
		"add "+path.Join(dir, "probe.yaml")+" and "+path.Join(dir, "prometheusrule.yaml")+" (the endpoint's blackbox probe and alerts)")

	// A read replica of each database the service uses.
	var dbs []string
	if r.d.Catalog != nil {
		for _, e := range r.d.Catalog.List(catalog.KindResource) {
			if e.Type() != "database" || e.Annotation("platbot.dev/golden-path") != "new-db" {
				continue
			}
			for _, d := range e.SpecStrings("dependencyOf") {
				if catalog.NormalizeRef(d, catalog.KindComponent, catalog.DefaultNamespace) == svc.Ref() {
					dbs = append(dbs, e.Metadata.Name)
				}
			}
		}
	}
	slices.Sort(dbs)
	for _, db := range slices.Compact(dbs) {
		src := path.Join("databases", db, dbEnv, "postgres-instance.yaml")
		b, err := r.d.GitOpsFiles.ReadFile(ctx, src)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fieldError(sc, "databaseEnvironment", fmt.Sprintf("%s, which %s uses, has no %s instance (%s) to replicate", db, name, dbEnv, src))
		}
		if err != nil {
			return nil, &actions.StepError{Msg: "could not read " + src, Hint: "Press Retry", Err: err}
		}
		var prim primaryClaim
		if err := sigsyaml.Unmarshal(b, &prim); err != nil || prim.Spec.Size == "" {
			return nil, &actions.StepError{Msg: fmt.Sprintf("%s is not a PostgresInstance claim (%v)", src, err)}
		}
		ns := team + "-" + env
		replicaOf := map[string]any{"name": prim.Metadata.Name, "namespace": prim.Metadata.Namespace}
		if prim.Spec.Region != "" {
			replicaOf["region"] = prim.Spec.Region
		}
		claim := map[string]any{
			"apiVersion": "platform.example.com/v1", "kind": "PostgresInstance",
			"metadata": map[string]any{"name": db, "namespace": ns, "labels": map[string]any{
				"app.kubernetes.io/name": db, "app.kubernetes.io/managed-by": "platbot", "platform.example.com/environment": env,
				"platform.example.com/region": reg, "finops/team": team, "finops/service": db,
			}, "annotations": map[string]any{"finops/cost-tag": "service=" + db, "finops/owner": svc.Owner(), "platbot.dev/golden-path": "add-region"}},
			"spec": map[string]any{
				"size": prim.Spec.Size, "storageGB": prim.Spec.StorageGB, "highAvailability": false, "region": reg,
				"credentialsSecretRef": map[string]any{"name": prim.Spec.CredentialsSecretRef.Name},
				"readReplicaOf":        replicaOf,
			},
		}
		f := path.Join("databases", db, env, "postgres-instance.yaml")
		if err := r.add(p, f, "# A read replica in "+reg+" of "+db+" ("+dbEnv+"), for "+name+" in "+env+" (add-region).\n", claim); err != nil {
			return nil, err
		}
		p.effects = append(p.effects, "add "+f+" (a read replica of "+db+" in "+reg+")")
	}
	for f, body := range p.files {
		if prev, ok := sc.Files[f]; ok && prev != body {
			return nil, &actions.StepError{Msg: "an earlier step of this run already wrote " + f}
		}
	}
	// The new environment in the service's deployment intent, so that
	// /plat where and /plat move see it.
	if p.intent, err = addToIntent(ctx, sc, r.d.GitOpsFiles, svc, yamledit.IntentEnvironment{Name: env, Tier: tier, Region: reg}); err != nil {
		return nil, err
	}
	p.effects = append(p.effects, p.intent.planEffect(name))
	return p, nil
}

// replicateCaches writes, for each cache of the start environment
// (where its files are, by name), the new environment's: a RedisInstance
// in cp.region replicating the start one's (a secondary of its global
// datastore: spec.replicaOf), the ExternalSecret of its connection
// details and its dashboard, in the new environment's folder dir and the
// service's namespace ns; and it makes the copies' references to the
// start cache's Secret name the new one (cp.secrets).
func (r region) replicateCaches(ctx context.Context, sc *actions.StepContext, p *plannedRegion, cp *envCopy, caches map[string]func(string) string, owner, team, dir, ns string) error {
	names := make([]string, 0, len(caches))
	for n := range caches {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		src := caches[n](cacheClaimFile)
		b, err := r.d.GitOpsFiles.ReadFile(ctx, src)
		if errors.Is(err, fs.ErrNotExist) {
			return fieldError(sc, "from", fmt.Sprintf("the cache %s of %s in %s has no claim (%s) to replicate; fix it in %s first", n, cp.service, cp.from, src, cp.from))
		}
		if err != nil {
			return &actions.StepError{Msg: "could not read " + src, Hint: "Press Retry", Err: err}
		}
		var prim primaryCache
		if err := sigsyaml.Unmarshal(b, &prim); err != nil || prim.Metadata.Name == "" || !slices.Contains(cacheSizes, prim.Spec.Size) {
			return fieldError(sc, "from", fmt.Sprintf("%s is not a RedisInstance claim platbot can replicate (%v); fix it in %s first", src, err, cp.from))
		}
		oldSecret := prim.Metadata.Name + "-redis"
		if es, err := r.d.GitOpsFiles.ReadFile(ctx, caches[n](cacheSecretFile)); err == nil {
			if s := cacheSecretName(es); s != "" {
				oldSecret = s
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return &actions.StepError{Msg: "could not read " + caches[n](cacheSecretFile), Hint: "Press Retry", Err: err}
		}
		primNS := prim.Metadata.Namespace
		if primNS == "" {
			primNS = "default"
		}
		primRegion := prim.Spec.Region
		if primRegion == "" {
			primRegion = cp.fromRegion
		}
		claimName := prim.Metadata.Name + "-" + cp.env
		secretName := claimName + "-redis"
		vaultName := cp.service + "-" + cp.env + "-cache-" + n
		labels := map[string]string{
			"app.kubernetes.io/name": cp.service, "app.kubernetes.io/component": "cache", "app.kubernetes.io/managed-by": "platbot",
			"platform.example.com/environment": cp.env, "platform.example.com/region": cp.region, "finops/team": team, "finops/service": cp.service,
		}
		anyLabels := map[string]any{}
		for k, v := range labels {
			anyLabels[k] = v
		}
		replicaOf := map[string]any{"name": prim.Metadata.Name, "namespace": primNS}
		if primRegion != "" {
			replicaOf["region"] = primRegion
		}
		eviction := prim.Spec.EvictionPolicy
		if eviction == "" {
			eviction = "allkeys-lru"
		}
		claim := map[string]any{
			"apiVersion": "platform.example.com/v1", "kind": "RedisInstance",
			"metadata": map[string]any{"name": claimName, "namespace": ns, "labels": anyLabels,
				"annotations": map[string]any{"finops/cost-tag": "service=" + cp.service, "finops/owner": owner, "platbot.dev/golden-path": "add-region"}},
			"spec": map[string]any{
				"size": prim.Spec.Size, "highAvailability": prim.Spec.HighAvailability, "evictionPolicy": eviction, "region": cp.region,
				"replicaOf":                  replicaOf,
				"publishConnectionDetailsTo": map[string]any{"name": vaultName, "configRef": map[string]any{"name": "vault"}},
			},
		}
		from := prim.Metadata.Name + " (" + cp.from + ")"
		if err := r.add(p, cacheFile(dir, n, cacheClaimFile), "# The "+n+" Redis cache of "+cp.service+" in "+cp.env+" ("+cp.region+"): a secondary of "+from+"'s\n# global datastore (add-region).\n", claim); err != nil {
			return err
		}
		if err := r.add(p, cacheFile(dir, n, cacheSecretFile), "# The connection details of "+claimName+" (host, port, password), from Vault.\n",
			cacheExternalSecret(secretName, ns, vaultName, anyLabels).Object); err != nil {
			return err
		}
		dash, err := redisDashboard(claimName, ns, cp.env, team, labels)
		if err != nil {
			return err
		}
		db, err := sigsyaml.Marshal(dash)
		if err != nil {
			return fmt.Errorf("encode the dashboard of %s: %w", claimName, err)
		}
		p.files[cacheFile(dir, n, cacheDashboardFile)] = "# The Grafana dashboard of " + claimName + " in " + cp.env + " (the Grafana sidecar loads it).\n" + string(db)
		if cp.secrets == nil {
			cp.secrets = map[string]string{}
		}
		cp.secrets[oldSecret] = secretName
		p.effects = append(p.effects, fmt.Sprintf("add %s, %s and %s (the cache %s in %s: %s replicating %s, its connection Secret %s and dashboard); the copied containers read %s instead of %s",
			cacheFile(dir, n, cacheClaimFile), path.Base(cacheFile(dir, n, cacheSecretFile)), path.Base(cacheFile(dir, n, cacheDashboardFile)),
			n, cp.region, claimName, from, secretName, secretName, oldSecret))
	}
	return nil
}

// add marshals one object into the plan's files.
func (r region) add(p *plannedRegion, file, head string, obj map[string]any) error {
	b, err := sigsyaml.Marshal((&unstructured.Unstructured{Object: obj}).Object)
	if err != nil {
		return fmt.Errorf("encode %s: %w", file, err)
	}
	p.files[file] = head + string(b)
	return nil
}

// RegionsChoice is the key of Env.Choices (commands/paths/forms) under
// which add-region and new-environment offer the regions where a cluster
// of the platform runs: their templates' region fields name it in
// ui:options choices.
const RegionsChoice = "placementRegions"

// placementRegions are the choices of the regions where the placer's
// clusters run, when it knows them.
func placementRegions(p actions.Placer) map[string][]string {
	if rl, ok := p.(actions.RegionLister); ok {
		if rs := rl.Regions(); len(rs) > 0 {
			return map[string][]string{RegionsChoice: rs}
		}
	}
	return nil
}

// FormChoices offers only the regions where a cluster runs.
func (r region) FormChoices(context.Context) map[string][]string { return placementRegions(r.d.Placer) }

var _ actions.FormChoices = region{}
