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
	// LastDeployedAt is the service's newest deploy; ok is false when
	// Argo CD knows of none.
	LastDeployedAt(service string) (at time.Time, ok bool)
}

// NewLiveDeployProvider reads the `deploys` facts from live, which knows
// Argo CD's deploy history of the services it watches, and asks next (the
// GitHub Deployments and polled Argo CD provider, or nil) about the others.
// A service live knows is answered from memory, with source "argocd".
func NewLiveDeployProvider(live LiveDeploys, next DeployProvider) DeployProvider {
	if isNil(next) {
		next = nil
	}
	return liveDeployProvider{live: live, next: next}
}

type liveDeployProvider struct {
	live LiveDeploys
	next DeployProvider
}

func (p liveDeployProvider) DeployFacts(ctx context.Context, s Subject) (grade.DeployFacts, error) {
	if at, ok := p.live.LastDeployedAt(s.Entity.Metadata.Name); ok {
		return grade.DeployFacts{Last: at, Source: "argocd"}, nil
	}
	if p.next == nil {
		return grade.DeployFacts{}, fmt.Errorf("argo cd knows no deploy of %s and no other deploy source is configured: %w", s.Entity.Metadata.Name, ErrUnknown)
	}
	return p.next.DeployFacts(ctx, s)
}
