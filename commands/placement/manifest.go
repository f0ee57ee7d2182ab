package placement

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/placement/place"
)

// Argo CD's Application, as much of it as platbot writes and reads.
const (
	ApplicationAPIVersion = "argoproj.io/v1alpha1"
	ApplicationKind       = "Application"
)

// Labels and annotations carrying the intent on an Application.
const (
	LabelService     = "platbot.dev/service"
	LabelTeam        = "platbot.dev/team"
	LabelEnvironment = "platbot.dev/environment"
	LabelTier        = "platbot.dev/tier"
	LabelRegion      = "platbot.dev/region"
	LabelCluster     = "platbot.dev/cluster"
	// AnnotationPlacement says why the Application is on its cluster.
	AnnotationPlacement = "platbot.dev/placement"
)

// Application is an Argo CD Application (argoproj.io/v1alpha1).
type Application struct {
	APIVersion string          `yaml:"apiVersion" json:"apiVersion"`
	Kind       string          `yaml:"kind" json:"kind"`
	Metadata   ObjectMeta      `yaml:"metadata" json:"metadata"`
	Spec       ApplicationSpec `yaml:"spec" json:"spec"`
}

// ObjectMeta is the Application's metadata.
type ObjectMeta struct {
	Name        string            `yaml:"name" json:"name"`
	Namespace   string            `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
}

// ApplicationSpec is the Application's spec.
type ApplicationSpec struct {
	Project     string      `yaml:"project" json:"project"`
	Source      Source      `yaml:"source" json:"source"`
	Destination Destination `yaml:"destination" json:"destination"`
	SyncPolicy  *SyncPolicy `yaml:"syncPolicy,omitempty" json:"syncPolicy,omitempty"`
}

// Source is spec.source.
type Source struct {
	RepoURL        string `yaml:"repoURL" json:"repoURL"`
	Path           string `yaml:"path,omitempty" json:"path,omitempty"`
	TargetRevision string `yaml:"targetRevision,omitempty" json:"targetRevision,omitempty"`
	Helm           *Helm  `yaml:"helm,omitempty" json:"helm,omitempty"`
}

// Helm is spec.source.helm: the value files of a Helm chart source,
// relative to its path.
type Helm struct {
	ValueFiles []string `yaml:"valueFiles,omitempty" json:"valueFiles,omitempty"`
}

// Destination is spec.destination: a server URL or an Argo CD cluster
// name, and the namespace.
type Destination struct {
	Server    string `yaml:"server,omitempty" json:"server,omitempty"`
	Name      string `yaml:"name,omitempty" json:"name,omitempty"`
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
}

// appSpec is what an Application of one environment says.
type appSpec struct {
	Service, Team, Env, Tier, Region string
	Namespace                        string // the destination namespace
	Cluster                          *place.Cluster
	Why                              string
}

// newApplication builds the Application of s from the configuration.
func (c Config) newApplication(s appSpec) (*Application, error) {
	if c.ArgoCD.RepoURL == "" {
		return nil, fmt.Errorf("placement.argocd.repoURL is not configured: the new Application of %s has no source repository", s.Env)
	}
	fill := strings.NewReplacer("{team}", s.Team, "{service}", s.Service, "{env}", s.Env)
	app := &Application{
		APIVersion: ApplicationAPIVersion,
		Kind:       ApplicationKind,
		Metadata: ObjectMeta{
			Name:      s.Service + "-" + s.Env,
			Namespace: c.ArgoCD.Namespace,
			Labels:    intentLabels(s),
			Annotations: map[string]string{
				AnnotationPlacement: s.Why,
			},
		},
		Spec: ApplicationSpec{
			Project: fill.Replace(c.ArgoCD.Project),
			Source: Source{
				RepoURL: c.ArgoCD.RepoURL, Path: fill.Replace(c.ArgoCD.Path), TargetRevision: c.ArgoCD.TargetRevision,
			},
			Destination: Destination{Server: s.Cluster.Server, Name: s.Cluster.Destination, Namespace: s.Namespace},
		},
	}
	if sp := c.ArgoCD.SyncPolicy; sp.Automated != nil || len(sp.SyncOptions) > 0 {
		app.Spec.SyncPolicy = &sp
	}
	return app, nil
}

func intentLabels(s appSpec) map[string]string {
	l := map[string]string{
		LabelService: s.Service, LabelTeam: s.Team, LabelEnvironment: s.Env, LabelCluster: s.Cluster.Name,
	}
	if s.Tier != "" {
		l[LabelTier] = s.Tier
	}
	if s.Region != "" {
		l[LabelRegion] = s.Region
	}
	return l
}

// encode renders an Application as YAML.
func (a *Application) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(a); err != nil {
		return nil, fmt.Errorf("encode Application %s: %w", a.Metadata.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode Application %s: %w", a.Metadata.Name, err)
	}
	return buf.Bytes(), nil
}

// destinationOf reads an Application's destination.
func destinationOf(data []byte) (Destination, error) {
	var app Application
	if err := yaml.Unmarshal(data, &app); err != nil {
		return Destination{}, fmt.Errorf("not an Application: %w", err)
	}
	if app.APIVersion != ApplicationAPIVersion || app.Kind != ApplicationKind {
		return Destination{}, fmt.Errorf("not an Argo CD Application (apiVersion %q, kind %q)", app.APIVersion, app.Kind)
	}
	return app.Spec.Destination, nil
}

// moveApplication changes an existing Application (its parsed YAML tree,
// so everything else in it, comments included, stays as written) to
// deploy to s.Cluster: spec.destination's server or name, and the intent
// labels and placement annotation.
func moveApplication(data []byte, s appSpec) ([]byte, error) {
	if _, err := destinationOf(data); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse Application: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the Application is not one YAML mapping")
	}
	root := doc.Content[0]
	dest, err := mapping(root, "spec", "destination")
	if err != nil {
		return nil, err
	}
	if s.Cluster.Server != "" {
		setScalar(dest, "server", s.Cluster.Server)
		deleteKey(dest, "name")
	} else {
		setScalar(dest, "name", s.Cluster.Destination)
		deleteKey(dest, "server")
	}
	labels, err := mapping(root, "metadata", "labels")
	if err != nil {
		return nil, err
	}
	for k, v := range intentLabels(s) {
		setScalar(labels, k, v)
	}
	ann, err := mapping(root, "metadata", "annotations")
	if err != nil {
		return nil, err
	}
	setScalar(ann, AnnotationPlacement, s.Why)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode Application: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode Application: %w", err)
	}
	return buf.Bytes(), nil
}

// mapping returns the mapping at path under m, creating missing ones.
func mapping(m *yaml.Node, path ...string) (*yaml.Node, error) {
	for i, key := range path {
		v := lookup(m, key)
		if v == nil {
			v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
		}
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("the Application's %s (line %d) is not a mapping", strings.Join(path[:i+1], "."), v.Line)
		}
		m = v
	}
	return m, nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setScalar sets key to the string value in mapping m.
func setScalar(m *yaml.Node, key, value string) {
	if v := lookup(m, key); v != nil {
		*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, HeadComment: v.HeadComment, LineComment: v.LineComment}
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
