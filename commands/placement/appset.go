package placement

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/platbot/platbot/integrations/yamledit"
)

// ApplicationSetKind is Argo CD's ApplicationSet (argoproj.io/v1alpha1):
// with argocd.output applicationSet, one per service generates the
// Application of each of its environments.
const ApplicationSetKind = "ApplicationSet"

// appSetFile is the ApplicationSet's file name in the service's folder
// of the GitOps repository, beside where its Applications would be.
const appSetFile = "applicationset.yaml"

// ApplicationSet is an Argo CD ApplicationSet, as much of it as platbot
// writes and reads: a Go template over a list generator whose elements
// are the service's environments.
type ApplicationSet struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   ObjectMeta         `json:"metadata"`
	Spec       ApplicationSetSpec `json:"spec"`
}

// ApplicationSetSpec is the ApplicationSet's spec.
type ApplicationSetSpec struct {
	GoTemplate        bool                `json:"goTemplate"`
	GoTemplateOptions []string            `json:"goTemplateOptions,omitempty"`
	Generators        []Generator         `json:"generators"`
	Template          ApplicationTemplate `json:"template"`
	// TemplatePatch is a Go template rendered per element into a patch
	// of the generated Application (for what only some elements have).
	TemplatePatch string `json:"templatePatch,omitempty"`
}

// Generator is one of spec.generators; platbot writes a list generator.
type Generator struct {
	List *ListGenerator `json:"list,omitempty"`
}

// ListGenerator is spec.generators[].list.
type ListGenerator struct {
	Elements []Element `json:"elements"`
}

// Element is one environment of the service in the list generator: the
// placed destination and the intent, which the template turns into the
// same Application the application output writes. Every key is always
// written (missingkey=error catches a template naming one that is not).
type Element struct {
	Environment string `json:"environment"`
	Tier        string `json:"tier"`
	Region      string `json:"region"`
	Cluster     string `json:"cluster"`
	// Server or DestinationName is the cluster's Argo CD destination (the
	// other is "").
	Server          string `json:"server"`
	DestinationName string `json:"destinationName"`
	// Placement is why it runs there (the Application's placement
	// annotation).
	Placement string `json:"placement"`
	// Path is the Application's source path, ValueFiles its Helm value
	// files (none: no helm section).
	Path       string   `json:"path"`
	ValueFiles []string `json:"valueFiles"`
}

// ApplicationTemplate is spec.template: the Application's metadata and
// spec, with Go template actions reading the element.
type ApplicationTemplate struct {
	Metadata ObjectMeta      `json:"metadata"`
	Spec     ApplicationSpec `json:"spec"`
}

// elementKey identifies an element: the environment's name.
const elementKey = "environment"

// templatePatch gives the Application the labels of its element's
// environment — and the tier and region labels and the Helm value files
// only when the element has them, as the application output does. Values
// are written with printf %q: a Go quoted string is a YAML double-quoted
// scalar.
const templatePatch = `metadata:
  labels:
    ` + LabelEnvironment + `: {{ printf "%q" .environment }}
    ` + LabelCluster + `: {{ printf "%q" .cluster }}
{{- if .tier }}
    ` + LabelTier + `: {{ printf "%q" .tier }}
{{- end }}
{{- if .region }}
    ` + LabelRegion + `: {{ printf "%q" .region }}
{{- end }}
{{- if .valueFiles }}
spec:
  source:
    helm:
      valueFiles:
{{- range .valueFiles }}
      - {{ printf "%q" . }}
{{- end }}
{{- end }}
`

// newApplicationSet builds the ApplicationSet of a service with no
// elements: the template is what every environment's Application shares.
func (c Config) newApplicationSet(service, team, namespace string) (*ApplicationSet, error) {
	if c.ArgoCD.RepoURL == "" {
		return nil, fmt.Errorf("placement.argocd.repoURL is not configured: the ApplicationSet of %s has no source repository", service)
	}
	fill := strings.NewReplacer("{team}", team, "{service}", service)
	set := &ApplicationSet{
		APIVersion: ApplicationAPIVersion,
		Kind:       ApplicationSetKind,
		Metadata: ObjectMeta{
			Name: service, Namespace: c.ArgoCD.Namespace,
			Labels: map[string]string{LabelService: service, LabelTeam: team},
		},
		Spec: ApplicationSetSpec{
			GoTemplate:        true,
			GoTemplateOptions: []string{"missingkey=error"},
			Generators:        []Generator{{List: &ListGenerator{Elements: []Element{}}}},
			Template: ApplicationTemplate{
				Metadata: ObjectMeta{
					Name:        service + "-{{ .environment }}",
					Labels:      map[string]string{LabelService: service, LabelTeam: team},
					Annotations: map[string]string{AnnotationPlacement: "{{ .placement }}"},
				},
				Spec: ApplicationSpec{
					Project: fill.Replace(c.ArgoCD.Project),
					Source:  Source{RepoURL: c.ArgoCD.RepoURL, Path: "{{ .path }}", TargetRevision: c.ArgoCD.TargetRevision},
					Destination: Destination{
						Server: "{{ .server }}", Name: "{{ .destinationName }}", Namespace: namespace,
					},
				},
			},
			TemplatePatch: templatePatch,
		},
	}
	if sp := c.ArgoCD.SyncPolicy; sp.Automated != nil || len(sp.SyncOptions) > 0 {
		set.Spec.Template.Spec.SyncPolicy = &sp
	}
	return set, nil
}

// element is the list element of s, its source at path with valueFiles.
func element(s appSpec, path string, valueFiles []string) Element {
	return Element{
		Environment: s.Env, Tier: s.Tier, Region: s.Region, Cluster: s.Cluster.Name,
		Server: s.Cluster.Server, DestinationName: s.Cluster.Destination, Placement: s.Why,
		Path: path, ValueFiles: append([]string{}, valueFiles...),
	}
}

// sourcePath is the configured source path of a service's environment.
func (c Config) sourcePath(team, service, env string) string {
	return strings.NewReplacer("{team}", team, "{service}", service, "{env}", env).Replace(c.ArgoCD.Path)
}

// encode renders an ApplicationSet as YAML.
func (a *ApplicationSet) encode() ([]byte, error) {
	b, err := yaml.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode ApplicationSet %s: %w", a.Metadata.Name, err)
	}
	return b, nil
}

// readApplicationSet decodes an ApplicationSet file.
func readApplicationSet(data []byte) (*ApplicationSet, error) {
	var set ApplicationSet
	if err := yaml.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not an ApplicationSet: %w", err)
	}
	if set.APIVersion != ApplicationAPIVersion || set.Kind != ApplicationSetKind {
		return nil, fmt.Errorf("not an Argo CD ApplicationSet (apiVersion %q, kind %q)", set.APIVersion, set.Kind)
	}
	return &set, nil
}

// element finds the list element of environment env.
func (a *ApplicationSet) element(env string) (*Element, bool) {
	for _, g := range a.Spec.Generators {
		if g.List == nil {
			continue
		}
		for i := range g.List.Elements {
			if g.List.Elements[i].Environment == env {
				return &g.List.Elements[i], true
			}
		}
		break // platbot edits the first list generator only
	}
	return nil, false
}

// identity is what identifies an element's content (for baseHash).
func (el *Element) identity() []byte {
	b, _ := json.Marshal(el) // strings only: cannot fail
	return b
}

// fields are the element's keys in the order a new file has them.
func (el Element) fields() []yamledit.Field {
	return []yamledit.Field{
		{Key: "cluster", Value: el.Cluster},
		{Key: "destinationName", Value: el.DestinationName},
		{Key: "environment", Value: el.Environment},
		{Key: "path", Value: el.Path},
		{Key: "placement", Value: el.Placement},
		{Key: "region", Value: el.Region},
		{Key: "server", Value: el.Server},
		{Key: "tier", Value: el.Tier},
		{Key: "valueFiles", List: append([]string{}, el.ValueFiles...)},
	}
}

// addElement adds el to the ApplicationSet file data of service — a
// comment-preserving edit (integrations/yamledit). An element already
// there for the environment leaves data as it is when it equals el, and
// is an error otherwise.
func addElement(data []byte, service string, el Element) ([]byte, error) {
	set, err := readApplicationSet(data)
	if err != nil {
		return nil, err
	}
	if cur, ok := set.element(el.Environment); ok {
		if cur.Environment == el.Environment && slices.Equal(cur.identity(), el.identity()) {
			return data, nil
		}
		return nil, fmt.Errorf("the ApplicationSet %s already has an element for %s (on %s)", set.Metadata.Name, el.Environment, cur.Cluster)
	}
	out, _, err := yamledit.AddListElement(data, set.Metadata.Name, elementKey, el.fields())
	if err != nil {
		return nil, fmt.Errorf("add %s to the ApplicationSet %s: %w", el.Environment, service, err)
	}
	return out, nil
}

// moveElement changes the element of s.Env in the ApplicationSet file
// data to deploy to s.Cluster: its destination, cluster, intent and
// placement — everything else, comments included, stays as written.
func moveElement(data []byte, s appSpec) ([]byte, error) {
	set, err := readApplicationSet(data)
	if err != nil {
		return nil, err
	}
	if _, ok := set.element(s.Env); !ok {
		return nil, fmt.Errorf("the ApplicationSet %s has no element for %s", set.Metadata.Name, s.Env)
	}
	out, _, err := yamledit.SetListElement(data, set.Metadata.Name, elementKey, s.Env, []yamledit.Field{
		{Key: "cluster", Value: s.Cluster.Name},
		{Key: "server", Value: s.Cluster.Server},
		{Key: "destinationName", Value: s.Cluster.Destination},
		{Key: "tier", Value: s.Tier},
		{Key: "region", Value: s.Region},
		{Key: "placement", Value: s.Why},
	})
	if err != nil {
		return nil, fmt.Errorf("move %s in the ApplicationSet %s: %w", s.Env, set.Metadata.Name, err)
	}
	return out, nil
}
