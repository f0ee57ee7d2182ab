package grade

import (
	"sort"
	"strings"
	"time"
)

// Source names a group of facts and the provider that gathers it. In a rule
// each source is a variable: entity, owner, github, oncall, deploys, vulns
// (and now, the evaluation time).
type Source string

// Sources.
const (
	SourceCatalog Source = "catalog" // the entity and owner variables
	SourceGitHub  Source = "github"
	SourceOnCall  Source = "oncall"
	SourceDeploys Source = "deploys"
	SourceVulns   Source = "vulns"
)

// gatheredSources are the sources that come from outside systems and can
// therefore be unknown.
var gatheredSources = []Source{SourceGitHub, SourceOnCall, SourceDeploys, SourceVulns}

func (s Source) bit() uint8 {
	switch s {
	case SourceGitHub:
		return 1
	case SourceOnCall:
		return 2
	case SourceDeploys:
		return 4
	case SourceVulns:
		return 8
	}
	return 0
}

// EntityFacts is the rule variable `entity`: the catalog entity being scored.
type EntityFacts struct {
	Ref         string            `cel:"ref"`
	Kind        string            `cel:"kind"`
	Namespace   string            `cel:"namespace"`
	Name        string            `cel:"name"`
	Title       string            `cel:"title"`
	Type        string            `cel:"type"`
	Lifecycle   string            `cel:"lifecycle"`
	Owner       string            `cel:"owner"`
	System      string            `cel:"system"`
	Tags        []string          `cel:"tags"`
	Labels      map[string]string `cel:"labels"`
	Annotations map[string]string `cel:"annotations"`
}

// OwnerFacts is the rule variable `owner`: the entity's owning group.
type OwnerFacts struct {
	Ref         string            `cel:"ref"`
	Name        string            `cel:"name"`
	Found       bool              `cel:"found"` // the owner exists in the catalog
	Annotations map[string]string `cel:"annotations"`
}

// RepoFacts is the rule variable `github`: the entity's repository (the
// github.com/project-slug annotation), read through the contents API.
type RepoFacts struct {
	Slug          string    `cel:"slug" yaml:"slug"`
	DefaultBranch string    `cel:"default_branch" yaml:"defaultBranch"`
	Readme        string    `cel:"readme" yaml:"readme"`
	HasReadme     bool      `cel:"has_readme" yaml:"hasReadme"`
	Codeowners    bool      `cel:"codeowners" yaml:"codeowners"`
	Workflows     []string  `cel:"workflows" yaml:"workflows"`
	LastCommit    time.Time `cel:"last_commit" yaml:"-"`
}

// OnCallFacts is the rule variable `oncall`.
type OnCallFacts struct {
	// ServiceID is the pagerduty.com/service-id annotation of the entity, or
	// else of its owner ("" when neither has one).
	ServiceID string `cel:"service_id" yaml:"serviceId"`
	// DeclaredOn is "service" or "owner": where the annotation was found.
	DeclaredOn string `cel:"declared_on" yaml:"declaredOn"`
	// Confirmed is set when PagerDuty knows the service and it is not disabled.
	Confirmed bool   `cel:"confirmed" yaml:"confirmed"`
	Name      string `cel:"name" yaml:"name"`
	Status    string `cel:"status" yaml:"status"`
}

// DeployFacts is the rule variable `deploys`.
type DeployFacts struct {
	// Last is the newest successful deployment (the zero time, year 1, when
	// none is known: compare it, do not subtract it).
	Last time.Time `cel:"last" yaml:"-"`
	// Source is "github", "argocd" or "" (none found).
	Source string `cel:"source" yaml:"source"`
}

// VulnFacts is the rule variable `vulns`: the Trivy Operator's reports for
// the entity's namespace.
type VulnFacts struct {
	Critical int `cel:"critical" yaml:"critical"`
	High     int `cel:"high" yaml:"high"`
	Medium   int `cel:"medium" yaml:"medium"`
	Low      int `cel:"low" yaml:"low"`
	Reports  int `cel:"reports" yaml:"reports"`
}

// Facts is the typed document a check's rule reads.
type Facts struct {
	Entity  EntityFacts
	Owner   OwnerFacts
	GitHub  RepoFacts
	OnCall  OnCallFacts
	Deploys DeployFacts
	Vulns   VulnFacts
	// Unknown maps each source that could not be read to the reason. A check
	// whose rule reads an unknown source is "unknown", never failed.
	Unknown map[Source]string
}

// SetUnknown marks a source as unknown.
func (f *Facts) SetUnknown(s Source, reason string) {
	if f.Unknown == nil {
		f.Unknown = map[Source]string{}
	}
	f.Unknown[s] = reason
}

func (f *Facts) unknownMask() uint8 {
	var m uint8
	for s := range f.Unknown {
		m |= s.bit()
	}
	return m
}

// unknownReasons renders the unknown sources a rule reads, sorted.
func unknownReasons(f *Facts, mask uint8) string {
	var parts []string
	for _, s := range gatheredSources {
		if mask&s.bit() != 0 {
			if r, ok := f.Unknown[s]; ok {
				parts = append(parts, string(s)+": "+r)
			}
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
