package catalog

import (
	"fmt"
	"regexp"
	"strings"
)

// AnnotationEnvironments is the compact form of a service's deployment
// intent, read when the entity has no spec.deployment: environments
// separated by commas, each name[:tier][@region], e.g.
// "dev:standard, staging:standard, prod-us:tier1@us-east-1".
const AnnotationEnvironments = "platbot.dev/environments"

// AnnotationWorkload names the workload with the compact form (default:
// the service's name).
const AnnotationWorkload = "platbot.dev/workload"

// Intent is what a service declares about its deployment. Placement
// (commands/placement) places its environments; Argo CD's live status
// (commands/gitopsstatus) reads their tiers.
type Intent struct {
	// Workload is the deployed workload's name.
	Workload     string
	Environments []IntentEnvironment
	// From says where the intent was read ("spec.deployment" or the
	// annotation).
	From string
}

// IntentEnvironment is one environment a service runs in.
type IntentEnvironment struct {
	Name   string
	Tier   string
	Region string
}

// Env returns the environment called name.
func (in *Intent) Env(name string) (IntentEnvironment, bool) {
	for _, e := range in.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return IntentEnvironment{}, false
}

// Names are the environments' names, in declared order.
func (in *Intent) Names() []string {
	out := make([]string, len(in.Environments))
	for i, e := range in.Environments {
		out[i] = e.Name
	}
	return out
}

// EnvironmentNameRe is an environment name: it becomes part of a file
// name and an Application's name.
var EnvironmentNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$`)

// IntentOf reads e's deployment intent: spec.deployment
// ({workload, environments: [{name, tier, region}]}) or, when absent, the
// platbot.dev/environments annotation. ok is false when the entity
// declares neither; an error says what is wrong and where (the entity's
// file and line).
func IntentOf(e *Entity) (in *Intent, ok bool, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("%s (%s): %w", e.Metadata.Name, e.Source, err)
		}
	}()
	if raw, has := e.Spec["deployment"]; has {
		in, err := specIntent(raw)
		if err != nil {
			return nil, false, fmt.Errorf("spec.deployment: %w", err)
		}
		if in.Workload == "" {
			in.Workload = e.Metadata.Name
		}
		return in, true, nil
	}
	if a := e.Annotation(AnnotationEnvironments); a != "" {
		in, err := compactIntent(a)
		if err != nil {
			return nil, false, fmt.Errorf("annotation %s: %w", AnnotationEnvironments, err)
		}
		in.Workload = e.Annotation(AnnotationWorkload)
		if in.Workload == "" {
			in.Workload = e.Metadata.Name
		}
		return in, true, nil
	}
	return nil, false, nil
}

func specIntent(raw any) (*Intent, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("is a %T, not a mapping {workload, environments}", raw)
	}
	in := &Intent{From: "spec.deployment"}
	for k, v := range m {
		switch k {
		case "workload":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("workload is a %T, not a string", v)
			}
			in.Workload = s
		case "environments":
		default:
			return nil, fmt.Errorf("unknown key %q (keys: workload, environments)", k)
		}
	}
	list, ok := m["environments"].([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("environments must be a non-empty list of {name, tier, region}")
	}
	for i, item := range list {
		em, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("environments[%d] is a %T, not a mapping {name, tier, region}", i, item)
		}
		var env IntentEnvironment
		for k, v := range em {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("environments[%d].%s is a %T, not a string", i, k, v)
			}
			switch k {
			case "name":
				env.Name = s
			case "tier":
				env.Tier = s
			case "region":
				env.Region = s
			default:
				return nil, fmt.Errorf("environments[%d]: unknown key %q (keys: name, tier, region)", i, k)
			}
		}
		if err := in.add(env, fmt.Sprintf("environments[%d]", i)); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func compactIntent(s string) (*Intent, error) {
	in := &Intent{From: "annotation " + AnnotationEnvironments}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		var env IntentEnvironment
		rest, region, _ := strings.Cut(part, "@")
		env.Name, env.Tier, _ = strings.Cut(rest, ":")
		env.Region = region
		if err := in.add(env, fmt.Sprintf("environment %d (%q)", i+1, part)); err != nil {
			return nil, fmt.Errorf("%w; the form is name[:tier][@region], comma-separated", err)
		}
	}
	return in, nil
}

// add appends env after checking it.
func (in *Intent) add(env IntentEnvironment, where string) error {
	switch {
	case env.Name == "":
		return fmt.Errorf("%s has no name", where)
	case !EnvironmentNameRe.MatchString(env.Name):
		return fmt.Errorf("%s: name %q must be lower-case letters, digits and dashes", where, env.Name)
	}
	if _, dup := in.Env(env.Name); dup {
		return fmt.Errorf("%s: environment %q is declared twice", where, env.Name)
	}
	in.Environments = append(in.Environments, env)
	return nil
}
