package facts

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/grade"
	"github.com/platbot/platbot/integrations/github"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/pagerduty"
)

// Annotations the providers read besides the catalog's well-known ones.
const (
	// AnnotationArgoApp names the entity's Argo CD Application (as
	// Backstage's Argo CD plugin does); the entity name when absent.
	AnnotationArgoApp = "argocd/app-name"
	// AnnotationLabelSelector narrows the entity's Kubernetes objects.
	AnnotationLabelSelector = "backstage.io/kubernetes-label-selector"
)

// GitHubRepos reads repository facts (integrations/github.Client satisfies it).
type GitHubRepos interface {
	RepoFacts(ctx context.Context, owner, repo string) (github.RepoFacts, error)
}

// GitHubDeployments reads the Deployments API (integrations/github.Client satisfies it).
type GitHubDeployments interface {
	LastDeployment(ctx context.Context, owner, repo, environment string) (time.Time, bool, error)
}

// PagerDutyServices reads PagerDuty services (integrations/pagerduty.Client satisfies it).
type PagerDutyServices interface {
	GetService(ctx context.Context, id string) (*pagerduty.Service, error)
}

// ArgoSyncs reads Argo CD Applications (integrations/kube.FactsReader satisfies it).
type ArgoSyncs interface {
	ArgoLastSync(ctx context.Context, name string) (time.Time, bool, error)
}

// VulnReports reads Trivy Operator reports (integrations/kube.FactsReader satisfies it).
type VulnReports interface {
	VulnerabilitySummary(ctx context.Context, namespace, labelSelector string) (kube.VulnSummary, error)
}

// splitSlug splits a github.com/project-slug annotation ("owner/repo").
func splitSlug(slug string) (owner, repo string, ok bool) {
	owner, repo, ok = strings.Cut(strings.TrimSpace(slug), "/")
	return owner, repo, ok && owner != "" && repo != "" && !strings.Contains(repo, "/")
}

// NewGitHubRepoProvider reads the `github` facts of the repository named by
// the entity's github.com/project-slug annotation. An entity without one
// has no repository facts (a known gap, not an unknown).
func NewGitHubRepoProvider(c GitHubRepos) RepoProvider { return githubRepoProvider{c} }

type githubRepoProvider struct{ c GitHubRepos }

func (p githubRepoProvider) RepoFacts(ctx context.Context, s Subject) (grade.RepoFacts, error) {
	slug := s.Entity.Annotation(catalog.AnnotationGitHubSlug)
	owner, repo, ok := splitSlug(slug)
	if !ok {
		return grade.RepoFacts{Slug: slug, Workflows: []string{}}, nil
	}
	f, err := p.c.RepoFacts(ctx, owner, repo)
	if err != nil {
		return grade.RepoFacts{}, fmt.Errorf("read repository %s: %w", slug, err)
	}
	out := grade.RepoFacts{
		Slug: slug, DefaultBranch: f.DefaultBranch, Readme: f.Readme, HasReadme: f.HasReadme,
		Codeowners: f.HasCodeowners, Workflows: f.Workflows, LastCommit: f.LastCommit,
	}
	if out.Workflows == nil {
		out.Workflows = []string{}
	}
	return out, nil
}

// NewPagerDutyProvider reads the `oncall` facts: the pagerduty.com/service-id
// annotation of the entity, else of its owner, confirmed through PagerDuty.
// No annotation, or a service PagerDuty does not know, is a known gap; a
// PagerDuty outage makes the facts unknown.
func NewPagerDutyProvider(c PagerDutyServices) OnCallProvider { return pagerDutyProvider{c} }

type pagerDutyProvider struct{ c PagerDutyServices }

func (p pagerDutyProvider) OnCallFacts(ctx context.Context, s Subject) (grade.OnCallFacts, error) {
	var f grade.OnCallFacts
	if id := s.Entity.Annotation(catalog.AnnotationPagerDuty); id != "" {
		f.ServiceID, f.DeclaredOn = id, "service"
	} else if s.Owner != nil && s.Owner.Annotation(catalog.AnnotationPagerDuty) != "" {
		f.ServiceID, f.DeclaredOn = s.Owner.Annotation(catalog.AnnotationPagerDuty), "owner"
	}
	if f.ServiceID == "" {
		return f, nil
	}
	svc, err := p.c.GetService(ctx, f.ServiceID)
	if errors.Is(err, pagerduty.ErrNotFound) {
		f.Status = "not found"
		return f, nil
	}
	if err != nil {
		return grade.OnCallFacts{}, fmt.Errorf("confirm PagerDuty service %s: %w", f.ServiceID, err)
	}
	f.Name, f.Status, f.Confirmed = svc.Name, svc.Status, !svc.Disabled()
	return f, nil
}

// NewDeployProvider reads the `deploys` facts: the newest successful
// deployment to environment in the GitHub Deployments API and the newest
// successful Argo CD sync of the entity's Application, whichever is later.
// Either reader may be nil. If a configured reader fails, the facts are
// unknown (the missing answer might have been the newer deploy).
func NewDeployProvider(gh GitHubDeployments, argo ArgoSyncs, environment string) DeployProvider {
	p := deployProvider{env: environment}
	// A typed nil (a nil *kube.FactsReader) means "not configured" too.
	if !isNil(gh) {
		p.gh = gh
	}
	if !isNil(argo) {
		p.argo = argo
	}
	return p
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

type deployProvider struct {
	gh   GitHubDeployments
	argo ArgoSyncs
	env  string
}

func (p deployProvider) DeployFacts(ctx context.Context, s Subject) (grade.DeployFacts, error) {
	var f grade.DeployFacts
	var errs []error
	if owner, repo, ok := splitSlug(s.Entity.Annotation(catalog.AnnotationGitHubSlug)); ok && p.gh != nil {
		at, found, err := p.gh.LastDeployment(ctx, owner, repo, p.env)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("github deployments: %w", err))
		case found && at.After(f.Last):
			f.Last, f.Source = at, "github"
		}
	}
	if p.argo != nil {
		app := s.Entity.Annotation(AnnotationArgoApp)
		if app == "" {
			app = s.Entity.Metadata.Name
		}
		at, found, err := p.argo.ArgoLastSync(ctx, app)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("argo cd: %w", err))
		case found && at.After(f.Last):
			f.Last, f.Source = at, "argocd"
		}
	}
	if len(errs) > 0 {
		return grade.DeployFacts{}, errors.Join(errs...)
	}
	return f, nil
}

// NewTrivyProvider reads the `vulns` facts from the Trivy Operator's
// VulnerabilityReports in the entity's backstage.io/kubernetes-namespace
// (narrowed by backstage.io/kubernetes-label-selector). Without a namespace,
// or with no report there yet, the facts are unknown.
func NewTrivyProvider(r VulnReports) VulnProvider { return trivyProvider{r} }

type trivyProvider struct{ r VulnReports }

func (p trivyProvider) VulnFacts(ctx context.Context, s Subject) (grade.VulnFacts, error) {
	ns := s.Entity.Annotation(catalog.AnnotationNamespace)
	if ns == "" {
		return grade.VulnFacts{}, fmt.Errorf("no %s annotation: %w", catalog.AnnotationNamespace, ErrUnknown)
	}
	sum, err := p.r.VulnerabilitySummary(ctx, ns, s.Entity.Annotation(AnnotationLabelSelector))
	if err != nil {
		return grade.VulnFacts{}, fmt.Errorf("read vulnerability reports: %w", err)
	}
	if sum.Reports == 0 {
		return grade.VulnFacts{}, fmt.Errorf("no vulnerability reports in namespace %s yet: %w", ns, ErrUnknown)
	}
	return grade.VulnFacts{Critical: sum.Critical, High: sum.High, Medium: sum.Medium, Low: sum.Low, Reports: sum.Reports}, nil
}
