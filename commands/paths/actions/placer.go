package actions

import (
	"context"
	"fmt"
)

// Placer decides where a new environment of a service runs — the
// platform's placement rules choose the cluster from the intent (tier,
// region), never the user — and writes the Argo CD Application that
// deploys it there. cmd/platbot adapts the placement feature
// (commands/placement) to it; golden paths that add environments
// (commands/paths/golden) use it, and refuse to run without one.
//
// It is declared here, beside Deps, because the golden actions are built
// from Deps.
type Placer interface {
	// PlaceEnvironment refuses, with the reason in words a user can act
	// on, an environment the service already has, a region or tier no
	// cluster serves, and an intent no rule places.
	PlaceEnvironment(ctx context.Context, r PlaceRequest) (*Placed, error)
}

// PlaceRequest is the intent of one new environment of a service.
type PlaceRequest struct {
	// Service is the Component's entity ref.
	Service string
	// Environment is the new environment's name; Tier and Region its
	// intent ("" leaves them open).
	Environment, Tier, Region string
	// SourcePath is the Application's source path in the GitOps
	// repository ("" = the placement configuration's); ValueFiles are the
	// Helm value files of that source, relative to it.
	SourcePath string
	ValueFiles []string
	// Owner, when set, makes Service a new service that the catalog must
	// not have yet (new-service): it is placed as owned by this group.
	Owner string
}

// Placed is a placement decision and the Application it gives.
type Placed struct {
	// Cluster is the chosen cluster, Explain the decision in one line
	// ("prod-eu → cluster euw1-prod-a: rule `tier1-eu` matched
	// tier=tier1, region=eu-west-1").
	Cluster, Explain string
	// Team is the name of the service's owning group.
	Team string
	// Path is where the Application goes in the GitOps repository,
	// Manifest its YAML. When the platform writes one ApplicationSet per
	// service (docs/placement.md), Path is that ApplicationSet and
	// Manifest the base branch's file with this environment added.
	Path, Manifest string
	// Add is set when several environments share the file at Path (an
	// ApplicationSet): it adds this environment to that file as the run
	// already planned it. Callers write the file with Content.
	Add func(planned string) (string, error)
}

// Content is what the file at Path holds once this environment is added
// to what the run already planned for it (ok false: nothing yet), so that
// several environments placed in one run end up in one file. A file of
// its own (an Application) is Manifest, and an error when the run already
// planned other content for it; a shared one (an ApplicationSet) gets
// this environment added, and adding it twice changes nothing.
func (p *Placed) Content(planned string, ok bool) (string, error) {
	switch {
	case !ok:
		return p.Manifest, nil
	case p.Add != nil:
		return p.Add(planned)
	case planned != p.Manifest:
		return "", fmt.Errorf("an earlier step of this run already wrote %s", p.Path)
	}
	return p.Manifest, nil
}

// PlaceError is a refusal about one part of a PlaceRequest: Input is
// "service", "environment", "tier" or "region", the part to change.
type PlaceError struct {
	Input string
	Err   error
}

func (e *PlaceError) Error() string { return e.Err.Error() }
func (e *PlaceError) Unwrap() error { return e.Err }

// RegionLister is a Placer that knows the regions where the platform's
// clusters run (none when placement is not configured).
type RegionLister interface {
	Regions() []string
}

// FormChoices is an action that narrows the form of a template using it:
// by key, the values a select field whose ui:options choices names that
// key offers (forms.Env.Choices). nil narrows nothing.
type FormChoices interface {
	FormChoices(ctx context.Context) map[string][]string
}
