package placement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/placement/place"
)

// NewEnvironment is an environment a golden path adds to a service
// (new-environment): the intent only — the placement rules choose the
// cluster.
type NewEnvironment struct {
	// Service names the Component (a ref, or its name).
	Service string
	Env     Environment
	// SourcePath replaces the configured argocd.path as the Application's
	// source path ("" keeps it); ValueFiles are the Helm value files of
	// that source, relative to it (none: no helm section).
	SourcePath string
	ValueFiles []string
	// Owner, when set, makes Service a new service that the catalog must
	// not have yet (new-service creates it): it is placed as a Component
	// owned by this group.
	Owner string
	// Adding are the clusters the same request placed its other new
	// environments on: they count against capacities with the GitOps
	// repository's Applications.
	Adding []string
}

// PlacedEnvironment is where a new environment runs, why, and the Argo CD
// Application that deploys it there.
type PlacedEnvironment struct {
	// Service is the Component's name, Team its owning group's name.
	Service, Team string
	Cluster       string
	// Explain is the decision in one line: "prod-eu → cluster
	// euw1-prod-a: rule `tier1-eu` matched tier=tier1, region=eu-west-1".
	Explain string
	// Path is the Application's file in the GitOps repository, Manifest
	// its YAML (built as a typed Application and encoded). With
	// argocd.output applicationSet, Path is the service's ApplicationSet
	// and Manifest that file with the environment's element added (to
	// the base branch's file, or a new ApplicationSet).
	Path     string
	Manifest []byte
	// Add, set when several environments share the file at Path (an
	// ApplicationSet), adds this environment to that file as a run
	// already planned it (an earlier environment's Manifest or Add):
	// several environments placed in one run end up in one file. Adding
	// it again gives the file as it is; a different element for the same
	// environment is an error.
	Add func(planned []byte) ([]byte, error)
}

// EnvironmentError refuses a new environment because of one part of its
// request: What is "service", "environment", "tier" or "region" (the part
// to change), Err says why.
type EnvironmentError struct {
	What string
	Err  error
}

func (e *EnvironmentError) Error() string { return e.Err.Error() }
func (e *EnvironmentError) Unwrap() error { return e.Err }

func refuse(what string, format string, args ...any) error {
	return &EnvironmentError{What: what, Err: fmt.Errorf(format, args...)}
}

// Environments places the new environments golden paths add, with the
// placement configuration, the catalog and the GitOps repository's
// Applications. It has no commands: the placement feature hands out its
// own (Placement.Environments), and `platbot template render`, which has
// no store, builds one with NewEnvironments.
type Environments struct{ p *Placement }

// Environments is the feature's placer of new environments.
func (p *Placement) Environments() *Environments { return &Environments{p: p} }

// NewEnvironments checks cfg (as New does) and returns a placer of new
// environments without the feature. files may be nil (no Application of
// the GitOps repository is then known).
func NewEnvironments(cfg Config, cat Catalog, files FileReader) (*Environments, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cat == nil {
		return nil, errors.New("placement: need a catalog")
	}
	p := &Placement{cfg: cfg, cat: cat, files: files, log: slog.Default().With("component", "placement"), now: time.Now}
	if cfg.Configured() {
		pl, err := place.Compile(place.Config{Clusters: cfg.Clusters, Rules: cfg.Rules}, cfg.File)
		if err != nil {
			return nil, err
		}
		p.placer = pl
	}
	return &Environments{p: p}, nil
}

// Regions are the regions of the configured clusters, sorted.
func (e *Environments) Regions() []string {
	if e.p.placer == nil {
		return nil
	}
	var out []string
	for _, c := range e.p.placer.Clusters() {
		if !slices.Contains(out, c.Region) {
			out = append(out, c.Region)
		}
	}
	slices.Sort(out)
	return out
}

// Place decides where n runs and builds its Application, passing over
// clusters full by the GitOps repository's Applications and n.Adding
// (inventory.load). Refused, each
// with what to do: placement not configured; an unknown service; an
// invalid environment name; an environment the service already has (in
// its intent, or an Application in the GitOps repository); a region no
// cluster runs in, a tier no cluster takes; no rule placing it (the
// reason, from place.NoMatchError). A refusal about the request is an
// *EnvironmentError naming the part to change.
func (e *Environments) Place(ctx context.Context, n NewEnvironment) (*PlacedEnvironment, error) {
	p := e.p
	if p.placer == nil {
		return nil, errors.New("placement is not configured on this platbot: an admin adds a `placement` section " +
			"(clusters and placement rules — see examples/placement/placement.yaml and docs/placement.md)")
	}
	ent, ok := p.cat.Lookup(n.Service, catalog.KindComponent)
	switch {
	case ok && n.Owner != "":
		return nil, refuse("service", "the catalog already has a service %s (owned by %s); pick another name", ent.Metadata.Name, ent.Owner())
	case n.Owner != "":
		ent = newComponent(n.Service, n.Owner)
	case !ok:
		return nil, refuse("service", "there is no service %s in the catalog", n.Service)
	}
	env := n.Env
	if !envNameRe.MatchString(env.Name) {
		return nil, refuse("environment", "environment name %q must be lower-case letters, digits and dashes (at most 42)", env.Name)
	}
	in, has, err := IntentOf(ent)
	if err != nil {
		return nil, refuse("service", "the deployment intent of %s is not valid: %w", ent.Metadata.Name, err)
	}
	if has {
		if cur, dup := in.Env(env.Name); dup {
			return nil, refuse("environment", "%s already has an environment %s (%s, in %s); pick another name",
				ent.Metadata.Name, env.Name, envTraits(cur), in.From)
		}
	}
	if data, err := p.readFile(ctx, p.appPath(ent, env.Name)); err != nil {
		return nil, err
	} else if data != nil {
		return nil, refuse("environment", "%s already has an environment %s: the GitOps repository has its Application %s; pick another name",
			ent.Metadata.Name, env.Name, p.appPath(ent, env.Name))
	}
	if app, _, err := p.applicationSetElement(ctx, ent, env.Name, p.readFile); err != nil {
		return nil, err
	} else if app != nil {
		return nil, refuse("environment", "%s already has an environment %s: the GitOps repository has its element in the ApplicationSet %s; pick another name",
			ent.Metadata.Name, env.Name, app.Path)
	}
	if err := e.fits(env); err != nil {
		return nil, err
	}
	d, err := p.placer.PlaceWith(target(ent, env), p.loadFor(ctx, ent.Metadata.Name, env.Name, n.Adding...))
	if err != nil {
		// The intent to change is the region, else the tier.
		what := "region"
		switch {
		case env.Region == "" && env.Tier != "":
			what = "tier"
		case env.Region == "":
			what = "environment"
		}
		return nil, &EnvironmentError{What: what, Err: err}
	}
	spec := appSpec{
		Service: strings.ToLower(ent.Metadata.Name), Team: teamName(ent), Env: env.Name, Tier: env.Tier, Region: env.Region,
		Namespace: namespaceOf(ent), Cluster: d.Cluster, Why: d.Why(),
	}
	if p.cfg.ArgoCD.Output == OutputApplicationSet {
		return e.placeInSet(ctx, ent, spec, n, d.Explain())
	}
	app, err := p.cfg.newApplication(spec)
	if err != nil {
		return nil, err
	}
	if n.SourcePath != "" {
		app.Spec.Source.Path = n.SourcePath
	}
	if len(n.ValueFiles) > 0 {
		app.Spec.Source.Helm = &Helm{ValueFiles: slices.Clone(n.ValueFiles)}
	}
	manifest, err := app.encode()
	if err != nil {
		return nil, err
	}
	return &PlacedEnvironment{
		Service: spec.Service, Team: spec.Team, Cluster: d.Cluster.Name, Explain: d.Explain(),
		Path: p.appPath(ent, env.Name), Manifest: manifest,
	}, nil
}

// placeInSet is Place with argocd.output applicationSet: the environment
// is an element of the service's ApplicationSet, added to the one on the
// base branch (a comment-preserving edit) or to a new one.
func (e *Environments) placeInSet(ctx context.Context, ent *catalog.Entity, spec appSpec, n NewEnvironment, explain string) (*PlacedEnvironment, error) {
	p := e.p
	src := n.SourcePath
	if src == "" {
		src = p.cfg.sourcePath(spec.Team, spec.Service, spec.Env)
	}
	el := element(spec, src, n.ValueFiles)
	path := p.appSetPath(ent)
	base, err := p.readFile(ctx, path)
	if err != nil {
		return nil, err
	}
	var manifest []byte
	if base != nil {
		if manifest, err = addElement(base, spec.Service, el); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else {
		set, err := p.cfg.newApplicationSet(spec.Service, spec.Team, spec.Namespace)
		if err != nil {
			return nil, err
		}
		set.Spec.Generators[0].List.Elements = []Element{el}
		if manifest, err = set.encode(); err != nil {
			return nil, err
		}
	}
	return &PlacedEnvironment{
		Service: spec.Service, Team: spec.Team, Cluster: spec.Cluster.Name, Explain: explain,
		Path: path, Manifest: manifest,
		Add: func(planned []byte) ([]byte, error) {
			out, err := addElement(planned, spec.Service, el)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return out, nil
		},
	}, nil
}

// fits refuses a region no configured cluster runs in and a tier no
// configured cluster takes, naming the ones there are.
func (e *Environments) fits(env Environment) error {
	var tiers []string
	for _, c := range e.p.placer.Clusters() {
		for _, t := range c.Tiers {
			if !slices.Contains(tiers, t) {
				tiers = append(tiers, t)
			}
		}
	}
	slices.Sort(tiers)
	if regions := e.Regions(); env.Region != "" && !slices.Contains(regions, env.Region) {
		return refuse("region", "no cluster of the platform runs in region %s (the regions are %s)", env.Region, strings.Join(regions, ", "))
	}
	if env.Tier != "" && !slices.Contains(tiers, env.Tier) {
		return refuse("tier", "no cluster of the platform takes tier %s (the tiers are %s)", env.Tier, strings.Join(tiers, ", "))
	}
	return nil
}

// newComponent is the Component a golden path is creating, as placement
// sees it before the catalog has it.
func newComponent(ref, owner string) *catalog.Entity {
	_, ns, name := catalog.ParseRef(ref, catalog.KindComponent, catalog.DefaultNamespace)
	return &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: catalog.KindComponent,
		Metadata: catalog.Metadata{Name: name, Namespace: ns},
		Spec:     map[string]any{"type": "service", "owner": catalog.NormalizeRef(owner, catalog.KindGroup, catalog.DefaultNamespace)},
	}
}
