package golden

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

// envCopy is how add-region turns the manifests of the environment it
// starts from into the new environment's: every document is decoded
// with its Go type (the Kubernetes kinds client-go knows; any other kind
// as an unstructured object), its structural references to the start
// environment are rewritten, and it is encoded again. Structural
// references are
//
//   - labels and annotations (on the object, its pod template, its job
//     template and its label selectors) with the platform's keys
//     (platbot.io/, platbot.dev/, platform.example.com/ and
//     topology.kubernetes.io/region) naming an environment, region, tier,
//     cluster or placement: they say the new environment's;
//   - environment variables of containers and init containers, and
//     ConfigMap keys, named like ENVIRONMENT / APP_ENV, REGION /
//     AWS_REGION or TIER whose value is the start environment's: they get
//     the new environment's;
//   - the key, uid, title and tags of a Grafana dashboard new-service
//     wrote for the start environment (dashboards).
//   - references of containers to a Secret in secrets (a cache's
//     connection Secret): they name the new environment's.
//
// Everything else keeps its meaning. Comments inside a manifest do not
// survive decoding; each file gets a header naming the new environment.
type envCopy struct {
	service            string
	from, env          string
	fromRegion, region string
	fromTier, tier     string
	cluster, placement string
	// secrets are Secrets of the start environment whose counterpart in
	// the new one has another name (a cache's connection Secret: its
	// replica's): references to them from containers (env valueFrom,
	// envFrom) are renamed.
	secrets map[string]string
}

// platformLabelPrefixes are the label and annotation prefixes whose
// environment, region, tier, cluster and placement keys describe where
// an object runs (new-service: platbot.io/; placement: platbot.dev/;
// the Crossplane claims: platform.example.com/).
var platformLabelPrefixes = map[string]bool{"platbot.io": true, "platbot.dev": true, "platform.example.com": true}

// copiedFile is one decoded file of the start environment.
type copiedFile struct {
	name string
	objs []runtime.Object
	// status says which objects had a status in the file: a typed
	// object's zero status is not written where there was none.
	status []bool
	// raw is set when the file holds no Kubernetes object (no apiVersion
	// and kind): it is copied unchanged.
	raw []byte
}

// decodeManifests decodes every YAML document of one file with its Go
// type. A document of a kind client-go knows that its type refuses
// (an unknown or misspelt field) is an error: the copy would carry it
// into the new environment.
func decodeManifests(name string, b []byte) (*copiedFile, error) {
	f := &copiedFile{name: name}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var probe map[string]any
		if err := sigsyaml.Unmarshal(doc, &probe); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(probe) == 0 {
			continue // only comments or an empty document
		}
		var tm metav1.TypeMeta
		if err := sigsyaml.Unmarshal(doc, &tm); err != nil || tm.APIVersion == "" || tm.Kind == "" {
			f.raw, f.objs = b, nil
			return f, nil
		}
		gvk := schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind)
		if !scheme.Scheme.Recognizes(gvk) {
			u := &unstructured.Unstructured{}
			if err := sigsyaml.UnmarshalStrict(doc, &u.Object); err != nil {
				return nil, fmt.Errorf("document %d (%s): %w", i, tm.Kind, err)
			}
			f.objs, f.status = append(f.objs, u), append(f.status, probe["status"] != nil)
			continue
		}
		obj, err := scheme.Scheme.New(gvk)
		if err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", i, tm.Kind, err)
		}
		if err := sigsyaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("document %d is not a valid %s %s: %w", i, tm.APIVersion, tm.Kind, err)
		}
		f.objs, f.status = append(f.objs, obj), append(f.status, probe["status"] != nil)
	}
	return f, nil
}

// label is the new value of a platform label or annotation, ok false
// for any other key.
func (c *envCopy) label(key string) (string, bool) {
	if key == "topology.kubernetes.io/region" {
		return c.region, true
	}
	prefix, name, ok := strings.Cut(key, "/")
	if !ok || !platformLabelPrefixes[prefix] {
		return "", false
	}
	switch name {
	case "environment":
		return c.env, true
	case "region":
		return c.region, true
	case "tier":
		return c.tier, true
	case "cluster":
		return c.cluster, true
	case "placement":
		return c.placement, true
	}
	return "", false
}

func (c *envCopy) labels(m map[string]string) map[string]string {
	for k := range m {
		if v, ok := c.label(k); ok && v != "" {
			m[k] = v
		}
	}
	return m
}

// variable is the new value of an environment variable (or ConfigMap
// key) named like the environment, region or tier, ok false when it
// does not name one or does not hold the start environment's value.
func (c *envCopy) variable(name, value string) (string, bool) {
	n := strings.ToUpper(name)
	is := func(words ...string) bool {
		for _, w := range words {
			if n == w || strings.HasSuffix(n, "_"+w) {
				return true
			}
		}
		return false
	}
	switch {
	case is("ENVIRONMENT", "ENV") && value == c.from:
		return c.env, true
	case is("REGION") && c.fromRegion != "" && value == c.fromRegion:
		return c.region, true
	case is("TIER") && c.fromTier != "" && value == c.fromTier:
		return c.tier, true
	}
	return "", false
}

func (c *envCopy) meta(m metav1.Object) {
	m.SetLabels(c.labels(m.GetLabels()))
	m.SetAnnotations(c.labels(m.GetAnnotations()))
}

func (c *envCopy) selector(s *metav1.LabelSelector) {
	if s != nil {
		s.MatchLabels = c.labels(s.MatchLabels)
	}
}

func (c *envCopy) podTemplate(t *corev1.PodTemplateSpec) {
	if t == nil {
		return
	}
	c.meta(&t.ObjectMeta)
	c.podSpec(&t.Spec)
}

func (c *envCopy) podSpec(s *corev1.PodSpec) {
	for _, cs := range [][]corev1.Container{s.InitContainers, s.Containers} {
		for i := range cs {
			for _, ef := range cs[i].EnvFrom {
				if r := ef.SecretRef; r != nil && c.secrets[r.Name] != "" {
					r.Name = c.secrets[r.Name]
				}
			}
			for j, e := range cs[i].Env {
				if e.ValueFrom != nil {
					if r := e.ValueFrom.SecretKeyRef; r != nil && c.secrets[r.Name] != "" {
						r.Name = c.secrets[r.Name]
					}
					continue
				}
				if v, ok := c.variable(e.Name, e.Value); ok {
					cs[i].Env[j].Value = v
				}
			}
		}
	}
}

// object rewrites one decoded object in place.
func (c *envCopy) object(obj runtime.Object) error {
	if m, err := apimeta.Accessor(obj); err == nil {
		c.meta(m)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		c.selector(o.Spec.Selector)
		c.podTemplate(&o.Spec.Template)
	case *appsv1.StatefulSet:
		c.selector(o.Spec.Selector)
		c.podTemplate(&o.Spec.Template)
	case *appsv1.DaemonSet:
		c.selector(o.Spec.Selector)
		c.podTemplate(&o.Spec.Template)
	case *appsv1.ReplicaSet:
		c.selector(o.Spec.Selector)
		c.podTemplate(&o.Spec.Template)
	case *batchv1.Job:
		c.selector(o.Spec.Selector)
		c.podTemplate(&o.Spec.Template)
	case *batchv1.CronJob:
		c.meta(&o.Spec.JobTemplate.ObjectMeta)
		c.selector(o.Spec.JobTemplate.Spec.Selector)
		c.podTemplate(&o.Spec.JobTemplate.Spec.Template)
	case *corev1.Pod:
		c.podSpec(&o.Spec)
	case *corev1.PodTemplate:
		c.podTemplate(&o.Template)
	case *corev1.ReplicationController:
		o.Spec.Selector = c.labels(o.Spec.Selector)
		c.podTemplate(o.Spec.Template)
	case *corev1.Service:
		o.Spec.Selector = c.labels(o.Spec.Selector)
	case *policyv1.PodDisruptionBudget:
		c.selector(o.Spec.Selector)
	case *corev1.ConfigMap:
		for k, v := range o.Data {
			if nv, ok := c.variable(k, v); ok {
				o.Data[k] = nv
			}
		}
		return c.dashboards(o)
	case *unstructured.Unstructured:
		c.unstructured(o.Object)
	}
	return nil
}

// dashboards rewrites the Grafana dashboards new-service writes (a
// ConfigMap labelled grafana_dashboard with a <service>-<env>.json key,
// serviceDashboard in service.go): the key, uid, title and tags naming
// the start environment name the new one, so that the two regions'
// dashboards do not replace each other in one Grafana.
func (c *envCopy) dashboards(cm *corev1.ConfigMap) error {
	if _, ok := cm.Labels["grafana_dashboard"]; !ok {
		return nil
	}
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var d map[string]any
		dec := json.NewDecoder(strings.NewReader(cm.Data[k]))
		dec.UseNumber()
		if !strings.HasSuffix(k, ".json") || dec.Decode(&d) != nil {
			continue
		}
		changed := false
		set := func(key string, from, to string) {
			if d[key] == from {
				d[key], changed = to, true
			}
		}
		set("uid", dashboardUID(c.service+"-"+c.from), dashboardUID(c.service+"-"+c.env))
		set("title", c.service+" ("+c.from+")", c.service+" ("+c.env+")")
		if tags, ok := d["tags"].([]any); ok {
			for i, t := range tags {
				if t == c.from {
					tags[i], changed = c.env, true
				}
			}
		}
		nk := k
		if k == c.service+"-"+c.from+".json" {
			nk = c.service + "-" + c.env + ".json"
		}
		if !changed && nk == k {
			continue
		}
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return fmt.Errorf("encode the dashboard %s of %s: %w", k, cm.Name, err)
		}
		delete(cm.Data, k)
		cm.Data[nk] = string(b)
	}
	return nil
}

// unstructured rewrites a kind platbot has no Go type of by its shape:
// maps under labels, annotations and matchLabels, and env lists of
// {name, value}.
func (c *envCopy) unstructured(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch m := x.(type) {
			case map[string]any:
				if k == "labels" || k == "annotations" || k == "matchLabels" {
					for lk, lv := range m {
						if _, isString := lv.(string); !isString {
							continue
						}
						if nv, ok := c.label(lk); ok && nv != "" {
							m[lk] = nv
						}
					}
					continue
				}
			case []any:
				if k == "env" {
					for _, e := range m {
						ev, ok := e.(map[string]any)
						if !ok {
							continue
						}
						name, _ := ev["name"].(string)
						val, isString := ev["value"].(string)
						if nv, ok := c.variable(name, val); isString && ok {
							ev["value"] = nv
						}
					}
				}
			}
			c.unstructured(x)
		}
	case []any:
		for _, x := range v {
			c.unstructured(x)
		}
	}
}

// regionLabel is the first platform region label of the file's objects
// (the start environment's region when the catalog does not say).
func (f *copiedFile) regionLabel() string {
	for _, o := range f.objs {
		m, err := apimeta.Accessor(o)
		if err != nil {
			continue
		}
		keys := make([]string, 0, len(m.GetLabels()))
		for k := range m.GetLabels() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, name, _ := strings.Cut(k, "/"); name == "region" {
				return m.GetLabels()[k]
			}
		}
	}
	return ""
}

// deploymentNamespace is the namespace of the file's first Deployment.
func (f *copiedFile) deploymentNamespace() string {
	for _, o := range f.objs {
		if d, ok := o.(*appsv1.Deployment); ok && d.Namespace != "" {
			return d.Namespace
		}
	}
	return ""
}

// encode rewrites the file's objects for the new environment and
// encodes them, under a header naming it.
func (c *envCopy) encode(f *copiedFile) (string, error) {
	if f.raw != nil {
		return string(f.raw), nil
	}
	var kinds []string
	var docs []string
	for i, o := range f.objs {
		if err := c.object(o); err != nil {
			return "", err
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return "", fmt.Errorf("encode %s: %w", f.name, err)
		}
		if !f.status[i] {
			delete(m, "status")
		}
		if md, ok := m["metadata"].(map[string]any); ok && md["creationTimestamp"] == nil {
			delete(md, "creationTimestamp")
		}
		b, err := sigsyaml.Marshal(m)
		if err != nil {
			return "", fmt.Errorf("encode %s: %w", f.name, err)
		}
		docs = append(docs, string(b))
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
	}
	where := c.region
	if c.tier != "" {
		where += ", " + c.tier
	}
	head := fmt.Sprintf("# %s of %s in %s (%s, on %s): copied by add-region,\n# with the labels, annotations and variables naming its environment, region and tier rewritten.\n",
		strings.Join(kinds, ", "), c.service, c.env, where, c.cluster)
	return head + strings.Join(docs, "---\n"), nil
}
