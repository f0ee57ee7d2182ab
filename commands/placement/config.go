package placement

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/placement/place"
)

// Config is the placement section of platbot.yaml.
type Config struct {
	// Clusters and Rules decide where each environment goes (package
	// place): the most specific matching rule wins.
	Clusters []place.Cluster `yaml:"clusters"`
	Rules    []place.Rule    `yaml:"rules"`

	// ArgoCD shapes the Application manifests /plat move writes.
	ArgoCD ArgoCDConfig `yaml:"argocd"`
	// AppsDir is the folder of the GitOps repository holding one
	// Application per environment: <appsDir>/<team>/<service>/<env>.yaml,
	// or with argocd.output applicationSet one ApplicationSet per service:
	// <appsDir>/<team>/<service>/applicationset.yaml (default "apps").
	AppsDir string `yaml:"appsDir"`

	// Production says which environments are production: a move of one
	// needs an approval.
	Production ProductionConfig `yaml:"production"`
	// ApprovalChannel is where production moves are approved (default: the
	// platform team's channel); Approvals how many different people must
	// approve (default 1); ApprovalTimeout how long a request waits
	// (default 24h).
	ApprovalChannel string `yaml:"approvalChannel"`
	Approvals       int    `yaml:"approvals"`
	ApprovalTimeout string `yaml:"approvalTimeout"`

	// File names where Clusters and Rules were read from, for errors; set
	// by the caller (the configuration file, or the example's name).
	File string `yaml:"-"`
}

// ArgoCDConfig shapes the Argo CD Applications.
type ArgoCDConfig struct {
	// Namespace is where Argo CD's Applications live (default "argocd").
	Namespace string `yaml:"namespace"`
	// Project is the Argo CD project of a service's Applications;
	// "{team}" is replaced by the owning team's name (default "{team}": a
	// project per team).
	Project string `yaml:"project"`
	// RepoURL, TargetRevision and Path are the Application's source; Path
	// may use {team}, {service} and {env} (defaults: the GitOps
	// repository's name is not known here, so RepoURL is required to move;
	// "HEAD"; "deploy/{service}/{env}").
	RepoURL        string `yaml:"repoURL"`
	TargetRevision string `yaml:"targetRevision"`
	Path           string `yaml:"path"`
	// SyncPolicy is the Application's spec.syncPolicy.
	SyncPolicy SyncPolicy `yaml:"syncPolicy"`
	// URL is the Argo CD UI, for links ("" = none).
	URL string `yaml:"url"`
	// Output is how environments reach Argo CD: OutputApplication, one
	// Application file per environment (the default), or
	// OutputApplicationSet, one ApplicationSet per service whose list
	// generator has one element per environment.
	Output string `yaml:"output"`
}

// Values of argocd.output.
const (
	OutputApplication    = "application"
	OutputApplicationSet = "applicationSet"
)

// SyncPolicy is Argo CD's spec.syncPolicy.
type SyncPolicy struct {
	Automated   *Automated `yaml:"automated,omitempty" json:"automated,omitempty"`
	SyncOptions []string   `yaml:"syncOptions,omitempty" json:"syncOptions,omitempty"`
}

// Automated is Argo CD's spec.syncPolicy.automated.
type Automated struct {
	Prune    bool `yaml:"prune,omitempty" json:"prune,omitempty"`
	SelfHeal bool `yaml:"selfHeal,omitempty" json:"selfHeal,omitempty"`
}

// ProductionConfig says which environments are production.
type ProductionConfig struct {
	// Environments are names or name prefixes ending in * (default prod*).
	Environments []string `yaml:"environments"`
	// Tiers are tiers whose every environment is production (default tier1).
	Tiers []string `yaml:"tiers"`
}

// DefaultConfig is the configuration before the section is applied.
func DefaultConfig() Config {
	return Config{
		ArgoCD: ArgoCDConfig{
			Namespace: "argocd", Project: "{team}", TargetRevision: "HEAD", Path: "deploy/{service}/{env}",
			SyncPolicy: SyncPolicy{Automated: &Automated{Prune: true, SelfHeal: true}},
			Output:     OutputApplication,
		},
		AppsDir:         "apps",
		Production:      ProductionConfig{Environments: []string{"prod*"}, Tiers: []string{"tier1"}},
		Approvals:       1,
		ApprovalTimeout: "24h",
	}
}

// Configured reports whether the section lists clusters: without any the
// commands explain how to configure placement.
func (c Config) Configured() bool { return len(c.Clusters) > 0 }

// KeyError is a setting of the section that Validate refuses: Key is its
// path in the section ("argocd.output"), Index the item of a list (-1:
// the key itself). KeyLine finds its line.
type KeyError struct {
	Key   string
	Index int
	Msg   string
}

func (e *KeyError) Error() string { return "placement: " + e.Msg }

// KeyLine is the line of key (a dotted path such as "argocd.output") in
// section, the placement section's mapping node, and of its index-th item
// when index ≥ 0; 0 when it is not there (a default).
func KeyLine(section *yaml.Node, key string, index int) int {
	n, line := section, 0
	for _, part := range strings.Split(key, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return 0
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				next, line = n.Content[i+1], n.Content[i].Line
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	if index >= 0 && n.Kind == yaml.SequenceNode && index < len(n.Content) {
		return n.Content[index].Line
	}
	return line
}

// Validate checks the settings besides clusters and rules (those are
// checked by place.Compile in New); a refusal is a *KeyError.
func (c Config) Validate() error {
	if c.Approvals < 1 {
		return &KeyError{Key: "approvals", Index: -1, Msg: fmt.Sprintf("approvals must be at least 1, not %d", c.Approvals)}
	}
	if _, err := c.approvalTimeout(); err != nil {
		return err
	}
	if strings.Contains(c.AppsDir, "..") || strings.HasPrefix(c.AppsDir, "/") || c.AppsDir == "" {
		return &KeyError{Key: "appsDir", Index: -1, Msg: fmt.Sprintf("appsDir %q must be a folder inside the GitOps repository", c.AppsDir)}
	}
	if c.ArgoCD.Output != OutputApplication && c.ArgoCD.Output != OutputApplicationSet {
		return &KeyError{Key: "argocd.output", Index: -1, Msg: fmt.Sprintf("argocd.output %q is neither %s (one Application per environment) nor %s (one ApplicationSet per service)",
			c.ArgoCD.Output, OutputApplication, OutputApplicationSet)}
	}
	for i, p := range c.Production.Environments {
		if strings.Contains(strings.TrimSuffix(p, "*"), "*") {
			return &KeyError{Key: "production.environments", Index: i, Msg: fmt.Sprintf("production environment %q may only end in *", p)}
		}
	}
	return nil
}

func (c Config) approvalTimeout() (time.Duration, error) {
	d, err := time.ParseDuration(c.ApprovalTimeout)
	if err != nil || d <= 0 {
		return 0, &KeyError{Key: "approvalTimeout", Index: -1, Msg: fmt.Sprintf("approvalTimeout %q is not a positive duration such as 24h", c.ApprovalTimeout)}
	}
	return d, nil
}

// IsProduction reports whether environment env of tier tier is production
// by the production section; Argo CD's notices (commands/gitopsstatus)
// use the same rule, wired in cmd/platbot.
func (c Config) IsProduction(env, tier string) bool { return c.production(env, tier) }

// production reports whether an environment of a tier is production.
func (c Config) production(env, tier string) bool {
	if tier != "" && slices.Contains(c.Production.Tiers, tier) {
		return true
	}
	for _, p := range c.Production.Environments {
		if pre, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(env, pre) || p == env {
			return true
		}
	}
	return false
}

// LoadFile decodes the placement section of a YAML file (a document with a
// top-level "placement" key, like examples/placement/placement.yaml) over
// DefaultConfig; name is the file's name in errors.
func LoadFile(data []byte, name string) (Config, error) {
	cfg := DefaultConfig()
	doc := struct {
		Placement *Config `yaml:"placement"`
	}{Placement: &cfg}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(cfg.Clusters) == 0 {
		return Config{}, fmt.Errorf("%s: the placement section lists no clusters", name)
	}
	cfg.File = name
	return cfg, nil
}
