package facts

import (
	"context"
	"fmt"
	"time"

	"github.com/platbot/platbot/commands/scorecard/grade"
)

// LiveDeploys is a live view of Argo CD's deploys by catalog service
// (commands/gitopsstatus.Feature satisfies it).
type LiveDeploys interface {
	// LastDeployedAt is the service's newest deploy to environment, or to
	// its production environments when environment is ""; ok is false
	// when Argo CD knows of none.
	LastDeployedAt(service, environment string) (at time.Time, ok bool)
}

// NewLiveDeployProvider reads the `deploys` facts from live, which knows
// Argo CD's deploy history of the services it watches, and asks next (the
// GitHub Deployments and polled Argo CD provider, or nil) about the others.
// environment is the configured scorecard.facts.deployEnvironment: when
// set, only the history of that environment's Application counts (a
// service without one is asked of next); "" leaves the choice to live
// (gitopsstatus counts the service's production environments). A service live knows is answered from memory, with
// source "argocd".
func NewLiveDeployProvider(live LiveDeploys, environment string, next DeployProvider) DeployProvider {
	if isNil(next) {
		next = nil
	}
	return liveDeployProvider{live: live, env: environment, next: next}
}

type liveDeployProvider struct {
	live LiveDeploys
	env  string
	next DeployProvider
}

func (p liveDeployProvider) DeployFacts(ctx context.Context, s Subject) (grade.DeployFacts, error) {
	if at, ok := p.live.LastDeployedAt(s.Entity.Metadata.Name, p.env); ok {
		return grade.DeployFacts{Last: at, Source: "argocd"}, nil
	}
	if p.next == nil {
		what := "no deploy of " + s.Entity.Metadata.Name
		if p.env != "" {
			what += " to " + p.env
		}
		return grade.DeployFacts{}, fmt.Errorf("argo cd knows %s and no other deploy source is configured: %w", what, ErrUnknown)
	}
	return p.next.DeployFacts(ctx, s)
}
