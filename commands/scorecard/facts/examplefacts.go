package facts

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

// ExampleFacts is a provider of every gathered source that reads a YAML file
// (examples/scorecard/facts.yaml) instead of GitHub, PagerDuty and
// Kubernetes. The shell default uses it so scorecards work with no outside
// system. Dates are given in days before now so the example never goes stale:
//
//	services:
//	  checkout-service:            # entity name or full ref
//	    github: {readme: "...", codeowners: true, workflows: [ci.yml], lastCommitDaysAgo: 1}
//	    oncall: {serviceId: PCHK001, declaredOn: owner, confirmed: true}
//	    deploys: {lastDaysAgo: 2, source: argocd}
//	    vulns: {critical: 0, high: 1, reports: 2}
//	    unavailable: [github]      # pretend this source is down
//
// A source missing for a service is unknown.
type ExampleFacts struct {
	services map[string]exampleService
	now      func() time.Time
}

type exampleService struct {
	GitHub *struct {
		grade.RepoFacts   `yaml:",inline"`
		LastCommitDaysAgo *int `yaml:"lastCommitDaysAgo"`
	} `yaml:"github"`
	OnCall  *grade.OnCallFacts `yaml:"oncall"`
	Deploys *struct {
		LastDaysAgo *int   `yaml:"lastDaysAgo"`
		Source      string `yaml:"source"`
	} `yaml:"deploys"`
	Vulns       *grade.VulnFacts `yaml:"vulns"`
	Unavailable []grade.Source   `yaml:"unavailable"`
}

// LoadExampleFacts reads an example facts file; now is the clock the
// relative dates count back from (time.Now when nil).
func LoadExampleFacts(path string, now func() time.Time) (*ExampleFacts, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("example facts: %w", err)
	}
	ef, err := ParseExampleFacts(b, now)
	if err != nil {
		return nil, fmt.Errorf("example facts %s: %w", path, err)
	}
	return ef, nil
}

// ParseExampleFacts parses the content of an example facts file.
func ParseExampleFacts(b []byte, now func() time.Time) (*ExampleFacts, error) {
	var doc struct {
		Services map[string]exampleService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	if doc.Services == nil {
		doc.Services = map[string]exampleService{}
	}
	return &ExampleFacts{services: doc.Services, now: now}, nil
}

// Providers returns ExampleFacts as the provider of every gathered source.
func (x *ExampleFacts) Providers() Providers {
	return Providers{Repo: x, OnCall: x, Deploys: x, Vulns: x}
}

func (x *ExampleFacts) lookup(s Subject, src grade.Source) (exampleService, error) {
	svc, ok := x.services[s.Entity.Ref()]
	if !ok {
		svc, ok = x.services[s.Entity.Metadata.Name]
	}
	if !ok {
		return svc, fmt.Errorf("no example facts for %s: %w", s.Entity.Metadata.Name, ErrUnknown)
	}
	for _, u := range svc.Unavailable {
		if u == src {
			return svc, fmt.Errorf("%s is unavailable (example outage)", src)
		}
	}
	return svc, nil
}

func (x *ExampleFacts) daysAgo(n *int) time.Time {
	if n == nil {
		return time.Time{}
	}
	return x.now().Add(-time.Duration(*n) * 24 * time.Hour)
}

func missing(src grade.Source, s Subject) error {
	return fmt.Errorf("no example %s facts for %s: %w", src, s.Entity.Metadata.Name, ErrUnknown)
}

// RepoFacts implements RepoProvider.
func (x *ExampleFacts) RepoFacts(_ context.Context, s Subject) (grade.RepoFacts, error) {
	svc, err := x.lookup(s, grade.SourceGitHub)
	if err != nil {
		return grade.RepoFacts{}, err
	}
	if svc.GitHub == nil {
		return grade.RepoFacts{}, missing(grade.SourceGitHub, s)
	}
	f := svc.GitHub.RepoFacts
	f.HasReadme = f.HasReadme || f.Readme != ""
	f.LastCommit = x.daysAgo(svc.GitHub.LastCommitDaysAgo)
	if f.Slug == "" {
		f.Slug = s.Entity.Annotation(catalog.AnnotationGitHubSlug)
	}
	if f.Workflows == nil {
		f.Workflows = []string{}
	}
	return f, nil
}

// OnCallFacts implements OnCallProvider.
func (x *ExampleFacts) OnCallFacts(_ context.Context, s Subject) (grade.OnCallFacts, error) {
	svc, err := x.lookup(s, grade.SourceOnCall)
	if err != nil {
		return grade.OnCallFacts{}, err
	}
	if svc.OnCall == nil {
		return grade.OnCallFacts{}, missing(grade.SourceOnCall, s)
	}
	return *svc.OnCall, nil
}

// DeployFacts implements DeployProvider.
func (x *ExampleFacts) DeployFacts(_ context.Context, s Subject) (grade.DeployFacts, error) {
	svc, err := x.lookup(s, grade.SourceDeploys)
	if err != nil {
		return grade.DeployFacts{}, err
	}
	if svc.Deploys == nil {
		return grade.DeployFacts{}, missing(grade.SourceDeploys, s)
	}
	return grade.DeployFacts{Last: x.daysAgo(svc.Deploys.LastDaysAgo), Source: svc.Deploys.Source}, nil
}

// VulnFacts implements VulnProvider.
func (x *ExampleFacts) VulnFacts(_ context.Context, s Subject) (grade.VulnFacts, error) {
	svc, err := x.lookup(s, grade.SourceVulns)
	if err != nil {
		return grade.VulnFacts{}, err
	}
	if svc.Vulns == nil {
		return grade.VulnFacts{}, missing(grade.SourceVulns, s)
	}
	return *svc.Vulns, nil
}
