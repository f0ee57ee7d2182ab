package golden

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/integrations/yamledit"
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
// value file; destination: the placed cluster) to the run's files, and
// the environment to the service's deployment intent: when the service's
// catalog file is in the GitOps repository, that file, edited in place
// (integrations/yamledit: spec.deployment.environments or the
// platbot.dev/environments annotation, whichever the entity uses);
// otherwise the intent output says what to add where.
// Outputs: cluster, explanation, valuesPath, applicationPath, catalogPath
// (the edited catalog file, "" when none) and intent (a sentence for the
// pull request's description).
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
	// app is the file at placed.Path: the Application, or the service's
	// ApplicationSet with this environment added to what the run planned.
	app    string
	intent intentEdit
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
	sc.Files[p.placed.Path] = p.app
	p.intent.write(sc)
}

func (p *plannedEnvironment) effects() []string {
	eff := []string{
		"place " + p.env + " of " + p.service + ": " + p.placed.Explain,
		"add " + p.valuesPath + " (the Helm values of " + p.env + ")",
		"add " + p.placed.Path + " (the Argo CD Application deploying " + p.env + " to " + p.placed.Cluster + ")",
	}
	if p.placed.Add != nil {
		eff[2] = "add " + p.env + " to " + p.placed.Path + " (the Argo CD ApplicationSet of " + p.service + "; its element deploys " + p.env + " to " + p.placed.Cluster + ")"
	}
	return append(eff, p.intent.planEffect(p.service))
}

func (p *plannedEnvironment) output() map[string]any {
	return map[string]any{
		"cluster": p.placed.Cluster, "explanation": p.placed.Explain,
		"valuesPath": p.valuesPath, "applicationPath": p.placed.Path,
		"catalogPath": p.intent.path, "intent": p.intent.note,
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
	svc, err := e.service(ref, sc.Run, "environments")
	if err != nil {
		return nil, fieldError(sc, "service", err.Error())
	}
	if err := e.chart(ctx, sc, svc.Metadata.Name, chart); err != nil {
		return nil, err
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
	if prev, ok := sc.Files[p.valuesPath]; ok && prev != p.values {
		return nil, &actions.StepError{Msg: "an earlier step of this run already wrote " + p.valuesPath}
	}
	prev, ok := sc.Files[placed.Path]
	if p.app, err = placed.Content(prev, ok); err != nil {
		return nil, &actions.StepError{Msg: err.Error()}
	}
	env := yamledit.IntentEnvironment{Name: name, Tier: inputText(sc, "tier"), Region: inputText(sc, "region")}
	if p.intent, err = addToIntent(ctx, sc, e.d.GitOpsFiles, svc, env); err != nil {
		return nil, err
	}
	return p, nil
}

// helmChart is the part of a chart's Chart.yaml that makes it one.
type helmChart struct {
	APIVersion string `json:"apiVersion"`
	Name       string `json:"name"`
	Version    string `json:"version"`
}

// chart refuses, on the service field, a chart folder of the GitOps
// repository (as an earlier step of the run left it, else its base
// branch) without a Chart.yaml naming a Helm chart: the Application would
// point Argo CD at nothing.
func (e environment) chart(ctx context.Context, sc *actions.StepContext, service, dir string) error {
	file := path.Join(dir, "Chart.yaml")
	b, ok := []byte(sc.Files[file]), false
	if _, ok = sc.Files[file]; !ok {
		if e.d.GitOpsFiles == nil {
			return &actions.StepError{Msg: "platbot cannot read the GitOps repository here, so it cannot check the Helm chart of " + service + " (" + dir + ")"}
		}
		var err error
		b, err = e.d.GitOpsFiles.ReadFile(ctx, file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fieldError(sc, "service", fmt.Sprintf("%s has no Helm chart at %s in the GitOps repository (no %s), so Argo CD would have nothing to deploy: add the chart there first", service, dir, file))
		case err != nil:
			return &actions.StepError{Msg: "could not read " + file, Hint: "Press Retry", Err: err}
		}
	}
	var c helmChart
	if err := yaml.Unmarshal(b, &c); err != nil || (c.APIVersion != "v1" && c.APIVersion != "v2") || c.Name == "" || c.Version == "" {
		why := "it needs apiVersion v2, name and version"
		if err != nil {
			why = err.Error()
		}
		return fieldError(sc, "service", fmt.Sprintf("%s is not a Helm chart's Chart.yaml (%s): fix the chart of %s first", file, why, service))
	}
	return nil
}

// service is the Component ref names, when one of the requester's teams
// owns it (or the run's owning group does, which the policy lets the
// requester pick). adds is what the golden path adds to a service
// ("environments", "caches"), for the refusal's words.
func (e environment) service(ref string, run actions.Run, adds string) (*catalog.Entity, error) {
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
	return nil, fmt.Errorf("%s is owned by %s, %s: a team adds %s to its own services", svc.Metadata.Name, owner, mine, adds)
}

// FormChoices offers only the regions where a cluster runs.
func (e environment) FormChoices(context.Context) map[string][]string {
	return placementRegions(e.d.Placer)
}

var _ actions.FormChoices = environment{}
