package facts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

type liveMap map[string]time.Time

func (l liveMap) LastDeployedAt(service string) (time.Time, bool) {
	at, ok := l[service]
	return at, ok
}

type nextDeploys struct {
	calls int
	facts grade.DeployFacts
	err   error
}

func (n *nextDeploys) DeployFacts(context.Context, Subject) (grade.DeployFacts, error) {
	n.calls++
	return n.facts, n.err
}

func subjectNamed(name string) Subject {
	return Subject{Entity: &catalog.Entity{Kind: catalog.KindComponent, Metadata: catalog.Metadata{Name: name}}}
}

// TestLiveDeployProvider: Argo CD's live view answers for the services it
// knows; the others go to the next provider, or are unknown without one.
func TestLiveDeployProvider(t *testing.T) {
	ctx := context.Background()
	argoAt := time.Date(2026, 12, 7, 8, 15, 0, 0, time.UTC)
	ghAt := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	next := &nextDeploys{facts: grade.DeployFacts{Last: ghAt, Source: "github"}}
	p := NewLiveDeployProvider(liveMap{"checkout-service": argoAt}, next)

	d, err := p.DeployFacts(ctx, subjectNamed("checkout-service"))
	if err != nil || !d.Last.Equal(argoAt) || d.Source != "argocd" || next.calls != 0 {
		t.Fatalf("known to argo cd: %+v %v (next called %d times)", d, err, next.calls)
	}
	d, err = p.DeployFacts(ctx, subjectNamed("reports-service"))
	if err != nil || !d.Last.Equal(ghAt) || d.Source != "github" || next.calls != 1 {
		t.Fatalf("unknown to argo cd: %+v %v", d, err)
	}
	next.err = errors.New("github down")
	if _, err := p.DeployFacts(ctx, subjectNamed("reports-service")); err == nil {
		t.Fatal("the next provider's error is lost")
	}

	var none *nextDeploys // a typed nil is "not configured" too
	p = NewLiveDeployProvider(liveMap{}, none)
	if _, err := p.DeployFacts(ctx, subjectNamed("reports-service")); !errors.Is(err, ErrUnknown) {
		t.Fatalf("no other source: err = %v, want ErrUnknown", err)
	}
}
