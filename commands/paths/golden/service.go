package golden

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
)

// ActionServiceManifests builds the Kubernetes manifests of a new service
// in each of its environments (the GitOps half of the new-service golden
// path): Deployment, Service, HorizontalPodAutoscaler,
// PodDisruptionBudget, ServiceMonitor and a Grafana dashboard ConfigMap,
// and the Argo CD Application of each environment, placed by the
// platform's placement rules (actions.Placer) — or, when the platform
// writes ApplicationSets, one ApplicationSet with an element per
// environment (actions.Placed.Content).
const ActionServiceManifests = "platbot:service-manifests"

// serviceNameRe is a catalog entity name that is also a DNS-1035 label
// (it names the Deployment, the Service and the namespace).
var serviceNameRe = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,51}[a-z0-9])?$`)

// serviceEnv is one environment a new service may start in, with the
// intent the placement rules read.
type serviceEnv struct {
	Name, Tier, Region string
}

// traits are the intent in words: "tier tier1, eu-west-1".
func (e serviceEnv) traits() string {
	if e.Region == "" {
		return "tier " + e.Tier + ", any region"
	}
	return "tier " + e.Tier + ", " + e.Region
}

// serviceEnvs are the environments of the seed: dev and staging on the
// standard tier in any region, prod-us and prod-eu on tier1 in theirs.
var serviceEnvs = map[string]serviceEnv{
	"dev":     {Name: "dev", Tier: "standard"},
	"staging": {Name: "staging", Tier: "standard"},
	"prod-us": {Name: "prod-us", Tier: "tier1", Region: "us-east-1"},
	"prod-eu": {Name: "prod-eu", Tier: "tier1", Region: "eu-west-1"},
}

// ServiceEnvironments are the environment names a new service may use,
// sorted.
func ServiceEnvironments() []string {
	out := make([]string, 0, len(serviceEnvs))
	for k := range serviceEnvs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// servicePort is the port the skeletons listen on and serve /metrics at.
const servicePort = 8080

func init() { registry = append(registry, newServiceActions) }

func newServiceActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionServiceManifests: serviceManifests{d: d}}
}

// serviceManifests is platbot:service-manifests. Input: name (the new
// Component's name; one the catalog already has is refused), owner (the
// owning group's ref), environments (a list of environment names of
// ServiceEnvironments), image (default ghcr.io/<team>/<name>:latest) and
// targetPath (optional: the run's folder the GitOps files go in, for a
// pull request whose sourcePath it is; paths inside the GitOps repository
// do not include it).
// For each environment it adds teams/<team>/<name>/<env>/ with one file
// per object, and the Argo CD Application deploying that folder to the
// cluster the placement rules choose (or its element of the service's
// ApplicationSet), to the run's files. Outputs:
// folder, files, placements (one line per environment: the decision and
// why).
type serviceManifests struct{ d actions.Deps }

func (serviceManifests) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"name", "owner", "environments"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

// serviceSpec is the checked input.
type serviceSpec struct {
	name, team, image string
	envs              []serviceEnv
	placed            map[string]*actions.Placed
}

func (s *serviceSpec) folder() string { return path.Join("teams", s.team, s.name) }

func (s *serviceSpec) labels(env serviceEnv) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       s.name,
		"app.kubernetes.io/part-of":    s.name,
		"app.kubernetes.io/managed-by": "platbot",
		"platbot.io/team":              s.team,
		"platbot.io/environment":       env.Name,
		"platbot.io/tier":              env.Tier,
	}
}

func (a serviceManifests) spec(sc *actions.StepContext) (*serviceSpec, error) {
	name := inputText(sc, "name")
	if !serviceNameRe.MatchString(name) {
		return nil, fieldError(sc, "name", fmt.Sprintf("%q is not a service name: lower-case letters, digits and '-', starting with a letter, at most 53", name))
	}
	if a.d.Catalog != nil {
		for _, c := range a.d.Catalog.List(catalog.KindComponent) {
			if strings.EqualFold(c.Metadata.Name, name) {
				return nil, fieldError(sc, "name", fmt.Sprintf("the catalog already has a component %s (owned by %s); pick another name", c.Metadata.Name, c.Owner()))
			}
		}
	}
	owner := inputText(sc, "owner")
	if owner == "" {
		return nil, fieldError(sc, "owner", "the service needs an owning team")
	}
	_, _, team := catalog.ParseRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
	team = strings.ToLower(team)
	s := &serviceSpec{name: name, team: team, image: inputText(sc, "image")}
	if s.image == "" {
		s.image = "ghcr.io/" + team + "/" + name + ":latest"
	}
	seen := map[string]bool{}
	for _, e := range strs(sc.Input["environments"]) {
		e = strings.TrimSpace(e)
		env, ok := serviceEnvs[e]
		if !ok {
			return nil, fieldError(sc, "environments", fmt.Sprintf("%q is not an environment a new service can start in (known: %s)", e, strings.Join(ServiceEnvironments(), ", ")))
		}
		if !seen[e] {
			seen[e] = true
			s.envs = append(s.envs, env)
		}
	}
	if len(s.envs) == 0 {
		return nil, fieldError(sc, "environments", "pick at least one environment")
	}
	return s, nil
}

func (a serviceManifests) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	s, err := a.prepare(ctx, sc)
	if err != nil {
		return actions.Plan{}, err
	}
	files, err := a.write(sc, s)
	if err != nil {
		return actions.Plan{}, err
	}
	var effects []string
	for _, e := range s.envs {
		argo := "its Argo CD Application " + s.placed[e.Name].Path
		if s.placed[e.Name].Add != nil {
			argo = "its element of the Argo CD ApplicationSet " + s.placed[e.Name].Path
		}
		effects = append(effects,
			"place "+s.placed[e.Name].Explain,
			fmt.Sprintf("add the manifests of %s in %s (%s) under %s and %s",
				s.name, e.Name, e.traits(), path.Join(s.folder(), e.Name), argo))
	}
	return actions.Plan{Effects: effects, Output: s.output(files)}, nil
}

func (a serviceManifests) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	s, err := a.prepare(ctx, sc)
	if err != nil {
		return nil, err
	}
	files, err := a.write(sc, s)
	if err != nil {
		return nil, err
	}
	return s.output(files), nil
}

func (s *serviceSpec) output(files []any) map[string]any {
	var lines []any
	for _, e := range s.envs {
		lines = append(lines, s.placed[e.Name].Explain)
	}
	return map[string]any{"folder": s.folder(), "files": files, "placements": lines}
}

// prepare checks the input and places every environment: a refusal of
// the placement rules (a region no cluster runs in, a tier none takes) is
// an error on the environments field, nothing written.
func (a serviceManifests) prepare(ctx context.Context, sc *actions.StepContext) (*serviceSpec, error) {
	s, err := a.spec(sc)
	if err != nil {
		return nil, err
	}
	if a.d.Placer == nil {
		return nil, &actions.StepError{Msg: "placement is not available here, so platbot cannot tell which clusters " + s.name + " would run on",
			Hint: "Ask an admin to configure placement (docs/placement.md)"}
	}
	s.placed = map[string]*actions.Placed{}
	for _, e := range s.envs {
		p, err := a.d.Placer.PlaceEnvironment(ctx, actions.PlaceRequest{
			Service: s.name, Owner: inputText(sc, "owner"), Environment: e.Name, Tier: e.Tier, Region: e.Region,
			SourcePath: path.Join(s.folder(), e.Name),
		})
		if err != nil {
			var pe *actions.PlaceError
			if errors.As(err, &pe) {
				field := "environments"
				if pe.Input == "service" {
					field = "name"
				}
				return nil, fieldError(sc, field, fmt.Sprintf("%s (%s): %v", e.Name, e.traits(), pe.Err))
			}
			return nil, &actions.StepError{Msg: "could not place " + e.Name + " of " + s.name, Hint: "Press Retry", Err: err}
		}
		s.placed[e.Name] = p
	}
	return s, nil
}

// write adds every environment's files to the run's (the same content
// again on a retry) and returns their paths.
func (a serviceManifests) write(sc *actions.StepContext, s *serviceSpec) ([]any, error) {
	out := map[string]string{}
	for _, env := range s.envs {
		dir := path.Join(s.folder(), env.Name)
		dash, err := serviceDashboard(s, env)
		if err != nil {
			return nil, err
		}
		objs := []struct {
			file string
			obj  any
		}{
			{"deployment.yaml", serviceDeployment(s, env)},
			{"service.yaml", serviceService(s, env)},
			{"hpa.yaml", serviceHPA(s, env)},
			{"pdb.yaml", servicePDB(s, env)},
			{"servicemonitor.yaml", serviceMonitor(s, env).Object},
			{"dashboard.yaml", dash},
		}
		for _, o := range objs {
			b, err := yaml.Marshal(o.obj)
			if err != nil {
				return nil, fmt.Errorf("encode %s of %s in %s: %w", o.file, s.name, env.Name, err)
			}
			out[path.Join(dir, o.file)] = string(b)
		}
	}
	paths := make([]string, 0, len(out))
	target := strings.Trim(path.Clean("/"+inputText(sc, "targetPath")), "/")
	for p, c := range out {
		if prev, ok := sc.Files[path.Join(target, p)]; ok && prev != c {
			return nil, &actions.StepError{Msg: "an earlier step of this run already wrote " + path.Join(target, p)}
		}
		paths = append(paths, p)
	}
	// The Argo CD files: one Application per environment, or one
	// ApplicationSet that every environment is added to (Placed.Content).
	for _, env := range s.envs {
		pl := s.placed[env.Name]
		prev, ok := out[pl.Path]
		if !ok {
			prev, ok = sc.Files[path.Join(target, pl.Path)]
		}
		c, err := pl.Content(prev, ok)
		if err != nil {
			return nil, &actions.StepError{Msg: "could not add " + env.Name + " of " + s.name + " to its Argo CD file: " + err.Error(), Err: err}
		}
		if _, seen := out[pl.Path]; !seen {
			paths = append(paths, pl.Path)
		}
		out[pl.Path] = c
	}
	sort.Strings(paths)
	res := make([]any, 0, len(paths))
	for _, p := range paths {
		sc.Files[path.Join(target, p)] = out[p]
		res = append(res, p)
	}
	return res, nil
}

// replicas are the HorizontalPodAutoscaler's bounds by tier.
func replicas(env serviceEnv) (min, max int32) {
	if env.Tier == "tier1" {
		return 3, 10
	}
	return 1, 3
}

func meta(s *serviceSpec, env serviceEnv, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: s.name, Labels: s.labels(env)}
}

func serviceDeployment(s *serviceSpec, env serviceEnv) *appsv1.Deployment {
	min, _ := replicas(env)
	sel := map[string]string{"app.kubernetes.io/name": s.name}
	probe := func(p string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: p, Port: intstr.FromString("http")}}, PeriodSeconds: 10}
	}
	no, yes := false, true
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(s, env, s.name),
		Spec: appsv1.DeploymentSpec{
			Replicas: &min,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: s.labels(env)},
				Spec: corev1.PodSpec{
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{
						Name:  s.name,
						Image: s.image,
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: servicePort, Protocol: corev1.ProtocolTCP}},
						Env:   []corev1.EnvVar{{Name: "ENVIRONMENT", Value: env.Name}, {Name: "PORT", Value: fmt.Sprint(servicePort)}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
						},
						ReadinessProbe:  probe("/healthz"),
						LivenessProbe:   probe("/healthz"),
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
					}},
				},
			},
		},
	}
}

func serviceService(s *serviceSpec, env serviceEnv) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(s, env, s.name),
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app.kubernetes.io/name": s.name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
}

func serviceHPA(s *serviceSpec, env serviceEnv) *autoscalingv2.HorizontalPodAutoscaler {
	min, max := replicas(env)
	cpu := int32(70)
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: meta(s, env, s.name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: s.name},
			MinReplicas:    &min,
			MaxReplicas:    max,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &cpu}},
			}},
		},
	}
}

// servicePDB lets one pod go at a time, so a one-replica environment can
// still be drained.
func servicePDB(s *serviceSpec, env serviceEnv) *policyv1.PodDisruptionBudget {
	one := intstr.FromInt32(1)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: meta(s, env, s.name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: &one,
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": s.name}},
		},
	}
}

// serviceMonitor scrapes the Service's http port at /metrics
// (prometheus-operator's monitoring.coreos.com/v1 ServiceMonitor).
func serviceMonitor(s *serviceSpec, env serviceEnv) *unstructured.Unstructured {
	labels := map[string]any{}
	for k, v := range s.labels(env) {
		labels[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "ServiceMonitor",
		"metadata":   map[string]any{"name": s.name, "namespace": s.name, "labels": labels},
		"spec": map[string]any{
			"selector":  map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": s.name}},
			"endpoints": []any{map[string]any{"port": "http", "path": "/metrics", "interval": "30s"}},
		},
	}}
}

// serviceDashboard is the Grafana dashboard of the service in one
// environment, in a ConfigMap the Grafana sidecar loads (label
// grafana_dashboard: "1").
func serviceDashboard(s *serviceSpec, env serviceEnv) (*corev1.ConfigMap, error) {
	sel := fmt.Sprintf(`namespace=%q, service=%q`, s.name, s.name)
	pod := fmt.Sprintf(`namespace=%q, pod=~%q`, s.name, s.name+"-.*")
	m := meta(s, env, s.name+"-dashboard")
	return dashboardConfigMap(dashboardSpec{
		Meta: m, Key: s.name + "-" + env.Name + ".json",
		UID: s.name + "-" + env.Name, Title: s.name + " (" + env.Name + ")", Tags: []string{s.team, env.Name, "platbot"},
		Panels: []dashboardPanel{
			{"Requests per second", fmt.Sprintf(`sum by (code) (rate(http_requests_total{%s}[5m]))`, sel), "{{code}}"},
			{"Error ratio", fmt.Sprintf(`sum(rate(http_requests_total{%[1]s, code=~"5.."}[5m])) / sum(rate(http_requests_total{%[1]s}[5m]))`, sel), "5xx"},
			{"Latency p99 (s)", fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{%s}[5m])))`, sel), "p99"},
			{"CPU (cores)", fmt.Sprintf(`sum by (pod) (rate(container_cpu_usage_seconds_total{%s, container!=""}[5m]))`, pod), "{{pod}}"},
			{"Memory (bytes)", fmt.Sprintf(`sum by (pod) (container_memory_working_set_bytes{%s, container!=""})`, pod), "{{pod}}"},
		},
	})
}
