package golden

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
)

// ActionEnvironment adds an environment to an existing service
// (examples/templates/new-environment): its Helm values overlay and the
// Argo CD Application that the platform's placement rules send to a
// cluster.
const ActionEnvironment = "platbot:environment"

// Limits of the values overlay.
const (
	defaultReplicas = 2
	maxReplicas     = 50
)

// imageTagRe is a container image tag (the OCI distribution spec's tag
// grammar).
var imageTagRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func init() { registry = append(registry, newEnvironmentActions) }

func newEnvironmentActions(d actions.Deps) map[string]actions.Action {
	return map[string]actions.Action{ActionEnvironment: environment{d: d}}
}

// environment is platbot:environment. Input: service (the Component's
// ref; one of the requester's teams must own it), environment (the new
// environment's name), tier and region (its intent: the placement rules
// choose the cluster), chartPath (the service's Helm chart folder in the
// GitOps repository), replicas (default 2) and imageTag (optional). It
// adds <chartPath>/values-<environment>.yaml (replicaCount, image.tag)
// and the environment's Argo CD Application (source: the chart with that
// value file; destination: the placed cluster) to the run's files.
// Outputs: cluster, explanation, valuesPath, applicationPath.
type environment struct{ d actions.Deps }

func (environment) Check(_ *template.Template, s template.StepSpec) []string {
	var probs []string
	for _, k := range []string{"service", "environment", "chartPath"} {
		if _, ok := s.Input[k]; !ok {
			probs = append(probs, "input."+k+" is missing")
		}
	}
	return probs
}

// helmValues is the values overlay: the keys of the common Helm chart
// layout (helm create) that an environment sets.
type helmValues struct {
	ReplicaCount int64      `json:"replicaCount"`
	Image        *helmImage `json:"image,omitempty"`
}

type helmImage struct {
	Tag string `json:"tag"`
}

// plannedEnvironment is what a step adds.
type plannedEnvironment struct {
	service, env string
	placed       *actions.Placed
	valuesPath   string
	values       string
}

func (e environment) Plan(ctx context.Context, sc *actions.StepContext) (actions.Plan, error) {
	p, err := e.prepare(ctx, sc, true)
	if err != nil {
		return actions.Plan{}, err
	}
	if p == nil {
		// Nothing to place without a name: the form requires it.
		return actions.Plan{Effects: []string{"add an environment (no name given)"}}, nil
	}
	// A dry run shows the files, and later steps publish them.
	p.write(sc)
	return actions.Plan{Effects: p.effects(), Output: p.output()}, nil
}

func (e environment) Run(ctx context.Context, sc *actions.StepContext) (map[string]any, error) {
	p, err := e.prepare(ctx, sc, false)
	if err != nil {
		return nil, err
	}
	p.write(sc)
	return p.output(), nil
}

// write adds the step's files to the run's.
func (p *plannedEnvironment) write(sc *actions.StepContext) {
	sc.Files[p.valuesPath] = p.values
	sc.Files[p.placed.Path] = p.placed.Manifest
}

func (p *plannedEnvironment) effects() []string {
	return []string{
		"place " + p.env + " of " + p.service + ": " + p.placed.Explain,
		"add " + p.valuesPath + " (the Helm values of " + p.env + ")",
		"add " + p.placed.Path + " (the Argo CD Application deploying " + p.env + " to " + p.placed.Cluster + ")",
	}
}

func (p *plannedEnvironment) output() map[string]any {
	return map[string]any{
		"cluster": p.placed.Cluster, "explanation": p.placed.Explain,
		"valuesPath": p.valuesPath, "applicationPath": p.placed.Path,
	}
}

// prepare checks the input, places the environment and builds its files.
// While planning, a missing environment name gives nil, so that a dry run
// blames the value that is wrong, not one left out.
func (e environment) prepare(ctx context.Context, sc *actions.StepContext, planning bool) (*plannedEnvironment, error) {
	ref := inputText(sc, "service")
	name := inputText(sc, "environment")
	switch {
	case ref == "":
		return nil, &actions.StepError{Msg: "the step names no service (input.service)"}
	case name == "" && planning:
		return nil, nil
	case name == "":
		return nil, &actions.StepError{Msg: "the step names no environment (input.environment)"}
	}
	chart := strings.Trim(path.Clean("/"+inputText(sc, "chartPath")), "/")
	if chart == "" || strings.Contains(inputText(sc, "chartPath"), "..") {
		return nil, &actions.StepError{Msg: fmt.Sprintf("input.chartPath %q is not a folder inside the GitOps repository", inputText(sc, "chartPath"))}
	}
	replicas, err := inputInt(sc, "replicas", defaultReplicas, 1, maxReplicas)
	if err != nil {
		return nil, err
	}
	tag := inputText(sc, "imageTag")
	if tag != "" && !imageTagRe.MatchString(tag) {
		return nil, fieldError(sc, "imageTag", fmt.Sprintf("%q is not an image tag: letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128", tag))
	}
	svc, err := e.service(ref, sc.Run)
	if err != nil {
		return nil, fieldError(sc, "service", err.Error())
	}
	if e.d.Placer == nil {
		return nil, &actions.StepError{Msg: "placement is not available here, so platbot cannot tell which cluster " + name + " would run on",
			Hint: "Ask an admin to configure placement (docs/placement.md)"}
	}
	valuesFile := "values-" + name + ".yaml"
	placed, err := e.d.Placer.PlaceEnvironment(ctx, actions.PlaceRequest{
		Service: svc.Ref(), Environment: name, Tier: inputText(sc, "tier"), Region: inputText(sc, "region"),
		SourcePath: chart, ValueFiles: []string{valuesFile},
	})
	if err != nil {
		var pe *actions.PlaceError
		if errors.As(err, &pe) {
			return nil, fieldError(sc, pe.Input, pe.Err.Error())
		}
		return nil, &actions.StepError{Msg: "could not place " + name + " of " + svc.Metadata.Name, Hint: "Press Retry", Err: err}
	}
	vals := helmValues{ReplicaCount: replicas}
	if tag != "" {
		vals.Image = &helmImage{Tag: tag}
	}
	body, err := yaml.Marshal(vals)
	if err != nil {
		return nil, fmt.Errorf("encode the values of %s: %w", name, err)
	}
	p := &plannedEnvironment{
		service: svc.Metadata.Name, env: name, placed: placed, valuesPath: path.Join(chart, valuesFile),
		values: fmt.Sprintf("# Helm values of %s in %s (new-environment); the chart's values.yaml has the rest.\n# %s\n%s",
			svc.Metadata.Name, name, placed.Explain, body),
	}
	for _, f := range []string{p.valuesPath, placed.Path} {
		if prev, ok := sc.Files[f]; ok && prev != p.values && prev != placed.Manifest {
			return nil, &actions.StepError{Msg: "an earlier step of this run already wrote " + f}
		}
	}
	return p, nil
}

// service is the Component ref names, when one of the requester's teams
// owns it (or the run's owning group does, which the policy lets the
// requester pick).
func (e environment) service(ref string, run actions.Run) (*catalog.Entity, error) {
	ref = catalog.NormalizeRef(ref, catalog.KindComponent, catalog.DefaultNamespace)
	if e.d.Catalog == nil {
		return nil, errors.New("platbot has no catalog to find " + ref + " in")
	}
	var svc *catalog.Entity
	for _, c := range e.d.Catalog.List(catalog.KindComponent) {
		if c.Ref() == ref {
			svc = c
		}
	}
	if svc == nil {
		return nil, errors.New(ref + " is not in the catalog")
	}
	owner := svc.Owner()
	if run.Owner != "" && catalog.NormalizeRef(run.Owner, catalog.KindGroup, catalog.DefaultNamespace) == owner {
		return svc, nil
	}
	var teams []string
	for _, u := range e.d.Catalog.List(catalog.KindUser) {
		if run.RequesterRef == "" || u.Ref() != run.RequesterRef {
			continue
		}
		for _, g := range u.SpecStrings("memberOf") {
			g = catalog.NormalizeRef(g, catalog.KindGroup, u.Metadata.Namespace)
			if g == owner {
				return svc, nil
			}
			teams = append(teams, g)
		}
	}
	mine := "you are in no team"
	if len(teams) > 0 {
		mine = "not one of your teams (" + strings.Join(teams, ", ") + ")"
	}
	return nil, fmt.Errorf("%s is owned by %s, %s: a team adds environments to its own services", svc.Metadata.Name, owner, mine)
}
