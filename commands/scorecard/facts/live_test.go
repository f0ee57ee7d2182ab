package facts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/scorecard/grade"
)

// liveMap is the last deploy of each service's environments.
type liveMap map[string]map[string]time.Time

func (l liveMap) LastDeployedAt(service, environment string) (at time.Time, ok bool) {
	for env, t := range l[service] {
		if (environment == "" || env == environment) && t.After(at) {
			at, ok = t, true
		}
	}
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
	p := NewLiveDeployProvider(liveMap{"checkout-service": {"prod-us": argoAt}}, "", next)

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
	p = NewLiveDeployProvider(liveMap{}, "", none)
	if _, err := p.DeployFacts(ctx, subjectNamed("reports-service")); !errors.Is(err, ErrUnknown) {
		t.Fatalf("no other source: err = %v, want ErrUnknown", err)
	}
}

// TestLiveDeployProviderEnvironment: with scorecard.facts.deployEnvironment
// configured, only that environment's Application history counts; without
// it, the newest deploy to any environment does.
func TestLiveDeployProviderEnvironment(t *testing.T) {
	ctx := context.Background()
	prodAt := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	devAt := time.Date(2026, 12, 7, 8, 15, 0, 0, time.UTC)
	ghAt := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	live := liveMap{
		"checkout-service": {"dev": devAt, "production": prodAt},
		"reports-service":  {"dev": devAt},
	}
	for _, c := range []struct {
		env, service string
		want         grade.DeployFacts
	}{
		{"production", "checkout-service", grade.DeployFacts{Last: prodAt, Source: "argocd"}},
		{"", "checkout-service", grade.DeployFacts{Last: devAt, Source: "argocd"}},
		{"", "reports-service", grade.DeployFacts{Last: devAt, Source: "argocd"}},
		// No production Application: a dev deploy is not a production one.
		{"production", "reports-service", grade.DeployFacts{Last: ghAt, Source: "github"}},
	} {
		next := &nextDeploys{facts: grade.DeployFacts{Last: ghAt, Source: "github"}}
		d, err := NewLiveDeployProvider(live, c.env, next).DeployFacts(ctx, subjectNamed(c.service))
		if err != nil || !d.Last.Equal(c.want.Last) || d.Source != c.want.Source {
			t.Errorf("deployEnvironment %q, %s: %+v %v, want %+v", c.env, c.service, d, err, c.want)
		}
	}
	_, err := NewLiveDeployProvider(live, "production", nil).DeployFacts(ctx, subjectNamed("reports-service"))
	if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "no deploy of reports-service to production") {
		t.Fatalf("no production deploy and no other source: err = %v", err)
	}
}
